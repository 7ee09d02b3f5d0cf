"""The transport: HTTP requests and UDP datagrams, the only module that uses aiohttp.

It owns the :class:`aiohttp.ClientSession` of each event loop, request bodies and
their compression, and it is the one place where aiohttp's and the socket's
exceptions become influxkit's (:func:`mapped_errors`) and where an error status
becomes an :class:`~influxkit.InfluxDBHTTPError` carrying what the server said, with
the request's URL shown without credentials. It knows nothing of InfluxDB's
endpoints beyond that: the engine (:mod:`influxkit._engine`) says what to send.

A new endpoint needs nothing here: the engine calls :meth:`Transport.request`.

Sessions end quietly: those still open when the interpreter exits are closed then
(before the threads and loops they need are torn down), and a child process forked
from one with open sessions forgets them without touching them (they are its parent's)
and opens its own on its first request.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import difflib
import gzip as gzip_module
import inspect
import json
import logging
import os
import ssl as ssl_module
import threading
import time
import weakref
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Final, Protocol, cast

import aiohttp

from ._core.credentials import Credentials
from ._core.urls import safe_url, without_userinfo
from ._decode.documents import MSGPACK
from ._errors import InfluxDBConnectionError, InfluxDBTimeoutError, http_error, line_details
from ._version import __version__

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXIT_WAIT",
    "SESSION_OPTIONS",
    "ClientResponse",
    "ClientSession",
    "ClientTimeout",
    "Transport",
    "TransportSettings",
    "check_session_options",
    "make_timeout",
    "mapped_errors",
]

logger = logging.getLogger("influxkit")

ClientSession = aiohttp.ClientSession
ClientResponse = aiohttp.ClientResponse
ClientTimeout = aiohttp.ClientTimeout

# Without a total limit a long chunked query may stream for as long as it needs; a
# silent server is still detected by the read timeout.
DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300)


EXIT_WAIT: Final = 5.0
"""How long closing a session of another thread's loop may take at interpreter exit."""


def make_timeout(timeout: aiohttp.ClientTimeout | float | None) -> aiohttp.ClientTimeout:
    """The timeout of a client: :data:`DEFAULT_TIMEOUT`, an aiohttp timeout as it is,
    or a number of seconds for the whole request."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    return aiohttp.ClientTimeout(total=float(timeout))


@contextlib.contextmanager
def mapped_errors(what: str) -> Iterator[None]:
    """Turn aiohttp's and the socket's exceptions into influxkit's.

    ``what`` names the request in the message (``"POST http://host:8086/write"``,
    without credentials). Every exception of aiohttp or of the operating system met
    while sending a request, reading its answer or sending datagrams goes through here.
    """
    try:
        yield
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise InfluxDBTimeoutError(f"{what}: timed out") from exc
    except (aiohttp.ClientError, OSError) as exc:
        # aiohttp's messages may quote a URL; any credentials in it are left out.
        text = without_userinfo(str(exc))
        raise InfluxDBConnectionError(f"{what}: {exc.__class__.__name__}: {text}") from exc


SESSION_OPTIONS: Final = frozenset(
    name for name, parameter in inspect.signature(aiohttp.ClientSession).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    or parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)
"""The arguments of :class:`aiohttp.ClientSession`, which the client passes on."""


def check_session_options(options: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse arguments that are neither ``known`` (the client's own) nor
    :data:`SESSION_OPTIONS`, naming the closest valid name.

    Raises:
        TypeError: for the first unknown argument, at construction rather than at the
            first request.
    """
    for name in options:
        if name not in SESSION_OPTIONS:
            choices = sorted({*known, *SESSION_OPTIONS})
            close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"InfluxDBClient() got an unexpected keyword argument {name!r}"
                            f"{hint}")


class TransportSettings(Protocol):
    """The configuration the transport reads at each request (the client's)."""

    url: str
    unix_socket: str | None
    gzip: bool
    timeout: aiohttp.ClientTimeout


class _Body(aiohttp.BytesPayload):
    """A request body of line protocol, handed to the socket in one write.

    aiohttp warns about bytes bodies over 1 MB and suggests a file object, which it
    sends in 64 kB pieces, each an await: for write bodies of several MB that costs a
    fifth of the throughput of a bulk load. Writing the bytes at once blocks nothing
    (the transport buffers what the socket does not take).
    """

    def __init__(self, value: bytes | bytearray | memoryview) -> None:
        super().__init__(b"", content_type="text/plain; charset=utf-8")
        self._value = value  # type: ignore[assignment]  # any bytes-like object works
        self._size = len(value)


class Transport:
    """Sessions, requests and datagrams for one client.

    Args:
        settings: where and how to connect, read at each request.
        ssl: aiohttp's ``ssl`` option: ``False`` not to verify certificates, or an
            :class:`ssl.SSLContext`.
        credentials: the user and password, or token, of every request; every form
            of them is scrubbed from what the server says in an error.
        session_options: more arguments of :class:`aiohttp.ClientSession`.
    """

    def __init__(self, settings: TransportSettings, *, ssl: bool | ssl_module.SSLContext,
                 credentials: Credentials, session_options: Mapping[str, Any]) -> None:
        self._settings = settings
        self._ssl = ssl
        self.credentials = credentials
        self._session_options = dict(session_options)
        self._former: list[Credentials] = []
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}
        # The responses handed out, by loop: those still being read when their session
        # closes are closed first (see _close_session).
        self._responses: dict[asyncio.AbstractEventLoop,
                              weakref.WeakSet[aiohttp.ClientResponse]] = {}
        _transports.add(self)
        self.opener: Callable[[], Awaitable[aiohttp.ClientSession]] = self.new_session
        """Makes the session of a loop that has none (the client's ``create_session``,
        which users may override)."""

    # -- sessions ------------------------------------------------------------------------

    async def new_session(self, **kwargs: Any) -> aiohttp.ClientSession:
        """Make the session of the running loop (closing one it had)."""
        loop = asyncio.get_running_loop()
        old = self._sessions.pop(loop, None)
        if old is not None:
            await _close_session(old, self._responses.pop(loop, ()))
        settings = self._settings
        if settings.unix_socket:
            connector: aiohttp.BaseConnector = aiohttp.UnixConnector(path=settings.unix_socket)
        else:
            connector = aiohttp.TCPConnector(ssl=self._ssl)
        headers = {
            "User-Agent": f"influxkit/{__version__}",
            # aiohttp asks for gzip by default, which makes the server spend its CPU
            # compressing every answer.
            "Accept-Encoding": "gzip" if settings.gzip else "identity",
        }
        authorization = self.credentials.authorization
        if authorization:
            headers["Authorization"] = authorization
        options: dict[str, Any] = {
            "connector": connector,
            "timeout": settings.timeout,
            "headers": headers,
            **self._session_options,
            **kwargs,
        }
        session = aiohttp.ClientSession(**options)
        self._sessions[loop] = session
        return session

    async def session(self) -> aiohttp.ClientSession:
        """The running loop's session, made when it has none."""
        session = self._sessions.get(asyncio.get_running_loop())
        if session is None or session.closed:
            session = await self.opener()
        return session

    def set_credentials(self, credentials: Credentials) -> None:
        """Send the requests made from now on with these credentials.

        Sessions already open send their default headers with every request. A session
        of a loop running in another thread (blocking mode's) is changed on that loop,
        ahead of any request made after this call. Errors go on being scrubbed of the
        former credentials too.
        """
        self._former.append(self.credentials)
        self.credentials = credentials
        authorization = credentials.authorization or ""
        current = asyncio._get_running_loop()
        for loop, session in list(self._sessions.items()):
            if loop.is_running() and loop is not current:
                loop.call_soon_threadsafe(session.headers.__setitem__, "Authorization",
                                          authorization)
            elif not loop.is_closed():
                session.headers["Authorization"] = authorization

    @property
    def open(self) -> bool:
        """Whether a session is still open."""
        return any(not session.closed for session in self._sessions.values())

    async def close(self, private: asyncio.AbstractEventLoop | None) -> None:
        """Close every session: the running loop's and the ``private`` loop's awaited,
        those of other loops started and not waited for."""
        current = asyncio.get_running_loop()
        for loop, closing in self._closings():
            if loop is current:
                await closing
            elif loop is private:
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(closing, loop))
            else:
                _close_elsewhere(loop, closing)

    def close_elsewhere(self, private: asyncio.AbstractEventLoop | None,
                        run: Callable[[Coroutine[Any, Any, None]], object]) -> None:
        """Close every session from outside any loop: the ``private`` loop's with
        ``run`` (which waits), the others without waiting."""
        for loop, closing in self._closings():
            if loop is private:
                run(closing)
            else:
                _close_elsewhere(loop, closing)

    def close_at_exit(self) -> None:
        """Close every session as the interpreter exits, waiting for each (at most
        :data:`EXIT_WAIT` seconds for a loop running in another thread)."""
        for loop, closing in self._closings():
            if loop.is_running():
                future = asyncio.run_coroutine_threadsafe(closing, loop)
                try:
                    future.result(EXIT_WAIT)
                except concurrent.futures.TimeoutError:
                    future.cancel()
                    logger.debug("a session was not closed within %g s at exit", EXIT_WAIT)
            else:
                _close_elsewhere(loop, closing)

    def _closings(self) -> Iterator[tuple[asyncio.AbstractEventLoop, Coroutine[Any, Any, None]]]:
        """Each loop with a session, and the coroutine that closes that session; the
        session is forgotten."""
        for loop, session in list(self._sessions.items()):
            del self._sessions[loop]
            yield loop, _close_session(session, self._responses.pop(loop, ()))

    def _forget(self) -> None:
        """In a process just forked: forget the sessions, which are the parent's.

        Their connections are the parent's sockets: the child must neither use them nor
        close them (closing one would unregister it from the event loop the child
        shares with the parent, see influxkit._blocking._disown). Their connectors are
        marked closed, which makes aiohttp leave them alone, finalisers included: once
        dropped, they only close the child's copies of the sockets. The child's first
        request opens a session of its own.
        """
        sessions, self._sessions, self._responses = self._sessions, {}, {}
        for session in sessions.values():
            connector = session.connector
            if connector is not None:
                cast(Any, connector)._closed = True  # aiohttp has no public "not ours"

    # -- requests ------------------------------------------------------------------------

    async def request(self, method: str, endpoint: str, *,
                      params: Mapping[str, str] | None = None, data: Any = None,
                      headers: Mapping[str, str] | None = None,
                      write: bool = False) -> aiohttp.ClientResponse:
        """Send a request and return its response, raising for an error status.

        Raises:
            InfluxDBHTTPError: for a status of 300 or more, with the server's message
                (an :class:`~influxkit.InfluxDBWriteError` with ``write``).
            InfluxDBConnectionError: when the server cannot be reached.
        """
        session = await self.session()
        url = f"{self._settings.url}/{endpoint}"
        started = time.perf_counter()
        with mapped_errors(f"{method} {safe_url(url, None)}"):
            response = await session.request(method, url, params=params, data=data,
                                             headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %d in %.1f ms", method, endpoint, response.status, elapsed)
        loop = asyncio.get_running_loop()
        responses = self._responses.get(loop)
        if responses is None:
            responses = self._responses[loop] = weakref.WeakSet()
        responses.add(response)
        if response.status >= 300:
            try:
                body = await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                body = b""
            finally:
                response.release()
            error = http_error(response.status, _error_message(response, body), write=write,
                               method=method, url=safe_url(url, params),
                               headers=response.headers)
            self.scrub_error(error)
            raise error
        return response

    def scrub(self, text: str) -> str:
        """``text`` (what the server said) without any form of the credentials."""
        for credentials in (self.credentials, *self._former):
            text = credentials.scrub(text)
        return text

    def scrub_error(self, error: BaseException) -> None:
        """Take every form of the credentials out of an error, in place."""
        for credentials in (self.credentials, *self._former):
            credentials.scrub_error(error)

    async def post_lines(self, body: bytes | bytearray | memoryview,
                         params: Mapping[str, str], endpoint: str = "write") -> None:
        """Post a body of line protocol to ``endpoint`` (``/write`` by default), gzipped
        with the ``gzip`` setting."""
        headers = {}
        if self._settings.gzip:
            body = gzip_module.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        response = await self.request("POST", endpoint, params=params, data=_Body(body),
                                      headers=headers, write=True)
        response.release()

    async def read(self, response: aiohttp.ClientResponse, what: str) -> bytes:
        """The whole body of a (small) response; the connection is released."""
        try:
            return b"".join([piece async for piece in self.pieces(response, what)])
        finally:
            response.release()

    async def pieces(self, response: aiohttp.ClientResponse, what: str
                     ) -> AsyncIterator[bytes]:
        """The body of a response, piece by piece as it arrives."""
        with mapped_errors(what):
            try:
                async for piece in response.content.iter_any():
                    yield piece
            except RuntimeError as exc:
                # What aiohttp's stream raises when its connection was closed under it
                # (the client closed while a piece was awaited).
                if not _connection_lost(response):
                    raise
                raise InfluxDBConnectionError(
                    f"{what}: the connection was closed while reading the answer") from exc

    # -- datagrams -----------------------------------------------------------------------

    async def send_datagrams(self, host: str, port: int, packets: list[bytes], *,
                             burst_bytes: int, pause: float) -> None:
        """Send datagrams to ``host:port``, ``burst_bytes`` at most every ``pause``
        seconds; return once every one is handed to the operating system.

        Raises:
            InfluxDBConnectionError: when the host cannot be resolved, or the
                operating system reports a datagram lost (no listener on the port).
        """
        loop = asyncio.get_running_loop()
        where = f"UDP [{host}]:{port}" if ":" in host else f"UDP {host}:{port}"
        with mapped_errors(where):
            transport, sender = await loop.create_datagram_endpoint(
                lambda: _Sender(loop), remote_addr=(host, port))
        try:
            burst = 0
            for packet in packets:
                if burst + len(packet) > burst_bytes:
                    await asyncio.sleep(pause)
                    burst = 0
                transport.sendto(packet)
                burst += len(packet)
        finally:
            # Datagrams the socket could not take at once are sent before it closes.
            transport.close()
        await sender.closed
        if sender.errors:
            error = sender.errors[0]
            raise InfluxDBConnectionError(
                f"{where}: datagrams were lost: {error.__class__.__name__}: {error} "
                "(is the server's UDP listener on this port?)"
            ) from error


def _connection_lost(response: aiohttp.ClientResponse) -> bool:
    connection = response.connection
    if connection is None:
        return True
    protocol = connection.protocol
    return protocol is None or not getattr(protocol, "connected", True)


def _error_message(response: aiohttp.ClientResponse, body: bytes) -> str:
    """What the server said in an error answer: its ``error`` or ``message`` field, its
    ``X-Influxdb-Error`` header, or the body as text."""
    header = response.headers.get("X-Influxdb-Error")
    text = body.decode("utf-8", "replace").strip()
    try:
        decoded = json.loads(text) if text.startswith("{") else None
    except ValueError:
        decoded = None
    if decoded is None and response.content_type == MSGPACK and body:
        try:
            import msgpack

            decoded = msgpack.unpackb(body, raw=False)
        except Exception:
            decoded = None
    if isinstance(decoded, dict):
        # 1.x and 3.x: {"error": ...}, 3.x with the refused lines in "data"; 2.x:
        # {"code": ..., "message": ...}.
        message = decoded.get("error") or decoded.get("message")
        if message and decoded.get("data"):
            return line_details(str(message), decoded["data"])
        if message:
            return str(message)
    return header or text or response.reason or "no message"


async def _close_session(session: aiohttp.ClientSession,
                         responses: Iterable[aiohttp.ClientResponse]) -> None:
    """Close a session, and first the responses of it still being read.

    Closing only the session would leave a reader of an answer waiting for ever: aiohttp
    closes the connection but forgets the stream it would have woken. A closed response
    wakes its reader with a connection error.
    """
    for response in list(responses):
        response.close()
    await session.close()


def _close_elsewhere(loop: asyncio.AbstractEventLoop, closing: Coroutine[Any, Any, None]
                     ) -> None:
    """Close a session that belongs to another event loop, without waiting on it."""
    if loop.is_running():
        asyncio.run_coroutine_threadsafe(closing, loop)
    elif loop.is_closed() or asyncio._get_running_loop() is not None:
        _run_at_once(closing)
    else:
        loop.run_until_complete(closing)


def _run_at_once(closing: Coroutine[Any, Any, None]) -> None:
    """Run a closing that cannot wait: that of a session whose loop is closed (nothing
    is left to do on it, aiohttp then only marks things closed), or cannot be run here."""
    try:
        closing.send(None)
    except StopIteration:
        return
    closing.close()  # it would have waited: what it left is finalised as it can be


class _Sender(asyncio.DatagramProtocol):
    """Notes the errors the operating system reports and when the transport is done."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.errors: list[Exception] = []
        self.closed = loop.create_future()

    def error_received(self, exc: Exception) -> None:
        self.errors.append(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.errors.append(exc)
        if not self.closed.done():
            self.closed.set_result(None)


# -- the end of a process, and the start of a forked one -------------------------------------

_transports: weakref.WeakSet[Transport] = weakref.WeakSet()


def _close_at_exit() -> None:
    """Close the sessions still open: the interpreter would otherwise finalise them
    after their loops' threads had stopped, and aiohttp would complain of each
    ("Unclosed client session"), which ``python -W error`` makes an error."""
    for transport in list(_transports):
        try:
            transport.close_at_exit()
        except Exception:  # nobody left to raise it to
            logger.debug("closing a client's sessions at exit failed", exc_info=True)


def _forget_parent_sessions() -> None:
    for transport in list(_transports):
        transport._forget()


# Run where threading runs its own exit hooks: after the application's main thread has
# ended, before the interpreter stops other threads (a blocking client's loop thread,
# which closing its sessions needs). Hooks run last in, first out: registered at import,
# this one runs after those registered later, such as a blocking writer's, which may
# still send.
getattr(threading, "_register_atexit", atexit.register)(_close_at_exit)
if hasattr(os, "register_at_fork"):  # not on Windows, where there is no fork
    os.register_at_fork(after_in_child=_forget_parent_sessions)
