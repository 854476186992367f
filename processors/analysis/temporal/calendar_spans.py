"""Calendar arithmetic: the days a unit covers and which occurrence of a date is meant.

Pure functions over ``datetime.date``; no language here. "Past-leaning" choices reflect news:
an unmarked date usually refers to the most recent occurrence unless a later one is much nearer.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

SEASON_START_MONTH = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
PART_OF_MONTH_DAYS = {"START": (1, 10), "MID": (11, 20), "END": (21, 31)}
PART_OF_YEAR_MONTHS = {"START": (1, 4), "MID": (5, 8), "END": (9, 12)}
FUTURE_PENALTY = 2.0  # a later date must be this many times nearer to beat an earlier one


def last_day_of_month(year: int, month: int) -> date:
    """Return the last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """Return (year, month) ``delta`` months away."""
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def month_span(year: int, month: int) -> tuple[date, date]:
    """Return the first and last day of a month."""
    return date(year, month, 1), last_day_of_month(year, month)


def part_of_month_span(year: int, month: int, mod: str) -> tuple[date, date]:
    """Return the days of the start (1-10), middle (11-20) or end (21-last) of a month."""
    first, last = PART_OF_MONTH_DAYS[mod]
    last = min(last, last_day_of_month(year, month).day)
    return date(year, month, first), date(year, month, last)


def year_span(year: int, mod: str | None = None) -> tuple[date, date]:
    """Return the days of a year, or of its first, middle or last third."""
    first_month, last_month = PART_OF_YEAR_MONTHS.get(mod or "", (1, 12))
    return date(year, first_month, 1), last_day_of_month(year, last_month)


def week_span(day: date) -> tuple[date, date]:
    """Return Monday and Sunday of the ISO week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def week_value(day: date) -> str:
    """Return the TIMEX3 value of the ISO week containing ``day`` (``2023-W35``)."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def season_span(year: int, season: str) -> tuple[date, date]:
    """Return the days of a meteorological season; winter runs December to February."""
    first_month = SEASON_START_MONTH[season]
    end_year, end_month = shift_month(year, first_month, 2)
    return date(year, first_month, 1), last_day_of_month(end_year, end_month)


def season_of(day: date) -> tuple[int, str]:
    """Return (year, season code) of the season containing ``day``."""
    for season in SEASON_START_MONTH:
        start, end = season_span(day.year, season)
        if start <= day <= end:
            return day.year, season
    return day.year - 1, "WI"


def quarter_span(year: int, quarter: int) -> tuple[date, date]:
    """Return the days of a calendar quarter."""
    return date(year, 3 * quarter - 2, 1), last_day_of_month(year, 3 * quarter)


def safe_date(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when it does not exist (31 June)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def pick_occurrence(candidates: list[date], anchor: date, direction: str | None) -> date | None:
    """Choose among dates: ``past`` latest before, ``future`` earliest after, else nearest.

    Without a direction the earlier date wins unless a later one is ``FUTURE_PENALTY`` times
    nearer; the anchor day itself counts as past.
    """
    past = [day for day in candidates if day <= anchor]
    future = [day for day in candidates if day > anchor]
    if direction == "past":
        strictly = [day for day in past if day < anchor]
        return max(strictly) if strictly else None
    if direction == "future":
        later = [day for day in candidates if day >= anchor]
        return min(later) if later else None
    best_past = max(past) if past else None
    best_future = min(future) if future else None
    if best_past is None or best_future is None:
        return best_past or best_future
    past_distance = (anchor - best_past).days
    future_distance = (best_future - anchor).days
    return best_future if future_distance * FUTURE_PENALTY < past_distance else best_past


def pick_unmarked(candidates: list[date], anchor: date, is_future: Callable[[], bool]) -> date | None:
    """Choose as ``pick_occurrence`` does, in direction ``future`` if the clause is future, else none.

    The tense is read only when it can change the choice: a date the undirected choice puts on
    or after the anchor is also the earliest one on or after it.
    """
    nearest = pick_occurrence(candidates, anchor, None)
    if nearest is not None and nearest < anchor and is_future():
        return pick_occurrence(candidates, anchor, "future")
    return nearest


def weekday_date(anchor: date, weekday: int, direction: str | None) -> date:
    """Return the day with ``weekday`` (Monday=0) relative to the anchor.

    ``None``: the latest such day on or before the anchor (news report the past);
    ``past``: strictly before; ``future``: on or after; ``next``: strictly after;
    ``this``: the one in the anchor's ISO week.
    """
    back = (anchor.weekday() - weekday) % 7
    if direction == "past":
        return anchor - timedelta(days=back or 7)
    if direction == "future":
        return anchor + timedelta(days=(weekday - anchor.weekday()) % 7)
    if direction == "next":
        return anchor + timedelta(days=(weekday - anchor.weekday()) % 7 or 7)
    if direction == "this":
        return week_span(anchor)[0] + timedelta(days=weekday)
    return anchor - timedelta(days=back)
