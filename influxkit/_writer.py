"""The batching writer: hand it points, and every one of them lands or is reported.

Delivery guarantee: every point handed to :meth:`AsyncWriter.write` is, in the end,
either acknowledged by the server, or reported as not delivered (to ``on_error`` if
given, else raised by :meth:`~AsyncWriter.flush` or :meth:`~AsyncWriter.close`), or,
with a spill directory, kept on disk until a writer on that directory delivers it.
Nothing is dropped without being counted and reported.

How it works: :meth:`~AsyncWriter.write` encodes its input at once (a bad point fails
there, naming it) and appends it to the open batch of its target (database,
retention policy, precision). A batch is closed when it holds ``batch_size`` points or
``batch_bytes`` bytes, or when it is ``flush_interval`` seconds old; closed batches
wait in a queue, which ``concurrency`` senders empty. A sender retries what is worth
retrying (:class:`~influxkit._backoff.RetryPolicy`), splits a batch the server finds
too large (413) into halves, and reports the rest. The points buffered (open, queued
and in flight) are bounded; when the bound is reached, ``when_full`` decides: wait
(the default), drop the oldest queued batches (counted and reported), or spill them
to disk.

With ``spill_dir``, every write is appended to a batch file before ``write`` returns;
the file is deleted when the server acknowledges its batch. A batch that runs out of
retries stays on disk and is tried again later, and a writer started on the same
directory (after a crash or a kill of the application) sends whatever is there first.
The files are written but not synced to disk: they survive the application, not a
power loss of the machine. A batch the
server refused for good moves to ``spill_dir/failed``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures.thread
import contextlib
import fcntl
import functools
import json
import logging
import os
import random
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from ._core.backoff import RetryPolicy
from ._core.time import normalize_precision
from ._encode.lines import count_lines, cut_block, split_lines
from ._encode.serialize import encodes_quickly, frame_kind, iter_serialize
from ._engine import write_params
from ._errors import (
    InfluxDBError,
    PartialWriteError,
    RequestTooLargeError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._blocking import LoopThread

__all__ = ["AsyncWriter", "Batch", "BlockingWriter", "WriterError", "WriterStats", "deliver"]

logger = logging.getLogger("influxkit.writer")

_HEADER: Final = b"#influxkit "  # a line protocol comment: the batch file's target
WhenFull = Literal["wait", "drop_oldest", "spill"]


class WriteEngine(Protocol):
    """What the writer needs of the engine: where points go, and one request."""

    @property
    def default_tags(self) -> Mapping[str, Any]: ...

    @property
    def max_request_bytes(self) -> int: ...

    def target(self, db: str | None) -> str: ...

    async def post_lines(self, body: bytes, params: Mapping[str, str]) -> None: ...


class WriterError(InfluxDBError):
    """Batches a writer could not deliver (and no ``on_error`` callback took).

    Attributes:
        failures: ``(batch, error)`` pairs, in the order they failed.
    """

    def __init__(self, failures: list[tuple[Batch, BaseException]]) -> None:
        self.failures = failures
        points = sum(batch.points for batch, _ in failures)
        first = failures[0][1]
        super().__init__(
            f"{points} point(s) in {len(failures)} batch(es) were not delivered; first: "
            f"{type(first).__name__}: {first}"
        )


@dataclass
class WriterStats:
    """Counters of a writer, all since it was made."""

    points_written: int = 0  # acknowledged by the server
    points_retried: int = 0  # sent again (each retry of a batch counts its points)
    points_failed: int = 0  # refused for good, or given up (reported)
    points_dropped: int = 0  # by when_full="drop_oldest" or by the server (partial write)
    points_spilled: int = 0  # moved out of memory to the spill directory
    points_parked: int = 0  # out of retries, kept on disk to be tried again
    bytes_written: int = 0
    batches_written: int = 0
    retries: int = 0
    in_flight: int = 0  # requests being sent now
    buffered_points: int = 0  # handed over and not yet settled

    def as_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True)
class _Target:
    db: str
    rp: str | None
    precision: str

    def params(self) -> dict[str, str]:
        return write_params(self.db, self.rp, self.precision)

    def header(self) -> bytes:
        """The first line of the batch file: a line protocol comment naming the target."""
        fields = {"db": self.db, "rp": self.rp, "precision": self.precision}
        return _HEADER + json.dumps(fields).encode() + b"\n"


@dataclass(eq=False)
class Batch:
    """Points sent in one request: their target, how many, and where they are kept."""

    seq: int
    target: _Target
    blocks: list[bytes] = field(default_factory=list)
    points: int = 0
    size: int = 0
    path: str | None = None  # the batch file, with a spill directory
    created: float = field(default_factory=time.monotonic)
    _fd: int | None = None
    _in_buffer: bool = False  # its points count against the buffer's bounds

    @property
    def db(self) -> str:
        return self.target.db

    @property
    def rp(self) -> str | None:
        return self.target.rp

    @property
    def precision(self) -> str:
        return self.target.precision

    def body(self) -> bytes:
        """The request body (read back from the batch file if it was spilled)."""
        if not self.blocks and self.path is not None:
            return _read_batch_file(self.path)[1]
        return b"\n".join(self.blocks)

    def lines(self) -> list[bytes]:
        return split_lines(self.body())


class AsyncWriter:
    """A batching writer on a client, for the running event loop (see the module).

    Made by :meth:`InfluxDBClient.writer` (on the client's engine, a
    :class:`WriteEngine`); use it as ``async with`` or close it.
    """

    def __init__(
        self,
        engine: WriteEngine,
        *,
        db: str | None = None,
        rp: str | None = None,
        precision: str | None = None,
        batch_size: int = 5_000,
        batch_bytes: int = 4 * 1024 * 1024,
        flush_interval: float = 1.0,
        jitter_interval: float = 0.0,
        retry: RetryPolicy | None = None,
        concurrency: int = 2,
        max_buffer_points: int = 200_000,
        max_buffer_bytes: int = 64 * 1024 * 1024,
        when_full: WhenFull = "wait",
        spill_dir: str | os.PathLike[str] | None = None,
        max_close_wait: float = 300.0,
        on_success: Callable[[Batch], Any] | None = None,
        on_error: Callable[[Batch, BaseException], Any] | None = None,
        on_retry: Callable[[Batch, BaseException, float], Any] | None = None,
    ) -> None:
        for name, value in (("batch_size", batch_size), ("batch_bytes", batch_bytes),
                            ("concurrency", concurrency),
                            ("max_buffer_points", max_buffer_points),
                            ("max_buffer_bytes", max_buffer_bytes)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value!r}")
        if flush_interval <= 0 or jitter_interval < 0 or max_close_wait < 0:
            raise ValueError("flush_interval must be positive, jitter_interval and "
                             "max_close_wait not negative")
        if when_full not in ("wait", "drop_oldest", "spill"):
            raise ValueError(f"when_full must be 'wait', 'drop_oldest' or 'spill', "
                             f"not {when_full!r}")
        if when_full == "spill" and spill_dir is None:
            raise ValueError("when_full='spill' needs a spill_dir")
        self._engine = engine
        self._db = db
        self._rp = rp
        self._precision = normalize_precision(precision)
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.flush_interval = flush_interval
        self.jitter_interval = jitter_interval
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency
        self.max_buffer_points = max_buffer_points
        self.max_buffer_bytes = max_buffer_bytes
        self.when_full = when_full
        self.spill_dir = os.fspath(spill_dir) if spill_dir is not None else None
        self.max_close_wait = max_close_wait
        self.on_success = on_success
        self.on_error = on_error
        self.on_retry = on_retry
        self.stats = WriterStats()
        self._open: dict[_Target, Batch] = {}
        self._queue: deque[Batch] = deque()
        self._sending: set[Batch] = set()
        self._unsettled: dict[int, int] = {}  # seq -> batches of it not settled
        self._seq = 0
        self._buffered_bytes = 0
        self._failures: list[tuple[Batch, BaseException]] = []
        self._wakeup: asyncio.Event | None = None  # replaced (after being set) on each change
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._closed = False
        self._lock_fd: int | None = None
        self._rng = random.Random()
        self._file_number = 0

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> AsyncWriter:
        """Start the senders (done by the first write); recover a spill directory."""
        if self._closed:
            raise RuntimeError("the writer is closed")
        if self._loop is not None:
            if self._loop is not asyncio.get_running_loop():
                raise RuntimeError("a writer is used from the event loop that started it")
            return self
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        if self.spill_dir is not None:
            await asyncio.to_thread(self._lock_spill_dir)
            for batch in await asyncio.to_thread(self._recover):
                self._enqueue(batch)
        self._tasks = [asyncio.ensure_future(self._sender()) for _ in range(self.concurrency)]
        self._tasks.append(asyncio.ensure_future(self._flusher()))
        return self

    async def __aenter__(self) -> AsyncWriter:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def flush(self) -> None:
        """Return once everything written before is acknowledged, or failed for good
        and reported (or, with a spill directory, kept on disk).

        Raises:
            WriterError: for batches that failed since the last report, unless an
                ``on_error`` callback took them.
        """
        await self.start()
        self._cut_all()
        target = self._seq
        await self._until(lambda: not any(seq <= target for seq in self._unsettled))
        self._raise_failures()

    async def close(self, timeout: float | None = None) -> None:
        """Flush (for at most ``timeout`` seconds, ``max_close_wait`` by default), stop
        the senders and log the counters.

        What is not delivered by then is reported (with a spill directory: kept on
        disk for the next writer).

        Raises:
            WriterError: for batches not delivered, unless ``on_error`` took them.
        """
        if self._closed:
            return
        if self._loop is None:
            self._closed = True
            return
        wait = self.max_close_wait if timeout is None else timeout
        try:
            await asyncio.wait_for(self._drain(), wait)
        except asyncio.TimeoutError:
            logger.warning("writer: close timed out after %.1f s with %d point(s) not "
                           "delivered", wait, self.stats.buffered_points)
        finally:
            self._closing = True
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._abandon_rest()
            self._closed = True
            self._unlock_spill_dir()
            logger.info("writer closed: %s", self.stats.as_dict())
        self._raise_failures()

    async def _drain(self) -> None:
        self._cut_all()
        await self._until(lambda: not self._unsettled)

    def _abandon_rest(self) -> None:
        """After a close that timed out: report (or keep on disk) what is left."""
        # A batch cut off in flight may or may not have been stored: it is kept (and
        # sent again by the next writer) or reported, never taken as delivered.
        leftover = [*self._sending, *self._queue, *self._open.values()]
        self._sending.clear()
        self._queue.clear()
        self._open.clear()
        for batch in leftover:
            self._close_file(batch)
            if batch.path is not None:
                self._park(batch, log=False)
            else:
                self._fail(batch, InfluxDBError("the writer was closed before the server "
                                                "acknowledged this batch"))
        self._unsettled.clear()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True) and self.stats.buffered_points:
            kept = (f"kept in {self.spill_dir} for the next writer" if self.spill_dir else
                    "lost")
            warnings.warn(
                f"a writer was dropped without close() holding {self.stats.buffered_points} "
                f"point(s), now {kept}; close it or use it as a context manager",
                ResourceWarning, stacklevel=2,
            )

    # -- writing ------------------------------------------------------------------------

    async def write(self, data: Any, measurement: str | None = None, *, db: str | None = None,
                    rp: str | None = None, precision: str | None = None,
                    tag_columns: Iterable[str] | None = None, **extra_tags: Any) -> None:
        """Hand points over: anything :meth:`InfluxDBClient.write` accepts.

        The points are encoded now (a bad one raises :class:`LineProtocolError`,
        naming it, and none of the input is taken) and sent in batches later. Waits
        while the buffer is full (``when_full='wait'``).
        """
        await self.start()
        if self._closing:
            raise RuntimeError("the writer is closing")
        target = _Target(self._engine.target(db if db is not None else self._db),
                         rp if rp is not None else self._rp,
                         normalize_precision(precision) if precision else self._precision)
        tags = {**self._engine.default_tags, **extra_tags}
        blocks = iter_serialize(data, measurement, tag_columns, target.precision,
                                block_lines=self.batch_size, threads=1, **tags)
        if frame_kind(data) is not None:
            # A DataFrame is checked whole before its first block; its blocks are
            # taken one by one, so a large one streams through a bounded buffer.
            source: Iterator[bytes] = iter(blocks)
            while (block := await asyncio.to_thread(next, source, None)) is not None:
                await self._add(target, block)
            return
        encoded = list(blocks) if encodes_quickly(data) else await asyncio.to_thread(list, blocks)
        for block in encoded:
            await self._add(target, block)

    async def _add(self, target: _Target, block: bytes) -> None:
        points = count_lines(block)
        if points > 1 and (points > self.batch_size or len(block) >= self.batch_bytes):
            for piece, lines in cut_block(block, self.batch_size, self.batch_bytes):
                await self._add_piece(target, piece, lines)
        else:
            await self._add_piece(target, block, points)

    async def _add_piece(self, target: _Target, block: bytes, points: int) -> None:
        await self._make_room(points, len(block))
        batch = self._open.get(target)
        if batch is not None and (batch.points + points > self.batch_size
                                  or batch.size + len(block) > self.batch_bytes):
            self._cut(batch)
            batch = None
        if batch is None:
            batch = self._open[target] = self._new_batch(target)
        if batch._fd is not None:
            _write_all(batch._fd, block + b"\n")
        batch.blocks.append(block)
        batch.points += points
        batch.size += len(block) + 1
        self.stats.buffered_points += points
        self._buffered_bytes += len(block) + 1
        if batch.points >= self.batch_size or batch.size >= self.batch_bytes:
            self._cut(batch)

    def _new_batch(self, target: _Target) -> Batch:
        self._seq += 1
        batch = Batch(self._seq, target, _in_buffer=True)
        self._unsettled[batch.seq] = 1
        if self.spill_dir is not None:
            self._file_number += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._file_number:06d}.lp"
            batch.path = os.path.join(self.spill_dir, name)
            batch._fd = os.open(batch.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND,
                                0o600)
            _write_all(batch._fd, target.header())
        return batch

    def _cut(self, batch: Batch) -> None:
        """Close an open batch and queue it for sending."""
        if self._open.get(batch.target) is batch:
            del self._open[batch.target]
        self._close_file(batch)
        self._enqueue(batch)

    def _cut_all(self) -> None:
        for batch in list(self._open.values()):
            self._cut(batch)

    def _enqueue(self, batch: Batch, *, front: bool = False) -> None:
        if front:
            self._queue.appendleft(batch)
        else:
            self._queue.append(batch)
        self._notify()

    def _close_file(self, batch: Batch) -> None:
        if batch._fd is not None:
            os.close(batch._fd)
            batch._fd = None

    def _notify(self) -> None:
        """Wake everything waiting for a change (to the queue, the buffer, the batches
        not settled); each then checks what it waits for."""
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = asyncio.Event()

    async def _until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            assert self._wakeup is not None
            await self._wakeup.wait()

    async def _make_room(self, points: int, size: int) -> None:
        """Backpressure: the buffer's bounds, and what ``when_full`` does about them."""
        def full() -> bool:
            if not self.stats.buffered_points:
                return False  # one block larger than the bounds still goes through
            return (self.stats.buffered_points + points > self.max_buffer_points
                    or self._buffered_bytes + size > self.max_buffer_bytes)

        while full():
            victim = next((batch for batch in self._queue if batch.blocks), None)
            if self.when_full == "drop_oldest" and victim is not None:
                self._queue.remove(victim)
                self.stats.points_dropped += victim.points
                logger.warning("writer: buffer full, dropped the oldest queued batch "
                               "(%d points)", victim.points)
                self._fail(victim, BufferError("dropped: the writer's buffer was full "
                                               "(when_full='drop_oldest')"),
                           counter="points_dropped")
                continue
            if self.when_full == "spill" and victim is not None:
                self._spill(victim)
                continue
            await self._until(lambda: not full() or self._closing)
            if self._closing:
                raise RuntimeError("the writer is closing")

    def _spill(self, batch: Batch) -> None:
        """Let go of a queued batch's points in memory: its file keeps them."""
        self.stats.points_spilled += batch.points
        self._release(batch)
        batch.blocks = []

    # -- sending ------------------------------------------------------------------------

    async def _flusher(self) -> None:
        """Close batches older than the flush interval (plus jitter)."""
        while True:
            wait = self.flush_interval + self._rng.uniform(0.0, self.jitter_interval)
            await asyncio.sleep(wait)
            now = time.monotonic()
            for batch in list(self._open.values()):
                if now - batch.created >= self.flush_interval:
                    self._cut(batch)

    async def _sender(self) -> None:
        while True:
            await self._until(lambda: bool(self._queue))
            batch = self._queue.popleft()
            self.stats.in_flight += 1
            self._sending.add(batch)
            try:
                await self._deliver(batch)
            finally:
                self._sending.discard(batch)
                self.stats.in_flight -= 1
                self._notify()

    async def _deliver(self, batch: Batch) -> None:
        started = time.monotonic()
        retry = 0
        while True:
            body = batch.body()
            try:
                await self._engine.post_lines(body, batch.target.params())
            except RequestTooLargeError as exc:
                self._split(batch, exc)
                return
            except PartialWriteError as exc:
                self._partial(batch, exc)
                return
            except InfluxDBError as exc:
                retry += 1
                wait = self.retry.next_delay(exc, retry, time.monotonic() - started,
                                             rng=self._rng)
                if wait is None:
                    if self.retry.retryable(exc) and batch.path is not None:
                        self._park(batch, exc)
                    else:
                        self._fail(batch, exc)
                    return
                self.stats.retries += 1
                self.stats.points_retried += batch.points
                logger.info("writer: %s; retry %d of a batch of %d point(s) in %.2f s",
                            exc, retry, batch.points, wait)
                self._callback(self.on_retry, batch, exc, wait)
                await asyncio.sleep(wait)
                continue
            except Exception as exc:  # not an answer: a bug, or a process shutting down
                self._fail(batch, exc)
                return
            self._settle(batch)
            self.stats.points_written += batch.points
            self.stats.bytes_written += len(body)
            self.stats.batches_written += 1
            self._callback(self.on_success, batch)
            self._remove_file(batch)
            batch.blocks = []  # delivered: only the counts are kept
            return

    def _split(self, batch: Batch, error: RequestTooLargeError) -> None:
        """A 413: send the halves instead (first half first), or fail a single point."""
        lines = batch.lines()
        if len(lines) < 2:
            self._fail(batch, error)
            return
        middle = len(lines) // 2
        halves: list[Batch] = []
        for part in (lines[:middle], lines[middle:]):
            half = Batch(batch.seq, batch.target, blocks=[b"\n".join(part)], points=len(part),
                         size=sum(len(line) + 1 for line in part), _in_buffer=True)
            if batch.path is not None:
                half.path = f"{batch.path[:-3]}-{len(halves)}.lp"
                _write_batch_file(half.path, half.target, half.blocks[0])
            halves.append(half)
        logger.info("writer: a batch of %d point(s) was too large for the server; sending "
                    "it in halves", batch.points)
        self._unsettled[batch.seq] = self._unsettled.get(batch.seq, 1) + 1
        self._remove_file(batch)
        self._release(batch)
        for half in reversed(halves):
            self.stats.buffered_points += half.points
            self._buffered_bytes += half.size
            self._enqueue(half, front=True)

    def _partial(self, batch: Batch, error: PartialWriteError) -> None:
        """The server stored some points and dropped others: report, never resend."""
        dropped = error.dropped if error.dropped is not None else 0
        stored = max(0, batch.points - dropped)
        self.stats.points_written += stored
        self.stats.points_dropped += dropped
        logger.warning("writer: the server dropped %s of %d point(s): %s",
                       error.dropped if error.dropped is not None else "some", batch.points,
                       error)
        self._settle(batch)
        self._remove_file(batch)
        self._report(batch, error)

    def _park(self, batch: Batch, error: BaseException | None = None, *,
              log: bool = True) -> None:
        """Out of retries, with a spill directory: keep it on disk, try again later."""
        self.stats.points_parked += batch.points
        if log:
            logger.warning("writer: gave up for now on a batch of %d point(s) (%s); it is "
                           "kept in %s and tried again later", batch.points, error,
                           self.spill_dir)
        self._settle(batch)
        batch.blocks = []  # on disk
        if self._loop is not None and not self._closing:
            delay = self.retry.max_retry_delay or self.retry.retry_interval or 1.0
            self._loop.call_later(delay, self._unpark, batch)

    def _unpark(self, batch: Batch) -> None:
        if self._closing or batch.path is None or not os.path.exists(batch.path):
            return
        self.stats.points_parked -= batch.points
        self._unsettled[batch.seq] = self._unsettled.get(batch.seq, 0) + 1
        self._enqueue(batch)

    def _fail(self, batch: Batch, error: BaseException, *,
              counter: str = "points_failed") -> None:
        if counter == "points_failed":
            self.stats.points_failed += batch.points
        self._settle(batch)
        if batch.path is not None and os.path.exists(batch.path):
            failed = os.path.join(os.path.dirname(batch.path), "failed")
            os.makedirs(failed, exist_ok=True)
            moved = os.path.join(failed, os.path.basename(batch.path))
            os.replace(batch.path, moved)
            batch.path = moved  # still readable by on_error
        logger.error("writer: a batch of %d point(s) was not delivered: %s", batch.points,
                     error)
        self._report(batch, error)

    def _report(self, batch: Batch, error: BaseException) -> None:
        if self.on_error is not None:
            self._callback(self.on_error, batch, error)
        else:
            self._failures.append((batch, error))

    def _raise_failures(self) -> None:
        if self._failures:
            failures, self._failures = self._failures, []
            raise WriterError(failures)

    def _settle(self, batch: Batch) -> None:
        """The batch is done with (delivered, reported or parked)."""
        self._release(batch)
        left = self._unsettled.get(batch.seq, 1) - 1
        if left > 0:
            self._unsettled[batch.seq] = left
        else:
            self._unsettled.pop(batch.seq, None)
        self._notify()

    def _release(self, batch: Batch) -> None:
        """Stop counting a batch's points against the buffer's bounds."""
        if batch._in_buffer:
            batch._in_buffer = False
            self.stats.buffered_points -= batch.points
            self._buffered_bytes -= batch.size

    def _remove_file(self, batch: Batch) -> None:
        if batch.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(batch.path)

    def _callback(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a user's callback must not stop the writer
            logger.exception("writer: the %s callback raised", getattr(callback, "__name__",
                                                                         "writer"))

    # -- the spill directory ------------------------------------------------------------

    def _lock_spill_dir(self) -> None:
        assert self.spill_dir is not None
        os.makedirs(self.spill_dir, exist_ok=True)
        fd = os.open(os.path.join(self.spill_dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(
                f"spill directory {self.spill_dir} is in use by another writer") from None
        self._lock_fd = fd

    def _unlock_spill_dir(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the lock
            self._lock_fd = None

    def _recover(self) -> list[Batch]:
        """The batches a previous writer left in the spill directory, oldest first."""
        assert self.spill_dir is not None
        batches = []
        for name in sorted(os.listdir(self.spill_dir)):
            if not name.endswith(".lp"):
                continue
            path = os.path.join(self.spill_dir, name)
            target, body = _read_batch_file(path)
            if not body:
                os.unlink(path)
                continue
            self._seq += 1
            points = count_lines(body)
            batch = Batch(self._seq, target, points=points, size=len(body) + 1, path=path)
            self._unsettled[batch.seq] = 1
            batches.append(batch)
        if batches:
            logger.info("writer: %d batch(es) of %d point(s) left in %s are sent first",
                        len(batches), sum(b.points for b in batches), self.spill_dir)
        return batches


async def deliver(engine: WriteEngine, data: Any, *, db: str | None = None,
                  rp: str | None = None, precision: str | None = None,
                  retry: RetryPolicy | None = None) -> list[tuple[Batch, BaseException]]:
    """Send ``data`` now through a writer of its own, and report what did not land.

    Sessions and :class:`SeriesHelper` commit this way: the batching writer's
    retries (none unless ``retry`` says), its halving of a batch the server finds too
    large, and its reports. Returns the batches not delivered, with their points and
    the error of each (a partial write among them: its stored points are not to be
    sent again).
    """
    failures: list[tuple[Batch, BaseException]] = []
    writer = AsyncWriter(
        engine, db=db, rp=rp, precision=precision,
        retry=retry or RetryPolicy(max_retries=0), concurrency=1,
        batch_size=2**62, batch_bytes=engine.max_request_bytes, flush_interval=3600.0,
        max_buffer_points=2**62, max_buffer_bytes=2**62,
        on_error=lambda batch, error: failures.append((batch, error)),
    )
    async with writer:
        await writer.write(data)
    return failures


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_batch_file(path: str, target: _Target, body: bytes) -> None:
    temporary = path + ".part"
    with open(temporary, "wb") as file:
        file.write(target.header() + body + b"\n")
    os.replace(temporary, path)


def _read_batch_file(path: str) -> tuple[_Target, bytes]:
    with open(path, "rb") as file:
        header = file.readline()
        body = file.read()
    if not header.startswith(_HEADER):
        raise ValueError(f"{path} is not a batch file of influxkit's writer")
    target = json.loads(header[len(_HEADER):])
    return (_Target(target["db"], target["rp"], target["precision"]),
            body.rstrip(b"\n"))


class BlockingWriter:
    """The batching writer of a blocking-mode client: the same writer, run on the
    client's loop thread; its methods block. Flushed and closed at interpreter exit
    if it is still open then."""

    def __init__(self, writer: AsyncWriter, runner: LoopThread) -> None:
        self._writer = writer
        self._runner = runner
        runner.run(writer.start())
        self._at_exit = functools.partial(_close_at_exit, weakref.ref(self))
        _register_at_exit(self._at_exit)

    @property
    def stats(self) -> WriterStats:
        return self._writer.stats

    def write(self, data: Any, measurement: str | None = None, **options: Any) -> None:
        """See :meth:`AsyncWriter.write`."""
        self._runner.run(self._writer.write(data, measurement, **options))

    def flush(self) -> None:
        """See :meth:`AsyncWriter.flush`."""
        self._runner.run(self._writer.flush())

    def close(self, timeout: float | None = None) -> None:
        """See :meth:`AsyncWriter.close`."""
        _unregister_at_exit(self._at_exit)
        self._runner.run(self._writer.close(timeout))

    def __enter__(self) -> BlockingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _close_at_exit(reference: weakref.ref[BlockingWriter]) -> None:
    """Deliver what an open blocking writer still holds when the interpreter exits."""
    writer = reference()
    if writer is not None:
        logger.info("writer: still open at exit, closing it")
        try:
            writer.close()
        except WriterError as exc:  # nobody left to raise it to: say it loudly
            logger.error("writer: at exit, %s", exc)


# Writers still open at exit are closed before the interpreter stops its thread pools
# (which sending needs: name resolution, encoding), so at the point where threading
# runs its own exit hooks; atexit's hooks come after those.
_open_writers: dict[int, Callable[[], None]] = {}
_exit_hook: list[bool] = []  # installed once
# Sending needs the thread pool, whose module must have set up its own exit hook before
# ours (hooks run last in, first out): imported now, not lazily at exit.
_THREAD_POOL: Final = concurrent.futures.thread.ThreadPoolExecutor


def _register_at_exit(hook: Callable[[], None]) -> None:
    if not _exit_hook:
        register = getattr(threading, "_register_atexit", atexit.register)
        register(_close_open_writers)
        _exit_hook.append(True)
    _open_writers[id(hook)] = hook


def _unregister_at_exit(hook: Callable[[], None]) -> None:
    _open_writers.pop(id(hook), None)


def _close_open_writers() -> None:
    for hook in list(_open_writers.values()):
        hook()
