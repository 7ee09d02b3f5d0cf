"""inflow's ``Client``, ``Session`` and ``Measurement`` over influxkit's blocking client.

Every form of inflow's ``write`` becomes a list of point dicts (``measurement``,
``tags``, ``fields``, ``time``) written by :meth:`influxkit.InfluxDBClient.write` (or
handed to an :class:`influxkit.Session`) with the write's precision, in which integer
timestamps are read: the one encoder checks and encodes them.
"""

from __future__ import annotations

import datetime
import numbers
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from influxkit import InfluxDBClient, LineProtocolError, serialize

from .exceptions import translated

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["Client", "Measurement", "Session"]

# inflow's precisions, and how many nanoseconds each holds.
_NS_PER_UNIT: Final = {"ns": 1, "u": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
                       "m": 60_000_000_000, "h": 3_600_000_000_000}
_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
# Keyword arguments of Client.write that are options, never fields.
_WRITE_OPTIONS: Final = ("retention_policy", "precision")


def _check_precision(precision: Any, what: str = "precision") -> str:
    if not isinstance(precision, str) or precision not in _NS_PER_UNIT:
        raise ValueError(f"invalid {what} {precision!r}: use one of h, m, s, ms, u or ns")
    return precision


class Measurement:
    """A measurement to write: a name, values (fields), tags and a timestamp.

    Args:
        name: the measurement's name.
        timestamp: an ``int`` in the precision of the write (the client's: seconds by
            default), a ``datetime`` (naive means UTC) or an ISO 8601 string; None
            means now.
        tags: the tags.
        **values: the fields (an ``int`` is written as a float, as inflow wrote it).

    Attributes:
        name, tags, values, timestamp: as given; ``timestamp`` is the current time (a
            UTC ``datetime``) when none was given, written in the write's precision.

    It is checked when written: a bad name, tag, value or time raises
    :class:`~influxkit.compat.inflow.WriteFailedException` (a ``ValueError``) then,
    before anything is sent.
    """

    def __init__(self, name: str, timestamp: Any = None,
                 tags: Mapping[str, Any] | None = None, **values: Any) -> None:
        self.name = name
        self.values = values
        self.tags = tags
        self._now_ns: int | None = None
        self.timestamp = timestamp

    @property
    def timestamp(self) -> Any:
        """The time: as given, or the time the measurement was made (a UTC datetime)."""
        if self._now_ns is not None:
            return _EPOCH + datetime.timedelta(microseconds=self._now_ns // 1_000)
        return self._timestamp

    @timestamp.setter
    def timestamp(self, timestamp: Any) -> None:
        self._timestamp = timestamp
        # Microseconds, as the datetime the attribute shows.
        self._now_ns = time.time_ns() // 1_000 * 1_000 if timestamp is None else None

    def to_line(self, precision: str = "s") -> str:
        """The measurement as a line of line protocol, its time in ``precision``.

        Raises:
            WriteFailedException: for a measurement line protocol cannot carry.
        """
        unit = _check_precision(precision)
        with translated(write=True):
            return serialize(_point(self, unit), precision=unit).decode()

    def __repr__(self) -> str:
        return (f"Measurement(name={self.name!r}, timestamp={self.timestamp!r}, "
                f"tags={self.tags!r}, **{self.values!r})")


def _point(measurement: Measurement, precision: str) -> dict[str, Any]:
    """The point dict of a measurement, its integer time in ``precision``."""
    when = measurement._timestamp
    if measurement._now_ns is not None:
        # Made without a timestamp: the time it was made, cut to the precision.
        when = measurement._now_ns // _NS_PER_UNIT[precision]
    point: dict[str, Any] = {"measurement": measurement.name, "time": when,
                             "fields": {key: _field(measurement, key, value)
                                        for key, value in measurement.values.items()}}
    if measurement.tags:
        point["tags"] = measurement.tags
    return point


def _field(measurement: Measurement, key: str, value: Any) -> Any:
    # inflow wrote an int with no 'i' suffix, so InfluxDB stored a float: keep fields
    # of the type inflow gave them (an int field would refuse the floats inflow wrote).
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise LineProtocolError(f"value {value!r} is too large for a float field",
                                    point=measurement, field=key, value=value) from None
    return value


def _measurements(data: Any, rows: Any, tags: Mapping[str, Any] | None, timestamp: Any,
                  values: dict[str, Any]) -> list[Measurement]:
    """The measurements of one of inflow's ``write`` forms."""
    if isinstance(data, str):
        if rows is not None:
            raise TypeError("write(name, ...) takes the values as keyword arguments, "
                            f"not {rows!r}")
        return [Measurement(data, timestamp, tags, **values)]
    extra = [name for name, given in (("tags", tags), ("timestamp", timestamp))
             if given is not None] + list(values)
    if isinstance(data, Mapping):
        if rows is None:
            raise TypeError("write(template, rows) needs the rows: a list of dicts")
        if extra:
            raise TypeError(f"write(template, rows) takes no {', '.join(extra)}: put them "
                            "in the template or the rows")
        measurements = []
        for row in rows:
            merged = dict(data)
            merged.update(row)
            measurements.append(Measurement(**merged))
        return measurements
    if rows is not None or extra:
        raise TypeError("write(measurement) and write([measurements]) take no other "
                        "arguments than retention_policy (and precision)")
    if isinstance(data, Measurement):
        return [data]
    if isinstance(data, Iterable) and not isinstance(data, (bytes, bytearray)):
        items = list(data)
        for index, item in enumerate(items):
            if not isinstance(item, Measurement):
                raise LineProtocolError(
                    f"can't write {type(item).__name__} {item!r}: write a list of "
                    "Measurement", index=index)
        return items
    raise LineProtocolError(f"can't create measurements from {data!r}: write a name and "
                            "values, a Measurement, a list of them, or a template and rows")


def _points(data: Any, rows: Any, tags: Mapping[str, Any] | None, timestamp: Any,
            values: dict[str, Any], precision: str) -> list[dict[str, Any]]:
    return [_point(measurement, precision)
            for measurement in _measurements(data, rows, tags, timestamp, values)]


# inflow's clients hold no connection, so code makes them freely (one per call, even):
# the clients of one URI and timeout share one influxkit client, its connections kept
# until exit (when influxkit closes them quietly) or close().
_SHARED: dict[tuple[str, float | None], InfluxDBClient[Any]] = {}
_SHARED_LOCK: Final = threading.Lock()


def _shared_client(uri: str, timeout: float | None) -> InfluxDBClient[Any]:
    key = (uri, timeout)
    with _SHARED_LOCK:
        client = _SHARED.get(key)
        if client is None:
            options: dict[str, Any] = {"mode": "blocking"}
            if timeout is not None:
                options["timeout"] = timeout
            client = InfluxDBClient.from_url(uri, **options)
            if not client.db:
                client.close()
                raise ValueError("the URI names no database: end its path with one "
                                 "(http://localhost:8086/databasename)")
            _SHARED[key] = client
        return client


class Client:
    """The InfluxDB client: ``Client('http://user:pass@localhost:8086/databasename')``.

    Args:
        uri: ``http://`` or ``https://``, the credentials, the host, the port and, as
            the last segment of the path, the database (required).
        precision: the unit of integer timestamps and of the writes: ``h``, ``m``,
            ``s`` (the default), ``ms``, ``u`` or ``ns``.
        retention_policy: the retention policy of writes; the database's default if None.
        timeout: seconds a request may take; influxkit's default if None.

    Raises:
        ValueError: for a URI of another scheme, without a database, or an invalid
            precision.

    Attributes:
        precision, retention_policy, timeout: as given.
        client: the :class:`influxkit.InfluxDBClient` (blocking mode) underneath,
            shared by the clients of the same URI and timeout.
    """

    def __init__(self, uri: str, precision: str = "s", retention_policy: str | None = None,
                 timeout: float | None = None) -> None:
        scheme = urllib.parse.urlsplit(uri).scheme if isinstance(uri, str) else None
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme {scheme!r}: the URI must start with "
                             "http:// or https://")
        self.precision = _check_precision(precision)
        self.retention_policy = retention_policy
        self.timeout = timeout
        self.client = _shared_client(uri, timeout)

    def write(self, data: Any, rows: Iterable[Mapping[str, Any]] | None = None, /, *,
              tags: Mapping[str, Any] | None = None, timestamp: Any = None,
              retention_policy: str | None = None, precision: str | None = None,
              **values: Any) -> None:
        """Write measurements, in one request.

        Forms::

            write('temperature', tags={...}, timestamp=1475845863, value=21.3, ...)
            write(Measurement(...))
            write([Measurement(...), ...])
            write({'name': 'temperature', 'tags': {...}}, [{'value': 21.3, 'timestamp': t}, ...])

        Args:
            retention_policy: the retention policy of this write, instead of the
                client's.
            precision: the unit of this write's integer timestamps, instead of the
                client's.

        Raises:
            WriteFailedException: when the server refuses the write, or, before
                anything is sent, for data line protocol cannot carry (then also a
                ``ValueError``), naming the measurement and the value.
            DatabaseNotFoundException, UnauthorizedException, ForbiddenException:
                for a missing database (404), a failed login (401), a forbidden write
                (403).
            TypeError: for arguments of no form.
        """
        unit = self.precision if precision is None else _check_precision(precision)
        rp = self.retention_policy if retention_policy is None else retention_policy
        with translated(write=True):
            points = _points(data, rows, tags, timestamp, values, unit)
            self.client.write(points, precision=unit, rp=rp)

    def session(self, autocommit_every: int | None = None,
                retention_policy: str | None = None) -> Session:
        """Start a :class:`Session`, which writes its measurements on commit."""
        return Session(self, autocommit_every, retention_policy)

    def query(self, query: str, epoch: str | None = None) -> list[dict[str, Any]]:
        """Run a query.

        Args:
            query: InfluxQL, one statement or several.
            epoch: the unit of returned times (``h``, ``m``, ``s``, ``ms``, ``u``,
                ``ns``); RFC 3339 strings if None.

        Returns:
            ``[{'name': 'temperature', 'values': [{'time': ..., 'value': 21.0, ...}]}]``:
            a dict for each series of each statement, in order; a series of a
            ``GROUP BY`` query has its ``'tags'`` too.

        Raises:
            ValueError: for an invalid epoch, before anything is sent.
            QueryFailedException: when the server refuses the query or a statement.
            UnauthorizedException, ForbiddenException: for a failed login, a
                forbidden query.
        """
        if epoch is not None:
            _check_precision(epoch, "epoch")
        with translated(write=False):
            answer = self.client.query(query, epoch=epoch, output="json")
        found = []
        for result in answer.get("results", ()):
            for series in result.get("series", ()):
                columns = series.get("columns", ())
                item: dict[str, Any] = {
                    "name": series.get("name"),
                    "values": [dict(zip(columns, row, strict=True))
                               for row in series.get("values", ())],
                }
                if series.get("tags"):
                    item["tags"] = series["tags"]
                found.append(item)
        return found

    def close(self) -> None:
        """Close the connections (they are closed at exit otherwise); a client of the
        same URI that is used again opens new ones."""
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<inflow Client {self.client!r}, precision={self.precision!r}, "
                f"retention_policy={self.retention_policy!r}>")


class Session:
    """Measurements collected, then written together by :meth:`commit`.

    Made by :meth:`Client.session`. Its :meth:`write` takes the forms of
    :meth:`Client.write`, except ``retention_policy`` and ``precision``: they are the
    session's and the client's.

    Args:
        client: the client.
        autocommit_every: commit as soon as this many measurements are waiting.
        retention_policy: the retention policy of the commits; the client's if None.

    As a context manager it commits when the block ends, also when the block raised
    (then an error of the commit is added to the block's error as a note, and the
    measurements stay in the session); not after a ``KeyboardInterrupt``.
    """

    def __init__(self, client: Client, autocommit_every: int | None = None,
                 retention_policy: str | None = None) -> None:
        if autocommit_every is not None and (
                isinstance(autocommit_every, bool) or not isinstance(autocommit_every, int)
                or autocommit_every < 1):
            raise ValueError(
                f"autocommit_every must be a positive int or None, not {autocommit_every!r}")
        self.client = client
        self.autocommit_every = autocommit_every
        self.retention_policy = retention_policy
        self._precision = client.precision
        self._session = client.client.session(precision=client.precision)

    @property
    def pending(self) -> int:
        """The number of measurements waiting for a commit."""
        return int(self._session.pending)

    def write(self, data: Any, rows: Iterable[Mapping[str, Any]] | None = None, /, *,
              tags: Mapping[str, Any] | None = None, timestamp: Any = None,
              **values: Any) -> None:
        """Add measurements (the forms of :meth:`Client.write`); they are checked now.

        Raises:
            WriteFailedException: for data line protocol cannot carry (also a
                ``ValueError``); nothing of this call is kept. From an autocommit, as
                :meth:`commit`.
            TypeError: for ``retention_policy`` or ``precision``, which are the
                session's, or arguments of no form.
        """
        options = [name for name in _WRITE_OPTIONS if name in values]
        if options:
            raise TypeError(f"session.write() takes no {' or '.join(options)}: the "
                            "session's retention policy is client.session(retention_policy="
                            "...)'s, its precision the client's")
        with translated(write=True):
            self._session.write(_points(data, rows, tags, timestamp, values,
                                        self._precision))
        if self.autocommit_every is not None and self.pending >= self.autocommit_every:
            self.commit()

    def commit(self) -> None:
        """Write every waiting measurement.

        Raises:
            WriteFailedException, DatabaseNotFoundException, UnauthorizedException,
                ForbiddenException: as :meth:`Client.write`. The measurements stay in
                the session for the next commit, except after a partial write (the
                server stored the others).
        """
        rp = self.retention_policy
        self._session.retention_policy = self.client.retention_policy if rp is None else rp
        with translated(write=True):
            self._session.commit()

    def rollback(self) -> int:
        """Discard the waiting measurements; return how many there were."""
        return int(self._session.rollback())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.commit()
            return
        if isinstance(exc, KeyboardInterrupt):
            return
        try:
            self.commit()
        except Exception as failure:
            add_note = getattr(exc, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(f"and the session's commit on exit failed: {failure!r}")

    def __repr__(self) -> str:
        return (f"<inflow Session autocommit_every={self.autocommit_every!r}, "
                f"retention_policy={self.retention_policy!r}, pending={self.pending}>")
