"""Writing conveniences: ``write_points``, one-measurement writes and sessions, as
methods of :class:`~influxkit.InfluxDBClient`.

They all end in :meth:`InfluxDBClient.write`, so they follow the client's mode: in
async mode they return coroutines, in blocking mode results.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, cast, overload

from ._lineprotocol import frame_kind
from ._point import measurement_point
from ._session import Session

if TYPE_CHECKING:
    from ._backoff import RetryPolicy
    from ._client import InfluxDBClient

__all__ = ["WritingMixin"]

PROTOCOLS: Final = ("json", "line")


def _points_form(points: Any, time_precision: str | None = None, database: str | None = None,
                 retention_policy: str | None = None, tags: Mapping[str, Any] | None = None,
                 batch_size: int | None = None, protocol: str = "json",
                 consistency: str | None = None) -> None:
    """The arguments of ``write_points`` for points (influxdb-python's order)."""


def _frame_form(dataframe: Any, measurement: str, tags: Mapping[str, Any] | None = None,
                tag_columns: Iterable[str] | None = None,
                field_columns: Iterable[str] | None = None, time_precision: str | None = None,
                database: str | None = None, retention_policy: str | None = None,
                batch_size: int | None = None, protocol: str = "line") -> None:
    """The arguments of ``write_points`` for a DataFrame (influxdb-python's
    ``DataFrameClient`` order)."""


_POINTS_FORM: Final = inspect.signature(_points_form)
_FRAME_FORM: Final = inspect.signature(_frame_form)

# The parameters of write(): shared tags of these names can't be passed on to it.
_WRITE_PARAMETERS: Final = frozenset(
    {"data", "measurement", "db", "precision", "rp", "tag_columns", "batch_size",
     "concurrency"})


class WritingMixin:
    """The writing conveniences of :class:`~influxkit.InfluxDBClient`."""

    @overload
    def write_points(self, points: Iterable[Any], time_precision: str | None = None,
                     database: str | None = None, retention_policy: str | None = None,
                     tags: Mapping[str, Any] | None = None, batch_size: int | None = None,
                     protocol: str = "json", consistency: str | None = None) -> Any: ...

    @overload
    def write_points(self, points: Any, measurement: str,
                     tags: Mapping[str, Any] | None = None,
                     tag_columns: Iterable[str] | None = None,
                     field_columns: Iterable[str] | None = None,
                     time_precision: str | None = None, database: str | None = None,
                     retention_policy: str | None = None, batch_size: int | None = None,
                     protocol: str = "line") -> Any: ...

    def write_points(self, points: Any, *args: Any, **kwargs: Any) -> Any:
        """Write points, with influxdb-python's arguments.

        Two forms, by the first argument:

        ``write_points(points, time_precision=None, database=None, retention_policy=None,
        tags=None, batch_size=None, protocol='json', consistency=None)``
            ``points``: anything :meth:`write` accepts (a list of point dicts in
            influxdb-python, or of line protocol strings with ``protocol='line'``).

        ``write_points(dataframe, measurement, tags=None, tag_columns=None,
        field_columns=None, time_precision=None, database=None, retention_policy=None,
        batch_size=None, protocol='line')``
            ``dataframe``: a pandas or polars DataFrame, as influxdb-python's
            ``DataFrameClient`` writes it. ``tag_columns`` are written as tags; the
            fields are ``field_columns``, or by default every other column (other
            columns are not written). Column names that are not strings are written
            as ``str()`` writes them (a column ``0`` is the field ``"0"``).

        Args:
            time_precision: unit of integer timestamps: ``'n'`` or ``'ns'`` (the
                default), ``'u'``, ``'ms'``, ``'s'``, ``'m'``, ``'h'``. Datetimes are
                converted to it exactly; one finer than it is refused.
            database: the database; the client's by default.
            retention_policy: the retention policy; the database's default by default.
            tags: tags shared by every point. A point's own tags (a DataFrame's tag
                columns) win; a shared tag fills in where a point has none.
            batch_size: points per request (by default, requests of about 8 MB).
            protocol: ``'json'`` or ``'line'``: accepted for compatibility, they make
                no difference (every input is sent as line protocol).
            consistency: only None: the write consistency of InfluxDB Enterprise
                clusters is not sent.

        Returns:
            ``True`` (a coroutine of it in async mode).

        Raises:
            LineProtocolError: for data line protocol cannot carry, before anything is
                sent, naming the point.
            InfluxDBWriteError: when the server refuses the write.
            InfluxDBConnectionError: when the server cannot be reached.

        Example::

            client.write_points([{"measurement": "cpu_load_short",
                                  "tags": {"host": "server01"},
                                  "time": "2009-11-10T23:00:00Z",
                                  "fields": {"value": 0.64}}], tags={"region": "us-west"})
        """
        client = cast("InfluxDBClient", self)
        frame = frame_kind(points) is not None
        form = _FRAME_FORM if frame else _POINTS_FORM
        try:
            bound = form.bind(points, *args, **kwargs)
        except TypeError as exc:
            what = "a DataFrame" if frame else "points"
            raise TypeError(f"write_points() of {what}: {exc}") from None
        bound.apply_defaults()
        arguments = bound.arguments
        protocol = arguments["protocol"]
        if protocol not in PROTOCOLS:
            raise ValueError(f"invalid protocol {protocol!r}: use 'json' or 'line' (or "
                             "leave it out; every input is sent as line protocol)")
        if not frame and arguments["consistency"] is not None:
            raise ValueError("consistency= is a setting of InfluxDB Enterprise clusters, "
                             "which influxkit does not send: leave it out")
        tags = dict(arguments["tags"] or {})
        clashes = sorted(set(tags) & _WRITE_PARAMETERS)
        if clashes:
            raise ValueError(
                f"shared tags named {', '.join(map(repr, clashes))} cannot be passed to "
                "write(), whose parameters have these names: put them in the points' own "
                "tags (or a DataFrame's tag columns)")
        options = {"db": arguments["database"], "precision": arguments["time_precision"],
                   "rp": arguments["retention_policy"], "batch_size": arguments["batch_size"]}
        if not frame:
            return client.write(points, **options, **tags)
        data, tag_columns = _frame_columns(points, arguments["tag_columns"],
                                           arguments["field_columns"])
        return client.write(data, arguments["measurement"], tag_columns=tag_columns,
                            **options, **tags)

    def write_measurement(self, name: str, *, tags: Mapping[str, Any] | None = None,
                          timestamp: Any = None, precision: str | None = None,
                          db: str | None = None, rp: str | None = None, value: Any = None,
                          **fields: Any) -> Any:
        """Write one point, inflow's way: ``write_measurement("temperature", value=21.3)``.

        Args:
            name: the measurement.
            tags: its tags.
            timestamp: an ``int`` in ``precision``; a ``datetime`` (naive means UTC) or
                an ISO 8601 string, converted exactly; None lets the server assign the
                time.
            precision: unit of an integer ``timestamp``: ``'s'`` by default (inflow's),
                ``'ns'``, ``'u'``, ``'ms'``, ``'m'``, ``'h'``.
            db: the database; the client's by default.
            rp: the retention policy; the database's default by default.
            value: the field ``value``, inflow's usual single value.
            **fields: other fields (so no field can be named like the arguments above).

        Returns:
            ``True`` (a coroutine of it in async mode).

        Raises:
            LineProtocolError: for a name, tag, field or time line protocol cannot carry.
            InfluxDBWriteError: when the server refuses the write.

        Example::

            client.write_measurement("temperature", tags={"location": "groningen"},
                                     value=21.3, timestamp=1475845863)
        """
        client = cast("InfluxDBClient", self)
        point = measurement_point(name, tags, timestamp, precision, value, fields)
        return client.write(point, db=db, precision=point.write_precision, rp=rp)

    def session(self, autocommit_every: int | None = None, retention_policy: str | None = None,
                precision: str | None = None, db: str | None = None,
                retry: RetryPolicy | None = None) -> Session:
        """Start a :class:`Session`: points collected, then written together on commit.

        Args:
            autocommit_every: commit after every this many writes to the session.
            retention_policy: the retention policy of every write of the session.
            precision: the precision the points are written with (``'ns'`` by
                default); integer times of points handed to :meth:`Session.write` are
                in it (:meth:`Session.write_measurement` reads integer timestamps as
                seconds, inflow's way, unless given its own ``precision``).
            db: the database; the client's by default.
            retry: how a commit retries (a :class:`RetryPolicy`; by default it does
                not: a failed commit raises and keeps its points). Commits go through
                the batching writer, which also halves a batch the server finds too
                large.

        Example::

            with client.session(autocommit_every=100) as session:
                for reading in readings:
                    session.write_measurement("temperature", value=reading)

        Raises:
            ValueError: without a database, or for an invalid option.
        """
        client = cast("InfluxDBClient", self)
        return Session(client, autocommit_every, retention_policy, precision, db, retry)


def _frame_columns(frame: Any, tag_columns: Iterable[str] | None,
                   field_columns: Iterable[str] | None) -> tuple[Any, list[str] | None]:
    """The frame to write, its columns selected and named by strings, and its tag columns."""
    tags = None if tag_columns is None else (
        [tag_columns] if isinstance(tag_columns, str) else list(tag_columns))
    if frame_kind(frame) == "pandas":
        names = list(frame.columns)
        if not all(isinstance(name, str) for name in names):
            # DataFrameClient writes column names as str() writes them.
            as_text = [str(name) for name in names]
            if len(set(as_text)) < len(as_text):
                raise ValueError(f"the DataFrame's column names {names!r} are not distinct "
                                 "as strings")
            frame = frame.set_axis(as_text, axis="columns")
            if tags is not None:
                tags = [str(name) for name in tags]
            if field_columns is not None:
                field_columns = [str(name) for name in field_columns]
    if field_columns is None:
        return frame, tags
    fields = [field_columns] if isinstance(field_columns, str) else list(field_columns)
    selected = [*(tags or []), *fields]
    if frame_kind(frame) == "pandas":
        return frame[selected], tags
    # A polars frame's times are a column: its column 'time', or else its only Datetime
    # column, which stays.
    import polars as pl

    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    times = ["time"] if "time" in schema else [
        name for name, dtype in schema.items()
        if isinstance(dtype, pl.Datetime) and name not in selected]
    return frame.select([*times, *selected]), tags
