"""Blocks of line protocol from the DataFrame encoders: cut from text, made in order.

Both DataFrame encoders build a pyarrow string array with one element per line, each
ending with its newline. The array's data buffer is then the lines' bytes back to
back, and its offsets are the line boundaries: blocks of lines are cut from it with
one copy each, without joining strings. Their kernels release the GIL, so blocks are
encoded on a few threads, a few blocks ahead of the consumer, and yielded in order.
"""

from __future__ import annotations

import bisect
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from typing import Any, Final, TypeAlias, TypeVar

__all__ = ["THREADS", "Block", "cut_lines", "cut_points", "in_order"]

T = TypeVar("T")

#: A block of lines: bytes, or a view of the buffer an encoder made them in.
Block: TypeAlias = bytes | memoryview


def _cpu_count() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # the CPUs this process may use
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


# Threads encoding blocks of one large frame at once (1 turns them off).
THREADS: Final = min(4, _cpu_count())


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
