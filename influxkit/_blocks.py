"""Blocks of line protocol from the DataFrame encoders: cut from text, made in order.

Both DataFrame encoders build a pyarrow string array with one element per line, each
ending with its newline. The array's data buffer is then the lines' bytes back to
back, and its offsets are the line boundaries: blocks of lines are cut from it with
one copy each, without joining strings. Their kernels release the GIL, so blocks are
encoded on a few threads, a few blocks ahead of the consumer, and yielded in order.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from typing import Any, Final, TypeAlias, TypeVar

__all__ = ["THREADS", "Block", "cut_lines", "in_order"]

T = TypeVar("T")

#: A block of lines: bytes, or a view of the buffer an encoder made them in.
Block: TypeAlias = bytes | memoryview


def _cpu_count() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # the CPUs this process may use
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


# Threads encoding blocks of one large frame at once (1 turns them off).
THREADS: Final = min(4, _cpu_count())


def cut_lines(lines: Any, piece: int) -> list[Block]:
    """Cut a ``large_string`` array of newline-terminated lines into blocks of ``piece``
    lines each, without the last newline of each block.

    The blocks are views of the array's buffer, not copies: a write sends them as they
    are (a copy of every block cost about a tenth of the client's CPU in a bulk load).
    """
    buffers = lines.buffers()
    first = lines.offset
    offsets = memoryview(buffers[1]).cast("B").cast("q")[first:first + len(lines) + 1]
    text = buffers[2]
    cuts = [*range(0, len(lines), piece), len(lines)]
    view = memoryview(text)
    return [view[offsets[a]:offsets[b] - 1] for a, b in pairwise(cuts)]


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
