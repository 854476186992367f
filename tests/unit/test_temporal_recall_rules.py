"""French rules for parts of day, days of the story, seasons without a year and durations."""

# ruff: noqa: E501  (one case per line keeps the tables readable)

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from processors.analysis.temporal import extract_dates

PARIS = timezone(timedelta(hours=2))
MONDAY_4_SEP = datetime(2023, 9, 4, 19, 40, tzinfo=PARIS)


def found(text: str, language: str = "fr") -> list[tuple[str, str | None, str | None, str]]:
    """(text, value, start, granularity) of each expression."""
    return [
        (e.text, e.value, e.start.isoformat() if e.start else None, e.granularity)
        for e in extract_dates(text, published_at=MONDAY_4_SEP, language=language)
    ]


CASES = [
    # a part of day takes the day named in its sentence, else stays a bare part of day
    ("Le 24 mars, elle a passé la soirée et la nuit chez un ami.", [("Le 24 mars", "2023-03-24", "2023-03-24", "day"), ("la soirée", "2023-03-24TEV", None, "time"), ("la nuit", "2023-03-24TNI", None, "time")]),
    ("Auparavant, il dirigeait le club.", [("Auparavant", "PAST_REF", None, "time")]),
    ("Le recensement de mars-avril est publié.", [("mars", "2023-03", "2023-03-01", "month"), ("avril", "2023-04", "2023-04-01", "month")]),
    ("Le courant sera rétabli au cours de la nuit.", [("la nuit", "TNI", None, "time")]),
    ("En fin d'après-midi, ils l'ont relâché.", [("fin d'après-midi", "TAF", None, "time")]),
    ("Le matin même, lundi, une opération a eu lieu.", [("Le matin même", "2023-09-04TMO", None, "time"), ("lundi", "2023-09-04", "2023-09-04", "day")]),
    ("Il est parti hier en début d'après-midi.", [("hier en début d'après-midi", "2023-09-03TAF", "2023-09-03", "day")]),
    ("Samedi dans la soirée, un incendie.", [("Samedi dans la soirée", "2023-09-02TEV", "2023-09-02", "day")]),
    # days counted from a day of the story: no calendar day
    ("Il s'est échappé le lendemain matin.", [("le lendemain matin", "XXXX-XX-XXTMO", None, "time")]),
    ("Il a parlé au lendemain de la démission.", [("lendemain", "XXXX-XX-XX", None, "time")]),
    ("Le même jour à Paris, il a plu.", [("Le même jour", "XXXX-XX-XX", None, "time")]),
    # seasons: a specific one with an article, any one after "en" (unless the clause is future)
    ("Des élections à l'automne semblent probables.", [("l'automne", "2023-FA", "2023-09-01", "season")]),
    ("Ils partiront au printemps.", [("printemps", "2024-SP", "2024-03-01", "season")]),
    ("Les touristes viennent en été.", [("été", "XXXX-SU", None, "set")]),
    ("La loi entrera en vigueur en été.", [("été", "2024-SU", "2024-06-01", "season")]),
    ("Pendant les mois d'été, la ville se vide.", [("mois d'été", "XXXX-SU", None, "set")]),
    ("Eté comme hiver, il nage.", [("Eté", "XXXX-SU", None, "set"), ("hiver", "XXXX-WI", None, "set")]),
    # durations after "au terme de", "d'ici à"
    ("Au terme de trois ans de tractations, un accord.", [("trois ans", "P3Y", None, "duration")]),
    ("Elles pourraient doubler d'ici à dix ans.", [("dix ans", "P10Y", None, "duration")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_recall_rules(text: str, expected: list) -> None:
    assert found(text) == expected


TRAPS = [
    "Il a été élu. Elle avait été battue, ils ont été vus.",  # the participle of être
    "Il a été comme un frère.",
    "Il fait ses courses au Printemps Haussmann.",  # a shop
    "Le printemps arabe a surpris.",
    "Trente volontaires ont participé au printemps de l'environnement.",  # an event's name
    "Il a changé du jour au lendemain.",  # "overnight"
    "L'Institut de veille sanitaire alerte.",
    "Il y a eu une mise en veille.",
    "Cela remonte à la nuit des temps.",
    "Il travaille la nuit même si c'est dur.",
    "La nuit tombe sur Paris.",  # no cue: a generic night
]


@pytest.mark.parametrize("text", TRAPS)
def test_recall_rules_traps(text: str) -> None:
    assert found(text) == []


CASES_EN = [
    ("The day before, he had resigned.", [("The day", "XXXX-XX-XX", None, "time")]),
    ("He was released the next day.", [("the next day", "XXXX-XX-XX", None, "time")]),
    ("They met the next morning.", [("the next morning", "XXXX-XX-XXTMO", None, "time")]),
    ("Prices have risen for years.", [("years", "PXY", None, "duration")]),
    ("It could take weeks to determine.", [("weeks", "PXW", None, "duration")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES_EN)
def test_recall_rules_en(text: str, expected: list) -> None:
    assert found(text, "en") == expected


TRAPS_EN = [
    "He studied the fall of Rome.",
    "A drop in the fall in prices.",
    "In the evening of his life he wrote.",
    "A comet shone in the night sky.",  # a thing of the night, not a time
    "He read it in the morning papers.",
    "The spring of water dried.",
    "He went back for seconds.",
    "The days before the vote were tense.",
]


@pytest.mark.parametrize("text", TRAPS_EN)
def test_recall_rules_traps_en(text: str) -> None:
    assert found(text, "en") == []
