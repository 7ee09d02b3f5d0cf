"""FaultProxy in front of a real influxd: forwarding, each fault, the records, a
server that restarts or freezes behind it, and a clean stop.

Requests go through plain aiohttp or http.client, and through InfluxDBClient
where its handling of the answers is the point.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from influxkit import InfluxDBClient, RequestTooLargeError, ServerUnavailableError
from influxkit.testing import TEST_URL_ENV, InfluxDBServer, InfluxDBServerError
from influxkit.testing.faultproxy import FaultProxy, RecordedRequest

local_only = pytest.mark.skipif(
    bool(os.environ.get(TEST_URL_ENV)),
    reason=f"needs a private server, but ${TEST_URL_ENV} is set",
)

T0 = 1_700_000_000_000_000_000


def lines(count: int, start: int = 0) -> bytes:
    """*count* points of "cpu" on 10 hosts, one per nanosecond from T0 + *start*."""
    return b"".join(
        b"cpu,host=h%d value=%di %d\n" % (i % 10, i, T0 + i) for i in range(start, start + count)
    )


def points(server: InfluxDBServer, database: str) -> int:
    """How many points "cpu" holds, asked of the server directly."""
    answer = server.query('SELECT count("value") FROM "cpu"', db=database)
    series = answer["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def summary(requests: list[RecordedRequest]) -> list[tuple[Any, ...]]:
    return [(r.path, r.fault, r.status, r.upstream_status) for r in requests]


@pytest.fixture
def proxy(influxdb_server: InfluxDBServer) -> Iterator[FaultProxy]:
    with FaultProxy(influxdb_server.url) as proxy:
        yield proxy


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes | dict[str, str],
    timeout: float = 10.0,
    **params: str,
) -> tuple[int, dict[str, str], bytes]:
    """POST *body* (a dict as a form); return the status, headers and body of the answer."""
    # aiohttp warns about large bytes bodies, not about file-like ones.
    data = io.BytesIO(body) if isinstance(body, bytes) else body
    async with session.post(
        url, params=params, data=data, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as response:
        return response.status, dict(response.headers), await response.read()


@contextlib.asynccontextmanager
async def fake_server(
    answer: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any],
    heads: list[bytes] | None = None,
) -> AsyncIterator[str]:
    """A one-trick HTTP server on the test's loop: *answer* handles each connection,
    once the request is read; its head is added to *heads*."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if heads is not None:
                heads.append(head)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            await answer(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


# -- forwarding -------------------------------------------------------------------------


async def test_forwards_ping_writes_and_queries(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    async with session.get(f"{proxy.url}/ping") as response:
        assert response.status == 204
        assert response.headers["X-Influxdb-Version"] == influxdb_server.version
    status, _, _ = await post(session, f"{proxy.url}/write", lines(3), db=database)
    assert status == 204
    status, _, body = await post(
        session, f"{proxy.url}/query", {"q": 'SELECT "value" FROM "cpu"'}, db=database, epoch="ns"
    )
    assert status == 200
    assert json.loads(body)["results"][0]["series"][0]["values"] == [
        [T0, 0], [T0 + 1, 1], [T0 + 2, 2]
    ]
    assert points(influxdb_server, database) == 3

    ping, write, query = proxy.requests
    assert (ping.method, ping.path, ping.params, ping.body_size, ping.lines) == (
        "GET", "/ping", {}, 0, None
    )
    assert (write.method, write.params, write.body_size, write.lines) == (
        "POST", {"db": database}, len(lines(3)), 3
    )
    assert query.params == {"db": database, "epoch": "ns"}
    assert query.lines is None
    assert summary(proxy.requests) == [
        ("/ping", None, 204, 204), ("/write", None, 204, 204), ("/query", None, 200, 200)
    ]
    assert ping.time <= write.time <= query.time <= time.monotonic()
    proxy.clear_requests()
    assert proxy.requests == []


def test_relays_answers_unchanged(
    proxy: FaultProxy, influxdb_server: InfluxDBServer, database: str
) -> None:
    varying = {"date", "request-id", "x-request-id"}

    def request(port: int, method: str, target: str, body: bytes | None) -> tuple[Any, ...]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(method, target, body=body)
            response = conn.getresponse()
            headers = [
                (name, "" if name.lower() in varying else value)
                for name, value in response.getheaders()
            ]
            return response.status, response.reason, headers, response.read()
        finally:
            conn.close()

    for method, target, body in [
        ("POST", f"/write?db={database}", b"cpu value=oops\n"),  # 400, a parse error
        ("POST", "/write?db=nope", b"cpu value=1\n"),  # 404, database not found
        ("GET", "/nowhere", None),  # 404 text/plain
        ("GET", f"/query?db={database}&q=SELECT", None),  # 400, a bad query
        ("HEAD", "/ping", None),
    ]:
        direct = request(influxdb_server.port, method, target, body)
        proxied = request(proxy.port, method, target, body)
        assert proxied == direct
        assert direct[0] in (204, 400, 404)


def test_keeps_client_connections_alive(proxy: FaultProxy, database: str) -> None:
    conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=10)
    try:
        conn.request("GET", "/ping")
        conn.getresponse().read()
        sock = conn.sock
        for start in range(3):
            conn.request("POST", f"/write?db={database}", body=lines(1, start))
            response = conn.getresponse()
            assert response.status == 204
            response.read()
            assert conn.sock is sock
    finally:
        conn.close()

    # A client asking for the connection to be closed gets it closed.
    with socket.create_connection((proxy.host, proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b"\r\nConnection: close\r\n" in received


def test_chunked_request_bodies_and_expect_continue(
    proxy: FaultProxy, influxdb_server: InfluxDBServer, database: str
) -> None:
    conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=10)
    try:
        # An iterable body without a length goes out with Transfer-Encoding: chunked.
        conn.request("POST", f"/write?db={database}", body=iter([lines(2), lines(3, 2)]))
        response = conn.getresponse()
        assert (response.status, response.read()) == (204, b"")
    finally:
        conn.close()
    assert points(influxdb_server, database) == 5
    (record,) = proxy.requests
    assert (record.body_size, record.lines) == (len(lines(5)), 5)

    body = lines(2, 5)
    with socket.create_connection((proxy.host, proxy.port), timeout=10) as sock:
        sock.sendall(
            f"POST /write?db={database} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert sock.recv(65536).startswith(b"HTTP/1.1 204 No Content\r\n")
    assert points(influxdb_server, database) == 7


async def test_requests_as_forwarded(session: aiohttp.ClientSession) -> None:
    # What the server receives: the target's path prefix and Host, the body with a
    # Content-Length, and every other header as the client sent it.
    heads: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 204 No Content\r\nX-Seen: yes\r\n\r\n")

    async def chunks() -> AsyncIterator[bytes]:
        yield b"cpu value=1 1\n"
        yield b"cpu value=2 2\n"

    async with fake_server(answer, heads) as url, FaultProxy(f"{url}/prefix/") as proxy, \
            session.post(f"{proxy.url}/write?db=x&precision=s", data=chunks(),
                         headers={"Authorization": "Token t",
                                  "Content-Encoding": "identity"}) as response:
        assert response.status == 204
        assert response.headers["X-Seen"] == "yes"
    (head,) = heads
    request_line, *fields = head.decode().split("\r\n")
    assert request_line == "POST /prefix/write?db=x&precision=s HTTP/1.1"
    headers = {name.lower(): value for name, _, value in (f.partition(": ") for f in fields if f)}
    assert headers["host"] == url.removeprefix("http://")
    assert headers["content-length"] == "28"
    assert "transfer-encoding" not in headers
    assert (headers["authorization"], headers["content-encoding"]) == ("Token t", "identity")
    (record,) = proxy.requests
    assert (record.path, record.params, record.lines) == (
        "/write", {"db": "x", "precision": "s"}, 2
    )


async def test_https_server(
    influxdb_tls_server: InfluxDBServer, session: aiohttp.ClientSession
) -> None:
    context = ssl.create_default_context(cafile=influxdb_tls_server.ca_file)
    async with FaultProxy(influxdb_tls_server.url, ssl_context=context) as proxy, \
            session.get(f"{proxy.url}/ping") as response:
        assert response.status == 204
    with pytest.raises(InfluxDBServerError, match="not running"):
        _ = proxy.url


async def test_5mb_write_and_chunked_query(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    count = 120_000
    body = lines(count)
    assert len(body) > 5_000_000
    status, _, _ = await post(session, f"{proxy.url}/write", body, timeout=60, db=database)
    assert status == 204
    (record,) = proxy.requests
    assert (record.body_size, record.lines, record.status) == (len(body), count, 204)
    assert points(influxdb_server, database) == count

    form = {"q": "SELECT \"value\" FROM \"cpu\" WHERE \"host\" = 'h3'", "db": database,
            "chunked": "true", "chunk_size": "1000", "epoch": "ns"}
    async with session.post(f"{proxy.url}/query", data=form) as response:
        assert response.status == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        documents = [json.loads(line) async for line in response.content if line.strip()]
    rows = [row for doc in documents for row in doc["results"][0]["series"][0]["values"]]
    assert len(documents) == count // 10 // 1000
    assert rows == [[T0 + i, i] for i in range(3, count, 10)]


async def test_streams_chunked_answers(session: aiohttp.ClientSession) -> None:
    more = asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"a\":1}\n\r\n")
        await writer.drain()
        await more.wait()
        writer.write(b"8\r\n{\"b\":2}\n\r\n0\r\n\r\n")

    async with fake_server(answer) as url, FaultProxy(url) as proxy:
        async with session.post(f"{proxy.url}/query", data=b"q=x") as response:
            assert response.status == 200
            # The first chunk arrives while the server still holds back the rest.
            first = await asyncio.wait_for(response.content.readchunk(), 5)
            assert first == (b'{"a":1}\n', True)
            more.set()
            assert await response.read() == b'{"b":2}\n'
        assert summary(proxy.requests) == [("/query", None, 200, 200)]


# -- faults -----------------------------------------------------------------------------


async def test_respond(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    proxy.respond(503, b'{"error":"overloaded"}', {"Retry-After": "2"}, count=2)
    url = f"{proxy.url}/write"
    for _ in range(2):
        status, headers, body = await post(session, url, lines(1), db=database)
        assert (status, body) == (503, b'{"error":"overloaded"}')
        assert headers["Retry-After"] == "2"
        assert headers["Content-Type"] == "application/json"
    assert (await post(session, url, lines(1), db=database))[0] == 204
    assert points(influxdb_server, database) == 1
    assert summary(proxy.requests) == [
        ("/write", "respond", 503, None), ("/write", "respond", 503, None),
        ("/write", None, 204, 204),
    ]

    proxy.respond(500, "internal error")
    status, headers, body = await post(session, url, lines(1), db=database)
    assert (status, headers["Content-Type"], body) == (500, "text/plain; charset=utf-8",
                                                       b"internal error")


def test_respond_to_a_blocking_influxkit_client(proxy: FaultProxy, database: str) -> None:
    with InfluxDBClient(host=proxy.host, port=proxy.port, db=database, mode="blocking",
                        gzip=True, server="1.6") as client:
        proxy.respond(429, b'{"error":"slow down"}', {"Retry-After": "2"})
        with pytest.raises(ServerUnavailableError) as info:
            client.write(lines(4))
        assert (info.value.status, info.value.retry_after, info.value.message) == (
            429, 2.0, "slow down"
        )
        assert client.write(lines(4))
        proxy.limit_body(10)
        with pytest.raises(RequestTooLargeError, match="Request Entity Too Large"):
            client.write(lines(4))
        proxy.clear()
        result = client.query('SELECT count("value") FROM "cpu"')
        assert result["results"][0]["series"][0]["values"][0][1] == 4
    write = proxy.requests[1]
    # gzip bodies are counted once decompressed.
    assert (write.lines, write.status) == (4, 204)
    assert write.body_size < len(lines(4))
    assert [r.fault for r in proxy.requests] == ["respond", None, "limit_body", None]


async def test_path_filters(
    proxy: FaultProxy, session: aiohttp.ClientSession, database: str
) -> None:
    async def statuses() -> list[int]:
        async with session.get(f"{proxy.url}/ping") as ping:
            pass
        write = await post(session, f"{proxy.url}/write", lines(1), db=database)
        query = await post(session, f"{proxy.url}/query", {"q": "SHOW DATABASES"})
        return [ping.status, write[0], query[0]]

    proxy.respond(500, count=2, path="/query")
    assert await statuses() == [204, 204, 500]
    proxy.respond(501, path="/ping")
    assert await statuses() == [501, 204, 500]
    proxy.respond(502, count=3, path=None)
    assert await statuses() == [502, 502, 502]
    assert await statuses() == [204, 204, 200]


async def test_count_duration_and_clear(
    proxy: FaultProxy, session: aiohttp.ClientSession, database: str
) -> None:
    url = f"{proxy.url}/write"
    proxy.respond(503, count=None)
    for _ in range(5):
        assert (await post(session, url, lines(1), db=database))[0] == 503
    proxy.clear()
    assert (await post(session, url, lines(1), db=database))[0] == 204

    proxy.respond(503, count=None, duration=0.5)
    ends = time.monotonic() + 0.5
    seen = []
    while (status := (await post(session, url, lines(1), db=database))[0]) == 503:
        seen.append(time.monotonic())
        await asyncio.sleep(0.05)
    assert status == 204
    assert len(seen) >= 3
    assert seen[-1] < ends < time.monotonic()

    proxy.respond(503, count=2, duration=30)
    statuses = [(await post(session, url, lines(1), db=database))[0] for _ in range(3)]
    assert statuses == [503, 503, 204]

    with pytest.raises(ValueError, match="count"):
        proxy.respond(503, count=0)
    with pytest.raises(ValueError, match="duration"):
        proxy.reset(duration=0)
    with pytest.raises(ValueError, match="status"):
        proxy.respond(99)
    with pytest.raises(ValueError, match="seconds"):
        proxy.delay(-1)
    with pytest.raises(ValueError, match="max_bytes"):
        proxy.limit_body(-1)


async def test_faults_apply_in_the_order_they_were_set(
    proxy: FaultProxy, session: aiohttp.ClientSession, database: str
) -> None:
    proxy.respond(503)
    proxy.reset()
    proxy.delay(0.3)
    url = f"{proxy.url}/write"
    assert (await post(session, url, lines(1), db=database))[0] == 503
    with pytest.raises(aiohttp.ClientError):
        await post(session, url, lines(1), db=database)
    started = time.monotonic()
    assert (await post(session, url, lines(1), db=database))[0] == 204
    assert time.monotonic() - started >= 0.3
    assert (await post(session, url, lines(1), db=database))[0] == 204
    assert [r.fault for r in proxy.requests] == ["respond", "reset", "delay", None]


async def test_reset_before_forwarding(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    proxy.reset()
    with pytest.raises(aiohttp.ClientError):
        await post(session, f"{proxy.url}/write", lines(1), db=database)
    assert points(influxdb_server, database) == 0
    assert summary(proxy.requests) == [("/write", "reset", None, None)]

    # A reset, not an orderly close: the client reads ECONNRESET.
    proxy.reset(path="/ping")
    with socket.create_connection((proxy.host, proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            sock.recv(65536)

    assert (await post(session, f"{proxy.url}/write", lines(1), db=database))[0] == 204
    assert points(influxdb_server, database) == 1


async def test_reset_after_request_stores_the_write(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    proxy.reset(after_request=True)
    with pytest.raises(aiohttp.ClientError):
        await post(session, f"{proxy.url}/write", lines(3), db=database)
    assert points(influxdb_server, database) == 3
    # Resending is harmless: the same points overwrite themselves.
    assert (await post(session, f"{proxy.url}/write", lines(3), db=database))[0] == 204
    assert points(influxdb_server, database) == 3
    assert summary(proxy.requests) == [
        ("/write", "reset", None, 204), ("/write", None, 204, 204)
    ]
    assert [r.lines for r in proxy.requests] == [3, 3]


async def test_delay(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    proxy.delay(0.4)
    started = time.monotonic()
    assert (await post(session, f"{proxy.url}/write", lines(1), db=database))[0] == 204
    assert time.monotonic() - started >= 0.4

    # Past the client's timeout: the server has stored the point, the answer is lost.
    proxy.delay(1.0)
    with pytest.raises(TimeoutError):
        await post(session, f"{proxy.url}/write", lines(1, 1), timeout=0.3, db=database)
    assert points(influxdb_server, database) == 2
    late = proxy.requests[-1]
    assert (late.fault, late.upstream_status) == ("delay", 204)
    await asyncio.sleep(1.0)
    assert late.status is None
    assert (await post(session, f"{proxy.url}/write", lines(1, 2), db=database))[0] == 204


async def test_hold(session: aiohttp.ClientSession) -> None:
    body = bytes(range(100))

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body)

    async with fake_server(answer) as url, FaultProxy(url) as proxy:
        proxy.hold(30)
        async with session.post(f"{proxy.url}/query", data=b"q=x") as response:
            assert response.status == 200
            assert await response.content.readexactly(30) == body[:30]
            # The server sent the body in one piece; the proxy cut it and kept the rest.
            (held,) = proxy.requests
            assert (held.fault, held.upstream_status, held.answer_size) == ("hold", 200, 30)
            proxy.release()
            assert await response.read() == body[30:]
        assert held.answer_size == 100

        # Until released or cleared; a release also ends the faults not met yet.
        proxy.hold(0, count=None)
        async with session.post(f"{proxy.url}/query", data=b"q=x") as response:
            assert response.status == 200
            proxy.clear()
            assert await response.read() == body
        proxy.hold(10, count=2)
        proxy.release()
        proxy.respond(503, path="/query")
        for _ in range(2):
            async with session.post(f"{proxy.url}/query", data=b"q=x") as response:
                await response.read()
        assert [(r.fault, r.status, r.answer_size) for r in proxy.requests[1:]] == [
            ("hold", 200, 100), ("respond", 503, 0), (None, 200, 100)
        ]
        with pytest.raises(ValueError, match="after_bytes"):
            proxy.hold(-1)


async def test_limit_body(
    proxy: FaultProxy,
    session: aiohttp.ClientSession,
    influxdb_server: InfluxDBServer,
    database: str,
) -> None:
    proxy.limit_body(1000)
    body = lines(40)
    half = len(body) // 2
    assert len(body) > 1000 > half
    url = f"{proxy.url}/write"
    status, headers, answer = await post(session, url, body, db=database)
    assert (status, answer) == (413, b'{"error":"Request Entity Too Large"}\n')
    assert headers["X-Influxdb-Error"] == "Request Entity Too Large"
    assert (await post(session, url, lines(20), db=database))[0] == 204
    assert (await post(session, url, lines(20, 20), db=database))[0] == 204
    # Until cleared, and on /write only.
    assert (await post(session, url, body, db=database))[0] == 413
    status, _, _ = await post(session, f"{proxy.url}/query", {"q": "SHOW DATABASES" + " " * 2000})
    assert status == 200
    proxy.clear()
    assert (await post(session, url, body, db=database))[0] == 204
    assert points(influxdb_server, database) == 40
    assert [(r.lines, r.status, r.fault) for r in proxy.requests] == [
        (40, 413, "limit_body"), (20, 204, None), (20, 204, None), (40, 413, "limit_body"),
        (None, 200, None), (40, 204, None),
    ]


@local_only
def test_limit_body_answers_like_influxd() -> None:
    with InfluxDBServer(extra_config={"max-body-size": 100}) as server, FaultProxy(
        server.url
    ) as proxy:
        server.create_database("db")
        proxy.limit_body(100)
        answers = []
        for port in (server.port, proxy.port):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("POST", "/write?db=db", body=lines(10))
                response = conn.getresponse()
                answers.append((response.status, response.getheader("Content-Type"),
                                response.getheader("X-Influxdb-Error"), response.read()))
            finally:
                conn.close()
        assert answers[0] == answers[1]
        assert proxy.requests[0].upstream_status is None


async def test_counts_hold_under_concurrency(
    proxy: FaultProxy, database: str
) -> None:
    threads = [threading.Thread(target=proxy.respond, args=(503,), kwargs={"count": 3})
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        results = await asyncio.gather(
            *(post(session, f"{proxy.url}/write", lines(1, i), db=database) for i in range(30))
        )
    assert sorted(status for status, _, _ in results) == [204] * 18 + [503] * 12
    assert len(proxy.requests) == 30
    assert sum(r.fault == "respond" for r in proxy.requests) == 12


# -- the server behind the proxy --------------------------------------------------------


async def test_unreachable_server_gets_502(session: aiohttp.ClientSession) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        free_port = placeholder.getsockname()[1]
    async with FaultProxy(f"http://127.0.0.1:{free_port}") as proxy:
        for _ in range(2):
            async with session.get(f"{proxy.url}/ping") as response:
                assert response.status == 502
                assert response.headers["Content-Type"] == "application/json"
                assert "unavailable" in (await response.json())["error"]
        assert summary(proxy.requests) == [("/ping", None, 502, None)] * 2


async def test_server_that_fails_mid_answer(session: aiohttp.ClientSession) -> None:
    async def no_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pass

    async def half_an_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nnot all")

    async with fake_server(no_answer) as url, FaultProxy(url) as proxy, \
            session.get(f"{proxy.url}/ping") as response:
        assert response.status == 502
        assert "no answer" in (await response.json())["error"]
    async with fake_server(half_an_answer) as url, FaultProxy(url) as proxy, \
            session.get(f"{proxy.url}/ping") as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientError):
            await response.read()


@local_only
async def test_server_restart_behind_the_proxy(
    influxdb_private_server: InfluxDBServer, session: aiohttp.ClientSession
) -> None:
    server = influxdb_private_server
    server.create_database("db")
    async with FaultProxy(server.url) as proxy:
        url = f"{proxy.url}/write"
        assert (await post(session, url, lines(1), db="db"))[0] == 204
        await asyncio.to_thread(server.restart)
        # The same keep-alive connection to the proxy carries on.
        assert (await post(session, url, lines(1, 1), db="db"))[0] == 204
        assert points(server, "db") == 2
        await asyncio.to_thread(server.stop)
        assert (await post(session, url, lines(1, 2), db="db"))[0] == 502
        assert summary(proxy.requests)[-1] == ("/write", None, 502, None)


@local_only
async def test_paused_server_behind_the_proxy(
    influxdb_private_server: InfluxDBServer, session: aiohttp.ClientSession
) -> None:
    server = influxdb_private_server
    server.create_database("db")
    async with FaultProxy(server.url) as proxy:
        url = f"{proxy.url}/write"
        await asyncio.to_thread(server.pause)
        try:
            with pytest.raises(TimeoutError):
                await post(session, url, lines(1), timeout=0.5, db="db")
        finally:
            await asyncio.to_thread(server.resume)
        # The held request reaches the server once it runs again; its answer finds
        # the client gone.
        held = proxy.requests[0]
        await asyncio.to_thread(wait_until, lambda: held.upstream_status == 204)
        assert held.status is None
        assert (await post(session, url, lines(1, 1), db="db"))[0] == 204
        assert points(server, "db") == 2

        # A delay holds the answer, as a frozen server would, but the point is stored.
        proxy.delay(2.0)
        with pytest.raises(TimeoutError):
            await post(session, url, lines(1, 2), timeout=0.5, db="db")
        assert points(server, "db") == 3


# -- life cycle -------------------------------------------------------------------------


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_stop_is_clean(influxdb_server: InfluxDBServer, database: str) -> None:
    before = open_descriptors()
    threads_before = set(threading.enumerate())
    proxy = FaultProxy(influxdb_server.url)
    proxy.start()
    port = proxy.port
    idle = socket.create_connection((proxy.host, port), timeout=10)
    busy = socket.create_connection((proxy.host, port), timeout=10)
    try:
        idle.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(65536).startswith(b"HTTP/1.1 204")
        proxy.delay(30, path=None)
        busy.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_until(lambda: len(proxy.requests) == 2)
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 5
        for sock in (idle, busy):
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(65536) == b""
    finally:
        idle.close()
        busy.close()
    assert set(threading.enumerate()) == threads_before
    assert open_descriptors() == before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
    with pytest.raises(InfluxDBServerError, match="not running"):
        _ = proxy.url
    proxy.stop()  # idempotent
    assert repr(proxy) == f"<FaultProxy stopped, to {influxdb_server.url}>"

    # It can start again; the records are kept.
    with proxy:
        assert len(proxy.requests) == 2
        conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=10)
        conn.request("GET", "/ping")
        assert conn.getresponse().status == 204
        conn.close()


async def test_async_with_and_misuse(influxdb_server: InfluxDBServer) -> None:
    async with FaultProxy(influxdb_server.url) as proxy:
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        assert proxy.target_url == influxdb_server.url
        assert repr(proxy) == f"<FaultProxy {proxy.url} to {influxdb_server.url}>"
        with pytest.raises(InfluxDBServerError, match="already running"):
            proxy.start()
    with pytest.raises(InfluxDBServerError, match="not running"):
        _ = proxy.port
    for url in ("ftp://127.0.0.1:8086", "127.0.0.1:8086", "http://"):
        with pytest.raises(ValueError, match="not an http"):
            FaultProxy(url)
    assert FaultProxy("http://u:p@127.0.0.1:8086/influx/").target_url == (
        "http://127.0.0.1:8086/influx/"
    )
