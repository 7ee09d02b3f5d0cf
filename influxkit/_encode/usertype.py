"""``@lineprotocol``: fast line protocol for user-defined classes.

The decorator reads a typed schema (the class's annotations, or ``schema=``) made of
the markers below, checks it, and builds one encoder for the class, once, at
decoration time. Each object is then encoded by that encoder without looking at the
schema again.

=============  ==============================================================
Marker         Meaning
=============  ==============================================================
MEASUREMENT    the measurement (at most one; without it, the class name)
TIMEINT        the time as an integer, in the write's precision (1971 on)
TIMESTR        the time as an ISO 8601 / RFC 3339 string
TIMEDT         the time as a ``datetime`` (naive means UTC; pandas.Timestamp
               keeps its nanoseconds)
TAG            a tag: a ``str``, or a number written as ``str()`` writes it
TAGENUM        a tag from an Enum member (written by name) or a ``str``
BOOL           a boolean field
INT            an integer field (64-bit)
DECIMAL        a float field from a :class:`~decimal.Decimal` that a float64
               holds exactly (whose float shows the same number)
FLOAT          a float field (an ``int`` only if a float64 holds it exactly)
STR            a string field
ENUM           a string field from an Enum member (written by name) or a ``str``
=============  ==============================================================

Exactly one ``TIME*`` attribute is required, as aioinflux documents; annotate it
``Optional[...]`` to let the server assign the time to objects whose time is None.

How the encoder is made
-----------------------
The encoder is a function generated from a source template: one straight run of
code specialised for the class, whose common case is a single f-string, is what
makes it fast (a loop calling a handler per attribute spends more on the calls than
on the encoding). The generated source depends only on the *shape* of the schema,
which kinds of attribute come in which order: it is built from fixed text and
variable names of the form ``v3``, ``s3``, never from user data or user-chosen
names. Attributes are fetched by tuple unpacking (namedtuples) or an
:func:`operator.attrgetter`; every escaped name, tag key prefix, cache and helper
reaches the function as a closure variable. Nothing the user wrote is compiled or
evaluated, and ``encode.__source__`` keeps the source for inspection.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import enum
import keyword
import operator
import sys
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar, Union, overload

from influxkit._core.limits import INT64_MAX, INT64_MIN
from influxkit._core.time import INT_TIME_BOUNDS, time_to_int
from influxkit._errors import LineProtocolError, SchemaError

from .rules import (
    escape_key,
    escape_measurement,
    escape_tag_value,
    format_field,
    format_string,
    fragment_pieces,
    tag_fragment,
)

__all__ = [
    "BOOL",
    "DECIMAL",
    "ENUM",
    "FLOAT",
    "INT",
    "MEASUREMENT",
    "STR",
    "TAG",
    "TAGENUM",
    "TIMEDT",
    "TIMEINT",
    "TIMESTR",
    "lineprotocol",
]

class _Marker:
    """What an annotation tells the encoder; the type before it is for type checkers."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# The markers are ``Annotated`` types: a type checker sees the plain type (``FLOAT``
# is ``float``), so classes using them type-check; the encoder reads the marker.

MEASUREMENT = Annotated[str, _Marker("MEASUREMENT")]
"""The measurement (a ``str``). At most one; without it, the class name."""

TIMEINT = Annotated[int, _Marker("TIMEINT")]
"""The time as an integer, taken to be in the write's precision (ns by default); one
before 1971 there is refused as one in the wrong unit (use TIMEDT for such times)."""

TIMESTR = Annotated[str, _Marker("TIMESTR")]
"""The time as an ISO 8601 / RFC 3339 string; up to nine fractional digits kept."""

TIMEDT = Annotated[dt.datetime, _Marker("TIMEDT")]
"""The time as a ``datetime`` (naive means UTC); pandas.Timestamp keeps nanoseconds."""

TAG = Annotated[str, _Marker("TAG")]
"""A tag: a ``str`` (a number is written as ``str()`` writes it); None or ``""`` leaves
it out."""

TAGENUM = Annotated[Union[enum.Enum, str], _Marker("TAGENUM")]  # noqa: UP007
"""A tag from an Enum member (written by name) or a ``str``."""

BOOL = Annotated[bool, _Marker("BOOL")]
"""A boolean field."""

INT = Annotated[int, _Marker("INT")]
"""An integer field (64-bit signed)."""

DECIMAL = Annotated[Union[Decimal, float], _Marker("DECIMAL")]  # noqa: UP007
"""A float field from a :class:`~decimal.Decimal` (or a float, or an int), written as
its float64; one whose float64 is another number (more digits than a float64 holds,
an integer beyond 2**53) is refused rather than rounded."""

FLOAT = Annotated[float, _Marker("FLOAT")]
"""A float field (an ``int`` value is written as a float, if a float64 holds it
exactly)."""

STR = Annotated[str, _Marker("STR")]
"""A string field."""

ENUM = Annotated[Union[enum.Enum, str], _Marker("ENUM")]  # noqa: UP007
"""A string field from an Enum member (written by name) or a ``str``."""

_MARKERS: Final[dict[Any, str]] = {
    MEASUREMENT: "MEASUREMENT",
    TIMEINT: "TIMEINT",
    TIMESTR: "TIMESTR",
    TIMEDT: "TIMEDT",
    TAG: "TAG",
    TAGENUM: "TAGENUM",
    BOOL: "BOOL",
    INT: "INT",
    DECIMAL: "DECIMAL",
    FLOAT: "FLOAT",
    STR: "STR",
    ENUM: "ENUM",
}
_TIMES: Final = frozenset({"TIMEINT", "TIMESTR", "TIMEDT"})
_TAGS: Final = frozenset({"TAG", "TAGENUM"})
_FIELDS: Final = frozenset({"BOOL", "INT", "DECIMAL", "FLOAT", "STR", "ENUM"})
_MARKER_LIST: Final = ", ".join(_MARKERS.values())

# Per-attribute caches of encoded tag pieces; bounded like _lineprotocol's caches.
_CACHE_LIMIT: Final = 50_000

_Class = TypeVar("_Class", bound=type)


@dataclasses.dataclass(frozen=True)
class _Attribute:
    name: str
    marker: str
    optional: bool  # annotated Optional[...]: None is allowed and left out


# --------------------------------------------------------------------------- schema


def _resolve_schema(cls: type, schema: Mapping[str, Any] | None) -> dict[str, Any]:
    if schema is not None:
        if not isinstance(schema, Mapping):
            raise SchemaError(
                f"schema must be a mapping of attribute names to types, "
                f"not {type(schema).__name__}"
            )
        return dict(schema)
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as exc:
        raise SchemaError(
            f"cannot resolve the annotations of {cls.__qualname__}: {exc}; import the "
            "influxkit types (TAG, FLOAT, ...) at module level where the class is defined"
        ) from None
    except (TypeError, SyntaxError, AttributeError) as exc:
        raise SchemaError(f"cannot resolve the annotations of {cls.__qualname__}: {exc}") from None
    # ClassVars and InitVars are not per-object data (dataclasses skip them too).
    return {
        name: hint for name, hint in hints.items()
        if hint is not typing.ClassVar and typing.get_origin(hint) is not typing.ClassVar
        and not isinstance(hint, dataclasses.InitVar)
    }


def _marker_of(name: str, hint: Any) -> tuple[str, bool]:
    """The marker name of an annotation, and whether it is Optional."""
    try:
        return _MARKERS[hint], False
    except (KeyError, TypeError):
        pass
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            try:
                return _MARKERS[args[0]], True
            except (KeyError, TypeError):
                pass
    shown = getattr(hint, "__name__", None) if isinstance(hint, type) else None
    raise SchemaError(
        f"attribute {name!r} has type {shown or repr(hint)}, which line protocol cannot "
        f"encode; use one of {_MARKER_LIST} (or Optional[...] of one)"
    )


def _check_attribute_name(name: Any) -> str:
    # The generated encoder never contains attribute names, so this is not what keeps
    # it safe; it catches typos and non-string keys in schema= early.
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise SchemaError(f"schema key {name!r} is not a valid attribute name")
    return name


def _declared_names(cls: type) -> set[str] | None:
    """The attributes instances of ``cls`` are known to have, or None if unknown."""
    if dataclasses.is_dataclass(cls):
        return {field.name for field in dataclasses.fields(cls)}
    fields = getattr(cls, "_fields", None)
    if issubclass(cls, tuple) and isinstance(fields, tuple):
        return set(fields)
    return None


def _build_attributes(cls: type, schema: Mapping[str, Any], placeholder: bool) -> list[_Attribute]:
    if not schema:
        raise SchemaError(
            f"{cls.__qualname__} has no schema: annotate its attributes with influxkit "
            "types (TAG, FLOAT, ...) or pass schema="
        )
    attributes = [
        _Attribute(_check_attribute_name(name), *_marker_of(name, hint))
        for name, hint in schema.items()
    ]
    declared = _declared_names(cls)
    if declared is not None:
        missing = [
            a.name for a in attributes if a.name not in declared and not hasattr(cls, a.name)
        ]
        if missing:
            raise SchemaError(
                f"the schema names {', '.join(map(repr, missing))}, which "
                f"{cls.__qualname__} does not have"
            )
    measurements = [a.name for a in attributes if a.marker == "MEASUREMENT"]
    if len(measurements) > 1:
        raise SchemaError(
            f"{cls.__qualname__} has more than one MEASUREMENT attribute: "
            f"{', '.join(measurements)}"
        )
    times = [a.name for a in attributes if a.marker in _TIMES]
    if len(times) != 1:
        which = f": {', '.join(times)}" if times else ""
        raise SchemaError(
            f"{cls.__qualname__} must have exactly one TIMEINT, TIMESTR or TIMEDT "
            f"attribute, not {len(times)}{which}; annotate it Optional[...] to let the "
            "server assign the time of objects whose time is None"
        )
    if not placeholder and not any(a.marker in _FIELDS for a in attributes):
        raise SchemaError(
            f"{cls.__qualname__} has no field attribute (BOOL, INT, DECIMAL, FLOAT, STR, "
            "ENUM); InfluxDB needs at least one field, or pass placeholder=True"
        )
    for attribute in attributes:
        if attribute.marker in _TAGS or attribute.marker in _FIELDS:
            role = "tag key" if attribute.marker in _TAGS else "field key"
            try:
                escape_key(attribute.name, role)
            except LineProtocolError as exc:
                raise SchemaError(f"attribute {attribute.name!r}: {exc}") from None
    return attributes


def _class_extra_tags(extra_tags: Any, attributes: list[_Attribute]) -> tuple[str, set[str]]:
    """The encoded class-wide tags and their escaped keys."""
    if extra_tags is None:
        return "", set()
    if not isinstance(extra_tags, Mapping):
        raise SchemaError(f"extra_tags must be a mapping, not {type(extra_tags).__name__}")
    tag_names = {a.name for a in attributes if a.marker in _TAGS}
    keys = set()
    for key, value in extra_tags.items():
        if not isinstance(key, str):
            raise SchemaError(f"extra_tags key {key!r} is not a string")
        if key in tag_names:
            raise SchemaError(f"extra_tags key {key!r} is also a TAG attribute")
        if value is None or value == "":
            raise SchemaError(f"extra_tags value for {key!r} is empty")
        try:
            keys.add(escape_key(key, "tag key"))
        except LineProtocolError as exc:
            raise SchemaError(f"invalid extra_tags: {exc}") from None
    try:
        return tag_fragment(extra_tags), keys
    except LineProtocolError as exc:
        raise SchemaError(f"invalid extra_tags: {exc}") from None


# ---------------------------------------------------------------- per-kind helpers
# The generated encoder handles the common exact types inline; everything else (None,
# subclasses, numpy scalars, enums, refusals) goes through these slow paths, which
# defer to _lineprotocol's formatting so both encoders refuse the same values.


def _none_refused(name: str, marker: str) -> LineProtocolError:
    return LineProtocolError(
        f"attribute {name!r} is None (or missing); annotate it Optional[{marker}] or pass "
        "rm_none=True to leave it out", field=name, value=None,
    )


def _wrong_type(name: str, marker: str, value: Any, expected: str) -> LineProtocolError:
    return LineProtocolError(
        f"attribute {name!r} ({marker}) holds {type(value).__name__} {value!r}; "
        f"expected {expected}", field=name, value=value,
    )


def _numpy_kind(value: Any) -> str | None:
    """``"bool"``, ``"int"``, ``"float"`` or ``"str"`` for numpy scalars, else None."""
    numpy = sys.modules.get("numpy")
    if numpy is None or type(value).__module__ != "numpy":
        return None
    if isinstance(value, numpy.bool_):
        return "bool"
    if isinstance(value, numpy.integer):
        return "int"
    if isinstance(value, numpy.floating):
        return "float"
    if isinstance(value, numpy.str_):
        return "str"
    return None


def _is_pandas_missing(value: Any) -> bool:
    # pandas.NA and NaT in a field mean "no value", as for the mapping encoder.
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


def _plain_str(value: str) -> str:
    # str() of a str-mixin Enum member gives "Class.NAME"; this gives the text itself.
    return str.__str__(value)


def _tag_slow(name: str, marker: str, prefix: str, cache: dict[str, str]) -> Callable[[Any], str]:
    enums = marker == "TAGENUM"

    def slow(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, enum.Enum):
            if not (enums or isinstance(value, str)):
                raise _wrong_type(name, marker, value, "a str (TAGENUM takes Enum members)")
            text = escape_tag_value(value.name, name)
        elif isinstance(value, str):
            text = escape_tag_value(_plain_str(value), name)
        elif isinstance(value, (int, float, Decimal)) or _numpy_kind(value) in (
            "bool", "int", "float"
        ):
            # Tag values are strings on the server; numbers are written as str() writes
            # them, as the mapping encoder (and aioinflux) did.
            text = escape_tag_value(value, name)
        else:
            raise _wrong_type(name, marker, value, "a str or a number")
        piece = prefix + text if text else ""
        if type(value) is str:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[value] = piece
        return piece

    return slow


def _field_slow(name: str, marker: str, prefix: str, omit_none: bool) -> Callable[[Any], str]:
    def slow(value: Any) -> str:
        if value is None or _is_pandas_missing(value):
            if omit_none:
                return ""
            raise _none_refused(name, marker)
        text = _format(name, marker, value)
        assert text is not None
        return prefix + text

    return slow


def _format(name: str, marker: str, value: Any) -> str | None:
    numpy_kind = _numpy_kind(value)
    if marker == "FLOAT":
        if (isinstance(value, (int, float)) and not isinstance(value, bool)) or numpy_kind in (
            "int", "float"
        ):
            try:
                number = float(value)
            except OverflowError:
                raise LineProtocolError(
                    f"attribute {name!r} is {value}, too large for a float field",
                    field=name, value=value,
                ) from None
            if numpy_kind != "float" and not isinstance(value, float) and (
                    int(number) != int(value)):
                # An integer beyond 2**53 would be stored rounded.
                raise LineProtocolError(
                    f"attribute {name!r} is {value}, which a float64 field cannot hold "
                    f"exactly (it would be stored as {number!r}); use INT for integers",
                    field=name, value=value,
                )
            return format_field(number, name)
        raise _wrong_type(name, marker, value, "a float (DECIMAL takes Decimal)")
    if marker == "INT":
        if (isinstance(value, int) and not isinstance(value, bool)) or numpy_kind == "int":
            return format_field(int(value), name)
        raise _wrong_type(name, marker, value, "an int")
    if marker == "BOOL":
        if isinstance(value, bool) or numpy_kind == "bool":
            return "true" if value else "false"
        raise _wrong_type(name, marker, value, "a bool")
    if marker == "DECIMAL":
        if isinstance(value, Decimal):
            return format_field(value, name)
        if (isinstance(value, int) and not isinstance(value, bool)) or numpy_kind == "int":
            return format_field(Decimal(int(value)), name)
        if isinstance(value, float) or numpy_kind == "float":
            return format_field(float(value), name)
        raise _wrong_type(name, marker, value, "a Decimal or a float")
    # STR and ENUM. An Enum member is written by name, as format_field writes it;
    # STR takes one only if it is also a str (a str-mixin Enum).
    if isinstance(value, enum.Enum) and (marker == "ENUM" or isinstance(value, str)):
        return format_string(value.name)
    if isinstance(value, str):
        return format_string(_plain_str(value))
    expected = "a str or an Enum member" if marker == "ENUM" else "a str (ENUM takes Enum members)"
    raise _wrong_type(name, marker, value, expected)


def _time_slow(name: str, marker: str, omit_none: bool) -> Callable[[Any, str], str]:
    def slow(value: Any, precision: str) -> str:
        if value is None:
            if omit_none:
                return ""
            raise _none_refused(name, marker)
        if marker == "TIMEINT":
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                _numpy_kind(value) == "int"
            )
            expected = "an int (in the write's precision)"
        elif marker == "TIMEDT":
            pandas = sys.modules.get("pandas")
            if pandas is not None and value is pandas.NaT:
                raise LineProtocolError(
                    f"attribute {name!r} is NaT; use None for an object without a time",
                    field=name, value=value,
                )
            ok = isinstance(value, dt.datetime)
            expected = "a datetime"
        else:
            ok = isinstance(value, str)
            expected = "an ISO 8601 string"
        if not ok:
            raise _wrong_type(name, marker, value, expected)
        try:
            return f" {time_to_int(value, precision)}"
        except ValueError as exc:
            raise LineProtocolError(
                f"attribute {name!r}: {exc}", field=name, value=value
            ) from None

    return slow


def _measurement_slow(name: str, default: str, omit_none: bool) -> Callable[[Any], str]:
    def slow(value: Any) -> str:
        if value is None:
            if omit_none:
                return default
            raise _none_refused(name, "MEASUREMENT")
        if isinstance(value, str) and not isinstance(value, enum.Enum):
            return escape_measurement(_plain_str(value))
        if isinstance(value, enum.Enum):
            return escape_measurement(value)
        raise _wrong_type(name, "MEASUREMENT", value, "a str")

    return slow


def _extra_filter(own_keys: frozenset[str], cache: dict[str, str]) -> Callable[[str], str]:
    """Remove from a write's extra tags those the class sets itself (the class wins,
    as a mapping point's own tags win over a write's extra tags)."""

    def keep(extra: str) -> str:
        kept = "".join(piece for key, piece in fragment_pieces(extra) if key not in own_keys)
        if len(cache) >= 256:
            cache.clear()
        cache[extra] = kept
        return kept

    return keep


# ---------------------------------------------------------------- code generation


def _fetch(cls: type, attributes: list[_Attribute], cells: dict[str, Any]) -> list[str]:
    """Statements that read the attributes of ``obj`` into ``v0``, ``v1``, ..."""
    fields = getattr(cls, "_fields", None)
    targets: list[str] = []
    by_name = {a.name: i for i, a in enumerate(attributes)}
    if issubclass(cls, tuple) and isinstance(fields, tuple):
        targets = ["_"] * len(fields)
        # A namedtuple unpacks much faster than it answers attribute look-ups. Only an
        # instance of the class itself is unpacked: a subclass might redefine a field
        # name as a property.
        for position, name in enumerate(fields):
            if name in by_name:
                targets[position] = f"v{by_name.pop(name)}"
        if all(target == "_" for target in targets):
            targets = []
    statements = ["try:"]
    if targets:
        cells["cls"] = cls
        cells["positional"] = operator.attrgetter(
            *(attributes[int(target[1:])].name for target in targets if target != "_")
        )
        unpacked = [target for target in targets if target != "_"]
        statements += [
            "    if type(obj) is cls:",
            f"        {', '.join(targets)}, = obj",
            "    else:",
            f"        {', '.join(unpacked)}, = "
            + ("positional(obj)" if len(unpacked) > 1 else "(positional(obj),)"),
        ]
    if by_name:
        rest = [f"v{i}" for i in by_name.values()]
        cells["get"] = operator.attrgetter(*by_name)
        statements.append(
            f"    {', '.join(rest)}, = " + ("get(obj)" if len(rest) > 1 else "(get(obj),)")
        )
    cells["missing"] = _missing_attribute
    statements += ["except AttributeError as exc:", "    raise missing(obj, exc) from None"]
    return statements



# For each field marker: the condition under which the value is written inline, and
# the f-string text that writes it (``{v}`` stands for the value's variable).
_FAST_FIELDS: Final[dict[str, tuple[str, str]]] = {
    "FLOAT": ("type({v}) is float and {v} - {v} == 0.0", "{{{v}!r}}"),
    "DECIMAL": ("type({v}) is float and {v} - {v} == 0.0", "{{{v}!r}}"),
    "INT": (f"type({{v}}) is int and {INT64_MIN} <= {{v}} <= {INT64_MAX}", "{{{v}}}i"),
    "BOOL": ("type({v}) is bool", "{{booleans[{v}]}}"),
    "STR": ("type({v}) is str and '\"' not in {v} and '\\\\' not in {v}", '"{{{v}}}"'),
    "ENUM": ("type({v}) is str and '\"' not in {v} and '\\\\' not in {v}", '"{{{v}}}"'),
}


def _generate(
    cls: type, attributes: list[_Attribute], rm_none: bool, placeholder: bool,
    class_extra: str, class_extra_keys: set[str],
) -> Callable[[Any, str, str], str]:
    """Build the encoder of ``cls``. See the module docstring for why it is generated.

    The encoder first tries one fast path: every field of its exact common type and
    valid, the time an int within range; the whole line is then a single f-string.
    Otherwise it formats attribute by attribute, through the slow paths above.
    """
    cells: dict[str, Any] = {"booleans": ("false", "true")}  # closure variables
    body = _fetch(cls, attributes, cells)  # statements of the encoder
    try:
        default_measurement = escape_measurement(cls.__name__)
    except LineProtocolError as exc:  # a class named like an InfluxQL system source
        raise SchemaError(f"{cls.__qualname__}: {exc}; give the class another name") from None
    cells["m"] = default_measurement
    head = ["{m}"]  # f-string text before the fields
    fast_conditions: list[str] = []
    fast_fields: list[str] = []  # f-string text of the fields on the fast path
    fields: list[str] = []  # variables holding ",key=value" (or "") on the slow path
    time_fast = time_slow = ""
    omissible = rm_none or any(a.optional for a in attributes if a.marker in _FIELDS)

    for i, a in enumerate(attributes):
        v = f"v{i}"
        omit_none = a.optional or rm_none
        if a.marker == "MEASUREMENT":
            cells[f"s{i}"] = _measurement_slow(a.name, default_measurement, omit_none)
            body.append(f"m = s{i}({v})")
        elif a.marker in _TIMES:
            cells[f"s{i}"] = _time_slow(a.name, a.marker, omit_none)
            time_slow = f"{{t{i}}}"
            if a.marker == "TIMEINT":
                # The integers time_to_int accepts in each precision (1971 to 2262).
                cells["bounds"], cells["no_bounds"] = INT_TIME_BOUNDS, (1, 0)
                fast_conditions.append(
                    f"type({v}) is int and (b := bounds.get(precision, no_bounds))[0] <= {v} "
                    "<= b[1]"
                )
                time_fast = f" {{{v}}}"
            else:
                body.append(f"t{i} = s{i}({v}, precision)")
                time_fast = time_slow
        elif a.marker in _TAGS:
            cache: dict[str, str] = {}
            cells[f"d{i}"] = cache
            cells[f"s{i}"] = _tag_slow(a.name, a.marker, f",{escape_key(a.name, 'tag key')}=",
                                       cache)
            body += [
                f"if type({v}) is str:",
                f"    p{i} = d{i}.get({v})",
                f"    if p{i} is None:",
                f"        p{i} = s{i}({v})",
                "else:",
                f"    p{i} = s{i}({v})",
            ]
            head.append(f"{{p{i}}}")
        else:
            key = escape_key(a.name)
            cells[f"k{i}"] = f"{',' if fast_fields else ''}{key}="
            cells[f"c{i}"] = prefix = f"{',' if fields or omissible else ''}{key}="
            cells[f"s{i}"] = _field_slow(a.name, a.marker, prefix, omit_none)
            condition, text = _FAST_FIELDS[a.marker]
            fast_conditions.append(condition.format(v=v))
            fast_fields.append(f"{{k{i}}}" + text.format(v=v))
            fields.append(f"f{i}")

    if class_extra:
        cells["class_extra"] = class_extra
        head.append("{class_extra}")
    own_keys = {escape_key(a.name, "tag key") for a in attributes if a.marker in _TAGS}
    own_keys |= class_extra_keys
    if own_keys:
        extra_cache: dict[str, str] = {}
        cells["own_extra_cache"] = extra_cache
        cells["keep"] = _extra_filter(frozenset(own_keys), extra_cache)
        body += [
            "if extra:",
            "    x = own_extra_cache.get(extra)",
            "    extra = keep(extra) if x is None else x",
        ]
    head.append("{extra}")
    if not fields:
        cells["fs"] = "_=true"
        fast_fields = ["{fs}"]

    # The fast path.
    line = "".join(head) + " " + "".join(fast_fields) + time_fast
    if fast_conditions:
        body += [f"if {' and '.join(fast_conditions)}:", f"    return f'{line}'"]
    else:
        body.append(f"return f'{line}'")

    # The slow path.
    if fields:
        for i, a in enumerate(attributes):
            if a.marker in _FIELDS:
                condition, text = _FAST_FIELDS[a.marker]
                body += [
                    f"if {condition.format(v=f'v{i}')}:",
                    f"    f{i} = f'{{c{i}}}" + text.format(v=f"v{i}") + "'",
                    "else:",
                    f"    f{i} = s{i}(v{i})",
                ]
        body.append("fs = f'" + "".join(f"{{{f}}}" for f in fields) + "'")
        if omissible:
            body += ["if fs:", "    fs = fs[1:]", "else:"]
            if placeholder:
                cells["placeholder"] = "_=true"
                body.append("    fs = placeholder")
            else:
                cells["no_fields"] = _no_fields
                body.append("    raise no_fields()")
    for i, a in enumerate(attributes):
        if a.marker == "TIMEINT":
            body.append(f"t{i} = s{i}(v{i}, precision)")
    if fast_conditions:
        body.append("return f'" + "".join(head) + " {fs}" + time_slow + "'")

    # Closure variables become parameters of a factory, so the encoder reads them as
    # cells; only builtins are global.
    source = (
        f"def factory({', '.join(cells)}):\n"
        "    def encode(obj, precision, extra):\n"
        + "".join(f"        {line}\n" for line in body)
        + "    return encode\n"
    )
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(compile(source, "<influxkit @lineprotocol encoder>", "exec"), namespace)
    encode: Callable[[Any, str, str], str] = namespace["factory"](**cells)
    encode.__qualname__ = f"{cls.__qualname__}.__influxkit_encoder__"
    encode.__module__ = cls.__module__
    encode.__doc__ = (
        f"Encode a {cls.__qualname__} as one line of line protocol, without a newline.\n\n"
        "``precision`` is a canonical precision name; ``extra`` an encoded tag fragment."
    )
    encode.__source__ = source  # type: ignore[attr-defined]
    return encode


def _missing_attribute(obj: Any, exc: AttributeError) -> LineProtocolError:
    name = getattr(exc, "name", None)
    return LineProtocolError(
        f"{type(obj).__name__} object has no attribute {name!r}: {exc}" if name
        else f"cannot read an attribute of a {type(obj).__name__} object: {exc}",
        field=name, value=obj,
    )


def _no_fields() -> LineProtocolError:
    return LineProtocolError(
        "point has no fields (None values are left out); InfluxDB needs at least one, "
        "or pass placeholder=True", field="fields",
    )


# ---------------------------------------------------------------- the decorator


@overload
def lineprotocol(
    cls: _Class,
    *,
    schema: Mapping[str, Any] | None = None,
    rm_none: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    placeholder: bool = False,
) -> _Class: ...


@overload
def lineprotocol(
    cls: None = None,
    *,
    schema: Mapping[str, Any] | None = None,
    rm_none: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    placeholder: bool = False,
) -> Callable[[_Class], _Class]: ...


def lineprotocol(
    cls: _Class | None = None,
    *,
    schema: Mapping[str, Any] | None = None,
    rm_none: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    placeholder: bool = False,
) -> _Class | Callable[[_Class], _Class]:
    """Make a class writable: add ``to_lineprotocol()`` and a fast encoder to it.

    Works as ``@lineprotocol``, ``@lineprotocol(...)`` and ``lineprotocol(cls, ...)``
    on NamedTuples, ``collections.namedtuple`` classes (with ``schema=``),
    dataclasses (also frozen or with slots) and plain classes. The class itself is
    returned, with ``to_lineprotocol`` and ``__influxkit_encoder__`` added.

    The schema maps attribute names to the markers of this module (``TIMEINT``,
    ``TAG``, ``FLOAT``, ...; ``Optional[X]`` or ``X | None`` for an attribute that may
    be None and is then left out). It needs at most one ``MEASUREMENT`` (else the
    class name is the measurement), exactly one ``TIME*`` attribute, and at least one
    field unless ``placeholder=True``. Tags come in declaration order, then
    ``extra_tags``; fields in declaration order. A tag that is None or ``""`` is
    always left out.

    Args:
        cls: the class; omitted when used as ``@lineprotocol(...)``.
        schema: attribute names mapped to markers; by default the class's annotations
            (resolved with :func:`typing.get_type_hints`, so
            ``from __future__ import annotations`` works), which ``schema=`` leaves
            untouched.
        rm_none: leave out every attribute that is None (a None time means the server
            assigns the time; a None measurement means the class name), as if each
            were annotated ``Optional``. Otherwise a None field or time that is not
            ``Optional`` is refused.
        extra_tags: tags added to every object of the class. A tag of the same key
            passed to ``write()`` is ignored for these objects: the class wins.
        placeholder: write the field ``_=true`` in points that have no field (a class
            without field attributes, or one whose fields are all None).

    Returns:
        ``cls``, or a decorator when ``cls`` is omitted.

    Raises:
        SchemaError: for an annotation that is not a marker (naming the attribute and
            the type), several ``MEASUREMENT`` attributes, zero or several ``TIME*``
            attributes, no field without ``placeholder``, a ``time`` tag or field,
            or invalid ``extra_tags``.

    The encoder refuses, with a :class:`LineProtocolError` naming the attribute and
    its value, what line protocol cannot carry or the schema does not allow: a value
    of the wrong type (an ``INT`` holding a float, a ``BOOL`` holding 1), NaN or
    infinite floats, integers outside int64, a number a ``FLOAT`` or ``DECIMAL``
    would store rounded, newlines in tags, a time outside InfluxDB's range or finer
    than the write's precision, a ``TIMEINT`` before 1971 in the write's precision.

    Example::

        >>> from typing import NamedTuple
        >>> @lineprotocol
        ... class Trade(NamedTuple):
        ...     timestamp: TIMEINT
        ...     instrument: TAGENUM
        ...     price: FLOAT
        ...     size: INT
        >>> Trade(1540184368785116000, "AAPL", 219.23, 100).to_lineprotocol()
        b'Trade,instrument=AAPL price=219.23,size=100i 1540184368785116000'
    """

    def decorate(cls: _Class) -> _Class:
        if not isinstance(cls, type):
            raise SchemaError(f"@lineprotocol decorates classes, not {type(cls).__name__}")
        attributes = _build_attributes(cls, _resolve_schema(cls, schema), placeholder)
        class_extra, class_extra_keys = _class_extra_tags(extra_tags, attributes)
        encode = _generate(cls, attributes, bool(rm_none), bool(placeholder), class_extra,
                           class_extra_keys)

        def to_lineprotocol(self: Any) -> bytes:
            """Return this object as one line of line protocol (nanoseconds), as bytes.

            Raises:
                LineProtocolError: for a value line protocol cannot carry.
            """
            try:
                return encode(self, "ns", "").encode()
            except LineProtocolError as exc:
                raise exc.locate(point=self) from None

        to_lineprotocol.__qualname__ = f"{cls.__qualname__}.to_lineprotocol"
        to_lineprotocol.__module__ = cls.__module__
        # Set on the class, not instances, so frozen dataclasses, slotted classes and
        # NamedTuples all take them.
        type.__setattr__(cls, "to_lineprotocol", to_lineprotocol)
        type.__setattr__(cls, "__influxkit_encoder__", staticmethod(encode))
        # The measurement of every object, when no attribute names it per object.
        own = any(a.marker == "MEASUREMENT" for a in attributes)
        type.__setattr__(cls, "__influxkit_measurement__", None if own else cls.__name__)
        return cls

    if cls is None:
        return decorate
    return decorate(cls)

