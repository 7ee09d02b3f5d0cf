"""How the DataFrame encoders cut their lines into blocks (request bodies of a write)."""

from __future__ import annotations

from itertools import accumulate, pairwise
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit import _dataframe, _polars, serialize
from influxkit._blocks import cut_points
from influxkit._lineprotocol import iter_blocks


def greedy_cuts(sizes: list[int], piece: int, limit: int | None) -> list[int]:
    """The oracle: add lines to a block while it keeps to both limits."""
    cuts, count, size = [0], 0, -1  # a block's size leaves out its last newline
    for number, line in enumerate(sizes):
        if count and (count == piece or (limit is not None and size + line > limit)):
            cuts.append(number)
            count, size = 0, -1
        count += 1
        size += line
    if sizes:
        cuts.append(len(sizes))
    return cuts


@given(st.lists(st.integers(1, 50), max_size=60), st.integers(1, 8),
       st.none() | st.integers(0, 120))
def test_cut_points_fill_each_block_as_far_as_both_limits_allow(
        sizes: list[int], piece: int, limit: int | None) -> None:
    # ``sizes`` are line lengths with their newline.
    offsets = [0, *accumulate(sizes)]
    cuts = cut_points(offsets, piece, limit)
    assert cuts == greedy_cuts(sizes, piece, limit)
    for start, stop in pairwise(cuts):
        assert 0 < stop - start <= piece
        if stop - start > 1 and limit is not None:
            assert offsets[stop] - offsets[start] - 1 <= limit


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({
        "v": np.arange(rows, dtype=np.float64) / 7,
        "s": [f"text {'x' * (i % 40)}" for i in range(rows)],
        "host": np.array(["a", "b c"], dtype=object)[np.arange(rows) % 2],
    }, index=pd.date_range("2024-01-01", periods=rows, freq="s", tz="UTC"))


def check_blocks(blocks: list[bytes], whole: bytes, lines: int | None, limit: int) -> None:
    assert b"\n".join(blocks) == whole
    for block in blocks:
        count = block.count(b"\n") + 1
        assert count <= (lines or count)
        assert len(block) <= limit or count == 1


@pytest.mark.parametrize("maker", ["_ArrowLines", "_PolarsLines"])
@pytest.mark.parametrize(("lines", "limit"), [(None, 1_000), (50, 1_000), (3, 10**9), (None, 10)])
def test_pandas_blocks_keep_to_lines_and_bytes(maker: str, lines: int | None,
                                               limit: int) -> None:
    pytest.importorskip("polars")
    df = frame(500)
    with mock.patch.object(_dataframe, "_line_maker", return_value=getattr(_dataframe, maker)), \
            mock.patch.object(_dataframe, "_MAX_BLOCK_ROWS", 120):
        blocks = [bytes(block) for block in iter_blocks(
            df, "m", ["host"], block_lines=lines, block_bytes=limit)]
        whole = serialize(df, "m", ["host"])
    check_blocks(blocks, whole, lines, limit)


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize(("lines", "limit"), [(None, 1_000), (50, 1_000), (3, 10**9), (None, 10)])
def test_polars_blocks_keep_to_lines_and_bytes(arrow: bool, lines: int | None,
                                               limit: int) -> None:
    pl = pytest.importorskip("polars")
    df = pl.from_pandas(frame(500).reset_index(names="time"))
    with mock.patch.object(_polars, "_PYARROW", [arrow]), \
            mock.patch.object(_polars, "_BLOCK_ROWS", 120):
        blocks = [bytes(block) for block in iter_blocks(
            df, "m", ["host"], block_lines=lines, block_bytes=limit)]
        whole = serialize(df, "m", ["host"])
    check_blocks(blocks, whole, lines, limit)
