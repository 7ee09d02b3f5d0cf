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
A batch the server refused for good moves to ``spill_dir/failed``.

A batch file is a header line (a line protocol comment naming the target), then a
record per write: a comment giving the length and CRC-32 of the bytes that follow
(``#influxkit-block <length> <crc32>``), those bytes, a newline. The file stays line
protocol that influxd would take as it is, and a reader knows where each write ends:
a record torn by a crash, a full disk or a power cut is never sent (the torn tail is
dropped, logged and counted in ``torn_tails``); a file that cannot be read (its header
damaged, a bad record followed by good ones) moves to ``spill_dir/damaged`` (logged,
counted in ``files_damaged``) and the directory stays usable. A write that fails with
an I/O error (ENOSPC...) is cut back to the last complete record and raised, none of
its points taken. With ``fsync=True`` (the default) each record is synced to disk
before ``write`` returns, and the directory once a batch file is made or moved: what a
``write`` took survives a power cut. Files of the previous format (the header, then
plain line protocol) are still read.

After ``os.fork()``, a writer inherited by the child starts empty there (what it
held is the parent's to deliver), on the child's own event loop; one with a spill
directory refuses to work in the child, the directory being the parent writer's.
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
import re
import threading
import time
import warnings
import weakref
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from ._core.backoff import RetryPolicy
from ._core.time import normalize_precision
from ._encode.lines import count_lines, cut_block, line_starts, split_lines
from ._encode.serialize import encodes_quickly, frame_kind, iter_serialize
from ._engine import write_params
from ._errors import (
    InfluxDBError,
    PartialWriteError,
    RequestTooLargeError,
)

if TYPE_CHECKING:
    from ._blocking import LoopThread

__all__ = ["AsyncWriter", "Batch", "BlockingWriter", "WriterError", "WriterStats", "deliver"]

logger = logging.getLogger("influxkit.writer")

_HEADER: Final = b"#influxkit "  # a line protocol comment: the batch file's target
_FORMAT: Final = 2  # in the header; the previous format (no records) has no number
# Before each record of a batch file, a comment: the record's length and CRC-32.
_RECORD: Final = b"#influxkit-block %d %08x\n"
_RECORD_LINE: Final = re.compile(rb"#influxkit-block (\d{1,12}) ([0-9a-f]{8})\n")
# A blank line (empty or only whitespace: influxd skips it) is at the start of a block,
# at its end, or after a newline followed by whitespace or another newline.
_BLANK_LINE: Final = re.compile(rb"\n[\n \t\r\x0b\x0c]")
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
    """Counters of a writer, all since it was made (``writer.stats``).

    Attributes:
        points_written: points acknowledged by the server.
        points_retried: points sent again (each retry of a batch counts its points).
        points_failed: points refused for good, or given up, and reported.
        points_dropped: points dropped by ``when_full="drop_oldest"``, or by the server
            in a partial write.
        points_spilled: points moved out of memory to the spill directory.
        points_parked: points out of retries, kept on disk to be tried again.
        bytes_written: bytes of line protocol acknowledged.
        batches_written: batches acknowledged.
        retries: batches sent again.
        torn_tails: ends of batch files torn by a crash or a full disk, dropped.
        files_damaged: batch files that could not be read, moved to ``damaged/``.
        in_flight: requests being sent now.
        buffered_points: points handed over and not yet settled.
    """

    points_written: int = 0  # acknowledged by the server
    points_retried: int = 0  # sent again (each retry of a batch counts its points)
    points_failed: int = 0  # refused for good, or given up (reported)
    points_dropped: int = 0  # by when_full="drop_oldest" or by the server (partial write)
    points_spilled: int = 0  # moved out of memory to the spill directory
    points_parked: int = 0  # out of retries, kept on disk to be tried again
    bytes_written: int = 0
    batches_written: int = 0
    retries: int = 0
    torn_tails: int = 0  # ends of batch files torn by a crash or a full disk: dropped
    files_damaged: int = 0  # batch files that could not be read: moved to damaged/
    in_flight: int = 0  # requests being sent now
    buffered_points: int = 0  # handed over and not yet settled

    def as_dict(self) -> dict[str, int]:
        """The counters as a dict, by name."""
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
        fields = {"db": self.db, "rp": self.rp, "precision": self.precision,
                  "format": _FORMAT}
        return _HEADER + json.dumps(fields).encode() + b"\n"


@dataclass(eq=False)
class Batch:
    """Points sent in one request: their target, how many, and where they are kept.

    The writer makes batches; its callbacks (``on_success``, ``on_error``,
    ``on_retry``) and :class:`WriterError` hand them over.

    Attributes:
        seq: the number of the ``write()`` call the batch's first points came from.
        target: where the points go (:attr:`db`, :attr:`rp`, :attr:`precision`).
        blocks: the batch's line protocol, in blocks of whole lines (empty once the
            batch was spilled to disk).
        points: the number of points.
        size: the size of its line protocol, in bytes.
        path: its batch file, with a spill directory (else None).
        created: when the batch was opened (``time.monotonic()``).
    """

    seq: int
    target: _Target
    blocks: list[bytes] = field(default_factory=list)
    points: int = 0
    size: int = 0
    path: str | None = None  # the batch file, with a spill directory
    created: float = field(default_factory=time.monotonic)
    _fd: int | None = None
    _end: int = 0  # the size of its file up to the end of its last complete record
    _in_buffer: bool = False  # its points count against the buffer's bounds

    @property
    def db(self) -> str:
        """The database the points go to."""
        return self.target.db

    @property
    def rp(self) -> str | None:
        """The retention policy the points go to (None: the database's default)."""
        return self.target.rp

    @property
    def precision(self) -> str:
        """The precision of the points' integer times."""
        return self.target.precision

    def body(self) -> bytes:
        """The request body (read back from the batch file if it was spilled; raises
        :class:`OSError` or :class:`ValueError` if the file cannot be read)."""
        if not self.blocks and self.path is not None:
            return b"\n".join(_read_batch_file(self.path).blocks)
        return b"\n".join(self.blocks)

    def lines(self) -> list[bytes]:
        """The batch's lines of line protocol, one per point (see :meth:`body`)."""
        return split_lines(self.body())


class AsyncWriter:
    """A batching writer on a client, for the running event loop (see the module).

    Made by :meth:`InfluxDBClient.writer` (on the client's engine, a
    :class:`WriteEngine`), whose keyword arguments are these; use it as ``async with``
    or close it.

    With a ``spill_dir``, ``fsync`` is the choice between durability and speed:
    ``True`` (the default) syncs each write's record to disk before ``write()``
    returns, and the directory once a batch file is made or moved, so that every point
    a ``write()`` took survives a power cut or a crash of the operating system (each
    write then waits for the disk: hand over many points a call where you can);
    ``False`` leaves syncing to the operating system: what ``write()`` took survives
    the application, and usually the machine, but a power cut may lose the last
    seconds of it (a torn record is then dropped, never sent).

    Args:
        engine: what sends the requests: the client's engine.
        db: the database; the client's by default. Each ``write()`` may say otherwise.
        rp: the retention policy; the database's default by default.
        precision: how integer times are read (``'ns'`` by default).
        batch_size: points per request, at most.
        batch_bytes: bytes per request, at most (a single larger point goes alone).
        flush_interval: seconds after which a batch that is not full is sent (checked
            every interval).
        jitter_interval: up to this many seconds of random time added to each interval
            between checks.
        retry: when and how often to send a batch again; ``RetryPolicy()`` by default.
        concurrency: requests in flight at once.
        max_buffer_points: points held (open, queued and in flight), at most.
        max_buffer_bytes: bytes held, at most.
        when_full: what a ``write()`` does when the buffer is full: ``'wait'`` until
            sending makes room, ``'drop_oldest'`` (the oldest queued batch still in
            memory, counted and reported), or ``'spill'`` (queued batches leave memory
            for their files; needs a ``spill_dir``).
        spill_dir: a directory where every batch is kept until it is acknowledged; one
            writer uses it at a time.
        fsync: with a ``spill_dir``: sync each write to disk before ``write()``
            returns (above).
        max_close_wait: seconds :meth:`close` waits for delivery by default.
        on_success: called with each batch acknowledged.
        on_error: called with each batch not delivered and its error; the failures it
            takes are not raised by :meth:`flush` and :meth:`close`.
        on_retry: called with each batch about to be sent again, its error and the
            delay in seconds.

    The callbacks run on the writer's event loop (the client's own thread in blocking
    mode), so keep them short; an exception in one is logged, never raised.

    Raises:
        ValueError: for an option out of its range (before anything starts).
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
        fsync: bool = True,
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
        self.fsync = fsync
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
        self._starting: asyncio.Event | None = None  # set once a start() is over
        self._closing = False
        self._closed = False
        self._lock_fd: int | None = None
        self._rng = random.Random()
        self._file_number = 0
        # Bumped in a child process after os.fork(): the parent's tasks, should they
        # ever run there, see it changed and leave the child's state alone.
        self._epoch = 0
        self._inherited = False  # made before os.fork(), in the child
        _live_writers.add(self)

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> AsyncWriter:
        """Start the senders (done by the first write); recover a spill directory.

        Raises:
            RuntimeError: if the writer is closed, used from another event loop, its
                spill directory is in use by another writer, or (in a child process)
                its spill directory belongs to the parent's writer.
            OSError: if the spill directory cannot be made, locked or read; the
                directory is then let go, and start() may be tried again.
        """
        if self._closed:
            raise RuntimeError("the writer is closed")
        if self._inherited and self.spill_dir is not None:
            raise RuntimeError(
                f"this writer was made before os.fork(), and its spill directory "
                f"{self.spill_dir} belongs to the parent process's writer; in this "
                f"process, make a writer with a spill_dir of its own")
        if self._loop is not None:
            if self._loop is not asyncio.get_running_loop():
                raise RuntimeError("a writer is used from the event loop that started it")
            if self._starting is not None:  # another call is starting it: wait for it
                await self._starting.wait()
                return await self.start()
            return self
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        starting = self._starting = asyncio.Event()
        try:
            if self.spill_dir is not None:
                self._lock_spill_dir()
                found, torn, damaged = await _in_thread(self._scan_spill_dir)
                self.stats.torn_tails += torn
                self.stats.files_damaged += damaged
                for path, target, points, size in found:
                    self._seq += 1
                    self._unsettled[self._seq] = 1
                    self._enqueue(Batch(self._seq, target, points=points, size=size,
                                        path=path))
        except BaseException:
            # Nothing started: the directory is let go, and start() may be tried again.
            self._unlock_spill_dir()
            self._loop = self._wakeup = None
            raise
        finally:
            self._starting = None
            starting.set()
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

        Args:
            timeout: seconds to wait for delivery (``max_close_wait`` by default).

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
            try:
                await asyncio.gather(*self._tasks, return_exceptions=True)
                self._abandon_rest()
            finally:
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
        # sent again by the next writer) or reported, never taken as delivered. The
        # senders leave it in _sending when cancelled by close(), for this to find.
        leftover = [*self._sending, *self._queue, *self._open.values()]
        self._sending.clear()
        self._queue.clear()
        self._open.clear()
        kept = 0
        for batch in leftover:
            self._close_file(batch)
            if batch.path is not None:
                kept += batch.points
                self._park(batch, log=False)
            else:
                self._fail(batch, InfluxDBError("the writer was closed before the server "
                                                "acknowledged this batch"))
        self._unsettled.clear()
        if kept:
            logger.warning("writer: closed with %d point(s) not delivered; they are kept "
                           "in %s for the next writer on it", kept, self.spill_dir)

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
        while the buffer is full (``when_full='wait'``). Blank lines in line protocol
        text are skipped (as influxd skips them): they are not points.

        Args:
            data: the points: anything :meth:`InfluxDBClient.write` accepts.
            measurement: the measurement for inputs that don't name their own.
            db: the database of these points, instead of the writer's.
            rp: the retention policy of these points, instead of the writer's.
            precision: how these points' integer times are read, instead of the
                writer's precision.
            tag_columns: DataFrame columns to write as tags.
            **extra_tags: tags added to every point (a point's own tags win).

        Raises:
            LineProtocolError: for a point line protocol cannot carry.
            OSError: with a spill directory, when the batch file cannot be written
                (a full disk: ENOSPC). None of the points of this call is taken, but
                for a call of more than ``batch_size`` points, which goes in several
                batches: those taken before the error stay taken, and the error's
                message says how many.
            RuntimeError: when the writer is closed or closing.
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
        taken = 0
        try:
            if frame_kind(data) is not None:
                # A DataFrame is checked whole before its first block; its blocks are
                # taken one by one, so a large one streams through a bounded buffer.
                source: Iterator[bytes] = iter(blocks)
                while (block := await asyncio.to_thread(next, source, None)) is not None:
                    for piece, points in self._pieces(block, blank_lines=False):
                        await self._add(target, piece, points)
                        taken += points
                return
            encoded = (list(blocks) if encodes_quickly(data)
                       else await asyncio.to_thread(list, blocks))
            # A point encoded here makes no blank line: only text may hold some.
            blank_lines = not (isinstance(data, Mapping)
                               or hasattr(type(data), "__influxkit_encoder__"))
            for block in encoded:
                for piece, points in self._pieces(block, blank_lines=blank_lines):
                    await self._add(target, piece, points)
                    taken += points
        except OSError as exc:
            if not taken:
                raise
            raise type(exc)(exc.errno, f"{exc.strerror}; {taken} point(s) of this write() "
                            "were taken before the error (it went in several batches), "
                            "the others were not", exc.filename) from exc

    def _pieces(self, block: bytes, *, blank_lines: bool) -> list[tuple[bytes, int]]:
        """``block`` in pieces that each fit a batch, with their numbers of points
        (``blank_lines``: whether it may hold blank lines, which are left out)."""
        if blank_lines and _may_hold_blank_lines(block):
            # influxd skips blank lines: they are not points, and need not be sent.
            block = b"\n".join(split_lines(block))
            if not block:
                return []
        points = count_lines(block)
        if points > 1 and (points > self.batch_size or len(block) >= self.batch_bytes):
            return cut_block(block, self.batch_size, self.batch_bytes)
        return [(block, points)]

    async def _add(self, target: _Target, block: bytes, points: int) -> None:
        await self._make_room(points, len(block))
        batch = self._open.get(target)
        if batch is not None and (batch.points + points > self.batch_size
                                  or batch.size + len(block) > self.batch_bytes):
            self._cut(batch)
            batch = None
        if batch is None:
            batch = self._open[target] = self._new_batch(target)
        if batch._fd is not None:
            try:
                self._append(batch, block)
            except OSError:
                # Nothing more goes into a file a write failed on (its end may not have
                # been cut back): what it holds is sent as it is.
                if batch.points:
                    self._cut(batch)
                else:
                    self._discard(batch)
                raise
        batch.blocks.append(block)
        batch.points += points
        batch.size += len(block) + 1
        self.stats.buffered_points += points
        self._buffered_bytes += len(block) + 1
        if batch.points >= self.batch_size or batch.size >= self.batch_bytes:
            self._cut(batch)

    def _new_batch(self, target: _Target) -> Batch:
        """A new open batch (and its file, with a spill directory: made whole or not at
        all; on an I/O error nothing is left of it and it is raised)."""
        batch = Batch(self._seq + 1, target, _in_buffer=True)
        if self.spill_dir is not None:
            self._file_number += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._file_number:06d}.lp"
            batch.path = os.path.join(self.spill_dir, name)
            header = target.header()
            batch._fd = _make_batch_file(batch.path, [header], fsync=self.fsync,
                                         keep_open=True)
            batch._end = len(header)
        self._seq = batch.seq
        self._unsettled[batch.seq] = 1
        return batch

    def _append(self, batch: Batch, block: bytes) -> None:
        """Add a write's record to its batch's file (synced, with ``fsync``); on an I/O
        error, cut the file back to its last complete record and raise."""
        assert batch._fd is not None
        record = _record(block)
        try:
            _write_all(batch._fd, record)
            if self.fsync:
                _sync_file(batch._fd)
        except OSError:
            try:
                os.ftruncate(batch._fd, batch._end)
            except OSError as exc:  # a reader drops the torn end anyway
                logger.warning("writer: could not cut %s back after a failed write: %s",
                               batch.path, exc)
            raise
        batch._end += sum(len(part) for part in record)

    def _discard(self, batch: Batch) -> None:
        """Forget an open batch that holds nothing, and its file."""
        if self._open.get(batch.target) is batch:
            del self._open[batch.target]
        self._close_file(batch)
        self._remove_file(batch)
        self._settle(batch)

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
            fd, batch._fd = batch._fd, None
            try:
                os.close(fd)
            except OSError as exc:  # its records were written (and synced) already
                logger.warning("writer: closing %s: %s", batch.path, exc)

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
        epoch = self._epoch
        while True:
            wait = self.flush_interval + self._rng.uniform(0.0, self.jitter_interval)
            await asyncio.sleep(wait)
            if self._epoch != epoch:
                return  # a parent's task, in a forked child
            now = time.monotonic()
            for batch in list(self._open.values()):
                if now - batch.created >= self.flush_interval:
                    self._cut(batch)

    async def _sender(self) -> None:
        epoch = self._epoch
        while True:
            await self._until(lambda: bool(self._queue))
            if self._epoch != epoch:
                return  # a parent's task, in a forked child
            batch = self._queue.popleft()
            self.stats.in_flight += 1
            self._sending.add(batch)
            try:
                await self._deliver(batch, epoch)
            finally:
                if self._epoch == epoch:
                    self.stats.in_flight -= 1
                    if not self._closing:
                        # Cancelled by close(), a batch in flight stays listed: it is
                        # not settled, and close() reports it (or keeps it on disk).
                        self._sending.discard(batch)
                    self._notify()

    async def _deliver(self, batch: Batch, epoch: int) -> None:
        started = time.monotonic()
        retry = 0
        while True:
            try:
                body = batch.body()
            except (OSError, ValueError) as exc:  # its file, read back, is damaged
                self._unreadable(batch, exc)
                return
            error: Exception | None = None
            try:
                await self._engine.post_lines(body, batch.target.params())
            except Exception as exc:
                error = exc
            if self._epoch != epoch:
                return  # forked meanwhile: the batch is the parent's, not this process's
            if isinstance(error, RequestTooLargeError):
                self._split(batch, error)
                return
            if isinstance(error, PartialWriteError):
                self._partial(batch, error)
                return
            if isinstance(error, InfluxDBError):
                retry += 1
                wait = self.retry.next_delay(error, retry, time.monotonic() - started,
                                             rng=self._rng)
                if wait is None:
                    if self.retry.retryable(error) and batch.path is not None:
                        self._park(batch, error)
                    else:
                        self._fail(batch, error)
                    return
                self.stats.retries += 1
                self.stats.points_retried += batch.points
                logger.info("writer: %s; retry %d of a batch of %d point(s) in %.2f s",
                            error, retry, batch.points, wait)
                self._callback(self.on_retry, batch, error, wait)
                await asyncio.sleep(wait)
                if self._epoch != epoch:
                    return
                continue
            if error is not None:  # not an answer: a bug, or a process shutting down
                self._fail(batch, error)
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
        try:
            lines = batch.lines()
        except (OSError, ValueError) as exc:
            self._unreadable(batch, exc)
            return
        if len(lines) < 2:
            self._fail(batch, error)
            return
        middle = len(lines) // 2
        halves = [Batch(batch.seq, batch.target, blocks=[b"\n".join(part)], points=len(part),
                        size=sum(len(line) + 1 for line in part), _in_buffer=True)
                  for part in (lines[:middle], lines[middle:])]
        if batch.path is not None:
            try:
                for number, half in enumerate(halves):
                    half.path = f"{batch.path[:-3]}-{number}.lp"
                    _make_batch_file(half.path, [half.target.header(),
                                                 *_record(half.blocks[0])], fsync=self.fsync)
            except OSError as exc:  # a full disk: the whole batch stays on disk for now
                for half in halves:
                    self._remove_file(half)
                self._park(batch, exc)
                return
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
            self._loop.call_later(delay, self._unpark, batch, self._epoch)

    def _unpark(self, batch: Batch, epoch: int) -> None:
        if (self._closing or self._epoch != epoch or batch.path is None
                or not os.path.exists(batch.path)):
            return
        self.stats.points_parked -= batch.points
        self._unsettled[batch.seq] = self._unsettled.get(batch.seq, 0) + 1
        self._enqueue(batch)

    def _fail(self, batch: Batch, error: BaseException, *,
              counter: str = "points_failed", move: bool = True) -> None:
        if counter == "points_failed":
            self.stats.points_failed += batch.points
        self._settle(batch)
        if move and batch.path is not None and os.path.exists(batch.path):
            # Still readable by on_error there; if it cannot be moved (a full disk), the
            # next writer on the directory tries it again.
            batch.path = self._move_aside(batch.path, "failed") or batch.path
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

    def _unreadable(self, batch: Batch, error: Exception) -> None:
        """A batch whose file cannot be read back: set aside and reported."""
        self.stats.files_damaged += 1
        if batch.path is not None:
            moved = self._move_aside(batch.path, "damaged")
            logger.error("writer: %s cannot be read (%s); %s", batch.path, error,
                         f"moved to {moved}" if moved else "it is left where it is")
            batch.path = moved or batch.path
        self._fail(batch, error, move=False)

    def _remove_file(self, batch: Batch) -> None:
        if batch.path is not None:
            try:
                os.unlink(batch.path)
            except FileNotFoundError:
                pass
            except OSError as exc:  # at least once: the next writer sends it again
                logger.warning("writer: could not delete %s: %s", batch.path, exc)

    def _callback(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a user's callback must not stop the writer
            logger.exception("writer: the %s callback raised", getattr(callback, "__name__",
                                                                         "writer"))

    # -- the spill directory ------------------------------------------------------------

    def _move_aside(self, path: str, folder: str) -> str | None:
        """Move a batch file into a folder of the spill directory (``failed``,
        ``damaged``); its new path, or None if it could not be moved (logged)."""
        assert self.spill_dir is not None
        directory = os.path.join(self.spill_dir, folder)
        moved = os.path.join(directory, os.path.basename(path))
        try:
            os.makedirs(directory, exist_ok=True)
            os.replace(path, moved)
        except OSError as exc:
            logger.error("writer: could not move %s to %s: %s", path, directory, exc)
            return None
        if self.fsync:
            try:
                _sync_directory(directory)
                _sync_directory(self.spill_dir)
            except OSError as exc:
                logger.warning("writer: syncing %s: %s", directory, exc)
        return moved

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

    def _scan_spill_dir(self) -> tuple[list[tuple[str, _Target, int, int]], int, int]:
        """What writers before left in the spill directory, oldest first: the path,
        target, points and size of each batch; and how many torn tails were dropped
        and damaged files set aside (run in a thread, before the senders start)."""
        assert self.spill_dir is not None
        found = []
        torn = damaged = 0
        for name in sorted(os.listdir(self.spill_dir)):
            path = os.path.join(self.spill_dir, name)
            if name.endswith(".lp.part"):
                # A file its writer was still making: nothing in it was taken yet.
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            if not name.endswith(".lp"):
                continue
            try:
                with open(path, "rb") as file:
                    data = file.read()
                content = _parse_batch_file(data)
            except (OSError, ValueError) as exc:
                damaged += 1
                moved = self._move_aside(path, "damaged")
                logger.error("writer: %s cannot be read (%s); %s, not sent", path, exc,
                             f"moved to {moved}" if moved else "left where it is")
                continue
            if content.end < len(data):
                torn += 1
                logger.warning("writer: %s ends with %d byte(s) of a write that did not "
                               "complete (a crash, a full disk); they are dropped, not "
                               "sent", path, len(data) - content.end)
                self._cut_back(path, content.end)
            if not content.blocks or content.target is None:
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            points = sum(_count_points(block) for block in content.blocks)
            size = sum(len(block) + 1 for block in content.blocks)
            found.append((path, content.target, points, size))
        if found:
            logger.info("writer: %d batch(es) of %d point(s) left in %s are sent first",
                        len(found), sum(points for _, _, points, _ in found),
                        self.spill_dir)
        return found, torn, damaged

    def _cut_back(self, path: str, end: int) -> None:
        """Cut a batch file's torn tail off (a reader would drop it anyway)."""
        try:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.ftruncate(fd, end)
                if self.fsync:
                    _sync_file(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            logger.warning("writer: could not cut the torn end off %s: %s", path, exc)

    # -- fork ---------------------------------------------------------------------------

    def _after_fork(self) -> None:
        """In a child process made by ``os.fork()``: start empty.

        What the writer held is the parent's to deliver; its tasks and loop are the
        parent's (they never run here, but for a fork from inside a running loop: they
        then find the epoch changed and touch nothing); its spill directory is the
        parent's writer's, and so is the lock on it, which this process shares through
        the inherited descriptor.
        """
        self._epoch += 1
        if self._closed:
            return
        # Kept referenced: a task destroyed while pending makes asyncio log an error.
        _orphaned_tasks.extend(self._tasks)
        self._tasks = []
        for batch in self._open.values():
            if batch._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(batch._fd)  # this process's copy; the parent's stays open
                batch._fd = None
        if self._lock_fd is not None:
            # Closing this copy leaves the parent's lock in place: a flock goes with the
            # last descriptor of its open file, or with LOCK_UN on any of them (which
            # would release the parent's).
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None
        self._inherited = True
        self._open = {}
        self._queue = deque()
        self._sending = set()
        self._unsettled = {}
        self._failures = []
        self._buffered_bytes = 0
        self.stats = WriterStats()
        self._loop = None
        self._wakeup = None
        self._starting = None
        self._closing = False
        self._rng = random.Random()


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


def _may_hold_blank_lines(block: bytes) -> bool:
    """Whether ``block`` may hold a blank line: a quick look, for the usual block
    (made by an encoder) has none."""
    return (not block or block[:1].isspace() or block.endswith(b"\n")
            or _BLANK_LINE.search(block) is not None)


def _count_points(block: bytes) -> int:
    """The points in ``block``: its lines as influxd reads them, but blank ones."""
    return len(split_lines(block)) if _may_hold_blank_lines(block) else count_lines(block)


async def _in_thread(function: Callable[[], Any]) -> Any:
    """``function()`` in a thread. If the caller is cancelled meanwhile, it waits for
    the thread to end before it goes (a start() must not let the spill directory go
    while a thread still works in it)."""
    future = asyncio.ensure_future(asyncio.to_thread(function))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await future
        raise


# -- batch files ------------------------------------------------------------------------------


class _DamagedFile(ValueError):
    """A batch file that cannot be read: not a torn end, but damage."""


@dataclass
class _Content:
    """What a batch file holds: its target (None while its header is incomplete), its
    complete records (in the previous format, its complete lines, as one block), and
    where they end: any bytes after ``end`` are a torn tail."""

    target: _Target | None
    blocks: list[bytes]
    end: int


def _record(block: bytes) -> tuple[bytes, bytes, bytes]:
    """A write's record in a batch file: a comment with its length and CRC-32, the
    block, a newline (three parts, written with one system call)."""
    return _RECORD % (len(block), zlib.crc32(block)), block, b"\n"


def _parse_batch_file(data: bytes) -> _Content:
    """Read a batch file (raises :class:`_DamagedFile` if it is damaged)."""
    newline = data.find(b"\n")
    if newline < 0:
        if _HEADER.startswith(data[:len(_HEADER)]):
            return _Content(None, [], 0)  # its header was being written
        raise _DamagedFile("it has no header line")
    target, framed = _read_header(data[:newline])
    position = newline + 1
    if not framed:
        # The previous format: the header, then every write's lines, each write ending
        # with a newline; a body that does not end with a complete line (as influxd
        # reads it: not inside a string) ends with a torn one.
        body = data[position:]
        end = line_starts(body)[-2]
        kept = body[:end].rstrip(b"\n")
        return _Content(target, [kept] if kept else [], position + end)
    blocks = []
    size = len(data)
    while position < size:
        match = _RECORD_LINE.match(data, position)
        if match is None:
            if data.find(b"\n", position) < 0:
                break  # a torn record line
            raise _DamagedFile(f"there is no record at byte {position}")
        stop = match.end() + int(match[1])
        if stop >= size:
            break  # torn: the record runs past the end
        block = data[match.end():stop]
        if data[stop] != 0x0A or zlib.crc32(block) != int(match[2], 16):
            if stop + 1 == size:
                break  # the last record: torn (a power cut may leave zeros in its place)
            raise _DamagedFile(f"the record at byte {position} does not match its "
                               "checksum, and more follow")
        blocks.append(block)
        position = stop + 1
    return _Content(target, blocks, position)


def _read_header(header: bytes) -> tuple[_Target, bool]:
    """A batch file's target, and whether it is in records (else the previous format)."""
    if not header.startswith(_HEADER):
        raise _DamagedFile("it is not a batch file of influxkit's writer")
    try:
        fields = json.loads(header[len(_HEADER):])
    except ValueError as exc:
        raise _DamagedFile(f"its header is not JSON: {exc}") from None
    if not isinstance(fields, dict):
        raise _DamagedFile("its header is not a JSON object")
    db, rp, precision = fields.get("db"), fields.get("rp"), fields.get("precision")
    form = fields.get("format")
    if not (isinstance(db, str) and db and (rp is None or isinstance(rp, str))
            and isinstance(precision, str)):
        raise _DamagedFile(f"its header names no target: {fields!r}")
    try:
        precision = normalize_precision(precision)
    except ValueError as exc:
        raise _DamagedFile(f"its header's precision: {exc}") from None
    if form not in (None, _FORMAT):
        raise _DamagedFile(f"it is in a format this writer does not read: {form!r}")
    return _Target(db, rp, precision), form is not None


def _read_batch_file(path: str) -> _Content:
    with open(path, "rb") as file:
        return _parse_batch_file(file.read())


def _make_batch_file(path: str, parts: Sequence[bytes], *, fsync: bool,
                     keep_open: bool = False) -> int | None:
    """Make a batch file whole or not at all: written as ``path.part``, synced, then
    renamed, and its directory synced (with ``fsync``). Returns its descriptor, open
    for appending, with ``keep_open``."""
    temporary = path + ".part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    made = False
    try:
        _write_all(fd, parts)
        if fsync:
            _sync_file(fd)
        os.rename(temporary, path)
        made = True
        if fsync:
            _sync_directory(os.path.dirname(path))
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path if made else temporary)
        raise
    if keep_open:
        return fd
    os.close(fd)
    return None


def _write_all(fd: int, parts: Sequence[bytes]) -> None:
    """Write ``parts`` in one system call; when that writes less (the disk is full, a
    limit is reached), write the rest, which raises the error."""
    written = os.writev(fd, parts)
    if written < sum(len(part) for part in parts):
        rest = memoryview(b"".join(parts))[written:]
        while rest:
            rest = rest[os.write(fd, rest):]


def _sync_file(fd: int) -> None:
    """Make a file's data, and its size, durable."""
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # macOS
        os.fsync(fd)


def _sync_directory(path: str) -> None:
    """Make the names in a directory (a file made, renamed, moved) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- fork -------------------------------------------------------------------------------------

# Every writer of this process, weakly: a child made by os.fork() resets those it inherits.
_live_writers: weakref.WeakSet[AsyncWriter] = weakref.WeakSet()
# In a child, the parent's writers' tasks, which never run there (see _after_fork).
_orphaned_tasks: list[asyncio.Task[None]] = []


def _after_fork_in_child() -> None:
    for writer in list(_live_writers):
        writer._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class BlockingWriter:
    """The batching writer of a blocking-mode client: the same writer, run on the
    client's loop thread; its methods block. Flushed and closed at interpreter exit
    if it is still open then.

    Made by :meth:`InfluxDBClient.writer` in blocking mode; use it as ``with`` or close
    it. It may be shared by threads.

    Args:
        writer: the :class:`AsyncWriter` it runs, whose options it has.
        runner: the client's loop thread.
    """

    def __init__(self, writer: AsyncWriter, runner: LoopThread) -> None:
        self._writer = writer
        self._runner = runner
        runner.run(writer.start())
        self._at_exit = functools.partial(_close_at_exit, weakref.ref(self))
        _register_at_exit(self._at_exit)

    @property
    def stats(self) -> WriterStats:
        """The writer's counters (:class:`WriterStats`)."""
        return self._writer.stats

    def write(self, data: Any, measurement: str | None = None, **options: Any) -> None:
        """Hand points over; see :meth:`AsyncWriter.write`.

        Args:
            data: the points: anything :meth:`InfluxDBClient.write` accepts.
            measurement: the measurement for inputs that don't name their own.
            **options: :meth:`AsyncWriter.write`'s ``db``, ``rp``, ``precision``,
                ``tag_columns`` and extra tags.
        """
        self._runner.run(self._writer.write(data, measurement, **options))

    def flush(self) -> None:
        """See :meth:`AsyncWriter.flush`."""
        self._runner.run(self._writer.flush())

    def close(self, timeout: float | None = None) -> None:
        """Flush, stop the writer and log its counters; see :meth:`AsyncWriter.close`.

        Args:
            timeout: seconds to wait for delivery (``max_close_wait`` by default).
        """
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
