"""How the real server's refusals reach the user: query, statement and write errors."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from influxkit import (
    InfluxDBClient,
    InfluxDBError,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBWriteError,
    LineProtocolError,
    PartialWriteError,
)
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server

T0 = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z


@pytest.fixture(params=["msgpack", "json"])
async def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                 influxdb_server: InfluxDBServer, database: str) -> AsyncIterator[InfluxDBClient]:
    """A client that reads MessagePack answers, and one that reads JSON (no msgpack)."""
    if request.param == "json":
        monkeypatch.setattr("influxkit._engine.msgpack_available", lambda: False)
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database) as client:
        yield client


def rows(server: InfluxDBServer, database: str, query: str) -> list[list[Any]]:
    answer = server.query(query, db=database)
    return [row for series in answer["results"][0].get("series", ()) for row in series["values"]]


async def write_strings(client: InfluxDBClient) -> None:
    await client.write([
        {"measurement": "m", "fields": {"s": "a", "f": 1.5}, "time": T0 + 1},
        {"measurement": "m", "fields": {"s": "b", "f": 2.5}, "time": T0 + 2},
    ])


# -- statement errors -------------------------------------------------------------------------


async def test_failed_statement_gives_the_real_error(client: InfluxDBClient) -> None:
    await write_strings(client)
    query = "SELECT * FROM m; SELECT mean(s) FROM m"
    with pytest.raises(InfluxDBQueryError) as info:
        await client.query(query)
    error = info.value
    # influxd 1.6's plain answer says only "not executed": the real message is read.
    assert "unsupported mean iterator type" in error.message
    assert "not executed" not in str(error)
    assert error.statement_id == 1
    assert error.statement == "SELECT mean(s) FROM m"
    assert error.query == query
    assert "statement 1" in str(error)
    assert "SELECT mean(s) FROM m" in str(error)


async def test_failed_first_statement_of_three(client: InfluxDBClient) -> None:
    await write_strings(client)
    query = 'SELECT mean("s") FROM "m" WHERE s = \'x;y\'; SELECT * FROM m; SELECT 1 FROM m'
    with pytest.raises(InfluxDBQueryError) as info:
        await client.query(query)
    assert info.value.statement_id == 0
    assert info.value.statement == 'SELECT mean("s") FROM "m" WHERE s = \'x;y\''
    assert "unsupported mean iterator type" in info.value.message


async def test_failed_statement_with_a_small_chunk_size(client: InfluxDBClient) -> None:
    await client.write([{"measurement": "m", "fields": {"s": str(i)}, "time": T0 + i}
                        for i in range(10)])
    with pytest.raises(InfluxDBQueryError, match="unsupported mean iterator type") as info:
        await client.query("SELECT * FROM m; SELECT mean(s) FROM m", chunk_size=3)
    assert info.value.statement_id == 1


async def test_failed_statement_while_iterating_chunks(client: InfluxDBClient) -> None:
    await write_strings(client)
    chunks = await client.query("SELECT * FROM m; SELECT mean(s) FROM m", chunked=True,
                                chunk_size=1)
    seen = []

    async def consume() -> None:
        async with chunks:
            async for chunk in chunks:
                seen.append(chunk)

    with pytest.raises(InfluxDBQueryError, match="unsupported mean iterator type") as info:
        await consume()
    assert info.value.statement_id == 1
    assert info.value.statement == "SELECT mean(s) FROM m"
    # The first statement's chunks came before the error.
    assert [row for chunk in seen for row in chunk["results"][0]["series"][0]["values"]] == [
        [T0 + 1, 1.5, "a"], [T0 + 2, 2.5, "b"]]


async def test_database_not_found(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBQueryError, match="database not found: nope_") as info:
        await client.query("SELECT * FROM m", db="nope_influxkit")
    assert info.value.statement_id == 0


async def test_database_name_required(influxdb_server: InfluxDBServer) -> None:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port) as client:
        with pytest.raises(InfluxDBQueryError, match="database name required"):
            await client.query("SELECT * FROM m")


def test_failed_statement_in_blocking_mode(influxdb_server: InfluxDBServer, database: str) -> None:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        client.write({"measurement": "m", "fields": {"s": "x"}, "time": T0})
        with pytest.raises(InfluxDBQueryError, match="unsupported mean iterator type"):
            client.query("SELECT * FROM m; SELECT mean(s) FROM m")


# -- HTTP errors of queries ------------------------------------------------------------------


async def test_parse_error_is_http_400_with_the_servers_message(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBHTTPError) as info:
        await client.query("SELEKT * FROM m")
    error = info.value
    assert not isinstance(error, InfluxDBQueryError)
    assert not isinstance(error, InfluxDBWriteError)
    assert error.status == 400
    assert error.message.startswith("error parsing query: found SELEKT, expected SELECT")
    assert "line 1, char 1" in error.message
    assert "error parsing query" in str(error)
    assert not error.retryable


async def test_parse_error_in_a_later_statement(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBHTTPError, match="error parsing query") as info:
        await client.query("SELECT * FROM m; SELECT FROM")
    assert info.value.status == 400


async def test_missing_bind_parameter_is_http_400(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBHTTPError) as info:
        await client.query("SELECT * FROM m WHERE h = $h", params={"other": 1})
    assert info.value.status == 400
    assert "missing parameter: h" in info.value.message


# -- write errors -----------------------------------------------------------------------------


async def test_unparseable_line_is_a_write_error(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write("not line protocol")
    error = info.value
    assert isinstance(error, InfluxDBHTTPError)
    assert not isinstance(error, PartialWriteError)
    assert error.status == 400
    assert error.message.startswith("unable to parse 'not line protocol'")
    assert error.method == "POST"
    assert "/write" in error.url
    assert "unable to parse" in str(error)


async def test_write_to_a_missing_database(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write({"measurement": "m", "fields": {"f": 1}}, db="nope_influxkit")
    assert info.value.status == 404
    assert info.value.message == 'database not found: "nope_influxkit"'


async def test_write_to_a_missing_retention_policy(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write({"measurement": "m", "fields": {"f": 1}}, rp="nope")
    assert info.value.status in (400, 500)
    assert "retention policy not found: nope" in info.value.message


async def test_partial_write(client: InfluxDBClient, influxdb_server: InfluxDBServer,
                             database: str) -> None:
    await client.write({"measurement": "m", "fields": {"f": 1.5}, "time": T0 + 1})
    with pytest.raises(PartialWriteError) as info:
        await client.write([
            {"measurement": "m", "fields": {"f": 2}, "time": T0 + 2},  # an integer: conflict
            {"measurement": "m", "fields": {"f": 3.5}, "time": T0 + 3},
            {"measurement": "m", "fields": {"f": 4}, "time": T0 + 4},  # conflict
        ])
    error = info.value
    assert isinstance(error, InfluxDBWriteError)
    assert error.status == 400
    assert error.dropped == 2
    assert "field type conflict" in error.message
    assert not error.retryable
    # The good point was stored.
    assert rows(influxdb_server, database, "SELECT f FROM m") == [
        ["2009-11-10T23:00:00.000000001Z", 1.5], ["2009-11-10T23:00:00.000000003Z", 3.5]]


async def test_partial_write_of_a_dropped_time_key(client: InfluxDBClient) -> None:
    # Raw line protocol is sent as it is; the server drops a point whose only field is
    # 'time' (and silently drops a 'time' field next to others).
    with pytest.raises(PartialWriteError) as info:
        await client.write("m time=1i 1\nm f=2i 2")
    assert info.value.dropped == 1
    assert 'invalid field name: input field "time"' in info.value.message


@pytest.mark.parametrize(
    "bad",
    [
        {"measurement": "m", "fields": {"f": math.nan}},
        {"measurement": "m", "fields": {"f": 2**63}},
        {"measurement": "m", "tags": {"t": "a\nb"}, "fields": {"f": 1}},
        {"measurement": "#m", "fields": {"f": 1}},
        {"measurement": "m", "fields": {"time": 1}},
        {"measurement": "m", "fields": {"f": None}},
    ],
    ids=["nan", "int64", "newline", "comment", "time", "no fields"],
)
async def test_refused_points_send_nothing(client: InfluxDBClient, influxdb_server: InfluxDBServer,
                                           database: str, bad: dict[str, Any]) -> None:
    good = [{"measurement": "m", "fields": {"f": 1}, "time": T0 + i} for i in range(3)]
    with pytest.raises(LineProtocolError) as info:
        await client.write([*good, bad, *good])
    assert info.value.index == 3
    assert "point 3" in str(info.value)
    assert isinstance(info.value, InfluxDBError)
    assert rows(influxdb_server, database, "SELECT * FROM /.*/") == []


async def test_unknown_precision_sends_nothing(client: InfluxDBClient,
                                               influxdb_server: InfluxDBServer,
                                               database: str) -> None:
    with pytest.raises(ValueError, match="unknown precision"):
        await client.write({"measurement": "m", "fields": {"f": 1}}, precision="sec")
    assert rows(influxdb_server, database, "SELECT * FROM /.*/") == []


# -- the connection of a failed chunked query ------------------------------------------------


class _StalledContent:
    """A body whose first piece arrived and whose rest has not (yet)."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.total_bytes = len(first)

    async def iter_any(self) -> AsyncIterator[bytes]:
        yield self.first
        await asyncio.Event().wait()


class _StalledResponse:
    def __init__(self, first: bytes) -> None:
        self.status = 200
        self.headers = {"Content-Type": "application/json"}
        self.content = _StalledContent(first)
        self.closed = False

    def close(self) -> None:
        self.closed = True


async def test_failed_statement_while_iterating_releases_the_connection() -> None:
    from influxkit._core.credentials import Credentials
    from influxkit._engine import ChunkedResponse
    from influxkit._transport import Transport

    response = _StalledResponse(b'{"results":[{"statement_id":0,"error":"boom"}]}\n')
    transport = Transport(None, ssl=False, credentials=Credentials(),  # type: ignore[arg-type]
                          session_options={})
    chunks = ChunkedResponse(transport, response, "SELECT 1", "json",  # type: ignore[arg-type]
                             "ns")

    async def consume() -> None:
        async for _ in chunks:
            pass

    with pytest.raises(InfluxDBQueryError, match="boom"):
        await asyncio.wait_for(consume(), 5)
    assert response.closed


# -- secrets a server or a proxy echoes ----------------------------------------------------

SECRET = 'p@ss "wörd"/1&x'


def _echoes(user: str, secret: str) -> list[str]:
    import base64
    import urllib.parse

    basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return [secret, urllib.parse.quote(secret, safe=""), json.dumps(secret)[1:-1],
            f"Basic {basic}"]


@pytest.mark.parametrize("path", ["/query", "/write"])
async def test_credentials_a_proxy_echoes_are_scrubbed(path: str,
                                                       influxdb_server: InfluxDBServer,
                                                       database: str) -> None:
    from influxkit.testing.faultproxy import FaultProxy

    echoes = _echoes("alice", SECRET)
    body = json.dumps({"error": "refused: " + " | ".join(echoes)})
    with FaultProxy(influxdb_server.url) as proxy:
        proxy.respond(401, body, {"X-Influxdb-Error": " | ".join(echoes)}, path=path)
        async with InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                                  username="alice", password=SECRET) as client:
            call = (client.query("SELECT * FROM m") if path == "/query"
                    else client.write("m v=1"))
            with pytest.raises(InfluxDBHTTPError) as caught:
                await call
    error = caught.value
    shown = [str(error), repr(error.args), error.message, *error.headers.values()]
    for echo in echoes:
        if echo.startswith("Basic "):
            echo = echo.split(" ", 1)[1]
        assert not any(echo in text for text in shown), echo
    assert "refused: " in error.message
    assert error.status == 401
