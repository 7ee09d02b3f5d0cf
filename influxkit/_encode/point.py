"""The point builder: :class:`Point` (influxdb-client's) and :class:`Measurement` (inflow's).

A point is checked as it is built: a bad name or value raises
:class:`LineProtocolError` at the call that gives it, naming the point and the
field. It is encoded by the functions of :mod:`influxkit._lineprotocol`, through
its ``__influxkit_encoder__``, like every other input of :func:`serialize`.

A point's time is kept as an integer in the point's own precision. Written with
another precision, it is converted exactly: a time that is not a whole number of the
write's unit (``1500`` ms written with precision ``'s'``) is refused, never
truncated. An integer given as the time is in the point's precision, and refused if
that puts it before 1971 (it is then most likely in another unit); a datetime is how
to give an earlier time.
"""

from __future__ import annotations

import math
import time as time_module
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from influxkit._core.time import _UNIT_NAMES, NS_PER_UNIT, normalize_precision, time_to_int
from influxkit._errors import LineProtocolError

from .rules import (
    escape_key,
    escape_measurement,
    escape_tag_value,
    format_field,
    fragment_pieces,
)

__all__ = ["Measurement", "Point", "measurement_point"]

_P = TypeVar("_P", bound="Point")



class Point:
    """One point, built call by call.

    Args:
        measurement_name: the measurement.

    Each builder method returns the point itself, so calls chain. A tag or field given
    twice keeps its first place and its last value; a tag whose value is None or
    ``""`` and a field whose value is None are left out when the point is written, as
    in a mapping point.

    Raises:
        LineProtocolError: for a measurement line protocol cannot carry.

    Example::

        >>> point = Point("cpu").tag("host", "server01").field("load", 0.64).time(1, "s")
        >>> point.to_line_protocol()
        'cpu,host=server01 load=0.64 1'
        >>> point.to_line_protocol("ms")
        'cpu,host=server01 load=0.64 1000'
    """

    __slots__ = ("_fields", "_name", "_precision", "_tags", "_time")

    # Points are built call by call, so they are not hashable.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, measurement_name: str) -> None:
        self._name = measurement_name
        self._tags: dict[str, Any] = {}
        self._fields: dict[str, Any] = {}
        self._time: int | None = None
        self._precision = "ns"
        try:
            escape_measurement(measurement_name)
        except LineProtocolError as exc:
            raise exc.locate(point=self) from None

    @classmethod
    def measurement(cls: type[_P], measurement: str) -> _P:
        """Return a new point of ``measurement`` (influxdb-client's spelling of ``Point(...)``)."""
        return cls(measurement)

    @classmethod
    def from_dict(
        cls: type[_P],
        dictionary: Mapping[str, Any],
        write_precision: str | None = None,
        *,
        record_measurement_key: str = "measurement",
        record_measurement_name: str | None = None,
        record_time_key: str = "time",
        record_tag_keys: Iterable[str] | None = None,
        record_field_keys: Iterable[str] | None = None,
    ) -> _P:
        """Build a point from a mapping.

        By default the mapping has influxkit's (and aioinflux's, influxdb-python's)
        shape: ``measurement``, ``tags``, ``fields`` and ``time``. The ``record_*``
        options read a flat record instead, as influxdb-client does.

        Args:
            dictionary: the mapping.
            write_precision: the unit of an integer time (``'ns'`` by default).
            record_measurement_key: the key of the measurement.
            record_measurement_name: the measurement itself, for records without one.
            record_time_key: the key of the time (a point without it has no time).
            record_tag_keys: the keys of the record to write as tags, instead of the
                mapping under ``tags``. Keys missing from the record are left out.
            record_field_keys: the keys of the record to write as fields, instead of
                the mapping under ``fields``. Keys missing from the record are left out.

        With ``record_tag_keys`` or ``record_field_keys``, keys of the record named
        nowhere are not written: the lists select what the point holds.

        Raises:
            LineProtocolError: for a record without a measurement or fields, or with a
                name or value line protocol cannot carry.

        Example::

            >>> sensor = {"name": "sensor", "location": "warehouse", "pressure": 125,
            ...           "created": 1632208639}
            >>> Point.from_dict(sensor, "s", record_measurement_key="name",
            ...                 record_time_key="created", record_tag_keys=["location"],
            ...                 record_field_keys=["pressure"]).to_line_protocol()
            'sensor,location=warehouse pressure=125i 1632208639'
        """
        name = record_measurement_name
        if name is None:
            try:
                name = dictionary[record_measurement_key]
            except KeyError:
                raise LineProtocolError(
                    f"the record has no measurement (key {record_measurement_key!r}); pass "
                    "record_measurement_key= or record_measurement_name=",
                    point=dictionary, field="measurement",
                ) from None
        point = cls(name)
        try:
            if record_tag_keys is None:
                tags: Iterable[tuple[str, Any]] = (dictionary.get("tags") or {}).items()
            else:
                tags = [(key, dictionary[key]) for key in record_tag_keys if key in dictionary]
            if record_field_keys is None:
                if "fields" not in dictionary:
                    raise LineProtocolError(
                        "the record has no 'fields'; pass record_field_keys= to take fields "
                        "from its keys", point=dictionary, field="fields",
                    )
                fields: Iterable[tuple[str, Any]] = dictionary["fields"].items()
            else:
                fields = [(key, dictionary[key]) for key in record_field_keys
                          if key in dictionary]
            for key, value in tags:
                point.tag(key, value)
            for key, value in fields:
                point.field(key, value)
        except AttributeError:
            raise LineProtocolError("the record's 'tags' and 'fields' must be mappings",
                                    point=dictionary) from None
        when = dictionary.get(record_time_key)
        if when is not None:
            point.time(when, write_precision)
        return point

    # -- building ----------------------------------------------------------------------

    def tag(self: _P, key: str, value: Any) -> _P:
        """Set a tag: a ``str``, or a number written as ``str()`` writes it.

        Raises:
            LineProtocolError: for a key or value line protocol cannot carry.
        """
        try:
            escape_tag_value(value, key)
            escape_key(key, "tag key")
        except LineProtocolError as exc:
            raise exc.locate(point=self) from None
        self._tags[key] = value
        return self

    def field(self: _P, key: str, value: Any) -> _P:
        """Set a field: float, int (64-bit), bool, str, or their numpy kinds.

        Raises:
            LineProtocolError: for a key line protocol cannot carry, NaN or infinity,
                an integer outside int64, or a value of another type.
        """
        try:
            escape_key(key)
            format_field(value, key)
        except LineProtocolError as exc:
            raise exc.locate(point=self) from None
        self._fields[key] = value
        return self

    def time(self: _P, time: Any, precision: str | None = None, *,
             write_precision: str | None = None) -> _P:
        """Set the time, or clear it with None (the server then assigns it).

        Args:
            time: an integer in ``precision``; a float holding a whole number; a
                ``datetime`` (naive means UTC), ``date``, ISO 8601 string, numpy or
                pandas time.
            precision: the unit of the time (``'ns'`` by default), which becomes the
                point's precision: ``'ns'``, ``'u'`` (also ``'us'``), ``'ms'``,
                ``'s'``, ``'m'``, ``'h'``. A time that is not a whole number of it is
                refused.
            write_precision: the same, under influxdb-client's name.

        Raises:
            LineProtocolError: for a value that is not a time, one outside InfluxDB's
                range, one finer than ``precision``, or an integer (or whole float)
                that ``precision`` puts before 1971, which is most likely in another
                unit: the error names it (give an earlier time as a datetime).
        """
        if write_precision is not None:
            if precision is not None and _unit(precision) != _unit(write_precision):
                raise TypeError("pass the precision once: precision= or write_precision=")
            precision = write_precision
        unit = _unit(precision)
        if time is None:
            self._time, self._precision = None, unit
            return self
        value = time
        if isinstance(value, float):
            if not value.is_integer():
                shown = ("a float with a fractional part, which would be truncated"
                         if math.isfinite(value) else "not a finite number")
                raise LineProtocolError(
                    f"time {time!r} is {shown}; pass an int in {_UNIT_NAMES[unit]} or a "
                    "datetime", point=self, field="time", value=time,
                )
            value = int(value)
        if isinstance(value, bool):
            raise LineProtocolError(f"time {time!r} is a bool, not a time",
                                    point=self, field="time", value=time)
        try:
            number = time_to_int(value, unit)
        except ValueError as exc:
            raise LineProtocolError(str(exc), point=self, field="time", value=time) from None
        self._time, self._precision = number, unit
        return self

    # -- reading -----------------------------------------------------------------------

    @property
    def write_precision(self) -> str:
        """The unit of the point's time (``'ns'`` unless given with the time)."""
        return self._precision

    def to_line_protocol(self, precision: str | None = None) -> str:
        """Return the point as one line of line protocol.

        Args:
            precision: the unit of the written time; the point's own by default.

        Raises:
            LineProtocolError: for a point without fields, or whose time is not a whole
                number of ``precision``.
        """
        unit = self._precision if precision is None else _unit(precision)
        try:
            return _encode_point(self, unit, "")
        except LineProtocolError as exc:
            raise exc.locate(point=self) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return _identity(self) == _identity(other)

    def __repr__(self) -> str:
        parts = [f"{type(self).__name__}({self._name!r})"]
        parts += [f".tag({key!r}, {value!r})" for key, value in self._tags.items()]
        parts += [f".field({key!r}, {value!r})" for key, value in self._fields.items()]
        if self._time is not None:
            parts.append(f".time({self._time!r}, {self._precision!r})")
        return "".join(parts)


def _identity(point: Point) -> tuple[Any, ...]:
    # A field's type is part of the point: 1 and 1.0 are written as 1i and 1.
    fields = {key: (type(value), value) for key, value in point._fields.items()}
    when = None if point._time is None else (point._time, point._precision)
    return point._name, point._tags, fields, when


def _unit(precision: str | None) -> str:
    return normalize_precision(precision)


def _encode_point(point: Point, precision: str, extra: str) -> str:
    """Encode a :class:`Point` as a line (its ``__influxkit_encoder__``).

    ``extra`` is a write's extra tags, encoded: they go under the point's own tags,
    in the order a mapping point would give them.
    """
    line = escape_measurement(point._name)
    own: dict[str, str] = {}
    for key, value in point._tags.items():
        escaped = escape_tag_value(value, key)
        if escaped:
            escaped_key = escape_key(key, "tag key")
            own[escaped_key] = f",{escaped_key}={escaped}"
    if extra:
        for key, piece in fragment_pieces(extra):
            line += own.pop(key, "") or piece
    line += "".join(own.values())
    fields = []
    for key, value in point._fields.items():
        text = format_field(value, key)
        if text is not None:
            fields.append(f"{escape_key(key)}={text}")
    if not fields:
        raise LineProtocolError(
            "point has no fields (None values are left out); InfluxDB needs at least one",
            field="fields",
        )
    if point._time is None:
        return f"{line} {','.join(fields)}"
    return f"{line} {','.join(fields)} {_time_in(point, precision)}"


def _time_in(point: Point, precision: str) -> int:
    when = point._time
    assert when is not None
    if precision == point._precision:
        return when
    number, rest = divmod(when * NS_PER_UNIT[point._precision], NS_PER_UNIT[precision])
    if rest:
        raise LineProtocolError(
            f"time {when} in {_UNIT_NAMES[point._precision]} is not a whole number of "
            f"{_UNIT_NAMES[precision]} (the write's precision {precision!r}); write with "
            f"precision {point._precision!r} or finer",
            field="time", value=when,
        )
    return number


# Set after the class, so that subclasses find it by inheritance and the encoder is a
# plain function (``type(point).__influxkit_encoder__(point, precision, extra)``).
Point.__influxkit_encoder__ = staticmethod(_encode_point)  # type: ignore[attr-defined]


class Measurement(Point):
    """A point in inflow's terms: a name, tags, a timestamp and values.

    Args:
        name: the measurement.
        tags: its tags.
        timestamp: an ``int`` in seconds (inflow's unit; from 1971 on), a ``datetime``
            (naive means UTC) or an ISO 8601 string, converted exactly; None lets the
            server assign the time.
        value: the field ``value``, inflow's usual single value.
        **fields: other fields.

    It is a :class:`Point`, written by :meth:`InfluxDBClient.write` like any other.

    Raises:
        LineProtocolError: for a name, tag, field or time line protocol cannot carry.

    Example::

        >>> Measurement("temperature", tags={"location": "groningen"}, value=21.3,
        ...             timestamp=1475845863).to_line_protocol()
        'temperature,location=groningen value=21.3 1475845863'
    """

    __slots__ = ()

    def __init__(self, name: str, tags: Mapping[str, Any] | None = None,
                 timestamp: Any = None, value: Any = None, **fields: Any) -> None:
        super().__init__(name)
        _fill(self, tags, timestamp, None, value, fields)


def _fill(point: Point, tags: Mapping[str, Any] | None, timestamp: Any,
          precision: str | None, value: Any, fields: Mapping[str, Any]) -> None:
    for key, tag in (tags or {}).items():
        point.tag(key, tag)
    if value is not None:
        point.field("value", value)
    for key, field in fields.items():
        point.field(key, field)
    if timestamp is not None:
        if precision is None and not _is_integral(timestamp):
            precision = "ns"  # a datetime or a string: exact to the nanosecond
        point.time(timestamp, "s" if precision is None else precision)


def _is_integral(value: Any) -> bool:
    return isinstance(value, (int, float)) or (
        hasattr(value, "__index__") and type(value).__module__ == "numpy")


def measurement_point(name: str, tags: Mapping[str, Any] | None, timestamp: Any,
                      precision: str | None, value: Any, fields: Mapping[str, Any],
                      now_precision: str | None = None) -> Point:
    """The point of a one-measurement write (``write_measurement``).

    An integer ``timestamp`` is in ``precision`` (seconds by default, as in inflow).
    Without a timestamp the point has no time, unless ``now_precision`` is given: the
    point then gets the current time, in that unit (that of the write it is for).
    """
    point = Point(name)
    if timestamp is None and now_precision is not None:
        timestamp = time_module.time_ns() // NS_PER_UNIT[now_precision]
        precision = now_precision
    _fill(point, tags, timestamp, precision, value, fields)
    return point
