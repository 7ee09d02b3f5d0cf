"""What ``influxkit write`` reads: line protocol, CSV, JSON lines and Parquet files, plain
or gzipped, or standard input, each read piece by piece (never whole).

A reader yields :class:`Piece` objects: the points of a run of lines (or of rows, for
Parquet), in the form the batching writer takes (line protocol bytes, a list of point
dicts, a pandas DataFrame), with where they came from, so that a refused point is
reported with its file and line, and where the next piece starts, so that an
interrupted load can go on from there. Text formats are read in blocks of whole lines;
their position is a byte offset in the (decompressed) text. Parquet files are read by
record batches; their position is a row.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any, Final

from ._lineprotocol import BadLine, LineChecker

__all__ = [
    "FORMATS",
    "BadInput",
    "Piece",
    "Source",
    "detect_format",
    "open_source",
    "read_pieces",
]

FORMATS: Final = ("lp", "csv", "jsonl", "parquet")
_EXTENSIONS: Final = {
    ".lp": "lp", ".line": "lp", ".txt": "lp", ".influx": "lp",
    ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}
BLOCK_BYTES: Final = 1 << 20  # text is read in blocks of about this size
_GZIP_MAGIC: Final = b"\x1f\x8b"
# Units of integer times, as pandas names them.
_PANDAS_UNITS: Final = {"ns": "ns", "u": "us", "ms": "ms", "s": "s", "m": "m", "h": "h"}
_FIELD_TYPES: Final = ("float", "int", "string", "bool")


class BadInput(Exception):
    """The input cannot be read as its format (a usage problem, not a bad line)."""


def detect_format(path: str) -> str:
    """The format named by the file's extension (``.gz`` aside); line protocol if none."""
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _EXTENSIONS.get(os.path.splitext(name)[1], "lp")


@dataclass
class Source:
    """An input opened for reading: its name, a binary stream of its text
    (decompressed), its size and how much of the file has been read."""

    name: str  # as given ("-" is standard input)
    stream: IO[bytes]
    size: int | None  # of the file on disk, when known
    compressed: bool
    raw: IO[bytes] | None  # the file under a gzip stream, for the progress

    @property
    def is_stdin(self) -> bool:
        return self.name == "-"

    def progress(self) -> int:
        """Bytes of the file read so far (compressed bytes for a gzipped one)."""
        handle = self.raw if self.raw is not None else self.stream
        try:
            return handle.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self.stream.close()
        if self.raw is not None:
            self.raw.close()


def open_source(name: str) -> Source:
    """Open a file (or ``-``, standard input), decompressing gzip (found by its first
    bytes, whatever its name)."""
    if name == "-":
        raw: IO[bytes] = sys.stdin.buffer
        size = None
    else:
        raw = open(name, "rb")  # noqa: SIM115 - closed by Source.close
        size = os.fstat(raw.fileno()).st_size
    peek = getattr(raw, "peek", None)
    head = peek(2)[:2] if peek is not None else b""
    if head == _GZIP_MAGIC:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        return Source(name, stream, size, True, raw)
    return Source(name, raw, size, False, None)


@dataclass
class Piece:
    """Points read from one input, and where they came from."""

    # Line protocol, checked, in parts of at most a batch (bytes and points); or a list
    # of point dicts or a DataFrame, for influxkit's encoder.
    data: Any
    points: int
    first_line: int  # the line (row, for Parquet) of the first point
    line_numbers: list[int] | None  # of each point, when not consecutive from first_line
    end: int  # where the next piece starts: a byte offset (a row, for Parquet)
    end_line: int  # the next piece's first line (row)
    bad: list[BadLine] = field(default_factory=list)
    # For a piece cut short at a bad point: the offset and line where that point starts.
    stop: tuple[int, int] | None = None
    digest: str | None = None  # of the input's bytes before ``end`` (text formats)
    # The offset (row) where a line (row) of the piece starts.
    locate: Callable[[int], int] = field(default=lambda line: line - 1)
    # The digest of the input's bytes before an offset within the piece.
    digest_at: Callable[[int], str | None] = field(default=lambda offset: None)
    # For a DataFrame: its measurement and tag columns (a Parquet file may name them).
    measurement: str | None = None
    tag_columns: list[str] | None = None

    @property
    def parts(self) -> list[tuple[bytes, int]] | None:
        """The line protocol parts (None for points the encoder has still to check)."""
        if isinstance(self.data, list) and (not self.data or isinstance(self.data[0], tuple)):
            return self.data
        return None

    def lines(self, first: int, count: int) -> Sequence[int]:
        """The lines (rows) of ``count`` of the piece's points from the ``first``-th."""
        if self.line_numbers is not None:
            return self.line_numbers[first:first + count]
        return range(self.first_line + first, self.first_line + first + count)


@dataclass
class ReadOptions:
    """How to read the inputs (the options of ``influxkit write``)."""

    format: str | None = None
    precision: str = "ns"
    measurement: str | None = None
    tag_columns: list[str] = field(default_factory=list)
    field_columns: list[str] | None = None
    time_column: str = "time"
    field_types: dict[str, str] = field(default_factory=dict)
    skip_bad: bool = False
    block_bytes: int = BLOCK_BYTES
    batch_rows: int = 50_000


class _NoDigest:
    """Stands for the digest of a load that keeps no checkpoint (hashing costs)."""

    def update(self, data: Any) -> None:
        pass

    def hexdigest(self) -> None:
        return None

    def copy(self) -> _NoDigest:
        return self


def new_digest() -> Any:
    """A digest of the bytes read, for a load that keeps a checkpoint."""
    return hashlib.sha1()


class _Blocks:
    """Blocks of whole lines from a binary stream, from a byte offset on, each with its
    offset and first line number; and a digest of the bytes settled so far, which a
    resumed load compares with its checkpoint's."""

    def __init__(self, stream: IO[bytes], block_bytes: int, *, offset: int = 0,
                 line: int = 1, digest: Any = None) -> None:
        self.stream = stream
        self.block_bytes = block_bytes
        self.offset = offset  # of the first byte not settled
        self.line = line  # of the first line not settled
        self.digest = digest if digest is not None else _NoDigest()
        self._pending = b""  # read, not settled
        self.eof = False
        # The last block settled, where it started, and the digest before it.
        self._last: tuple[bytes, int, Any] = (b"", 0, self.digest.copy())

    def next(self) -> bytes | None:
        """The next block of whole lines (from the first byte not settled), or None at
        the end. The block ends with a newline, unless it is the last one
        (:attr:`eof`)."""
        data = self._pending
        while not self.eof:
            more = self.stream.read(self.block_bytes)
            if not more:
                self.eof = True
                break
            data += more
            cut = data.rfind(b"\n")
            if cut >= 0:
                self._pending = data[cut + 1:]
                return data[:cut + 1]
        self._pending = b""
        return data or None

    def piece(self, data: Any, points: int, first: int, numbers: list[int] | None,
              bad: list[BadLine], stop: tuple[int, int] | None = None, *,
              block: bytes = b"", start: int = 0) -> Piece:
        """A piece read from ``block`` (which starts at offset ``start``, with line
        ``first``), ending where the settled bytes end."""

        def locate(line: int) -> int:
            return start + _offset_of_line(block, line - first)

        settled, at, before = self._last

        def digest_at(offset: int) -> str | None:
            digest = before.copy()
            digest.update(memoryview(settled)[:offset - at])
            value: str | None = digest.hexdigest()
            return value

        return Piece(data, points, first, numbers, self.offset, self.line, bad, stop,
                     self.digest.hexdigest(), locate, digest_at)

    def settle(self, block: bytes, size: int, lines: int) -> None:
        """Mark the first ``size`` bytes (``lines`` lines) of ``block`` as settled; the
        rest comes first in the next block."""
        self._last = (block, self.offset, self.digest.copy())
        self.digest.update(memoryview(block)[:size])
        self.offset += size
        self.line += lines
        if size < len(block):
            self._pending = block[size:] + self._pending


def skip_prefix(stream: IO[bytes], offset: int) -> tuple[Any, int, bytes]:
    """Read the first ``offset`` bytes of ``stream``: their digest, their newlines and
    their first line (to check that a resumed input starts as the one that was loaded,
    and to know a CSV input's header)."""
    digest = hashlib.sha1()
    lines = 0
    left = offset
    first = b""
    while left:
        chunk = stream.read(min(left, BLOCK_BYTES))
        if not chunk:
            raise BadInput(f"it is shorter than the {offset:,} bytes already loaded")
        if lines == 0:
            first += chunk.split(b"\n", 1)[0]
        digest.update(chunk)
        lines += chunk.count(b"\n")
        left -= len(chunk)
    return digest, lines, first


def read_pieces(source: Source, fmt: str, options: ReadOptions, *, offset: int = 0,
                line: int = 1, digest: Any = None, header: bytes | None = None
                ) -> Iterator[Piece]:
    """The pieces of ``source`` in format ``fmt``, from ``offset`` (whose line is
    ``line``; the bytes before it already read, hashed in ``digest``, and their first
    line, the header of a CSV input, is ``header``)."""
    if fmt == "parquet":
        yield from _parquet_pieces(source, options, row=offset)
        return
    blocks = _Blocks(source.stream, options.block_bytes, offset=offset, line=line,
                     digest=digest)
    if fmt == "lp":
        yield from _lp_pieces(blocks, options)
    elif fmt == "jsonl":
        yield from _jsonl_pieces(blocks, options)
    elif fmt == "csv":
        yield from _csv_pieces(blocks, options, header)
    else:  # pragma: no cover - the command line checks the choice
        raise ValueError(f"unknown format {fmt!r}")


# -- line protocol -----------------------------------------------------------------------


def _lp_pieces(blocks: _Blocks, options: ReadOptions) -> Iterator[Piece]:
    checker = LineChecker(options.precision)
    while (block := blocks.next()) is not None:
        checked = checker.check(block, blocks.line, final=blocks.eof,
                                stop_at_bad=not options.skip_bad)
        if checked.size == 0 and not checked.bad:
            # A string still open at the end of the block: read on.
            blocks.settle(block, 0, 0)
            blocks.block_bytes *= 2
            continue
        first, start = blocks.line, blocks.offset
        stop = None
        if checked.bad and not options.skip_bad:
            stop = (blocks.offset + checked.size, checked.bad[0].line)
        blocks.settle(block, checked.size, checked.lines)
        yield blocks.piece(checked.parts, checked.points, first, checked.line_numbers,
                           checked.bad, stop, block=block, start=start)
        if stop is not None:
            return


# -- JSON lines ----------------------------------------------------------------------------


def _json_loads() -> Callable[[bytes], Any]:
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        return json.loads
    loads: Callable[[bytes], Any] = orjson.loads
    return loads


def _jsonl_pieces(blocks: _Blocks, options: ReadOptions) -> Iterator[Piece]:
    loads = _json_loads()
    tags = options.tag_columns
    time_column = options.time_column
    fields_wanted = set(options.field_columns) if options.field_columns is not None else None
    while (block := blocks.next()) is not None:
        points: list[dict[str, Any]] = []
        numbers: list[int] = []
        bad: list[BadLine] = []
        line = blocks.line
        at = 0
        stop = None
        for raw in block.split(b"\n"):
            here = line
            start = at
            line += 1
            at += len(raw) + 1
            if not raw.strip():
                continue
            try:
                item = loads(raw)
                if not isinstance(item, dict):
                    raise ValueError(f"a JSON object is needed, not {type(item).__name__}")
                point = _point_of(item, options.measurement, tags, time_column,
                                  fields_wanted)
            except ValueError as exc:
                bad.append(BadLine(here, f"not a point: {exc}", raw.decode(
                    errors="backslashreplace")[:200]))
                if not options.skip_bad:
                    stop = (blocks.offset + start, here)
                    break
                continue
            points.append(point)
            numbers.append(here)
        first, start = blocks.line, blocks.offset
        if stop is None:
            blocks.settle(block, len(block),
                          block.count(b"\n") + (0 if block.endswith(b"\n") else 1))
        else:
            blocks.settle(block, stop[0] - blocks.offset, stop[1] - first)
        yield blocks.piece(points, len(points), first, numbers, bad, stop, block=block,
                           start=start)
        if stop is not None:
            return


def _point_of(item: dict[str, Any], measurement: str | None, tags: list[str],
              time_column: str, fields_wanted: set[str] | None) -> dict[str, Any]:
    """A point dict from one JSON object: influxkit's own shape (with ``fields``), or a
    flat row of columns."""
    if "fields" in item:
        if measurement is not None and "measurement" not in item:
            item = {**item, "measurement": measurement}
        if "measurement" not in item:
            raise ValueError("no measurement (give --measurement)")
        return item
    if measurement is None:
        raise ValueError("a flat row needs --measurement")
    row = dict(item)
    point: dict[str, Any] = {"measurement": measurement}
    if time_column in row:
        point["time"] = row.pop(time_column)
    point["tags"] = {key: row.pop(key) for key in tags if key in row}
    if fields_wanted is not None:
        row = {key: value for key, value in row.items() if key in fields_wanted}
    point["fields"] = row
    return point


# -- CSV -------------------------------------------------------------------------------------


class _Frames:
    """Arrow tables to the DataFrames the writer takes: a UTC DatetimeIndex from the
    time column, tag columns as strings, the other columns as fields."""

    def __init__(self, options: ReadOptions, names: list[str], where: str) -> None:
        self.pa: Any = importlib.import_module("pyarrow")
        self.pc: Any = importlib.import_module("pyarrow.compute")
        self.pd: Any = _require_pandas(where)
        self.options = options
        if options.time_column not in names:
            raise BadInput(f"no time column {options.time_column!r} (its columns are "
                           f"{', '.join(names)}; name it with --time-column)")
        missing = [name for name in [*options.tag_columns, *(options.field_columns or ())]
                   if name not in names]
        if missing:
            raise BadInput(f"no column {', '.join(map(repr, missing))} (its columns are "
                           f"{', '.join(names)})")
        if options.measurement is None:
            raise BadInput("--measurement is needed")
        self.fields = [name for name in names if name != options.time_column
                       and name not in options.tag_columns
                       and (options.field_columns is None or name in options.field_columns)]
        if not self.fields:
            raise BadInput("no field column: every column is the time or a tag")

    def frame(self, table: Any, first: int, numbers: list[int] | None
              ) -> tuple[Any, list[BadLine]]:
        """The DataFrame of ``table``, whose rows are on lines ``numbers`` (or from
        ``first`` on); rows whose time is missing or unreadable are bad."""
        pa, pd = self.pa, self.pd
        column = table.column(self.options.time_column)
        unit = _PANDAS_UNITS[self.options.precision]
        if pa.types.is_timestamp(column.type):
            if column.type.tz is None:
                column = column.cast(pa.timestamp(column.type.unit, "UTC"))
            index = pd.DatetimeIndex(column.to_pandas())
        elif pa.types.is_integer(column.type):
            index = pd.to_datetime(column.to_numpy(zero_copy_only=False), unit=unit, utc=True)
        else:
            text = column.cast(pa.string()).to_pandas()
            index = pd.DatetimeIndex(pd.to_datetime(text, utc=True, format="ISO8601",
                                                    errors="coerce"))
        bad: list[BadLine] = []
        missing = index.isna()
        if missing.any():
            raw = column.to_pylist()
            for row in missing.nonzero()[0].tolist():
                reason = ("no time" if raw[row] is None else
                          f"time {raw[row]!r} is not an RFC 3339 time or an integer")
                line = numbers[row] if numbers is not None else first + row
                bad.append(BadLine(line, reason, str(raw[row])))
        fields = table.select([*self.options.tag_columns, *self.fields])
        frame = fields.to_pandas(types_mapper=pd.ArrowDtype)
        frame.index = index
        return frame, bad

    def column_types(self) -> dict[str, Any]:
        pa = self.pa
        types = {"float": pa.float64(), "int": pa.int64(), "string": pa.string(),
                 "bool": pa.bool_()}
        chosen = {name: pa.string() for name in self.options.tag_columns}
        chosen.update({name: types[kind] for name, kind in self.options.field_types.items()})
        return chosen


def _require_pandas(where: str) -> Any:
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise BadInput(f"reading {where} needs pandas: pip install 'influxkit[cli,pandas]'"
                       ) from None


def _csv_pieces(blocks: _Blocks, options: ReadOptions, header: bytes | None
                ) -> Iterator[Piece]:
    pa: Any = importlib.import_module("pyarrow")
    pcsv: Any = importlib.import_module("pyarrow.csv")
    header = _csv_header(blocks, header)
    names = next(csv.reader([header.decode()]))
    frames = _Frames(options, names, "CSV")
    chosen = frames.column_types()
    unknown = [name for name in options.field_types if name not in names]
    if unknown:
        raise BadInput(f"--field-type names no column: {', '.join(unknown)}")
    parse = pcsv.ParseOptions(newlines_in_values=False)
    read = pcsv.ReadOptions(column_names=names, use_threads=True)

    def table_of(part: bytes) -> Any:
        return pcsv.read_csv(pa.py_buffer(part), read_options=read, parse_options=parse,
                             convert_options=pcsv.ConvertOptions(
                                 column_types=chosen, strings_can_be_null=False))

    while (block := blocks.next()) is not None:
        first = blocks.line
        count = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        bad: list[BadLine] = []
        try:
            table = table_of(block)
            end, lines = len(block), count
        except pa.ArrowInvalid as exc:
            # Read the lines before the bad one; then stop, or leave it out and go on.
            found = _csv_bad_line(block, first, names, chosen, str(exc),
                                  options.time_column)
            bad.append(found)
            index = found.line - first
            at = _offset_of_line(block, index)
            table = table_of(block[:at]) if at else None
            if options.skip_bad:
                end, lines = _offset_of_line(block, index + 1), index + 1
            else:
                end, lines = at, index
        if table is not None and table.num_rows:
            # Each column keeps the type of its first values (a column empty in a
            # block is typed by the next that has some).
            for name, column_type in zip(table.column_names, table.schema.types, strict=True):
                if name not in chosen and not pa.types.is_null(column_type):
                    chosen[name] = column_type
        numbers = _row_lines(block[:end], first)
        frame, rows = (None, []) if table is None else frames.frame(table, first, numbers)
        if rows:
            frame, numbers, end, lines = _drop_rows(
                frame, numbers, first, rows, bad, options, block, end, lines)
        stop = None if options.skip_bad or not bad else (blocks.offset + end, bad[0].line)
        start = blocks.offset
        blocks.settle(block, end, lines)
        yield blocks.piece(frame, 0 if frame is None else len(frame), first, numbers, bad,
                           stop, block=block, start=start)
        if stop is not None:
            return


def _drop_rows(frame: Any, numbers: list[int] | None, first: int, rows: list[BadLine],
               bad: list[BadLine], options: ReadOptions, block: bytes, end: int,
               lines: int) -> tuple[Any, list[int] | None, int, int]:
    """Leave the rows of bad lines out of a frame: all of them (skipping), or those from
    the first bad one on (stopping there); returns the frame, its rows' lines and how
    far the block is settled."""
    lines_of = numbers if numbers is not None else list(range(first, first + len(frame)))
    if options.skip_bad:
        bad.extend(rows)
        drop = {item.line for item in rows}
    else:
        earliest = min(rows, key=lambda item: item.line)
        bad[:] = [earliest]
        drop = {line for line in lines_of if line >= earliest.line}
        end = _offset_of_line(block, earliest.line - first)
        lines = earliest.line - first
    keep = [row for row, line in enumerate(lines_of) if line not in drop]
    return frame.iloc[keep], [lines_of[row] for row in keep], end, lines


def _csv_header(blocks: _Blocks, header: bytes | None) -> bytes:
    """The header line of a CSV input: read at its start (and settled), or given (read
    with the bytes skipped, for a load that goes on further in)."""
    if blocks.offset:
        if header is None:  # pragma: no cover - read_pieces' callers give it
            raise BadInput("the header line was not read")
        return header.rstrip(b"\r\n")
    line = blocks.stream.readline()
    if not line.strip():
        raise BadInput("no header line (the column names)")
    blocks.digest.update(line)
    blocks.offset += len(line)
    blocks.line += 1
    return line.rstrip(b"\r\n")


def _row_lines(block: bytes, first: int) -> list[int] | None:
    """The line of each row of a CSV block, when blank lines (which pyarrow skips)
    make them other than consecutive."""
    if b"\n\n" not in block and not block.startswith(b"\n"):
        return None
    return [first + index for index, text in enumerate(block.split(b"\n"))
            if text.strip(b"\r")]


def _offset_of_line(block: bytes, index: int) -> int:
    """The offset in ``block`` of its ``index``-th line (from 0; the length after the
    last)."""
    at = 0
    for _ in range(index):
        at = block.find(b"\n", at) + 1
        if at == 0:
            return len(block)
    return at


def _csv_bad_line(block: bytes, first: int, names: list[str], chosen: dict[str, Any],
                  message: str, time_column: str) -> BadLine:
    """Find the line of ``block`` that pyarrow could not read, and say why."""
    rows = csv.reader(io.StringIO(block.decode(errors="replace"), newline=""))
    converters: dict[str, Callable[[str], object]] = {"int64": int, "double": float,
                                                      "bool": _boolean}
    for index, row in enumerate(rows):
        text = ",".join(row)
        if not row:
            continue
        if len(row) != len(names):
            return BadLine(first + index, f"{len(row)} values for {len(names)} columns",
                           text[:200])
        for name, value in zip(names, row, strict=True):
            convert = converters.get(str(chosen.get(name)))
            if convert is None or value == "":
                continue
            try:
                convert(value)
            except ValueError:
                if name == time_column:
                    return BadLine(first + index, f"time {value!r} is not "
                                   f"{_KIND_NAMES[str(chosen[name])]} as in the rows before",
                                   text[:200])
                return BadLine(first + index, f"column {name!r}: {value!r} is not "
                               f"{_KIND_NAMES[str(chosen[name])]} as in the rows before "
                               f"(choose with --field-type {name}=TYPE)", text[:200])
    return BadLine(first, f"cannot be read as CSV: {message}", "")


_KIND_NAMES: Final = {"int64": "an integer", "double": "a number", "bool": "a boolean"}


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(value)


# -- Parquet ---------------------------------------------------------------------------------


def _parquet_pieces(source: Source, options: ReadOptions, *, row: int) -> Iterator[Piece]:
    pq: Any = importlib.import_module("pyarrow.parquet")
    if source.is_stdin or source.compressed:
        raise BadInput("Parquet is read from a file (it needs to seek): decompress it, "
                       "or save standard input to a file first")
    parquet = pq.ParquetFile(source.stream)
    metadata = parquet.schema_arrow.metadata or {}
    saved = json.loads(metadata.get(b"influxkit", b"{}"))
    # What the file says (influxkit export writes it), unless the command line says.
    options = replace(options,
                      measurement=options.measurement or saved.get("measurement"),
                      tag_columns=options.tag_columns or list(saved.get("tag_columns", [])))
    names = parquet.schema_arrow.names
    frames = _Frames(options, names, "Parquet")
    skipped = 0
    next_row = 0
    for batch in parquet.iter_batches(batch_size=options.batch_rows):
        start = next_row
        next_row += batch.num_rows
        if next_row <= row:
            continue
        table = importlib.import_module("pyarrow").Table.from_batches([batch])
        if start < row:
            skipped = row - start
            table = table.slice(skipped)
            start = row
        for name in options.tag_columns:
            index = table.column_names.index(name)
            table = table.set_column(index, name, table.column(name).cast("string"))
        first = start + 1
        frame, bad = frames.frame(table, first, None)
        stop = None
        numbers = None
        if bad:
            frame, numbers, stop_row = _drop_parquet_rows(frame, first, bad, options)
            if stop_row is not None:
                stop = (stop_row - 1, stop_row)
        end = next_row if stop is None else stop[0]
        yield Piece(frame, len(frame), first, numbers, end, end + 1, bad, stop,
                    measurement=options.measurement, tag_columns=options.tag_columns)
        if stop is not None:
            return


def _drop_parquet_rows(frame: Any, first: int, bad: list[BadLine], options: ReadOptions
                       ) -> tuple[Any, list[int], int | None]:
    """Leave the bad rows out of a frame read from Parquet (all of them, or, stopping at
    the first, it and those after it); the frame, its rows' numbers, and the row the
    load stops at."""
    rows = list(range(first, first + len(frame)))
    stop_row = None
    if options.skip_bad:
        drop = {item.line for item in bad}
    else:
        stop_row = min(item.line for item in bad)
        bad[:] = [item for item in bad if item.line == stop_row]
        drop = {row for row in rows if row >= stop_row}
    keep = [index for index, row in enumerate(rows) if row not in drop]
    return frame.iloc[keep], [rows[index] for index in keep], stop_row
