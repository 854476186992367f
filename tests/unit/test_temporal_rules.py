"""Table-driven tests of the temporal tagger, category by category, in French and English."""

# ruff: noqa: E501  (one case per line keeps the tables readable)

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from processors.analysis.temporal import TemporalExpression, extract_dates
from processors.analysis.temporal.engine import tagger_for

PARIS = timezone(timedelta(hours=2))
MONDAY_4_SEP = datetime(2023, 9, 4, 19, 40, tzinfo=PARIS)  # a Monday
THURSDAY_27_JUL = datetime(2023, 7, 27, 11, 30, tzinfo=PARIS)
SATURDAY_26_AUG = datetime(2023, 8, 26, 9, 0, tzinfo=UTC)


def tag(text: str, language: str, published_at: datetime = MONDAY_4_SEP) -> list[TemporalExpression]:
    """Run the tagger."""
    return extract_dates(text, published_at=published_at, language=language)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_rule_example_matches_in_full(language: str) -> None:
    tagger = tagger_for(language)
    assert tagger is not None
    for compiled in tagger.rules:
        for example in compiled.rule.examples:
            assert compiled.regex.fullmatch(example), (language, compiled.rule.pattern, example)
            found = tag(f"{example} ", language)
            if compiled.rule.kind == "not_a_date":
                assert found == [], (language, example)
            else:
                assert found, (language, example)


# (language, text, expected text, start, end, granularity, value, mod); published Mon 4 Sep 2023
CASES = [
    # absolute and partial dates
    ("fr", "Il est né le 4 septembre 2023.", "le 4 septembre 2023", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("fr", "Rendez-vous le 4 sept. à Paris", "le 4 sept.", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("fr", "Publié 04/09/2023 ici", "04/09/2023", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("fr", "Le 30 août dernier, il a parlé.", "Le 30 août dernier", "2023-08-30", "2023-08-30", "day", "2023-08-30", None),
    ("fr", "il a parlé le 30 août.", "le 30 août", "2023-08-30", "2023-08-30", "day", "2023-08-30", None),
    ("fr", "Le sommet aura lieu en juin prochain.", "juin prochain", "2024-06-01", "2024-06-30", "month", "2024-06", None),
    ("fr", "Le 1er mai 2022, il pleuvait", "Le 1er mai 2022", "2022-05-01", "2022-05-01", "day", "2022-05-01", None),
    ("fr", "Lundi 4 septembre 2017, il pleuvait", "Lundi 4 septembre 2017", "2017-09-04", "2017-09-04", "day", "2017-09-04", None),
    ("fr", "Le mercredi 4 septembre, rien.", "Le mercredi 4 septembre", "2024-09-04", "2024-09-04", "day", "2024-09-04", None),
    ("en", "It happened on Sept. 4, 2019, in Ohio.", "Sept. 4, 2019", "2019-09-04", "2019-09-04", "day", "2019-09-04", None),
    ("en", "He spoke on September 4th.", "September 4th", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("en", "Released 2023-09-04 worldwide", "2023-09-04", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("en", "Talks stalled in February.", "February", "2023-02-01", "2023-02-28", "month", "2023-02", None),
    ("en", "Prices rose in May 2010.", "May 2010", "2010-05-01", "2010-05-31", "month", "2010-05", None),
    ("en", "It rained last June.", "last June", "2023-06-01", "2023-06-30", "month", "2023-06", None),
    # weekdays and deictics
    ("fr", "Il est venu lundi.", "lundi", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("fr", "Il est venu mardi dernier.", "mardi dernier", "2023-08-29", "2023-08-29", "day", "2023-08-29", None),
    ("fr", "Il viendra lundi prochain.", "lundi prochain", "2023-09-11", "2023-09-11", "day", "2023-09-11", None),
    ("fr", "Il a parlé mercredi soir.", "mercredi soir", "2023-08-30", "2023-08-30", "day", "2023-08-30TEV", None),
    ("fr", "Il est arrivé hier.", "hier", "2023-09-03", "2023-09-03", "day", "2023-09-03", None),
    ("fr", "Il est arrivé avant-hier.", "avant-hier", "2023-09-02", "2023-09-02", "day", "2023-09-02", None),
    ("fr", "Il part demain.", "demain", "2023-09-05", "2023-09-05", "day", "2023-09-05", None),
    ("fr", "Aujourd'hui, il pleut.", "Aujourd'hui", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("fr", "Il est parti il y a trois jours.", "il y a trois jours", "2023-09-01", "2023-09-01", "day", "2023-09-01", None),
    ("fr", "Il revient dans deux semaines.", "dans deux semaines", "2023-09-18", "2023-09-18", "day", "2023-09-18", None),
    ("en", "He left on Monday.", "Monday", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("en", "He left last Wednesday.", "last Wednesday", "2023-08-30", "2023-08-30", "day", "2023-08-30", None),
    ("en", "He comes back next Friday.", "next Friday", "2023-09-08", "2023-09-08", "day", "2023-09-08", None),
    ("en", "The talks will resume on Friday.", "Friday", "2023-09-08", "2023-09-08", "day", "2023-09-08", None),
    ("en", "The match was postponed until Friday.", "Friday", "2023-09-08", "2023-09-08", "day", "2023-09-08", None),
    ("en", "The match was played on Friday.", "Friday", "2023-09-01", "2023-09-01", "day", "2023-09-01", None),
    ("en", "He arrived yesterday.", "yesterday", "2023-09-03", "2023-09-03", "day", "2023-09-03", None),
    ("en", "He speaks tonight.", "tonight", "2023-09-04", "2023-09-04", "day", "2023-09-04TNI", None),
    ("en", "Today is hot.", "Today", "2023-09-04", "2023-09-04", "day", "2023-09-04", None),
    ("en", "He left three days ago.", "three days ago", "2023-09-01", "2023-09-01", "day", "2023-09-01", None),
    ("en", "He will return in two weeks.", "in two weeks", "2023-09-18", "2023-09-18", "day", "2023-09-18", None),
    ("en", "It is the first time in five years.", "five years", None, None, "duration", "P5Y", None),
    ("fr", "Dans la nuit de samedi à dimanche, des heurts.", "Dans la nuit de samedi à dimanche", "2023-09-02", "2023-09-02", "day", "2023-09-02TNI", None),
    # coarser units
    ("fr", "Il est venu la semaine dernière.", "la semaine dernière", "2023-08-28", "2023-09-03", "week", "2023-W35", None),
    ("fr", "Il est venu le mois dernier.", "le mois dernier", "2023-08-01", "2023-08-31", "month", "2023-08", None),
    ("fr", "Il viendra ce mois-ci.", "ce mois-ci", "2023-09-01", "2023-09-30", "month", "2023-09", None),
    ("fr", "Il est venu l'an dernier.", "l'an dernier", "2022-01-01", "2022-12-31", "year", "2022", None),
    ("fr", "Il est venu l’année dernière.", "l’année dernière", "2022-01-01", "2022-12-31", "year", "2022", None),
    ("fr", "Il est né en 1987.", "1987", "1987-01-01", "1987-12-31", "year", "1987", None),
    ("fr", "Il est venu l'été dernier.", "l'été dernier", "2023-06-01", "2023-08-31", "season", "2023-SU", None),
    ("fr", "Ils se sont vus à la mi-août.", "la mi-août", "2023-08-11", "2023-08-20", "part-of-month", "2023-08", "MID"),
    ("fr", "Il viendra début février.", "début février", "2024-02-01", "2024-02-10", "part-of-month", "2024-02", "START"),
    ("fr", "Il est venu fin avril.", "fin avril", "2023-04-21", "2023-04-30", "part-of-month", "2023-04", "END"),
    ("fr", "Le festival a lieu du 9 au 12 juin 2024.", "du 9 au 12 juin 2024", "2024-06-09", "2024-06-12", "day", "2024-06-09/2024-06-12", None),
    ("fr", "C'était dans les années 60.", "les années 60", "1960-01-01", "1969-12-31", "decade", "196", None),
    ("fr", "Au premier trimestre 2023, rien.", "premier trimestre 2023", "2023-01-01", "2023-03-31", "quarter", "2023-Q1", None),
    ("en", "He came last week.", "last week", "2023-08-28", "2023-09-03", "week", "2023-W35", None),
    ("en", "He comes this month.", "this month", "2023-09-01", "2023-09-30", "month", "2023-09", None),
    ("en", "He came last year.", "last year", "2022-01-01", "2022-12-31", "year", "2022", None),
    ("en", "He was born in 1987.", "1987", "1987-01-01", "1987-12-31", "year", "1987", None),
    ("en", "Sales fell in mid-February.", "mid-February", "2023-02-11", "2023-02-20", "part-of-month", "2023-02", "MID"),
    ("en", "It opened in late July.", "late July", "2023-07-21", "2023-07-31", "part-of-month", "2023-07", "END"),
    ("en", "It opens early next month.", "early next month", "2023-10-01", "2023-10-10", "part-of-month", "2023-10", "START"),
    ("en", "It closed earlier this month.", "earlier this month", "2023-09-01", "2023-09-03", "part-of-month", "2023-09", None),
    ("en", "The fair runs from June 9 to 12, 2024.", "from June 9 to 12, 2024", "2024-06-09", "2024-06-12", "day", "2024-06-09/2024-06-12", None),
    ("en", "It rained last summer.", "last summer", "2023-06-01", "2023-08-31", "season", "2023-SU", None),
    ("en", "Music of the 1990s", "the 1990s", "1990-01-01", "1999-12-31", "decade", "199", None),
    ("en", "Profit rose in the first quarter of 2023.", "the first quarter of 2023", "2023-01-01", "2023-03-31", "quarter", "2023-Q1", None),
    ("en", "Third-quarter profit rose.", "Third-quarter", "2023-07-01", "2023-09-30", "quarter", "2023-Q3", None),
    ("en", "Protests continued over the weekend.", "the weekend", "2023-09-02", "2023-09-03", "week", "2023-W35-WE", None),
    ("fr", "Des heurts pendant le week-end.", "le week-end", "2023-09-02", "2023-09-03", "week", "2023-W35-WE", None),
    # times, durations, sets: no day
    ("fr", "Un couvre-feu de 22h à 5h.", "de 22h à 5h", None, None, "time", "T22:00/T05:00", None),
    ("fr", "Il est arrivé à 14 h 30.", "14 h 30", None, None, "time", "T14:30", None),
    ("fr", "Il a marché pendant trois jours.", "trois jours", None, None, "duration", "P3D", None),
    ("fr", "Il y travaille depuis plus de vingt ans.", "plus de vingt ans", None, None, "duration", "P20Y", "MORE_THAN"),
    ("fr", "Il court chaque jour.", "chaque jour", None, None, "set", "P1D", None),
    ("fr", "Il a fait 2h de route.", "2h", None, None, "duration", "PT2H", None),
    ("en", "Open from 9 a.m. to 5 p.m. daily", "from 9 a.m. to 5 p.m.", None, None, "time", "T09:00/T17:00", None),
    ("en", "He must leave within 48 hours.", "48 hours", None, None, "duration", "PT48H", None),
    ("en", "He runs every morning.", "every morning", None, None, "set", "XXXX-XX-XXTMO", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("language", "text", "expected_text", "start", "end", "granularity", "value", "mod"), CASES
)
def test_category(
    language: str, text: str, expected_text: str, start: str | None, end: str | None,
    granularity: str, value: str, mod: str | None,
) -> None:  # fmt: skip
    found = [item for item in tag(text, language) if item.text == expected_text]
    assert found, (expected_text, [item.text for item in tag(text, language)])
    item = found[0]
    assert item.text == text[item.start_char : item.end_char]
    assert (str(item.start) if item.start else None, str(item.end) if item.end else None) == (
        start,
        end,
    )
    assert (item.granularity, item.value, item.mod) == (granularity, value, mod)


NO_DATES = [
    ("fr", "1 min de lecture"),
    ("fr", "Je m'abonne à la newsletter « Infos »"),
    ("fr", "Je crée mon compte"),
    ("en", "May I ask a question?"),
    ("en", "The COVID-19 pandemic hit hard."),
    ("en", "There were 2,024 cases."),
    ("en", "He won gold at the 2020 Olympics."),
    ("en", "Arsenal won 3-1 at home."),
    ("fr", "Le PSG s'est imposé 3-1."),
    ("en", "See page 12 for details."),
    ("fr", "Appelez le 01 23 45 67 89."),
    ("fr", "Le menu coûte 12,50 euros, soit 2 024 francs."),
    ("en", "It costs $2,024 per unit."),
    ("en", "France has about 1,500 troops in Niger."),
    ("en", "Mars is a planet; they march on."),
    ("fr", "La sonde est arrivée sur Mars."),
    ("en", "The number 2023 appears in the code."),
    ("fr", "Il a obtenu 1987 voix."),
    ("fr", "Il habite au 15, rue de la Paix."),
    ("en", "The Sunday Times and USA Today reported it."),
    ("en", "Theresa May spoke; Black Friday sales rose."),
    ("fr", "Selon le Journal du Dimanche, le mardi gras fut calme."),
    ("fr", "L'esprit de Mai 68 et l'hommage au 11-Septembre."),
]


@pytest.mark.parametrize(("language", "text"), NO_DATES)
def test_no_false_dates(language: str, text: str) -> None:
    dated = [item.text for item in tag(text, language) if item.start is not None]
    assert dated == []


def test_reading_time_is_metadata() -> None:
    found = tag("Titre\n1 min de lecture\n\nTexte.", "fr")
    assert all(item.role == "metadata" and item.start is None for item in found)


@pytest.mark.parametrize(
    "text",
    [
        "Lundi 4 septembre, la Maison-Blanche a indiqué... Le 30 août dernier, John Kirby. 1 min de lecture",
        "Lundi 4 septembre, la Maison-Blanche a indiqué que le président recevrait ses homologues "
        "dans la semaine, selon un communiqué diffusé en fin de journée par ses services. "
        "Le 30 août dernier, John Kirby avait déjà évoqué cette rencontre. 1 min de lecture",
    ],
)
def test_reading_time_on_the_same_line_leaves_the_story_dates_alone(text: str) -> None:
    published = datetime(2023, 9, 4, 19, 40, tzinfo=PARIS)
    found = {item.text: item.role for item in tag(text, "fr", published)}
    assert found["Lundi 4 septembre"] == "event"
    assert found["Le 30 août dernier"] == "event"
    assert found.get("1 min", "metadata") == "metadata"


def test_reading_time_on_a_short_line_still_marks_the_line() -> None:
    text = "Lundi 4 septembre, 1 min de lecture\nLe 30 août dernier, John Kirby a parlé."
    found = {item.text: item.role for item in tag(text, "fr")}
    assert found["Lundi 4 septembre"] == "metadata"
    assert found["Le 30 août dernier"] == "event"


@pytest.mark.parametrize(
    ("language", "text", "needle", "role"),
    [
        (
            "fr",
            "Le sommet s'est ouvert hier à Paris devant une foule nombreuse venue de toute la région "
            "pour l'occasion, malgré la pluie. Publié le 5 septembre 2023 à 21h12. Les débats ont "
            "porté sur le climat et sur le financement des infrastructures pendant trois heures.",
            "5 septembre 2023",
            "metadata",
        ),
        (
            "fr",
            "Le sommet s'est ouvert hier à Paris devant une foule nombreuse venue de toute la région "
            "pour l'occasion, malgré la pluie. Publié le 5 septembre 2023 à 21h12. Les débats ont "
            "porté sur le climat et sur le financement des infrastructures pendant trois heures.",
            "hier",
            "event",
        ),
        (
            "en",
            "The summit opened on Monday in Paris before a large crowd that had come from the whole "
            "region for the occasion, despite the rain and the strikes. Photo: AFP, Sept. 4, 2023. "
            "The talks lasted three hours and ended late on Tuesday with a joint statement.",
            "Tuesday",
            "event",
        ),
        (
            "en",
            "The summit opened on Monday in Paris before a large crowd that had come from the whole "
            "region for the occasion, despite the rain and the strikes. © AFP, Sept. 4, 2023. "
            "The talks lasted three hours and ended late on Tuesday with a joint statement.",
            "Sept. 4, 2023",
            "caption",
        ),
    ],
)
def test_roles_on_long_lines_are_judged_by_sentence(language: str, text: str, needle: str, role: str) -> None:
    assert len(text) > 200  # a flattened article: no short line to judge
    found = [item for item in tag(text, language) if needle in item.text]
    assert [item.role for item in found] == [role]


@pytest.mark.parametrize(
    ("language", "text", "needle", "role"),
    [
        ("fr", "Publié le 04/09/2023 à 21h12\nTexte.", "04/09/2023", "metadata"),
        ("fr", "Mis à jour le 5 septembre 2023\nTexte.", "5 septembre 2023", "metadata"),
        ("en", "Updated Sept. 4, 2023\nText.", "Sept. 4, 2023", "metadata"),
        (
            "fr",
            "Le président, le 19 janvier 2022\nCrédit : AFP\nTexte.",
            "19 janvier 2022",
            "caption",
        ),
        ("en", "The president on Jan. 19, 2022\nPhoto: Reuters\nText.", "Jan. 19, 2022", "caption"),
        ("fr", "Le président Bazoum, élu en 2021, est retenu.", "2021", "background"),
        ("fr", "La guerre a fini en 1945.", "1945", "background"),
        ("en", "Bazoum, elected in 2021, is held.", "2021", "background"),
        ("en", "He has lived there since 1990.", "1990", "background"),
        ("fr", "Il est venu l'an dernier.", "l'an dernier", "event"),
        ("fr", "Il est venu le 30 août.", "30 août", "event"),
    ],
)
def test_roles(language: str, text: str, needle: str, role: str) -> None:
    found = [item for item in tag(text, language) if needle in item.text]
    assert [item.role for item in found] == [role]


def test_past_is_preferred_for_unmarked_dates() -> None:
    aug = datetime(2023, 8, 15, tzinfo=PARIS)
    assert tag("Il est venu en février.", "fr", aug)[0].start == date(2023, 2, 1)
    assert tag("He came on Feb. 15.", "en", aug)[0].start == date(2023, 2, 15)
    assert tag("He came on Aug. 30.", "en", aug)[0].start == date(2023, 8, 30)  # much nearer
    assert tag("Le 30 décembre, il viendra.", "fr", datetime(2023, 12, 20, tzinfo=PARIS))[0].start == date(
        2023, 12, 30
    )


def test_a_time_takes_the_day_named_before_it_in_its_sentence() -> None:
    found = tag("Rendez-vous samedi 9 septembre, de 8 h à 12 h. Puis à 14 h.", "fr")
    assert [(item.text, item.value) for item in found] == [
        ("samedi 9 septembre", "2023-09-09"),
        ("de 8 h à 12 h", "2023-09-09T08:00/2023-09-09T12:00"),
        ("14 h", "T14:00"),
    ]
    assert found[1].start is None and found[1].granularity == "time"


def test_weekday_given_with_date_picks_the_year() -> None:
    found = tag("Le lundi 4 septembre, rien.", "fr", datetime(2024, 1, 10, tzinfo=PARIS))
    assert found[0].start == date(2023, 9, 4)


def test_anchor_is_the_local_day_of_the_publication() -> None:
    late_evening_utc = datetime(2023, 7, 27, 23, 30, tzinfo=UTC)
    in_paris = late_evening_utc.astimezone(PARIS)
    assert tag("hier", "fr", late_evening_utc)[0].start == date(2023, 7, 26)
    assert tag("hier", "fr", in_paris)[0].start == date(2023, 7, 27)


def test_updated_at_is_the_anchor_when_given() -> None:
    found = extract_dates(
        "On Monday, he spoke.", published_at=SATURDAY_26_AUG, language="en",
        updated_at=datetime(2023, 8, 28, 9, tzinfo=UTC),
    )  # fmt: skip
    assert (found[0].start, found[0].anchor) == (date(2023, 8, 28), date(2023, 8, 28))


def test_unknown_language_and_naive_datetimes() -> None:
    assert extract_dates("lundi 4 septembre", published_at=MONDAY_4_SEP, language="de") == []
    assert extract_dates("lundi", published_at=MONDAY_4_SEP, language="../x") == []
    with pytest.raises(ValueError, match="timezone-aware"):
        extract_dates("lundi", published_at=datetime(2023, 9, 4), language="fr")  # noqa: DTZ001


def test_to_json_uses_field_names_and_iso_dates() -> None:
    item = tag("Il est venu mercredi soir.", "fr", THURSDAY_27_JUL)[0]
    assert item.to_json() == {
        "text": "mercredi soir", "start_char": 12, "end_char": 25, "start": "2023-07-26",
        "end": "2023-07-26", "granularity": "day", "value": "2023-07-26TEV", "mod": None,
        "anchor": "2023-07-27", "role": "event",
    }  # fmt: skip
