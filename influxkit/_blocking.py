"""Blocking mode: the client's coroutines run on one private event-loop thread.

Running them there, and never on the caller's thread, is what makes blocking mode
work the same in a plain script, inside Jupyter (whose loop is already running), in
code called from a running asyncio loop, and from several threads at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Final, Generic, Protocol, TypeVar

from ._errors import InfluxDBConnectionError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["MODES", "BlockingIterator", "LoopThread", "ModeSwitch", "dual"]


MODES: Final = ("async", "blocking")


class ModeSwitch:
    """The one place that decides what a call returns in each mode.

    In async mode a call returns its coroutine. In blocking mode the coroutine runs on
    a private event-loop thread (:class:`LoopThread`), and the call returns its result;
    an async iterator (a chunked query's answer) comes back as a plain iterator, and an
    object with a blocking counterpart (a writer) as that counterpart.
    """

    def __init__(self, mode: str = "async") -> None:
        self.runner = LoopThread()
        self._mode = "async"
        self.mode = mode

    @property
    def mode(self) -> str:
        """``'async'`` or ``'blocking'``."""
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"invalid mode {mode!r}: use one of {', '.join(MODES)}")
        self._mode = mode

    @property
    def blocking(self) -> bool:
        """Whether calls block."""
        return self._mode == "blocking"

    def __call__(self, coro: Coroutine[Any, Any, T]) -> Any:
        """The coroutine itself (async mode), or its result (blocking mode)."""
        if not self.blocking:
            return coro
        result = self.runner.run(coro)
        if isinstance(result, AsyncIterator):
            return BlockingIterator(result, self.runner)
        return result

    def adapt(self, value: T, blocking: Callable[[T, LoopThread], Any]) -> Any:
        """``value`` (async mode), or ``blocking(value, runner)`` (blocking mode)."""
        return blocking(value, self.runner) if self.blocking else value

    def expect(self, mode: str, hint: str) -> None:
        """Raise :class:`TypeError` with ``hint`` unless the mode is ``mode`` (for a
        ``with`` that needs to be ``async with``, or the other way round)."""
        if self._mode != mode:
            raise TypeError(f"the client is in {self._mode} mode: {hint}")


class Switched(Protocol):
    """An object whose coroutine methods follow a :class:`ModeSwitch` (see :func:`dual`)."""

    _modes: ModeSwitch


def dual(method: F) -> F:
    """Make a coroutine method follow its object's :class:`ModeSwitch` (``_modes``)."""

    @functools.wraps(method)
    def wrapper(self: Switched, *args: Any, **kwargs: Any) -> Any:
        return self._modes(method(self, *args, **kwargs))

    return wrapper  # type: ignore[return-value]


class LoopThread:
    """An event loop running in a daemon thread of its own, started on first use."""

    def __init__(self, name: str = "influxkit-blocking") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The private loop, if it was started."""
        return self._loop

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=main, name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the private loop and wait for its result."""
        if self._thread is not None and threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "a blocking influxkit call was made from inside the client's own event loop; "
                "use mode='async' and await it there"
            )
        loop = self._ensure()
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            if self._loop is not loop:
                raise InfluxDBConnectionError(
                    "the client was closed while this call was waiting for its answer"
                ) from None
            raise
        except BaseException:
            # Interrupted (Ctrl-C in a notebook): don't leave the request running.
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and its thread (idempotent).

        Calls still running on it (another thread waiting for a chunk, say) are
        cancelled first: their callers get an :class:`InfluxDBConnectionError` instead
        of waiting for ever.
        """
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        if threading.current_thread() is thread:
            loop.call_soon(loop.stop)
            return

        async def drain() -> None:
            running = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await loop.shutdown_asyncgens()
            loop.stop()

        asyncio.run_coroutine_threadsafe(drain(), loop)
        thread.join()
        loop.close()


class BlockingIterator(Generic[T]):
    """A plain iterator over an async iterator whose steps run on a :class:`LoopThread`.

    Leaving it early (``break``, an exception, garbage collection) closes the async
    iterator, which releases the connection.
    """

    def __init__(self, source: AsyncIterator[T], runner: LoopThread) -> None:
        self._source = source
        self._runner = runner
        self._done = False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            return self._runner.run(_anext(self._source))
        except StopAsyncIteration:
            self._done = True
            raise StopIteration from None

    def close(self) -> None:
        """Stop early and release the connection."""
        if not self._done:
            self._done = True
            aclose = getattr(self._source, "aclose", None)
            if aclose is not None:
                self._runner.run(aclose())

    def __enter__(self) -> BlockingIterator[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # No I/O here: the source's own finaliser closes its response.
        self._done = True


async def _anext(source: AsyncIterator[T]) -> T:
    return await source.__anext__()
