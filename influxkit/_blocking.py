"""Blocking mode: the client's coroutines run on one private event-loop thread.

Running them there, and never on the caller's thread, is what makes blocking mode
work the same in a plain script, inside Jupyter (whose loop is already running), in
code called from a running asyncio loop, and from several threads at once.

A blocking call can be interrupted (Ctrl-C): its task on the loop is cancelled, and
the call returns only once that cancellation is done, so that no request of it is
left running. A process forked while the loop thread runs (multiprocessing's fork
start method, gunicorn, Celery's prefork pool) starts a loop thread of its own on its
first call, and leaves the parent's alone.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Final, Generic, TypeVar, cast

from ._errors import InfluxDBConnectionError

T = TypeVar("T")

__all__ = [
    "CANCEL_WAIT",
    "MODES",
    "WAKE_INTERVAL",
    "BlockingIterator",
    "LoopThread",
    "ModeSwitch",
]


MODES: Final = ("async", "blocking")

CANCEL_WAIT: Final = 5.0
"""How long an interrupted blocking call waits, at most, for its work on the loop to be
cancelled before it lets the interruption through (a second interruption ends the wait)."""

WAKE_INTERVAL: Final = 0.05
"""How often, in seconds, a waiting blocking call returns to the interpreter, which then
runs the handlers of the signals received meanwhile (see :meth:`_Call.wait`)."""


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


class LoopThread:
    """An event loop running in a daemon thread of its own, started on first use."""

    def __init__(self, name: str = "influxkit-blocking") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # The calls waiting on the loop, which stop() ends.
        self._calls: set[_Call[Any]] = set()
        _loop_threads.add(self)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The private loop, if it was started."""
        return self._loop

    def _start(self) -> asyncio.AbstractEventLoop:
        """The loop, started if it was not (called holding ``_lock``)."""
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
        """Run ``coro`` on the private loop and wait for its result.

        An interruption of the wait (Ctrl-C's :class:`KeyboardInterrupt`, or whatever a
        signal handler raises) cancels the coroutine's task and waits, at most
        :data:`CANCEL_WAIT` seconds, for it to end before it goes on up; what the task
        said of its work as it was cancelled (a write: how many requests were stored)
        is added to the interruption as notes (Python 3.11+).

        Raises:
            InfluxDBConnectionError: when the client is closed (by another thread)
                while the call waits.
            RuntimeError: when called from the loop's own thread, where it would wait
                for ever.
        """
        if self._thread is not None and threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "a blocking influxkit call was made from inside the client's own event loop; "
                "use mode='async' and await it there"
            )
        call = _Call(coro)
        with self._lock:
            loop = self._start()
            self._calls.add(call)
        try:
            return call.run(loop)
        finally:
            with self._lock:
                self._calls.discard(call)

    def stop(self) -> None:
        """Stop the loop and its thread (idempotent).

        Calls still running on it (another thread waiting for a chunk, say) are
        cancelled first: their callers get an :class:`InfluxDBConnectionError` instead
        of waiting for ever.
        """
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            calls = list(self._calls)
        if loop is None or thread is None:
            return
        for call in calls:
            call.closed = True
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
        # A call handed to the loop as it stopped never ran: its caller is told.
        for call in calls:
            call.abandon()

    def _forget(self) -> None:
        """In a process just forked: forget the loop thread, which is the parent's.

        The child has no such thread: its first call starts a loop of its own. The
        parent's loop is disowned, untouched (see :func:`_disown`).
        """
        self._lock = threading.Lock()
        self._calls = set()
        loop, self._loop, self._thread = self._loop, None, None
        if loop is not None:
            _disown(loop)


class _Call(Generic[T]):
    """One blocking call: its coroutine runs as a task on the loop thread while the
    caller's thread waits for the task to end."""

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        self._coro = coro
        self._task: asyncio.Task[T] | None = None
        self._ended = threading.Event()
        self._cancelled = False  # by its caller, interrupted
        self.closed = False  # by LoopThread.stop(): the client was closed
        self._notes: list[str] = []

    def run(self, loop: asyncio.AbstractEventLoop) -> T:
        try:
            try:
                loop.call_soon_threadsafe(self._begin)
            except RuntimeError:  # the loop closed as the call was made (close() elsewhere)
                self._coro.close()
                raise _closed_error() from None
            self.wait()
        except BaseException as interruption:
            # Ctrl-C, or another signal handler's exception: not the call's own outcome.
            if not self._ended.is_set() and not isinstance(interruption,
                                                          InfluxDBConnectionError):
                self._interrupt(loop, interruption)
            raise
        return self._outcome()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the call has ended, or for ``timeout`` seconds; return whether it
        has ended.

        The wait is cut into short timed waits. An untimed one would return only once
        the call had ended whenever a library has installed its own SIGINT handler with
        ``SA_RESTART`` (polars does, when it is imported: influxkit's DataFrame encoders
        import it): the kernel then restarts the lock's wait after the handler, and
        Python's own handler, called by it, never gets the chance to raise
        ``KeyboardInterrupt`` until the lock is released. Each timed wait returns to the
        interpreter, which runs the handlers of the signals received meanwhile.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ended.wait(WAKE_INTERVAL):
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def _begin(self) -> None:
        """Start the task (on the loop)."""
        if self._cancelled or self.closed:
            self._coro.close()
            self._ended.set()
            return
        self._task = asyncio.ensure_future(self._guarded())
        self._task.add_done_callback(lambda _: self._ended.set())

    async def _guarded(self) -> T:
        try:
            return await self._coro
        except asyncio.CancelledError as exc:
            self._notes = list(getattr(exc, "__notes__", ()))
            raise

    def _cancel(self) -> None:
        """Cancel the task (on the loop)."""
        self._cancelled = True
        if self._task is not None:
            self._task.cancel()
        else:  # interrupted before the call could be handed to the loop: nothing ran
            self._coro.close()
            self._ended.set()

    def _interrupt(self, loop: asyncio.AbstractEventLoop, interruption: BaseException) -> None:
        """Cancel the call's work, wait for it to end and tell ``interruption`` about it."""
        try:
            loop.call_soon_threadsafe(self._cancel)
        except RuntimeError:  # the loop is closed: nothing of the call runs any more
            return
        # A second interruption ends this wait, and goes on up in place of the first.
        if self.wait(CANCEL_WAIT):
            notes = self._notes
        else:
            notes = [f"the call's work on the client's event loop was still being cancelled "
                     f"{CANCEL_WAIT:g} s after the interruption"]
        add_note = getattr(interruption, "add_note", None)  # Python 3.11+
        if add_note is not None:
            for note in notes:
                add_note(note)

    def _outcome(self) -> T:
        task = self._task
        if task is None or not task.done() or (self.closed and task.cancelled()):
            raise _closed_error()
        return task.result()

    def abandon(self) -> None:
        """End the wait of a call whose loop stopped before the call ended."""
        if not self._ended.is_set():
            if self._task is None:
                self._coro.close()
            self._ended.set()


def _closed_error() -> InfluxDBConnectionError:
    return InfluxDBConnectionError(
        "the client was closed while this call was waiting for its answer")


class BlockingIterator(Generic[T]):
    """A plain iterator over an async iterator whose steps run on a :class:`LoopThread`.

    Leaving it early (``break``, an exception, dropping it) closes the async iterator,
    which releases the connection.
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


# -- fork ----------------------------------------------------------------------------------

_loop_threads: weakref.WeakSet[LoopThread] = weakref.WeakSet()

def _disown(loop: asyncio.AbstractEventLoop) -> None:
    """Leave a loop of the parent's alone, in a child just forked.

    Its selector is an epoll instance the child shares with the parent: closing the
    loop, or anything that unregisters a socket from it (closing a transport of it does),
    would unregister that socket in the parent too, whose loop would then never hear of
    it again. Read as closed, the loop is left alone by asyncio's code and aiohttp's,
    their finalisers included, which then only close the child's copies of its sockets.
    """
    if isinstance(loop, asyncio.BaseEventLoop):
        cast(Any, loop)._closed = True  # asyncio has no public way to say "not ours"


def _forget_parent_loops() -> None:
    for runner in list(_loop_threads):
        runner._forget()


if hasattr(os, "register_at_fork"):  # not on Windows, where there is no fork
    os.register_at_fork(after_in_child=_forget_parent_loops)
