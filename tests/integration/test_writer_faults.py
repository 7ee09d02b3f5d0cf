"""The batching writer through a fault-injecting proxy in front of the real server.

Each test hands the writer a known set of points while the proxy answers 503 or 429
(with ``Retry-After``), resets connections before or after the server stored a
batch, holds answers past the client's timeout, or refuses large bodies; then the
server is asked: ``count(*)`` must equal the points handed over, and every value must
be one that was written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from influxkit import InfluxDBClient, InfluxDBError
from influxkit._core.backoff import RetryPolicy
from influxkit._writer import Batch, WriterError
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy

pytestmark = pytest.mark.every_server

FAST = RetryPolicy(retry_interval=0.05, max_retry_delay=0.3, max_retries=1000,
                   max_retry_time=60)
OVERLOADED = b'{"error":"overloaded"}'
# The points' times: nanoseconds from 2020-09-13 (integers before 1971 are refused as
# times in the wrong unit).
T0 = 1_600_000_000_000_000_000


def points(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"measurement": "m", "fields": {"v": i}, "time": T0 + i}
            for i in range(start, start + n)]


def stored(server: InfluxDBServer, db: str) -> list[int]:
    answer = server.query('SELECT v FROM "m"', db=db)
    series = answer["results"][0].get("series")
    return [row[1] for row in series[0]["values"]] if series else []


@pytest.fixture
def proxy(influxdb_server: InfluxDBServer) -> Iterator[FaultProxy]:
    with FaultProxy(influxdb_server.url) as proxy:
        yield proxy


@pytest.fixture
async def client(proxy: FaultProxy, database: str) -> AsyncIterator[InfluxDBClient]:
    async with InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                              timeout=2) as client:
        yield client


async def test_503_for_a_while_then_everything_lands(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str) -> None:
    proxy.respond(503, OVERLOADED, count=5)
    retried: list[BaseException] = []
    async with client.writer(batch_size=100, retry=FAST,
                             on_retry=lambda b, e, wait: retried.append(e)) as writer:
        await writer.write(points(1_000))
    assert stored(influxdb_server, database) == list(range(1_000))
    assert len(retried) == 5
    assert all(getattr(error, "status", None) == 503 for error in retried)
    faults = [r for r in proxy.requests if r.fault == "respond"]
    assert len(faults) == 5


async def test_retry_after_is_honoured(client: InfluxDBClient, proxy: FaultProxy,
                                       influxdb_server: InfluxDBServer,
                                       database: str) -> None:
    proxy.respond(429, OVERLOADED, {"Retry-After": "1"}, count=2)
    waits: list[float] = []
    async with client.writer(batch_size=1_000, concurrency=1, retry=FAST,
                             on_retry=lambda b, e, wait: waits.append(wait)) as writer:
        await writer.write(points(100))
    assert waits == [1.0, 1.0]
    writes = [r for r in proxy.requests if r.path.endswith("/write")]
    assert [r.status for r in writes] == [429, 429, 204]
    assert writes[1].time - writes[0].time >= 1.0
    assert writes[2].time - writes[1].time >= 1.0
    assert stored(influxdb_server, database) == list(range(100))


async def test_other_server_errors_are_retried_only_when_asked(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str) -> None:
    proxy.respond(500, b'{"error":"boom"}', count=1)
    strict = RetryPolicy(retry_interval=0.01, retry_server_errors=False)
    writer = client.writer(retry=strict)
    await writer.write(points(10))
    with pytest.raises(WriterError, match="boom"):
        await writer.flush()
    proxy.respond(500, b'{"error":"boom"}', count=1)
    await writer.write(points(10, 10))
    with pytest.raises(WriterError, match="boom"):
        await writer.close()
    assert writer.stats.points_failed == 20
    assert writer.stats.retries == 0
    async with client.writer(retry=FAST) as lenient:
        proxy.respond(502, b"bad gateway", count=2)
        await lenient.write(points(10, 20))
    assert stored(influxdb_server, database) == list(range(20, 30))


@pytest.mark.parametrize("after_request", [False, True])
async def test_reset_connections_lose_nothing(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str, after_request: bool) -> None:
    # After the request, the server stored the batch and the client saw the connection
    # drop: it sends the batch again, which overwrites the same points.
    proxy.reset(count=4, after_request=after_request)
    async with client.writer(batch_size=50, retry=FAST) as writer:
        await writer.write(points(500))
    assert stored(influxdb_server, database) == list(range(500))
    assert writer.stats.retries == 4
    assert writer.stats.points_failed == 0


async def test_answers_delayed_past_the_timeout_lose_nothing(
        proxy: FaultProxy, influxdb_server: InfluxDBServer, database: str) -> None:
    async with InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                              timeout=0.3) as client:
        proxy.delay(1.0, count=3)
        async with client.writer(batch_size=100, retry=FAST) as writer:
            await writer.write(points(600))
    assert stored(influxdb_server, database) == list(range(600))
    assert writer.stats.retries >= 3


async def test_a_413_from_a_proxy_splits_the_batch(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str) -> None:
    proxy.limit_body(2_000)
    sent: list[Batch] = []
    async with client.writer(batch_size=1_000, on_success=sent.append) as writer:
        await writer.write(points(1_000))
    assert stored(influxdb_server, database) == list(range(1_000))
    assert all(r.body_size <= 2_000 for r in proxy.requests if r.status == 204)
    assert len(sent) >= 8  # 1,000 points of ~13 bytes, 2,000 bytes a request at most


async def test_a_server_unreachable_behind_the_proxy_and_back(
        influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    with FaultProxy(server.url) as proxy:
        async with InfluxDBClient(host=proxy.host, port=proxy.port, db="db") as client, \
                client.writer(batch_size=100, flush_interval=0.05, retry=FAST) as writer:
            await writer.write(points(300))
            await writer.flush()
            proxy.respond(502, b'{"error":"no upstream"}', count=None, duration=1.0)
            started = time.monotonic()
            await writer.write(points(300, 300))
            await writer.flush()
            assert time.monotonic() - started >= 0.9
    assert stored(server, "db") == list(range(600))


async def test_several_requests_in_flight(client: InfluxDBClient, proxy: FaultProxy,
                                          influxdb_server: InfluxDBServer,
                                          database: str) -> None:
    # The first four answers are held back 1 s (within the client's timeout): a writer
    # sending one batch at a time would send its second 1 s after its first; one with
    # four in flight sends four before the first answer comes back.
    proxy.delay(1.0, count=4)
    async with client.writer(batch_size=100, concurrency=4) as writer:
        await writer.write(points(800))
    writes = [r for r in proxy.requests if r.path.endswith("/write")]
    assert [r.status for r in writes] == [204] * 8
    assert writes[3].time - writes[0].time < 1.0
    assert stored(influxdb_server, database) == list(range(800))
    await asyncio.sleep(0)


# -- sessions and SeriesHelper commit through the same machinery ------------------------------


async def test_a_session_commit_retries_as_its_policy_says(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str) -> None:
    proxy.respond(503, OVERLOADED, count=2)
    async with client.session(retry=FAST) as session:
        await session.write(points(100))
    assert stored(influxdb_server, database) == list(range(100))
    assert [r.status for r in proxy.requests if r.path.endswith("/write")] == [503, 503, 204]


async def test_a_failed_session_commit_keeps_its_points(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str) -> None:
    session = client.session()  # no retries by default: the commit raises
    await session.write(points(50))
    proxy.respond(503, OVERLOADED, count=1)
    with pytest.raises(InfluxDBError, match="overloaded"):
        await session.commit()
    assert session.pending == 50
    await session.commit()
    assert session.pending == 0
    assert stored(influxdb_server, database) == list(range(50))


async def test_a_session_commit_too_large_for_the_server_is_split(
        client: InfluxDBClient, proxy: FaultProxy, influxdb_server: InfluxDBServer,
        database: str) -> None:
    proxy.limit_body(1_000)
    async with client.session() as session:
        await session.write(points(400))
    assert stored(influxdb_server, database) == list(range(400))
    assert max(r.body_size for r in proxy.requests if r.status == 204) <= 1_000


def test_a_serieshelper_commit_too_large_for_the_server_is_split(
        proxy: FaultProxy, influxdb_server: InfluxDBServer, database: str) -> None:
    from influxkit import SeriesHelper

    proxy.limit_body(300)
    with InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                        mode="blocking") as blocking:

        class Reading(SeriesHelper):
            class Meta:
                client = blocking
                series_name = "m"
                fields = ("v",)
                tags = ()

        for value in range(100):
            Reading(v=value, time=T0 + value)
        Reading.commit()
    assert stored(influxdb_server, database) == list(range(100))
    assert len([r for r in proxy.requests if r.status == 204]) >= 4
