"""Blocks of line protocol: where lines end (as influxd reads them), how text is cut
between lines, and how the DataFrame encoders cut their lines into blocks (request bodies
of a write)."""

from __future__ import annotations

from itertools import accumulate, pairwise
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influxkit import serialize
from influxkit._encode import pandas as _dataframe
from influxkit._encode import polars as _polars
from influxkit._encode.lines import count_lines, cut_block, cut_points, line_starts, split_lines
from influxkit._encode.serialize import iter_blocks


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


# -- where lines end --------------------------------------------------------------------


def influxd_lines(buffer: bytes) -> list[bytes]:
    """influxd's own reading of where lines end, byte by byte (models.scanLine): the
    oracle. Blank lines are in it (influxd skips them later)."""
    lines = []
    position, size = 0, len(buffer)
    while True:
        start = index = position
        quoted = fields = False
        equals = commas = 0
        while index < size:
            byte = buffer[index:index + 1]
            if byte == b"\\" and index + 2 < size:
                index += 2
                continue
            if byte == b" ":
                fields = True
            if fields:
                if not quoted and byte == b"=":
                    equals += 1
                    index += 1
                    continue
                if not quoted and byte == b",":
                    commas += 1
                    index += 1
                    continue
                if byte == b'"' and equals > commas:
                    quoted = not quoted
                    index += 1
                    continue
            if byte == b"\n" and not quoted:
                break
            index += 1
        lines.append(buffer[start:index])
        if index >= size:
            return lines
        position = index + 1


@pytest.mark.parametrize(
    ("block", "lines"),
    [
        (b"m v=1", [b"m v=1"]),
        (b"m v=1\nm v=2 3", [b"m v=1", b"m v=2 3"]),
        (b"\n\nm v=1\n  \n\nm v=2\n", [b"m v=1", b"m v=2"]),
        (b'm s="two\nlines" 1\nm v=2', [b'm s="two\nlines" 1', b"m v=2"]),
        (b'm a="x",s="b\\"\nc" 1\nm v=2', [b'm a="x",s="b\\"\nc" 1', b"m v=2"]),
        (b'm s="ends with \\\\" 1\nm v=2', [b'm s="ends with \\\\" 1', b"m v=2"]),
        # A quote in a measurement or a tag is no string.
        (b'q"m,t="x v=1\nm v=2', [b'q"m,t="x v=1', b"m v=2"]),
        # A quote in a field key neither...
        (b'm k"ey=1\nm v=2', [b'm k"ey=1', b"m v=2"]),
        # ... unless a value before it holds an "=": influxd counts that one too.
        (b'm a=b=c,k"=1\nm v=2', [b'm a=b=c,k"=1\nm v=2']),
        # An escaped newline does not end the line.
        (b"m\\\nx v=1\nm v=2", [b"m\\\nx v=1", b"m v=2"]),
        (b"# a comment\nm v=1", [b"# a comment", b"m v=1"]),
        (b"", []),
    ],
)
def test_split_lines(block: bytes, lines: list[bytes]) -> None:
    assert split_lines(block) == lines
    assert [line for line in influxd_lines(block) if line.strip()] == lines


# Single bytes that matter to the rule, and pieces of the usual shape of a line.
PIECES = [b"m", b"x", b" ", b"=", b",", b'"', b"\\", b"\n", b"1", b"\t", b' f="', b'"ab"',
          b'\\"']


@given(st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join))
@settings(max_examples=1000, deadline=None)
def test_lines_end_where_influxd_ends_them(block: bytes) -> None:
    lines = influxd_lines(block)
    starts = line_starts(block)
    assert [block[a:b - 1] for a, b in pairwise(starts)] == lines
    assert count_lines(block) == len(lines)
    assert split_lines(block) == [line for line in lines if line.strip()]


def test_lines_are_split_at_newlines() -> None:
    assert split_lines(b"m v=1 1\nm v=2 2") == [b"m v=1 1", b"m v=2 2"]
    assert count_lines(b"m v=1 1\nm v=2 2\nm v=3") == 3


def test_a_newline_in_a_string_field_stays_in_its_point() -> None:
    block = b'm,t=a s="x\ny",v=1 1\nm s="q\\"\n",v=2 2\nm"x,t=a" s="z" 3'
    assert split_lines(block) == [b'm,t=a s="x\ny",v=1 1', b'm s="q\\"\n",v=2 2',
                                  b'm"x,t=a" s="z" 3']
    assert count_lines(block) == 3


points = st.lists(
    st.fixed_dictionaries({
        "measurement": st.sampled_from(['m', 'a"b', "c d", "e,f"]),
        "tags": st.dictionaries(st.sampled_from(["t", 'q"', "s p"]),
                                st.sampled_from(["x", 'y"', "z w", "a=b"]), max_size=2),
        "fields": st.dictionaries(
            st.sampled_from(["s", "v", 'k"', "n m"]),
            st.one_of(st.text(alphabet='ab"\\\n ,=', max_size=6), st.integers(0, 9),
                      st.booleans()), min_size=1, max_size=3),
        "time": st.integers(365 * 86_400 * 10**9, 10**18),  # integer times: 1971 on
    }),
    min_size=1, max_size=8,
)


@given(points)
def test_split_lines_finds_every_point_the_encoder_wrote(data: list[dict[str, object]]) -> None:
    # Line protocol carries every one of these points (names and tag values without a
    # newline or backslash, string fields of any text): the encoder refuses none.
    lines = [serialize(point) for point in data]
    block = b"\n".join(lines)
    assert split_lines(block) == lines
    assert count_lines(block) == len(lines)


# -- cutting text between lines ----------------------------------------------------------


@given(st.lists(st.sampled_from([b"m v=1", b'm s="a\nb"', b'm s="\\"",v=2', b"m\\\nx v=3",
                                 b'q"m,t="x v=4', b"m v=" + b"9" * 40]), min_size=1, max_size=40),
       st.none() | st.integers(1, 10), st.integers(1, 120))
def test_cut_block_keeps_every_line_whole_in_order_within_both_limits(
        lines: list[bytes], piece: int | None, limit: int) -> None:
    block = b"\n".join(lines)
    assert split_lines(block) == lines
    pieces = cut_block(block, piece, limit)
    assert [line for text, _ in pieces for line in split_lines(text)] == lines
    assert b"\n".join(text for text, _ in pieces) == block
    for text, count in pieces:
        assert count == len(split_lines(text))
        assert piece is None or count <= piece
        assert len(text) <= limit or count == 1  # only a lone line may be larger
    # Each piece is as full as the limits allow: the next line did not fit.
    for (text, count), (following, _) in pairwise(pieces):
        assert count == piece or len(text) + 1 + len(split_lines(following)[0]) > limit


def test_request_bodies_cut_text_between_lines() -> None:
    from influxkit._engine import request_bodies as _request_bodies

    lines = [b'm s="x\ny" %d' % number for number in range(10)]
    text = b"\n".join(lines)
    bodies = list(_request_bodies([text], 10_000, 3))
    assert [split_lines(body) for body in bodies] == [lines[0:3], lines[3:6], lines[6:9],
                                                      lines[9:]]
    # By bytes: two lines of 12 bytes, and the newline between them, in 25.
    bodies = list(_request_bodies([text, b"m v=1"], 25, None))
    assert [split_lines(body) for body in bodies] == [*(lines[i:i + 2] for i in range(0, 10, 2)),
                                                      [b"m v=1"]]
    # Blocks within both limits are joined, not cut; a line over the limit goes alone.
    assert list(_request_bodies([b"a v=1", b"b v=2\nc v=3"], 100, 3)) == [
        b"a v=1\nb v=2\nc v=3"]
    assert list(_request_bodies([b"a v=1\n" + b"b v=" + b"2" * 30], 20, None)) == [
        b"a v=1", b"b v=" + b"2" * 30]
