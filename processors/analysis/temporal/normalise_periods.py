"""Resolvers for expressions that name a span longer than a day."""

from __future__ import annotations

from datetime import date, timedelta

from .calendar_spans import (
    month_span,
    part_of_month_span,
    pick_occurrence,
    pick_unmarked,
    quarter_span,
    season_of,
    season_span,
    shift_month,
    week_span,
    week_value,
    year_span,
)
from .normalisation import (
    RELATION_DELTA,
    Context,
    Normalised,
    Slots,
    direction,
    marked_direction,
    month_of,
    relation,
    year_of,
)


def find_month(slots: Slots, context: Context) -> tuple[int, int] | None:
    """Return (year, month) of a named month, choosing the year when none is given."""
    month = month_of(slots)
    if month is None:
        return None
    year = year_of(slots)
    if year is not None:
        return year, month
    anchor_month = context.anchor.replace(day=1)
    months = [date(y, month, 1) for y in range(context.anchor.year - 1, context.anchor.year + 2)]
    way = marked_direction(slots)
    if way == "next":  # "juin prochain" said in June is next year's June
        anchor_month = date(*shift_month(anchor_month.year, anchor_month.month, 1), 1)
        way = "future"
    elif way == "this":
        way = None
    elif way is None:  # the tense decides
        return _year_month(pick_unmarked(months, anchor_month, context.is_future))
    return _year_month(pick_occurrence(months, anchor_month, way))


def _year_month(found: date | None) -> tuple[int, int] | None:
    return (found.year, found.month) if found else None


def normalise_month(slots: Slots, context: Context) -> Normalised | None:
    """``juin 2023``, ``juin prochain``, ``septembre dernier``, ``in February``."""
    found = find_month(slots, context)
    if found is None:
        return None
    year, month = found
    return Normalised(*month_span(year, month), "month", f"{year}-{month:02d}")


def normalise_part_of_month(slots: Slots, context: Context) -> Normalised | None:
    """``mi-août``, ``début février``, ``late July``, ``early next month``, ``fin 2022``."""
    mod = str(slots["pom"])
    anchor = context.anchor
    unit = slots.get("cal_unit")
    if unit == "Y" or (unit is None and "year" in slots and month_of(slots) is None):
        year = year_of(slots) or anchor.year + RELATION_DELTA.get(relation(slots) or "this", 0)
        return _part_of_year(year, mod, anchor)
    if unit == "W":
        return _part_of_week(anchor, mod, RELATION_DELTA.get(relation(slots) or "this", 0))
    if unit == "M":
        delta = RELATION_DELTA.get(relation(slots) or "this", 0)
        year, month = shift_month(anchor.year, anchor.month, delta)
    else:
        found = find_month(slots, context)
        if found is None:
            return None
        year, month = found
    value = f"{year}-{month:02d}"
    around = _around_anchor(*month_span(year, month), anchor, mod, "part-of-month", value)
    return around or Normalised(*part_of_month_span(year, month, mod), "part-of-month", value, mod)


def _part_of_week(anchor: date, mod: str, delta: int) -> Normalised:
    monday, sunday = week_span(anchor + timedelta(weeks=delta))
    value = week_value(monday)
    around = _around_anchor(monday, sunday, anchor, mod, "week", value)
    first, last = {"START": (0, 2), "MID": (2, 4), "END": (4, 6)}.get(mod, (0, 6))
    span = (monday + timedelta(days=first), monday + timedelta(days=last))
    return around or Normalised(*span, "week", value, mod)


def _part_of_year(year: int, mod: str, anchor: date) -> Normalised:
    around = _around_anchor(date(year, 1, 1), date(year, 12, 31), anchor, mod, "year", str(year))
    return around or Normalised(*year_span(year, mod), "year", str(year), mod)


def _around_anchor(
    first: date, last: date, anchor: date, mod: str, granularity: str, value: str
) -> Normalised | None:
    """ "earlier this month": its first day to the day before the anchor; "later": after it."""
    if mod == "EARLIER":
        return Normalised(first, max(first, anchor - timedelta(days=1)), granularity, value)
    if mod == "LATER":
        return Normalised(min(last, anchor + timedelta(days=1)), last, granularity, value)
    return None


def normalise_relative_unit(slots: Slots, context: Context) -> Normalised | None:
    """``la semaine dernière``, ``ce mois-ci``, ``l'an dernier``, ``this week``, ``next year``."""
    delta = RELATION_DELTA[relation(slots) or "this"]
    anchor = context.anchor
    unit = slots["cal_unit"]
    if unit == "W":
        start, end = week_span(anchor + timedelta(weeks=delta))
        return Normalised(start, end, "week", week_value(start))
    if unit == "WE":
        monday = week_span(anchor + timedelta(weeks=delta))[0]
        saturday = monday + timedelta(days=5)
        if relation(slots) is None and saturday > anchor:  # "over the weekend": the last one
            saturday -= timedelta(weeks=1)
        elif delta == 0 and anchor.weekday() <= 1:  # "ce week-end" said on Monday: just past
            saturday -= timedelta(weeks=1)
        sunday = saturday + timedelta(days=1)
        return Normalised(saturday, sunday, "week", week_value(saturday) + "-WE")
    if unit == "M":
        year, month = shift_month(anchor.year, anchor.month, delta)
        return Normalised(*month_span(year, month), "month", f"{year}-{month:02d}")
    if unit == "Y":
        year = anchor.year + delta
        return Normalised(*year_span(year), "year", str(year))
    return None


def normalise_year(slots: Slots, context: Context) -> Normalised | None:
    """``en 1987``, ``since 1990``, ``l'année 2001``."""
    year = year_of(slots)
    if year is None:
        return None
    return Normalised(*year_span(year), "year", str(year))


def normalise_year_range(slots: Slots, context: Context) -> Normalised | None:
    """``entre 1990 et 1995``, ``from 2009 to 2010``, ``2009-2010``."""
    first = int(slots["year"])  # type: ignore[call-overload]
    if "yy" in slots:  # "1957-58"
        last = first // 100 * 100 + int(slots["yy"])  # type: ignore[call-overload]
    else:
        last = int(slots["year2"])  # type: ignore[call-overload]
    if last <= first:
        return None
    return Normalised(date(first, 1, 1), date(last, 12, 31), "year", f"{first}/{last}")


def normalise_decade(slots: Slots, context: Context) -> Normalised | None:
    """``les années 60``, ``the 1990s``, ``début des années 2000``."""
    if "decade_year" in slots:
        decade = int(slots["decade_year"])  # type: ignore[call-overload]
    else:
        decade = 1900 + int(slots["yy"])  # type: ignore[call-overload]
    if decade % 10:
        return None
    mod = str(slots["pom"]) if slots.get("pom") in ("START", "MID", "END") else None
    return Normalised(date(decade, 1, 1), date(decade + 9, 12, 31), "decade", str(decade // 10), mod)


def normalise_season(slots: Slots, context: Context) -> Normalised | None:
    """``l'été dernier``, ``cet été``, ``last summer``, ``summer 2022``."""
    season = str(slots["season"])
    anchor = context.anchor
    year = year_of(slots)
    if year is None:
        starts = [season_span(y, season)[0] for y in range(anchor.year - 2, anchor.year + 2)]
        current_start = season_span(*season_of(anchor))[0]
        way = direction(slots, context)
        if way == "past":  # the last such season that is over
            found = max(start for start in starts if start < current_start)
        elif way in ("next", "future"):
            found = min(start for start in starts if start > anchor)
        elif way == "this":  # the current one, or the nearest
            found = min(starts, key=lambda start: abs((start - current_start).days))
        else:
            found = pick_occurrence(starts, anchor, None) or starts[-1]
        year = found.year
    return Normalised(*season_span(year, season), "season", f"{year}-{season}")


def normalise_quarter(slots: Slots, context: Context) -> Normalised | None:
    """``au premier trimestre 2023``, ``the fourth quarter``, ``Q1 2023``."""
    quarter = int(slots["ordinal"])  # type: ignore[call-overload]
    if not 1 <= quarter <= 4:
        return None
    year = year_of(slots)
    if year is None:
        current = (context.anchor.month - 1) // 3 + 1
        year = context.anchor.year
        if context.future and quarter < current:
            year += 1
        elif not context.future and quarter > current:
            year -= 1
    return Normalised(*quarter_span(year, quarter), "quarter", f"{year}-Q{quarter}")


def normalise_generic_season(slots: Slots, context: Context) -> Normalised | None:
    """``en été``, ``les mois d'hiver``, ``été comme hiver``: every such season (``XXXX-SU``, a
    ``set``: no days), unless the clause is future (``entrera en vigueur en été``): the next one."""
    if context.future:
        return normalise_season(slots, context)
    return Normalised(None, None, "set", f"XXXX-{slots['season']}")
