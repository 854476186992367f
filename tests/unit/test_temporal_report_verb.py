"""A past reporting verb right before a weekday dates the report, not the future it reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from processors.analysis.temporal import extract_dates

TUESDAY = datetime(2023, 9, 5, 9, tzinfo=UTC)  # published Tuesday 5 September 2023


def values(text: str, language: str) -> list[tuple[str, str | None]]:
    return [(e.text, e.value) for e in extract_dates(text, published_at=TUESDAY, language=language)]


@pytest.mark.parametrize(("language", "text", "expected"), [
    # The sentence: the plan is future, the statement is Monday 4 September.
    ("en", "North Korean leader Kim Jong Un plans to travel to Russia this month to meet "
           "Vladimir Putin, the White House said on Monday.",
     [("this month", "2023-09"), ("Monday", "2023-09-04")]),
    ("en", "Kim will travel to Russia this month, the White House said Monday.",
     [("this month", "2023-09"), ("Monday", "2023-09-04")]),
    ("en", "Kim is expected to meet Putin, officials told reporters on Monday.",
     [("Monday", "2023-09-04")]),
    ("en", "Kim will go to Vladivostok, the White House said in a statement on Monday.",
     [("Monday", "2023-09-04")]),
    ("fr", "Le leader nord-coréen projette de se rendre en Russie ce mois-ci, a indiqué lundi "
           "la Maison Blanche.",
     [("ce mois-ci", "2023-09"), ("lundi", "2023-09-04")]),
    ("fr", "Le dirigeant se rendra en Russie, ont annoncé lundi ses services.",
     [("lundi", "2023-09-04")]),
    ("fr", "Il rencontrera Poutine, a-t-elle déclaré lundi.", [("lundi", "2023-09-04")]),
])
def test_a_reported_future_keeps_the_report_on_its_own_day(language, text, expected):
    assert values(text, language) == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    # No reporting verb before the weekday: the future clause still sends it forward.
    ("en", "Kim will travel to Russia on Monday, the White House said.", [("Monday", "2023-09-11")]),
    ("en", "The White House said Kim will travel to Russia on Monday.", [("Monday", "2023-09-11")]),
    ("fr", "Le leader nord-coréen se rendra en Russie lundi, a indiqué la Maison Blanche.",
     [("lundi", "2023-09-11")]),
    ("fr", "La Maison Blanche a indiqué que le dirigeant se rendra en Russie lundi.",
     [("lundi", "2023-09-11")]),
    # A participle in a future passive is no past report.
    ("en", "The results will be announced on Monday.", [("Monday", "2023-09-11")]),
    ("en", "Officials said the deal is expected to be confirmed on Monday.",
     [("Monday", "2023-09-11")]),
    ("fr", "Les résultats seront annoncés lundi.", [("lundi", "2023-09-11")]),
    # Reported in the past tense with nothing future: the past day, as before.
    ("en", "The White House said on Monday that Kim plans to travel.", [("Monday", "2023-09-04")]),
])
def test_a_future_date_after_the_report_stays_in_the_future(language, text, expected):
    assert values(text, language) == expected
