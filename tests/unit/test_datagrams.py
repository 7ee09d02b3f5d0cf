"""UDP datagrams: line protocol cut at line boundaries, as influxd reads lines."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from _refusals import assert_due, point_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from influxkit import LineProtocolError, serialize
from influxkit._encode.datagrams import MAX_DATAGRAM_BYTES, MAX_UDP_PAYLOAD, datagrams
from influxkit._encode.lines import split_lines

# -- datagrams -----------------------------------------------------------------------------


def test_lines_are_packed_whole_into_datagrams() -> None:
    blocks = [b"a v=1\nb v=2", b"c v=3", b'd s="x\ny"']
    assert datagrams(blocks) == [b'a v=1\nb v=2\nc v=3\nd s="x\ny"']
    assert datagrams(blocks, 11) == [b"a v=1\nb v=2", b"c v=3", b'd s="x\ny"']
    assert datagrams(blocks, 9) == [b"a v=1", b"b v=2", b"c v=3", b'd s="x\ny"']
    assert datagrams([b"", b"\n\n"]) == []


def test_a_line_longer_than_a_datagram_is_refused_naming_it() -> None:
    long_line = b"m,host=a v=" + b"1" * 50
    with pytest.raises(LineProtocolError) as info:
        datagrams([b"m v=1\nm v=2", b"m v=3\n" + long_line + b"\nm v=4"], 40)
    error = info.value
    assert error.index == 3
    assert error.point == long_line.decode()
    assert error.value == len(long_line)
    assert "point 3" in str(error)
    assert "m,host=a" in str(error)
    assert "61 bytes, more than the 40 of a UDP datagram" in str(error)
    assert isinstance(error, ValueError)


def test_a_line_of_exactly_the_limit_fits() -> None:
    line = b"m v=" + b"1" * (MAX_DATAGRAM_BYTES - 4)
    assert datagrams([line, line]) == [line, line]


@pytest.mark.parametrize("limit", [0, -1, MAX_UDP_PAYLOAD + 1])
def test_the_limit_is_checked(limit: int) -> None:
    with pytest.raises(ValueError, match="a UDP datagram holds 1 to 65,507 bytes"):
        datagrams([b"m v=1"], limit)


def test_the_default_limit_avoids_fragmenting_on_ethernet() -> None:
    # 1,500 bytes of Ethernet MTU, less 40 of IPv6 and 8 of UDP headers.
    assert MAX_DATAGRAM_BYTES <= 1500 - 40 - 8


text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1,
               max_size=12)
points = st.fixed_dictionaries(
    {
        "measurement": text,
        "tags": st.dictionaries(text, text, max_size=2),
        "fields": st.dictionaries(text, st.one_of(text, st.integers(-10, 10), st.booleans()),
                                  min_size=1, max_size=3),
        "time": st.integers(0, 10**18),
    }
)


def encoded_line(point: dict[str, Any]) -> bytes | None:
    """The point's line, or None where the rules refuse it (and the encoder must)."""
    problems = point_problems(point)
    try:
        line = serialize(point)
    except LineProtocolError as refusal:
        assert_due(refusal, problems)
        return None  # what the encoder refuses never reaches the datagrams
    assert not problems, f"accepted what the rules refuse: {problems}"
    return line


@given(st.lists(st.lists(points, max_size=6), max_size=6), st.integers(60, 400))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_datagrams_hold_the_lines_whole_in_order_under_the_limit(
        groups: list[list[dict[str, Any]]], limit: int) -> None:
    blocks = []
    for group in groups:
        lines = [line for line in map(encoded_line, group) if line is not None]
        if lines:
            blocks.append(b"\n".join(lines))
    lines = [line for block in blocks for line in split_lines(block)]
    too_long = [index for index, line in enumerate(lines) if len(line) > limit]
    if too_long:
        with pytest.raises(LineProtocolError) as info:
            datagrams(blocks, limit)
        assert info.value.index == too_long[0]
        return
    packed = datagrams(blocks, limit)
    assert all(len(packet) <= limit for packet in packed)
    # Joined again, the datagrams are the lines; read apart, each is whole lines.
    assert b"\n".join(packed) == b"\n".join(lines)
    assert [line for packet in packed for line in split_lines(packet)] == lines
    # As few datagrams as the order allows: the next line never fitted in the last one.
    for packet, following in itertools.pairwise(packed):
        assert len(packet) + 1 + len(split_lines(following)[0]) > limit
