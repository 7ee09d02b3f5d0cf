"""A chunked query left half-way releases its connection as soon as it is dropped.

The garbage collector is off in these tests: the connection must be released when the
last reference to the iterator goes, not whenever a collection happens to run (a
reference cycle would keep it, and the server streaming into it, until then).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from _connections import POINTS, connections_in_use, lines

from influxkit import InfluxDBClient, iterpoints
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy

# The proxy relays this much of the answer (a few chunks), and holds the rest back: the
# connection is in the middle of the answer when the iteration is abandoned.
HOLD_AFTER = 64 * 1024
QUERY = "SELECT v FROM m"


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()




@pytest.mark.usefixtures("no_gc")
def test_an_abandoned_blocking_iteration_releases_its_connection(
        influxdb_server: InfluxDBServer, database: str) -> None:
    with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                           mode="blocking") as client:
        client.write(lines())
        proxy.hold(HOLD_AFTER)
        try:
            first = []
            for chunk in client.query(QUERY, chunked=True, chunk_size=100):
                first = list(iterpoints(chunk))
                break
            assert first[0] == [0, 0]
            # The iterator is gone with the loop. Its connection is closed on the loop's
            # thread, by a callback queued before this call's own.
            client._modes.runner.run(asyncio.sleep(0))
            assert connections_in_use(client) == 0

            chunks = client.query(QUERY, chunked=True, chunk_size=100)
            next(chunks)
            del chunks
            client._modes.runner.run(asyncio.sleep(0))
            assert connections_in_use(client) == 0
        finally:
            proxy.release()
        # The client goes on, over new connections.
        assert sum(len(list(iterpoints(c)))
                   for c in client.query(QUERY, chunked=True, chunk_size=5_000)) == POINTS


@pytest.mark.usefixtures("no_gc")
async def test_an_abandoned_async_iteration_releases_its_connection(
        influxdb_server: InfluxDBServer, database: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.write(lines())
        proxy.hold(HOLD_AFTER)
        try:
            first = []
            async for chunk in await client.query(QUERY, chunked=True, chunk_size=100):
                first = list(iterpoints(chunk))
                break
            assert first[0] == [0, 0]
            assert connections_in_use(client) == 0

            chunks = await client.query(QUERY, chunked=True, chunk_size=100)
            await chunks.__anext__()
            del chunks
            assert connections_in_use(client) == 0
        finally:
            proxy.release()
        total = 0
        async for chunk in await client.query(QUERY, chunked=True, chunk_size=5_000):
            total += len(list(iterpoints(chunk)))
        assert total == POINTS
