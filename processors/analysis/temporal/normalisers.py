"""The normaliser for each rule kind a language table may use."""

from __future__ import annotations

from .normalisation import NOT_A_DATE, Context, Normalised, Normaliser, Slots
from .normalise_days import (
    normalise_ago,
    normalise_ahead,
    normalise_ahead_if_future,
    normalise_date,
    normalise_date_range,
    normalise_deictic,
    normalise_weekday,
)
from .normalise_periods import (
    normalise_decade,
    normalise_generic_season,
    normalise_month,
    normalise_part_of_month,
    normalise_quarter,
    normalise_relative_unit,
    normalise_season,
    normalise_year,
    normalise_year_range,
)
from .normalise_times import (
    normalise_duration,
    normalise_part_of_day,
    normalise_present,
    normalise_relative_day,
    normalise_set,
    normalise_time,
    normalise_time_range,
)


def normalise_not_a_date(slots: Slots, context: Context) -> Normalised | None:
    """A name that contains a date word but is none ("Sunday Times", "mardi gras")."""
    return Normalised(None, None, NOT_A_DATE, None)


NORMALISERS: dict[str, Normaliser] = {
    "not_a_date": normalise_not_a_date,
    "date": normalise_date,
    "date_range": normalise_date_range,
    "weekday": normalise_weekday,
    "deictic": normalise_deictic,
    "ago": normalise_ago,
    "ahead": normalise_ahead,
    "ahead_if_future": normalise_ahead_if_future,
    "month": normalise_month,
    "part_of_month": normalise_part_of_month,
    "relative_unit": normalise_relative_unit,
    "year": normalise_year,
    "year_range": normalise_year_range,
    "decade": normalise_decade,
    "season": normalise_season,
    "generic_season": normalise_generic_season,
    "quarter": normalise_quarter,
    "time": normalise_time,
    "time_range": normalise_time_range,
    "part_of_day": normalise_part_of_day,
    "relative_day": normalise_relative_day,
    "duration": normalise_duration,
    "set": normalise_set,
    "present": normalise_present,
}
