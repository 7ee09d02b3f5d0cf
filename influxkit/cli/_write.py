"""``influxkit write``: inputs streamed through the batching writer, with a progress bar,
a checkpoint to go on from, and a summary that accounts for every point.

Every line read ends in one of these ways, and the summary counts each: written
(acknowledged by the server); a bad line, reported with its file and line and never
sent; refused by the server, reported with its file and lines (and, with a spill
directory, its batch kept in ``failed/``); or, for a load interrupted with a spill
directory, taken by the writer and kept in its batch files for the next run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from influxkit import (
    AuthenticationError,
    AuthorizationError,
    Batch,
    DatabaseNotFoundError,
    InfluxDBClient,
    LineProtocolError,
    PartialWriteError,
    serialize,
)

from ._checkpoint import Checkpoint, Position
from ._errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, CliError
from ._inputs import (
    BadInput,
    Piece,
    ReadOptions,
    detect_format,
    new_digest,
    open_source,
    read_pieces,
    skip_prefix,
)
from ._lineprotocol import BadLine
from ._ui import UI

__all__ = ["LoadOptions", "load"]


@dataclass
class LoadOptions:
    """The options of ``influxkit write``."""

    files: list[str]
    read: ReadOptions
    rp: str | None = None
    batch_size: int = 5_000
    concurrency: int = 4
    spill_dir: str | None = None
    resume: bool = False
    fsync: bool = True


@dataclass
class _Origin:
    """Where the points of one request body came from: the input, and the line of
    each point."""

    source: str
    lines: Sequence[int]


@dataclass
class _Failure:
    where: str
    points: int
    message: str


@dataclass
class _Counts:
    bad: list[tuple[str, BadLine]] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    fatal: BaseException | None = None
    stopped_at: str | None = None  # "file:line" of the bad line a load stopped at


class _Interrupt:
    """Ctrl-C (or SIGTERM) while loading: the first stops reading, and what was read is
    delivered; a second one stops at once."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = number

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)


def _identity(options: LoadOptions, formats: list[str], db: str) -> dict[str, Any]:
    """What makes a load the same load, for ``--resume``."""
    read = options.read
    return {
        "files": [name if name == "-" else os.path.abspath(name) for name in options.files],
        "formats": formats,
        "database": db,
        "rp": options.rp,
        "precision": read.precision,
        "measurement": read.measurement,
        "tag_columns": read.tag_columns,
        "field_columns": read.field_columns,
        "time_column": read.time_column,
        "field_types": read.field_types,
    }


class _Load:
    def __init__(self, client: InfluxDBClient[Any], options: LoadOptions, ui: UI) -> None:
        self.client = client
        self.options = options
        self.ui = ui
        self.counts = _Counts()
        self.origins: dict[int, _Origin] = {}
        self.lock = threading.Lock()
        self.interrupted_at: str | None = None
        self.signal: int = signal.SIGINT
        self.checkpoint: Checkpoint | None = None
        self.writer: Any = None

    # -- the writer's callbacks (on the client's loop thread) -------------------------

    def _on_success(self, batch: Batch) -> None:
        with self.lock:
            for block in batch.blocks:
                self.origins.pop(id(block), None)

    def _on_error(self, batch: Batch, error: BaseException) -> None:
        with self.lock:
            origins = [self.origins.pop(id(block), None) for block in batch.blocks]
            self.counts.failures.extend(self._describe(batch, origins, error))
            if isinstance(error, (AuthenticationError, AuthorizationError,
                                  DatabaseNotFoundError)):
                self.counts.fatal = error

    def _on_retry(self, batch: Batch, error: BaseException, delay: float) -> None:
        self.ui.note(f"retrying {batch.points:,} point(s) in {delay:.1f} s: {error}")

    def _describe(self, batch: Batch, origins: list[_Origin | None],
                  error: BaseException) -> list[_Failure]:
        known = [(block, origin) for block, origin in zip(batch.blocks, origins, strict=True)
                 if origin is not None]
        if not known:
            where = "a batch left in the spill directory by an earlier run"
            return [_Failure(where, batch.points, str(error))]
        first = min(origin.lines[0] for _, origin in known)
        last = max(origin.lines[-1] for _, origin in known)
        where = f"{known[0][1].source}:{first}-{last}"
        failures = []
        if isinstance(error, PartialWriteError) and error.unparsed:
            for text, reason in error.unparsed:
                failures.append(_Failure(self._find(known, text) or where, 1,
                                         f"refused by the server: {reason}: {text}"))
            rest = (error.dropped or 0) - len(error.unparsed)
            if rest > 0:
                failures.append(_Failure(where, rest, f"refused by the server: {error}"))
            return failures
        points = error.dropped if isinstance(error, PartialWriteError) and error.dropped \
            else batch.points
        return [_Failure(where, points or batch.points, str(error))]

    @staticmethod
    def _find(known: list[tuple[bytes, _Origin]], text: str) -> str | None:
        """``file:line`` of a line the server quoted."""
        needle = text.encode()
        for block, origin in known:
            at = block.find(needle)
            if at >= 0:
                index = min(block.count(b"\n", 0, at), len(origin.lines) - 1)
                return f"{origin.source}:{origin.lines[index]}"
        return None

    # -- reading and writing -------------------------------------------------------------

    def run(self) -> int:
        options = self.options
        read = options.read
        formats = [read.format or ("lp" if name == "-" else detect_format(name))
                   for name in options.files]
        db = self.client.db
        if db is None:
            raise CliError("no database: give --database, a URL ending in /DATABASE, or "
                           "$INFLUX_DATABASE", 2)
        position = Position()
        if options.spill_dir is not None:
            try:
                self.checkpoint = Checkpoint(options.spill_dir,
                                             _identity(options, formats, db),
                                             resume=options.resume, fsync=options.fsync)
            except Exception as exc:  # CheckpointError, OSError
                raise CliError(str(exc), 2) from exc
            position = self.checkpoint.position
            if position.finished:
                self.ui.note(f"the load in {options.spill_dir} is finished: nothing to do")
                self.checkpoint.close()
                return EXIT_OK
        elif options.resume:
            raise CliError("--resume needs --spill-dir (where the load keeps its checkpoint)", 2)
        writer_options: dict[str, Any] = {
            "db": db, "rp": options.rp, "precision": read.precision,
            "batch_size": options.batch_size, "concurrency": options.concurrency,
            # Enough to keep every request slot busy with the next batches ready; more
            # would only hold memory, and make a Ctrl-C wait for more to be delivered.
            "max_buffer_points": options.batch_size * (2 * options.concurrency + 2),
            "on_success": self._on_success, "on_error": self._on_error,
            "on_retry": self._on_retry,
        }
        if options.spill_dir is not None:
            writer_options.update(spill_dir=options.spill_dir, fsync=options.fsync)
        started = time.perf_counter()
        interrupted = False
        sizes = [None if name == "-" else _size(name) for name in options.files]
        progress = self.ui.progress(sum(size or 0 for size in sizes) or None)
        self.writer = self.client.writer(**writer_options)
        read_all = False
        try:
            with _Interrupt() as interrupt, progress:
                done_bytes = sum(size or 0 for size in sizes[:position.file])
                read_all = True
                for index in range(position.file, len(options.files)):
                    name = options.files[index]
                    start = position if index == position.file else Position(index)
                    if not self._load_file(index, name, formats[index], start, interrupt,
                                           progress, done_bytes):
                        read_all = False
                        break
                    done_bytes += sizes[index] or 0
                interrupted = interrupt.signal is not None
                self.signal = interrupt.signal or signal.SIGINT
                self.writer.close()
                progress.update(done_bytes, self.writer.stats)
        except KeyboardInterrupt:
            read_all = False
            interrupted = True
            self.ui.note("stopping now: what was not delivered "
                         + ("stays in the spill directory" if options.spill_dir
                            else "is lost"))
            with contextlib.suppress(BaseException):
                self.writer.close(timeout=0)
        except BaseException:
            # The load cannot go on (an input that cannot be read...): what the writer
            # took is delivered (or kept in the spill directory), then the error is told.
            read_all = False
            with contextlib.suppress(Exception):
                self.writer.close()
            raise
        finally:
            if self.checkpoint is not None:
                # Finished: every input read, and every point delivered or reported
                # (none left in the spill directory for a next run).
                if read_all and not self.writer.stats.points_parked:
                    self.checkpoint.finish()
                self.checkpoint.close()
        return self._summary(time.perf_counter() - started, interrupted, db)

    def _load_file(self, index: int, name: str, fmt: str, start: Position,
                   interrupt: _Interrupt, progress: Any, base: int) -> bool:
        """Load one input (from ``start``); False when the load stops there."""
        try:
            source = open_source(name)
        except OSError as exc:
            raise CliError(f"cannot read {name}: {exc.strerror or exc}", 2) from exc
        shown = "standard input" if name == "-" else name
        try:
            digest = new_digest() if self.checkpoint is not None else None
            header = None
            line = 1
            if start.offset and fmt != "parquet":
                try:
                    digest, newlines, header = skip_prefix(source.stream, start.offset)
                except BadInput as exc:
                    raise CliError(f"cannot go on with {shown}: {exc}", 2) from exc
                if digest.hexdigest() != start.digest:
                    raise CliError(
                        f"cannot go on with {shown}: its first {start.offset:,} bytes, "
                        f"which were loaded, are not those of the file loaded then", 2)
                line = newlines + 1
            elif start.offset:
                line = start.offset + 1
            progress.start_file(shown)
            pieces = read_pieces(source, fmt, self.options.read, offset=start.offset,
                                 line=line, digest=digest, header=header)
            for piece in self._pieces(pieces, shown):
                ok = self._write_piece(piece, shown)
                if self.checkpoint is not None:
                    if ok or piece.stop is None:
                        self.checkpoint.record(index, piece.end, piece.end_line, piece.digest)
                    else:  # stopped at a point the encoder refused, within the piece
                        end, line = piece.stop
                        digest = piece.digest_at(end) if fmt != "parquet" else None
                        self.checkpoint.record(index, end, line, digest)
                progress.update(base + source.progress(), self.writer.stats)
                if not ok or piece.stop is not None or self.counts.fatal is not None:
                    return False
                if interrupt.signal is not None:
                    self.interrupted_at = f"{shown}:{piece.end_line}"
                    self.ui.note("interrupted: delivering the points read so far (again to "
                                 "stop at once)")
                    return False
            return True
        finally:
            source.close()

    def _pieces(self, pieces: Iterator[Piece], shown: str) -> Iterator[Piece]:
        try:
            yield from pieces
        except BadInput as exc:
            raise CliError(f"{shown}: {exc}", 2) from exc

    def _write_piece(self, piece: Piece, shown: str) -> bool:
        """Hand a piece's points to the writer; report its bad lines. False when the
        load stops at a bad point the encoder refused."""
        for bad in piece.bad:
            self._bad(shown, bad)
        if piece.stop is not None:
            self.counts.stopped_at = f"{shown}:{piece.stop[1]}"
        if not piece.points:
            return True
        if piece.parts is not None:  # line protocol, checked
            first = 0
            for body, points in piece.parts:
                self._send(body, shown, piece.lines(first, points))
                first += points
            return True
        return self._encode_and_send(piece, shown)

    def _encode_and_send(self, piece: Piece, shown: str) -> bool:
        """Encode a frame's or a list's points with influxkit's encoder, which refuses
        a bad point naming it, a batch at a time, and send them."""
        read = self.options.read
        data = piece.data
        frame = not isinstance(data, list)
        measurement = (piece.measurement or read.measurement) if frame else None
        tags = (piece.tag_columns if piece.tag_columns is not None else read.tag_columns
                ) if frame else None
        lines = list(piece.lines(0, piece.points))
        step = self.options.batch_size
        start = 0
        while start < len(lines):
            chunk = data[start:start + step] if not frame else data.iloc[start:start + step]
            try:
                body = serialize(chunk, measurement, tags, read.precision)
            except LineProtocolError as exc:
                at = start + (exc.index or 0)
                self._bad(shown, BadLine(lines[at], exc.reason, _shown_point(data, at, frame)))
                if read.skip_bad:
                    data = _drop(data, at, frame)
                    del lines[at]
                    continue
                if at > start:
                    before = data[start:at] if not frame else data.iloc[start:at]
                    self._send(serialize(before, measurement, tags, read.precision), shown,
                               lines[start:at])
                self.counts.stopped_at = f"{shown}:{lines[at]}"
                piece.stop = (piece.locate(lines[at]), lines[at])
                return False
            self._send(body, shown, lines[start:start + len(chunk)])
            start += len(chunk)
        return True

    def _send(self, body: bytes, shown: str, lines: Sequence[int]) -> None:
        with self.lock:
            self.origins[id(body)] = _Origin(shown, lines)
        try:
            self.writer.write(body)
        except BaseException:
            with self.lock:
                self.origins.pop(id(body), None)
            raise

    def _bad(self, shown: str, bad: BadLine) -> None:
        self.counts.bad.append((shown, bad))
        text = f": {bad.text}" if bad.text else ""
        self.ui.error(f"{shown}:{bad.line}: {bad.reason}{text}")

    # -- the end -------------------------------------------------------------------------

    def _summary(self, seconds: float, interrupted: bool, db: str) -> int:
        stats = self.writer.stats
        counts = self.counts
        shown = counts.failures
        if counts.fatal is not None:
            # One cause (no database, no access) failed every batch: said once below.
            shown = [item for item in counts.failures if item.message != str(counts.fatal)]
        for failure in shown:
            self.ui.error(f"{failure.where}: {failure.points:,} point(s) not written: "
                          f"{failure.message}")
        failed = stats.points_failed + stats.points_dropped
        rate = stats.points_written / seconds if seconds > 0 else 0.0
        self.ui.summary(
            f"{stats.points_written:,} point(s) written to {db!r} in {seconds:.2f} s "
            f"({rate:,.0f} points/s); {failed:,} failed, {len(counts.bad):,} bad "
            f"line(s) not sent, {stats.points_retried:,} retried")
        spill = self.options.spill_dir
        if stats.points_failed and spill:
            self.ui.summary(f"the batches the server refused are in "
                            f"{os.path.join(spill, 'failed')}")
        if stats.points_parked:
            self.ui.summary(f"{stats.points_parked:,} point(s) not delivered yet are kept "
                            f"in {spill}: run the same command with --resume")
        if interrupted:
            at = f" at {self.interrupted_at}" if self.interrupted_at else ""
            if spill:
                self.ui.summary(f"interrupted{at}: run the same command with --resume to "
                                f"go on")
            else:
                self.ui.summary(f"interrupted{at}: the lines before it were written, not "
                                f"those after (--spill-dir makes a load resumable)")
            return EXIT_INTERRUPTED if self.signal == signal.SIGINT else 128 + self.signal
        if counts.fatal is not None:
            hint = ""
            if isinstance(counts.fatal, DatabaseNotFoundError):
                hint = f" (make it with: influxkit create-database {db})"
            self.ui.error(f"stopped: {counts.fatal}{hint}")
            return EXIT_FAILED
        if counts.stopped_at is not None:
            again = (" and run the same command with --resume" if spill else "")
            self.ui.summary(f"stopped at the bad line {counts.stopped_at}: the lines before "
                            f"it were written; fix it{again}, or pass --skip-bad-lines")
            return EXIT_FAILED
        if failed or counts.bad:
            return EXIT_PARTIAL
        return EXIT_OK


def _size(name: str) -> int | None:
    try:
        return os.path.getsize(name)
    except OSError:
        return None


def _shown_point(data: Any, index: int, is_frame: bool) -> str:
    if is_frame:
        return ""
    text = repr(data[index])
    return text if len(text) <= 200 else text[:200] + "..."


def _drop(data: Any, index: int, frame: bool) -> Any:
    """``data`` without its ``index``-th point (a bad one, skipped)."""
    if not frame:
        return [*data[:index], *data[index + 1:]]
    return data.iloc[[row for row in range(len(data)) if row != index]]


def load(client: InfluxDBClient[Any], options: LoadOptions, ui: UI) -> int:
    """Run ``influxkit write``; returns the exit status.

    Raises:
        CliError: for a usage problem (no database, a checkpoint of another load...).
        InfluxDBConnectionError: when the server cannot be reached at the start.
    """
    client.ping()
    return _Load(client, options, ui).run()
