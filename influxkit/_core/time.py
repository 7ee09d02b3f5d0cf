"""Timestamps: precisions and exact conversion to integer units.

All arithmetic is on integers: a float never touches a timestamp, so nanoseconds
survive every conversion. Naive datetimes are taken as UTC, always.

An integer carries no unit: it is read in the write's precision. One that lands
before 1971-01-01 there is refused as one in the wrong unit (``int(time.time())``
written with the default nanoseconds would be stored in January 1970), naming the
unit it probably has. Datetimes, dates, time strings and numpy or pandas times carry
their unit and are never refused for being early: they are the way to write an
earlier time. Every encoder checks integer times with :data:`INT_TIME_BOUNDS` and
:func:`int_time_problem`, or through :func:`time_to_int`.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any, Final

__all__ = [
    "EARLIEST_INT_NS",
    "INT_TIME_BOUNDS",
    "PRECISIONS",
    "int_time_problem",
    "normalize_precision",
    "parse_time_string",
    "rfc3339",
    "time_to_int",
    "to_ns",
]

#: Nanoseconds in one unit of each precision, under its canonical InfluxDB 1.x name.
NS_PER_UNIT: Final[dict[str, int]] = {
    "ns": 1,
    "u": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}

# Every spelling users write, mapped to the one the server understands. InfluxDB 1.x
# silently reads an unknown precision (such as "us" or "µ") as nanoseconds, so the
# spelling sent must be one of NS_PER_UNIT's keys.
_ALIASES: Final[dict[str, str]] = {
    "n": "ns",
    "ns": "ns",
    "u": "u",
    "us": "u",
    "µ": "u",  # MICRO SIGN
    "μ": "u",  # GREEK SMALL LETTER MU
    "ms": "ms",
    "s": "s",
    "m": "m",
    "h": "h",
}
PRECISIONS: Final = tuple(_ALIASES)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_DATE = _EPOCH.date()
# The range InfluxDB stores, in nanoseconds: one nanosecond inside int64 on each side.
MIN_NS: Final = -9_223_372_036_854_775_806
MAX_NS: Final = 9_223_372_036_854_775_806
_RANGE: Final = "1677-09-21T00:12:43.145224194Z to 2262-04-11T23:47:16.854775806Z"

#: 1971-01-01T00:00:00Z in nanoseconds: the earliest time an integer may give.
EARLIEST_INT_NS: Final = 365 * 86_400_000_000_000

#: The integers accepted as times in each precision (canonical names):
#: ``(first, last)``, from 1971-01-01 to the end of InfluxDB's range.
INT_TIME_BOUNDS: Final[dict[str, tuple[int, int]]] = {
    precision: (-(-EARLIEST_INT_NS // unit), MAX_NS // unit)
    for precision, unit in NS_PER_UNIT.items()
}


def normalize_precision(precision: str | None) -> str:
    """Return the canonical name of a precision (``None`` means nanoseconds).

    Raises:
        ValueError: for a precision InfluxDB does not know.
    """
    if precision is None:
        return "ns"
    try:
        return _ALIASES[precision]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown precision {precision!r}; use one of 'ns', 'u', 'ms', 's', 'm', 'h'"
        ) from None


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_time_string(text: str) -> int:
    """Parse an ISO 8601 / RFC 3339 date or time into integer nanoseconds.

    Up to nine fractional digits are kept exactly. A string without an offset is
    UTC. Other formats are handed to ``pandas.Timestamp`` when pandas is installed.

    Raises:
        ValueError: when the string is not a time.
    """
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return _parse_with_pandas(text)
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    try:
        moment = dt.datetime(
            int(year), int(month), int(day),
            int(hour or 0), int(minute or 0), int(second or 0),
            tzinfo=dt.timezone.utc,
        )
    except ValueError as exc:
        raise ValueError(f"invalid time {text!r}: {exc}") from None
    ns = _datetime_ns(moment)
    if fraction:
        ns += int(fraction.ljust(9, "0"))
    if sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError(f"invalid time {text!r}: offset {sign}{off_h}:{off_m} is impossible")
        offset = (int(off_h) * 60 + int(off_m)) * 60_000_000_000
        ns += -offset if sign == "+" else offset
    return ns


def _parse_with_pandas(text: str) -> int:
    try:
        import pandas as pd
    except ImportError:
        raise ValueError(
            f"cannot parse time {text!r}: use ISO 8601 (e.g. '2009-11-10T23:00:00Z'), "
            "or install pandas for other formats"
        ) from None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot parse time {text!r}: {exc}") from None
    if stamp is pd.NaT:
        raise ValueError(f"cannot parse time {text!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return int(stamp.as_unit("ns").value)


def _datetime_ns(moment: dt.datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


_NUMPY_UNIT_NS: Final = {
    "W": 7 * 86_400_000_000_000, "D": 86_400_000_000_000, "h": 3_600_000_000_000,
    "m": 60_000_000_000, "s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1,
}


def _datetime64_ns(value: Any) -> int:
    # Converting with astype("datetime64[ns]") wraps around silently outside 1678-2262;
    # integer arithmetic on the value's own unit doesn't.
    import numpy as np

    if np.isnat(value):
        raise ValueError("time is NaT, not a time")
    unit, count = np.datetime_data(value.dtype)
    if unit in ("Y", "M"):
        value, unit, count = value.astype("datetime64[D]"), "D", 1
    if unit in _NUMPY_UNIT_NS:
        return int(value.astype(np.int64)) * count * _NUMPY_UNIT_NS[unit]
    finer = {"ps": 1_000, "fs": 1_000_000, "as": 1_000_000_000}[unit]
    whole, rest = divmod(int(value.astype(np.int64)) * count, finer)
    if rest:
        raise ValueError(f"time {value!r} is finer than a nanosecond")
    return whole


def to_ns(value: Any) -> int:
    """Convert a datetime, date, time string or numpy/pandas time to integer nanoseconds.

    Integers are not accepted here: they carry no unit (see :func:`time_to_int`).

    Raises:
        ValueError: for a value that is not a time.
    """
    pandas = sys.modules.get("pandas")
    if pandas is not None and value is pandas.NaT:
        raise ValueError("time is NaT, not a time")
    if isinstance(value, dt.datetime):
        nanos = getattr(value, "nanosecond", None)
        if nanos is not None and hasattr(value, "as_unit"):
            # pandas.Timestamp: keep its nanoseconds, which datetime arithmetic drops.
            # Its ``value`` is nanoseconds since the epoch in UTC, naive or aware.
            return int(value.as_unit("ns").value)
        return _datetime_ns(value)
    if isinstance(value, dt.date):
        return (value - _EPOCH_DATE).days * 86_400_000_000_000
    if isinstance(value, str):
        return parse_time_string(value)
    if type(value).__name__ == "datetime64":
        return _datetime64_ns(value)
    raise ValueError(f"unsupported time value {value!r} of type {type(value).__name__}")


def rfc3339(nanoseconds: int) -> str:
    """Format a time as InfluxDB's JSON answers do: RFC 3339 in UTC, with the fraction's
    trailing zeros left out (``1970-01-01T00:00:01.5Z``)."""
    seconds, nanos = divmod(nanoseconds, 1_000_000_000)
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def time_to_int(value: Any, precision: str) -> int:
    """Convert a point's time to an integer in ``precision`` (a canonical name).

    Integers (Python or numpy) are already in ``precision`` and are only checked.
    Datetimes and strings are converted exactly; one that is not a whole number of
    units (a datetime with milliseconds written with precision ``'s'``) is refused
    rather than truncated.

    Raises:
        ValueError: for a value that is not a time, one out of InfluxDB's range, or
            one finer than ``precision``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif hasattr(value, "__index__") and type(value).__module__ == "numpy":
        number = int(value)
    else:
        ns = to_ns(value)
        unit = NS_PER_UNIT[precision]
        number, rest = divmod(ns, unit)
        if rest:
            raise ValueError(
                f"time {value!r} is not a whole number of {_UNIT_NAMES[precision]} "
                f"(precision {precision!r}); pass a finer precision or round the time"
            )
        if not MIN_NS <= ns <= MAX_NS:
            raise ValueError(f"time {value!r} is outside the range InfluxDB stores ({_RANGE})")
        return number
    first, last = INT_TIME_BOUNDS[precision]
    if not first <= number <= last:
        raise ValueError(int_time_problem(number, precision))
    return number


def int_time_problem(number: int, precision: str) -> str:
    """Why the integer time ``number`` in ``precision`` (a canonical name), outside
    :data:`INT_TIME_BOUNDS`, is refused: where it would land, and the units that would
    put it between 1971 and 2262 (``"it looks like seconds: pass precision='s'"``)."""
    ns = number * NS_PER_UNIT[precision]
    likely = [unit for unit, per in NS_PER_UNIT.items()
              if unit != precision and EARLIEST_INT_NS <= number * per <= MAX_NS]
    hint = ""
    if likely:
        hint = (f"; it looks like {' or '.join(_UNIT_NAMES[unit] for unit in likely)}: pass "
                + " or ".join(f"precision={unit!r}" for unit in likely))
    where = f"time {number} at precision {precision!r}"
    if not MIN_NS <= ns <= MAX_NS:
        return f"{where} is outside the range InfluxDB stores ({_RANGE}){hint}"
    return (f"{where} is {rfc3339(ns)}{hint}. An integer time before 1971 is refused as "
            "one in the wrong unit; to write an earlier time, give it as a datetime")


_UNIT_NAMES: Final = {
    "ns": "nanoseconds",
    "u": "microseconds",
    "ms": "milliseconds",
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
}
