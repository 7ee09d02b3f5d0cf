"""What influxkit must refuse, written out from its documentation alone: the oracle
that decides whether an encoder's refusal was due and what it must name.

The rules are those of the docstring of ``influxkit/_encode/rules.py`` and of the
README ("What influxkit promises"), restated without calling the encoder, so that an
encoder that refuses too much (or too little) cannot agree with itself:

- names (measurement, tag keys, field keys) and tag values hold no newline, no
  trailing backslash and no backslash before a comma, space, equals sign or double
  quote;
- names are not empty and do not start with a tab or NUL; a measurement does not start
  with ``#``; ``time`` is neither a tag key nor a field key;
- no field key InfluxQL reads as its own variable (``_name``, ``_tagKey``,
  ``_tagValue``, ``_fieldKey``, ``_seriesKey``), and no measurement named like an
  InfluxQL system source (``_name``, ``_series``, ``_measurements``, ``_tags``,
  ``_tagKeys``, ``_fieldKeys``, ``_tagKey``);
- no NaN or infinite float, no Decimal whose float64 is another number (one beyond
  float64's range, or with more digits than a float64 holds), no integer outside int64,
  and every point keeps at least one field;
- times lie in 1677-09-21T00:12:43.145224194Z..2262-04-11T23:47:16.854775806Z, and
  a time that is not an integer (a datetime, a string) is a whole number of the
  write's precision; an integer time, which is in the write's precision, lies in
  1971-01-01T00:00:00Z..2262-04-11T23:47:16.854775806Z (an earlier one is taken for a
  time in the wrong unit);
- no text that is not valid Unicode (a lone surrogate), which cannot be sent as UTF-8;
  the refusal names the part that holds it (as below) and the run of surrogates.

A DataFrame field column of Python objects (pandas ``object``, polars ``Object``) holds
values of one type, its missing cells left out: all strings (enum members among them,
by name), all integers, all floats (Decimals among them) or all booleans. Otherwise the
first value of another type than the first value's, or of no type line protocol has,
is refused.

A tag whose value is None or ``""`` is left out, its key unchecked; so is a field whose
value is missing. A refusal names its point (``index``, None for a whole DataFrame),
its ``field`` (``"measurement"``, ``"tag key"``, ``"field key"``, ``"fields"``,
``"time"``, or the key of the offending tag or field value) and its ``value``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from influxkit import LineProtocolError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# 1677-09-21T00:12:43.145224194Z and 2262-04-11T23:47:16.854775806Z, as documented.
MIN_NS = -(2**63) + 2
MAX_NS = 2**63 - 2
EARLIEST_INT_NS = 365 * 86_400 * 10**9  # 1971-01-01T00:00:00Z
UNIT_NS = {"ns": 1, "n": 1, "u": 1_000, "us": 1_000, "µ": 1_000, "μ": 1_000,
           "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_SURROGATES = re.compile("[\ud800-\udfff]+")


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()
"""A problem's value when the refusal may name any value (times, a point's fields)."""

Problem = tuple[int | None, str | None, Any]
"""``(index, field, value)``, as the refusal must name them."""


def bad_text(text: str) -> bool:
    """A newline, a trailing backslash, or a backslash before ``,``, `` ``, ``=``, ``"``."""
    return "\n" in text or text.endswith("\\") or re.search(r'\\[, ="]', text) is not None


SELECT_VARIABLES = frozenset({"_name", "_tagKey", "_tagValue", "_fieldKey", "_seriesKey"})
SYSTEM_SOURCES = frozenset({"_name", "_series", "_measurements", "_tags", "_tagKeys",
                            "_fieldKeys", "_tagKey"})


def bad_key(text: str, role: str = "field key") -> bool:
    return (text == "" or bad_text(text) or text[0] in "\t\x00" or text == "time"
            or (role == "field key" and text in SELECT_VARIABLES))


def bad_measurement(text: str) -> bool:
    return text == "" or bad_text(text) or text[0] in "#\t\x00" or text in SYSTEM_SOURCES


def _name(name: Any) -> Any:
    return name.name if isinstance(name, enum.Enum) else name


def _text_problems(text: str, index: int | None, field: str | None) -> list[Problem]:
    """What a text that cannot be sent as UTF-8 is refused for: each run of surrogates,
    named by the part of the point that holds it (as ``field`` names it)."""
    return [(index, field, run) for run in _SURROGATES.findall(text)]


def name_problems(name: Any, role: str, index: int | None = None) -> list[Problem]:
    """A tag key's or a field key's (``role``) problems."""
    text = _name(name)
    if not isinstance(text, str):
        return [(index, role, name)]
    found = _text_problems(text, index, role)
    if bad_key(text, role):
        found.append((index, role, text))
    return found


def tag_problems(tags: dict[Any, Any], index: int | None = None) -> list[Problem]:
    found: list[Problem] = []
    for key, value in tags.items():
        if isinstance(value, enum.Enum):
            text = value.name
        elif isinstance(value, (str, int, float, Decimal, np.generic)):
            text = str(value)
        elif value is None:
            continue
        else:
            found.append((index, key, value))
            continue
        if text == "":
            continue
        if bad_text(text):  # named as given, or as its text (an enum member's name)
            found += [(index, key, value), (index, key, text)]
        found += _text_problems(text, index, _name(key))
        found += name_problems(key, "tag key", index)
    return found


def left_out(value: Any) -> bool:
    """A field value a mapping leaves out: None, pandas' NA and NaT, but not NaN (a
    DataFrame's NaN cell is missing, and left out of its row before it is a point)."""
    return value is None or value is pd.NA or value is pd.NaT


def bad_field_value(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_, enum.Enum, str)):
        return False
    if isinstance(value, (int, np.integer)):
        return not INT64_MIN <= int(value) <= INT64_MAX
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(value)
    if isinstance(value, Decimal):
        return (not value.is_finite() or math.isinf(float(value))
                or Decimal(repr(float(value))) != value)
    return True


def _value_type(value: Any) -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (enum.Enum, str)):
        return "str"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating, Decimal)):
        return "float"
    return None


def object_column_problems(name: str, values: list[Any]) -> list[Problem]:
    """A field column of Python objects whose values (``pd.isna`` ones left out) are not
    of one type: its first value of another type, named by its row."""
    first: str | None = None
    for row, value in enumerate(values):
        missing = pd.isna(value)
        if isinstance(missing, (bool, np.bool_)) and missing:
            continue
        kind = _value_type(value)
        if kind is None or (first is not None and kind != first):
            return [(row, name, value)]
        first = kind
    return []


def exact_ns(when: Any) -> int:
    """A time that is not an integer, in nanoseconds since the epoch (naive: UTC)."""
    if isinstance(when, pd.Timestamp):
        when = when.to_datetime64()  # in its own unit, UTC
    if isinstance(when, np.datetime64):
        unit, count = np.datetime_data(when.dtype)
        return int(when.astype(np.int64)) * count * UNIT_NS[unit]
    if isinstance(when, dt.datetime):
        if when.utcoffset() is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        delta = when - EPOCH
        return ((delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds) * 1_000
    if isinstance(when, dt.date):
        return (when - EPOCH.date()).days * 86_400 * 10**9
    if isinstance(when, str):
        match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", when)
        if match is None:
            return int(pd.Timestamp(when).as_unit("ns").value)
        seconds = dt.datetime.fromisoformat(match[1]).replace(tzinfo=dt.timezone.utc)
        return exact_ns(seconds) + int((match[2] or "").ljust(9, "0"))
    raise TypeError(f"not a time: {when!r}")


def bad_time(when: Any, precision: str) -> bool:
    unit = UNIT_NS[precision]
    if isinstance(when, (int, np.integer)) and not isinstance(when, (bool, np.bool_)):
        return not EARLIEST_INT_NS <= int(when) * unit <= MAX_NS
    ns = exact_ns(when)
    return ns % unit != 0 or not MIN_NS <= ns <= MAX_NS


def point_problems(point: dict[str, Any], precision: str = "ns", index: int | None = 0, *,
                   measurement: Any = None) -> list[Problem]:
    """Every reason the rules give to refuse a point given as a mapping (``measurement``
    is the default of a point without one, as ``serialize(..., measurement=)`` takes it)."""
    found: list[Problem] = []
    name = _name(point.get("measurement") or measurement)
    if name is None or name == "":  # an empty measurement, or none: either is named
        found += [(index, "measurement", None), (index, "measurement", "")]
    elif not isinstance(name, str):
        found.append((index, "measurement", name))
    else:
        found += _text_problems(name, index, "measurement")
        if bad_measurement(name):
            found.append((index, "measurement", name))
    found += tag_problems(point.get("tags") or {}, index)
    fields = {key: value for key, value in point["fields"].items() if not left_out(value)}
    if not fields:
        found.append((index, "fields", ANY))
    for key, value in fields.items():
        found += name_problems(key, "field key", index)
        if bad_field_value(value):
            found.append((index, key, value))
        elif isinstance(value, (str, enum.Enum)):
            found += _text_problems(_name(value), index, _name(key))
    when = point.get("time")
    if when is not None and bad_time(when, precision):
        found.append((index, "time", ANY))
    return found


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    floats = (float, np.floating)
    if isinstance(a, floats) and isinstance(b, floats) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def assert_due(refusal: LineProtocolError, problems: list[Problem]) -> None:
    """The refusal names one of the problems the rules find: its point, field and value."""
    for index, field, value in problems:
        if (refusal.index == index and refusal.field == field
                and (value is ANY or _same(refusal.value, value))):
            return
    pytest.fail(
        f"refused without reason: {refusal}\n(index {refusal.index!r}, field "
        f"{refusal.field!r}, value {refusal.value!r}); the rules find "
        f"{problems or 'nothing to refuse'}"
    )
