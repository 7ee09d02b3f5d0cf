"""Sessions: points collected, then written together on commit (inflow's sessions).

A session encodes what it is handed at once (a bad point fails there, naming it) and
keeps the encoded lines until :meth:`Session.commit`. The buffering is the small
:class:`_Pending` below; the session adds the client, the modes and autocommit.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._backoff import RetryPolicy
from ._blocks import count_lines
from ._errors import PartialWriteError
from ._lineprotocol import EncodedLines, frame_kind, iter_serialize
from ._point import Point, measurement_point
from ._time import normalize_precision
from ._writer import Batch, deliver

if TYPE_CHECKING:
    from types import TracebackType

    from ._client import InfluxDBClient

__all__ = ["Session"]


class _Pending:
    """Encoded lines waiting to be sent, safe to share between threads.

    Lines are taken out to be sent and put back, in front, if sending fails: nothing is
    lost, and the order is kept.
    """

    def __init__(self) -> None:
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


def _count(blocks: list[EncodedLines]) -> int:
    return sum(count_lines(block) for block in blocks if block)


class Session:
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

    Attributes:
        db, retention_policy, precision: where and how the points are written.
        autocommit_every: commit every this many writes, or None.

    Example::

        async with client.session() as session:
            await session.write({"measurement": "cpu", "fields": {"load": 0.5}})
            await session.write_measurement("temperature", value=21.3, timestamp=1475845863)
    """

    def __init__(self, client: InfluxDBClient, autocommit_every: int | None = None,
                 retention_policy: str | None = None, precision: str | None = None,
                 db: str | None = None, retry: RetryPolicy | None = None) -> None:
        if autocommit_every is not None and (
                isinstance(autocommit_every, bool) or not isinstance(autocommit_every, int)
                or autocommit_every < 1):
            raise ValueError(
                f"autocommit_every must be a positive int or None, not {autocommit_every!r}")
        self.db = client._database(db)
        self.retention_policy = retention_policy
        self.precision = normalize_precision(precision)
        self.autocommit_every = autocommit_every
        self.retry = retry
        self._client = client
        self._pending = _Pending()
        self._commit_lock = threading.Lock()
        self._async_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def pending(self) -> int:
        """The number of points waiting for a commit."""
        return self._pending.points

    def __repr__(self) -> str:
        return (f"<Session db={self.db!r}, retention_policy={self.retention_policy!r}, "
                f"precision={self.precision!r}, pending={self.pending}>")

    # -- handing points over -------------------------------------------------------------

    def write(self, data: Any, measurement: str | None = None,
              tag_columns: Iterable[str] | None = None, **extra_tags: Any) -> Any:
        """Hand points over: anything :meth:`InfluxDBClient.write` accepts.

        Args:
            data: the points.
            measurement: measurement for inputs that don't name their own.
            tag_columns: DataFrame columns to write as tags.
            **extra_tags: tags added to these points (their own tags win).

        Returns:
            None (a coroutine of None in async mode). With ``autocommit_every``, the
            write that completes the count commits.

        Raises:
            LineProtocolError: for data line protocol cannot carry; nothing of ``data``
                is kept.
            InfluxDBError: from an autocommit that failed (the points are kept).
        """
        if self._client.mode == "async":
            return self._write_async(data, measurement, tag_columns, extra_tags)
        due = self._add(self._encode(data, measurement, tag_columns, extra_tags))
        if due:
            self._commit_blocking()
        return None

    def write_measurement(self, name: str, *, tags: Mapping[str, Any] | None = None,
                          timestamp: Any = None, precision: str | None = None,
                          value: Any = None, **fields: Any) -> Any:
        """Hand over one point, inflow's way: ``write_measurement("temperature", value=21.3)``.

        As :meth:`InfluxDBClient.write_measurement`, except that the database and the
        retention policy are the session's, and that a point without ``timestamp`` is
        given the current time now (in the session's precision): the server would
        give every point of a commit the same time, and the points of a series would
        overwrite each other.

        Raises:
            LineProtocolError: for a name, tag, field or time line protocol cannot carry.
        """
        point = measurement_point(name, tags, timestamp, precision, value, fields,
                                  now_precision=self.precision)
        return self.write(point)

    def _encode(self, data: Any, measurement: str | None, tag_columns: Iterable[str] | None,
                extra_tags: Mapping[str, Any]) -> list[EncodedLines]:
        tags = {**self._client.default_tags, **extra_tags}
        return [EncodedLines(block, self.precision)
                for block in iter_serialize(data, measurement, tag_columns, self.precision,
                                            threads=1, **tags)]

    def _add(self, blocks: list[EncodedLines]) -> bool:
        """Keep the blocks; return whether an autocommit is due."""
        additions = self._pending.add(blocks)
        every = self.autocommit_every
        return every is not None and additions >= every

    async def _write_async(self, data: Any, measurement: str | None,
                           tag_columns: Iterable[str] | None,
                           extra_tags: Mapping[str, Any]) -> None:
        if _small(data):
            blocks = self._encode(data, measurement, tag_columns, extra_tags)
        else:
            blocks = await asyncio.to_thread(self._encode, data, measurement, tag_columns,
                                             extra_tags)
        if self._add(blocks):
            await self._commit_async()

    # -- committing ----------------------------------------------------------------------

    def commit(self) -> Any:
        """Write the session's points.

        Returns:
            ``True`` (a coroutine of it in async mode), also when there was nothing to
            write.

        Raises:
            InfluxDBWriteError, InfluxDBConnectionError: when the write fails. The
                points stay in the session; the next commit sends them again.
        """
        if self._client.mode == "async":
            return self._commit_async()
        return self._commit_blocking()

    def _commit_blocking(self) -> bool:
        with self._commit_lock:
            blocks = self._pending.take()
            if not blocks:
                return True
            try:
                failures = self._client._runner.run(self._deliver(blocks))
            except BaseException:
                self._pending.put_back(blocks)
                raise
            self._keep_failed(failures)
        return True

    async def _deliver(self, blocks: list[EncodedLines]) -> list[tuple[Batch, BaseException]]:
        return await deliver(self._client, blocks, db=self.db, rp=self.retention_policy,
                             precision=self.precision, retry=self.retry)

    def _keep_failed(self, failures: list[tuple[Batch, BaseException]]) -> None:
        """Keep the points of the batches that did not land, and raise the first error.

        A partial write is not kept: the server stored the rest of its batch.
        """
        if not failures:
            return
        kept = [EncodedLines(b"\n".join(batch.blocks), self.precision)
                for batch, error in failures
                if batch.blocks and not isinstance(error, PartialWriteError)]
        self._pending.put_back(kept)
        raise failures[0][1]

    async def _commit_async(self) -> bool:
        # Commits are sent one at a time, in order; an asyncio lock belongs to one loop.
        loop = asyncio.get_running_loop()
        if self._async_lock is None or self._async_lock[0] is not loop:
            self._async_lock = (loop, asyncio.Lock())
        async with self._async_lock[1]:
            blocks = self._pending.take()
            if not blocks:
                return True
            try:
                failures = await self._deliver(blocks)
            except BaseException:
                self._pending.put_back(blocks)
                raise
            self._keep_failed(failures)
        return True

    def rollback(self) -> int:
        """Discard the points not committed yet (in both modes a plain call).

        Returns:
            The number of points discarded.
        """
        return _count(self._pending.take())

    # -- context managers ----------------------------------------------------------------

    def __enter__(self) -> Session:
        if self._client.mode == "async":
            raise TypeError("the client is in async mode: use 'async with client.session()'")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self._commit_blocking()

    async def __aenter__(self) -> Session:
        if self._client.mode != "async":
            raise TypeError("the client is in blocking mode: use 'with client.session()'")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            await self._commit_async()

    def __del__(self) -> None:
        pending = getattr(self, "_pending", None)
        if pending is not None and pending.points:
            warnings.warn(f"{self!r} was dropped with {pending.points} point(s) not "
                          "committed: call commit() or rollback()", ResourceWarning,
                          stacklevel=2)


def _small(data: Any) -> bool:
    """Inputs cheap enough to encode on the event loop."""
    if isinstance(data, (Mapping, Point, str, bytes)):
        return True
    if isinstance(data, (list, tuple)):
        return len(data) <= 100
    return frame_kind(data) is None and hasattr(type(data), "__influxkit_encoder__")
