"""pandas DataFrames of query results: one frame per series, typed exactly.

:mod:`.outputs` builds aioinflux's shapes from these frames: one DataFrame, a dict of
them keyed by series (``'cpu,host=a'``) or a list of such dicts, one per
statement. A ``time`` column becomes a UTC :class:`~pandas.DatetimeIndex` built from
integers (exact to the nanosecond); each column gets one dtype: float64, int64
(``Int64`` when values are missing, never float), bool (``boolean`` when missing),
pandas' default string dtype, or object for a mix of types. A column with no value at
all is float64 NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from influxkit._core.time import MAX_NS, MIN_NS, NS_PER_UNIT, normalize_precision

from .points import series_key

__all__ = ["concat_frames", "frame_from_series"]


def concat_frames(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Join the pieces of one series, in order.

    A column with no value in a piece was built as float64 NaN; it takes the type the
    column has in the other pieces, so integers don't become floats (and lose
    precision) and booleans don't become 1.0 and 0.0.
    """
    typed: dict[Any, Any] = {}
    for piece in pieces:
        for name, dtype in piece.dtypes.items():
            if name not in typed and not _all_missing(piece[name]):
                typed[name] = dtype
    fixed = []
    for piece in pieces:
        changes = {name: typed[name] for name, dtype in piece.dtypes.items()
                   if name in typed and dtype != typed[name] and _all_missing(piece[name])}
        if changes:
            piece = piece.astype(changes)
        fixed.append(piece)
    joined: pd.DataFrame = pd.concat(fixed)
    return joined


def _all_missing(column: pd.Series) -> bool:
    return bool(column.isna().all())


def frame_from_series(series: Mapping[str, Any], epoch: str | None = None) -> pd.DataFrame:
    """Build the DataFrame of one series (``name``, ``tags``, ``columns``, ``values``).

    A ``time`` column becomes a UTC DatetimeIndex; the series' tags become constant
    columns. Without a ``time`` column the index is a RangeIndex.
    """
    names = list(series.get("columns") or ())
    values = series.get("values") or []
    if values:
        widths = set(map(len, values))
        if widths != {len(names)}:
            raise ValueError(
                f"series {series_key(series)!r} has rows of {sorted(widths)} values "
                f"for {len(names)} columns"
            )
        # One pass per column with a C-level getter: much faster than zip(*values).
        columns: list[Sequence[Any]] = [list(map(itemgetter(i), values))
                                        for i in range(len(names))]
    else:
        columns = [() for _ in names]
    index: pd.Index | None = None
    if "time" in names:
        at = names.index("time")
        index = _time_index(columns[at], epoch)
        del names[at], columns[at]
    arrays = {i: _column_array(column) for i, column in enumerate(columns)}
    frame: pd.DataFrame = pd.DataFrame(
        arrays, index=index if index is not None else pd.RangeIndex(len(values)))
    frame.columns = pd.Index(names)
    tags = {k: v for k, v in (series.get("tags") or {}).items() if k not in frame.columns}
    if tags:
        constant = pd.DataFrame({k: [v] * len(frame) for k, v in tags.items()},
                                index=frame.index)
        combined: pd.DataFrame = pd.concat([frame, constant], axis=1)
        return combined
    return frame


def _time_index(times: Sequence[Any], epoch: str | None) -> pd.DatetimeIndex:
    kinds = set(map(type, times))
    if not times or kinds == {int}:
        unit = NS_PER_UNIT[normalize_precision(epoch)]
        numbers = np.array(times, dtype=np.int64)
        if unit != 1 and len(numbers):
            low, high = -(-MIN_NS // unit), MAX_NS // unit
            if int(numbers.min()) < low or int(numbers.max()) > high:
                raise ValueError(f"a time is outside the range of nanoseconds (epoch {epoch!r})")
            numbers = numbers * unit
        index: pd.DatetimeIndex = pd.DatetimeIndex(numbers.view("M8[ns]")).tz_localize("UTC")
        return index
    if kinds == {str}:
        # pandas parses up to nine fractional digits exactly; without any it picks a
        # coarser unit, hence as_unit.
        parsed: pd.DatetimeIndex = pd.DatetimeIndex(
            pd.to_datetime(list(times), format="ISO8601", utc=True)).as_unit("ns")
        return parsed
    names = sorted(kind.__name__ for kind in kinds)
    raise ValueError(f"times must be all integers or all strings, not {names}")




def _column_array(column: Sequence[Any]) -> Any:
    """One array for one column of values, typed by the Python types it holds."""
    kinds = set(map(type, column))
    if len(kinds) == 1:
        kind = next(iter(kinds))
        if kind is float:
            return np.array(column, dtype=np.float64)
        if kind is int:
            return _integers(column, None)
        if kind is bool:
            return np.array(column, dtype=np.bool_)
        if kind is str:
            # pandas picks its default string dtype for an object array of str.
            return np.array(column, dtype=object)
        if kind is type(None):
            return np.full(len(column), np.nan)
    if kinds == {int, float}:
        return np.array(column, dtype=np.float64)
    if type(None) in kinds:
        known = kinds - {type(None)}
        if known <= {int, float} and float in known:
            return np.array(column, dtype=np.float64)  # None -> NaN
        objects = np.array(column, dtype=object)
        missing = np.asarray(pd.isna(objects), dtype=np.bool_)
        if known == {int}:
            return _integers(np.where(missing, 0, objects), missing)
        if known == {bool}:
            flags = np.where(missing, False, objects).astype(np.bool_)
            return pd.arrays.BooleanArray(flags, missing)
        return objects
    return np.array(column, dtype=object)


def _integers(column: Any, missing: np.ndarray | None) -> Any:
    try:
        numbers = np.array(column, dtype=np.int64)
    except OverflowError:
        # Beyond int64 (unsigned fields of InfluxDB 2.x): keep the exact Python ints.
        objects = np.array(column, dtype=object)
        if missing is not None:
            objects[missing] = None
        return objects
    if missing is None:
        return numbers
    return pd.arrays.IntegerArray(numbers, missing)
