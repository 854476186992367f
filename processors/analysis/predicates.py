"""What a dated expression dates: the predicate of its clause, by rules and a data table.

« La Maison Blanche a indiqué lundi 4 septembre que le leader nord-coréen projetterait de se
rendre en Russie ce mois-ci » dates two things: the statement (``indiqué``: ``say``, a
``report``) and the trip (``se rendre``: ``travel``, an ``event``). No parser: the clause of a
date runs between clause openers (``que``, ``that``, ``qui``, ``which``...) and strong
punctuation; its predicate is the nearest form of ``data/predicates.tsv`` before the date in
that clause, else the first one after it (a date put first: « Lundi 4 septembre, la
Maison-Blanche a indiqué... »). With the article's language, a verb the table does not know
counts too, and the nearest predicate wins (``_attached``: "Lindsay Lohan checked into rehab on
Tuesday, her lawyer said" dates the stay). Keys are English, so a French and an English report
of one statement get the same key.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib.resources import files
from typing import NamedTuple

import regex

_WORD = regex.compile(r"\p{L}+|[;()«»\"“”—]|(?<!\d):(?!\d)")  # not the colon of 12:00
_MARKS = regex.compile(r"\p{Mn}+")
# Words and marks that open another clause: a date does not date a predicate across them.
CLAUSE_OPENERS = frozenset({
    "que", "qu", "qui", "dont", "lorsque", "lorsqu", "quand", "tandis",
    "that", "which", "who", "whom", "whose", "when", "while", "whereas",
    ";", ":", "(", ")", "«", "»", '"', "“", "”", "—",
})


class Predicate(NamedTuple):
    """A predicate's cross-language key and kind (``report`` or ``event``)."""

    key: str
    kind: str


class _Word(NamedTuple):
    text: str  # accent-free, casefolded
    start: int
    end: int
    capital: bool = False  # written with a capital first letter
    spaced: bool = True  # only whitespace between the word before and this one ("to 26 cents": no)


def _fold(text: str) -> str:
    """Accent-free and casefolded (the marks are dropped after NFKD)."""
    return str(_MARKS.sub("", unicodedata.normalize("NFKD", text))).casefold()


@cache
def predicate_table() -> tuple[dict[tuple[str, ...], Predicate], int, frozenset[str]]:
    """(form as a tuple of words -> predicate, longest form in words, first words of the forms)
    from ``predicates.tsv``."""
    text = files("processors.analysis.data").joinpath("predicates.tsv").read_text(encoding="utf-8")
    table: dict[tuple[str, ...], Predicate] = {}
    for row in text.splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        key, kind, forms = row.split("\t")
        for form in forms.split("|"):
            words = tuple(w.group() for w in _WORD.finditer(_fold(form)))
            table[words] = Predicate(key, kind)
    return table, max(len(words) for words in table), frozenset(words[0] for words in table)


@lru_cache(maxsize=1 << 12)  # a sentence with two dates is read once
def _words(sentence: str) -> tuple[_Word, ...]:
    folded = _fold(sentence)
    if len(folded) != len(sentence):  # a character that decomposes into several: offsets move
        found = [(_fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(sentence)]
    else:
        found = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
    previous_end = 0
    words = []
    for text, start, end in found:
        words.append(_Word(text, start, end, sentence[start].isupper(),
                           not sentence[previous_end:start].strip()))
        previous_end = end
    return tuple(words)


def _found(words: tuple[_Word, ...], i: int) -> tuple[Predicate, int] | None:
    """The longest table form starting at word i, with its length in words."""
    table, longest, firsts = predicate_table()
    if words[i].text not in firsts:
        return None
    for n in range(min(longest, len(words) - i), 0, -1):
        hit = table.get(tuple(w.text for w in words[i : i + n]))
        if hit is not None:
            return hit, n
    return None


class Found(NamedTuple):
    """A predicate and where its words are in the sentence (``predicate`` None: a verb the
    table does not know, found by its form, ``verb_like``)."""

    predicate: Predicate | None
    start: int
    end: int


def predicate_of(sentence: str, start: int, end: int,
                 language: str | None = None) -> Predicate | None:
    """The predicate the expression at ``sentence[start:end]`` dates, or None if none is known
    (with ``language``: a verb the table does not know, ``dated_predicate``)."""
    found = dated_predicate(sentence, start, end, language)
    return None if found is None else found.predicate


def dated_predicate(sentence: str, start: int, end: int,
                    language: str | None = None) -> Found | None:
    """The predicate the expression at ``sentence[start:end]`` dates and where its words are
    (``predicate_of``); with ``language``, the predicate it modifies (``_attached``): a form of
    the table or a verb-like word (``verb_like``, the event noun that is its subject instead,
    ``_event_subject``), else a headline's present; or None."""
    if language is None:
        return _tied_form(sentence, start, end)
    return _attached(sentence, start, end, language)


def _attached(sentence: str, start: int, end: int, language: str) -> Found | None:
    """The predicate a date modifies, by position and punctuation (no parser): the nearest
    predicate before it in its clause, else the nearest after it. English and French put a
    date after its verb ("Lindsay Lohan checked into rehab on Tuesday, her lawyer said": the
    stay, not the saying; « a indiqué lundi 4 septembre que »: the statement), or first
    in the sentence, before it (« Lundi 4 septembre, la Maison-Blanche a indiqué »). A verb of
    saying is a date's only when it is the nearest: "The White House said on Monday that"."""
    words = _words(sentence)
    before, after = _clause_around(words, start, end)
    for side in (before, after):
        for i in side:
            form = _form_covering(words, i, end if side is after else None, start)
            if form is not None:
                return form
            if verb_like(words, i, language) and not _aside(sentence, words, i):
                return _verb_or_subject(words, i, language)
    return _nearest_verb(sentence, start, end, language)  # a headline's present


def _aside(sentence: str, words: tuple[_Word, ...], i: int) -> bool:
    """Whether verb i opens an aside set between commas ("On Monday, Airbus, delayed by
    strikes, signed the deal"): a participle right after a comma, with another comma after
    it in its clause."""
    if i == 0 or "," not in sentence[words[i - 1].end:words[i].start]:
        return False
    for w in words[i + 1:]:
        if "," in sentence[words[i].end:w.start]:
            return True
        if w.text in CLAUSE_OPENERS:
            return False
    return "," in sentence[words[i].end:]


def _form_covering(words: tuple[_Word, ...], i: int, after: int | None,
                   before: int) -> Found | None:
    """The table form that holds word i, on the expression's side of it (ending before
    ``before``, or starting after ``after``), or None."""
    _, longest, _ = predicate_table()
    for j in range(max(0, i - longest + 1), i + 1):
        hit = _found(words, j)
        if hit is None or j + hit[1] - 1 < i:
            continue
        first, last = words[j], words[j + hit[1] - 1]
        if (after is None and last.end <= before) or (after is not None and first.start >= after):
            return Found(hit[0], first.start, last.end)
    return None


def _clause_around(words: tuple[_Word, ...], start: int, end: int) -> tuple[list[int], list[int]]:
    """The indices of the words of an expression's clause before it (nearest first) and after it."""
    before, after = [], []
    for i in range(len(words) - 1, -1, -1):
        if words[i].end <= start:
            if words[i].text in CLAUSE_OPENERS:
                break
            before.append(i)
    for i, w in enumerate(words):
        if w.start >= end:
            if w.text in CLAUSE_OPENERS:
                break
            after.append(i)
    return before, after


def _nearest_verb(sentence: str, start: int, end: int, language: str) -> Found | None:
    words = _words(sentence)
    before, after = _clause_around(words, start, end)
    for looks_like in (verb_like, _headline_present):  # as main_predicate
        best: tuple[int, int] | None = None
        for side in (before, after):  # on a tie, the word before the expression
            for distance, i in enumerate(side):
                if looks_like(words, i, language):
                    if best is None or distance < best[0]:
                        best = (distance, i)
                    break
        if best is not None:
            return _verb_or_subject(words, best[1], language)
    return None


def _tied_form(sentence: str, start: int, end: int) -> Found | None:
    """The table form the expression at ``sentence[start:end]`` dates, or None."""
    words = _words(sentence)
    before = [i for i, w in enumerate(words) if w.end <= start]
    after = [i for i, w in enumerate(words) if w.start >= end]
    best: Found | None = None
    for i in before:  # left to right, so the nearest form wins; an opener forgets what came before
        if words[i].text in CLAUSE_OPENERS:
            best = None
            continue
        hit = _found(words, i)
        if hit is not None and words[i + hit[1] - 1].end <= start:
            best = Found(hit[0], words[i].start, words[i + hit[1] - 1].end)
    if best is not None:
        return best
    for i in after:
        if words[i].text in CLAUSE_OPENERS:
            return None
        hit = _found(words, i)
        if hit is not None:
            return Found(hit[0], words[i].start, words[i + hit[1] - 1].end)
    return None


# A verb the table does not know, by its form (no tagger): a past form, or a word right after an
# auxiliary or a modal. Enough to say that an undated sentence reports something done.
_AUXILIARIES = {
    "en": frozenset("will would shall should can could may might must has have had having is are "
                    "was were be been being did does do to".split()),
    "fr": frozenset("a ont avait avaient aura auront aurait auraient est sont etait etaient sera "
                    "seront serait seraient va vont allait devrait pourrait doit ete".split()),
}
_IRREGULAR_PAST = frozenset(
    "won sold lost made took gave got began bought brought built came fell flew found grew hit kept "
    "led paid put ran rose saw sent shut spent stood wrote cut beat chose drove knew laid quit sank "
    "shot sought swept thought threw withdrew overtook undertook broke became slid went held met "
    "left set spoke struck told forecast".split())
_NOT_VERBS = {
    "en": frozenset("need feed seed speed red bed shed hundred indeed united based limited related "
                    "detailed advanced proposed expected scheduled the a an its their his her this "
                    "that these those also now then still already just only no not more most less "
                    "very so too up in on at of for by with and or but as from into over about "
                    "than been being be have has had been a an one two three worth compared "
                    "unexpected unprecedented unsecured undisclosed unnamed unconfirmed "
                    "unidentified unemployed unchanged unsold unresolved unspecified".split()),
    "fr": frozenset("le la les un une des du de d l en au aux pas plus ne n y se s deja aussi "
                    "encore tres bien".split()),
}
_FR_PARTICIPLE = regex.compile(r"\p{L}{2,}(?:e|ee|es|ees|i|ie|is|ies|u|ue|us|ues|it|its|ert|erts)")


# Between an auxiliary and its verb: "has already received", "will also cut", « a déjà signé ».
_ADVERBS = {
    "en": frozenset("also already still not never just now further again recently reportedly "
                    "since then even once yet both almost nearly all".split()),
    "fr": frozenset("pas plus deja aussi encore toujours jamais bien finalement ensuite egalement "
                    "notamment alors enfin aussitot".split()),
}
# A superlative after a copula is no verb ("Chrysler was hardest hit"); these verbs end alike.
_SUPERLATIVE = regex.compile(r"\p{L}+(?:[^aeiou\W]est|iest)")
_VERBS_IN_EST = frozenset("invest protest suggest request arrest attest contest digest "
                          "harvest interest manifest detest".split())
_COPULAS = frozenset("is are was were be been being".split())
# Passive verbs of opinion that hand the event to the infinitive after them.
_HEDGES = frozenset("believed thought said reported understood rumoured rumored estimated alleged "
                    "considered known expected set due".split())
_TIVE = regex.compile(r"\p{L}+(?:ative|itive|ctive|sive)")  # adjectives: negative, competitive
_REDUCED = frozenset("when if once unless although though whenever".split())  # "when asked"
# Words that open a noun phrase: a past participle right after one is an adjective.
_NOUN_OPENERS = frozenset("the a an its their his her our your this these those many some several "
                          "all other such".split())
_PRESENT_3RD = regex.compile(r"\p{L}{2,}[^su\W]s")


def _auxiliary_before(words: tuple[_Word, ...], i: int, language: str) -> str | None:
    """The auxiliary, modal or ``to`` word i follows, over adverbs in between, or None."""
    j = i - 1
    while j >= 0 and words[j + 1].spaced and (words[j].text in _ADVERBS[language]
                                              or (language == "en" and words[j].text.endswith("ly"))):
        j -= 1
    if j < 0 or not words[j + 1].spaced:  # "to 26 cents", "is $4 per share"
        return None
    return words[j].text if words[j].text in _AUXILIARIES[language] else None


def verb_like(words: tuple[_Word, ...], i: int, language: str) -> bool:
    """Whether word i looks like a verb in ``language`` (``en``, ``fr``) by its form alone.

    A capitalised word inside the sentence is a name, not a verb ("to AirTran"); an adverb or a
    superlative after an auxiliary is not the verb, the word after it may be ("was hardest hit",
    "has already received")."""
    word = words[i].text
    if language not in _AUXILIARIES or len(word) < 2 or word in _NOT_VERBS[language]:
        return False
    if i > 0 and words[i].capital:
        return False
    if word in _ADVERBS[language] or word in _AUXILIARIES[language]:
        return False
    auxiliary = _auxiliary_before(words, i, language)
    if language == "en":
        if word.endswith("ly") or (_SUPERLATIVE.fullmatch(word) and word not in _VERBS_IN_EST):
            return False
        if auxiliary in _COPULAS and word.endswith("er"):  # "were lower", "was higher"
            return False
        if auxiliary is None and i > 0 and words[i - 1].text in _NOUN_OPENERS:
            return False  # in a noun phrase: "the idled plants", "many respected nameplates"
        if auxiliary == "to" and word.endswith("ing"):  # "in response to growing losses"
            return False
        if auxiliary in _COPULAS and word in _HEDGES and i + 1 < len(words) \
                and words[i + 1].text == "to":  # "is believed to be worth": the next verb is
            return False
        if _TIVE.fullmatch(word) or (i > 0 and words[i - 1].text in _REDUCED and word.endswith("ed")):
            return False  # "having negative impact"; "when asked whether"
        return word in _IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4) \
            or auxiliary is not None
    return auxiliary is not None and _FR_PARTICIPLE.fullmatch(word) is not None


# A verb under one of these modals, or negated, reports what may, could or did not happen: no
# event of a timeline ("Fiat can assume the majority", "It could part ways", "We do not exclude
# any option"). ``will`` is not among them: a future the article states is an event to come.
_MODALS = {
    "en": frozenset("would could can cannot may might should must shall".split()),
    "fr": frozenset("pourrait pourraient devrait devraient peut peuvent doit doivent "
                    "pourra pourront".split()),
}
_NEGATIONS = {"en": frozenset("not never".split()), "fr": frozenset("ne n pas jamais".split())}


def unreal(sentence: str, start: int, language: str) -> bool:
    """Whether the word at ``sentence[start:]`` is under a modal or a negation: a possibility,
    an obligation or a denial, not an event that happened or is to happen ("It could part ways
    with the loss-making business", "did not cover", « n'a pas signé »). Read back from the word
    over auxiliaries and adverbs only, so a modal of another clause does not count."""
    if language not in _MODALS:
        return False
    words = _words(sentence)
    at = next((i for i, w in enumerate(words) if w.start <= start < w.end), None)
    if at is None:
        return False
    for j in range(at - 1, -1, -1):
        w = words[j]
        if (w.text in _MODALS[language] and not w.capital) or w.text in _NEGATIONS[language]:
            return True  # not "in May"
        if w.text == "t" and j > 0 and words[j - 1].text.endswith("n") and not w.spaced:
            return True  # "didn't", "can't"
        if w.text == "to" or (w.text not in _AUXILIARIES[language]
                              and w.text not in _ADVERBS[language]):
            return False
    return False


_DETERMINERS = frozenset("a an the its his her their this that le la les l un une des du sa son "
                         "ses leur leurs ce cette".split())
# Nouns that name an event, common in news (the table's nouns name a predicate with a key).
_EVENT_NOUNS = {
    "en": frozenset("deal deals sale sales loss losses profit profits flight flights crash crashes "
                    "bid bids offer offers purchase purchases order orders merger mergers takeover "
                    "talks negotiations delivery deliveries bankruptcy agreement agreements "
                    "contract contracts strike strikes protest protests trial election elections "
                    "acquisition acquisitions layoffs cuts plan plans".split()),
    "fr": frozenset("accord accords vente ventes perte pertes vol vols offre offres achat achats "
                    "fusion rachat negociations livraison livraisons faillite contrat contrats "
                    "greve greves proces election elections".split()),
}


def _event_subject(words: tuple[_Word, ...], i: int, language: str) -> int | None:
    """The event noun right before verb i (over its auxiliaries and adverbs) that is its subject:
    "the deal was approved", "sales dropped", "test flight delayed"; the noun is then the event
    the sentence reports, the verb what became of it. Not across ``to``: "a plan to relieve"
    is no subject and its verb."""
    j = i - 1
    while j >= 0 and words[j].text != "to" and (words[j].text in _AUXILIARIES[language]
                                                 or words[j].text in _ADVERBS[language]):
        j -= 1
    nouns = _EVENT_NOUNS.get(language, frozenset())
    return j if j >= 0 and words[j].text in nouns else None


def _verb_or_subject(words: tuple[_Word, ...], i: int, language: str) -> Found:
    """Verb i, or the event noun that is its subject (``_event_subject``), with no key."""
    subject = _event_subject(words, i, language)
    at = words[i if subject is None else subject]
    return Found(None, at.start, at.end)


def _headline_present(words: tuple[_Word, ...], i: int, language: str) -> bool:
    """A present third-person verb right after a name, as headlines write what happened: "Boeing
    delivers final 717", "Chrysler files for bankruptcy"."""
    return (language == "en" and 0 < i < len(words) - 1 and words[i - 1].capital
            and not words[i].capital  # not a subject: "European markets were lower"
            and words[i + 1].text not in _AUXILIARIES[language]
            and _PRESENT_3RD.fullmatch(words[i].text) is not None
            and words[i].text not in _NOT_VERBS[language])


def main_predicate(sentence: str, language: str | None = None) -> Found | None:
    """The predicate an undated sentence reports: its first one of the table (the main clause
    comes first in news prose: « Emmanuel Macron a condamné le coup d'État »); with
    ``language``, else its first verb-like word (``verb_like``), with no known predicate; or
    None."""
    words = _words(sentence)
    first: Found | None = None
    for i in range(len(words)):
        hit = _found(words, i)
        if hit is not None:
            found = Found(hit[0], words[i].start, words[i + hit[1] - 1].end)
            if i == 0 or words[i - 1].text not in _DETERMINERS:
                return found
            first = first or found  # a noun ("in a statement, SIA said"): a verb of the table wins
    if first is not None:
        return first
    if language is not None:  # a verb by its form first; else a headline's present
        for looks_like in (verb_like, _headline_present):
            for i in range(len(words)):
                if looks_like(words, i, language):
                    return _verb_or_subject(words, i, language)
    return None



# Event nouns that, beside a verb, name what the event produced rather than another event: a
# reader's event is "Airbus won an order", "signed a contract", "announced a plan" (the verb,
# found as the sentence's own), not the order, the contract or the plan.
_RESULT_NOUNS = {
    "en": frozenset("order orders contract contracts plan plans agreement agreements".split()),
    "fr": frozenset("contrat contrats".split()),
}
# Words that may follow an event noun that stands alone ("the deal was", "bankruptcy and").
_AFTER_NOUN = {
    "en": frozenset("of for from to with by in on at as and or but that which who was were is are "
                    "has have had will would could should may might can must be been not the a an "
                    "its their this these those it they he she than after before since until "
                    "during between over under into worth two three four five six seven eight "
                    "nine ten twenty thirty forty fifty hundred thousand million billion".split()),
    "fr": frozenset("de d du des la le les l a au aux en pour par avec sur et ou mais que qui "
                    "est sont a ont sera seront etait etaient entre apres avant depuis".split()),
}


def _modifier(words: tuple[_Word, ...], i: int, language: str) -> bool:
    """Whether noun i modifies the noun after it, so names no event of its own: "the bankruptcy
    filing", "the bankruptcy process", "director of sales analysis" (English puts modifiers
    first; a verb after it makes it a subject instead: "sales dropped")."""
    if language != "en" or i + 1 >= len(words) or not words[i + 1].spaced:
        return False
    if i > 0 and words[i - 1].text == "to":  # a verb: "to purchase twenty jets"
        return False
    after = words[i + 1]
    return (regex.fullmatch(r"\p{L}{3,}", after.text) is not None and not after.capital
            and after.text not in _AFTER_NOUN[language] and not verb_like(words, i + 1, language))


def event_words(sentence: str, language: str) -> list[Found]:
    """The other events a sentence reports beside its predicate, in order: each event noun
    (``_EVENT_NOUNS``: "GM filed for bankruptcy", "the sale of"; not a result noun,
    ``_RESULT_NOUNS``, nor a noun modifying the next one, ``_modifier``) and, after each verb of
    saying of the table, the first verb-like word of what is said ("says that it will be
    compensated", "announced today it would cut"), with no key."""
    words = _words(sentence)
    nouns = _EVENT_NOUNS.get(language, frozenset()) - _RESULT_NOUNS.get(language, frozenset())
    found: list[Found] = []
    i = 0
    while i < len(words):
        hit = _found(words, i)
        if hit is None:
            if words[i].text in nouns and not _modifier(words, i, language):
                found.append(Found(None, words[i].start, words[i].end))
            i += 1
            continue
        i += hit[1]
        if hit[0].kind == "report":
            for j in range(i, len(words)):
                if _found(words, j) is not None:  # another of the table's: found as it is
                    break
                if verb_like(words, j, language):
                    found.append(Found(None, words[j].start, words[j].end))
                    break
    return found
