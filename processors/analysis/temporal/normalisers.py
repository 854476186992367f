"""The resolver for each rule kind a language table may use."""

from __future__ import annotations

from .normalisation import NOT_A_DATE, Context, Resolved, Resolver, Slots
from .normalise_days import (
    resolve_ago,
    resolve_ahead,
    resolve_ahead_if_future,
    resolve_date,
    resolve_date_range,
    resolve_deictic,
    resolve_weekday,
)
from .normalise_periods import (
    resolve_decade,
    resolve_generic_season,
    resolve_month,
    resolve_part_of_month,
    resolve_quarter,
    resolve_relative_unit,
    resolve_season,
    resolve_year,
    resolve_year_range,
)
from .normalise_times import (
    resolve_duration,
    resolve_part_of_day,
    resolve_present,
    resolve_relative_day,
    resolve_set,
    resolve_time,
    resolve_time_range,
)


def resolve_not_a_date(slots: Slots, context: Context) -> Resolved | None:
    """A name that contains a date word but is none ("Sunday Times", "mardi gras")."""
    return Resolved(None, None, NOT_A_DATE, None)


RESOLVERS: dict[str, Resolver] = {
    "not_a_date": resolve_not_a_date,
    "date": resolve_date,
    "date_range": resolve_date_range,
    "weekday": resolve_weekday,
    "deictic": resolve_deictic,
    "ago": resolve_ago,
    "ahead": resolve_ahead,
    "ahead_if_future": resolve_ahead_if_future,
    "month": resolve_month,
    "part_of_month": resolve_part_of_month,
    "relative_unit": resolve_relative_unit,
    "year": resolve_year,
    "year_range": resolve_year_range,
    "decade": resolve_decade,
    "season": resolve_season,
    "generic_season": resolve_generic_season,
    "quarter": resolve_quarter,
    "time": resolve_time,
    "time_range": resolve_time_range,
    "part_of_day": resolve_part_of_day,
    "relative_day": resolve_relative_day,
    "duration": resolve_duration,
    "set": resolve_set,
    "present": resolve_present,
}
