"""An HTTP proxy that injects faults, to test how clients cope with a failing server.

:class:`FaultProxy` listens on a free loopback port and forwards every request to
a real server, relaying its answers as they come (a chunked query answer streams
through chunk by chunk). On demand it answers in the server's place, drops the
client's connection before or after the server has handled the request, holds an
answer back (all of it for a time, or all but its first bytes until released), or
refuses large bodies with a 413; and it records every request it saw, so that a
test can check what its client sent, how often and when::

    from influxkit.testing import InfluxDBServer
    from influxkit.testing.faultproxy import FaultProxy

    with InfluxDBServer() as server, FaultProxy(server.url) as proxy:
        server.create_database("db")
        proxy.respond(503, b'{"error":"overloaded"}', {"Retry-After": "1"}, count=2)
        proxy.reset(after_request=True)  # stored, but the client sees a dropped connection
        ...  # a client of proxy.host and proxy.port writes, and retries
        print([(r.status, r.upstream_status, r.fault) for r in proxy.requests])
        # [(503, None, 'respond'), (503, None, 'respond'), (None, 204, 'reset'), (204, 204, None)]

The proxy runs its own event loop in a thread of its own, so async tests and
blocking code both use it the same way, and faults can be set from any thread
while requests flow. Each fault applies to the next *count* matching requests
(or to all of them for *duration* seconds), after the first *skip* of them, on one
path (``/write`` by default, ``/query`` for :meth:`~FaultProxy.hold`) or on all; when
several match a request, the one set first applies. A test waits for its client to
have got somewhere with :meth:`~FaultProxy.wait_for_requests`, not with a sleep.

How requests and answers are passed on:

- Each request goes to the server on a new connection, closed after the answer,
  while the client's own connection to the proxy is kept alive as HTTP/1.1
  allows. The client's connections therefore survive a restart of the server.
- The request goes out as received, except for ``Host`` (the server's), a
  ``Transfer-Encoding: chunked`` body (sent with a ``Content-Length``) and
  ``Expect: 100-continue`` (answered by the proxy itself).
- The server's answer is relayed byte for byte: status line, headers, body.
- When the server cannot be reached (stopped, restarting) or closes the
  connection without answering, the proxy answers ``502 Bad Gateway`` with an
  InfluxDB-style ``{"error": "..."}`` body, as a reverse proxy in front of a dead
  server would, and carries on. If the server goes away in the middle of an
  answer, the client's connection is reset. A paused server makes requests hang,
  as it does without the proxy.

The proxy speaks plain HTTP to its clients; the server may be ``https``. Like
the rest of :mod:`influxkit.testing`, it uses the standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http
import json
import ssl
import time
import urllib.parse
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias

from influxkit.testing._loopserver import HEAD_LIMIT, Head, LoopServer, reset_connection

__all__ = ["FaultKind", "FaultProxy", "RecordedRequest"]

FaultKind: TypeAlias = Literal["respond", "reset", "delay", "hold", "limit_body"]
"""The kinds of fault, named after the :class:`FaultProxy` methods that set them."""

_PIECE: Final = 1 << 16
_TOO_LARGE: Final = "Request Entity Too Large"

_Send: TypeAlias = Callable[[bytes], Awaitable[None]]


@dataclass
class RecordedRequest:
    """A request the proxy received, and what became of it.

    The record is listed as soon as the request has been read, and completed as
    the exchange goes on.

    :ivar method: the HTTP method.
    :ivar path: the path, without the query string.
    :ivar params: the query string's parameters (the last value of a repeated one).
    :ivar body_size: the size of the body as sent (compressed, if it was).
    :ivar lines: for ``/write``, the number of points in the body (lines that
        are neither blank nor comments, counted after gzip decompression);
        otherwise None.
    :ivar time: when the request had been read, in :func:`time.monotonic` seconds.
    :ivar fault: the fault applied to it, or None.
    :ivar status: the status of the answer the client was sent; None when its
        connection was reset, or it had gone before the answer was ready.
    :ivar upstream_status: the status the server answered; None when the request
        was not forwarded, or the server could not be reached.
    :ivar answer_size: how many bytes of the server's answer body have been relayed
        to the client so far, as sent (a chunked body with its framing); 0 for an
        answer of the proxy's own.
    """

    method: str
    path: str
    params: dict[str, str]
    body_size: int
    lines: int | None
    time: float
    fault: FaultKind | None = None
    status: int | None = None
    upstream_status: int | None = None
    answer_size: int = 0


@dataclass
class _Fault:
    kind: FaultKind
    path: str | None
    remaining: int | None
    deadline: float | None
    status: int = 0
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    after_request: bool = False
    max_bytes: int = 0
    after_bytes: int = 0
    released: bool = False
    skip: int = 0


class FaultProxy(LoopServer[RecordedRequest]):
    """A proxy in front of the server at *target_url*, which injects faults on demand.

    It is a context manager, with ``with`` and ``async with``: :meth:`start` on
    entry, :meth:`stop` on exit. A proxy never stopped serves until the
    interpreter exits (its thread is a daemon, which keeps it alive). Faults and
    recorded requests outlive :meth:`stop`.

    :param target_url: the server's base URL, such as ``server.url``; a path in it
        is put in front of every request's path.
    :param port: the loopback port to listen on; by default a free one.
    :param ssl_context: the context to verify an ``https`` server with; by
        default the system's trusted certificates.
    :raises ValueError: if *target_url* is not an ``http`` or ``https`` URL.

    Example, in an async test::

        async with FaultProxy(influxdb_server.url) as proxy:
            proxy.respond(429, b'{"error":"slow down"}', {"Retry-After": "2"})
            async with InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
                with pytest.raises(ServerUnavailableError):
                    await client.write("cpu value=1")
                await client.write("cpu value=1")
            assert [r.status for r in proxy.requests] == [429, 204]
    """

    def __init__(
        self, target_url: str, *, port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        parts = urllib.parse.urlsplit(target_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL of a server: {target_url!r}")
        self._target = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")
        )
        self._target_host = parts.hostname
        self._target_port = parts.port or (443 if parts.scheme == "https" else 80)
        self._target_netloc = parts.netloc.rpartition("@")[2]
        self._base_path = parts.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._ssl = ssl_context or ssl.create_default_context()
        super().__init__(port, thread_name=f"FaultProxy {self._target}",
                         description="the fault proxy")
        # Guarded by self._lock, as the recorded requests are.
        self._faults: list[_Fault] = []
        # The faults set by hold() until release(), and the answers waiting for it.
        self._holds: list[_Fault] = []
        self._held: set[asyncio.Event] = set()

    # -- properties -------------------------------------------------------------

    @property
    def target_url(self) -> str:
        """The server's URL, without credentials."""
        return self._target

    def __repr__(self) -> str:
        if self._port is None:
            return f"<FaultProxy stopped, to {self._target}>"
        return f"<FaultProxy {self.url} to {self._target}>"

    # -- faults -----------------------------------------------------------------

    def respond(
        self,
        status: int,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        *,
        count: int | None = 1,
        duration: float | None = None,
        path: str | None = "/write",
        skip: int = 0,
    ) -> None:
        """Answer matching requests with *status*, without forwarding them.

        :param status: the HTTP status, such as 503, 429 or 500.
        :param body: the body; a ``str`` is encoded as UTF-8. InfluxDB's errors
            look like ``b'{"error":"timeout"}'``.
        :param headers: headers of the answer, such as ``{"Retry-After": "2"}``.
            ``Content-Length`` is always added, and ``Content-Type`` when there is
            a body and none is given (``application/json`` for a JSON body).
        :param count: how many requests the fault applies to; None for no limit.
        :param duration: seconds from now after which the fault no longer applies;
            None for no limit. With both *count* and *duration*, whichever ends first.
        :param path: the path of the requests it applies to; None for every path.
        :param skip: how many matching requests to let through untouched first (a
            fault on the third request of a write: ``skip=2, count=1``).
        :raises ValueError: for a status outside 200-599, or a bad *count*, *duration*
            or *skip*.
        """
        if not 200 <= status <= 599:
            raise ValueError(f"status must be within 200-599, not {status}")
        data = body.encode() if isinstance(body, str) else bytes(body)
        fields = [
            (name, value) for name, value in (headers or {}).items()
            if name.lower() not in ("content-length", "transfer-encoding")
        ]
        if data and not any(name.lower() == "content-type" for name, _ in fields):
            fields.append(("Content-Type", _content_type(data)))
        self._add(_Fault("respond", path, *_limits(count, duration), status=status, body=data,
                         headers=fields, skip=_skip(skip)))

    def reset(
        self,
        *,
        count: int | None = 1,
        duration: float | None = None,
        path: str | None = "/write",
        after_request: bool = False,
        skip: int = 0,
    ) -> None:
        """Drop the client's connection abruptly (a TCP reset) instead of answering.

        :param after_request: forward the request first, and drop the connection
            once the server has answered: the server has stored the write, but the
            client cannot know, and resends it. By default the request is not
            forwarded.
        :param count: as for :meth:`respond`.
        :param duration: as for :meth:`respond`.
        :param path: as for :meth:`respond`.
        :param skip: as for :meth:`respond`.
        :raises ValueError: for a bad *count*, *duration* or *skip*.
        """
        self._add(_Fault("reset", path, *_limits(count, duration), after_request=after_request,
                         skip=_skip(skip)))

    def delay(
        self,
        seconds: float,
        *,
        count: int | None = 1,
        duration: float | None = None,
        path: str | None = "/write",
        skip: int = 0,
    ) -> None:
        """Forward matching requests, but hold the server's answer back for *seconds*.

        Useful to push a client past its timeout: the server has done the work
        (stored the write) by the time the client gives up. If the client has
        closed its connection when the time is up, the answer is dropped.

        :param count: as for :meth:`respond`.
        :param duration: as for :meth:`respond`.
        :param path: as for :meth:`respond`.
        :param skip: as for :meth:`respond`.
        :raises ValueError: for negative *seconds*, or a bad *count*, *duration* or *skip*.
        """
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, not {seconds}")
        self._add(_Fault("delay", path, *_limits(count, duration), seconds=seconds,
                         skip=_skip(skip)))

    def hold(
        self,
        after_bytes: int,
        *,
        count: int | None = 1,
        duration: float | None = None,
        path: str | None = "/query",
        skip: int = 0,
    ) -> None:
        """Forward matching requests, relay the first *after_bytes* bytes of the server's
        answer body, and hold the rest back until :meth:`release`.

        The proxy stops reading the answer too, as a client that reads no further
        would: the server waits. A test can then see what its client makes of the
        part it has, such as a chunked query's first chunks, and check in
        :attr:`RecordedRequest.answer_size` how much of the answer it was sent. The
        bytes are counted as sent (a chunked body with its framing); the status
        line and headers are not held.

        :param after_bytes: how many bytes of the body to relay before holding.
        :param count: as for :meth:`respond`.
        :param duration: as for :meth:`respond`; it limits which requests are held,
            not for how long.
        :param path: as for :meth:`respond`; ``/query`` by default, where answers
            are long.
        :param skip: as for :meth:`respond`.
        :raises ValueError: for a negative *after_bytes*, or a bad *count*, *duration*
            or *skip*.
        """
        if after_bytes < 0:
            raise ValueError(f"after_bytes must not be negative, not {after_bytes}")
        fault = _Fault("hold", path, *_limits(count, duration), after_bytes=after_bytes,
                       skip=_skip(skip))
        with self._lock:
            self._faults.append(fault)
            self._holds.append(fault)

    def release(self) -> None:
        """Let the answers held by :meth:`hold` go on, and end its faults: the requests
        they have not met yet are forwarded as they come."""
        with self._lock:
            for fault in self._holds:
                fault.released = True
            self._holds.clear()
            self._faults = [f for f in self._faults if f.kind != "hold"]
            held, self._held = self._held, set()
        loop = self._loop
        if held and loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended, and them with it
                for event in held:
                    loop.call_soon_threadsafe(event.set)

    def limit_body(self, max_bytes: int, *, path: str | None = "/write") -> None:
        """Refuse bodies larger than *max_bytes* until :meth:`clear`, as InfluxDB does.

        The answer is InfluxDB's: 413 with ``{"error":"Request Entity Too Large"}``.
        The size is the body's as sent, compressed if it was. Smaller bodies are
        forwarded, or met by the other faults.

        :param path: as for :meth:`respond`.
        :raises ValueError: for a negative *max_bytes*.
        """
        if max_bytes < 0:
            raise ValueError(f"max_bytes must not be negative, not {max_bytes}")
        body = json.dumps({"error": _TOO_LARGE}, separators=(",", ":")).encode() + b"\n"
        headers = [("Content-Type", "application/json"), ("X-Influxdb-Error", _TOO_LARGE)]
        self._add(_Fault("limit_body", path, None, None, status=413, body=body, headers=headers,
                         max_bytes=max_bytes))

    def clear(self) -> None:
        """Remove every fault: from now on, requests are only forwarded, and the
        answers held by :meth:`hold` go on."""
        self.release()
        with self._lock:
            self._faults.clear()

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, path: str, body_size: int) -> _Fault | None:
        """The fault for a request, counted as used; None to just forward it."""
        now = time.monotonic()
        with self._lock:
            self._faults = [f for f in self._faults if f.deadline is None or f.deadline > now]
            for fault in self._faults:
                if fault.path is not None and fault.path != path:
                    continue
                if fault.kind == "limit_body" and body_size <= fault.max_bytes:
                    continue
                if fault.skip:
                    fault.skip -= 1
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None

    # -- one client connection --------------------------------------------------

    async def _refuse(self, writer: asyncio.StreamWriter, method: str, message: str) -> None:
        await _answer(writer, 400, message.encode(), [], keep_alive=False)

    async def _handle(self, request: Head, body: bytes, keep_alive: bool,
                      reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        method, target, _ = request.start
        url = urllib.parse.urlsplit(target)
        record = RecordedRequest(
            method=method,
            path=url.path,
            params=dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
            body_size=len(body),
            lines=_count_points(body, request) if url.path == "/write" else None,
            time=time.monotonic(),
        )
        fault = self._take_fault(url.path, len(body))
        record.fault = fault.kind if fault is not None else None
        self._record(record)

        if fault is not None and fault.kind == "reset" and not fault.after_request:
            reset_connection(writer)
            return False
        if fault is not None and fault.kind in ("respond", "limit_body"):
            record.status = fault.status
            await _answer(writer, fault.status, fault.body, fault.headers, keep_alive=keep_alive)
            return keep_alive
        return await self._forward(request, body, record, fault, reader, writer, keep_alive)

    async def _forward(
        self,
        request: Head,
        body: bytes,
        record: RecordedRequest,
        fault: _Fault | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        keep_alive: bool,
    ) -> bool:
        """Pass a request on to the server and its answer back; as :meth:`_handle`."""
        try:
            upstream_reader, upstream = await asyncio.open_connection(
                self._target_host,
                self._target_port,
                ssl=self._ssl,
                server_hostname=self._target_host if self._ssl else None,
                limit=HEAD_LIMIT,
            )
        except OSError as exc:
            return await self._bad_gateway(writer, record, f"cannot connect: {exc}", keep_alive)
        try:
            upstream.write(self._upstream_head(request, len(body)))
            upstream.write(body)
            # The server may have answered early and closed: its answer is read below.
            with contextlib.suppress(ConnectionError):
                await upstream.drain()
            try:
                data = await upstream_reader.readuntil(b"\r\n\r\n")
                answer = Head.parse(data, request=False)
                status = int(answer.start[1])
            except (OSError, ValueError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError) as exc:
                reason = f"no answer: {exc!r}"
                return await self._bad_gateway(writer, record, reason, keep_alive)
            record.upstream_status = status
            if fault is not None and fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            if fault is not None and fault.kind == "reset":
                await _copy_body(upstream_reader, answer, request.start[0], _discard)
                reset_connection(writer)
                return False
            # An HTTP client only closes its end once it has given up waiting (as
            # Go's server also assumes): the answer is dropped, status left None.
            if reader.at_eof():
                return False
            record.status = status
            writer.write(data)

            async def send(piece: bytes) -> None:
                if fault is not None and fault.kind == "hold":
                    before = fault.after_bytes - record.answer_size
                    if 0 <= before < len(piece):
                        if before:
                            await send_on(piece[:before])
                        await self._wait_for_release(fault)
                        piece = piece[before:]
                await send_on(piece)

            async def send_on(piece: bytes) -> None:
                # Counted first: the client may read the piece before write() returns.
                record.answer_size += len(piece)
                writer.write(piece)
                await writer.drain()

            try:
                framed = await _copy_body(upstream_reader, answer, request.start[0], send)
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                # The status has gone out already: all the client can be told is
                # that something broke.
                reset_connection(writer)
                return False
            return keep_alive and framed and "close" not in answer.tokens("connection")
        finally:
            upstream.transport.abort()
            with contextlib.suppress(OSError):
                await upstream.wait_closed()

    async def _wait_for_release(self, fault: _Fault) -> None:
        released = asyncio.Event()
        with self._lock:
            if fault.released:
                return
            self._held.add(released)
        try:
            await released.wait()
        finally:
            with self._lock:
                self._held.discard(released)

    def _upstream_head(self, request: Head, body_length: int) -> bytes:
        method, target, version = request.start
        url = urllib.parse.urlsplit(target)
        path = self._base_path + (url.path or "/")
        if url.query:
            path += "?" + url.query
        lines = [f"{method} {path} {version}", f"Host: {self._target_netloc}"]
        has_body = False
        for name, value in request.headers:
            lowered = name.lower()
            if lowered in ("content-length", "transfer-encoding"):
                has_body = True
            elif lowered not in ("host", "expect"):
                lines.append(f"{name}: {value}")
        if has_body:
            lines.append(f"Content-Length: {body_length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _bad_gateway(
        self, writer: asyncio.StreamWriter, record: RecordedRequest, reason: str, keep_alive: bool
    ) -> bool:
        message = f"fault proxy: the server at {self._target} is unavailable ({reason})"
        body = json.dumps({"error": message}).encode() + b"\n"
        record.status = 502
        await _answer(writer, 502, body, [("Content-Type", "application/json")],
                      keep_alive=keep_alive)
        return keep_alive


async def _copy_body(reader: asyncio.StreamReader, answer: Head, method: str,
                     send: _Send) -> bool:
    """Pass an answer's body on as it arrives, keeping its framing.

    Return False if the body ends with the connection, which then cannot carry
    another answer.
    """
    status = int(answer.start[1])
    if method == "HEAD" or status in (204, 304) or status < 200:
        return True
    if "chunked" in answer.tokens("transfer-encoding"):
        while True:
            line = await reader.readuntil(b"\r\n")
            await send(line)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                break
            await _copy_exactly(reader, size + 2, send)
        while True:  # trailer fields, then the empty line
            line = await reader.readuntil(b"\r\n")
            await send(line)
            if line == b"\r\n":
                return True
    length = answer.header("content-length")
    if length is not None:
        await _copy_exactly(reader, int(length), send)
        return True
    while piece := await reader.read(_PIECE):
        await send(piece)
    return False


async def _copy_exactly(reader: asyncio.StreamReader, size: int, send: _Send) -> None:
    while size > 0:
        piece = await reader.read(min(size, _PIECE))
        if not piece:
            raise asyncio.IncompleteReadError(b"", size)
        size -= len(piece)
        await send(piece)


async def _discard(piece: bytes) -> None:
    pass


async def _answer(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]],
    *,
    keep_alive: bool,
) -> None:
    """Send an answer of the proxy's own."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if status in (204, 304):
        body = b""
    else:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


def _count_points(body: bytes, request: Head) -> int | None:
    """The number of points in a line protocol body; None if it cannot be decoded."""
    if "gzip" in request.tokens("content-encoding"):
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            return None
    lines = (line.strip() for line in body.split(b"\n"))
    return sum(1 for line in lines if line and not line.startswith(b"#"))


def _content_type(body: bytes) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def _skip(skip: int) -> int:
    if skip < 0:
        raise ValueError(f"skip must not be negative, not {skip}")
    return skip


def _limits(count: int | None, duration: float | None) -> tuple[int | None, float | None]:
    """A fault's remaining count and deadline, checked."""
    if count is not None and count < 1:
        raise ValueError(f"count must be at least 1 (or None for no limit), not {count}")
    if duration is not None and duration <= 0:
        raise ValueError(f"duration must be positive (or None for no limit), not {duration}")
    return count, None if duration is None else time.monotonic() + duration
