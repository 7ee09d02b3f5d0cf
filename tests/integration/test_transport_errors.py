"""What a request can raise: influxkit's errors, with the original chained, and nothing
else; cancellation stays cancellation; no reader left waiting for ever, no answer cut
short that ends quietly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from _connections import connections_in_use, lines

from influxkit import InfluxDBClient, InfluxDBConnectionError
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy

HOLD_AFTER = 64 * 1024
QUERY = "SELECT v FROM m"




async def read_all(client: InfluxDBClient) -> None:
    async for _ in await client.query(QUERY, chunked=True, chunk_size=1_000):
        pass


OPERATIONS: dict[str, tuple[str, Callable[[InfluxDBClient], Awaitable[Any]]]] = {
    "ping": ("/ping", lambda client: client.ping()),
    "write": ("/write", lambda client: client.write("m v=1i")),
    "query": ("/query", lambda client: client.query(QUERY)),
    "chunked query": ("/query", read_all),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("after_request", [False, True], ids=["before", "after"])
async def test_a_connection_reset_is_a_connection_error(
        influxdb_server: InfluxDBServer, database: str, operation: str,
        after_request: bool) -> None:
    path, call = OPERATIONS[operation]
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.write(lines())
        # Reset before the request reaches the server, or once the server has answered
        # (a write stored, an answer lost); every time (aiohttp sends a GET again once
        # when a kept-alive connection was dropped).
        proxy.reset(path=path, after_request=after_request, count=None)
        with pytest.raises(InfluxDBConnectionError) as raised:
            await call(client)
        assert isinstance(raised.value.__cause__, aiohttp.ClientError)
        assert [r.fault for r in proxy.requests if r.path == path][-1] == "reset"
        proxy.clear()
        await call(client)  # and the client goes on


async def test_an_answer_cut_short_is_a_connection_error(influxdb_server: InfluxDBServer,
                                                         database: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.write(lines())
        proxy.hold(HOLD_AFTER)
        chunks = await client.query(QUERY, chunked=True, chunk_size=100)
        await chunks.__anext__()
        # The proxy goes away in the middle of the answer: the connection is reset.
        await asyncio.to_thread(proxy.stop)
        with pytest.raises(InfluxDBConnectionError) as raised:
            async for _ in chunks:
                pass
        assert isinstance(raised.value.__cause__, aiohttp.ClientError)


async def test_a_cancelled_write_is_cancelled(influxdb_server: InfluxDBServer,
                                             database: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.ping()
        proxy.delay(3600)
        write = asyncio.ensure_future(client.write("m v=1i"))
        await asyncio.to_thread(proxy.wait_for_requests, 1, path="/write")
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write
        assert connections_in_use(client) == 0


async def test_a_cancelled_chunk_read_is_cancelled(influxdb_server: InfluxDBServer,
                                                  database: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.write(lines())
        proxy.hold(0)
        chunks = await client.query(QUERY, chunked=True)
        read = asyncio.ensure_future(chunks.__anext__())
        await asyncio.sleep(0)  # one turn of the loop: the read waits for the held answer
        read.cancel()
        try:
            with pytest.raises(asyncio.CancelledError):
                await read
            assert connections_in_use(client) == 0
        finally:
            proxy.release()


async def test_closing_an_async_client_ends_a_read_waiting_in_another_task(
        influxdb_server: InfluxDBServer, database: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy:
        client = InfluxDBClient(host=proxy.host, port=proxy.port, db=database)
        await client.write(lines())
        proxy.hold(0)
        try:
            chunks = await client.query(QUERY, chunked=True)
            read = asyncio.ensure_future(chunks.__anext__())
            await asyncio.sleep(0)  # one turn of the loop: the read waits for the held answer
            await client.close()
            # Not a measure: a read nobody wakes waits for ever (aiohttp closes the
            # connection, and forgets the stream that waits on it).
            with pytest.raises(InfluxDBConnectionError):
                await asyncio.wait_for(read, 30)
        finally:
            proxy.release()
            await client.close()


def test_reading_on_after_a_blocking_client_closed_is_an_error(
        influxdb_server: InfluxDBServer, database: str) -> None:
    with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                           mode="blocking") as client:
        client.write(lines())
        proxy.hold(HOLD_AFTER)
        chunks = client.query(QUERY, chunked=True, chunk_size=100)
        next(chunks)
        client.close()
        proxy.release()
        # The answer was cut short: that never ends an iteration as if it were whole.
        with pytest.raises(InfluxDBConnectionError, match="closed"):
            list(chunks)
        assert client.query("SELECT count(v) FROM m")["results"][0]["series"]
