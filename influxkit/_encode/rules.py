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
- a field key InfluxQL reads as its own variable (:data:`SELECT_VARIABLES`: ``_name``,
  ``_tagKey``, ``_tagValue``, ``_fieldKey``, ``_seriesKey``) and a measurement named
  like an InfluxQL system source (:data:`SYSTEM_SOURCES`: ``_name``, ``_series``,
  ``_measurements``, ``_tags``, ``_tagKeys``, ``_fieldKeys``, ``_tagKey``): influxd
  stores them, but a ``SELECT`` returns something else in their place or refuses the
  source (tag keys of those names read back, though a ``WHERE`` clause reads ``_name``
  as the measurement's name, not a tag's);
- NaN or infinite floats, integers outside int64, a :class:`~decimal.Decimal` whose
  float64 is another number (beyond float64's range, or with more digits than a
  float64 holds: it would be stored rounded), a point with no fields;
- text that is not valid Unicode (a lone surrogate, which UTF-8 cannot carry); the
  refusal names the measurement, the tag or field key, or the key whose value holds
  it.

An integer time is read in the write's precision; one that would land before 1971
there is refused as one in the wrong unit (see :mod:`influxkit._core.time`).

A DataFrame field column of Python objects is written only if its values have one of
the types above (:func:`column_kind`): all strings (enum members by name), all
integers, all floats (Decimals among them) or all booleans.

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
    "SELECT_VARIABLES",
    "SYSTEM_SOURCES",
    "TEXT_REFUSALS",
    "UNSAFE_BACKSLASH",
    "check_extra_tag_names",
    "column_kind",
    "decimal_to_float",
    "escape_key",
    "escape_measurement",
    "escape_tag_value",
    "extra_tag_pieces",
    "field_kind",
    "format_field",
    "format_string",
    "fragment_pieces",
    "tag_fragment",
    "tag_text",
]


# Keyword arguments of other clients' writes, which would otherwise become extra tags:
# name -> (the client, what to write in influxkit, its compat module).
_FOREIGN_OPTIONS: Final = {
    "time_precision": ("influxdb-python", "precision=", "influxdb"),
    "database": ("influxdb-python", "db=", "influxdb"),
    "retention_policy": ("influxdb-python", "rp=", "influxdb"),
    "tags": ("influxdb-python", "the tags as keywords (host='a'), or the client's "
             "default_tags=", "influxdb"),
    "params": ("influxdb-python", "db=, rp= and precision=", "influxdb"),
    "protocol": ("influxdb-python", "nothing: the input's type says what it is", "influxdb"),
    "consistency": ("influxdb-python", "nothing: it is an InfluxDB Enterprise setting",
                    "influxdb"),
    "expected_response_code": ("influxdb-python", "nothing: an error status raises",
                               "influxdb"),
    "numeric_precision": ("influxdb-python", "nothing: floats are written exactly",
                          "influxdb"),
    "field_columns": ("influxdb-python", "write_points(df, measurement, "
                      "field_columns=...), or the columns selected first", "influxdb"),
    "record": ("influxdb-client", "the data as the first argument", "influxdb_client"),
    "write_precision": ("influxdb-client", "precision=", "influxdb_client"),
    "data_frame_measurement_name": ("influxdb-client", "measurement=", "influxdb_client"),
    "data_frame_tag_columns": ("influxdb-client", "tag_columns=", "influxdb_client"),
    "data_frame_timestamp_column": ("influxdb-client", "the time as the DataFrame's index "
                                    "(pandas) or its 'time' column (polars)",
                                    "influxdb_client"),
    "data_frame_timestamp_timezone": ("influxdb-client", "a timezone-aware time column",
                                      "influxdb_client"),
    "record_measurement_key": ("influxdb-client", "Point.from_dict(...)", "influxdb_client"),
    "record_time_key": ("influxdb-client", "Point.from_dict(...)", "influxdb_client"),
    "record_tag_keys": ("influxdb-client", "Point.from_dict(...)", "influxdb_client"),
    "record_field_keys": ("influxdb-client", "Point.from_dict(...)", "influxdb_client"),
    "timestamp": ("inflow", "the time in the point (a mapping's 'time', Point.time())",
                  "inflow"),
}


def check_extra_tag_names(extra_tags: Mapping[str, Any]) -> None:
    """Refuse an extra tag named as another client's write option (``time_precision``,
    ``retention_policy``, ``record``...): code written for that client would otherwise
    store its option as a tag.

    Raises:
        TypeError: naming the keyword, what to write instead, and the compat module
            that takes the other client's arguments as they are.
    """
    for name in extra_tags:
        known = _FOREIGN_OPTIONS.get(name)
        if known is not None:
            client, instead, module = known
            raise TypeError(
                f"{name}= is {client}'s option, not a tag: in influxkit write {instead} "
                f"(or import influxkit.compat.{module}, which takes {client}'s arguments "
                "as they are)")


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

SELECT_VARIABLES: Final = frozenset({"_name", "_tagKey", "_tagValue", "_fieldKey",
                                     "_seriesKey"})
"""Field keys InfluxDB 1.x stores but cannot read back: in a ``SELECT`` its engine reads
these names as its own variables (the measurement, the series' tag keys or values, the
measurement's field keys, the series key), whatever the point holds. As tag keys they
read back (``SELECT *``, ``GROUP BY``, ``::tag``)."""

SYSTEM_SOURCES: Final = frozenset({"_fieldKeys", "_measurements", "_name", "_series",
                                   "_tagKey", "_tagKeys", "_tags"})
"""Measurements InfluxDB 1.x stores but cannot read back: InfluxQL takes these names for
its system sources, and refuses to ``SELECT`` from them."""
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
    if text in SYSTEM_SOURCES:
        raise LineProtocolError(
            f"measurement {text!r} is the name of an InfluxQL system source: the server "
            "would store the points, but no SELECT can read them", field="measurement",
            value=text,
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
    if text in SELECT_VARIABLES:
        if role == "field key":
            raise LineProtocolError(
                f"field key {text!r} is a variable of InfluxQL: the server would store the "
                "field, but a SELECT returns something else in its place (the "
                "measurement, a tag or field key, the series key)", field=role, value=text,
            )
        # A tag key of the name is fine, but the cache is shared with field keys.
        return text.translate(KEY_ESCAPES)
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
    text = tag_text(value, key)
    if not text:
        return ""
    _check_text(text, f"tag {key!r} value", key, value)
    escaped = text.translate(KEY_ESCAPES)
    if type(value) is str:
        if len(tag_value_cache) >= _CACHE_LIMIT:
            tag_value_cache.clear()
        tag_value_cache[value] = escaped
    return escaped


def tag_text(value: Any, key: str = "") -> str:
    """A tag value as text, before escaping and checks: numbers as ``str()`` writes
    them, an enum member by name, ``""`` for None (the tag is left out)."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (str, int, float, Decimal)) or type(value).__module__ == "numpy":
        return str(value)
    raise LineProtocolError(
        f"tag {key!r} has a value of type {type(value).__name__}: {value!r}; "
        "tag values are strings", field=key, value=value,
    )


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
        return repr(decimal_to_float(value, key))
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


def decimal_to_float(value: Decimal, key: str) -> float:
    """The float64 a :class:`~decimal.Decimal` field is stored as, or a refusal when that
    float is another number (its shortest text differs from the Decimal's value): the
    Decimal would be stored rounded, an integer beyond 2**53 among them."""
    number = float(value) if value.is_finite() else math.nan
    if not math.isfinite(number):
        raise LineProtocolError(
            f"field {key!r} is {value!r}; line protocol cannot carry NaN, infinity or "
            "numbers beyond the float64 range", field=key, value=value,
        )
    if Decimal(repr(number)) != value:
        raise LineProtocolError(
            f"field {key!r} is {value!r}, which a float64 field cannot hold exactly (it "
            f"would be stored as {number!r}); round it first, or write an int for an "
            "integer field", field=key, value=value,
        )
    return number


# The line-protocol type of a field value, by its class, as format_field writes it.
_KINDS: dict[type, str | None] = {float: "float", int: "int", bool: "bool", str: "str",
                                  Decimal: "float"}
_KIND_NAMES: Final = {"float": "a float", "int": "an integer", "bool": "a boolean",
                      "str": "a string"}


def field_kind(kind: type) -> str | None:
    """The line-protocol type (``'float'``, ``'int'``, ``'bool'``, ``'str'``) that
    :func:`format_field` writes values of class ``kind`` as, or None for a class it
    refuses. An enum member is a string (its name), even an ``IntEnum``'s; a Decimal is
    a float."""
    try:
        return _KINDS[kind]
    except KeyError:
        pass
    found: str | None = None
    if issubclass(kind, bool):
        found = "bool"
    elif issubclass(kind, enum.Enum):
        found = "str"
    elif issubclass(kind, int):
        found = "int"
    elif issubclass(kind, (float, Decimal)):
        found = "float"
    elif issubclass(kind, str):
        found = "str"
    elif kind.__module__ == "numpy":
        import numpy as np

        if issubclass(kind, np.bool_):
            found = "bool"
        elif issubclass(kind, np.integer):
            found = "int"
        elif issubclass(kind, np.floating):
            found = "float"
    if len(_KINDS) < 1_000:
        _KINDS[kind] = found
    return found


def column_kind(name: str, values: Any) -> tuple[str, set[type]] | None:
    """The one line-protocol type of a DataFrame column's values (a sequence without its
    missing cells), and their classes; None when there is no value.

    A field has one type: values of two types, or of a type line protocol cannot carry,
    are refused naming the first offending value, whose position in ``values`` is the
    error's ``index`` (the caller names the row).
    """
    classes = set(map(type, values))
    kinds = {kind: field_kind(kind) for kind in classes}
    found = set(kinds.values())
    if len(found) == 1 and None not in found:
        return found.pop(), classes  # type: ignore[return-value]
    if not classes:
        return None
    first = kinds[type(values[0])]
    for position, value in enumerate(values):
        kind = kinds[type(value)]
        if kind is None:
            raise LineProtocolError(
                f"field {name!r} has a value of type {type(value).__name__}: {value!r}; "
                "field values are float, int, bool or str", index=position, field=name,
                value=value,
            )
        if kind != first:
            assert first is not None
            raise LineProtocolError(
                f"field {name!r} holds {_KIND_NAMES[first]} ({values[0]!r}) and "
                f"{_KIND_NAMES[kind]} ({value!r}): a field has one type, so one of them "
                "would be stored as something else or refused; convert the column to "
                "one type first (e.g. .astype(str) or .astype(float))",
                index=position, field=name, value=value,
            )
    raise AssertionError("unreachable: the values have one type")  # pragma: no cover


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
