"""polars DataFrames of query results: one frame per series, ``time`` as UTC
nanoseconds."""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import polars as pl

from influxkit._core.time import MAX_NS, MIN_NS, NS_PER_UNIT, parse_time_string

__all__ = ["concat_frames", "frame_from_series"]


def frame_from_series(series: Mapping[str, Any], epoch: str | None) -> pl.DataFrame:
    """One series of a result as a polars DataFrame; ``time`` as UTC nanoseconds."""
    columns = list(series.get("columns", ()))
    values = series.get("values") or []
    data: dict[str, pl.Series] = {}
    for position, name in enumerate(columns):
        cells = list(map(itemgetter(position), values))
        if name == "time":
            data[name] = _times(cells, epoch)
        else:
            data[name] = pl.Series(name, cells, strict=False)
    frame = pl.DataFrame(data)
    for key, value in (series.get("tags") or {}).items():
        if key not in frame.columns:  # a column of the same name keeps its values
            frame = frame.with_columns(pl.lit(value, dtype=pl.Utf8).alias(key))
    return frame


def _times(cells: list[Any], epoch: str | None) -> pl.Series:
    if epoch is None:
        cells = [None if cell is None else parse_time_string(cell) for cell in cells]
        epoch = "ns"
    raw = pl.Series("time", cells, dtype=pl.Int64)
    factor = NS_PER_UNIT[epoch]
    if factor != 1:
        low, high = -(-MIN_NS // factor), MAX_NS // factor
        if len(raw) and (raw.min() < low or raw.max() > high):  # type: ignore[operator]
            raise ValueError(f"a time is outside the range of nanoseconds (epoch {epoch!r})")
        raw = raw * factor
    times: pl.Series = raw.cast(pl.Datetime("ns", "UTC"))
    return times


def concat_frames(pieces: list[pl.DataFrame]) -> pl.DataFrame:
    """Join the pieces of one series, in order (a column with no value in a piece
    takes the type it has in the others)."""
    return pl.concat(pieces, how="diagonal_relaxed")
