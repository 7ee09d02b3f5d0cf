"""``SeriesHelper``: influxdb-python's declarative point recorder.

A subclass describes a series in its ``Meta``; each instantiation records a point,
and :meth:`SeriesHelper.commit` writes the recorded points. Each subclass keeps its
own points (a subclass of a subclass too), behind a lock of its own.
"""

from __future__ import annotations

import string
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ._core.time import NS_PER_UNIT, normalize_precision
from ._encode.serialize import serialize
from ._errors import LineProtocolError, PartialWriteError
from ._session import LoopLock, Session

if TYPE_CHECKING:
    from ._core.backoff import RetryPolicy
    from ._writer import Batch


class SessionMaker(Protocol):
    """What a helper needs of its client: a session to commit through (the client's
    :meth:`~influxkit.InfluxDBClient.session`), and its mode."""

    @property
    def mode(self) -> str: ...

    def session(self, autocommit_every: int | None = None,
                retention_policy: str | None = None, precision: str | None = None,
                db: str | None = None, retry: RetryPolicy | None = None) -> Session[Any]: ...

__all__ = ["SeriesHelper"]

_setup_lock = threading.Lock()


class _Series:
    """The configuration and the recorded points of one helper class."""

    def __init__(self, cls: type[SeriesHelper]) -> None:
        meta = getattr(cls, "Meta", None)
        if meta is None:
            raise TypeError(f"{cls.__name__} has no Meta class: give it one with "
                            "series_name, fields and tags")
        self.meta = meta
        name = cls.__name__
        self.series_name: str = _required(meta, "series_name", name)
        if not isinstance(self.series_name, str):
            raise TypeError(f"{name}.Meta.series_name must be a str, not "
                            f"{type(self.series_name).__name__}")
        # 'time' among the fields names the time, as in influxdb-python's example.
        self.fields = [f for f in _names(meta, "fields", name, required=True) if f != "time"]
        self.tags = _names(meta, "tags", name, required=False)
        if "time" in self.tags:
            raise TypeError(f"{name}.Meta.tags names 'time', which is the point's time")
        both = sorted(set(self.fields) & set(self.tags))
        if both:
            raise TypeError(f"{name}.Meta names {', '.join(map(repr, both))} as both a tag "
                            "and a field")
        if not self.fields:
            raise TypeError(f"{name}.Meta.fields is empty: InfluxDB needs a field")
        self.names = frozenset(["time", *self.fields, *self.tags])
        try:
            used: set[str] = {field.split(".")[0].split("[")[0]
                    for _, field, _, _ in string.Formatter().parse(self.series_name)
                    if field is not None}
        except ValueError as exc:
            raise TypeError(f"{name}.Meta.series_name {self.series_name!r} is not a format "
                            f"template: {exc}") from None
        if "" in used or any(field.isdigit() for field in used):
            raise TypeError(f"{name}.Meta.series_name {self.series_name!r} has a positional "
                            "field: name a tag or field in each {}")
        unknown = sorted(used - self.names)
        if unknown:
            raise TypeError(f"{name}.Meta.series_name {self.series_name!r} refers to "
                            f"{', '.join(map(repr, unknown))}, which is not a tag or field of "
                            "the series")
        self.template_names = sorted(used)
        self.bulk_size = getattr(meta, "bulk_size", 1)
        if isinstance(self.bulk_size, bool) or not isinstance(self.bulk_size, int) \
                or self.bulk_size < 1:
            raise TypeError(f"{name}.Meta.bulk_size must be a positive int, not "
                            f"{self.bulk_size!r}")
        self.autocommit = bool(getattr(meta, "autocommit", False))
        self.precision = normalize_precision(getattr(meta, "time_precision", None))
        self.retention_policy: str | None = getattr(meta, "retention_policy", None)
        if self.autocommit and getattr(meta, "client", None) is None:
            raise TypeError(f"{name}.Meta.autocommit needs Meta.client")
        self.points_lock = threading.Lock()
        self.lock = LoopLock()  # commits one at a time, so points land in order
        self.points: list[dict[str, Any]] = []

    def client(self, client: SessionMaker | None) -> SessionMaker:
        # Read from Meta at each commit: a client set on Meta later is used.
        chosen = client if client is not None else getattr(self.meta, "client", None)
        if chosen is None:
            raise TypeError("no client: set Meta.client or pass commit(client=...)")
        return chosen

    def take(self) -> list[dict[str, Any]]:
        with self.points_lock:
            points, self.points = self.points, []
        return points

    def put_back(self, points: list[dict[str, Any]]) -> None:
        with self.points_lock:
            self.points[:0] = points

    def keep_failed(self, points: list[dict[str, Any]],
                    failures: list[tuple[Batch, BaseException]]) -> None:
        """After a failed commit, keep every point, unless the only failures are
        partial writes (the server stored the rest of those). Points of a commit that
        did land, in another request of it, are sent again by the next commit: the
        server stores the same point once."""
        if not all(isinstance(error, PartialWriteError) for _, error in failures):
            self.put_back(points)


def _required(meta: type, attribute: str, name: str) -> Any:
    try:
        return getattr(meta, attribute)
    except AttributeError:
        raise TypeError(f"{name}.Meta has no {attribute}") from None


def _names(meta: type, attribute: str, name: str, *, required: bool) -> list[str]:
    names = _required(meta, attribute, name) if required else getattr(meta, attribute, ())
    if isinstance(names, str) or not isinstance(names, Sequence) or not all(
            isinstance(item, str) for item in names):
        raise TypeError(f"{name}.Meta.{attribute} must be a list of str, not {names!r}")
    if len(set(names)) < len(names):
        raise TypeError(f"{name}.Meta.{attribute} names something twice: {names!r}")
    return list(names)


def _series(cls: type[SeriesHelper]) -> _Series:
    series = cls.__dict__.get("_series")
    if series is None:
        with _setup_lock:
            series = cls.__dict__.get("_series")
            if series is None:
                series = _Series(cls)
                # On the class itself: a subclass looks in its own __dict__, so it never
                # shares its parent's points.
                type.__setattr__(cls, "_series", series)
    return series


class SeriesHelper:
    """Record points by instantiating a class; write them in bulk.

    Subclass it with a ``Meta`` class:

    - ``series_name``: the measurement, a :meth:`str.format` template of tag and field
      names (``'events.stats.{server_name}'``).
    - ``fields``: the field names (``'time'`` among them names the time, not a field).
    - ``tags``: the tag names.
    - ``client``: the :class:`InfluxDBClient` that writes (or pass one to
      :meth:`commit`).
    - ``bulk_size`` (1) and ``autocommit`` (False): with ``autocommit``, the
      instantiation that brings the recorded points to ``bulk_size`` writes them all.
    - ``time_precision`` (``'ns'``): the unit of integer times.
    - ``retention_policy``: where to write (the database's default by default).

    Instantiate it with the tags, the fields and optionally ``time`` as keyword
    arguments; names that are not given are None (a None field is left out). A point
    without ``time`` gets the current time, in ``time_precision``, when it is recorded.

    Unlike influxdb-python's helper, each subclass keeps its own points (a subclass of
    a subclass too), threads may record and commit at once, and a failed commit keeps
    its points for the next.

    With an async-mode client, :meth:`commit` returns a coroutine, to be awaited, and
    ``autocommit`` is refused: a constructor cannot wait for a write.

    Args:
        **values: the point's tags and fields by name, and optionally its ``time``.

    Raises:
        TypeError: on the first instantiation, for an invalid ``Meta``; for a keyword
            that is not a tag, a field or ``time``; for ``autocommit`` with an
            async-mode client.
        LineProtocolError: for a point line protocol cannot carry, which is not
            recorded.
        InfluxDBError: from an autocommit that failed; the points, this one
            included, stay recorded for the next commit.

    Example::

        class CpuSeries(SeriesHelper):
            class Meta:
                client = InfluxDBClient(db="metrics", mode="blocking")
                series_name = "cpu.{host}"
                fields = ["load"]
                tags = ["host"]
                bulk_size = 100
                autocommit = True

        CpuSeries(host="server01", load=0.64)
        CpuSeries.commit()
    """

    _series: ClassVar[_Series]

    def __init__(self, **values: Any) -> None:
        cls = type(self)
        series = _series(cls)
        unknown = sorted(set(values) - series.names)
        if unknown:
            raise TypeError(
                f"{cls.__name__} got {', '.join(map(repr, unknown))}, which is not a tag or "
                f"field of its series (tags {series.tags}, fields {series.fields}, time)")
        client = getattr(series.meta, "client", None) if series.autocommit else None
        if client is not None and client.mode == "async":
            raise TypeError(
                f"{cls.__name__}.Meta.autocommit with an async-mode client: a constructor "
                "cannot wait for a write. Use a blocking-mode client, or leave autocommit "
                f"out and 'await {cls.__name__}.commit()'")
        when = values.get("time")
        if when is None:
            when = time.time_ns() // NS_PER_UNIT[series.precision]
        missing = [name for name in series.template_names if values.get(name) is None]
        if missing:
            raise TypeError(f"{cls.__name__}.Meta.series_name {series.series_name!r} needs "
                            f"{', '.join(map(repr, missing))}")
        measurement = series.series_name.format(**values)
        point = {
            "measurement": measurement,
            "tags": {tag: values.get(tag) for tag in series.tags},
            "fields": {field: values[field] for field in series.fields
                       if values.get(field) is not None},
            "time": when,
        }
        try:
            serialize(point, precision=series.precision)
        except LineProtocolError as exc:
            raise exc.locate(point=point) from None
        self._point = point
        with series.points_lock:
            series.points.append(point)
            due = series.autocommit and len(series.points) >= series.bulk_size
        if due:
            cls.commit()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._point!r}>"

    @classmethod
    def commit(cls, client: SessionMaker | None = None) -> Any:
        """Write the recorded points, and forget them once written.

        Args:
            client: the client to write with, instead of ``Meta.client``.

        Returns:
            ``True`` (a coroutine of it with an async-mode client), also when there
            was nothing to write.

        Raises:
            InfluxDBWriteError, InfluxDBConnectionError: when the write fails. The
                points stay recorded; the next commit sends them again.
        """
        series = _series(cls)
        session = series.client(client).session(retention_policy=series.retention_policy,
                                                precision=series.precision)
        return session._commit_store(series)

    @classmethod
    def _json_body_(cls) -> list[dict[str, Any]]:
        """Return the recorded points as dicts (``measurement``, ``tags``, ``fields``,
        ``time``), as they will be written; copies, which the helper does not read."""
        series = _series(cls)
        with series.points_lock:
            return [{**point, "tags": dict(point["tags"]), "fields": dict(point["fields"])}
                    for point in series.points]

    @classmethod
    def _reset_(cls) -> int:
        """Forget the recorded points without writing them; return how many there were."""
        return len(_series(cls).take())
