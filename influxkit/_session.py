"""Sessions: points collected, then written together on commit (inflow's sessions).

A session encodes what it is handed at once (a bad point fails there, naming it) and
keeps the encoded lines until :meth:`Session.commit`. A commit takes the points of a
:class:`PointStore`, delivers them through the batching writer
(:func:`~influxkit._writer.deliver`) and gives back to the store what did not land:
the one commit path of sessions and of :class:`~influxkit.SeriesHelper`, whose
recorded points are a store of their own.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ._blocking import ModeSwitch
from ._core.backoff import RetryPolicy
from ._core.time import normalize_precision
from ._dual import dual
from ._encode.lines import count_lines
from ._encode.point import measurement_point
from ._encode.serialize import EncodedLines, encodes_quickly, iter_serialize
from ._errors import PartialWriteError
from ._writer import Batch, WriteEngine, deliver

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["LoopLock", "PointStore", "Session"]


class LoopLock:
    """An :class:`asyncio.Lock` for whichever event loop runs (a lock belongs to one
    loop): commits of one store are sent one at a time, in order."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def get(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            if self._lock is None or self._lock[0] is not loop:
                self._lock = (loop, asyncio.Lock())
            return self._lock[1]


class PointStore(Protocol):
    """Points waiting for a commit, and what to keep of them when it fails."""

    lock: LoopLock

    def take(self) -> list[Any]:
        """Take every point out, to be sent."""

    def put_back(self, items: list[Any]) -> None:
        """Put taken points back, in front, after a commit that sent nothing."""

    def keep_failed(self, items: list[Any],
                    failures: list[tuple[Batch, BaseException]]) -> None:
        """Keep, after a commit that failed, the points to be sent again."""


class _Pending:
    """A session's encoded lines waiting to be sent, safe to share between threads.

    Lines are taken out to be sent and put back, in front, if sending fails: nothing is
    lost, and the order is kept.
    """

    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.lock = LoopLock()
        self._lock = threading.Lock()
        self._blocks: list[EncodedLines] = []
        self.points = 0  # lines held
        self.additions = 0  # additions since lines were last taken

    def add(self, blocks: list[EncodedLines]) -> int:
        """Add the blocks of one hand-over; return the additions since the last take."""
        points = _count(blocks)
        with self._lock:
            self._blocks += blocks
            self.points += points
            self.additions += 1
            return self.additions

    def take(self) -> list[EncodedLines]:
        with self._lock:
            blocks, self._blocks = self._blocks, []
            self.points = self.additions = 0
        return blocks

    def put_back(self, blocks: list[EncodedLines]) -> None:
        points = _count(blocks)
        with self._lock:
            self._blocks[:0] = blocks
            self.points += points

    def keep_failed(self, blocks: list[EncodedLines],
                    failures: list[tuple[Batch, BaseException]]) -> None:
        """Keep the points of the batches that did not land; a partial write is not
        kept (the server stored the rest of its batch)."""
        self.put_back([EncodedLines(b"\n".join(batch.blocks), self.precision)
                       for batch, error in failures
                       if batch.blocks and not isinstance(error, PartialWriteError)])


def _count(blocks: list[EncodedLines]) -> int:
    return sum(count_lines(block) for block in blocks if block)


M = TypeVar("M", bound=str)


class Session(Generic[M]):
    """Points collected and written together on :meth:`commit`.

    Made by :meth:`InfluxDBClient.session`. Hand it anything
    :meth:`InfluxDBClient.write` accepts: it is encoded at once, so a bad point fails
    in :meth:`write`, naming it, and sent on :meth:`commit`, in one write (several
    requests if it is large).

    - As a context manager (``with`` in blocking mode, ``async with`` in async mode)
      it commits when the block ends normally. When the block raises, nothing is
      sent: the points stay in the session, to be committed or discarded
      (:meth:`rollback`) later.
    - With ``autocommit_every=N``, every Nth call of :meth:`write` or
      :meth:`write_measurement` commits.
    - A commit goes through the batching writer (:func:`~influxkit._writer.deliver`):
      it retries as its ``retry`` policy says (not at all by default) and halves a
      request the server finds too large. A commit that fails raises its first error
      and keeps the points of every request that did not land, for the next commit;
      only a partial write's points are not kept (the server stored the rest of them
      and said why it dropped the others).
    - A session dropped with points not committed warns (``ResourceWarning``).

    The client's default tags are added when the points are handed over. Points
    without a time get the server's time when they are committed, the same for all of
    a commit, except those of :meth:`write_measurement`, which are timed when handed
    over.

    Its methods follow the client's mode: in async mode :meth:`write`,
    :meth:`write_measurement` and :meth:`commit` return coroutines. In blocking mode a
    session may be shared by threads; commits are sent one at a time, in order.

    Args:
        engine: what writes the points: the client's engine.
        modes: the client's mode switch, which the session's methods follow.
        autocommit_every: commit every this many writes, or None.
        retention_policy: where the points are written; the database's default by
            default.
        precision: how integer times are read (``'ns'`` by default).
        db: the database; the client's by default.
        retry: the :class:`RetryPolicy` of commits; none by default.

    Attributes:
        db: the database the points are written to.
        retention_policy: the retention policy they are written to.
        precision: how their integer times are read.
        autocommit_every: commit every this many writes, or None.

    Example::

        async with client.session() as session:
            await session.write({"measurement": "cpu", "fields": {"load": 0.5}})
            await session.write_measurement("temperature", value=21.3, timestamp=1475845863)
    """

    def __init__(self, engine: WriteEngine, modes: ModeSwitch,
                 autocommit_every: int | None = None, retention_policy: str | None = None,
                 precision: str | None = None, db: str | None = None,
                 retry: RetryPolicy | None = None) -> None:
        if autocommit_every is not None and (
                isinstance(autocommit_every, bool) or not isinstance(autocommit_every, int)
                or autocommit_every < 1):
            raise ValueError(
                f"autocommit_every must be a positive int or None, not {autocommit_every!r}")
        self.db = engine.target(db)
        self.retention_policy = retention_policy
        self.precision = normalize_precision(precision)
        self.autocommit_every = autocommit_every
        self.retry = retry
        self._engine = engine
        self._modes = modes
        self._pending = _Pending(self.precision)

    if TYPE_CHECKING:
        @property
        def _mode_type(self) -> M:
            """The mode, as type checkers know it (see :mod:`influxkit._dual`)."""

    @property
    def pending(self) -> int:
        """The number of points waiting for a commit."""
        return self._pending.points

    def __repr__(self) -> str:
        return (f"<Session db={self.db!r}, retention_policy={self.retention_policy!r}, "
                f"precision={self.precision!r}, pending={self.pending}>")

    # -- handing points over -------------------------------------------------------------

    @dual
    async def write(self, /, data: Any, measurement: str | None = None,
                    tag_columns: Iterable[str] | None = None, *,
                    precision: str | None = None, **extra_tags: Any) -> None:
        """Hand points over: anything :meth:`InfluxDBClient.write` accepts.

        Args:
            data: the points.
            measurement: measurement for inputs that don't name their own.
            tag_columns: DataFrame columns to write as tags.
            precision: the session's precision, or None. A session's points are all
                written in its own precision, chosen when it is made.
            **extra_tags: tags added to these points (their own tags win).

        Returns:
            None (a coroutine of None in async mode). With ``autocommit_every``, the
            write that completes the count commits.

        Raises:
            LineProtocolError: for data line protocol cannot carry; nothing of ``data``
                is kept.
            InfluxDBError: from an autocommit that failed (the points are kept).
            ValueError: for a ``precision`` other than the session's.
        """
        if precision is not None and normalize_precision(precision) != self.precision:
            raise ValueError(
                f"precision={precision!r}: this session writes in precision "
                f"{self.precision!r}, chosen when it was made; make a session with "
                f"session(precision={precision!r}) for these points")
        await self._write(data, measurement, tag_columns, extra_tags)

    async def _write(self, data: Any, measurement: str | None,
                     tag_columns: Iterable[str] | None, extra_tags: Mapping[str, Any]) -> None:
        if encodes_quickly(data):
            blocks = self._encode(data, measurement, tag_columns, extra_tags)
        else:
            blocks = await asyncio.to_thread(self._encode, data, measurement, tag_columns,
                                             extra_tags)
        additions = self._pending.add(blocks)
        if self.autocommit_every is not None and additions >= self.autocommit_every:
            await self._commit(self._pending)

    @dual
    async def write_measurement(self, /, name: str, *, tags: Mapping[str, Any] | None = None,
                                timestamp: Any = None, precision: str | None = None,
                                value: Any = None, **fields: Any) -> None:
        """Hand over one point, inflow's way: ``write_measurement("temperature", value=21.3)``.

        As :meth:`InfluxDBClient.write_measurement`, except that the database and the
        retention policy are the session's, and that a point without ``timestamp`` is
        given the current time now (in the session's precision): the server would
        give every point of a commit the same time, and the points of a series would
        overwrite each other.

        Args:
            name: the measurement.
            tags: its tags.
            timestamp: an ``int`` in ``precision``; a ``datetime`` (naive means UTC) or
                an ISO 8601 string, converted exactly; None: the current time.
            precision: unit of an integer ``timestamp``: ``'s'`` by default (inflow's).
            value: the field ``value``, inflow's usual single value.
            **fields: other fields.

        Raises:
            LineProtocolError: for a name, tag, field or time line protocol cannot carry.
        """
        point = measurement_point(name, tags, timestamp, precision, value, fields,
                                  now_precision=self.precision)
        await self._write(point, None, None, {})

    def _encode(self, data: Any, measurement: str | None, tag_columns: Iterable[str] | None,
                extra_tags: Mapping[str, Any]) -> list[EncodedLines]:
        tags = {**self._engine.default_tags, **extra_tags}
        return [EncodedLines(block, self.precision)
                for block in iter_serialize(data, measurement, tag_columns, self.precision,
                                            threads=1, **tags)]

    # -- committing ----------------------------------------------------------------------

    @dual
    async def commit(self) -> bool:
        """Write the session's points.

        Returns:
            ``True`` (a coroutine of it in async mode), also when there was nothing to
            write.

        Raises:
            InfluxDBWriteError, InfluxDBConnectionError: when the write fails. The
                points stay in the session; the next commit sends them again.
        """
        return await self._commit(self._pending)

    def _commit_store(self, store: PointStore) -> Any:
        """Commit the points of another store with this session's target (how
        :class:`~influxkit.SeriesHelper` commits); follows the mode."""
        return self._modes(self._commit(store))

    async def _commit(self, store: PointStore) -> bool:
        """The one commit: take the store's points, deliver them, give back what did
        not land and raise its first error. Commits of a store go one at a time."""
        async with store.lock.get():
            items = store.take()
            if not items:
                return True
            try:
                failures = await deliver(self._engine, items, db=self.db,
                                         rp=self.retention_policy, precision=self.precision,
                                         retry=self.retry)
            except BaseException:
                store.put_back(items)
                raise
            if failures:
                store.keep_failed(items, failures)
                raise failures[0][1]
        return True

    def rollback(self) -> int:
        """Discard the points not committed yet (in both modes a plain call).

        Returns:
            The number of points discarded.
        """
        return _count(self._pending.take())

    # -- context managers ----------------------------------------------------------------

    def __enter__(self) -> Self:
        self._modes.expect("blocking", "use 'async with client.session()'")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self._modes(self._commit(self._pending))

    async def __aenter__(self) -> Self:
        self._modes.expect("async", "use 'with client.session()'")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            await self._commit(self._pending)

    def __del__(self) -> None:
        pending = getattr(self, "_pending", None)
        if pending is not None and pending.points:
            warnings.warn(f"{self!r} was dropped with {pending.points} point(s) not "
                          "committed: call commit() or rollback()", ResourceWarning,
                          stacklevel=2)
