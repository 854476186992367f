"""Resolvers for what names no calendar day: times of day, durations, sets, "now"."""

from __future__ import annotations

from .normalisation import Context, Normalised, Slots

_SMALL_UNITS = {"H": "H", "MIN": "M", "S": "S"}
_UNIT_YEARS = {"DE": 10, "CE": 100}


def clock_value(slots: Slots, suffix: str = "") -> str | None:
    """Return ``T22:00`` for the hour/minute (or ``midi``) slots with ``suffix``."""
    if f"clock{suffix}" in slots:
        return f"T{slots[f'clock{suffix}']}"
    hour = int(slots[f"hour{suffix}"])  # type: ignore[call-overload]
    minute = int(slots.get(f"minute{suffix}", 0))  # type: ignore[call-overload]
    meridiem = slots.get(f"ampm{suffix}")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return f"T{hour:02d}:{minute:02d}"


def normalise_time(slots: Slots, context: Context) -> Normalised | None:
    """``22h``, ``21 h 45``, ``9 a.m.``, ``midi``."""
    value = clock_value(slots)
    return Normalised(None, None, "time", value) if value else None


def normalise_time_range(slots: Slots, context: Context) -> Normalised | None:
    """``de 22h à 5h``, ``from 9 a.m. to 5 p.m.``."""
    if "ampm2" in slots and "ampm" not in slots and "clock" not in slots:
        slots = {**slots, "ampm": slots["ampm2"]}
    first, last = clock_value(slots), clock_value(slots, "2")
    if first is None or last is None:
        return None
    return Normalised(None, None, "time", f"{first}/{last}")


def amount_text(amount: object) -> str:
    """Return a duration amount as TIMEX3 writes it: ``3``, ``30.4``, ``X`` when vague."""
    if isinstance(amount, str):
        if not amount[:1].isdigit():
            return "X"
        amount = float(amount.replace(",", "."))
    if isinstance(amount, float) and amount.is_integer():
        amount = int(amount)
    return str(amount)


def normalise_duration(slots: Slots, context: Context) -> Normalised | None:
    """``trois jours``, ``48 hours``, ``plus de vingt ans``, ``a decade``."""
    if "duration_phrase" in slots:
        return Normalised(None, None, "duration", str(slots["duration_phrase"]))
    unit = str(slots["unit"])
    amount = amount_text(slots.get("number", "X"))
    if unit in _UNIT_YEARS and amount != "X":
        value = f"P{int(float(amount) * _UNIT_YEARS[unit])}Y"
    elif unit in _SMALL_UNITS:
        value = f"PT{amount}{_SMALL_UNITS[unit]}"
    elif unit in _UNIT_YEARS:
        value = "PXY"
    else:
        value = f"P{amount}{unit}"
    mod = slots.get("quant")
    return Normalised(None, None, "duration", value, str(mod) if mod else None)


def normalise_set(slots: Slots, context: Context) -> Normalised | None:
    """``chaque jour``, ``tous les ans``, ``every Monday``, ``annually``."""
    if "set_phrase" in slots:
        value = str(slots["set_phrase"])
    elif "weekday" in slots:
        value = f"XXXX-WXX-{int(slots['weekday']) + 1}"  # type: ignore[call-overload]
    elif "pod" in slots:
        value = f"XXXX-XX-XXT{slots['pod']}"
    else:
        unit = str(slots["unit"])
        value = f"PT1{_SMALL_UNITS[unit]}" if unit in _SMALL_UNITS else f"P1{unit}"
    return Normalised(None, None, "set", value)


def normalise_present(slots: Slots, context: Context) -> Normalised | None:
    """``maintenant``, ``now``, ``currently``: a reference to the present, not a day."""
    return Normalised(None, None, "time", str(slots["present"]))


def normalise_part_of_day(slots: Slots, context: Context) -> Normalised | None:
    """``dans la nuit``, ``en fin d'après-midi``, ``le matin même``: a part of a day.

    Like a clock time it names no day by itself: the engine gives it the date of a day named
    in the same sentence (``le 24 mars ... la nuit``), else it stays ``TNI``.
    """
    mod = slots.get("pom")
    return Normalised(None, None, "time", f"T{slots['pod']}", str(mod) if mod else None)


def normalise_relative_day(slots: Slots, context: Context) -> Normalised | None:
    """``le lendemain``, ``la veille au soir``, ``le même jour``: a day counted from a day of
    the story, not from the article's date, so no calendar day (``XXXX-XX-XX``). Like every
    expression without days, its granularity is ``time``; the engine dates only values that
    start with ``T``, so it stays undated."""
    part_of_day = f"T{slots['pod']}" if "pod" in slots else ""
    return Normalised(None, None, "time", f"XXXX-XX-XX{part_of_day}")
