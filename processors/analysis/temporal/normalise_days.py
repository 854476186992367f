"""Resolvers for expressions that name one day (or a range of days)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

from .calendar_spans import (
    month_span,
    pick_occurrence,
    pick_unmarked,
    safe_date,
    shift_month,
    weekday_date,
    year_span,
)
from .normalisation import Context, Normalised, Slots, day_value, marked_direction, month_of, year_of


def normalise_date(slots: Slots, context: Context) -> Normalised | None:
    """``4 septembre 2023``, ``le 30 août dernier``, ``lundi 4 septembre``, ``Sept. 4``."""
    day = find_day(slots, context, int(slots["day"]), month_of(slots))  # type: ignore[call-overload]
    if day is None:
        return None
    return Normalised(day, day, "day", day_value(day, slots.get("pod")))


def find_day(slots: Slots, context: Context, day: int, month: int | None) -> date | None:
    """Return the date meant by a day and month, choosing the year when none is given."""
    if month is None:
        return None
    year = year_of(slots)
    if year is not None:
        return safe_date(year, month, day)
    years = range(context.anchor.year - 1, context.anchor.year + 2)
    candidates = [found for found in (safe_date(y, month, day) for y in years) if found]
    if "weekday" in slots:
        agreeing = [found for found in candidates if found.weekday() == slots["weekday"]]
        candidates = agreeing or candidates
        if len(agreeing) == 1:
            return agreeing[0]
    way = marked_direction(slots)
    if way is None:  # the tense decides
        return pick_unmarked(candidates, context.anchor, context.is_future)
    if way == "next":  # "le 4 septembre prochain": on or after the anchor
        way = "future"
    elif way == "this":
        way = None
    return pick_occurrence(candidates, context.anchor, way)


def normalise_date_range(slots: Slots, context: Context) -> Normalised | None:
    """``du 9 au 12 juin``, ``from June 9 to 12``, ``du 30 juin au 2 juillet``."""
    last_month = month_of(slots, "2") or month_of(slots)
    first_month = month_of(slots) if month_of(slots, "2") else last_month
    first = find_day(slots, context, int(slots["day"]), first_month)  # type: ignore[call-overload]
    if first is None or last_month is None:
        return None
    last = safe_date(first.year, last_month, int(slots["day2"]))  # type: ignore[call-overload]
    if last is not None and last < first:
        last = safe_date(first.year + 1, last_month, last.day)
    if last is None or last <= first:
        return None
    return Normalised(first, last, "day", f"{first.isoformat()}/{last.isoformat()}")


def normalise_weekday(slots: Slots, context: Context) -> Normalised | None:
    """``lundi``, ``ce jeudi``, ``mardi dernier``, ``next Friday``, ``Sunday night``."""
    weekday = int(slots["weekday"])  # type: ignore[call-overload]
    way = marked_direction(slots)
    if way is None and weekday != context.anchor.weekday():  # else the anchor itself, whatever the tense
        way = "future" if context.future else None
    day = weekday_date(context.anchor, weekday, way)
    return Normalised(day, day, "day", day_value(day, slots.get("pod")))


def normalise_deictic(slots: Slots, context: Context) -> Normalised | None:
    """``hier``, ``avant-hier``, ``demain matin``, ``tonight``, ``yesterday``."""
    offset, part_of_day = cast(tuple[int, str | None], slots["deictic"])
    day = context.anchor + timedelta(days=offset)
    return Normalised(day, day, "day", day_value(day, slots.get("pod", part_of_day)))


def normalise_offset(slots: Slots, context: Context, sign: int) -> Normalised | None:
    """``il y a trois jours``, ``three days ago``, ``dans deux semaines``, ``in two years``."""
    amount = slots.get("number", 1)
    if isinstance(amount, str):
        amount = float(amount.replace(",", ".")) if amount[:1].isdigit() else None
    if amount is None or amount != int(amount):  # type: ignore[call-overload]
        return None
    count = sign * int(amount)  # type: ignore[call-overload]
    unit = slots["unit"]
    if unit in ("D", "W"):
        day = context.anchor + timedelta(days=count * (7 if unit == "W" else 1))
        return Normalised(day, day, "day", day.isoformat())
    if unit == "M":
        year, month = shift_month(context.anchor.year, context.anchor.month, count)
        return Normalised(*month_span(year, month), "month", f"{year}-{month:02d}")
    if unit == "Y":
        year = context.anchor.year + count
        return Normalised(*year_span(year), "year", str(year))
    return None


def normalise_ago(slots: Slots, context: Context) -> Normalised | None:
    """An offset into the past from the anchor."""
    return normalise_offset(slots, context, -1)


def normalise_ahead(slots: Slots, context: Context) -> Normalised | None:
    """An offset into the future from the anchor."""
    return normalise_offset(slots, context, 1)


def normalise_ahead_if_future(slots: Slots, context: Context) -> Normalised | None:
    """ "will meet in two weeks" is a date; "the first time in five years" is a duration."""
    return normalise_offset(slots, context, 1) if context.future else None
