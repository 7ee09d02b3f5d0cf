"""pandas DataFrames as line protocol, column by column.

Encoding (:func:`iter_pandas_lines`) never loops over rows in Python: columns are
checked and prepared once with numpy and pyarrow (the library pandas uses for its own
string dtype), and each line is one element-wise join of the columns' text, block by
block (a few MB each, encoded on up to four threads since the kernels release the
GIL). polars makes the text and joins it when it is installed, pyarrow's kernels
otherwise. The whole frame is checked before the first block is produced, so a bad
cell is refused before anything is sent. The rules, beyond those of
:mod:`.rules`, whose escaping and checks are reused:

- The index must be a :class:`~pandas.DatetimeIndex` (aioinflux's rule), tz-aware or
  naive (naive is UTC), of any resolution; times are converted to ``precision`` with
  integer arithmetic and a time that is not a whole number of units is refused.
- A missing cell (``None``, ``NaN``, ``pd.NA``) leaves that field, or that tag, out
  of its row's line. ``±inf`` and unsigned integers beyond int64 are refused.
- A row left with no field at all is refused (InfluxDB needs one), unless the caller
  asks for such rows to be dropped (``drop_empty_rows=True``).
- float32 cells are written as the float64 they widen to, like :func:`serialize` does
  for a ``numpy.float32``; the text of a float is the shortest one that reads back as
  the same float64 (pyarrow writes ``1.0`` as ``1`` and ``1e-05`` as ``0.00001``,
  polars ``1.0`` and ``1e-5``, which line protocol reads as the same floats).
- object columns are written only if their values have one line-protocol type, as
  the mapping encoder writes each value: all strings (enum members among them, by
  name), all integers (Python and numpy, never rounded), all floats (Python and
  numpy floats, and ``Decimal`` values whose float64 is the same number) or all
  booleans; missing cells (``None``, ``NaN``, ``pd.NA``, ``NaT``) are left out. Any
  other column (``[1, "a", 2.5]``, ``[True, 1]``, ints with floats, bytes) is refused,
  naming its first value of another type and its row: a field has one type, and
  writing each value's ``str()`` (aioinflux's rule) or rounding integers to floats
  would store something else.
- Categorical columns are written as their categories' type.
- Column names are checked even when the column has no value (``'time'``, empty,
  newline, trailing backslash are refused); a name used twice is refused.
- Tags: tag columns of any dtype (numbers and booleans as their ``str()``), plus
  ``extra_tags`` on every row. A tag column and an extra tag of the same name: the
  column's value wins, and the extra tag fills the rows where the column is missing
  (``None``, ``NaN`` or ``""``). Tags are written sorted by key, the order the server
  keeps them in.
"""

from __future__ import annotations

import enum
import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import numpy as np
import pandas as pd
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_float_dtype,
    is_integer_dtype,
    is_unsigned_integer_dtype,
)

from influxkit._core.extras import require
from influxkit._core.limits import INT64_MAX, INT64_MIN
from influxkit._core.time import MAX_NS, MIN_NS, NS_PER_UNIT, normalize_precision, time_to_int
from influxkit._errors import LineProtocolError

from .lines import THREADS, Block, cut_lines, in_order
from .rules import (
    TEXT_REFUSALS,
    column_kind,
    decimal_to_float,
    escape_key,
    escape_measurement,
    escape_tag_value,
    extra_tag_pieces,
)

# pyarrow checks and prepares the columns (and joins their text when polars is missing).
pa = require("pyarrow", "writing a pandas DataFrame")
pc = require("pyarrow.compute", "writing a pandas DataFrame")

__all__ = ["iter_pandas_lines"]

# Lines are built in blocks of about this many bytes: large enough for the cost of
# each block (about a millisecond of setting up polars or pyarrow calls) not to matter
# much, small enough to keep memory low. (Measured: encoding alone takes 3-10% less CPU
# in 16 MB blocks, but a bulk write with a server on the same machine was no faster,
# and its memory grew by a third.)
_BLOCK_BYTES: Final = 4_000_000
_MIN_BLOCK_ROWS: Final = 2_000
_MAX_BLOCK_ROWS: Final = 100_000




_NS_PER_RESOLUTION: Final = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}

# Rough width in bytes of a value of each kind, to size blocks.
_WIDTHS: Final = {"float": 20, "int": 12, "bool": 5}


# Encoding ------------------------------------------------------------------------------

class _Rows:
    """Names rows in errors: position and index label.

    Arrays derived from a column (its categories, its distinct tag values) report
    positions in themselves; ``codes`` maps such a position back to the first row
    that holds it.
    """

    def __init__(self, index: pd.Index, codes: np.ndarray | None = None) -> None:
        self.index = index
        self.codes = codes

    def row(self, position: int) -> int:
        if self.codes is None:
            return position
        return int(np.flatnonzero(self.codes == position)[0])

    def through(self, codes: np.ndarray) -> _Rows:
        """The namer for an array whose element ``i`` is held by elements ``codes == i``."""
        if self.codes is None:
            return _Rows(self.index, codes)
        # Derived twice (never in practice: categories are not categorical): compose.
        outer = self.codes
        return _Rows(self.index, np.where(outer >= 0, codes[np.maximum(outer, 0)], -1))

    def error(self, reason: str, position: int, *, field: str | None = None,
              value: Any = None) -> LineProtocolError:
        row = self.row(position)
        # The row's position and index label: "point 3 Timestamp('2020-01-01 ...'): ..."
        return LineProtocolError(reason, index=row, point=self.index[row], field=field,
                                 value=value)


class _Field:
    """A field column ready to be cut into blocks of text.

    ``values`` is a pyarrow array of float64, int64, bool or large_string, with nulls
    for missing cells; or, when ``codes`` is given, the text of each distinct value
    (then a row's text is ``values[codes[row]]``, the last entry being null).
    """

    __slots__ = ("closer", "codes", "escape", "key", "kind", "missing", "opener", "values")

    def __init__(self, key: str, kind: str, values: Any, missing: np.ndarray | None, *,
                 escape: bool = False, codes: np.ndarray | None = None) -> None:
        self.key = key
        self.kind = kind
        self.values = values
        self.missing = missing
        self.escape = escape
        self.codes = codes
        self.opener = '"' if kind == "str" else ""
        self.closer = {"str": '"', "int": "i"}.get(kind, "")

    def width(self, rows: int) -> int:
        if self.kind in _WIDTHS:
            return _WIDTHS[self.kind] + len(self.key) + 2
        data = self.values
        if self.codes is not None:
            return int(data.nbytes / max(1, len(data))) + len(self.key) + 4
        return int(data.nbytes / max(1, rows)) + len(self.key) + 4

    def text(self, start: int, stop: int) -> Any:
        """The values of rows ``start:stop`` as text (null where missing)."""
        if self.codes is not None:
            return pc.take(self.values, pa.array(self.codes[start:stop]))
        return _value_text(self.kind, self.values.slice(start, stop - start), self.escape)

    @property
    def raw(self) -> bool:
        """Whether polars gets the values themselves (numbers and booleans, which it
        turns into text), not their text."""
        return self.codes is None and self.kind != "str"

    def polars(self, polars: Any, start: int, stop: int) -> Any:
        """Rows ``start:stop`` as a polars Series (see :attr:`raw`)."""
        if self.raw:
            return polars.from_arrow(self.values.slice(start, stop - start))
        return polars.from_arrow(self.text(start, stop))


# How a block's columns become lines. polars joins them (formatting floats as the
# shortest text that reads back exactly, and integers, as it goes) for about two thirds
# of the CPU pyarrow's kernels take: it is used when it is installed. Unless it is
# imported already, it is imported in the background for a large frame, whose first
# blocks meanwhile use pyarrow: a write does not wait for the import before sending
# anything.
_POLARS_FROM_ROWS: Final = 50_000
_polars: list[Any] = []  # [polars module or None], once looked up
_polars_lookup: list[threading.Thread] = []
_LOOKUP_LOCK: Final = threading.Lock()


def _look_up_polars() -> None:
    try:
        module = importlib.import_module("polars")
    except ImportError:
        module = None
    if not _polars:
        _polars.append(module)


def _line_maker(rows: int) -> type[_ArrowLines | _PolarsLines | _ImportingLines]:
    """What makes the lines of a frame of ``rows`` rows (see :class:`_ArrowLines`)."""
    if "polars" in sys.modules:
        if not _polars:
            _look_up_polars()
        return _ArrowLines if _polars[0] is None else _PolarsLines
    if rows < _POLARS_FROM_ROWS or (_polars and _polars[0] is None):
        return _ArrowLines
    with _LOOKUP_LOCK:
        if not _polars_lookup:
            thread = threading.Thread(target=_look_up_polars, name="influxkit-import-polars",
                                      daemon=True)
            _polars_lookup.append(thread)
            thread.start()
    return _ImportingLines


def _value_text(kind: str, values: Any, escape: bool) -> Any:
    if kind in ("float", "int"):
        return pc.cast(values, pa.large_string())
    if kind == "bool":
        return pc.if_else(values, _scalar("true"), _scalar("false"))
    if escape:
        values = pc.replace_substring(values, "\\", "\\\\")
        values = pc.replace_substring(values, '"', '\\"')
    return values


def _scalar(text: str) -> Any:
    return pa.scalar(text, pa.large_string())


def _present(missing: np.ndarray) -> np.ndarray | None:
    """``missing`` if any cell is missing, else None (the cheap common case)."""
    return missing if missing.any() else None


def _field_column(series: pd.Series, name: str, key: str, rows: _Rows) -> _Field | None:
    """Prepare one field column, refusing what line protocol cannot carry.

    Returns None for a column without any value: it adds nothing to any line.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_field(series, name, key, rows)
    if is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=np.bool_, na_value=False)
        return _field_or_none(key, "bool", values, missing)
    if is_integer_dtype(dtype):
        return _integer_field(series, name, key, rows)
    if is_float_dtype(dtype):
        floats = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _float_field(floats, name, key, rows)
    if isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype)
        and (pa.types.is_string(dtype.pyarrow_dtype)
             or pa.types.is_large_string(dtype.pyarrow_dtype))
    ):
        return _string_field(_to_arrow_text(series, name, rows), key)
    if dtype == np.dtype(object):
        return _object_field(series, name, key, rows)
    raise LineProtocolError(
        f"column {name!r} has dtype {dtype}: fields are float, int, bool or string; "
        "convert the column first (e.g. .astype('int64') or .astype(str))",
        field=name,
    )


def _field_or_none(key: str, kind: str, values: np.ndarray, missing: np.ndarray) -> _Field | None:
    if missing.all():
        return None
    mask = _present(missing)
    return _Field(key, kind, pa.array(values, mask=mask), mask)


def _float_field(floats: np.ndarray, name: str, key: str, rows: _Rows) -> _Field | None:
    infinite = np.isinf(floats)
    if infinite.any():
        position = int(np.argmax(infinite))
        value = float(floats[position])
        raise rows.error(
            f"field {name!r} is {value!r}; line protocol cannot carry NaN or infinity",
            position, field=name, value=value,
        )
    return _field_or_none(key, "float", floats, np.isnan(floats))


def _integer_field(series: pd.Series, name: str, key: str, rows: _Rows) -> _Field | None:
    missing = series.isna().to_numpy()
    if is_unsigned_integer_dtype(series.dtype):
        unsigned = series.to_numpy(dtype=np.uint64, na_value=0)
        too_large = unsigned > INT64_MAX
        if too_large.any():
            position = int(np.argmax(too_large))
            value = int(unsigned[position])
            raise rows.error(
                f"field {name!r} is {value}, outside the 64-bit integer range InfluxDB stores",
                position, field=name, value=value,
            )
        integers = unsigned.astype(np.int64)
    else:
        integers = series.to_numpy(dtype=np.int64, na_value=0)
    return _field_or_none(key, "int", integers, missing)


def _to_arrow_text(values: Any, name: str, rows: _Rows | None = None) -> Any:
    """Text values (str, None for missing) as a pyarrow array; ``rows`` names the row of
    a value that is not valid Unicode (a lone surrogate), which UTF-8 cannot carry."""
    try:
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError) as exc:
        if rows is not None:
            for position, value in enumerate(values):
                if not isinstance(value, str):
                    continue
                try:
                    value.encode()
                except UnicodeEncodeError as bad:
                    run = value[bad.start:bad.end]
                    raise rows.error(
                        f"column {name!r} has {value!r}, whose {run!r} is not valid "
                        "Unicode (a lone surrogate) and cannot be sent as UTF-8",
                        position, field=name, value=value,
                    ) from None
        raise LineProtocolError(
            f"column {name!r} cannot be written as UTF-8 text: {exc}", field=name
        ) from None
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def _string_field(text: Any, key: str) -> _Field | None:
    if text.null_count == len(text):
        return None
    missing = None
    if text.null_count:
        missing = np.asarray(pc.is_null(text))
    escape = bool(pc.any(pc.match_substring_regex(text, r'["\\]')).as_py())
    return _Field(key, "str", text, missing, escape=escape)


def _object_field(series: pd.Series, name: str, key: str, rows: _Rows) -> _Field | None:
    """An object column: written if its values have one line-protocol type, as the
    mapping encoder writes each (an enum member by name, a Decimal as its float)."""
    values = series.to_numpy(dtype=object)
    missing = np.asarray(pd.isna(values), dtype=np.bool_)
    gaps = bool(missing.any())
    present = values[~missing] if gaps else values

    def row(position: int) -> int:
        """The row of ``present[position]``."""
        return int(np.flatnonzero(~missing)[position]) if gaps else position

    try:
        found = column_kind(name, present)
    except LineProtocolError as exc:
        raise rows.error(exc.reason, row(exc.index or 0), field=name, value=exc.value) from None
    if found is None:
        return None
    kind, classes = found
    if kind == "str":
        if any(issubclass(cls, enum.Enum) for cls in classes):
            values = values.copy()
            values[~missing] = [value.name if isinstance(value, enum.Enum) else value
                                for value in present]
        return _string_field(_to_arrow_text(values, name, rows), key)
    if kind == "bool":
        flags = np.where(missing, False, values).astype(np.bool_)
        return _field_or_none(key, "bool", flags, missing)
    if kind == "int":
        integers = np.zeros(len(values), dtype=np.int64)
        try:
            integers[~missing] = present.astype(np.int64)
        except OverflowError:
            position = next(i for i, value in enumerate(present)
                            if not INT64_MIN <= int(value) <= INT64_MAX)
            value = present[position]
            raise rows.error(
                f"field {name!r} is {value}, outside the 64-bit integer range InfluxDB "
                "stores", row(position), field=name, value=value,
            ) from None
        return _field_or_none(key, "int", integers, missing)
    if any(issubclass(cls, Decimal) for cls in classes):
        for position, value in enumerate(present):
            if isinstance(value, Decimal):
                try:
                    decimal_to_float(value, name)
                except LineProtocolError as exc:
                    raise rows.error(exc.reason, row(position), field=name,
                                     value=value) from None
    floats = np.where(missing, np.nan, values).astype(np.float64)
    return _float_field(floats, name, key, rows)


def _object_text(value: Any) -> str:
    return value.name if isinstance(value, enum.Enum) else str(value)


def _name_text(name: Any) -> str:
    """A column name as text, as line protocol writes it (an enum by its name)."""
    return _object_text(name)


def _categorical_field(series: pd.Series, name: str, key: str, rows: _Rows) -> _Field | None:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0:
        return None
    # The distinct values actually used, in their own dtype, encoded once each.
    distinct = pd.Series(np.asarray(uniques), dtype=series.cat.categories.dtype)
    inner = _field_column(distinct, name, key, rows.through(codes))
    if inner is None:  # pragma: no cover - factorize leaves missing values out
        return None
    texts = inner.text(0, len(distinct))
    table = pa.concat_arrays([texts, pa.nulls(1, pa.large_string())])
    missing = codes < 0
    slots = np.where(missing, len(distinct), codes)
    return _Field(key, inner.kind, table, _present(missing), codes=slots)


def _distinct_values(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's code (-1 when missing) and the distinct values, in order of appearance."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
        # By bits, so that -0.0 and 0.0 stay apart: as tags they are different strings.
        floats = series.to_numpy()
        present = ~np.isnan(floats)
        codes = np.full(len(floats), -1, dtype=np.intp)
        codes[present] = pd.factorize(floats[present].view(f"i{floats.itemsize}"))[0]
        return codes, pd.Index(floats[_first_rows(codes)])
    if series.dtype == object and infer_dtype(series, skipna=True) != "string":
        # Values that compare equal can be different tags (False and 0, 1 and 1.0, -0.0
        # and 0.0 are one value to pandas, but "False", "0", "1.0", "-0.0" as text):
        # they are told apart by their type and their repr.
        values = series.to_numpy(dtype=object)
        missing = np.asarray(pd.isna(values), dtype=np.bool_)
        keys = [None if gone else (type(value).__qualname__, repr(value))
                for value, gone in zip(values.tolist(), missing.tolist(), strict=True)]
        codes = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)[0]
        return codes, pd.Index(values[_first_rows(codes)], dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if isinstance(uniques.dtype, pd.CategoricalDtype):
        return codes, pd.Index(np.asarray(uniques))
    return codes, pd.Index(uniques)


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered in order of appearance (-1 skipped)."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.intp)
    seen = np.maximum.accumulate(codes)
    previous = np.concatenate(([-1], seen[:-1]))
    return np.flatnonzero(codes > previous)


def _tag_table(series: pd.Series, name: str, key: str, fallback: str | None,
               rows: _Rows) -> tuple[Any, np.ndarray]:
    """The ``,key=value`` text of each distinct tag value, and each row's slot in it.

    The last slot is for rows without a value: the extra tag of the same key if there
    is one, else null (the tag is left out of the line).
    """
    codes, distinct = _distinct_values(series)
    tag_rows = rows.through(codes)
    prefix = f",{key}="
    if len(distinct) and infer_dtype(distinct, skipna=False) == "string":
        text = _to_arrow_text(distinct.to_numpy(dtype=object), name, tag_rows)
        # The refusals of rules.escape_tag_value, over the distinct values.
        for pattern, problem in TEXT_REFUSALS:
            found = pc.match_substring_regex(text, pattern)
            if pc.any(found).as_py():
                position = int(np.argmax(np.asarray(found)))
                value = text[position].as_py()
                raise tag_rows.error(
                    f"tag {name!r} value {value!r} {problem}, which line protocol cannot "
                    "carry", position, field=name, value=value,
                )
        for char in (",", "=", " "):
            text = pc.replace_substring(text, char, "\\" + char)
        pieces = pc.binary_join_element_wise(_scalar(prefix), text, _scalar(""))
        empty = pc.equal(pc.binary_length(text), 0)
        # An empty tag is a missing one: the extra tag of the same name, if any, fills it.
        pieces = pc.if_else(empty, pa.scalar(fallback, pa.large_string()), pieces)
    else:
        escaped: list[str | None] = []
        for position, value in enumerate(distinct.to_numpy()):
            try:
                piece = escape_tag_value(value, name)
            except LineProtocolError as exc:
                raise tag_rows.error(exc.reason, position, field=name, value=value) from None
            escaped.append(prefix + piece if piece else fallback)
        pieces = pa.array(escaped, type=pa.large_string())
    table = pa.concat_arrays([pieces, pa.array([fallback], type=pa.large_string())])
    return table, _slots(codes, len(distinct))


def _slots(codes: np.ndarray, missing_slot: int) -> np.ndarray:
    """Codes as table slots (``missing_slot`` for -1), int32 when they fit, made in place."""
    if missing_slot < 2**31 - 1 and codes.dtype != np.int32:
        codes = codes.astype(np.int32)
    elif not codes.flags.writeable:
        codes = codes.copy()
    codes[codes < 0] = missing_slot
    return codes


def _index_times(index: pd.DatetimeIndex, precision: str, rows: _Rows) -> np.ndarray:
    """The index as integers in ``precision``, exactly, or a refusal naming the row."""
    if index.hasnans:
        position = int(np.argmax(np.asarray(index.isna())))
        raise rows.error("time is NaT; every row needs a time", position, field="time")
    resolution = _NS_PER_RESOLUTION[index.unit]
    values = index.asi8
    low = -(-MIN_NS // resolution)
    high = MAX_NS // resolution
    outside = (values < low) | (values > high)
    unit = NS_PER_UNIT[precision]
    if resolution % unit == 0:
        bad = outside
        times = values * (resolution // unit) if resolution != unit else values
    else:
        times, rest = np.divmod(values, unit // resolution)
        bad = outside | (rest != 0)
    if outside.any():
        position = int(np.argmax(outside))
        raise rows.error(
            f"time {index[position]} is outside the range InfluxDB stores "
            "(1677-09-21T00:12:43.145224194Z to 2262-04-11T23:47:16.854775806Z)",
            position, field="time", value=index[position],
        )
    if bad.any():
        position = int(np.argmax(bad))
        try:
            time_to_int(index[position], precision)
            reason = f"time {index[position]} cannot be written"  # pragma: no cover
        except ValueError as exc:
            reason = str(exc)
        raise rows.error(reason, position, field="time", value=index[position])
    return np.ascontiguousarray(times, dtype=np.int64)


def iter_pandas_lines(
    df: pd.DataFrame,
    measurement: Any,
    tag_columns: Sequence[str] | None,
    precision: str,
    extra_tags: Mapping[str, Any],
    *,
    drop_empty_rows: bool = False,
    block_rows: int | None = None,
    block_bytes: int | None = None,
    threads: int | None = None,
) -> Iterator[Block]:
    """Encode a DataFrame as blocks of line protocol, one line per row, in row order.

    Each block holds many lines joined by ``\\n``, without a final newline. The whole
    frame is checked before the first block is produced.

    Args:
        df: the data; its index must be a :class:`~pandas.DatetimeIndex`.
        measurement: the measurement of every line.
        tag_columns: columns written as tags; every other column is a field.
        precision: the unit of the written times (``'ns'``, ``'u'``, ``'ms'``, ``'s'``,
            ``'m'``, ``'h'``).
        extra_tags: tags added to every line; a tag column of the same name wins
            where it has a value.
        drop_empty_rows: leave out rows whose fields are all missing, instead of
            refusing them.
        block_rows: rows per block; by default, about 4 MB of text.
        block_bytes: bytes per block at most (a line longer than that is a block
            alone).
        threads: threads encoding blocks at once (by default up to four; one when the
            consumer is slower than one thread anyway, as a write to a server is).

    Raises:
        LineProtocolError: for a frame line protocol cannot carry, naming the column,
            the row (position and index label) and the value.
    """
    if pa is None:  # pragma: no cover - pyarrow ships with the pandas extra
        raise ImportError(
            "writing DataFrames needs pyarrow: pip install 'influxkit[pandas]'"
        )
    yield from _encode_frame(df, measurement, tag_columns, normalize_precision(precision),
                             extra_tags, drop_empty_rows, block_rows, block_bytes,
                             threads or THREADS)


def _encode_frame(df: pd.DataFrame, measurement: Any, tag_columns: Sequence[str] | None,
                  precision: str, extra_tags: Mapping[str, Any], drop_empty_rows: bool,
                  block_rows: int | None, block_bytes: int | None,
                  threads: int) -> Iterator[Block]:
    head = escape_measurement(measurement)
    index = df.index
    if not isinstance(index, pd.DatetimeIndex):
        raise LineProtocolError(
            f"a DataFrame's index must be a DatetimeIndex, not {type(index).__name__}: "
            "set one with df.set_index(...) or pd.to_datetime", field="time",
        )
    names = list(df.columns)
    if df.columns.has_duplicates:
        twice = df.columns[df.columns.duplicated()][0]
        raise LineProtocolError(f"column {twice!r} appears twice", field=str(twice))
    tag_names = list(dict.fromkeys(tag_columns or ()))
    for name in tag_names:
        if name not in df.columns:
            raise LineProtocolError(f"tag column {name!r} is not in the DataFrame", field=name)
    rows = _Rows(index)
    tag_set = set(tag_names)

    # Names first: a bad column name is refused even for an empty frame.
    tag_keys = {name: escape_key(name, "tag key") for name in tag_names}
    field_names = [name for name in names if name not in tag_set]
    field_keys = {name: escape_key(name, "field key") for name in field_names}
    extra = extra_tag_pieces(extra_tags)
    if len(df) == 0:
        return

    times = _index_times(index, precision, rows)
    tag_sets = _TagSets(head)
    for key in sorted({*tag_names, *extra}, key=_name_text):
        if key in tag_set:
            tag_sets.add(*_tag_table(df[key], key, tag_keys[key], extra.get(key), rows))
        elif key in extra:
            tag_sets.add(extra[key])
    fields = []
    for name in field_names:
        field = _field_column(df[name], name, field_keys[name], rows)
        if field is not None:
            fields.append(field)

    empty = _empty_rows(fields, len(df))
    if empty is not None:
        if drop_empty_rows:
            yield from _encode_frame(df[~empty], measurement, tag_columns, precision,
                                     extra_tags, drop_empty_rows, block_rows, block_bytes,
                                     threads)
            return
        position = int(np.argmax(empty))
        raise rows.error(
            "point has no fields (missing values are left out); InfluxDB needs at least one",
            position, field="fields",
        )

    heads = tag_sets.heads()
    del tag_sets
    width = 22 + heads.width() + sum(field.width(len(df)) for field in fields)
    block = max(_MIN_BLOCK_ROWS, min(_MAX_BLOCK_ROWS, _BLOCK_BYTES // width))
    # Encoding works best on blocks of a few MB; smaller pieces asked for (block_rows)
    # are cut from them at line boundaries.
    piece = block_rows or block
    if piece > block:
        block = piece
    else:
        block -= block % piece
    spans = [(start, min(start + block, len(df))) for start in range(0, len(df), block)]
    lines = _line_maker(len(df))(heads, fields, times)

    def encode(span: tuple[int, int]) -> list[Block]:
        start, stop = span
        block = lines(start, stop)
        if len(block) != stop - start:  # pragma: no cover - see _ArrowLines
            raise AssertionError("line protocol block lost rows")
        # Each line ends with its "\n" (a string field may hold more), so the offsets
        # are the line boundaries.
        return cut_lines(block, piece, block_bytes)

    yield from in_order(encode, spans, len(spans), threads)


# Tag sets are numbered by combining each tag's slot (mixed radix) into one code per
# row. Up to this many combinations, the text of every combination is built (no second
# pass over the rows); beyond, the combinations actually present are numbered anew.
_CARTESIAN_LIMIT: Final = 65_536


class _TagSets:
    """What starts each line: measurement, tag set and the space after it.

    Tags are added in line order, each a constant text or a table of texts with each
    row's slot in it; the slots are folded into one code per row as they come, so
    only one array of codes is held at a time.
    """

    def __init__(self, head: str) -> None:
        self.parts: list[Any] = [head]  # texts, and tables (pyarrow arrays)
        self.sizes: list[int] = []  # size of each table
        self.codes: np.ndarray | None = None  # each row's combination
        self.combinations = 1

    def add(self, part: Any, slots: np.ndarray | None = None) -> None:
        self.parts.append(part)
        if slots is None:
            return
        self.sizes.append(len(part))
        self.codes = slots if self.codes is None else self._fold(self.codes, slots, len(part))
        self.combinations *= len(part)

    def _fold(self, codes: np.ndarray, slots: np.ndarray, size: int) -> np.ndarray:
        if self.combinations * size >= 2**62:  # pragma: no cover - needs huge tag tables
            self._collapse()
            assert self.codes is not None
            codes = self.codes
        if self.combinations * size >= 2**31 and codes.dtype != np.int64:
            codes = codes.astype(np.int64)
        codes *= size
        codes += slots
        return codes

    def _choices(self, combinations: np.ndarray) -> list[np.ndarray]:
        """Each table's slot in the given combinations (mixed radix, last tag fastest)."""
        choices = []
        stride = self.combinations
        for size in self.sizes:
            stride //= size
            choices.append((combinations // stride) % size)
        return choices

    def _texts(self, combinations: np.ndarray) -> Any:
        """The text (measurement and tag set) of the given combinations."""
        pieces: list[Any] = []
        choices = iter(self._choices(combinations))
        for part in self.parts:
            pieces.append(part if isinstance(part, str) else pc.take(part, pa.array(next(choices))))
        return pc.binary_join_element_wise(*_merge(pieces, _scalar), _scalar(""),
                                           null_handling="skip")

    def _collapse(self) -> None:
        """Number the combinations present anew, densely: one table of their texts."""
        assert self.codes is not None
        codes, _ = pd.factorize(self.codes)
        table = self._texts(self.codes[_first_rows(codes)])
        self.parts, self.sizes, self.combinations = [table], [len(table)], len(table)
        self.codes = codes.astype(np.int32) if len(table) < 2**31 else codes

    def heads(self) -> _Heads:
        """Each line's head: one text when every tag is constant; otherwise the text of
        each tag set and each row's slot in it, so that a block needs one ``take``."""
        if self.codes is None:
            return _Heads("".join(self.parts) + " ")
        if self.combinations > _CARTESIAN_LIMIT:
            self._collapse()
            assert self.codes is not None
        # The text of every combination, numbered like the codes.
        texts = self._texts(np.arange(self.combinations, dtype=np.int64))
        table = pc.binary_join_element_wise(texts, _scalar(" "), _scalar(""))
        return _Heads(None, table, self.codes)


class _Heads:
    """What starts each line (measurement, tag set, space): ``text`` for every line, or
    the texts of the tag sets in ``table`` and each row's slot in it."""

    def __init__(self, text: str | None, table: Any = None,
                 slots: np.ndarray | None = None) -> None:
        self.text = text
        self.table = table
        self.slots = slots
        self._polars_table: Any = None  # the table as a polars Series, once needed

    def width(self) -> int:
        if self.text is not None:
            return len(self.text)
        return 16 + int(self.table.nbytes) // len(self.table)

    def arrow(self, start: int, stop: int) -> Any:
        assert self.slots is not None
        return pc.take(self.table, pa.array(self.slots[start:stop]))

    def polars(self, polars: Any, start: int, stop: int) -> Any:
        assert self.slots is not None
        if self._polars_table is None:
            self._polars_table = polars.from_arrow(self.table)
        return self._polars_table.gather(self.slots[start:stop])


def _empty_rows(fields: list[_Field], rows: int) -> np.ndarray | None:
    """A mask of the rows without any field, or None if there is none."""
    if not fields:
        return np.ones(rows, dtype=np.bool_)
    empty: np.ndarray | None = None
    for field in fields:
        if field.missing is None:
            return None
        empty = field.missing.copy() if empty is None else empty & field.missing
    return empty if empty is not None and empty.any() else None


class _ArrowLines:
    """Makes the lines of rows ``start:stop`` of a frame: a pyarrow ``large_string``
    array of lines, each ending with a newline. pyarrow's kernels join them."""

    def __init__(self, heads: _Heads, fields: list[_Field], times: np.ndarray) -> None:
        self.heads = heads
        self.fields = fields
        self.times = times

    def __call__(self, start: int, stop: int) -> Any:
        heads = self.heads
        parts: list[Any] = [heads.text if heads.text is not None else heads.arrow(start, stop)]
        texts = [field.text(start, stop) for field in self.fields]
        parts += _field_parts(self.fields, [text.null_count > 0 for text in texts],
                              _ArrowJoins(texts))
        parts += [" ", pc.cast(pa.array(self.times[start:stop]), pa.large_string()), "\n"]
        # null_handling="skip" leaves out missing fields. (pyarrow drops a row whose
        # inputs are all null instead of yielding "": the head is never null, and the
        # caller checks the number of lines.)
        return pc.binary_join_element_wise(*_merge(parts, _scalar), _scalar(""),
                                           null_handling="skip")


class _ArrowJoins:
    """The texts of a block's fields, joined by pyarrow's kernels (see
    :func:`_field_parts`)."""

    def __init__(self, texts: list[Any]) -> None:
        self.texts = texts

    def text(self, number: int) -> Any:
        return self.texts[number]

    def around(self, number: int, before: str, after: str) -> list[Any]:
        return [self.enclose(number, before, after)]

    def enclose(self, number: int, before: str, after: str) -> Any:
        return pc.binary_join_element_wise(_scalar(before), self.texts[number],
                                           _scalar(after), _scalar(""))

    @staticmethod
    def with_commas(texts: list[Any]) -> Any:
        return pc.binary_join_element_wise(*texts, _scalar(","), null_handling="skip")


class _PolarsLines:
    """:class:`_ArrowLines`, made by polars: a block's columns go in as they are (no copy
    for numbers), and come out as one text column.

    The line is one ``concat_str``, built once for each pattern of fields with missing
    cells. Constant text costs little there, a nested join much more: a field with
    missing cells is written as its key (null where the value is), its value, and
    its closing text (also null there), all skipped together.
    """

    def __init__(self, heads: _Heads, fields: list[_Field], times: np.ndarray) -> None:
        self.polars = polars = importlib.import_module("polars")
        self.heads = heads
        self.fields = fields
        self.times = times
        self.names = [f"field{number}" for number in range(len(fields))]
        self.texts = [polars.col(name) if not field.raw else polars.col(name).cast(polars.String)
                      for name, field in zip(self.names, fields, strict=True)]
        self.lines: dict[tuple[bool, ...], Any] = {}  # by the fields with missing cells

    def __call__(self, start: int, stop: int) -> Any:
        polars = self.polars
        columns = {name: field.polars(polars, start, stop)
                   for name, field in zip(self.names, self.fields, strict=True)}
        if self.heads.text is None:
            columns["head"] = self.heads.polars(polars, start, stop)
        columns["time"] = polars.Series(self.times[start:stop])
        gaps = tuple(columns[name].null_count() > 0 for name in self.names)
        line = self.lines.get(gaps)
        if line is None:
            line = self.lines[gaps] = self._line(list(gaps))
        lines = polars.DataFrame(columns).select(line).to_series()
        text = lines.to_arrow(compat_level=polars.CompatLevel.oldest())
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text

    def _line(self, gaps: list[bool]) -> Any:
        polars = self.polars
        head = self.heads.text if self.heads.text is not None else polars.col("head")
        parts = [head, *_field_parts(self.fields, gaps, self), " ",
                 polars.col("time").cast(polars.String), "\n"]
        return polars.concat_str(_merge(parts, polars.lit), ignore_nulls=True)

    def text(self, number: int) -> Any:
        return self.texts[number]

    def around(self, number: int, before: str, after: str) -> list[Any]:
        present = self.polars.col(self.names[number]).is_not_null()
        parts = [self.polars.when(present).then(self.polars.lit(before)), self.texts[number]]
        if after:
            parts.append(self.polars.when(present).then(self.polars.lit(after)))
        return parts

    def enclose(self, number: int, before: str, after: str) -> Any:
        lit = self.polars.lit
        return self.polars.concat_str([lit(before), self.texts[number], lit(after)])

    def with_commas(self, texts: list[Any]) -> Any:
        return self.polars.concat_str(texts, separator=",", ignore_nulls=True)


class _ImportingLines:
    """polars' lines once it is imported, pyarrow's until then."""

    def __init__(self, heads: _Heads, fields: list[_Field], times: np.ndarray) -> None:
        self.arguments = heads, fields, times
        self.arrow = _ArrowLines(heads, fields, times)
        self.polars: _PolarsLines | None = None

    def __call__(self, start: int, stop: int) -> Any:
        if self.polars is None and _polars and _polars[0] is not None:
            self.polars = _PolarsLines(*self.arguments)
        return (self.polars or self.arrow)(start, stop)


def _field_parts(fields: list[_Field], gaps: list[bool],
                 joins: _ArrowJoins | _PolarsLines) -> list[Any]:
    """The pieces of the field set: literal text, and texts with nulls to skip.

    ``gaps`` says whether each field has missing cells in the block; ``joins`` has
    their texts and joins them. Separators need care when cells are missing. A field
    without missing cells (the anchor) is always written; fields before it carry their
    comma after them, fields after it before them, so a skipped field takes its comma
    along.
    """
    anchor = next((i for i, gap in enumerate(gaps) if not gap), None)
    if anchor is None:
        # Every row has some field (checked beforehand); join with skipped separators.
        return [joins.with_commas([
            joins.enclose(i, f"{field.key}={field.opener}", field.closer)
            for i, field in enumerate(fields)
        ])]
    parts: list[Any] = []
    for i, (field, gap) in enumerate(zip(fields, gaps, strict=True)):
        if i < anchor:
            parts += joins.around(i, f"{field.key}={field.opener}", f"{field.closer},")
        elif i == anchor:
            parts += [f"{field.key}={field.opener}", joins.text(i), field.closer]
        elif not gap:
            parts += [f",{field.key}={field.opener}", joins.text(i), field.closer]
        else:
            parts += joins.around(i, f",{field.key}={field.opener}", field.closer)
    return parts


def _merge(parts: list[Any], literal: Callable[[str], Any]) -> list[Any]:
    """Merge neighbouring strings into one ``literal`` each, dropping empty ones."""
    merged: list[Any] = []
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
            continue
        if text:
            merged.append(literal(text))
            text = ""
        merged.append(part)
    if text:
        merged.append(literal(text))
    return merged
