"""Answer formats: MessagePack where the server has it, JSON where it hasn't.

A small proxy of the suite's own stands in front of the real server and plays a server
without MessagePack (as InfluxDB 3.x is): one that answers in JSON whatever is asked,
and one that refuses MessagePack with 406.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from influxkit import InfluxDBClient
from influxkit.testing import InfluxDBServer

MSGPACK = "application/x-msgpack"


async def start_proxy(target: str, mode: str) -> tuple[web.AppRunner, int]:
    async def forward(request: web.Request) -> web.StreamResponse:
        accept = request.headers.get("Accept", "")
        if mode == "refuse" and MSGPACK in accept:
            return web.json_response({"error": "unsupported format"}, status=406)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "accept", "content-length")}
        headers["Accept"] = "application/json" if mode == "json-only" else accept
        async with aiohttp.ClientSession() as session, session.request(
                request.method, f"{target}{request.path_qs}", data=await request.read(),
                headers=headers) as upstream:
            body = await upstream.read()
            return web.Response(body=body, status=upstream.status,
                                content_type=upstream.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


@pytest.fixture(params=["json-only", "refuse"])
async def proxied(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer,
                  database: str) -> AsyncIterator[InfluxDBClient]:
    runner, port = await start_proxy(influxdb_server.url, request.param)
    try:
        async with InfluxDBClient(host="127.0.0.1", port=port, db=database) as client:
            yield client
    finally:
        await runner.cleanup()


async def test_json_answers_have_the_same_shapes(proxied: InfluxDBClient) -> None:
    await proxied.write(["m,host=a v=1.5,n=2i 1", "m,host=b v=2.5,n=3i 2"])
    result = await proxied.query("SELECT v, n FROM m GROUP BY host; SHOW MEASUREMENTS")
    assert result == {"results": [
        {"statement_id": 0, "series": [
            {"name": "m", "tags": {"host": "a"}, "columns": ["time", "v", "n"],
             "values": [[1, 1.5, 2]]},
            {"name": "m", "tags": {"host": "b"}, "columns": ["time", "v", "n"],
             "values": [[2, 2.5, 3]]}]},
        {"statement_id": 1, "series": [
            {"name": "measurements", "columns": ["name"], "values": [["m"]]}]},
    ]}
    chunks: list[Any] = [c async for c in await proxied.query("SELECT v FROM m", chunked=True,
                                                               chunk_size=1)]
    assert len(chunks) == 2


async def test_refused_messagepack_switches_the_client_to_json(
        influxdb_server: InfluxDBServer, database: str) -> None:
    runner, port = await start_proxy(influxdb_server.url, "refuse")
    try:
        async with InfluxDBClient(host="127.0.0.1", port=port, db=database) as client:
            await client.write("m v=1 1")
            assert (await client.query("SELECT v FROM m"))["results"][0]["series"][0][
                "values"] == [[1, 1]]
            assert client._engine._accept == "application/json"
    finally:
        await runner.cleanup()
