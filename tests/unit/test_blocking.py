"""The loop thread of blocking mode: calls, interruptions, closing under a call."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator

import pytest

from influxkit import InfluxDBConnectionError
from influxkit._blocking import LoopThread


@pytest.fixture
def runner() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.stop()


async def running_tasks() -> int:
    return len([task for task in asyncio.all_tasks() if task is not asyncio.current_task()])


def test_a_call_returns_its_result_and_raises_its_error(runner: LoopThread) -> None:
    async def double(n: int) -> int:
        return 2 * n

    async def fail() -> None:
        raise ValueError("no")

    assert runner.run(double(21)) == 42
    with pytest.raises(ValueError, match="no"):
        runner.run(fail())


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals go to the main thread")
def test_an_interrupted_call_is_cancelled_before_the_interruption_goes_on(
        runner: LoopThread) -> None:
    cancelled = []

    async def work() -> None:
        # As Ctrl-C would, once the call is under way: the main thread, waiting for the
        # call, gets the KeyboardInterrupt.
        os.kill(os.getpid(), signal.SIGINT)
        try:
            await asyncio.Event().wait()  # for ever
        except asyncio.CancelledError as exc:
            cancelled.append(True)
            exc.add_note("2 request(s) of it had been stored")
            raise

    with pytest.raises(KeyboardInterrupt) as interrupted:
        runner.run(work())
    # By the time the interruption goes on, the work has been cancelled and has ended,
    # and it said what it had done.
    assert cancelled == [True]
    assert runner.run(running_tasks()) == 0
    assert interrupted.value.__notes__ == ["2 request(s) of it had been stored"]


def test_closing_ends_a_call_waiting_in_another_thread(runner: LoopThread) -> None:
    started = threading.Event()
    outcome: list[BaseException] = []

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    def call() -> None:
        try:
            runner.run(forever())
        except BaseException as exc:  # the test looks at what it was
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    started.wait()
    runner.stop()
    caller.join()
    (error,) = outcome
    assert isinstance(error, InfluxDBConnectionError)
    assert "closed" in str(error)


def test_a_call_on_a_loop_closed_meanwhile_is_a_connection_error(runner: LoopThread) -> None:
    async def nothing() -> None:
        pass

    closed = asyncio.new_event_loop()
    closed.close()
    # As if another thread had closed the client between the call's start and its
    # hand-over to the loop: the coroutine is closed, never left unawaited.
    runner._start = lambda: closed  # type: ignore[method-assign]
    with pytest.raises(InfluxDBConnectionError, match="closed"):
        runner.run(nothing())


def test_a_blocking_call_from_the_loop_itself_is_refused(runner: LoopThread) -> None:
    async def nothing() -> None:
        pass

    async def inner() -> None:
        runner.run(nothing())

    with pytest.raises(RuntimeError, match="inside the client's own event loop"):
        runner.run(inner())
