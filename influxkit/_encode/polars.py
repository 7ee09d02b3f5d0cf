"""polars DataFrames as line protocol, with polars expressions.

A polars frame has no index: its times come from the column named ``time`` (a
``Datetime``, or integers in the write's precision, from 1971 on: see
:mod:`influxkit._core.time`), or else from its only ``Datetime`` column. Every other
column is a field, except the tag columns. The rules are those of pandas frames (see
:mod:`.pandas`): null and NaN cells are left out of their row's line, a row with no
field left is refused, a tag column wins over an extra tag of the same name where it
has a value, an ``Object`` column is written like a pandas object column (its values
of one line-protocol type), every column's name is checked (an all-null one's too),
and everything line protocol cannot carry is refused before the first block, naming
the row and the value.
"""

from __future__ import annotations

import enum
import importlib
import itertools
import sys
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, NoReturn

import polars as pl

from influxkit._core.limits import INT64_MAX, INT64_MIN
from influxkit._core.time import INT_TIME_BOUNDS, MAX_NS, MIN_NS, NS_PER_UNIT, int_time_problem
from influxkit._errors import LineProtocolError

from .lines import THREADS, Block, cut_lines, cut_points, in_order
from .rules import (
    KEY_ESCAPES,
    TEXT_REFUSALS,
    column_kind,
    decimal_to_float,
    escape_key,
    escape_measurement,
    extra_tag_pieces,
    tag_text,
)

__all__ = ["iter_polars_lines"]

_BLOCK_ROWS: Final = 50_000
_PYARROW: list[bool] = []  # whether pyarrow can be imported, once looked up
_UNIT_NS: Final = {"ns": 1, "us": 1_000, "ms": 1_000_000}
# Up to this many distinct values, a tag column that needs escaping is escaped value by
# value and mapped; beyond, with a regular expression over every row.
_MAPPED_TAG_VALUES: Final = 100_000


def iter_polars_lines(
    df: pl.DataFrame | pl.LazyFrame,
    measurement: Any,
    tag_columns: Sequence[str] | None,
    precision: str,
    extra_tags: Mapping[str, Any],
    *,
    block_rows: int | None = None,
    block_bytes: int | None = None,
    threads: int | None = None,
) -> Iterator[Block]:
    """Encode a polars DataFrame as blocks of line protocol, one line per row, in order.

    Blocks hold ``block_rows`` lines (the last one fewer) and at most ``block_bytes``
    bytes (a line longer than that is a block alone). The whole frame is checked before
    the first block is produced.

    Raises:
        LineProtocolError: for a frame line protocol cannot carry, naming the column,
            the row and the value.
    """
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    head = escape_measurement(measurement)
    if len(set(df.columns)) != len(df.columns):
        raise LineProtocolError("a column name appears twice", field="columns")
    time_name = _time_column(df)
    tag_names = list(dict.fromkeys(tag_columns or ()))
    for name in tag_names:
        if name not in df.columns:
            raise LineProtocolError(f"tag column {name!r} is not in the DataFrame", field=name)
        if name == time_name:
            raise LineProtocolError(f"tag column {name!r} is the time column", field=name)
    tag_keys = {name: escape_key(name, "tag key") for name in tag_names}
    # Every field column's name is checked, even a column with no value at all.
    field_keys = {name: escape_key(name, "field key") for name in df.columns
                  if name != time_name and name not in tag_keys}
    extra = extra_tag_pieces(extra_tags)
    if df.height == 0:
        return
    df = _typed_objects(df, list(field_keys), tag_names)
    field_names = [name for name in field_keys if df.schema[name] != pl.Null]

    # Each line is one concat_str of pieces: text constants, and the text of each cell.
    # A piece of a column with missing cells is null there, and left out.
    parts: list[pl.Expr] = [pl.lit(head)]
    for key in sorted({*tag_names, *extra}):
        if key in tag_keys:
            parts += _tag_pieces(df, key, tag_keys[key], extra.get(key))
        else:
            parts.append(pl.lit(extra[key]))
    if not field_names:
        raise LineProtocolError("the DataFrame has no field columns", field="fields")
    missing = {name: _missing(df, name) for name in field_names}
    flags = [flag for flag in missing.values() if flag is not None]
    if len(flags) == len(field_names):
        empty = df.select(pl.all_horizontal(flags).alias("empty"))["empty"]
        if empty.any():
            _refuse(df, empty, "point has no fields (missing values are left out); InfluxDB "
                    "needs at least one", "fields")
    parts.append(pl.lit(" "))
    parts += _field_pieces(df, field_names, field_keys, missing)
    parts += _time_text(df, time_name, precision)
    piece = block_rows or _BLOCK_ROWS
    step = max(piece, _BLOCK_ROWS - _BLOCK_ROWS % piece)
    if _has_pyarrow():
        # Each line ends with its newline; blocks of lines are cut from the text
        # buffer polars hands to pyarrow, with no joining.
        line = pl.concat_str([*parts, pl.lit("\n")], ignore_nulls=True)

        def encode(start: int) -> list[Block]:
            lines = df.slice(start, step).select(line).to_series()
            return cut_lines(lines.to_arrow(compat_level=pl.CompatLevel.oldest()), piece,
                             block_bytes)

        starts = range(0, df.height, step)
        yield from in_order(encode, starts, len(starts), threads or THREADS)
        return
    # Without pyarrow, polars joins the lines and hands them over as bytes. Small pieces
    # (a write's batch_size) are cut from large blocks: the expressions run once per
    # block, not once per piece.
    line = pl.concat_str(parts, ignore_nulls=True)
    for start in range(0, df.height, step):
        lines = df.slice(start, step).select(line).to_series()
        offsets = [0, *itertools.accumulate((lines.str.len_bytes() + 1).to_list())]
        for at, end in itertools.pairwise(cut_points(offsets, piece, block_bytes)):
            yield lines.slice(at, end - at).str.join("\n").cast(pl.Binary).item()


def _typed_objects(df: pl.DataFrame, fields: list[str], tags: list[str]) -> pl.DataFrame:
    """The frame with its ``Object`` columns (Python objects) typed as the pandas encoder
    writes object columns: a field column as its values' one line-protocol type
    (``Null`` when it has no value; values of several types are refused), a tag column
    as the text of its values."""
    columns = [_typed_object(df, name) for name in fields if df.schema[name] == pl.Object]
    columns += [_tag_texts(df, name) for name in tags if df.schema[name] == pl.Object]
    return df.with_columns(columns) if columns else df


def _tag_texts(df: pl.DataFrame, name: str) -> pl.Series:
    texts: list[str | None] = []
    for row, value in enumerate(df[name].to_list()):
        try:
            texts.append(None if _is_missing(value) else tag_text(value, name))
        except LineProtocolError as exc:
            _refuse_at(row, exc.reason, name, value)
    return pl.Series(name, texts, dtype=pl.Utf8)


def _typed_object(df: pl.DataFrame, name: str) -> pl.Series:
    values = df[name].to_list()
    rows = [row for row, value in enumerate(values) if not _is_missing(value)]
    present = [values[row] for row in rows]
    try:
        found = column_kind(name, present)
    except LineProtocolError as exc:
        _refuse_at(rows[exc.index or 0], exc.reason, name, exc.value)
    if found is None:
        return pl.Series(name, [None] * len(values), dtype=pl.Null)
    kind, _ = found
    cells: list[Any] = [None] * len(values)
    for row, value in zip(rows, present, strict=True):
        try:
            cells[row] = _object_cell(kind, value, name)
        except LineProtocolError as exc:
            _refuse_at(row, exc.reason, name, value)
    dtype = {"int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "str": pl.Utf8}[kind]
    return pl.Series(name, cells, dtype=dtype)


def _object_cell(kind: str, value: Any, name: str) -> Any:
    """A value of an object column as the type of its column, or a refusal."""
    if kind == "str":
        text = value.name if isinstance(value, enum.Enum) else str(value)
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise LineProtocolError(
                f"field {name!r} has {text!r}, whose {text[exc.start:exc.end]!r} is not "
                "valid Unicode (a lone surrogate) and cannot be sent as UTF-8"
            ) from None
        return text
    if kind == "int":
        number = int(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise LineProtocolError(
                f"field {name!r} is {number}, outside the 64-bit integer range InfluxDB stores"
            )
        return number
    if kind == "float":
        return decimal_to_float(value, name) if isinstance(value, Decimal) else float(value)
    return bool(value)


def _is_missing(value: Any) -> bool:
    """A missing cell of an object column, as pandas has them: None, a NaN (of any float
    type, a Decimal's), a NaT, or pandas' NA."""
    if value is None:
        return True
    if isinstance(value, Decimal):
        return value.is_nan()
    if isinstance(value, float) or type(value).__module__ == "numpy":
        return bool(value != value)
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


def _refuse_at(row: int, reason: str, field: str, value: Any) -> NoReturn:
    raise LineProtocolError(f"{reason} (row {row})", index=row, field=field, value=value)


def _has_pyarrow() -> bool:
    if not _PYARROW:
        try:
            importlib.import_module("pyarrow")
            _PYARROW.append(True)
        except ImportError:
            _PYARROW.append(False)
    return bool(_PYARROW[0])


def _field_pieces(df: pl.DataFrame, names: list[str], keys: Mapping[str, str],
                  missing: Mapping[str, pl.Expr | None]) -> list[pl.Expr]:
    """The pieces of the field set, to be joined with the rest of the line in one go.

    A field that always has a value (the anchor) is always written: fields before it
    carry their comma after them, fields after it before them. A field with missing
    values is written as its key (null where the value is missing), its value and its
    closing text (null there too), so that all three are left out together: a nested
    join would cost polars several times more.
    """
    anchor = next((i for i, name in enumerate(names) if missing[name] is None), None)
    if anchor is None:
        # Every field is missing somewhere: each is ",key=value" (null where missing),
        # and the comma before the first one present is cut off.
        texts = []
        for name in names:
            value, opener, closer = _field_text(df, name)
            texts.append(pl.concat_str([pl.lit(f",{keys[name]}={opener}"), value,
                                        pl.lit(closer)]))
        return [pl.concat_str(texts, ignore_nulls=True).str.slice(1)]
    pieces: list[pl.Expr] = []
    for i, name in enumerate(names):
        value, opener, closer = _field_text(df, name)
        before = f"{',' if i > anchor else ''}{keys[name]}={opener}"
        after = f"{closer}{',' if i < anchor else ''}"
        flag = missing[name]
        if flag is None:
            pieces += [pl.lit(before), value]
            if after:
                pieces.append(pl.lit(after))
        else:
            pieces += [pl.when(~flag).then(pl.lit(before)), value]
            if after:
                pieces.append(pl.when(~flag).then(pl.lit(after)))
    return pieces


def _refuse(df: pl.DataFrame, bad: pl.Series, reason: str, field: str,
            value: Any = None) -> None:
    row = int(bad.arg_true()[0])
    raise LineProtocolError(f"{reason} (row {row})", index=row, field=field,
                            value=value if value is None else value[row])


def _time_column(df: pl.DataFrame) -> str:
    if "time" in df.columns:
        return "time"
    datetimes = [name for name, dtype in df.schema.items() if isinstance(dtype, pl.Datetime)]
    if len(datetimes) == 1:
        return datetimes[0]
    raise LineProtocolError(
        "a polars DataFrame needs its times in a column named 'time' (a Datetime, or "
        f"integers in the write's precision); it has {len(datetimes)} Datetime columns",
        field="time",
    )


def _time_text(df: pl.DataFrame, name: str, precision: str) -> list[pl.Expr]:
    column = df[name]
    if column.null_count():
        _refuse(df, column.is_null(), "time is missing; every row needs a time", "time")
    unit_ns = NS_PER_UNIT[precision]
    dtype = column.dtype
    if isinstance(dtype, pl.Datetime):
        # The stored integers are in the column's own unit, since the epoch, in UTC.
        raw = column.dt.epoch(time_unit=dtype.time_unit or "us")
        per = _UNIT_NS[dtype.time_unit or "us"]
        low, high = -(-MIN_NS // per), MAX_NS // per
        _check_range(df, raw, low, high)
        epoch = pl.col(name).dt.epoch(time_unit=dtype.time_unit or "us")
        if unit_ns >= per:
            step = unit_ns // per
            bad = raw % step != 0
            if bad.any():
                _refuse(df, bad, f"time is not a whole number of the precision {precision!r}",
                        "time", column)
            expr = epoch // step
        else:
            expr = epoch * (per // unit_ns)
    elif dtype.is_integer():
        # Integers are in the write's precision: from 1971 on (see _core.time).
        first, last = INT_TIME_BOUNDS[precision]
        raw = column.cast(pl.Int64, strict=False)
        bad = (raw.is_null() | (raw < first) | (raw > last)).fill_null(True)
        if bad.any():
            row = int(bad.arg_true()[0])
            value = column[row]
            _refuse_at(row, int_time_problem(int(value), precision), "time", value)
        expr = pl.col(name)
    else:
        raise LineProtocolError(
            f"time column {name!r} has type {dtype}; use a Datetime or integers", field="time"
        )
    return [pl.lit(" "), expr.cast(pl.Utf8)]


def _check_range(df: pl.DataFrame, raw: pl.Series, low: int, high: int,
                 original: pl.Series | None = None) -> None:
    bad = raw.is_null() | (raw < low) | (raw > high)
    if bad.any():
        _refuse(df, bad, "time is outside the range InfluxDB stores "
                "(1677-09-21T00:12:43.145224194Z to 2262-04-11T23:47:16.854775806Z)", "time",
                original if original is not None else raw)


def _missing(df: pl.DataFrame, name: str) -> pl.Expr | None:
    """Where a field column has no value (null, or NaN), or None if it always has one."""
    column = df[name]
    flag = pl.col(name).is_null()
    count = column.null_count()
    if column.dtype.is_float():
        flag = flag | pl.col(name).is_nan()
        count += int(column.is_nan().sum())
    return flag if count else None


def _tag_pieces(df: pl.DataFrame, name: str, key: str, fallback: str | None) -> list[pl.Expr]:
    dtype = df.schema[name]
    text = pl.col(name)
    if dtype == pl.Null:
        return [pl.lit(fallback, dtype=pl.Utf8)]
    if dtype.is_float() or dtype == pl.Boolean:
        # Numbers and booleans as str() writes them, like the other encoders (polars'
        # own text differs: 1e-05 is "0.00001", True is "true"): few distinct values.
        distinct = [value for value in df[name].unique().to_list()
                    if value is not None and value == value]
        text = text.fill_nan(None) if dtype.is_float() else text
        text = text.replace_strict({value: str(value) for value in distinct},
                                   default=None, return_dtype=pl.Utf8)
    elif dtype != pl.Utf8:
        if not (dtype.is_numeric() or dtype in (pl.Categorical, pl.Enum)):
            raise LineProtocolError(
                f"tag column {name!r} has type {dtype}; tags are strings", field=name
            )
        text = text.cast(pl.Utf8)
    column = df.select(text.alias(name))[name]
    # The checks run over the uniques values (tags repeat), and the row of a bad one
    # is looked up only to name it.
    uniques = column.unique()
    for pattern, problem in TEXT_REFUSALS:
        bad = uniques.str.contains(pattern).fill_null(False)
        if bad.any():
            row = int(column.is_in(uniques.filter(bad)).fill_null(False).arg_true()[0])
            value = column[row]
            raise LineProtocolError(
                f"tag {name!r} value {value!r} {problem}, which line protocol cannot "
                f"carry (row {row})", index=row, field=name, value=value,
            )
    if uniques.str.contains(r"[,= ]").any():
        if len(uniques) <= _MAPPED_TAG_VALUES:
            values = [value for value in uniques.to_list() if value is not None]
            text = text.replace_strict(
                {value: value.translate(KEY_ESCAPES) for value in values},
                default=None, return_dtype=pl.Utf8,
            )
        else:
            text = text.str.replace_all(r"([,= ])", r"\$1")
    if not uniques.null_count() and not (uniques.str.len_bytes() == 0).any():
        return [pl.lit(f",{key}="), text]
    # An empty tag is a missing one: the extra tag of the same name, if any, fills it.
    present = pl.when(text.str.len_bytes() > 0).then(pl.lit(f",{key}=") + text)
    return [present.otherwise(pl.lit(fallback, dtype=pl.Utf8))]


def _field_text(df: pl.DataFrame, name: str) -> tuple[pl.Expr, str, str]:
    """The text of a field column's values (null where it has none), and the text
    around each: a string's quotes, an integer's ``i``."""
    column = df[name]
    dtype = column.dtype
    if dtype.is_float():
        infinite = column.is_infinite().fill_null(False)
        if infinite.any():
            row = int(infinite.arg_true()[0])
            raise LineProtocolError(
                f"field {name!r} is {column[row]!r} (row {row}); line protocol cannot carry "
                "NaN or infinity", index=row, field=name, value=column[row],
            )
        return pl.col(name).cast(pl.Float64).fill_nan(None).cast(pl.Utf8), "", ""
    if dtype == pl.Boolean:
        return pl.col(name).cast(pl.Utf8), "", ""
    if dtype.is_integer():
        if dtype in (pl.UInt64, pl.Int128, getattr(pl, "UInt128", pl.UInt64)):
            big = column > INT64_MAX
            if dtype.is_signed_integer():
                big = big | (column < -INT64_MAX - 1)
            big = big.fill_null(False)
            if big.any():
                row = int(big.arg_true()[0])
                raise LineProtocolError(
                    f"field {name!r} is {column[row]}, outside the 64-bit integer range "
                    f"InfluxDB stores (row {row})", index=row, field=name, value=column[row],
                )
        return pl.col(name).cast(pl.Utf8), "", "i"
    if dtype in (pl.Utf8, pl.Categorical, pl.Enum):
        text = pl.col(name).cast(pl.Utf8)
        if column.cast(pl.Utf8).str.contains(r'[\\"]').any():
            text = text.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
                '"', '\\"', literal=True)
        return text, '"', '"'
    raise LineProtocolError(
        f"column {name!r} has type {dtype}, which line protocol cannot carry; convert it "
        "to numbers, booleans or strings", field=name,
    )
