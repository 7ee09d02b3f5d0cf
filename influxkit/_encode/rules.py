"""Line protocol's rules: escaping, field formatting and what is refused, in one place.

Every encoder (mappings, :class:`~influxkit.Point`, ``@lineprotocol`` classes, pandas,
polars) builds its text with these functions, or checks its columns against these
rules. What line protocol cannot carry is refused with a :class:`LineProtocolError`
naming the point and the value, before anything is sent:

- a newline in a measurement, tag key, tag value or field key (it ends the line);
- a trailing backslash in any of those (it would escape the separator after it), or
  a backslash before a comma, space, equals sign or double quote (InfluxDB 1.x reads
  it differently in different places, so the text does not read back);
- a name starting with a tab or NUL (the server strips them from some names);
- an empty measurement, tag key or field key;
- a measurement starting with ``#`` (the server reads the line as a comment and
  drops it without an error);
- ``time`` as a tag or field key (the server drops the point);
- NaN or infinite floats, integers outside int64, a point with no fields.

A tag whose value is ``None`` or ``""`` is left out of its line, as is a field whose
value is ``None``: InfluxDB has no null, and a missing tag reads back exactly like
an empty one.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from influxkit._core.limits import INT64_MAX, INT64_MIN
from influxkit._errors import LineProtocolError

__all__ = [
    "KEY_ESCAPES",
    "TEXT_REFUSALS",
    "UNSAFE_BACKSLASH",
    "escape_key",
    "escape_measurement",
    "escape_tag_value",
    "extra_tag_pieces",
    "format_field",
    "format_string",
    "fragment_pieces",
    "tag_fragment",
]


_MEASUREMENT_ESCAPES: Final = str.maketrans({",": r"\,", " ": r"\ "})
# InfluxDB 1.x reads a backslash before a comma, space, equals sign or double quote as
# an escape in some places and not in others (its line splitter, its measurement
# index, field keys): text with one cannot be stored so that it reads back.
UNSAFE_BACKSLASH: Final = r'\\[, ="]'
_UNSAFE_BACKSLASH: Final = re.compile(UNSAFE_BACKSLASH)

TEXT_REFUSALS: Final = (
    ("\n", "contains a newline"),
    (r"\\$", "ends with a backslash"),
    (UNSAFE_BACKSLASH, "has a backslash before a comma, space, equals sign or double quote"),
)
"""What names and tag values may not hold: ``(regular expression, problem)`` pairs, in
the order they are checked. The DataFrame encoders run them over whole columns (in
pyarrow's and polars' dialects, where ``$`` is the end of the text); the scalar
checks below test the same things directly."""

# The server strips these from the start of a line and of its field set.
_STRIPPED: Final = ("\t", "\x00")
KEY_ESCAPES: Final = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
"""How tag keys, tag values and field keys are escaped."""

# Escaped names repeat endlessly in real data (the same measurements, keys and tag
# values); caching them makes encoding a dictionary look-up. The caches are bounded.
_CACHE_LIMIT: Final = 200_000
measurement_cache: dict[str, str] = {}
key_cache: dict[str, str] = {}
tag_value_cache: dict[str, str] = {}


def _text_problem(text: str) -> str | None:
    """Which of :data:`TEXT_REFUSALS` refuses ``text``, if any."""
    if "\n" in text:
        return TEXT_REFUSALS[0][1]
    if "\\" in text:
        if text[-1] == "\\":
            return TEXT_REFUSALS[1][1]
        if _UNSAFE_BACKSLASH.search(text):
            return TEXT_REFUSALS[2][1]
    return None


def _check_text(text: str, role: str, field: str | None = None, value: Any = None) -> None:
    """Refuse text (a name or a tag value) that line protocol cannot carry."""
    problem = _text_problem(text)
    if problem is not None:
        raise LineProtocolError(
            f"{role} {text!r} {problem}, which line protocol cannot carry",
            field=role if field is None else field, value=text if value is None else value,
        )


def _check_name(text: str, role: str) -> None:
    if not text:
        raise LineProtocolError(f"{role} is empty", field=role, value=text)
    _check_text(text, role)


def escape_measurement(name: Any) -> str:
    """Escape a measurement name, or refuse one line protocol cannot carry."""
    if type(name) is str:
        try:
            return measurement_cache[name]
        except KeyError:
            pass
    text = _as_name(name, "measurement")
    _check_name(text, "measurement")
    if text[0] == "#":
        raise LineProtocolError(
            f"measurement {text!r} starts with '#': the server would read the line as a "
            "comment and drop it", field="measurement", value=text,
        )
    if text[0] in _STRIPPED:
        raise LineProtocolError(
            f"measurement {text!r} starts with {text[0]!r}, which the server strips",
            field="measurement", value=text,
        )
    escaped = text.translate(_MEASUREMENT_ESCAPES)
    if type(name) is str:
        if len(measurement_cache) >= _CACHE_LIMIT:
            measurement_cache.clear()
        measurement_cache[text] = escaped
    return escaped


def escape_key(key: Any, role: str = "field key") -> str:
    """Escape a tag key or field key, or refuse one line protocol cannot carry."""
    if type(key) is str:
        try:
            return key_cache[key]
        except KeyError:
            pass
    text = _as_name(key, role)
    _check_name(text, role)
    if text == "time":
        raise LineProtocolError(
            f"{role} 'time' is reserved by InfluxDB, which drops such points",
            field=role, value=text,
        )
    if text[0] in _STRIPPED:
        # The server strips them from the first field key of a line only, but which key
        # is first depends on the point: one rule for every name keeps it predictable.
        raise LineProtocolError(
            f"{role} {text!r} starts with {text[0]!r}, which the server strips",
            field=role, value=text,
        )
    escaped = text.translate(KEY_ESCAPES)
    if type(key) is str:
        if len(key_cache) >= _CACHE_LIMIT:
            key_cache.clear()
        key_cache[text] = escaped
    return escaped


def escape_tag_value(value: Any, key: str = "") -> str:
    """Escape a tag value (numbers as ``str()`` writes them, enum members by name).

    Returns ``""`` for ``None`` and the empty string: the tag is left out.
    """
    if type(value) is str:
        # Only exact strings are cached: a str-based Enum member hashes like its value
        # but is written by its name.
        try:
            return tag_value_cache[value]
        except KeyError:
            pass
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        text = value.name
    elif isinstance(value, (str, int, float, Decimal)) or type(value).__module__ == "numpy":
        text = str(value)
    else:
        raise LineProtocolError(
            f"tag {key!r} has a value of type {type(value).__name__}: {value!r}; "
            "tag values are strings", field=key, value=value,
        )
    if not text:
        return ""
    _check_text(text, f"tag {key!r} value", key, value)
    escaped = text.translate(KEY_ESCAPES)
    if type(value) is str:
        if len(tag_value_cache) >= _CACHE_LIMIT:
            tag_value_cache.clear()
        tag_value_cache[value] = escaped
    return escaped


def _as_name(name: Any, role: str) -> str:
    # Enum members are written by name everywhere, str-based ones included.
    if isinstance(name, enum.Enum):
        return name.name
    if isinstance(name, str):
        return str(name)
    raise LineProtocolError(
        f"{role} must be a string, not {type(name).__name__}: {name!r}", field=role, value=name
    )


def format_string(text: str) -> str:
    """Quote a string field value."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    return f'"{text}"'


def _format_float(value: float, key: str) -> str:
    if math.isfinite(value):
        return repr(value)
    raise LineProtocolError(
        f"field {key!r} is {value!r}; line protocol cannot carry NaN or infinity",
        field=key, value=value,
    )


def _format_int(value: int, key: str) -> str:
    if INT64_MIN <= value <= INT64_MAX:
        return f"{value}i"
    raise LineProtocolError(
        f"field {key!r} is {value}, outside the 64-bit integer range InfluxDB stores",
        field=key, value=value,
    )


def format_field(value: Any, key: str = "") -> str | None:
    """Format a field value; ``None`` for a missing (``None``) value.

    bool -> ``true``/``false``; int and numpy integers -> ``123i``; float, numpy
    floats and :class:`~decimal.Decimal` -> float; str -> quoted; an enum -> its name,
    as a string.
    """
    kind = type(value)
    if kind is float:
        return _format_float(value, key)
    if kind is int:
        return _format_int(value, key)
    if kind is str:
        return format_string(value)
    if kind is bool:
        return "true" if value else "false"
    return _format_other(value, key)


def _format_other(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return format_string(value.name)
    if isinstance(value, int):
        return _format_int(int(value), key)
    if isinstance(value, float):
        return _format_float(float(value), key)
    if isinstance(value, str):
        return format_string(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite() or math.isinf(float(value)):
            raise LineProtocolError(
                f"field {key!r} is {value!r}; line protocol cannot carry NaN, infinity or "
                "numbers beyond the float64 range", field=key, value=value,
            )
        return str(value)
    if type(value).__module__ == "numpy":
        import numpy as np

        if isinstance(value, np.bool_):
            return "true" if value else "false"
        if isinstance(value, np.integer):
            return _format_int(int(value), key)
        if isinstance(value, np.floating):
            return _format_float(float(value), key)
        if isinstance(value, np.str_):
            return format_string(str(value))
    if _is_missing(value):
        return None
    raise LineProtocolError(
        f"field {key!r} has a value of type {type(value).__name__}: {value!r}; field values "
        "are float, int, bool or str", field=key, value=value,
    )


def _is_missing(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


def tag_fragment(tags: Mapping[str, Any] | None) -> str:
    """Encode tags as ``,k=v,k2=v2`` (empty values left out), for a line's tag set."""
    if not tags:
        return ""
    parts = []
    for key, value in tags.items():
        escaped = escape_tag_value(value, key)
        if escaped:
            parts.append(f",{escape_key(key, 'tag key')}={escaped}")
    return "".join(parts)


def extra_tag_pieces(extra_tags: Mapping[str, Any]) -> dict[str, str]:
    """Each extra tag's ``,key=value`` text by its name, for the DataFrame encoders.

    Like the mapping encoder: a tag without a value is left out, its key unchecked.
    """
    pieces: dict[str, str] = {}
    for key, value in extra_tags.items():
        text = escape_tag_value(value, key)
        if text:
            pieces[key] = f",{escape_key(key, 'tag key')}={text}"
    return pieces


# An extra-tag fragment, as tag_fragment makes it: ``,key=value`` pieces in which
# every literal comma and equals sign is escaped, and no key or value ends in a
# backslash. So a piece starts at each comma not preceded by a backslash, and its
# key ends at the first such equals sign.
_PIECE_START: Final = re.compile(r"(?<!\\),")
_KEY_END: Final = re.compile(r"(?<!\\)=")


@functools.lru_cache(maxsize=256)
def fragment_pieces(fragment: str) -> tuple[tuple[str, str], ...]:
    """The ``(escaped key, ",key=value")`` pieces of a fragment :func:`tag_fragment`
    made (the same for every point of a write, hence the cache)."""
    return tuple((_KEY_END.split(piece, 1)[0], "," + piece)
                 for piece in _PIECE_START.split(fragment)[1:])
