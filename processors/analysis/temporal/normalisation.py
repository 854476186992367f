"""What a normaliser receives (slot meanings, context) and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

Slots = Mapping[str, object]


def _never() -> bool:
    return False


class Context(NamedTuple):
    """What a normaliser may know beyond the slots: the anchor day and the clause's tense.

    The tense is read only when a normaliser asks (``future``): most matches never need it.
    Like the two below, a named tuple: one is built per resolved match, faster than a frozen
    dataclass (which sets each field through ``object.__setattr__``).
    """

    anchor: date
    is_future: Callable[[], bool] = _never

    @property
    def future(self) -> bool:
        """Tell whether the clause of the match is marked future (``will``, ``sera``)."""
        return self.is_future()


class Normalised(NamedTuple):
    """The language-independent meaning of one match."""

    start: date | None
    end: date | None
    granularity: str
    value: str | None
    mod: str | None = None


class Candidate(NamedTuple):
    """One resolved match, before overlaps are settled: its span, rule and meaning."""

    start: int
    end: int
    priority: int
    kind: str
    resolved: Normalised


Normaliser = Callable[[Slots, Context], Normalised | None]

NOT_A_DATE = "not-a-date"  # granularity of names such as "Sunday Times": they win and vanish

RELATION_DELTA = {"past": -1, "next": 1, "this": 0}


def relation(slots: Slots) -> str | None:
    """Return ``past``/``next``/``this`` from the ``rel`` or ``this`` slot, if any."""
    if "rel" in slots:
        return str(slots["rel"])
    if "this" in slots:
        return "this"
    return None


def marked_direction(slots: Slots) -> str | None:
    """Return ``past``/``next``/``this`` when a marker gives the direction, else None (the tense does)."""
    rel = relation(slots)
    return rel if rel in ("past", "next", "this") else None


def direction(slots: Slots, context: Context) -> str | None:
    """Return the search direction for a partial date: marker first, then tense."""
    return marked_direction(slots) or ("future" if context.future else None)


def year_of(slots: Slots) -> int | None:
    """Return the explicit year of a match (four digits, or two digits after an apostrophe)."""
    if "year" in slots:
        return int(slots["year"])  # type: ignore[call-overload]
    if "yy" in slots:
        short = int(slots["yy"])  # type: ignore[call-overload]
        return 2000 + short if short < 50 else 1900 + short
    return None


def month_of(slots: Slots, suffix: str = "") -> int | None:
    """Return the month named (``juin``) or numbered (``06``) in a match."""
    for name in (f"month{suffix}", f"month_full{suffix}", f"month_num{suffix}"):
        if name in slots:
            return int(slots[name])  # type: ignore[call-overload]
    return None


def day_value(day: date, part_of_day: object = None) -> str:
    """Return the TIMEX3 value of a day, with a part of day (``2023-07-26TEV``) if given."""
    return day.isoformat() + (f"T{part_of_day}" if part_of_day else "")
