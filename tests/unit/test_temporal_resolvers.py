"""Calendar choices that read the tense of a clause only when it can change them."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from processors.analysis.temporal.calendar_spans import pick_occurrence, pick_unmarked, weekday_date

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@given(st.lists(DAYS, max_size=4), DAYS, st.booleans())
def test_pick_unmarked_is_pick_occurrence_in_the_clause_tense(
    days: list[date], anchor: date, future: bool
) -> None:
    expected = pick_occurrence(days, anchor, "future" if future else None)
    assert pick_unmarked(days, anchor, lambda: future) == expected


@given(DAYS)
def test_the_anchors_own_weekday_is_the_same_in_either_tense(anchor: date) -> None:
    assert weekday_date(anchor, anchor.weekday(), "future") == weekday_date(anchor, anchor.weekday(), None)
