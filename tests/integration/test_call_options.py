"""Per-call options of ``write``, ``query`` and ``ping``: a timeout for the whole call,
and an opt-in retry policy, against the real server behind a fault proxy."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from influxkit import (
    InfluxDBClient,
    InfluxDBServerError,
    InfluxDBTimeoutError,
    RetryPolicy,
    ServerUnavailableError,
)
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy

POINT = {"measurement": "m", "fields": {"v": 1.5}, "time": 1_700_000_000_000_000_000}
QUICK = RetryPolicy(retry_interval=0.0, max_retries=3)


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@pytest.fixture
def proxy(influxdb_server: InfluxDBServer) -> Iterator[FaultProxy]:
    with FaultProxy(influxdb_server.url) as proxy:
        yield proxy


@pytest.fixture(params=["async", "blocking"])
async def client(request: pytest.FixtureRequest, proxy: FaultProxy,
                 database: str) -> AsyncIterator[InfluxDBClient]:
    # The server is given: the proxy's requests are then only the test's (no /ping
    # to learn it).
    async with InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                              mode=request.param, server="1.6") as client:
        yield client


def stored(server: InfluxDBServer, database: str) -> list[Any]:
    answer = server.query("SELECT v FROM m", db=database)
    return [row for series in answer["results"][0].get("series", ())
            for row in series["values"]]


async def test_a_write_retries_what_its_policy_retries(client: InfluxDBClient,
                                                       proxy: FaultProxy,
                                                       influxdb_server: InfluxDBServer,
                                                       database: str) -> None:
    proxy.respond(503, b'{"error":"busy"}', count=2)
    assert await run(client.write(POINT, retry=QUICK)) is True
    assert [request.path for request in proxy.requests] == ["/write"] * 3
    assert stored(influxdb_server, database) == [["2023-11-14T22:13:20Z", 1.5]]


async def test_without_a_policy_a_write_is_sent_once(client: InfluxDBClient,
                                                     proxy: FaultProxy,
                                                     influxdb_server: InfluxDBServer,
                                                     database: str) -> None:
    proxy.respond(503, b'{"error":"busy"}', count=1)
    with pytest.raises(ServerUnavailableError):
        await run(client.write(POINT))
    assert len(proxy.requests) == 1
    assert stored(influxdb_server, database) == []


async def test_a_write_gives_up_when_its_policy_does(client: InfluxDBClient,
                                                     proxy: FaultProxy) -> None:
    proxy.respond(500, b'{"error":"broken"}', count=None)
    with pytest.raises(InfluxDBServerError):
        await run(client.write(POINT, retry=RetryPolicy(retry_interval=0.0, max_retries=2)))
    assert len(proxy.requests) == 3


async def test_a_refusal_is_not_retried(client: InfluxDBClient, proxy: FaultProxy) -> None:
    proxy.respond(400, b'{"error":"unable to parse"}', count=None)
    with pytest.raises(Exception, match="unable to parse"):
        await run(client.write(POINT, retry=QUICK))
    assert len(proxy.requests) == 1


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_query_retries_what_its_policy_retries(client: InfluxDBClient,
                                                       proxy: FaultProxy,
                                                       influxdb_server: InfluxDBServer,
                                                       database: str, chunked: bool) -> None:
    influxdb_server.write("m v=2.5 1700000000000000000", db=database)
    proxy.respond(503, b'{"error":"busy"}', count=2, path="/query")
    answer = await run(client.query("SELECT v FROM m", retry=QUICK, chunked=chunked))
    if chunked:
        answer = [chunk async for chunk in answer] if client.mode == "async" else list(answer)
        answer = answer[0]
    assert answer["results"][0]["series"][0]["values"] == [[1_700_000_000_000_000_000, 2.5]]
    assert [request.path for request in proxy.requests] == ["/query"] * 3


async def test_a_query_that_outlives_its_timeout_raises(client: InfluxDBClient,
                                                        proxy: FaultProxy,
                                                        influxdb_server: InfluxDBServer,
                                                        database: str) -> None:
    # The answer's body is held back: only the call's timeout can end the wait.
    influxdb_server.write("m v=2.5 1700000000000000000", db=database)
    proxy.hold(0)
    try:
        with pytest.raises(InfluxDBTimeoutError, match="query: not done within its timeout"):
            await run(client.query("SELECT v FROM m", timeout=0.5))
    finally:
        proxy.release()
    # The client is fine afterwards.
    answer = await run(client.query("SELECT v FROM m", timeout=30))
    assert answer["results"][0]["series"][0]["values"] == [[1_700_000_000_000_000_000, 2.5]]


async def test_a_write_that_outlives_its_timeout_raises(client: InfluxDBClient,
                                                        proxy: FaultProxy) -> None:
    proxy.delay(60, path="/write")
    with pytest.raises(InfluxDBTimeoutError, match="write: not done within its timeout"):
        await run(client.write(POINT, timeout=0.5))


async def test_ping_takes_a_timeout(client: InfluxDBClient, proxy: FaultProxy) -> None:
    headers = await run(client.ping(timeout=10))
    assert "X-Influxdb-Version" in headers
    proxy.delay(60, path="/ping")
    with pytest.raises(InfluxDBTimeoutError):
        await run(client.ping(timeout=0.5))


@pytest.mark.parametrize(("options", "error"), [
    ({"timeout": 0}, ValueError), ({"timeout": -1}, ValueError), ({"timeout": "5"}, ValueError),
    ({"retry": 3}, TypeError),
])
async def test_bad_call_options_are_refused_before_sending(client: InfluxDBClient,
                                                           proxy: FaultProxy,
                                                           options: dict[str, Any],
                                                           error: type[Exception]) -> None:
    with pytest.raises(error):
        await run(client.write(POINT, **options))
    with pytest.raises(error):
        await run(client.query("SELECT v FROM m", **options))
    assert proxy.requests == []
