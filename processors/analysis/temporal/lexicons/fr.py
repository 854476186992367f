"""French: words and rules of the temporal tagger.

Word tables map a surface form (case and accents are folded when matching) to its meaning.
Rules are tried all together; the longest match wins, then the earlier rule. In a pattern,
``<category>`` is a slot, a space is any white space, ``(?P<span>...)`` marks the reported text.
"""

from collections.abc import Mapping

from ..lexicon import Lexicon, Rule

# fmt: off

MONTHS_FULL = {
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}
MONTH_ABBREVIATIONS = {
    "janv.": 1, "janv": 1, "févr.": 2, "févr": 2, "fév.": 2, "avr.": 4, "avr": 4, "juil.": 7,
    "juil": 7, "sept.": 9, "oct.": 10, "nov.": 11, "déc.": 12,
}
NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "dix-sept": 17, "dix-huit": 18, "dix-neuf": 19, "vingt": 20,
    "vingt-quatre": 24, "trente": 30, "quarante": 40, "quarante-huit": 48, "cinquante": 50,
    "soixante": 60, "soixante-douze": 72, "cent": 100,
    "quelques": "X", "plusieurs": "X", "des": "X", "de nombreuses": "X", "de nombreux": "X",
}
UNITS = {
    "jour": "D", "jours": "D", "journée": "D", "journées": "D", "semaine": "W", "semaines": "W",
    "mois": "M", "an": "Y", "ans": "Y", "année": "Y", "années": "Y", "heure": "H",
    "heures": "H", "h": "H", "minute": "MIN", "minutes": "MIN", "min": "MIN", "seconde": "S",
    "secondes": "S", "décennie": "DE", "décennies": "DE", "siècle": "CE", "siècles": "CE",
}

WORDS: dict[str, Mapping[str, object]] = {
    "month": {**MONTHS_FULL, **MONTH_ABBREVIATIONS},
    "month_full": MONTHS_FULL,
    "weekday": {
        "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
        "dimanche": 6,
    },
    "number": NUMBERS,
    "unit": UNITS,
    "cal_unit": {
        "semaine": "W", "mois": "M", "an": "Y", "année": "Y", "week-end": "WE", "weekend": "WE",
    },
    "rel": {
        "dernier": "past", "dernière": "past", "passé": "past", "passée": "past",
        "prochain": "next", "prochaine": "next", "derniers": "past", "dernières": "past",
        "prochains": "next", "prochaines": "next",
    },
    "this": {"ce": "this", "cet": "this", "cette": "this"},
    "deictic": {
        "hier": (-1, None), "avant-hier": (-2, None), "aujourd'hui": (0, None),
        "demain": (1, None), "après-demain": (2, None), "ce matin": (0, "MO"),
        "cet après-midi": (0, "AF"), "ce soir": (0, "EV"), "cette nuit": (0, "NI"),
    },
    "day_noun": {"jour": "D", "journée": "D"},  # "le même jour": a narrower trigger than any unit
    "pod": {
        "matin": "MO", "matinée": "MO", "après-midi": "AF", "soir": "EV", "soirée": "EV",
        "nuit": "NI",
    },
    "pom": {"début": "START", "mi": "MID", "milieu": "MID", "fin": "END"},
    "season": {"printemps": "SP", "été": "SU", "automne": "FA", "hiver": "WI"},
    # a day counted from a day of the story ("le lendemain"), not from the article's date
    "lendemain": {"lendemain": 1, "surlendemain": 2},
    "veille": {"veille": -1, "avant-veille": -2},
    "ordinal": {
        "premier": 1, "1er": 1, "deuxième": 2, "second": 2, "2e": 2, "troisième": 3, "3e": 3,
        "quatrième": 4, "4e": 4,
    },
    "clock": {"midi": "12:00", "minuit": "00:00"},
    "present": {
        "maintenant": "PRESENT_REF", "actuellement": "PRESENT_REF", "désormais": "PRESENT_REF",
        "pour l'instant": "PRESENT_REF", "pour le moment": "PRESENT_REF",
        "à présent": "PRESENT_REF", "de nos jours": "PRESENT_REF", "dorénavant": "PRESENT_REF",
        "auparavant": "PAST_REF", "jadis": "PAST_REF", "naguère": "PAST_REF",
    },
    "every": {"chaque": True, "tous les": True, "toutes les": True},
    "set_phrase": {
        "quotidiennement": "P1D", "annuellement": "P1Y", "annuel": "P1Y", "annuelle": "P1Y",
        "annuels": "P1Y", "annuelles": "P1Y",
    },
    "duration_phrase": {
        "quinquennat": "P5Y", "septennat": "P7Y", "un demi-siècle": "P50Y",
        "un quart de siècle": "P25Y",
    },
    "quant": {
        "plus de": "MORE_THAN", "moins de": "LESS_THAN", "environ": "APPROX",
        "près de": "APPROX", "presque": "LESS_THAN", "au moins": "EQUAL_OR_MORE",
    },
    "cue": {
        "en": True, "depuis": True, "de": True, "dès": True, "jusqu'en": True, "avant": True,
        "après": True, "pendant": True, "durant": True, "vers": True, "début": True, "fin": True,
        "mi": True, "courant": True, "entre": True, "à": True, "au": True, "d'ici": True,
        "l'an": True, "l'année": True, "année": True, "mois": True, "saison": True,
        "bilan": True, "budget": True, "exercice": True, "édition": True, "cuvée": True,
        "millésime": True, "rentrée": True, "promotion": True, "session": True,
    },
}

CLOCK = r"(?:<hour> ?h(?: ?<minute>)?|<clock>)"
CLOCK2 = r"(?:<hour2> ?h(?: ?<minute2>)?|<clock2>)"

RULES = (
    # days
    Rule("date",
         r"(?:le )?(?:<weekday> )?<day>(?:er)? <month>(?: <year>)?(?: <rel>)?(?: (?:au )?<pod>)?",
         ("le 30 août dernier", "lundi 4 septembre", "4 sept.", "1er mai 2023",
          "le jeudi 7 octobre")),
    Rule("date", r"(?:le )?<day>/<month_num>/<year>", ("04/09/2023", "le 4/9/2023")),
    Rule("date", r"<day>\.<month_num>\.<year>", ("04.09.2023",)),
    Rule("date", r"<year>-<month_num>-<day>", ("2023-09-04",)),
    Rule("date_range",
         r"(?:du|entre le|les) <day>(?:er)? (?:au|et le|et) <day2> <month>"
         r"(?: <year>)?(?: <rel>)?",
         ("du 9 au 12 juin", "entre le 9 et le 12 juin 2023", "les 9 et 10 juin")),
    Rule("date_range",
         r"(?:du|entre le) <day>(?:er)? <month> (?:au|et le) <day2> <month2>(?: <year>)?",
         ("du 30 juin au 2 juillet",)),
    Rule("weekday", r"(?:dans )?la <pod> (?:de|du) <weekday> (?:à|au) <weekday2>",
         ("dans la nuit de samedi à dimanche",)),
    # "samedi en fin de soirée", "hier dans la matinée": the day with a part of it
    Rule("weekday",
         r"(?:<this> )?<weekday>(?: (?:(?:en |dans la |dans l')(?:<pom> (?:de |d'))?)?<pod>)?(?: <rel>)?",
         ("lundi", "ce jeudi", "mercredi soir", "mardi dernier", "lundi prochain",
          "samedi en fin de soirée", "lundi dans la matinée")),
    Rule("deictic",
         r"<deictic>(?: (?:(?:en |dans la |dans l')(?:<pom> (?:de |d'))?)?<pod>)?(?: <weekday>)?",
         ("hier", "avant-hier", "demain matin", "aujourd'hui", "hier soir", "ce soir",
          "hier en début d'après-midi", "demain dans la soirée")),
    # parts of a day: the engine dates them with a day named in the same sentence
    Rule("part_of_day",
         r"(?:dans|pendant|durant|(?:au )?cours de|passé) (?P<span>(?:la |l')<pod>)"
         r"(?! des temps)",
         ("dans la nuit", "au cours de la nuit", "pendant la soirée", "dans l'après-midi")),
    Rule("part_of_day", r"(?:la |l')<pod2> (?:et|puis) (?P<span>(?:la |l')<pod>)",
         ("la soirée et la nuit",)),
    Rule("part_of_day", r"en (?P<span>(?:<pom> (?:de |d'))?<pod>)",
         ("en fin d'après-midi", "en soirée", "en début de matinée")),
    Rule("part_of_day", r"(?:le |la |l')<pod> même(?! si\b| que\b)", ("le matin même", "le soir même")),
    # "le lendemain", "la veille au soir": days of the story, left undated
    Rule("relative_day", r"le <lendemain>(?: (?:au |dans la |dans l')?<pod>)?",
         ("le lendemain", "le lendemain matin", "le surlendemain")),
    # not the watch of "veille sanitaire", "mise en veille"
    Rule("relative_day",
         r"(?:la |l')<veille>(?: (?:au |dans la |dans l')?<pod>)?"
         r"(?! (?:sanitaire|technologique|juridique|stratégique|médiatique|économique|scientifique"
         r"|citoyenne|documentaire|concurrentielle|sociale|active|informationnelle)\b)",
         ("la veille", "la veille au soir", "l'avant-veille")),
    Rule("relative_day", r"(?:le |la )même <day_noun>", ("le même jour", "la même journée")),
    Rule("relative_day", r"(?<!jour\sau\s)(?<!jour\s)au (?P<span>(?=l)<lendemain>)", ("au lendemain",)),
    Rule("ago", r"il y a <number> <unit>", ("il y a trois jours", "il y a un an")),
    Rule("ahead", r"(?:dans|d'ici) <number> <unit>", ("dans deux semaines",)),
    # longer spans
    Rule("relative_unit", r"(?:la |le |l')?<cal_unit> <rel>",
         ("la semaine dernière", "le mois dernier", "l'an dernier", "l'année prochaine")),
    Rule("relative_unit",
         r"(?:pendant|durant|au cours du|lors du|depuis) (?P<span>(?:le )?(?P<cal_unit>week-end))",
         ("pendant le week-end",)),
    Rule("relative_unit", r"<this> <cal_unit>(?:-ci)?",
         ("ce mois-ci", "cette année", "ce week-end")),
    Rule("month", r"<month_full> <year>", ("avril 2001",)),
    Rule("month", r"<month_full> <rel>", ("juin prochain", "septembre dernier")),
    Rule("month", r"<month_full>", ("juin", "août")),
    Rule("month", r"<month_full2>-(?P<span><month_full>)", ("mars-avril",)),  # the second of two
    Rule("part_of_month",
         r"(?:la |le )?<pom>(?:-| (?:du mois )?(?:de |d')?)<month_full>(?: <year>)?(?: <rel>)?",
         ("mi-août", "Mi-août dernier", "début février", "fin avril", "fin septembre 2000")),
    Rule("part_of_month", r"(?:la |le )?<pom> (?:de l'|de la |du |d')<cal_unit>(?: <rel>)?",
         ("la fin de l'année", "début du mois prochain", "fin de l'année dernière")),
    Rule("part_of_month", r"(?:la |le )?<pom> (?:de l'année )?<year>",
         ("début 2011", "fin 2022")),
    Rule("year", r"(?:l'|en l')?(?:année|an) <year>", ("l'année 2001", "l'an 2000")),
    Rule("year", r"<cue> (?P<span><year>)", ("en 1987", "depuis 1990")),
    Rule("year_range", r"(?:de|entre) <year> (?:à|et) <year2>", ("de 1990 à 1995",)),
    Rule("year_range", r"<year>(?:-|/)<year2>", ("2009-2010", "2002/2003")),
    Rule("year", r"en (?P<span><yy>)(?=\s*(?:[,.;:()]|$)|\s+(?:et|puis|avant|après|contre)\b)",
         ("en 97",)),
    Rule("decade", r"(?:(?:le |au )?<pom> des )?(?:les |des |aux )?années (?:<decade_year>|<yy>)",
         ("les années 60", "début des années 60", "les années 1990")),
    Rule("season", r"(?:l'|le )?<season> <rel>", ("l'été dernier", "le printemps prochain")),
    Rule("season", r"<this> <season>", ("cet été", "cet hiver")),
    Rule("season", r"(?:l'|le )?<season> (?:de )?<year>", ("l'été 2022",)),
    # a season without a year: "l'automne", "au printemps" (lower case: "le Printemps" is a shop)
    # ("au printemps de l'environnement", "le printemps arabe" are names)
    Rule("season", r"(?:l'|le )(?=(?-i:[a-zé]))<season>(?! (?:arabe\b|de Prague\b|de l'|de la |du |des ))",
         ("l'automne", "le printemps", "l'été")),
    Rule("season", r"au (?P<span>(?=(?-i:[a-zé]))<season>)(?! (?:arabe\b|de l'|de la |du |des ))",
         ("au printemps",)),
    # any summer: "en été" (never "a été": the participle follows no "en"), "été comme hiver"
    Rule("generic_season", r"en (?P<span>(?=(?-i:[a-zé]))<season>)", ("en été", "en hiver")),
    Rule("generic_season", r"mois d'<season>", ("mois d'été",)),
    Rule("generic_season", r"(?P<span><season>) comme <season2>", ("été comme hiver",)),
    Rule("generic_season", r"<season2> comme (?P<span><season>)", ("été comme hiver",)),
    Rule("quarter", r"(?:le )?<ordinal> trimestre(?: (?:de )?<year>)?",
         ("premier trimestre 2023",)),
    # not days
    # "2h de route", "pendant 3h": hours written like a clock time (before the times: ties go
    # to the earlier rule)
    Rule("duration",
         r"(?:pendant|durant|en|sous|plus de|moins de|près de|environ) (?P<span><number> ?<unit>)",
         ("pendant 3h", "en 2 h")),
    Rule("duration", r"(?P<span><number> ?<unit>) de (?:route|trajet|vol|marche|retard|débat|grève)",
         ("2h de route",)),
    Rule("time_range", rf"(?:de|entre) {CLOCK} (?:à|et) {CLOCK2}",
         ("de 22h à 5h", "entre 9 h et midi")),
    Rule("time", r"<hour> ?h(?: ?<minute>)?", ("22h", "21 h 45", "21h12", "14 h")),
    Rule("time",
         r"(?:à|vers|dès|avant|après|jusqu'à|depuis) (?P<span><hour> heures?(?: <minute>)?)",
         ("à 8 heures", "vers 15 heures 30")),
    Rule("time", r"(?:à|vers|dès|avant|après|jusqu'à|depuis|ce|hier|demain) (?P<span><clock>)",
         ("à midi", "vers minuit")),
    Rule("duration",
         r"(?:(?:ces|les) (?:derniers|dernières|prochains|prochaines) )?"
         r"(?:<quant> )?<number> (?!ans\b)<unit>",
         ("trois jours", "48 heures", "ces dernières 24 heures", "30,4 secondes")),
    # "54 ans" after "de", "à", "(" or "," is an age, not a duration ("au terme de trois ans",
    # "d'ici à dix ans" are durations)
    Rule("duration",
         r"(?:(?<!de\s)(?<!à\s)|(?<=terme\sde\s)|(?<=bout\sde\s)|(?<=espace\sde\s)|(?<=issue\sde\s)"
         r"|(?<=ici\sà\s))(?<!\()(?<!,\s)(?:<quant> )?<number> (?=ans\b)<unit>",
         ("15 ans", "plus de vingt ans")),
    Rule("duration",
         r"(?P<span>(?:<quant> )?<number> <unit>) (?:de (?:prison|réclusion|détention)|après)",
         ("10 ans de prison", "six ans après")),
    Rule("duration", r"<duration_phrase>", ("quinquennat", "un demi-siècle")),
    Rule("duration", r"(?:ces|les) (?:derniers|dernières|prochains|prochaines) <unit>",
         ("ces derniers jours",)),
    Rule("set", r"<every> <unit>", ("chaque jour", "tous les ans", "chaque année")),
    Rule("set", r"<every> <weekday>s?", ("chaque lundi", "tous les lundis")),
    Rule("set", r"<every> <pod>s?", ("chaque matin", "tous les soirs")),
    Rule("set", r"<set_phrase>", ("annuel", "quotidiennement")),
    Rule("set", r"par (?P<span><unit>)", ("par an", "par jour")),
    Rule("present", r"<present>", ("maintenant", "pour l'instant")),
    # noms qui contiennent un mot de date sans en être une : ils l'emportent puis disparaissent
    Rule("not_a_date", r"Journal du <weekday>", ("Journal du Dimanche",)),
    Rule("not_a_date", r"<month_full> (?:68|1968)", ("Mai 68",)),
    Rule("not_a_date", r"<day>-<month_full>", ("11-Septembre", "14-Juillet")),
    Rule("not_a_date", r"<weekday> (?:gras|saint|de Pâques|de Pentecôte)", ("mardi gras",)),
    Rule("not_a_date", r"<deictic> en France", ("Aujourd'hui en France",)),
)

LEXICON = Lexicon(
    code="fr",
    words=WORDS,
    rules=RULES,
    needs_cue=frozenset({"mars", "une seconde", "des jours", "des heures", "des minutes"}),
    future_cues=(
        r"doi(?:t|vent)", r"devr(?:a|ont|ait|aient)", r"prévu(?:e|s|es)?", r"aura lieu",
        r"auront lieu", r"se tiendr(?:a|ont)", r"rendez-vous", r"ser(?:a|ont)", r"va", r"vont",
        r"à venir", r"(?:reporté|repoussé|ajourné)e?s? (?:à|au|jusqu'à)",
        r"\w++(?:(?<=\w\w[deiru]ra)|(?<=\w\wront))", r"ira", r"projet(?:te|tent|terait)",
    ),
    background_cues=(
        r"(?:élue?s?|née?s?|fondée?s?|créée?s?|morte?s?|décédée?s?|mariée?s?|depuis)"
        r"(?:\s+(?:en|le|l'année))?",
    ),
    report_cues=(  # « ..., a indiqué lundi la Maison Blanche » : le jour de la déclaration
        r"(?:(?:a|ont|avait|avaient)(?:-t-(?:il|elle|on)|-(?:ils|elles))?"
        r"(?:\s+(?:également|aussi|encore|déjà|notamment))?\s+"
        r"(?:indiqu|déclar|annonc|affirm|précis|confirm|expliqu|assur|estim|soulign|ajout"
        r"|rapport|révél|dément|averti|prévenu|réagi|écrit|tweet|publi|répondu|rappel|jug"
        r"|dénonc|reconnu|insist|martel|confi|fait savoir|dit)(?:é|i|u|t)?(?:e|s|es)?"
        r"|(?:indiqu|déclar|annonç|affirm|précis|expliqu|assur|ajout|soulign)ait)",
    ),
    metadata_lines=(
        r"^\s*(?i:publi[ée]e?|mis à jour|mise à jour|modifi[ée]e?|actualis[ée]e?)\b",
        r"(?i:\bmin(?:ute)?s?\.?\s+de\s+lecture\b)",
        r"^\s*(?i:lecture|temps de lecture)\s*:",
        r"^\s*(?i:par)\s+[A-ZÀ-Ý][\w'’-]+(?:\s+(?:[A-ZÀ-Ý][\w'’.-]+|et|&))*\s*$",
    ),
    credit_lines=(
        r"^\s*(?:crédits?|credits?|photos?|illustration|source photo)\s*:",
        r"\bAFP\s+PHOTO\b",
        r"©",
        r"\bGetty\s+Images\b",
    ),
)
# fmt: on
