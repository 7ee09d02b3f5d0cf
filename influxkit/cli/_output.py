"""Where query results go: rich tables for people; CSV, JSON, JSON lines, Parquet and
line protocol files for programs; and plots.

Results arrive as series pieces (a name, tags, columns and rows), chunk by chunk, and
each output writes them as they come, so memory follows the chunk size, not the
answer's (but for plots, which keep the numbers they draw). Times arrive as integer
nanoseconds; text outputs show them as RFC 3339 (as InfluxDB writes them: UTC, ``Z``,
no trailing zeros in the fraction) unless an ``--epoch`` unit was asked of the server.

CSV and JSON keep the types: a float field's ``1.0`` is written ``1.0`` (not ``1``), so
that reading the file back (``influxkit write``) gives floats again; booleans are
``true`` and ``false``.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import IO, Any, Final, Protocol

__all__ = [
    "OUTPUT_FORMATS",
    "Output",
    "format_from_path",
    "make_output",
    "rfc3339",
]

OUTPUT_FORMATS: Final = ("table", "csv", "json", "jsonl", "parquet", "lp")
_EXTENSIONS: Final = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
                      ".parquet": "parquet", ".pq": "parquet", ".lp": "lp", ".txt": "lp"}
_NS_PER_DAY: Final = 86_400 * 10**9
# Rows of one table drawn at a time: a table's widths need its rows, so a long answer
# is drawn in tables of this many rows.
_TABLE_ROWS: Final = 1_000
# Rows of a Parquet row group, at least (a chunked answer's chunks are smaller).
_ROW_GROUP: Final = 100_000


def format_from_path(path: str) -> str | None:
    """The output format an output file's name implies, if any."""
    return _EXTENSIONS.get(os.path.splitext(path.lower())[1])


class Output(Protocol):
    """An output: takes the pieces of series, in order."""

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None: ...

    def close(self) -> None: ...


def _pa() -> Any:
    return importlib.import_module("pyarrow")


def _pc() -> Any:
    return importlib.import_module("pyarrow.compute")


def _np() -> Any:
    return importlib.import_module("numpy")


def rfc3339(nanoseconds: Any) -> Any:
    """RFC 3339 strings (a pyarrow array) of integer nanoseconds since the epoch, as
    InfluxDB writes them: ``2023-11-14T22:13:20Z``, ``2023-11-14T22:13:21.000000123Z``.

    :func:`influxkit._core.time.rfc3339`'s rule, vectorised (numpy and pyarrow
    kernels), with integer arithmetic only.
    """
    np, pa, pc = _np(), _pa(), _pc()
    ns = np.asarray(nanoseconds, dtype=np.int64)
    days = ns // _NS_PER_DAY
    of_day = ns - days * _NS_PER_DAY
    unique, inverse = np.unique(days, return_inverse=True)
    dates = pa.array(np.datetime_as_string(unique.astype("datetime64[D]"))).take(
        pa.array(inverse.ravel()))
    seconds = of_day // 10**9

    def two(values: Any) -> Any:
        return pc.utf8_lpad(pa.array(values).cast(pa.string()), 2, "0")

    fraction = pc.utf8_rtrim(pc.utf8_lpad(pa.array(of_day % 10**9).cast(pa.string()), 9, "0"),
                             "0")
    fraction = pc.if_else(pc.equal(pc.utf8_length(fraction), 0), "",
                          pc.binary_join_element_wise(".", fraction, ""))
    return pc.binary_join_element_wise(dates, "T", two(seconds // 3600), ":",
                                       two(seconds // 60 % 60), ":", two(seconds % 60),
                                       fraction, "Z", "")


def _column_lists(values: list[list[Any]], width: int) -> list[list[Any]]:
    # One pass per column with a C-level getter (as influxkit's own decoder does).
    return [list(map(itemgetter(index), values)) for index in range(width)]


def _array(column: list[Any]) -> Any:
    """A pyarrow array of one column's values (text if they are of mixed types)."""
    pa = _pa()
    try:
        return pa.array(column)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if value is None else str(value) for value in column],
                        pa.string())


def _times(column: list[Any], epoch: str | None) -> Any:
    """The time column: RFC 3339 strings, or integers in the server's epoch."""
    pa = _pa()
    if epoch is None and column and isinstance(column[0], int):
        return rfc3339(column)
    return pa.array(column)


# -- CSV ---------------------------------------------------------------------------------


def _csv_text(array: Any) -> Any:
    """A column as CSV cells (strings, None for an empty cell)."""
    pa, pc = _pa(), _pc()
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "true", "false")
    if pa.types.is_floating(kind):
        text = array.cast(pa.string())
        # A whole float is written 1.0, as Python does: read back, it is a float.
        whole = pc.match_substring_regex(text, r"^-?[0-9]+$")
        return pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    if pa.types.is_integer(kind):
        return array.cast(pa.string())
    text = array.cast(pa.string())
    data = text.buffers()[2]
    raw = b"" if data is None else data.to_pybytes()
    if not any(char in raw for char in (b'"', b",", b"\r", b"\n")):
        return text  # nothing to quote (the usual case: no kernel run per cell)
    quote = pc.match_substring_regex(text, '[",\\r\\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(quote, quoted, text)


def _csv_name(name: str) -> str:
    if any(char in name for char in '",\r\n'):
        return '"' + name.replace('"', '""') + '"'
    return name


class CsvOutput:
    """CSV: a header line, then a line per row; the series name (``with_name``) and
    its tags in columns of their own. A series with other columns than the one before
    starts a new table: a blank line, then its header."""

    def __init__(self, file: IO[bytes], *, epoch: str | None, with_name: bool) -> None:
        self.file = file
        self.epoch = epoch
        self.with_name = with_name
        self.header: list[str] | None = None

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        pa, pc = _pa(), _pc()
        header = ([*(["name"] if self.with_name else []), *tags, *columns])
        if header != self.header:
            if self.header is not None:
                self.file.write(b"\n")
            self.file.write((",".join(map(_csv_name, header)) + "\n").encode())
            self.header = header
        if not values:
            return
        cells: list[Any] = []
        if self.with_name:
            cells.append(pa.scalar(_csv_name(name or ""), pa.string()))
        cells += [pa.scalar(_csv_name(value), pa.string()) for value in tags.values()]
        for title, column in zip(columns, _column_lists(values, len(columns)), strict=True):
            array = _times(column, self.epoch) if title == "time" else _array(column)
            cells.append(_csv_text(array) if title != "time" or self.epoch is not None
                         else array)
        # Each line's newline goes on its last cell, which is an array (a column).
        cells[-1] = pc.binary_join_element_wise(cells[-1], "\n", "", null_handling="replace",
                                                null_replacement="")
        lines = pc.binary_join_element_wise(*cells, ",", null_handling="replace",
                                            null_replacement="")
        offsets, data = lines.buffers()[1], lines.buffers()[2]
        bounds = _np().frombuffer(offsets, _np().int32)[lines.offset:lines.offset + len(lines)
                                                        + 1]
        self.file.write(memoryview(data)[int(bounds[0]):int(bounds[-1])])

    def close(self) -> None:
        self.file.flush()


# -- JSON ----------------------------------------------------------------------------------


def _dumps() -> Callable[[Any], bytes]:
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        def dumps(value: Any) -> bytes:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return dumps
    dumps_: Callable[[Any], bytes] = orjson.dumps
    return dumps_


def _rows(name: str | None, tags: dict[str, str], columns: list[str],
          values: list[list[Any]], epoch: str | None, with_name: bool
          ) -> Iterable[dict[str, Any]]:
    """Rows as dicts: the series name (as ``name``, unless a column has that name), its
    tags, then the columns; times as RFC 3339 strings unless an epoch was asked."""
    prefix: dict[str, Any] = {}
    if with_name and name is not None and "name" not in columns and "name" not in tags:
        prefix["name"] = name
    prefix.update(tags)
    if epoch is None and "time" in columns and values:
        at = columns.index("time")
        times = rfc3339([row[at] for row in values]).to_pylist()
        for row, time in zip(values, times, strict=True):
            item = dict(prefix)
            item.update(zip(columns, row, strict=True))
            item["time"] = time
            yield item
        return
    for row in values:
        item = dict(prefix)
        item.update(zip(columns, row, strict=True))
        yield item


class JsonLinesOutput:
    """JSON lines: an object per row."""

    def __init__(self, file: IO[bytes], *, epoch: str | None, with_name: bool) -> None:
        self.file = file
        self.epoch = epoch
        self.with_name = with_name
        self.dumps = _dumps()

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        dumps = self.dumps
        self.file.write(b"".join(dumps(row) + b"\n" for row in _rows(
            name, tags, columns, values, self.epoch, self.with_name)))

    def close(self) -> None:
        self.file.flush()


class JsonOutput(JsonLinesOutput):
    """JSON: one array of row objects, written as the rows come."""

    def __init__(self, file: IO[bytes], *, epoch: str | None, with_name: bool) -> None:
        super().__init__(file, epoch=epoch, with_name=with_name)
        self.file.write(b"[")
        self.first = True

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        for row in _rows(name, tags, columns, values, self.epoch, self.with_name):
            self.file.write((b"\n" if self.first else b",\n") + self.dumps(row))
            self.first = False

    def close(self) -> None:
        self.file.write(b"]\n" if self.first else b"\n]\n")
        self.file.flush()


# -- tables ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _numeric(rows: list[dict[str, Any]], column: str) -> bool:
    values = [row.get(column) for row in rows]
    return any(value is not None for value in values) and all(
        value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        for value in values)


class TableOutput:
    """rich tables, one per series (in tables of at most 1,000 rows), numbers on the
    right; the series (name and tags) above its table."""

    def __init__(self, console: Any, *, epoch: str | None) -> None:
        self.console = console
        self.epoch = epoch
        self.current: tuple[Any, ...] | None = None
        self.rows = 0

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        from rich.table import Table

        key = (name, tuple(tags.items()), tuple(columns))
        new = key != self.current
        if new:
            self._footer()
            self.current = key
            title = (name or "") + "".join(f",{key}={value}" for key, value in tags.items())
            if title:
                self.console.print(title, style="bold", markup=False)
        rows = list(_rows(None, {}, columns, values, self.epoch, False))
        for start in range(0, max(len(rows), 1 if new else 0), _TABLE_ROWS):
            shown = rows[start:start + _TABLE_ROWS]
            table = Table(show_header=new and start == 0, header_style="bold")
            for column in columns:
                table.add_column(column, overflow="fold", no_wrap=column == "time",
                                 justify="right" if _numeric(shown, column) else "left")
            for row in shown:
                table.add_row(*(_cell(row.get(column)) for column in columns))
            self.console.print(table)
        self.rows += len(rows)

    def _footer(self) -> None:
        if self.current is not None:
            self.console.print(f"({self.rows:,} row{'s' if self.rows != 1 else ''})",
                               style="dim")
        self.rows = 0

    def close(self) -> None:
        self._footer()


# -- Parquet --------------------------------------------------------------------------------


class ParquetOutput:
    """Parquet: the time as a UTC timestamp in nanoseconds, each column typed by its
    values (or by ``types``, from the measurement's field keys), and influxkit's
    metadata (measurement, tag columns) for ``influxkit write`` to read back."""

    def __init__(self, path: str, *, with_name: bool, types: dict[str, Any] | None = None,
                 metadata: dict[str, Any] | None = None) -> None:
        self.path = path
        self.with_name = with_name
        self.types = dict(types or {})
        self.metadata = metadata
        self.writer: Any = None
        self.schema: Any = None
        self.pending: list[Any] = []
        self.pending_rows = 0

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        pa = _pa()
        if not values:
            return
        arrays: dict[str, Any] = {}
        count = len(values)
        if self.with_name:
            arrays["name"] = pa.array([name] * count, pa.string())
        for key, value in tags.items():
            arrays[key] = pa.array([value] * count, pa.string())
        for title, column in zip(columns, _column_lists(values, len(columns)), strict=True):
            if title == "time":
                arrays[title] = pa.array(column, pa.int64()).cast(pa.timestamp("ns", "UTC"))
            elif title in self.types:
                arrays[title] = pa.array(column, self.types[title])
            else:
                arrays[title] = _array(column)
        table = pa.table(arrays)
        if self.schema is None:
            fields = [pa.field(field.name, pa.string() if pa.types.is_null(field.type)
                               else field.type) for field in table.schema]
            metadata = ({b"influxkit": json.dumps(self.metadata).encode()}
                        if self.metadata else None)
            self.schema = pa.schema(fields, metadata=metadata)
        try:
            table = table.select(self.schema.names).cast(self.schema)
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValueError(f"a series of another shape or type than the first one, "
                             f"which Parquet cannot hold in one file ({exc}): choose "
                             f"another --format, or query one series at a time") from None
        self.pending.append(table)
        self.pending_rows += count
        if self.pending_rows >= _ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        pa = _pa()
        pq: Any = importlib.import_module("pyarrow.parquet")
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(pa.concat_tables(self.pending))
        self.pending = []
        self.pending_rows = 0

    def close(self) -> None:
        self._flush()
        if self.writer is None:
            if self.schema is None:
                self.schema = _pa().schema([])
            pq: Any = importlib.import_module("pyarrow.parquet")
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.close()


# -- line protocol --------------------------------------------------------------------------


class LineProtocolOutput:
    """Line protocol of one measurement, whose tag keys are known: the rows as points,
    encoded by influxkit's encoder (``influxkit write`` reads them back as they were)."""

    def __init__(self, file: IO[bytes], measurement: str, tag_keys: Iterable[str]) -> None:
        self.file = file
        self.measurement = measurement
        self.tag_keys = set(tag_keys)

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        from influxkit import serialize

        tag_columns = [index for index, column in enumerate(columns)
                       if column in self.tag_keys]
        field_columns = [index for index, column in enumerate(columns)
                         if column not in self.tag_keys and column != "time"]
        at = columns.index("time")
        points = []
        for row in values:
            fields = {columns[index]: row[index] for index in field_columns
                      if row[index] is not None}
            if not fields:
                continue
            points.append({
                "measurement": self.measurement, "time": row[at], "fields": fields,
                "tags": {**tags, **{columns[index]: row[index] for index in tag_columns
                                    if row[index] not in (None, "")}},
            })
        if points:
            self.file.write(serialize(points) + b"\n")

    def close(self) -> None:
        self.file.flush()


# -- plots ------------------------------------------------------------------------------------


class PlotOutput:
    """A plot of every numeric column of every series over time, saved as PNG or SVG
    (matplotlib, without a display). Keeps the numbers it draws."""

    def __init__(self, path: str, title: str, *, scale: int = 1) -> None:
        self.path = path
        self.title = title
        self.scale = scale  # nanoseconds per unit of the times
        self.lines: dict[str, tuple[list[Any], list[Any]]] = {}
        self.fields: set[str] = set()

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        np = _np()
        if "time" not in columns or not values:
            return
        lists = _column_lists(values, len(columns))
        times = np.asarray(lists[columns.index("time")], dtype=np.int64) * self.scale
        series = (name or "") + "".join(f",{key}={value}" for key, value in tags.items())
        for title, column in zip(columns, lists, strict=True):
            if title == "time":
                continue
            numbers = [None if value is None or isinstance(value, bool) else value
                       for value in column]
            if not any(isinstance(value, (int, float)) for value in numbers):
                continue
            if any(value is not None and not isinstance(value, (int, float))
                   for value in numbers):
                continue
            label = f"{series} {title}" if series else title
            xs, ys = self.lines.setdefault(label, ([], []))
            array = np.array([np.nan if value is None else value for value in numbers],
                             dtype=np.float64)
            xs.append(times)
            ys.append(array)
            self.fields.add(title)

    def close(self) -> None:
        if not self.lines:
            raise ValueError("nothing to plot: the answer has no numeric column over time")
        np = _np()
        figure_module: Any = importlib.import_module("matplotlib.figure")
        figure = figure_module.Figure(figsize=(11, 5.5), layout="constrained")
        axes = figure.add_subplot()
        for label, (xs, ys) in sorted(self.lines.items()):
            x = np.concatenate(xs).astype("datetime64[ns]")
            y = np.concatenate(ys)
            order = np.argsort(x, kind="stable")
            axes.plot(x[order], y[order], label=label, linewidth=1)
        title = self.title if len(self.title) <= 90 else self.title[:87] + "..."
        axes.set_title(title)
        axes.set_xlabel("time (UTC)")
        axes.set_ylabel(next(iter(self.fields)) if len(self.fields) == 1 else "value")
        axes.grid(True, alpha=0.3)
        if len(self.lines) <= 20:
            axes.legend(loc="best", fontsize="small")
        figure.autofmt_xdate()
        figure.savefig(self.path)


class Outputs:
    """Several outputs, fed the same pieces."""

    def __init__(self, outputs: Sequence[Output]) -> None:
        self.outputs = list(outputs)
        self.rows = 0
        self.series = 0

    def add(self, name: str | None, tags: dict[str, str], columns: list[str],
            values: list[list[Any]]) -> None:
        self.rows += len(values)
        for output in self.outputs:
            output.add(name, tags, columns, values)

    def close(self) -> None:
        for output in self.outputs:
            output.close()


def make_output(fmt: str, file: IO[bytes] | None, *, path: str | None, console: Any,
                epoch: str | None, with_name: bool, measurement: str | None = None,
                tag_keys: Iterable[str] = (), types: dict[str, Any] | None = None,
                metadata: dict[str, Any] | None = None) -> Output:
    """The output of format ``fmt`` writing to ``file`` (a binary stream; Parquet
    writes to ``path``)."""
    if fmt == "table":
        return TableOutput(console, epoch=epoch)
    if fmt == "parquet":
        if path is None:
            raise ValueError("Parquet is written to a file: give -o FILE.parquet")
        return ParquetOutput(path, with_name=with_name, types=types, metadata=metadata)
    assert file is not None
    if fmt == "csv":
        return CsvOutput(file, epoch=epoch, with_name=with_name)
    if fmt == "json":
        return JsonOutput(file, epoch=epoch, with_name=with_name)
    if fmt == "jsonl":
        return JsonLinesOutput(file, epoch=epoch, with_name=with_name)
    if fmt == "lp":
        if measurement is None:
            raise ValueError("line protocol is written by export (which knows the tags)")
        return LineProtocolOutput(file, measurement, tag_keys)
    raise ValueError(f"unknown format {fmt!r}")
