"""Line protocol: escaping, validation and the one encoder, :func:`serialize`.

Every write path goes through :func:`serialize` (or :func:`iter_serialize`, its
streaming form). What line protocol cannot carry is refused with a
:class:`LineProtocolError` naming the point and the value, before anything is sent:

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
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

from ._blocks import Block
from ._errors import LineProtocolError
from ._time import MAX_NS, MIN_NS, NS_PER_UNIT, normalize_precision, time_to_int

__all__ = [
    "UNSAFE_BACKSLASH",
    "EncodedLines",
    "escape_key",
    "escape_measurement",
    "escape_tag_value",
    "extra_tag_pieces",
    "format_field",
    "format_string",
    "frame_kind",
    "iter_serialize",
    "serialize",
    "tag_fragment",
]

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

_MEASUREMENT_ESCAPES: Final = str.maketrans({",": r"\,", " ": r"\ "})
# InfluxDB 1.x reads a backslash before a comma, space, equals sign or double quote as
# an escape in some places and not in others (its line splitter, its measurement
# index, field keys): text with one cannot be stored so that it reads back.
UNSAFE_BACKSLASH: Final = r'\\[, ="]'  # a regular expression, for the DataFrame encoders too
_UNSAFE_BACKSLASH: Final = re.compile(UNSAFE_BACKSLASH)
# The server strips these from the start of a line and of its field set.
_STRIPPED: Final = ("\t", "\x00")
_KEY_ESCAPES: Final = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})

# Escaped names repeat endlessly in real data (the same measurements, keys and tag
# values); caching them makes encoding a dictionary look-up. The caches are bounded.
_CACHE_LIMIT: Final = 200_000
_measurement_cache: dict[str, str] = {}
_key_cache: dict[str, str] = {}
_tag_value_cache: dict[str, str] = {}


def _check_text(text: str, role: str, field: str | None = None, value: Any = None) -> None:
    """Refuse text (a name or a tag value) that line protocol cannot carry."""
    field = role if field is None else field
    value = text if value is None else value
    if "\n" in text:
        raise LineProtocolError(
            f"{role} {text!r} contains a newline, which line protocol cannot carry",
            field=field, value=value,
        )
    if "\\" in text:
        if text[-1] == "\\":
            raise LineProtocolError(
                f"{role} {text!r} ends with a backslash, which line protocol cannot carry",
                field=field, value=value,
            )
        if _UNSAFE_BACKSLASH.search(text):
            raise LineProtocolError(
                f"{role} {text!r} has a backslash before a comma, space, equals sign or "
                "double quote, which InfluxDB cannot store so that it reads back",
                field=field, value=value,
            )


def _check_name(text: str, role: str) -> None:
    if not text:
        raise LineProtocolError(f"{role} is empty", field=role, value=text)
    _check_text(text, role)


def escape_measurement(name: Any) -> str:
    """Escape a measurement name, or refuse one line protocol cannot carry."""
    if type(name) is str:
        try:
            return _measurement_cache[name]
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
        if len(_measurement_cache) >= _CACHE_LIMIT:
            _measurement_cache.clear()
        _measurement_cache[text] = escaped
    return escaped


def escape_key(key: Any, role: str = "field key") -> str:
    """Escape a tag key or field key, or refuse one line protocol cannot carry."""
    if type(key) is str:
        try:
            return _key_cache[key]
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
    escaped = text.translate(_KEY_ESCAPES)
    if type(key) is str:
        if len(_key_cache) >= _CACHE_LIMIT:
            _key_cache.clear()
        _key_cache[text] = escaped
    return escaped


def escape_tag_value(value: Any, key: str = "") -> str:
    """Escape a tag value (numbers as ``str()`` writes them, enum members by name).

    Returns ``""`` for ``None`` and the empty string: the tag is left out.
    """
    if type(value) is str:
        # Only exact strings are cached: a str-based Enum member hashes like its value
        # but is written by its name.
        try:
            return _tag_value_cache[value]
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
    escaped = text.translate(_KEY_ESCAPES)
    if type(value) is str:
        if len(_tag_value_cache) >= _CACHE_LIMIT:
            _tag_value_cache.clear()
        _tag_value_cache[value] = escaped
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
    if _INT64_MIN <= value <= _INT64_MAX:
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


def _encode_mapping(point: Mapping[str, Any], measurement: Any, extra_tags: Mapping[str, Any],
                    precision: str) -> str:
    try:
        fields = point["fields"]
    except KeyError:
        raise LineProtocolError("point has no 'fields'", field="fields") from None
    except TypeError:
        raise LineProtocolError(
            f"a point must be a mapping, not {type(point).__name__}"
        ) from None
    name = point.get("measurement") or measurement
    if name is None:
        raise LineProtocolError(
            "point has no measurement: give it a 'measurement' key or pass measurement=",
            field="measurement",
        )
    # The hot path of dict points: escaped names come from the caches, the common
    # field types are formatted inline; anything else takes the general functions.
    line = _measurement_cache.get(name) if type(name) is str else None
    if line is None:
        line = escape_measurement(name)
    tags = point.get("tags")
    if extra_tags:
        # Extra tags are defaults: a point's own value wins unless it is missing.
        tags = {**extra_tags, **{k: v for k, v in tags.items() if v is not None and v != ""}} \
            if tags else extra_tags
    keys = _key_cache
    if tags:
        values = _tag_value_cache
        for key, value in tags.items():
            escaped_key = keys.get(key) if type(key) is str else None
            escaped = values.get(value) if type(value) is str else None
            if escaped_key is None or escaped is None:
                line += tag_fragment({key: value})
            else:
                line += f",{escaped_key}={escaped}"
    parts = []
    for key, value in fields.items():
        escaped_key = keys.get(key) if type(key) is str else None
        kind = type(value)
        if escaped_key is None:
            text = format_field(value, key)
            if text is not None:  # a missing value is left out, key and all
                parts.append(f"{escape_key(key)}={text}")
        elif kind is float and value - value == 0.0:  # finite
            parts.append(f"{escaped_key}={value!r}")
        elif kind is int and _INT64_MIN <= value <= _INT64_MAX:
            parts.append(f"{escaped_key}={value}i")
        else:
            text = format_field(value, key)
            if text is not None:
                parts.append(f"{escaped_key}={text}")
    if not parts:
        raise LineProtocolError(
            "point has no fields (None values are left out); InfluxDB needs at least one",
            field="fields", value=dict(fields),
        )
    when = point.get("time")
    if when is None:
        return f"{line} {','.join(parts)}"
    if not (type(when) is int and precision == "ns" and MIN_NS <= when <= MAX_NS):
        try:
            when = time_to_int(when, precision)
        except ValueError as exc:
            raise LineProtocolError(str(exc), field="time", value=when) from None
    return f"{line} {','.join(parts)} {when}"


# Dict points of one shape (the same measurement, tag keys, field keys and field types,
# with or without a time) are encoded by a function generated for that shape: one
# f-string behind one guard, no loops. The guard checks the point's keys itself, so
# the encoder of the previous point is simply tried on the next; anything it does not
# expect (another shape, a new tag value, a missing or differently typed value, a
# datetime) falls back to :func:`_encode_mapping`, which has the final word on every
# refusal.
_SHAPES_LIMIT: Final = 1_000
_shape_encoders: dict[tuple[Any, ...], Any] = {}
_FAST_TYPES: Final = (float, int, bool, str)
_MISMATCH: Final = (ValueError, KeyError, AttributeError, TypeError)
_UNSEEN: Final = object()
_SEEN: Final = object()


def _shape_encoder(point: dict[str, Any], name: str, precision: str) -> Any:
    """Generate the encoder of ``point``'s shape, or return None when it has none."""
    tags = point.get("tags") or {}
    fields = point["fields"]
    if (type(tags) is not dict or type(fields) is not dict or not fields
            or len(tags) + len(fields) > 250):
        return None
    types = [type(value) for value in fields.values()]
    if not all(kind in _FAST_TYPES for kind in types) or not all(
        type(key) is str for key in (*tags, *fields)
    ):
        return None
    try:
        head = escape_measurement(name)
        tag_keys = [escape_key(key, "tag key") for key in tags]
        field_keys = [escape_key(key) for key in fields]
    except LineProtocolError:
        return None
    # Names reach the generated code as constants (_n, _k0, _t0...), never as source.
    constants: dict[str, Any] = {"_tv": _tag_value_cache, "_fs": format_string,
                                 "_n": name, "_m": head, "_mismatch": _MISMATCH}
    body = ["name = point.get('measurement') or measurement"]
    guards = ["(name is _n or (name.__class__ is str and name == _n))"]
    template = ["{_m}"]
    if tags:
        body.append(", ".join(f"(k{i}, t{i})" for i in range(len(tags))) +
                    ", = point['tags'].items()")
        for i, (key, escaped) in enumerate(zip(tags, tag_keys, strict=True)):
            constants[f"_k{i}"] = key
            constants[f"_t{i}"] = f",{escaped}="
            body.append(f"e{i} = _tv.get(t{i}) if t{i}.__class__ is str else None")
            guards += [f"(k{i} is _k{i} or (k{i}.__class__ is str and k{i} == _k{i}))", f"e{i}"]
            template.append(f"{{_t{i}}}{{e{i}}}")
    else:
        guards.append("not point.get('tags')")
    body.append(", ".join(f"(j{i}, v{i})" for i in range(len(fields))) +
                ", = point['fields'].items()")
    for i, (key, escaped, kind) in enumerate(zip(fields, field_keys, types, strict=True)):
        constants[f"_j{i}"] = key
        constants[f"_f{i}"] = ("," if i else " ") + escaped + "="
        guards.append(f"(j{i} is _j{i} or (j{i}.__class__ is str and j{i} == _j{i}))")
        if kind is float:
            guards.append(f"v{i}.__class__ is float and v{i} - v{i} == 0.0")
            template.append(f"{{_f{i}}}{{v{i}!r}}")
        elif kind is int:
            guards.append(f"v{i}.__class__ is int and {_INT64_MIN} <= v{i} <= {_INT64_MAX}")
            template.append(f"{{_f{i}}}{{v{i}}}i")
        elif kind is bool:
            guards.append(f"v{i}.__class__ is bool")
            template.append(f"{{_f{i}}}{{'true' if v{i} else 'false'}}")
        else:
            guards.append(f"v{i}.__class__ is str")
            template.append(f"{{_f{i}}}{{_fs(v{i})}}")
    body.append("when = point.get('time')")
    if point.get("time") is None:
        guards.append("when is None")
    else:
        unit = NS_PER_UNIT[precision]
        guards.append(f"when.__class__ is int and {-(-MIN_NS // unit)} <= when <= {MAX_NS // unit}")
        template.append(" {when}")
    source = "\n".join([
        "def encode(point, measurement):",
        "    try:",
        *(f"        {line}" for line in body),
        "    except _mismatch:",
        "        return None",
        f"    if {' and '.join(guards)}:",
        f"        return f\"{''.join(template)}\"",
        "    return None",
    ])
    exec(source, constants)  # the source holds no user text, only generated names
    return constants["encode"]


def _encode_dict(point: dict[str, Any], measurement: Any,
                 precision: str) -> tuple[str, Any]:
    """Encode a dict point through its shape's encoder, else the general way.

    Also returns the shape's encoder (or None), to be tried on the next point. A shape
    gets an encoder the second time it is seen, so that points of ever-new shapes do
    not each pay for one.
    """
    name = point.get("measurement") or measurement
    encoder = None
    if type(name) is str:  # a str-based enum equals its value but is written by name
        try:
            shape = (name, precision, point.get("time") is None,
                     *(point.get("tags") or ()), None, *point["fields"])
            encoder = _shape_encoders.get(shape, _UNSEEN)
            if encoder is _UNSEEN:
                if len(_shape_encoders) >= _SHAPES_LIMIT:
                    _shape_encoders.clear()
                _shape_encoders[shape] = _SEEN
                encoder = None
            elif encoder is _SEEN:
                encoder = _shape_encoders[shape] = _shape_encoder(point, name, precision)
        except (KeyError, TypeError):  # no fields, unhashable names: see _encode_mapping
            encoder = None
        if encoder is not None:
            line = encoder(point, measurement)
            if line is not None:
                return line, encoder
    return _encode_mapping(point, measurement, {}, precision), encoder


class EncodedLines(bytes):
    """Lines this module encoded earlier for a write of ``precision``, with that write's
    extra tags already in them (a session's points, kept until they are sent).

    They are passed on as they are: the extra tags of the write that sends them are not
    added again, and a write of another precision refuses them.
    """

    precision: str

    def __new__(cls, lines: bytes, precision: str) -> EncodedLines:
        self = super().__new__(cls, lines)
        self.precision = precision
        return self


def frame_kind(data: Any) -> str | None:
    """``"pandas"`` or ``"polars"`` for a DataFrame, else None; imports neither library
    (a DataFrame can only exist if its library was imported)."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return "pandas"
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(data, (polars.DataFrame, polars.LazyFrame)):
        return "polars"
    return None


def iter_serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    block_lines: int | None = None,
    threads: int | None = None,
    **extra_tags: Any,
) -> Iterator[bytes]:
    """Encode ``data`` as blocks of line protocol (each one or more lines, no final newline).

    This is :func:`serialize` in pieces, for sending large inputs in batches: encoded
    points come in blocks of at most ``block_lines`` lines (line protocol given as
    ``str`` or ``bytes`` is passed on as it is). A DataFrame's blocks hold exactly
    ``block_lines`` lines, but for the last, and it is checked whole before its first
    block. ``threads`` limits the threads encoding a DataFrame (by default up
    to four).
    """
    for block in iter_blocks(data, measurement, tag_columns, precision,
                             block_lines=block_lines, threads=threads, **extra_tags):
        yield block if isinstance(block, bytes) else bytes(block)


def iter_blocks(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    block_lines: int | None = None,
    block_bytes: int | None = None,
    threads: int | None = None,
    **extra_tags: Any,
) -> Iterator[Block]:
    """:func:`iter_serialize`, for a write that sends a DataFrame's blocks as they are:
    they are views of the encoder's buffers (no copy), of ``block_lines`` lines (the
    last one fewer) and at most ``block_bytes`` bytes (a line longer than that is a
    block alone)."""
    unit = normalize_precision(precision)
    if isinstance(tag_columns, str):  # one column's name, not its letters
        tag_columns = [tag_columns]
    columns = list(tag_columns) if tag_columns is not None else None
    if extra_tags:
        # Validate the shared tags once, before any point.
        tag_fragment(extra_tags)
    counter = [0]
    yield from _encode_any(data, measurement, columns, unit, extra_tags, counter, block_lines,
                           threads, block_bytes)


_LINES_PER_BLOCK: Final = 5_000


def _encode_any(data: Any, measurement: Any, tag_columns: list[str] | None, precision: str,
                extra_tags: Mapping[str, Any], counter: list[int],
                block_lines: int | None, threads: int | None = None,
                block_bytes: int | None = None) -> Iterator[Block]:
    if type(data) is EncodedLines:
        if data.precision != precision:
            raise LineProtocolError(
                f"lines encoded with precision {data.precision!r} cannot be written with "
                f"precision {precision!r}", index=counter[0], field="time",
            )
        counter[0] += data.count(b"\n") + 1
        if data:
            yield data
        return
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data).strip(b"\n")
        if extra_tags:
            _refuse_tags_for_raw(counter[0], data)
        counter[0] += 1
        if raw:
            yield raw
        return
    if isinstance(data, str):
        if extra_tags:
            _refuse_tags_for_raw(counter[0], data)
        raw = _utf8([data.strip("\n")], counter[0])
        counter[0] += 1
        if raw:
            yield raw
        return
    if isinstance(data, Mapping):
        try:
            line = _encode_mapping(data, measurement, extra_tags, precision)
        except LineProtocolError as exc:
            raise exc.locate(counter[0], data) from None
        yield _utf8([line], counter[0])
        counter[0] += 1
        return
    kind = frame_kind(data)
    if kind is not None:
        if measurement is None:
            raise LineProtocolError("writing a DataFrame needs measurement=",
                                    field="measurement")
        if kind == "pandas":
            from ._dataframe import iter_pandas_lines

            yield from iter_pandas_lines(data, measurement, tag_columns, precision, extra_tags,
                                         block_rows=block_lines, block_bytes=block_bytes,
                                         threads=threads)
        else:
            from ._polars import iter_polars_lines

            yield from iter_polars_lines(data, measurement, tag_columns, precision, extra_tags,
                                         block_rows=block_lines, block_bytes=block_bytes,
                                         threads=threads)
        counter[0] += 1
        return
    encoder = getattr(type(data), "__influxkit_encoder__", None)
    if encoder is not None:
        try:
            line = encoder(data, precision, tag_fragment(extra_tags))
        except LineProtocolError as exc:
            raise exc.locate(counter[0], data) from None
        yield _utf8([line], counter[0])
        counter[0] += 1
        return
    to_lineprotocol = getattr(data, "to_lineprotocol", None)
    if to_lineprotocol is not None and callable(to_lineprotocol):
        if extra_tags:
            _refuse_tags_for_raw(counter[0], data)
        counter[0] += 1
        raw = to_lineprotocol()
        yield raw if isinstance(raw, bytes) else str(raw).encode()
        return
    if isinstance(data, Iterable):
        yield from _encode_iterable(data, measurement, tag_columns, precision, extra_tags, counter,
                                    block_lines or _LINES_PER_BLOCK, threads, block_bytes)
        return
    raise LineProtocolError(
        f"cannot write an object of type {type(data).__name__}: write mappings, DataFrames, "
        "@lineprotocol objects, line protocol str/bytes, or iterables of these",
        index=counter[0], value=data,
    )


def _encode_iterable(items: Iterable[Any], measurement: Any, tag_columns: list[str] | None,
                     precision: str, extra_tags: Mapping[str, Any],
                     counter: list[int], block_lines: int,
                     threads: int | None, block_bytes: int | None) -> Iterator[Block]:
    # The common case, many dicts or many objects of one class, is batched into blocks
    # so that the per-point cost is one encode call and a list append. The index of a
    # point is ``first + len(lines)``: no counting in the loop.
    lines: list[str] = []
    append = lines.append
    first = counter[0]
    encoders: dict[type, Any] = {}
    extra = tag_fragment(extra_tags)
    encode_mapping = _encode_mapping
    encode_dict = _encode_dict
    shaped = None  # the generated encoder of the last dict point's shape
    for item in items:
        try:
            if type(item) is dict:
                if extra_tags:
                    append(encode_mapping(item, measurement, extra_tags, precision))
                else:
                    line = None if shaped is None else shaped(item, measurement)
                    if line is None:
                        line, shaped = encode_dict(item, measurement, precision)
                    append(line)
            else:
                kind = type(item)
                encoder = encoders.get(kind)
                if encoder is None:
                    encoder = getattr(kind, "__influxkit_encoder__", None)
                    if encoder is not None:
                        encoders[kind] = encoder
                if encoder is not None:
                    append(encoder(item, precision, extra))
                elif isinstance(item, Mapping):
                    append(encode_mapping(item, measurement, extra_tags, precision))
                else:
                    if lines:
                        yield _utf8(lines, first)
                        first += len(lines)
                        lines.clear()
                    counter[0] = first
                    yield from _encode_any(item, measurement, tag_columns, precision, extra_tags,
                                           counter, block_lines, threads, block_bytes)
                    first = counter[0]
        except LineProtocolError as exc:
            raise exc.locate(first + len(lines), item) from None
        if len(lines) >= block_lines:
            yield _utf8(lines, first)
            first += len(lines)
            lines.clear()
    counter[0] = first + len(lines)
    if lines:
        yield _utf8(lines, first)


def _utf8(lines: list[str], first_index: int) -> bytes:
    """Encode lines as UTF-8, naming the point of any text that isn't valid Unicode."""
    try:
        return "\n".join(lines).encode()
    except UnicodeEncodeError:
        for offset, line in enumerate(lines):
            try:
                line.encode()
            except UnicodeEncodeError as exc:
                bad = line[exc.start:exc.end]
                raise LineProtocolError(
                    f"text {bad!r} in line {line!r} is not valid Unicode (a lone surrogate) "
                    "and cannot be sent as UTF-8", index=first_index + offset, value=bad,
                ) from None
        raise


def _refuse_tags_for_raw(index: int, data: Any) -> None:
    raise LineProtocolError(
        "extra tags cannot be added to line protocol that is already encoded "
        "(str, bytes or to_lineprotocol()); add them to the lines themselves",
        index=index, value=data,
    )


def serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> bytes:
    """Encode any supported input as line protocol bytes: the one encoder of every write.

    Args:
        data: a mapping (``measurement``, ``time``, ``tags``, ``fields``), a pandas or
            polars DataFrame, an instance of a :func:`lineprotocol` class, line
            protocol as ``str``/``bytes``, or an iterable of any of these, mixed.
        measurement: the measurement for inputs that don't name their own (mappings
            without one; DataFrames, which need it).
        tag_columns: DataFrame columns to write as tags.
        precision: unit of integer timestamps (``'ns'`` by default, ``'u'``, ``'ms'``,
            ``'s'``, ``'m'``, ``'h'``); datetimes are converted to it exactly.
        **extra_tags: tags added to every point (a point's own tags win).

    Returns:
        Line protocol, one point per line, without a trailing newline.

    Raises:
        LineProtocolError: for data line protocol cannot carry, naming the point.

    Example::

        >>> serialize({"measurement": "cpu", "tags": {"host": "a b"},
        ...            "fields": {"load": 0.5, "n": 3}, "time": 1})
        b'cpu,host=a\\\\ b load=0.5,n=3i 1'
    """
    return b"\n".join(iter_serialize(data, measurement, tag_columns, precision, **extra_tags))
