"""A loopback HTTP/1.1 server on an event loop of its own, the base of the test proxies.

:class:`LoopServer` is what :class:`~influxkit.testing.faultproxy.FaultProxy` and
:class:`~influxkit.testing.flavours.ServerFlavour` share: it listens on a free
loopback port, runs its own event loop in a thread of its own (so async tests and
blocking code use it the same way), starts and stops with ``with`` and
``async with``, reads each request off a kept-alive connection, and records the
requests for a test to wait for. What to do with a request is the subclass's.

It also holds the little of HTTP/1.1 both read requests with: :class:`Head`,
:func:`read_body` and :func:`reset_connection`. Like the rest of
:mod:`influxkit.testing`, it uses the standard library only.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import contextlib
import socket
import struct
import threading
import weakref
from types import TracebackType
from typing import Any, Final, Generic, Protocol, TypeVar

from influxkit.testing import InfluxDBServerError

__all__ = ["HEAD_LIMIT", "LOOPBACK", "Head", "LoopServer", "read_body", "reset_connection"]

LOOPBACK: Final = "127.0.0.1"
# The longest head (request line or status line, and headers) read; Go's server
# and so influxd accept 1 MiB.
HEAD_LIMIT: Final = 1 << 20


class _Record(Protocol):
    path: str


_R = TypeVar("_R", bound=_Record)
_S = TypeVar("_S", bound="LoopServer[Any]")


class LoopServer(abc.ABC, Generic[_R]):
    """A server on a free loopback port, serving in a thread of its own.

    A subclass answers requests in :meth:`_handle`, answers those that cannot be
    read in :meth:`_refuse`, and records what it wants tests to see with
    :meth:`_record`. :attr:`_lock` guards the records; a subclass may guard its
    own state with it too.

    :param port: the loopback port to listen on; 0 for a free one.
    :param thread_name: the name of the thread it serves in.
    :param description: what it is, for errors: ``"the fault proxy"``.
    """

    def __init__(self, port: int, *, thread_name: str, description: str) -> None:
        self._requested_port = port
        self._thread_name = thread_name
        self._description = description
        self._lock = threading.Lock()
        # Notified as each request is recorded (see wait_for_requests).
        self._recorded = threading.Condition(self._lock)
        self._requests: list[_R] = []

        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._clients: weakref.WeakSet[asyncio.StreamWriter] = weakref.WeakSet()

    # -- where it listens, and what it heard ------------------------------------

    @property
    def host(self) -> str:
        """The address it listens on: ``"127.0.0.1"``."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The port it listens on.

        :raises InfluxDBServerError: if it is not running.
        """
        if self._port is None:
            raise InfluxDBServerError(f"{self._description} is not running")
        return self._port

    @property
    def url(self) -> str:
        """The base URL clients connect to, such as ``http://127.0.0.1:41234``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def requests(self) -> list[_R]:
        """The requests received so far, oldest first (a new list)."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(
        self, count: int = 1, *, path: str | None = None, timeout: float = 30.0
    ) -> list[_R]:
        """Wait until *count* requests (on *path*, or on any) have been recorded.

        A request is recorded as soon as it has been read, before it is answered,
        forwarded or met by a fault: a test knows then that its client has sent it,
        and, when the answer is held back (by a fault proxy's
        :meth:`~influxkit.testing.faultproxy.FaultProxy.delay` or
        :meth:`~influxkit.testing.faultproxy.FaultProxy.hold`), that the client is
        waiting for it.

        :param count: how many requests to wait for (counted since the start, or since
            :meth:`clear_requests`).
        :param path: the path of the requests to count; None for every path.
        :param timeout: seconds after which to give up: a guard against waiting for
            ever, not a measure.
        :returns: the matching requests recorded so far, oldest first.
        :raises TimeoutError: if fewer than *count* came within *timeout* seconds.
        """

        def matching() -> list[_R]:
            return [r for r in self._requests if path is None or r.path == path]

        with self._recorded:
            if not self._recorded.wait_for(lambda: len(matching()) >= count, timeout):
                raise TimeoutError(f"{len(matching())} of {count} requests came within "
                                   f"{timeout:g} s")
            return matching()

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self._requests.clear()

    def _record(self, record: _R) -> None:
        with self._recorded:
            self._requests.append(record)
            self._recorded.notify_all()

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Start listening, in a new thread running an event loop of its own.

        :raises InfluxDBServerError: if it is already running.
        :raises OSError: if the port cannot be bound.
        """
        if self._thread is not None:
            raise InfluxDBServerError(f"{self!r} is already running")
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        thread = threading.Thread(target=self._run, args=(started,), name=self._thread_name,
                                  daemon=True)
        thread.start()
        try:
            started.result()
        except BaseException:
            thread.join()
            raise
        self._thread = thread

    def stop(self) -> None:
        """Close every connection, stop listening and end the thread. Idempotent.

        Requests in progress are cut short: their clients see a dropped connection.
        The recorded requests are kept; a later :meth:`start` listens on a new free
        port (or on *port* again).
        """
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if thread is threading.current_thread():
            raise RuntimeError(f"{type(self).__name__}.stop() cannot be called from its own "
                               "thread")
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stopping.set)
        thread.join()
        self._thread = None

    def _run(self, started: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(started))
            loop.run_until_complete(loop.shutdown_default_executor())
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise
        finally:
            loop.close()
            self._loop = self._stopping = None
            self._port = None

    async def _serve(self, started: concurrent.futures.Future[None]) -> None:
        try:
            server = await asyncio.start_server(
                self._accept, LOOPBACK, self._requested_port, limit=HEAD_LIMIT
            )
        except BaseException as exc:
            started.set_exception(exc)
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._port = server.sockets[0].getsockname()[1]
        started.set_result(None)
        try:
            await self._stopping.wait()
        finally:
            server.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            clients = list(self._clients)
            for writer in clients:
                writer.transport.abort()
            await asyncio.gather(*(w.wait_closed() for w in clients), return_exceptions=True)
            await server.wait_closed()
            await self._closed()

    async def _closed(self) -> None:
        """Called on the loop once every connection is closed, before the loop ends."""

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self: _S) -> _S:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- one client connection --------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The task is made here rather than by asyncio, so that stop() knows of it
        # even before it first runs.
        task = asyncio.get_running_loop().create_task(self._converse(reader, writer))
        self._tasks.add(task)
        self._clients.add(writer)
        task.add_done_callback(self._tasks.discard)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._exchange(reader, writer):
                pass
        except (OSError, asyncio.IncompleteReadError):
            reset_connection(writer)
        except BaseException:
            reset_connection(writer)
            raise
        else:
            writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request and have it served; return whether the connection stays
        open for another."""
        try:
            head = Head.parse(await reader.readuntil(b"\r\n\r\n"), request=True)
        except asyncio.IncompleteReadError:
            return False  # the client closed its connection
        except (ValueError, asyncio.LimitOverrunError):
            await self._refuse(writer, "GET", "bad request\n")
            return False
        method, _, version = head.start
        if "100-continue" in head.tokens("expect"):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            body = await read_body(reader, head)
        except (ValueError, asyncio.LimitOverrunError):
            await self._refuse(writer, method, "bad request body\n")
            return False
        keep_alive = version == "HTTP/1.1" and "close" not in head.tokens("connection")
        return await self._handle(head, body, keep_alive, reader, writer)

    @abc.abstractmethod
    async def _handle(self, head: Head, body: bytes, keep_alive: bool,
                      reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer the request *head* with *body*; as :meth:`_exchange`.

        With *keep_alive* False the answer must close the connection.
        """

    @abc.abstractmethod
    async def _refuse(self, writer: asyncio.StreamWriter, method: str, message: str) -> None:
        """Answer 400 with *message* to a request that could not be read, and say
        that the connection closes."""


# -- HTTP/1.1, just enough ----------------------------------------------------------


class Head:
    """The head of a request or of an answer: its first line and its header fields."""

    def __init__(self, start: list[str], headers: list[tuple[str, str]]) -> None:
        self.start = start
        self.headers = headers

    @classmethod
    def parse(cls, data: bytes, *, request: bool) -> Head:
        lines = data.decode("latin-1").split("\r\n")
        start = lines[0].split(" ", 2)
        if request and (len(start) != 3 or not start[2].startswith("HTTP/1.")):
            raise ValueError(f"not an HTTP/1.x request line: {lines[0]!r}")
        if not request and (len(start) < 2 or not start[1].isdigit()):
            raise ValueError(f"not an HTTP status line: {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            if line:
                name, colon, value = line.partition(":")
                if not colon:
                    raise ValueError(f"not a header field: {line!r}")
                headers.append((name.strip(), value.strip()))
        return cls(start, headers)

    def header(self, name: str) -> str | None:
        """The value of the field *name* (the first, if repeated), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def tokens(self, name: str) -> set[str]:
        """The comma-separated tokens of every field *name*, in lower case."""
        name = name.lower()
        return {
            token.strip().lower()
            for key, value in self.headers
            if key.lower() == name
            for token in value.split(",")
        }


async def read_body(reader: asyncio.StreamReader, request: Head) -> bytes:
    """Read a request's body, whole; chunked transfer coding is undone."""
    if "chunked" in request.tokens("transfer-encoding"):
        pieces = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            pieces.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass  # trailer fields
        return b"".join(pieces)
    length = request.header("content-length")
    return await reader.readexactly(int(length)) if length else b""


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close a connection with a TCP reset rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
