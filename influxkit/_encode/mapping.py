"""The encoder of points given as mappings (``measurement``, ``tags``, ``fields``,
``time``), built on :mod:`.rules`.

:func:`encode_mapping` encodes any mapping and has the final word on every refusal;
:func:`encode_dict` is its fast path for plain dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from influxkit._core.limits import INT64_MAX, INT64_MIN
from influxkit._core.time import INT_TIME_BOUNDS, time_to_int
from influxkit._errors import LineProtocolError

from .rules import (
    escape_key,
    escape_measurement,
    format_field,
    format_string,
    key_cache,
    measurement_cache,
    tag_fragment,
    tag_value_cache,
)

__all__ = ["encode_dict", "encode_mapping"]

# The integer times written as they are with nanoseconds; others go through time_to_int.
_FIRST_NS, _LAST_NS = INT_TIME_BOUNDS["ns"]


def encode_mapping(point: Mapping[str, Any], measurement: Any, extra_tags: Mapping[str, Any],
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
    line = measurement_cache.get(name) if type(name) is str else None
    if line is None:
        line = escape_measurement(name)
    tags = point.get("tags")
    if extra_tags:
        # Extra tags are defaults: a point's own value wins unless it is missing.
        tags = {**extra_tags, **{k: v for k, v in tags.items() if v is not None and v != ""}} \
            if tags else extra_tags
    keys = key_cache
    if tags:
        values = tag_value_cache
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
        elif kind is int and INT64_MIN <= value <= INT64_MAX:
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
    if not (type(when) is int and precision == "ns" and _FIRST_NS <= when <= _LAST_NS):
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
# datetime) falls back to :func:`encode_mapping`, which has the final word on every
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
    constants: dict[str, Any] = {"_tv": tag_value_cache, "_fs": format_string,
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
            guards.append(f"v{i}.__class__ is int and {INT64_MIN} <= v{i} <= {INT64_MAX}")
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
        first, last = INT_TIME_BOUNDS[precision]
        guards.append(f"when.__class__ is int and {first} <= when <= {last}")
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


def encode_dict(point: dict[str, Any], measurement: Any,
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
    return encode_mapping(point, measurement, {}, precision), encoder
