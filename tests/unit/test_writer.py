"""The batching writer (``influxkit._writer``) against a fake engine: what it sends,
when, in what order, and what it reports when the server does not take it.

The writer sees its engine only through the ``WriteEngine`` protocol, so the seam here
is a :class:`FakeEngine`: it records every request, answers from a script (influxkit's
own error objects), refuses with 413 a body of more lines than it takes, and can
hold requests until the test lets them go. No server, and no waiting on the clock:
tests wait on the fake's conditions (``PATIENCE`` only turns a hang into a failure).
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from influxkit import (
    AuthenticationError,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBHTTPError,
    LineProtocolError,
    PartialWriteError,
    RequestTooLargeError,
    RetryPolicy,
    ServerUnavailableError,
)
from influxkit._encode.lines import split_lines
from influxkit._errors import http_error
from influxkit._writer import AsyncWriter, Batch, WriterError, WriterStats, deliver

PATIENCE = 5.0  # seconds before a wait on a condition counts as a hang: never reached

# A writer that loops without end (resending, splitting) fails its test, not the run.
pytestmark = pytest.mark.timeout(30)


# -- the fake engine ------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One ``/write`` request the writer made."""

    body: bytes
    params: dict[str, str]

    @property
    def lines(self) -> list[bytes]:
        """Its points, as influxd reads them."""
        return split_lines(self.body)


class FakeEngine:
    """A ``WriteEngine`` in memory: records requests, answers as scripted.

    Each request takes its answer from, in order: ``script`` (the next entry: an error
    to raise, or None for success), then ``refuse_over`` (a body of more lines than that
    gets 413), then ``fail_with`` (a factory of the error every request gets), else
    success. While :meth:`hold` is in force, requests wait (recorded) until
    :meth:`release`.
    """

    def __init__(self, *, db: str | None = "db0", default_tags: Mapping[str, Any] | None = None,
                 max_request_bytes: int = 1 << 20, refuse_over: int | None = None,
                 fail_with: Callable[[], BaseException] | None = None) -> None:
        self._db = db
        self._default_tags = dict(default_tags or {})
        self._max_request_bytes = max_request_bytes
        self.refuse_over = refuse_over
        self.fail_with = fail_with
        self.script: deque[BaseException | None] = deque()
        self.requests: list[Request] = []  # every request, in the order they arrived
        self.accepted: list[Request] = []  # those answered with success
        self.held = 0  # requests waiting for release()
        self._gate = asyncio.Event()
        self._gate.set()
        self._change = asyncio.Event()

    # The WriteEngine protocol.

    @property
    def default_tags(self) -> Mapping[str, Any]:
        return self._default_tags

    @property
    def max_request_bytes(self) -> int:
        return self._max_request_bytes

    def target(self, db: str | None) -> str:
        if db is not None:
            if not db:
                raise ValueError("the database name is empty")
            return db
        if self._db:
            return self._db
        raise ValueError("no database given, and the client has none")

    async def post_lines(self, body: bytes, params: Mapping[str, str]) -> None:
        request = Request(bytes(body), dict(params))
        self.requests.append(request)
        self._changed()
        await asyncio.sleep(0)  # a request always lets the loop run, as real I/O does
        if not self._gate.is_set():
            self.held += 1
            self._changed()
            try:
                await self._gate.wait()
            finally:
                self.held -= 1
                self._changed()
        error = self._answer(request)
        if error is not None:
            self._changed()
            raise error
        self.accepted.append(request)
        self._changed()

    # What tests use.

    def fail_next(self, *answers: BaseException | None) -> None:
        """Script the answers of the next requests (None: success)."""
        self.script.extend(answers)

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition`` holds; it is checked after each change."""
        async def wait() -> None:
            while not condition():
                await self._change.wait()
        await asyncio.wait_for(wait(), PATIENCE)

    @property
    def accepted_lines(self) -> list[bytes]:
        return [line for request in self.accepted for line in request.lines]

    def _answer(self, request: Request) -> BaseException | None:
        if self.script:
            return self.script.popleft()
        if self.refuse_over is not None and len(request.lines) > self.refuse_over:
            return http(413, "Request Entity Too Large")
        if self.fail_with is not None:
            return self.fail_with()
        return None

    def _changed(self) -> None:
        self._change.set()
        self._change = asyncio.Event()


# -- helpers --------------------------------------------------------------------------------


def http(status: int, message: str = "", headers: Mapping[str, str] | None = None,
         ) -> InfluxDBHTTPError:
    """The error influxkit raises for an answer to a write."""
    return http_error(status, message or f"status {status}", write=True, method="POST",
                      url="http://h/write", headers=dict(headers or {}))


def refused() -> BaseException:
    return InfluxDBConnectionError("connection refused")


def points(count: int, start: int = 0, unit: int = 1) -> list[dict[str, Any]]:
    """Points ``start`` to ``start + count - 1``; their times in units of ``unit`` ns."""
    return [{"measurement": "m", "fields": {"v": i}, "time": T0 // unit + i}
            for i in range(start, start + count)]


# The points' times: nanoseconds from 2020-09-13, well inside what an integer time may
# say (the encoder refuses integers before 1971 as times in the wrong unit).
T0 = 1_600_000_000_000_000_000


def line(i: int, unit: int = 1) -> bytes:
    """The line protocol of ``points(...)``'s point number ``i``."""
    return b"m v=%di %d" % (i, T0 // unit + i)


def lines(count: int, start: int = 0) -> list[bytes]:
    return [line(i) for i in range(start, start + count)]


def no_wait(max_retries: int = 0, **options: Any) -> RetryPolicy:
    """A retry policy whose waits are all zero (but for a server's Retry-After)."""
    return RetryPolicy(retry_interval=0, max_retries=max_retries, **options)


@dataclass
class Reports:
    """The writer's callbacks, recorded."""

    errors: list[tuple[Batch, BaseException]] = field(default_factory=list)
    retries: list[tuple[Batch, BaseException, float]] = field(default_factory=list)
    successes: list[Batch] = field(default_factory=list)

    def on_error(self, batch: Batch, error: BaseException) -> None:
        self.errors.append((batch, error))

    def on_retry(self, batch: Batch, error: BaseException, delay: float) -> None:
        self.retries.append((batch, error, delay))

    def on_success(self, batch: Batch) -> None:
        self.successes.append(batch)

    def callbacks(self) -> dict[str, Any]:
        return {"on_error": self.on_error, "on_retry": self.on_retry,
                "on_success": self.on_success}


async def turns(count: int = 20) -> None:
    """Let the event loop run everything ready, a bounded number of turns (to show
    that something does *not* happen: nothing here waits on the clock)."""
    for _ in range(count):
        await asyncio.sleep(0)


def batch_files(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".lp"))


# -- batching -------------------------------------------------------------------------------


@pytest.mark.parametrize("one_write", [True, False], ids=["one-write", "write-per-point"])
async def test_a_batch_is_cut_at_batch_size(one_write: bool) -> None:
    """Requests hold batch_size points at most, whether the points come in one write or
    one by one, and the counters add up."""
    engine = FakeEngine()
    async with AsyncWriter(engine, batch_size=3, flush_interval=3600) as writer:
        if one_write:
            await writer.write(points(7))
        else:
            for point in points(7):
                await writer.write(point)
        await writer.flush()
        assert [len(request.lines) for request in engine.requests] == [3, 3, 1]
        assert engine.accepted_lines == lines(7)
        assert writer.stats.points_written == 7
        assert writer.stats.batches_written == 3
        assert writer.stats.bytes_written == sum(len(r.body) for r in engine.requests)
        assert writer.stats.buffered_points == 0


@pytest.mark.parametrize("one_write", [True, False], ids=["one-write", "write-per-point"])
async def test_a_batch_is_cut_at_batch_bytes(one_write: bool) -> None:
    """No request body is larger than batch_bytes, and each is as full as it allows."""
    engine = FakeEngine()
    count = 7
    sample = [line(i) for i in range(100, 100 + count)]  # all of one length
    size = len(sample[0])
    limit = 2 * size + 1 + 5  # room for two lines and their newline, not three
    async with AsyncWriter(engine, batch_bytes=limit, flush_interval=3600) as writer:
        if one_write:
            await writer.write(points(count, start=100))
        else:
            for point in points(count, start=100):
                await writer.write(point)
        await writer.flush()
    assert all(len(request.body) <= limit for request in engine.requests)
    assert [len(request.lines) for request in engine.requests] == [2, 2, 2, 1]
    assert engine.accepted_lines == sample


async def test_points_keep_their_order_across_requests() -> None:
    """With several senders, requests still go out in the order their points came."""
    engine = FakeEngine()
    async with AsyncWriter(engine, batch_size=2, concurrency=3, flush_interval=3600) as writer:
        for start in range(0, 30, 3):
            await writer.write(points(3, start))
        await writer.flush()
    assert [line for request in engine.requests for line in request.lines] == lines(30)


async def test_each_target_gets_requests_of_its_own() -> None:
    """Points for another database, retention policy or precision go in separate
    requests with the right parameters (``rp`` only when one is given)."""
    engine = FakeEngine()
    async with AsyncWriter(engine, flush_interval=3600) as writer:
        await writer.write(points(1, 0))
        await writer.write(points(1, 1), db="other")
        await writer.write(points(1, 2), rp="two_weeks")
        await writer.write(points(1, 3, unit=10**9), precision="s")
        await writer.write(points(1, 4))
        await writer.write(points(1, 5), db="other")
        await writer.flush()
    sent = {tuple(sorted(request.params.items())): request.lines for request in engine.requests}
    assert len(engine.requests) == len(sent) == 4
    assert sent == {
        (("db", "db0"), ("precision", "ns")): [line(0), line(4)],
        (("db", "other"), ("precision", "ns")): [line(1), line(5)],
        (("db", "db0"), ("precision", "ns"), ("rp", "two_weeks")): [line(2)],
        (("db", "db0"), ("precision", "s")): [line(3, unit=10**9)],
    }


async def test_the_writer_s_own_target_is_the_default() -> None:
    """db, rp and precision given to the writer apply to every write that gives none."""
    engine = FakeEngine()
    async with AsyncWriter(engine, db="mine", rp="short", precision="ms") as writer:
        await writer.write(points(2, unit=10**6))
        await writer.flush()
    assert [request.params for request in engine.requests] == [
        {"db": "mine", "rp": "short", "precision": "ms"}]


@pytest.mark.parametrize(("engine_db", "db"), [("db0", ""), (None, None)])
async def test_no_database_is_refused_before_anything_is_taken(
        engine_db: str | None, db: str | None) -> None:
    """The engine refuses an empty or unknown database: write() raises, nothing is sent."""
    engine = FakeEngine(db=engine_db)
    async with AsyncWriter(engine) as writer:
        with pytest.raises(ValueError, match="database"):
            await writer.write(points(1), db=db)
        await writer.flush()
        assert writer.stats == WriterStats()
    assert engine.requests == []


async def test_the_engine_s_default_tags_are_added_to_points() -> None:
    """Every point carries the engine's default tags, and a write's own tags too; text
    already encoded, which cannot get them, is refused rather than sent without them
    (as the client's own write does)."""
    engine = FakeEngine(default_tags={"host": "a"})
    async with AsyncWriter(engine) as writer:
        await writer.write(points(1))
        await writer.write(points(1, 1), region="eu")
        with pytest.raises(LineProtocolError, match="extra tags"):
            await writer.write("m,zone=z v=2 2")
        await writer.flush()
    assert engine.accepted_lines == [line(0).replace(b"m ", b"m,host=a "),
                                     line(1).replace(b"m ", b"m,host=a,region=eu ")]


async def test_flush_sends_an_open_batch_before_the_flush_interval() -> None:
    """An open batch waits for batch_size or flush_interval; flush() sends it now."""
    engine = FakeEngine()
    async with AsyncWriter(engine, batch_size=100, flush_interval=3600) as writer:
        await writer.write(points(2))
        await turns()
        assert engine.requests == []  # not cut yet: the writer waits for more
        await writer.flush()
        assert [request.lines for request in engine.requests] == [lines(2)]


async def test_an_open_batch_is_sent_after_the_flush_interval() -> None:
    """Without flush(), an open batch goes when it is flush_interval old."""
    engine = FakeEngine()
    async with AsyncWriter(engine, batch_size=100, flush_interval=0.01) as writer:
        await writer.write(points(2))
        await engine.until(lambda: len(engine.accepted) == 1)
        assert engine.accepted_lines == lines(2)


TEXT = "\n".join(line(i).decode() for i in range(10))
STRINGS = 'm s="a\nb" 1\nm s="c\\"\nd" 2\nm v=3 3'  # newlines inside string fields


@pytest.mark.parametrize(("text", "options", "bodies"), [
    (TEXT, {"batch_size": 3}, [b"\n".join(lines(3, start)) for start in (0, 3, 6)]
     + [line(9)]),
    (TEXT, {"batch_bytes": 3 * len(line(0)) + 2},
     [b"\n".join(lines(3, start)) for start in (0, 3, 6)] + [line(9)]),
    (STRINGS, {"batch_size": 1}, [b'm s="a\nb" 1', b'm s="c\\"\nd" 2', b"m v=3 3"]),
    (STRINGS, {"batch_size": 2}, [b'm s="a\nb" 1\nm s="c\\"\nd" 2', b"m v=3 3"]),
    (STRINGS, {"batch_bytes": 16}, [b'm s="a\nb" 1', b'm s="c\\"\nd" 2', b"m v=3 3"]),
], ids=["lines-by-count", "lines-by-bytes", "strings-1", "strings-2", "strings-by-bytes"])
async def test_a_large_text_block_is_cut_between_lines(
        text: str, options: dict[str, Any], bodies: list[bytes]) -> None:
    """Line protocol text larger than a batch is cut where influxd ends its lines: never
    inside a string field holding a newline."""
    engine = FakeEngine()
    async with AsyncWriter(engine, flush_interval=3600, **options) as writer:
        await writer.write(text)
        await writer.flush()
        assert [request.body for request in engine.requests] == bodies
        assert writer.stats.points_written == sum(len(split_lines(b)) for b in bodies)


# -- splitting (413) ------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "sizes"), [
    (8, [8, 4, 2, 2, 4, 2, 2]),
    (7, [7, 3, 1, 2, 4, 2, 2]),
])
async def test_a_413_sends_the_halves_first_half_first_recursively(
        count: int, sizes: list[int]) -> None:
    """A batch the server finds too large is split in halves, each sent (and split
    again if need be) in order; every point lands once, nothing is reported."""
    engine = FakeEngine(refuse_over=2)
    reports = Reports()
    # One sender: with more, the halves are sent side by side, by design.
    async with AsyncWriter(engine, batch_size=count, concurrency=1, retry=no_wait(3),
                           **reports.callbacks()) as writer:
        await writer.write(points(count))
        await writer.flush()
        assert [len(request.lines) for request in engine.requests] == sizes
        assert engine.accepted_lines == lines(count)
        assert writer.stats.points_written == count
        assert writer.stats.batches_written == len(engine.accepted)
        assert writer.stats.points_failed == writer.stats.retries == 0
        assert writer.stats.buffered_points == 0
    assert reports.errors == []
    assert reports.retries == []


async def test_a_single_point_too_large_is_reported_not_retried() -> None:
    """A lone point the server refuses with 413 cannot be split: it is reported, once."""
    engine = FakeEngine(refuse_over=0)
    async with AsyncWriter(engine, batch_size=1, retry=no_wait(3)) as writer:
        await writer.write(points(1))
        with pytest.raises(WriterError) as caught:
            await writer.flush()
        assert len(engine.requests) == 1
        assert writer.stats.points_failed == 1
        assert writer.stats.retries == 0
    [(batch, error)] = caught.value.failures
    assert isinstance(error, RequestTooLargeError)
    assert batch.lines() == lines(1)


async def test_halves_still_too_large_are_each_reported() -> None:
    """Two points refused whole and alone: split once, each half reported, in order."""
    engine = FakeEngine(refuse_over=0)
    reports = Reports()
    async with AsyncWriter(engine, batch_size=2, concurrency=1, retry=no_wait(3),
                           on_error=reports.on_error) as writer:
        await writer.write(points(2))
        await writer.flush()
        assert [len(request.lines) for request in engine.requests] == [2, 1, 1]
        assert writer.stats.points_failed == 2
    assert [batch.lines() for batch, _ in reports.errors] == [[line(0)], [line(1)]]
    assert all(isinstance(error, RequestTooLargeError) for _, error in reports.errors)


# -- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [
    refused,
    lambda: http(503, "service unavailable"),
    lambda: http(429, "too many requests"),
    lambda: http(500, "internal error"),
], ids=["connection", "503", "429", "500"])
async def test_retryable_errors_are_retried_until_delivered(
        error: Callable[[], BaseException]) -> None:
    """A retryable failure sends the same batch again, on_retry hears of each retry with
    its delay, and the counters say so."""
    engine = FakeEngine()
    engine.fail_next(error(), error())
    reports = Reports()
    async with AsyncWriter(engine, batch_size=3, retry=no_wait(2, retry_server_errors=True),
                           **reports.callbacks()) as writer:
        await writer.write(points(3))
        await writer.flush()
        assert len(engine.requests) == 3
        assert {request.body for request in engine.requests} == {b"\n".join(lines(3))}
        assert engine.accepted_lines == lines(3)
        stats = writer.stats
        assert (stats.points_written, stats.batches_written) == (3, 1)
        assert (stats.retries, stats.points_retried, stats.points_failed) == (2, 6, 0)
    assert [(batch.points, delay) for batch, _, delay in reports.retries] == [(3, 0.0)] * 2
    assert all(isinstance(caught, InfluxDBError) for _, caught, _ in reports.retries)
    assert len(reports.successes) == 1
    assert reports.errors == []


async def test_retries_run_out_and_the_batch_is_reported() -> None:
    """After max_retries retries a batch is given up and reported with the last error."""
    engine = FakeEngine(fail_with=refused)
    reports = Reports()
    async with AsyncWriter(engine, batch_size=2, retry=no_wait(2),
                           on_retry=reports.on_retry) as writer:
        await writer.write(points(2))
        with pytest.raises(WriterError) as caught:
            await writer.flush()
        assert len(engine.requests) == 3
        stats = writer.stats
        assert (stats.points_written, stats.points_failed, stats.points_retried) == (0, 2, 4)
        assert (stats.retries, stats.batches_written, stats.buffered_points) == (2, 0, 0)
    [(batch, error)] = caught.value.failures
    assert isinstance(error, InfluxDBConnectionError)
    assert batch.lines() == lines(2)
    assert len(reports.retries) == 2


@pytest.mark.parametrize(("error", "policy"), [
    (lambda: http(400, 'unable to parse "m v=": missing field value'), no_wait(3)),
    (lambda: http(401, "authorization failed"), no_wait(3)),
    (lambda: http(403, "forbidden"), no_wait(3)),
    (lambda: http(404, 'database not found: "db0"'), no_wait(3)),
    (lambda: http(500, "internal error"), no_wait(3, retry_server_errors=False)),
], ids=["400", "401", "403", "404", "500-not-retried"])
async def test_refusals_are_reported_at_once(
        error: Callable[[], InfluxDBHTTPError], policy: RetryPolicy) -> None:
    """What the server refused for good is not sent again: reported after one request."""
    engine = FakeEngine(fail_with=error)
    reports = Reports()
    async with AsyncWriter(engine, retry=policy, **reports.callbacks()) as writer:
        await writer.write(points(2))
        await writer.flush()  # on_error took the failure: nothing raised
        assert len(engine.requests) == 1
        stats = writer.stats
        assert (stats.points_failed, stats.retries, stats.points_retried) == (2, 0, 0)
    assert reports.retries == []
    assert reports.successes == []
    [(batch, caught)] = reports.errors
    assert isinstance(caught, InfluxDBHTTPError)
    assert caught.status == error().status
    assert batch.points == 2


async def test_a_refused_login_is_raised_by_flush_without_on_error() -> None:
    """Without on_error, flush() raises the failure as a WriterError, once."""
    engine = FakeEngine(fail_with=lambda: http(401, "authorization failed"))
    async with AsyncWriter(engine, retry=no_wait(3)) as writer:
        await writer.write(points(1))
        with pytest.raises(WriterError) as caught:
            await writer.flush()
        await writer.flush()  # reported once: the next flush has nothing to raise
    [(_, error)] = caught.value.failures
    assert isinstance(error, AuthenticationError)


async def test_retry_after_is_a_lower_bound_of_the_delay() -> None:
    """A server's Retry-After makes the wait at least that long (seen by on_retry)."""
    engine = FakeEngine()
    engine.fail_next(http(503, "busy", {"Retry-After": "0.02"}))
    reports = Reports()
    async with AsyncWriter(engine, retry=RetryPolicy(retry_interval=0.001, max_retries=2),
                           on_retry=reports.on_retry) as writer:
        await writer.write(points(1))
        await writer.flush()
        assert len(engine.requests) == 2
        assert writer.stats.points_written == 1
    [(_, error, delay)] = reports.retries
    assert isinstance(error, ServerUnavailableError)
    assert delay >= 0.02


async def test_a_retry_after_beyond_max_retry_time_gives_up_at_once() -> None:
    """A wait that would end after max_retry_time is not waited: the batch is reported."""
    engine = FakeEngine(fail_with=lambda: http(503, "busy", {"Retry-After": "3600"}))
    reports = Reports()
    async with AsyncWriter(engine, retry=no_wait(5, max_retry_time=60),
                           **reports.callbacks()) as writer:
        await writer.write(points(1))
        await writer.flush()
        assert len(engine.requests) == 1
        assert writer.stats.points_failed == 1
    assert reports.retries == []
    assert [type(error) for _, error in reports.errors] == [type(http(503))]


# -- partial writes -------------------------------------------------------------------------


@pytest.mark.parametrize("message", [
    "partial write: points beyond retention policy dropped=1",
    "partial write: unable to parse 'm v=': missing field value dropped=0",
])
async def test_a_partial_write_is_counted_reported_and_never_resent(message: str) -> None:
    """The server stored some points: they count as written, the dropped ones as
    dropped, the batch is reported and not sent again (even with retries allowed)."""
    engine = FakeEngine()
    engine.fail_next(http(400, message))
    reports = Reports()
    async with AsyncWriter(engine, batch_size=3, retry=no_wait(5),
                           **reports.callbacks()) as writer:
        await writer.write(points(3))
        await writer.flush()
        assert len(engine.requests) == 1
        stats = writer.stats
        assert (stats.points_written, stats.points_dropped) == (2, 1)
        assert (stats.points_failed, stats.retries, stats.buffered_points) == (0, 0, 0)
    [(batch, error)] = reports.errors
    assert isinstance(error, PartialWriteError)
    assert error.dropped == 1
    assert batch.points == 3
    assert reports.retries == []


async def test_a_partial_write_is_raised_by_flush_without_on_error() -> None:
    """Without on_error, a partial write comes out of flush() as a WriterError."""
    engine = FakeEngine()
    engine.fail_next(http(400, "partial write: field type conflict dropped=2"))
    async with AsyncWriter(engine, batch_size=3, retry=no_wait(5)) as writer:
        await writer.write(points(3))
        with pytest.raises(WriterError) as caught:
            await writer.flush()
        assert len(engine.requests) == 1
        assert writer.stats.points_written == 1
    [(_, error)] = caught.value.failures
    assert isinstance(error, PartialWriteError)


# -- backpressure ---------------------------------------------------------------------------


async def test_a_full_buffer_makes_write_wait_for_a_request_to_complete() -> None:
    """when_full='wait': write() returns only once a request has freed room."""
    engine = FakeEngine()
    engine.hold()
    async with AsyncWriter(engine, batch_size=1, concurrency=1, max_buffer_points=2,
                           retry=no_wait()) as writer:
        await writer.write(points(1, 0))
        await engine.until(lambda: engine.held == 1)  # in flight
        await writer.write(points(1, 1))  # queued: the buffer is now full
        blocked = asyncio.ensure_future(writer.write(points(1, 2)))
        await turns()
        assert not blocked.done()
        assert len(engine.requests) == 1
        assert writer.stats.buffered_points == 2
        engine.release()
        await asyncio.wait_for(blocked, PATIENCE)
        assert engine.accepted_lines[:1] == [line(0)]  # it waited for this
        await writer.flush()
    assert engine.accepted_lines == lines(3)
    assert writer.stats.points_dropped == writer.stats.points_spilled == 0


async def test_a_full_buffer_drops_the_oldest_queued_batch_when_told() -> None:
    """when_full='drop_oldest': write() does not wait; the oldest batch still queued
    (not the one in flight) is dropped, counted and reported."""
    engine = FakeEngine()
    engine.hold()
    reports = Reports()
    async with AsyncWriter(engine, batch_size=1, concurrency=1, max_buffer_points=3,
                           when_full="drop_oldest", retry=no_wait(),
                           on_error=reports.on_error) as writer:
        await writer.write(points(1, 0))
        await engine.until(lambda: engine.held == 1)
        await writer.write(points(1, 1))
        await writer.write(points(1, 2))  # two queued: the buffer is full
        await asyncio.wait_for(writer.write(points(1, 3)), PATIENCE)
        assert writer.stats.points_dropped == 1
        assert writer.stats.buffered_points == 3
        engine.release()
        await writer.flush()
        assert writer.stats.points_written == 3
        assert writer.stats.points_failed == 0
    assert engine.accepted_lines == [line(0), line(2), line(3)]
    [(batch, error)] = reports.errors
    assert batch.lines() == [line(1)]
    assert isinstance(error, BufferError)


async def test_a_full_buffer_spills_queued_points_to_disk_and_still_sends_them(
        tmp_path: Path) -> None:
    """when_full='spill': write() does not wait; a queued batch leaves memory for its
    file, and is sent from there, in its turn; no file is left after delivery."""
    engine = FakeEngine()
    engine.hold()
    async with AsyncWriter(engine, batch_size=1, concurrency=1, max_buffer_points=2,
                           when_full="spill", spill_dir=tmp_path, retry=no_wait()) as writer:
        await writer.write(points(1, 0))
        await engine.until(lambda: engine.held == 1)
        await writer.write(points(1, 1))
        await asyncio.wait_for(writer.write(points(1, 2)), PATIENCE)
        assert writer.stats.points_spilled == 1
        assert writer.stats.buffered_points == 2  # the one in flight, the last one
        assert len(batch_files(tmp_path)) == 3  # each batch on disk until acknowledged
        engine.release()
        await writer.flush()
        stats = writer.stats
        assert (stats.points_written, stats.points_dropped, stats.points_failed) == (3, 0, 0)
    assert [request.lines for request in engine.requests] == [[line(0)], [line(1)], [line(2)]]
    assert batch_files(tmp_path) == []


# -- the spill directory --------------------------------------------------------------------


async def test_batches_left_in_the_spill_directory_are_sent_first_by_the_next_writer(
        tmp_path: Path) -> None:
    """A writer that ran out of retries keeps its batches on disk (not reported); a new
    writer on the directory sends them before anything new, each once."""
    down = FakeEngine(fail_with=refused)
    reports = Reports()
    async with AsyncWriter(down, batch_size=2, spill_dir=tmp_path, retry=no_wait(0),
                           on_error=reports.on_error) as first:
        await first.write(points(3))
        await first.flush()  # given up for now: parked, not raised
        assert first.stats.points_parked == 3
        assert first.stats.points_failed == 0
    assert len(down.requests) == 2
    assert reports.errors == []
    assert len(batch_files(tmp_path)) == 2

    up = FakeEngine()
    async with AsyncWriter(up, batch_size=1, spill_dir=tmp_path, retry=no_wait()) as second:
        await second.write(points(1, 3))
        await second.flush()
        assert second.stats.points_written == 4
    assert [request.lines for request in up.requests] == [lines(2), [line(2)], [line(3)]]
    assert all(request.params == {"db": "db0", "precision": "ns"} for request in up.requests)
    assert batch_files(tmp_path) == []

    again = FakeEngine()
    async with AsyncWriter(again, spill_dir=tmp_path) as third:
        await third.flush()
    assert again.requests == []


async def test_the_spill_directory_keeps_each_batch_s_target(tmp_path: Path) -> None:
    """A recovered batch goes to the database, retention policy and precision it was
    written for, not the new writer's."""
    async with AsyncWriter(FakeEngine(fail_with=refused), spill_dir=tmp_path,
                           retry=no_wait()) as first:
        await first.write(points(1, unit=10**9), db="other", rp="week", precision="s")
        await first.flush()
    engine = FakeEngine()
    async with AsyncWriter(engine, db="elsewhere", spill_dir=tmp_path) as second:
        await second.flush()
    assert engine.requests == [Request(line(0, unit=10**9),
                                       {"db": "other", "rp": "week", "precision": "s"})]


async def test_a_batch_refused_for_good_moves_to_the_failed_directory(tmp_path: Path) -> None:
    """With a spill directory, a refused batch is reported and its file kept aside (not
    sent again by the next writer)."""
    reports = Reports()
    async with AsyncWriter(FakeEngine(fail_with=lambda: http(400, "bad")), spill_dir=tmp_path,
                           on_error=reports.on_error) as writer:
        await writer.write(points(2))
        await writer.flush()
    [(batch, _)] = reports.errors
    assert batch.path is not None
    assert Path(batch.path).parent == tmp_path / "failed"
    assert batch.lines() == lines(2)
    assert batch_files(tmp_path) == []
    engine = FakeEngine()
    async with AsyncWriter(engine, spill_dir=tmp_path) as writer:
        await writer.flush()
    assert engine.requests == []


async def test_halves_of_a_spilled_batch_leave_no_file_behind(tmp_path: Path) -> None:
    """A 413 on a batch kept on disk: its halves are delivered, no file is left."""
    engine = FakeEngine(refuse_over=2)
    async with AsyncWriter(engine, batch_size=4, spill_dir=tmp_path) as writer:
        await writer.write(points(4))
        await writer.flush()
    assert engine.accepted_lines == lines(4)
    assert batch_files(tmp_path) == []


async def test_one_spill_directory_serves_one_writer_at_a_time(tmp_path: Path) -> None:
    """A second writer on a directory in use refuses to start."""
    async with AsyncWriter(FakeEngine(), spill_dir=tmp_path):
        other = AsyncWriter(FakeEngine(), spill_dir=tmp_path)
        with pytest.raises(RuntimeError, match="in use"):
            await other.start()
        await other.close()


# -- closing, and deliver() -----------------------------------------------------------------


async def test_close_raises_what_was_not_delivered() -> None:
    """close() flushes, and raises a WriterError naming the batches that failed."""
    engine = FakeEngine(fail_with=lambda: http(400, "bad"))
    writer = AsyncWriter(engine, batch_size=2, retry=no_wait())
    await writer.write(points(3))
    with pytest.raises(WriterError) as caught:
        await writer.close()
    assert [batch.lines() for batch, _ in caught.value.failures] == [lines(2), [line(2)]]
    assert writer.stats.points_failed == 3
    with pytest.raises(RuntimeError, match="closed"):
        await writer.write(points(1))


async def test_close_leaves_to_on_error_what_it_took() -> None:
    """With on_error, close() raises nothing: the callback had every failure."""
    engine = FakeEngine(fail_with=lambda: http(400, "bad"))
    reports = Reports()
    writer = AsyncWriter(engine, batch_size=2, retry=no_wait(), on_error=reports.on_error)
    await writer.write(points(3))
    await writer.close()
    assert [batch.points for batch, _ in reports.errors] == [2, 1]


async def test_close_timing_out_reports_the_queued_batches() -> None:
    """A close() that runs out of time reports the batches not sent yet."""
    engine = FakeEngine()
    engine.hold()
    writer = AsyncWriter(engine, batch_size=1, concurrency=1, retry=no_wait())
    await writer.write(points(1, 0))
    await engine.until(lambda: engine.held == 1)
    await writer.write(points(1, 1))
    with pytest.raises(WriterError) as caught:
        await writer.close(timeout=0)
    assert [batch.lines() for batch, _ in caught.value.failures][-1:] == [[line(1)]]
    assert engine.accepted == []


async def test_close_timing_out_reports_the_batch_in_flight() -> None:
    """The batch cut off in flight is reported too: nothing silently lost."""
    engine = FakeEngine()
    engine.hold()
    writer = AsyncWriter(engine, batch_size=1, concurrency=1, retry=no_wait())
    await writer.write(points(1, 0))
    await engine.until(lambda: engine.held == 1)
    await writer.write(points(1, 1))
    with pytest.raises(WriterError) as caught:
        await writer.close(timeout=0)
    reported = sorted(line for batch, _ in caught.value.failures for line in batch.lines())
    assert reported == lines(2)
    assert writer.stats.points_failed == 2
    assert writer.stats.buffered_points == 0


async def test_deliver_returns_the_failures() -> None:
    """deliver() sends at once in requests of max_request_bytes, does not retry by
    default, and returns the batches that did not land with their errors."""
    engine = FakeEngine(max_request_bytes=2 * len(line(0)) + 1)  # two lines a request
    engine.fail_next(None, http(503, "busy"), http(400, "partial write: x dropped=1"))
    failures = await deliver(engine, "\n".join(line(i).decode() for i in range(7)))
    assert [len(request.lines) for request in engine.requests] == [2, 2, 2, 1]
    assert [(batch.lines(), type(error)) for batch, error in failures] == [
        (lines(2, 2), type(http(503))),
        (lines(2, 4), type(http(400, "partial write: x dropped=1"))),
    ]
    assert engine.accepted_lines == [*lines(2), line(6)]


async def test_deliver_retries_and_splits_as_told() -> None:
    """deliver() with a retry policy retries; a 413 is split; all lands: no failures."""
    engine = FakeEngine(refuse_over=2, db="fallback")
    engine.fail_next(refused())
    failures = await deliver(engine, points(4), rp="r", retry=no_wait(1))
    assert failures == []
    assert [len(request.lines) for request in engine.requests] == [4, 4, 2, 2]
    assert engine.accepted_lines == lines(4)
    assert {tuple(r.params.items()) for r in engine.requests} == {
        (("db", "fallback"), ("precision", "ns"), ("rp", "r"))}


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 5000])
async def test_a_bad_point_takes_nothing_of_its_input(batch_size: int) -> None:
    """A point line protocol cannot carry makes write() raise LineProtocolError naming
    it; none of that input is taken (nothing sent, counters unchanged), the rest is."""
    engine = FakeEngine()
    async with AsyncWriter(engine, batch_size=batch_size) as writer:
        await writer.write(points(1, 0))
        before = writer.stats.as_dict()
        with pytest.raises(LineProtocolError) as caught:
            await writer.write([*points(2, 1), {"measurement": "m", "fields": {}}])
        assert caught.value.index == 2
        assert writer.stats.as_dict() == before
        await writer.flush()
        assert writer.stats.points_written == 1
    assert engine.accepted_lines == [line(0)]


@pytest.mark.parametrize("options", [
    {"batch_size": 0}, {"concurrency": 0}, {"max_buffer_points": 0}, {"flush_interval": 0},
    {"when_full": "block"}, {"when_full": "spill"},
])
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    """Options that cannot work raise ValueError when the writer is made."""
    with pytest.raises(ValueError):
        AsyncWriter(FakeEngine(), **options)


async def test_blank_lines_are_not_counted_as_points() -> None:
    """points_written counts points, not the blank lines between them."""
    engine = FakeEngine()
    async with AsyncWriter(engine) as writer:
        await writer.write("m v=1 1\n\nm v=2 2")
        await writer.flush()
        assert writer.stats.points_written == 2


@pytest.mark.parametrize("text", [
    "m v=1 1\nm v=2 2\n",  # a final newline, as files and most tools end their text
    "\n  \nm v=1 1\n\t\n\r\nm v=2 2\n\n",
    'm s="a\n\nb" 1\n\nm v=2 2',  # a blank line inside a string is part of its point
], ids=["final-newline", "whitespace-lines", "in-a-string"])
async def test_blank_lines_count_in_no_batch_and_are_not_sent(text: str) -> None:
    """batch_size counts points only: two points with blank lines around them make one
    batch of two; the blank lines are not sent."""
    engine = FakeEngine()
    async with AsyncWriter(engine, batch_size=2, flush_interval=3600) as writer:
        await writer.write(text)
        await writer.write("\n \n")  # no point at all: nothing taken
        await writer.flush()
        assert writer.stats.points_written == 2
        assert writer.stats.batches_written == 1
    [request] = engine.requests
    assert request.lines == split_lines(text.encode())
    assert b"\n\n" not in request.body.replace(b'"a\n\nb"', b"")
    assert not request.body.endswith(b"\n")
