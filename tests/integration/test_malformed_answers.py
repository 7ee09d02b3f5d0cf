"""Answers that are not whole InfluxDB answers, from a small HTTP server of the test's own
that sends exactly the bytes it is told: each is an error naming what was wrong, never
a part of an answer passed off as the whole, and never a raw exception.

The cut answers are influxd's own (recorded from the suite's real server), so the only
difference from a good answer is where the bytes stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from influxkit import (
    IncompleteResponseError,
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBError,
    InvalidResponseError,
)
from influxkit.testing import InfluxDBServer

MSGPACK = "application/x-msgpack"
JSON = "application/json"
QUERY = 'SELECT * FROM m GROUP BY "h"'


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class RawServer:
    """Answers every request with the bytes of ``answer``, then closes the connection.

    It runs on a loop of its own, in a thread, so that a blocking client's calls (which
    block the test's thread) are served.
    """

    def __init__(self) -> None:
        self.answer = b""
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def start(self) -> None:
        async def start() -> asyncio.Server:
            return await asyncio.start_server(self._handle, "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(start(), self._loop).result(30)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        self.requests += 1
        writer.write(self.answer)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    def stop(self) -> None:
        async def stop(server: asyncio.Server) -> None:
            server.close()
            await server.wait_closed()

        assert self._server is not None
        asyncio.run_coroutine_threadsafe(stop(self._server), self._loop).result(30)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()


def response(status: int, body: bytes, content_type: str | None = JSON, *,
             length: int | None = None, chunked: bool = False,
             cut: int | None = None) -> bytes:
    """An HTTP/1.1 answer: ``length`` overrides Content-Length; ``chunked`` sends the body
    in chunked encoding; ``cut`` stops the bytes of the body (framing included) there."""
    headers = [f"HTTP/1.1 {status} X", "Connection: close", "X-Influxdb-Version: 1.6.7"]
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    if chunked:
        headers.append("Transfer-Encoding: chunked")
        framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece)
                          for piece in (body[i:i + 64] for i in range(0, len(body), 64)))
        payload = framed + b"0\r\n\r\n"
    else:
        headers.append(f"Content-Length: {len(body) if length is None else length}")
        payload = body
    if cut is not None:
        payload = payload[:cut]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload


@pytest.fixture(scope="module")
def recorded(influxdb_server: InfluxDBServer) -> dict[str, bytes]:
    """influxd's chunked answers to QUERY, in JSON and MessagePack."""
    import http.client
    import urllib.parse

    name = "malformed_answers"
    influxdb_server.create_database(name)
    influxdb_server.write("m,h=a v=1.5,s=\"x\" 1\nm,h=a v=2 2\nm,h=b v=3 3\nm,h=b v=4 4", db=name)
    bodies = {}
    for accept in (JSON, MSGPACK):
        connection = http.client.HTTPConnection(influxdb_server.host, influxdb_server.port)
        form = urllib.parse.urlencode({"q": QUERY, "db": name, "chunked": "true",
                                       "chunk_size": "1", "epoch": "ns"})
        connection.request("POST", "/query", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        bodies[accept] = connection.getresponse().read()
        connection.close()
    influxdb_server.drop_database(name)
    return bodies


@pytest.fixture(params=["async", "blocking"])
async def served(request: pytest.FixtureRequest
                 ) -> AsyncIterator[tuple[RawServer, InfluxDBClient]]:
    server = RawServer()
    server.start()
    try:
        # Given the server, the client sends no /ping first: every request is a test's.
        async with InfluxDBClient(port=server.port, db="d", mode=request.param,
                                  server="1.6") as client:
            yield server, client
    finally:
        server.close()


def documents(body: bytes, content_type: str) -> list[bytes]:
    """The whole documents of a recorded body, each with its bytes."""
    from influxkit._decode.documents import ChunkDecoder

    ends = []
    decoder = ChunkDecoder(content_type)
    for end in range(1, len(body) + 1):
        if decoder.feed(body[end - 1:end]):
            ends.append(end)
    return [body[:end] for end in ends]


async def query(client: InfluxDBClient, chunked: bool) -> Any:
    answer = await run(client.query(QUERY, chunked=chunked, chunk_size=1))
    if not chunked:
        return answer
    if client.mode == "async":
        return [chunk async for chunk in answer]
    return list(answer)


@pytest.mark.parametrize("content_type", [JSON, MSGPACK])
@pytest.mark.parametrize("chunked", [False, True])
async def test_the_recorded_answer_is_read_whole(served: tuple[RawServer, InfluxDBClient],
                                                 recorded: dict[str, bytes],
                                                 content_type: str, chunked: bool) -> None:
    # The control: the same bytes, uncut, are a good answer.
    server, client = served
    server.answer = response(200, recorded[content_type], content_type, chunked=True)
    answer = await query(client, chunked)
    if chunked:
        assert len(answer) == 4
    else:
        assert [len(series["values"]) for series in answer["results"][0]["series"]] == [2, 2]


@pytest.mark.parametrize("content_type", [JSON, MSGPACK])
@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_an_answer_cut_at_each_document_is_incomplete(
        served: tuple[RawServer, InfluxDBClient], recorded: dict[str, bytes],
        content_type: str, chunked: bool, framing: str) -> None:
    # Cut cleanly (the HTTP framing is whole) after each document but the last, and in
    # the middle of the last: each is an error, not the documents so far.
    server, client = served
    body = recorded[content_type]
    cuts = [len(prefix) for prefix in documents(body, content_type)][:-1]
    cuts.append(len(body) - 3)
    for cut in cuts:
        server.answer = response(200, body[:cut], content_type, chunked=framing == "chunked")
        with pytest.raises(IncompleteResponseError) as caught:
            await query(client, chunked)
        assert caught.value.status == 200
        assert caught.value.content_type == content_type
        assert caught.value.received == cut


@pytest.mark.parametrize("content_type", [JSON, MSGPACK])
async def test_a_body_ending_inside_an_http_chunk_is_a_connection_error(
        served: tuple[RawServer, InfluxDBClient], recorded: dict[str, bytes],
        content_type: str) -> None:
    server, client = served
    whole = response(200, recorded[content_type], content_type, chunked=True)
    head = whole.index(b"\r\n\r\n") + 4
    for cut in (head + 2, head + 40, len(whole) - 8):
        server.answer = whole[:cut]
        with pytest.raises(InfluxDBConnectionError):
            await query(client, False)


@pytest.mark.parametrize("length", ["shorter", "longer"])
async def test_a_content_length_the_body_does_not_match_is_an_error(
        served: tuple[RawServer, InfluxDBClient], recorded: dict[str, bytes],
        length: str) -> None:
    server, client = served
    body = recorded[JSON]
    # A body shorter than its Content-Length: the connection closes early.
    server.answer = response(200, body, JSON, length=len(body) + 100) if length == "longer" \
        else response(200, body[:-10], JSON, length=len(body))
    with pytest.raises(InfluxDBConnectionError):
        await query(client, False)


@pytest.mark.parametrize(("status", "body", "content_type", "error", "match"), [
    (200, b"", JSON, IncompleteResponseError, "no result document"),
    (204, b"", None, IncompleteResponseError, "no result document"),
    (200, b"", MSGPACK, IncompleteResponseError, "no result document"),
    (200, b"<html><body>Sign in</body></html>", "text/html", InvalidResponseError,
     "'text/html', not JSON or MessagePack"),
    (200, b"<html>Sign in</html>\n", "text/plain", InvalidResponseError, "not JSON lines"),
    (200, b'{"results":[{"statement_id":0}]}\n\xff\xfe\n', JSON, InvalidResponseError,
     "not JSON lines"),
    (200, b"[1, 2]\n", JSON, InvalidResponseError, "is not a map"),
    (200, b'{"results":{"a":1}}\n', JSON, InvalidResponseError, "not a list of maps"),
    (200, b'{"results":[{"statement_id":0,"series":[{"values":7}]}]}\n', JSON,
     InvalidResponseError, "not of InfluxDB's shape"),
    (200, b"\xc1\xc1\xc1", MSGPACK, InvalidResponseError, "does not decode"),
    (200, b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time"],'
          b'"values":[[1]],"partial":true}],"partial":true}]}\n', JSON,
     IncompleteResponseError, "still partial"),
])
@pytest.mark.parametrize("chunked", [False, True])
async def test_answers_not_of_influxdbs_making_are_errors(
        served: tuple[RawServer, InfluxDBClient], status: int, body: bytes,
        content_type: str | None, error: type[InfluxDBError], match: str,
        chunked: bool) -> None:
    server, client = served
    server.answer = response(status, body, content_type)
    with pytest.raises(error, match=match) as caught:
        await query(client, chunked)
    assert caught.value.status == status


async def test_a_query_of_two_statements_answered_for_one_is_incomplete(
        served: tuple[RawServer, InfluxDBClient]) -> None:
    server, client = served
    server.answer = response(200, b'{"results":[{"statement_id":0}]}\n', JSON)
    with pytest.raises(IncompleteResponseError, match="after statement 0 of the 2"):
        await run(client.query("SELECT v FROM m; SELECT w FROM n"))
    # Each statement answered: whole.
    server.answer = response(
        200, b'{"results":[{"statement_id":0},{"statement_id":1}]}\n', JSON)
    answer = await run(client.query("SELECT v FROM m; SELECT w FROM n"))
    assert [result["statement_id"] for result in answer["results"]] == [0, 1]


@pytest.mark.parametrize("output", ["dataframe", "polars", "resultset"])
async def test_every_output_refuses_a_cut_answer(served: tuple[RawServer, InfluxDBClient],
                                                 recorded: dict[str, bytes],
                                                 output: str) -> None:
    server, client = served
    body = recorded[MSGPACK]
    first = documents(body, MSGPACK)[0]
    server.answer = response(200, first, MSGPACK)
    with pytest.raises(IncompleteResponseError):
        await run(client.query(QUERY, output=output))


async def test_a_retry_policy_retries_a_cut_answer(served: tuple[RawServer, InfluxDBClient],
                                                   recorded: dict[str, bytes]) -> None:
    from influxkit import RetryPolicy

    server, client = served
    good = response(200, recorded[JSON], JSON)
    cut = response(200, documents(recorded[JSON], JSON)[0], JSON)
    answers = iter([cut, good])
    original: Callable[..., Any] = server._handle

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.answer = next(answers)
        await original(reader, writer)

    server._handle = handle  # type: ignore[method-assign]
    server.stop()
    server.start()
    client.port = server.port
    client.url = f"http://localhost:{server.port}"
    answer = await run(client.query(QUERY, chunk_size=1,
                                    retry=RetryPolicy(retry_interval=0.0, max_retries=2)))
    assert server.requests == 2
    assert [len(series["values"]) for series in answer["results"][0]["series"]] == [2, 2]
