"""Blocks of line protocol: where their lines end, how they are cut, and the DataFrame
encoders' blocks, cut from text and made in order.

Where a line ends is decided the way influxd decides it, since a string field may hold
a newline (``msg="two\\nlines"`` is one point): a batch, a datagram or a half of a
refused batch is cut only between lines.

Both DataFrame encoders build a pyarrow string array with one element per line, each
ending with its newline. The array's data buffer is then the lines' bytes back to
back, and its offsets are the line boundaries: blocks of lines are cut from it with
one copy each, without joining strings. Their kernels release the GIL, so blocks are
encoded on a few threads, a few blocks ahead of the consumer, and yielded in order.
"""

from __future__ import annotations

import bisect
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from typing import Any, Final, TypeAlias, TypeVar

__all__ = [
    "THREADS",
    "Block",
    "count_lines",
    "cut_block",
    "cut_lines",
    "cut_points",
    "in_order",
    "line_starts",
    "scale_times",
    "split_lines",
]

T = TypeVar("T")

#: A block of lines: bytes, or a view of the buffer an encoder made them in.
Block: TypeAlias = bytes | memoryview


def _cpu_count() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # the CPUs this process may use
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


# Threads encoding blocks of one large frame at once (1 turns them off).
THREADS: Final = min(4, _cpu_count())


# What decides where a line ends, as influxd reads it: a backslash escapes the next
# byte; after the first space (the fields), ``=`` and ``,`` outside quotes count keys
# and values, and a double quote in a value position opens or closes a string, inside
# which a newline does not end the line.
_TOKEN: Final = re.compile(rb'\\.|[ =,"\n]', re.DOTALL)
_NEWLINE: Final = re.compile(b"\n")
# A line of the usual shape, which the rule above reads as this expression does:
# measurement and tags, then keys (no quote) each with a value that is a string or
# holds no quote, comma, space or backslash, then a time. A line of another shape (an
# escaped newline, a quote elsewhere...) is read token by token.
_KEY: Final = rb'(?:[^\\ ,="\n]|\\.)+'
_VALUE: Final = rb'(?:"(?:[^"\\]|\\.)*"|[^ ,"\n\\]*)'
_USUAL_LINE: Final = re.compile(
    rb'(?:[^\\ \n]|\\.)*(?: %s=%s(?:,%s=%s)*(?: [^ "\n\\]*)?)?(?=\n|\Z)'
    % (_KEY, _VALUE, _KEY, _VALUE))


def _line_end(buffer: bytes, start: int) -> int:
    """The index of the newline ending the line that starts at ``start`` (or the end)."""
    quoted = fields = False
    equals = commas = 0
    size = len(buffer)
    for match in _TOKEN.finditer(buffer, start):
        token, at = match.group(), match.start()
        if len(token) == 2:
            if match.end() < size:
                continue
            # influxd honours an escape only when another byte follows it.
            token, at = token[1:], at + 1
        if token == b" ":
            fields = True
        elif fields and not quoted and token == b"=":
            equals += 1
        elif fields and not quoted and token == b",":
            commas += 1
        elif fields and token == b'"' and equals > commas:
            quoted = not quoted
        elif token == b"\n" and not quoted:
            return at
    return size


def _plain(block: bytes) -> bool:
    """Whether every newline of ``block`` ends a line: only a string field, or a
    backslash just before it, keeps a newline inside its line. Most blocks, and most
    lines of the others, have neither and need no closer look."""
    return b'"' not in block and b"\\\n" not in block


def line_starts(block: bytes) -> list[int]:
    """Where the lines of ``block`` start, as influxd reads them, then ``len(block) + 1``:
    line ``i`` is ``block[starts[i]:starts[i + 1] - 1]`` (blank lines included), and
    the list is what :func:`cut_points` takes."""
    size = len(block)
    newlines = _NEWLINE.finditer(block)
    if _plain(block):
        return [0, *(newline.end() for newline in newlines), size + 1]
    starts = [0]
    start = 0
    find = block.find
    for newline in newlines:
        end = newline.start()
        if end < start:
            continue  # in a line that ends further on
        if find(b'"', start, end) >= 0 or block[end - 1:end] == b"\\":
            usual = _USUAL_LINE.match(block, start)
            end = usual.end() if usual is not None else _line_end(block, start)
            if end >= size:
                break
        start = end + 1
        starts.append(start)
    starts.append(size + 1)
    return starts


def split_lines(block: bytes) -> list[bytes]:
    """The lines of ``block`` as influxd reads them, without their newlines, leaving out
    blank ones."""
    if _plain(block):
        lines = block.split(b"\n")
    else:
        lines = [block[a:b - 1] for a, b in pairwise(line_starts(block))]
    return [line for line in lines if line and not line.isspace()]


_TIME: Final = re.compile(rb"-?[0-9]+")


def scale_times(block: Block, factor: int) -> bytes:
    """``block`` with the time of each line multiplied by ``factor``, exactly (minutes
    sent as seconds to a server that has no spelling for minutes); lines without a
    time are left as they are.

    A line's time is the text after its last space when that is a number: a string
    field ends with a quote, and every other field has ``=`` in it, so nothing else
    can end a line with a space and digits.
    """
    raw = bytes(block)
    lines = raw.split(b"\n") if _plain(raw) else [
        raw[a:b - 1] for a, b in pairwise(line_starts(raw))]
    scaled = []
    for line in lines:
        content = line.rstrip()
        head, space, tail = content.rpartition(b" ")
        if space and _TIME.fullmatch(tail) and not head.endswith(b"\\"):
            line = b"%s %d%s" % (head, int(tail) * factor, line[len(content):])
        scaled.append(line)
    return b"\n".join(scaled)


def count_lines(block: bytes) -> int:
    """The number of lines in ``block`` as influxd reads them (blank ones counted)."""
    if _plain(block):
        return block.count(b"\n") + 1
    return len(line_starts(block)) - 1


def cut_block(block: bytes, piece: int | None, limit: int) -> list[tuple[bytes, int]]:
    """``block`` cut between lines into blocks of at most ``piece`` lines and ``limit``
    bytes (see :func:`cut_points`), each with its number of lines."""
    starts = line_starts(block)
    cuts = cut_points(starts, piece or len(starts), limit)
    return [(block[starts[a]:starts[b] - 1], b - a) for a, b in pairwise(cuts)]


def cut_lines(lines: Any, piece: int, limit: int | None = None) -> list[Block]:
    """Cut a ``large_string`` array of newline-terminated lines into blocks of ``piece``
    lines and at most ``limit`` bytes each (see :func:`cut_points`), without the last
    newline of each block.

    The blocks are views of the array's buffer, not copies: a write sends them as they
    are (a copy of every block cost about a tenth of the client's CPU in a bulk load).
    """
    buffers = lines.buffers()
    first = lines.offset
    offsets = memoryview(buffers[1]).cast("B").cast("q")[first:first + len(lines) + 1]
    text = memoryview(buffers[2])
    return [text[offsets[a]:offsets[b] - 1]
            for a, b in pairwise(cut_points(offsets, piece, limit))]


def cut_points(offsets: Sequence[int], piece: int, limit: int | None) -> list[int]:
    """Where to cut lines into blocks of at most ``piece`` lines and at most ``limit``
    bytes (a block's size leaves out the newline that ends it; a line larger than
    ``limit`` is a block alone).

    ``offsets`` are the lines' start offsets and the end of the last one.
    """
    count = len(offsets) - 1
    cuts = [0]
    start = 0
    while start < count:
        stop = min(start + piece, count)
        if limit is not None and offsets[stop] - offsets[start] - 1 > limit:
            # The most lines from start that fit (the last of them ends by start + limit).
            fits = bisect.bisect_right(offsets, offsets[start] + limit + 1, start, stop) - 1
            stop = max(start + 1, fits)
        cuts.append(stop)
        start = stop
    return cuts


def in_order(encode: Callable[[T], list[Block]], spans: Iterable[T], count: int,
             threads: int) -> Iterator[Block]:
    """The blocks of ``encode(span)`` for each of ``count`` spans, in order, made on up
    to ``threads`` threads (memory stays bounded: a few spans ahead)."""
    if threads < 2 or count < 3:
        for span in spans:
            yield from encode(span)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="influxkit-encode")
    try:
        pending: deque[Future[list[Block]]] = deque()
        for span in spans:
            pending.append(pool.submit(encode, span))
            if len(pending) > threads:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
