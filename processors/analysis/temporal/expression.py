"""The value object the temporal tagger returns: one dated (or timed) span of an article."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

GRANULARITIES = (
    "day",
    "week",
    "part-of-month",
    "month",
    "season",
    "quarter",
    "year",
    "decade",
    "time",
    "duration",
    "set",
)
ROLES = ("event", "background", "caption", "metadata")


@dataclass(frozen=True, slots=True)
class TemporalExpression:
    """A temporal expression found in a text and resolved against an anchor date.

    ``start``/``end`` are inclusive calendar days; both are ``None`` for times of day,
    durations and recurring sets, which name no day by themselves. ``value`` and ``mod``
    follow TIMEX3 (``2023-08-30``, ``2023-08`` + ``MID``, ``2023-W35``, ``P3D``, ``T22:00``);
    an interval's value names both bounds (``2023-06-09/2023-06-12``, ``T22:00/T05:00``).
    """

    text: str
    start_char: int
    end_char: int
    start: date | None
    end: date | None
    granularity: str
    value: str | None
    mod: str | None
    anchor: date
    role: str

    def to_json(self) -> dict:
        """Return a JSON-ready dict keyed by the field names, dates as ISO strings."""
        out: dict = {}
        for field in fields(self):
            item = getattr(self, field.name)
            out[field.name] = item.isoformat() if isinstance(item, date) else item
        return out
