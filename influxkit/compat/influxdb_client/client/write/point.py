"""``influxdb_client.client.write.point``: :class:`Point`, influxkit's point builder with
influxdb-client's signatures.

It is an :class:`influxkit.Point`: checked as it is built, its time kept exactly in its
own precision. What influxkit refuses raises
:class:`~influxkit.compat.influxdb_client.client.exceptions.LineProtocolError` (also an
influxkit ``LineProtocolError`` and a ``ValueError``) at the call that gives it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, ParamSpec, TypeVar

import influxkit
from influxkit.compat.influxdb_client.client.exceptions import LineProtocolError
from influxkit.compat.influxdb_client.domain.write_precision import WritePrecision

__all__ = ["DEFAULT_WRITE_PRECISION", "Point"]

DEFAULT_WRITE_PRECISION: Final = WritePrecision.NS

# influxkit's canonical precisions, by influxdb-client's names, and back.
_CLIENT_NAMES: Final = {"ns": "ns", "u": "us", "ms": "ms", "s": "s", "m": "m", "h": "h"}

_RECORD_OPTIONS: Final = ("record_measurement_key", "record_measurement_name",
                          "record_time_key", "record_tag_keys", "record_field_keys")
_FIELD_TYPES: Final = ("int", "uint", "float")

P = ParamSpec("P")
R = TypeVar("R")


def client_precision(precision: str) -> str:
    """influxdb-client's name of one of influxkit's precisions (``'u'`` is ``'us'``)."""
    return _CLIENT_NAMES.get(precision, precision)


def refusals(function: Callable[P, R]) -> Callable[P, R]:
    """Raise influxkit's refusals as :class:`LineProtocolError` of this layer."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except influxkit.LineProtocolError as exc:
            raise LineProtocolError.of(exc).with_traceback(exc.__traceback__) from None

    return wrapper


class Point(influxkit.Point):
    """A point, built call by call: ``Point("cpu").tag("host", "a").field("load", 0.5)``.

    Differences from influxdb-client's: tags and fields are written in the order given
    (not sorted); a value line protocol cannot carry (NaN, a newline in a tag) and a
    time finer than its precision (``.time(datetime.utcnow(), WritePrecision.S)``
    with microseconds, a float ``time.time()``) raise :class:`LineProtocolError` here,
    where influxdb-client dropped the field or truncated the time; a point without
    fields cannot be written (influxdb-client writes nothing for it, silently).
    """

    __slots__ = ()

    _str_rep: ClassVar[Callable[[Any], str] | None] = None

    @refusals
    def __init__(self, measurement_name: str) -> None:
        super().__init__(measurement_name)

    @classmethod
    @refusals
    def from_dict(cls, dictionary: Mapping[str, Any],  # type: ignore[override]
                  write_precision: str = DEFAULT_WRITE_PRECISION, **kwargs: Any) -> Point:
        """A point from a mapping: ``measurement``, ``tags``, ``fields`` and ``time``,
        or the keys named by ``record_measurement_key``, ``record_measurement_name``,
        ``record_time_key``, ``record_tag_keys`` and ``record_field_keys``.

        ``field_types`` (a keyword, or a key of the mapping) maps field keys to
        ``'int'`` (the default for integers), ``'float'`` (integers written as floats;
        one a float cannot hold exactly is refused) or ``'uint'``, which influxkit
        does not write (refused).

        Raises:
            LineProtocolError: for a record without a measurement or fields, or with a
                name or value line protocol cannot carry.
            TypeError: for an unknown keyword.
        """
        options = {key: kwargs.pop(key) for key in _RECORD_OPTIONS if key in kwargs}
        field_types = kwargs.pop("field_types", None)
        unknown = [key for key in kwargs if not key.startswith("data_frame_")]
        if unknown:
            raise TypeError(f"Point.from_dict() got an unexpected keyword argument "
                            f"{unknown[0]!r}; it takes {', '.join(_RECORD_OPTIONS)} and "
                            "field_types")
        if "field_types" in dictionary:
            field_types = dictionary["field_types"]
        if field_types:
            dictionary = _typed(dictionary, field_types, options.get("record_field_keys"))
        return super().from_dict(dictionary, write_precision, **options)

    @refusals
    def time(self, time: Any,  # type: ignore[override]
             write_precision: str = DEFAULT_WRITE_PRECISION) -> Point:
        """Set the time: an ``int`` in ``write_precision``, a ``datetime`` (naive means
        UTC), an RFC 3339 string, a ``timedelta`` since the epoch, or None.

        Raises:
            LineProtocolError: for a time that is not a whole number of
                ``write_precision`` (a ``datetime`` with microseconds in seconds, a
                float with a fraction), out of InfluxDB's range, or an integer that
                ``write_precision`` puts before 1971.
        """
        return super().time(_since_epoch(time), write_precision)

    @refusals
    def tag(self, key: str, value: Any) -> Point:
        """Add a tag (a ``str``, or a number written as ``str()`` writes it)."""
        return super().tag(key, value)

    @refusals
    def field(self, field: str, value: Any) -> Point:
        """Add a field: ``float``, ``int``, ``bool``, ``str``, ``Decimal`` or numpy's."""
        return super().field(field, value)

    @refusals
    def to_line_protocol(self, precision: str | None = None) -> str:
        """The point as a line of line protocol, its time in ``precision`` (the point's
        own by default), converted exactly or refused."""
        return super().to_line_protocol(precision)

    @property
    def write_precision(self) -> str:
        """The precision of the point's time (``WritePrecision.NS`` unless given)."""
        return client_precision(super().write_precision)

    @classmethod
    def set_str_rep(cls, rep_function: Callable[[Any], str]) -> None:
        """Make ``str()`` of every point ``rep_function(point)`` (by default, its line
        protocol)."""
        cls._str_rep = rep_function

    def __str__(self) -> str:
        rep = type(self)._str_rep
        return rep(self) if rep is not None else self.to_line_protocol()


def _since_epoch(time: Any) -> Any:
    # influxdb-client takes a timedelta as the time since the epoch.
    import datetime as dt

    if isinstance(time, dt.timedelta):
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + time
    return time


def _typed(dictionary: Mapping[str, Any], field_types: Mapping[str, str],
           field_keys: Any) -> dict[str, Any]:
    """``dictionary`` with its fields converted as ``field_types`` says."""
    record = dict(dictionary)
    fields = dict(record.get("fields") or {}) if field_keys is None else record
    for key, kind in field_types.items():
        if kind not in _FIELD_TYPES:
            raise LineProtocolError(f"field_types[{key!r}] is {kind!r}; it must be one of "
                                    f"{', '.join(map(repr, _FIELD_TYPES))}", field=key)
        if key not in fields:
            continue
        value = fields[key]
        if kind == "uint":
            raise LineProtocolError(
                "unsigned integer fields ('uint') are not written by influxkit; write it "
                "as 'int' (up to 2**63 - 1) or 'float'", field=key, value=value)
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            if float(value) != value:
                raise LineProtocolError(
                    f"integer {value} has no exact float: as field_types 'float' it would "
                    "be stored rounded", field=key, value=value)
            fields[key] = float(value)
    if field_keys is None:
        record["fields"] = fields
    return record
