"""The client: a thin façade that holds the configuration and composes the layers.

:class:`InfluxDBClient` owns a :class:`~influxkit._transport.Transport` (HTTP and UDP),
an :class:`~influxkit._engine.Engine` (what each operation sends and how its answer is
read) and a :class:`~influxkit._blocking.ModeSwitch` (what a call returns in async and
in blocking mode). Its methods are the engine's operations, the administration
commands of :mod:`influxkit._admin` and the other clients' ways of writing
(:mod:`influxkit._compat`), each made to follow the mode in one place; the batching
writer and sessions are made on its engine.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import ssl as ssl_module
import warnings
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Final,
    Generic,
    ParamSpec,
    TypeVar,
    overload,
)

from . import _admin
from ._blocking import ModeSwitch
from ._compat import write_measurement_call, write_points_call
from ._core.backoff import RetryPolicy
from ._core.credentials import Credentials
from ._core.limits import MAX_REQUEST_BYTES
from ._core.servers import Server, parse_server
from ._core.urls import environment_options, merge_options, parse_url
from ._decode.outputs import check_output
from ._dual import AsyncMode, BlockingMode, Dual, dual
from ._encode.datagrams import MAX_DATAGRAM_BYTES
from ._engine import ChunkedResponse, Engine
from ._patterns import BUILT_IN, check_pattern, pattern_method
from ._session import Session
from ._transport import (
    ClientSession,
    ClientTimeout,
    Transport,
    check_session_options,
    make_timeout,
)
from ._writer import AsyncWriter, BlockingWriter

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["ChunkedResponse", "InfluxDBClient"]

# The attributes a client sets on itself, which a query pattern's method must not hide.
_INSTANCE_ATTRIBUTES: Final = frozenset({
    "accept_partial", "db", "default_tags", "gzip", "host", "max_request_bytes", "no_sync",
    "org", "port", "ssl", "timeout", "udp_port", "unix_socket", "url", "use_udp", "username",
})

M = TypeVar("M", bound=str)
P = ParamSpec("P")
R = TypeVar("R")


def _command(function: Callable[Concatenate[Engine, P], Coroutine[Any, Any, R]]
             ) -> Dual[P, R]:
    """A coroutine function of the engine, as a method of the client that follows its
    mode (a coroutine in async mode, the result in blocking mode)."""

    async def method(self: InfluxDBClient[Any], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await function(self._engine, *args, **kwargs)

    # Its name, documentation and signature are the command's (less the engine).
    functools.update_wrapper(method, function)
    return dual(method)


class InfluxDBClient(Generic[M]):
    """A client for InfluxDB's HTTP API, asynchronous by default and blocking on request.

    Args:
        host: server host name or address.
        port: server port.
        path: path prefix of the API (for a server behind a reverse proxy).
        mode: ``'async'`` (methods return coroutines) or ``'blocking'`` (methods
            return results). Can be changed at any time through :attr:`mode`.
        output: ``'json'`` (the parsed JSON dict), ``'dataframe'`` (pandas),
            ``'polars'`` or ``'resultset'`` (a :class:`ResultSet` per statement).
        db: default database. ``database`` is the same, under the official client's name.
        ssl: ``True`` for HTTPS, or an :class:`ssl.SSLContext` (implies HTTPS) to
            trust a private certificate authority.
        unix_socket: path of the server's unix domain socket.
        username: the user name, for HTTP basic authentication.
        password: the user's password, for HTTP basic authentication.
        token: a token, sent as ``Authorization: Token ...`` (InfluxDB 2.x and 3.x).
        auth_scheme: how the token is sent: ``"Token"``, or ``"Bearer"`` (3.x only;
            2.x refuses it).
        org: the organisation (InfluxDB 2.x): writes then go to 2.x's own
            ``/api/v2/write``, to the bucket named by the database (``db/rp`` with a
            retention policy), which needs no DBRP mapping; and the databases that
            :meth:`create_database` makes are its buckets.
        bucket: the official 2.x client's name for ``db``.
        server: the server's version (``"1.8"``, ``"2.7"``, ``"3"``, ``"3.6"``...) when a
            proxy hides what the server says of itself; by default it is learnt from
            its first answer to ``/ping``. See :attr:`server`.
        accept_partial: on InfluxDB 3.x, ``False`` asks ``/api/v3/write_lp`` to store
            nothing of a batch with a bad line (other servers store the good lines:
            they refuse this setting).
        no_sync: on InfluxDB 3.x, acknowledge writes before they reach the
            write-ahead log (faster; points are lost if the server crashes).
        timeout: seconds for the whole request, or an :class:`aiohttp.ClientTimeout`.
        verify_ssl: set to ``False`` to skip verifying the server's certificate.
        gzip: compress request bodies and ask for compressed answers. Worth it on
            slow links; on a LAN it costs more CPU than it saves.
        default_tags: tags added to every point written by this client (a point's own
            tags, and the extra tags of a write, win).
        use_udp: send writes as UDP datagrams to ``udp_port`` (InfluxDB's UDP
            listener), of at most :attr:`max_datagram_bytes` each. The listener answers
            nothing, so no error is ever reported by the server, and it stores points
            in the database and retention policy of its own configuration, reading
            timestamps in its own precision (nanoseconds unless configured): a write's
            ``precision`` must be that one, and its ``db`` and ``rp`` do not apply.
            Queries still go over HTTP.
        udp_port: the port of the server's UDP listener.
        loop: accepted for compatibility and ignored.
        **kwargs: passed on to :class:`aiohttp.ClientSession`; any other name is
            refused at once (a ``TypeError`` naming the closest valid one).

    Example::

        async with InfluxDBClient(db="testdb") as client:
            await client.create_database(db="testdb")
            await client.write({"measurement": "cpu", "fields": {"load": 0.64}})
            resp = await client.query("SELECT load FROM cpu")
    """

    max_datagram_bytes: int = MAX_DATAGRAM_BYTES
    """The size limit of the UDP datagrams of writes with ``use_udp``: 1,400 bytes
    unless set, which Ethernet carries unfragmented, tunnel headers included; at most
    65,507. Lines are never cut: a longer line is refused before anything is sent.
    Datagrams go out in bursts of 16 kB, 1 ms apart (at most about 16 MB/s), so as not
    to overrun the listener's socket buffer: UDP has no flow control."""

    @overload
    def __init__(
        self: InfluxDBClient[AsyncMode],
        host: str = ...,
        port: int = ...,
        path: str = ...,
        mode: AsyncMode = ...,
        output: str = ...,
        db: str | None = ...,
        database: str | None = ...,
        ssl: bool | ssl_module.SSLContext = ...,
        *,
        unix_socket: str | None = ...,
        username: str | None = ...,
        password: str | None = ...,
        token: str | None = ...,
        auth_scheme: str = ...,
        org: str | None = ...,
        bucket: str | None = ...,
        server: str | Server | None = ...,
        accept_partial: bool = ...,
        no_sync: bool = ...,
        timeout: ClientTimeout | float | None = ...,
        verify_ssl: bool = ...,
        gzip: bool = ...,
        default_tags: Mapping[str, Any] | None = ...,
        use_udp: bool = ...,
        udp_port: int = ...,
        loop: asyncio.AbstractEventLoop | None = ...,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: InfluxDBClient[BlockingMode],
        host: str = ...,
        port: int = ...,
        path: str = ...,
        mode: BlockingMode = ...,
        output: str = ...,
        db: str | None = ...,
        database: str | None = ...,
        ssl: bool | ssl_module.SSLContext = ...,
        *,
        unix_socket: str | None = ...,
        username: str | None = ...,
        password: str | None = ...,
        token: str | None = ...,
        auth_scheme: str = ...,
        org: str | None = ...,
        bucket: str | None = ...,
        server: str | Server | None = ...,
        accept_partial: bool = ...,
        no_sync: bool = ...,
        timeout: ClientTimeout | float | None = ...,
        verify_ssl: bool = ...,
        gzip: bool = ...,
        default_tags: Mapping[str, Any] | None = ...,
        use_udp: bool = ...,
        udp_port: int = ...,
        loop: asyncio.AbstractEventLoop | None = ...,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: InfluxDBClient[Any],
        host: str = ...,
        port: int = ...,
        path: str = ...,
        mode: str = ...,
        output: str = ...,
        db: str | None = ...,
        database: str | None = ...,
        ssl: bool | ssl_module.SSLContext = ...,
        *,
        unix_socket: str | None = ...,
        username: str | None = ...,
        password: str | None = ...,
        token: str | None = ...,
        auth_scheme: str = ...,
        org: str | None = ...,
        bucket: str | None = ...,
        server: str | Server | None = ...,
        accept_partial: bool = ...,
        no_sync: bool = ...,
        timeout: ClientTimeout | float | None = ...,
        verify_ssl: bool = ...,
        gzip: bool = ...,
        default_tags: Mapping[str, Any] | None = ...,
        use_udp: bool = ...,
        udp_port: int = ...,
        loop: asyncio.AbstractEventLoop | None = ...,
        **kwargs: Any,
    ) -> None: ...

    def __init__(
        self,
        host: str = "localhost",
        port: int = 8086,
        path: str = "/",
        mode: str = "async",
        output: str = "json",
        db: str | None = None,
        database: str | None = None,
        ssl: bool | ssl_module.SSLContext = False,
        *,
        unix_socket: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        auth_scheme: str = "Token",
        org: str | None = None,
        bucket: str | None = None,
        server: str | Server | None = None,
        accept_partial: bool = True,
        no_sync: bool = False,
        timeout: ClientTimeout | float | None = None,
        verify_ssl: bool = True,
        gzip: bool = False,
        default_tags: Mapping[str, Any] | None = None,
        use_udp: bool = False,
        udp_port: int = 4444,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        del loop  # the right loop is always the running one
        self._modes = ModeSwitch(mode)
        self._output = check_output(output)
        self.db = db or database or bucket
        self.org = org
        self.accept_partial = accept_partial
        self.no_sync = no_sync
        self.host = host
        self.port = port
        self.ssl = bool(ssl)
        self.unix_socket = unix_socket
        self.gzip = gzip
        # A copy: the caller's mapping is never changed, nor read again.
        self.default_tags: dict[str, Any] = dict(default_tags or {})
        self.use_udp = use_udp
        self.udp_port = udp_port
        self.max_request_bytes = MAX_REQUEST_BYTES
        scheme = "https" if ssl else "http"
        netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
        prefix = "/" + path.strip("/") if path.strip("/") else ""
        self.url = f"{scheme}://{netloc}:{port}{prefix}"
        self.username = username
        self.timeout = make_timeout(timeout)
        check_session_options(kwargs, inspect.signature(InfluxDBClient).parameters)
        self._transport = Transport(
            self, ssl=ssl if isinstance(ssl, ssl_module.SSLContext) else verify_ssl,
            credentials=Credentials(username, password, token, auth_scheme),
            session_options=kwargs)
        # Sessions are made by create_session, which a subclass may override.
        self._transport.opener = self.create_session
        self._engine = Engine(self, self._transport,
                              parse_server(server) if server is not None else None)

    if TYPE_CHECKING:
        @property
        def _mode_type(self) -> M:
            """The mode, as type checkers know it (see :mod:`influxkit._dual`)."""

    # -- configuration -------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``'async'`` or ``'blocking'``; may be switched at any time."""
        return self._modes.mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self._modes.mode = mode

    @property
    def output(self) -> str:
        """The format of query results: ``'json'``, ``'dataframe'`` (pandas), ``'polars'`` or
        ``'resultset'`` (a :class:`ResultSet` for one statement, a list of them for several;
        one per chunk of a chunked query)."""
        return self._output

    @output.setter
    def output(self, output: str) -> None:
        self._output = check_output(output)

    @property
    def server(self) -> Server | None:
        """The server, once known: given by the ``server`` option, or learnt from its
        first answer to ``/ping`` (which the first operation sends); None before.

        Its :attr:`~Server.major` (1, 2 or 3), :attr:`~Server.version` and
        :attr:`~Server.build` decide how requests are spelt for it. A server that
        says nothing of itself (behind a proxy that drops its headers) is
        ``Server(None)``, and is sent only what every server reads the same.
        """
        return self._engine.server

    @property
    def version(self) -> str | None:
        """The server's version as it reported it (``"1.8.10"``, ``"v2.7.11"``,
        ``"3.6.0"``), once known; None before, ``""`` when it said none."""
        server = self._engine.server
        return None if server is None else server.version

    @property
    def database(self) -> str | None:
        """The default database (the same as :attr:`db`)."""
        return self.db

    @database.setter
    def database(self, name: str | None) -> None:
        self.db = name

    def __repr__(self) -> str:
        where = f"unix_socket={self.unix_socket!r}" if self.unix_socket else f"url={self.url!r}"
        if self.use_udp:
            where += f", udp_port={self.udp_port!r}"
        # The password and the token are never shown.
        user = f", username={self.username!r}" if self.username else ""
        return (f"<InfluxDBClient {where}{user}, db={self.db!r}, mode={self.mode!r}, "
                f"output={self._output!r}>")

    # -- other ways to make one ------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> InfluxDBClient[Any]:
        """Make a client from one URL.

        Args:
            url: the server, credentials, database and options, in one of these forms
                (``[...]`` is optional)::

                    http://[user[:password]@]host[:port][/prefix...][/database][?options]
                    https://...             (HTTPS)
                    influxdb://...          (http; port 8086 unless given)
                    https+influxdb://...    (https; port 8086 unless given)
                    udp+influxdb://host[:udp_port][/database][?options]
                    unix:///path/to/influxdb.sock[?db=database&options]
                    unix://user:password@/path/to/influxdb.sock[?options]

                ``http://`` and ``https://`` without a port mean 80 and 443.
                ``udp+influxdb://`` sends writes as UDP datagrams to its port (4444
                unless given) and queries over HTTP on port 8086 (or ``port=...``).
                The last segment of the path names the database, what comes before it
                is the API's path prefix; with the ``db`` option the whole path is the
                prefix. Credentials and values are percent-decoded (``%40`` for ``@``,
                ``%3A`` for ``:``, ``%2F`` for ``/``, ``%25`` for ``%``, ``%23`` for
                ``#``); ``+`` is a plus sign. The options: ``db``, ``token``,
                ``auth_scheme``, ``org``, ``bucket``, ``server``, ``timeout``
                (seconds), ``verify_ssl``, ``gzip`` (``true``/``false``), ``mode``,
                ``output``.
            **kwargs: arguments of :class:`~influxkit.InfluxDBClient`; they win over
                the URL.

        Returns:
            The client.

        Raises:
            ValueError: for a URL not of these forms, or an unknown or invalid option,
                naming it. Messages never show the password or the token.

        Example::

            client = InfluxDBClient.from_url(
                "https://alice:s3cr%40t@influx.example.com/influx/metrics?timeout=10")
        """
        return cls(**merge_options(parse_url(url), kwargs))

    @classmethod
    def from_dsn(cls, dsn: str, **kwargs: Any) -> InfluxDBClient[Any]:
        """:meth:`from_url` under influxdb-python's name.

        One difference: the port of a ``udp+influxdb://`` URL is the UDP port here
        (influxdb-python reads it as the HTTP port and takes ``udp_port=`` for UDP);
        ``udp_port=`` still wins, and the HTTP port is ``port=`` (8086 by default).

        Args:
            dsn: the URL, as :meth:`from_url` reads it.
            **kwargs: constructor arguments, which win over the URL's.
        """
        return cls(**merge_options(parse_url(dsn), kwargs))

    @classmethod
    def from_env(cls, **kwargs: Any) -> InfluxDBClient[Any]:
        """Make a client from environment variables.

        The first of ``INFLUX_URL``, ``INFLUX_HOST`` (the official 3.x client's) and
        ``INFLUXDB_V2_URL`` (the official 2.x client's) gives the server as for
        :meth:`from_url` (by default the constructor's, ``http://localhost:8086``);
        ``INFLUX_USERNAME``, ``INFLUX_PASSWORD``, ``INFLUX_TOKEN`` (or
        ``INFLUXDB_V2_TOKEN``), ``INFLUX_AUTH_SCHEME``, ``INFLUX_DATABASE``,
        ``INFLUX_ORG`` (or ``INFLUXDB_V2_ORG``), ``INFLUX_SERVER``,
        ``INFLUXDB_V2_TIMEOUT`` (milliseconds) and ``INFLUXDB_V2_VERIFY_SSL`` each
        replace their part of it. Empty variables count as unset.

        Args:
            **kwargs: arguments of :class:`~influxkit.InfluxDBClient`; they win over
                the environment.

        Raises:
            ValueError: for an invalid ``INFLUX_URL``, naming the variable.

        Example::

            # INFLUX_URL=https://influx.example.com:8086/metrics INFLUX_PASSWORD=...
            client = InfluxDBClient.from_env(mode="blocking")
        """
        return cls(**merge_options(environment_options(os.environ), kwargs))

    # -- the client's database and user -----------------------------------------------------

    def switch_database(self, database: str | None) -> None:
        """Make ``database`` the client's database (:attr:`~InfluxDBClient.db`).

        Raises:
            TypeError: for a name that is not a string (or ``None``).
        """
        if database is not None and not isinstance(database, str):
            raise TypeError(f"a database name must be a string, not {database!r}")
        self.db = database

    def switch_user(self, username: str, password: str) -> None:
        """Send the requests made from now on with these credentials (HTTP basic
        authentication), in place of the client's username and password or token.

        Requests already under way keep the credentials they were sent with.

        Raises:
            TypeError: for a username or password that is not a string.
            ValueError: for an empty username, or one with ``:``, which basic
                authentication cannot carry.
        """
        if not isinstance(username, str):
            raise TypeError(f"a username must be a string, not {username!r}")
        if not isinstance(password, str):
            raise TypeError(f"a password must be a string, not {type(password).__name__}")
        if not username or ":" in username:
            raise ValueError(f"username {username!r} cannot be sent by HTTP basic "
                             "authentication: it must be non-empty, without ':'")
        self._transport.set_credentials(Credentials(username, password))
        self.username = username

    # -- sessions and lifetime -------------------------------------------------------------

    async def create_session(self, **kwargs: Any) -> ClientSession:
        """Create the :class:`aiohttp.ClientSession` used on the running event loop.

        Override this, or call it with keyword arguments for
        :class:`aiohttp.ClientSession`, to use aiohttp features the constructor does
        not cover. The client keeps one session per event loop.

        Args:
            **kwargs: keyword arguments of :class:`aiohttp.ClientSession`, over the
                client's own (its connector, timeout, headers...).
        """
        return await self._transport.new_session(**kwargs)

    @overload
    def close(self: InfluxDBClient[BlockingMode]) -> None: ...

    @overload
    def close(self: InfluxDBClient[AsyncMode]) -> Coroutine[Any, Any, None]: ...

    @overload
    def close(self) -> Any: ...

    def close(self) -> Any:
        """Close the client's connections (a coroutine in async mode).

        The client can still be used afterwards; it opens new connections then.
        """
        if self._modes.blocking:
            self._close_blocking()
            return None
        return self._close_async()

    async def _close_async(self) -> None:
        runner = self._modes.runner
        await self._transport.close(runner.loop)
        if runner.loop is not None:
            await asyncio.to_thread(runner.stop)

    def _close_blocking(self) -> None:
        runner = self._modes.runner
        self._transport.close_elsewhere(runner.loop, runner.run)
        runner.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # In either mode: the sessions belong to loops that may be running, so they are
        # closed from the private thread's point of view.
        self._close_blocking()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._close_async()

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and transport.open:
            warnings.warn(f"{self!r} was not closed: call close() or use it as a context "
                          "manager", ResourceWarning, stacklevel=2)

    # -- the engine's operations -------------------------------------------------------

    @dual
    async def ping(self, *, timeout: float | None = None) -> dict[str, str]:
        """Ping the server.

        Args:
            timeout: seconds the ping may take, instead of the client's timeout.

        The client learns what the server is from the answer (see :attr:`server`).

        Returns:
            The response headers, e.g. ``{'X-Influxdb-Version': '1.8.10', ...}``
            (InfluxDB 3.0 sends none: its version is in :attr:`server`).

        Raises:
            InfluxDBHTTPError: for a non-2xx answer.
            InfluxDBConnectionError: when the server cannot be reached.
        """
        return await self._engine.ping(timeout=timeout)

    @dual
    async def detect_server(self, *, refresh: bool = False) -> Server:
        """The server (:attr:`server`), asked with a ``/ping`` when it is not known yet
        (or again, with ``refresh``).

        Raises:
            InfluxDBHTTPError: for an error answer to ``/ping`` (3.x asks for the token).
            InfluxDBConnectionError: when the server cannot be reached.
        """
        if refresh or self._engine.server is None:
            await self._engine.ping()
        server = self._engine.server
        assert server is not None
        return server

    @dual
    async def health(self, *, timeout: float | None = None) -> dict[str, Any]:
        """The server's health, from its ``/health`` (InfluxDB 1.8 and later, 2.x, 3.x):
        at least ``status`` (``"pass"`` when it is ready) and ``version`` where the
        server says it.

        Args:
            timeout: seconds the call may take, instead of the client's timeout.

        Raises:
            NotSupportedError: on InfluxDB 1.7 and earlier, which have no ``/health``
                (:meth:`ping` tells whether they answer), before anything is sent.
            InfluxDBHTTPError: for an error answer (a server that is not ready
                answers 503).
        """
        return await self._engine.health(timeout=timeout)

    @dual
    async def write(
        self,
        /,
        data: Any,
        measurement: str | None = None,
        db: str | None = None,
        precision: str | None = None,
        rp: str | None = None,
        tag_columns: Iterable[str] | None = None,
        *,
        batch_size: int | None = None,
        concurrency: int = 1,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        bucket: str | None = None,
        org: str | None = None,
        **extra_tags: Any,
    ) -> bool:
        """Write points.

        Args:
            data: a mapping (``measurement``, ``time``, ``tags``, ``fields``), a pandas
                DataFrame with a DatetimeIndex, an instance of a :func:`lineprotocol`
                class, line protocol as ``str`` or ``bytes``, or an iterable of these.
            measurement: measurement for inputs that don't name their own (needed for
                DataFrames).
            db: database; defaults to :attr:`db`.
            precision: unit of integer timestamps: ``'ns'`` (default), ``'u'`` (also
                ``'us'``, ``'µ'``), ``'ms'``, ``'s'``, ``'m'``, ``'h'``. Datetimes are
                converted to it exactly.
            rp: retention policy; the database's default if not given.
            tag_columns: DataFrame columns to write as tags.
            batch_size: points per request. By default requests are about 8 MB
                (:attr:`max_request_bytes`; InfluxDB 1.x refuses bodies over 25 MB).
                Line protocol given as text is cut between its lines.
            concurrency: requests in flight at once. More than one is faster for bulk
                loads, but batches may then land out of order: if the input holds the
                same point (series and time) twice, the later one may not win.
            timeout: seconds the whole write may take (every request of it, and its
                retries); by default only the client's timeout of each request applies.
                When it is up the write is cancelled (no request of it left running)
                and an :class:`InfluxDBTimeoutError` raised; the log says how many of
                its requests were stored.
            retry: a :class:`RetryPolicy`: each request of the write is sent again
                after a failure the policy retries (a connection error, 429, 5xx),
                after its delay. None (the default) sends each request once; for
                points that must be delivered whatever happens, use :meth:`writer`.
            bucket: the official 2.x client's name for ``db``.
            org: the organisation of this write (InfluxDB 2.x), instead of the
                client's: the write goes to ``/api/v2/write`` (see the client's ``org``).
            **extra_tags: tags added to every point (``batch_size``, ``concurrency``,
                ``timeout``, ``retry``, ``bucket`` and ``org`` can't be tag names here).

        Encoding runs in a worker thread while earlier batches are sent. A DataFrame is
        checked whole and then encoded batch by batch, so memory stays bounded however
        large it is; other inputs are encoded whole before the first request.

        Returns:
            ``True``; nothing is sent for an input with no points.

        Raises:
            LineProtocolError: for data line protocol cannot carry, before anything is
                sent. It names the point and the value.
            InfluxDBWriteError: when the server refuses the write (a
                :class:`PartialWriteError` when it stored only some points).
            InfluxDBConnectionError: when the server cannot be reached.
        """
        if db is not None and bucket is not None and db != bucket:
            raise TypeError("pass the database once: db= or bucket=")
        return await self._engine.write(data, measurement, db if db is not None else bucket,
                                        precision, rp, tag_columns, batch_size=batch_size,
                                        concurrency=concurrency, timeout=timeout,
                                        retry=retry, org=org, **extra_tags)

    @dual
    async def query(
        self,
        q: str,
        *,
        epoch: str | None = "ns",
        chunked: bool = False,
        chunk_size: int | None = None,
        db: str | None = None,
        params: Mapping[str, Any] | None = None,
        output: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """Run an InfluxQL query.

        Args:
            q: the query; several statements may be separated by ``;``.
            epoch: unit of the returned timestamps (``'ns'``, ``'u'``, ``'ms'``,
                ``'s'``, ``'m'``, ``'h'``), or ``None`` for RFC 3339 strings.
            chunked: stream the result: returns an async iterator of results, one per
                chunk the server sends (a plain iterator in blocking mode).
            chunk_size: rows per chunk (the server's default is 10,000).
            db: database; defaults to :attr:`db`.
            params: bind parameters, referenced as ``$name`` in the query. Values are
                sent apart from the query text, so they need no quoting.
            output: the output of this query, instead of the client's :attr:`output`.
            timeout: seconds the query may take, its answer read whole (for a chunked
                query: until its first chunk); by default only the client's timeout
                applies. When it is up, :class:`InfluxDBTimeoutError` is raised.
            retry: a :class:`RetryPolicy`: the query is sent again after a failure the
                policy retries (a connection error, an answer cut short, 429, 5xx).

        Returns:
            In ``'json'`` output, the result dict as the server's JSON has it. In
            ``'dataframe'`` output, a DataFrame for one series, a dict of DataFrames
            keyed by series (``'cpu,host=a'``) for several, a list of those for several
            statements (``'polars'`` alike). In ``'resultset'`` output, a
            :class:`ResultSet` (a list of them for several statements).

        Raises:
            InfluxDBQueryError: when a statement fails, naming it.
            InfluxDBHTTPError: when the server refuses the query (a parse error, 401...).
            InfluxDBConnectionError: when the server cannot be reached.
        """
        return await self._engine.query(q, epoch=epoch, chunked=chunked,
                                        chunk_size=chunk_size, db=db, params=params,
                                        output=output, timeout=timeout, retry=retry)

    # -- the other clients' ways of writing ----------------------------------------------

    @overload
    def write_points(self, points: Iterable[Any], time_precision: str | None = None,
                     database: str | None = None, retention_policy: str | None = None,
                     tags: Mapping[str, Any] | None = None, batch_size: int | None = None,
                     protocol: str = "json", consistency: str | None = None) -> Any: ...

    @overload
    def write_points(self, points: Any, measurement: str,
                     tags: Mapping[str, Any] | None = None,
                     tag_columns: Iterable[str] | None = None,
                     field_columns: Iterable[str] | None = None,
                     time_precision: str | None = None, database: str | None = None,
                     retention_policy: str | None = None, batch_size: int | None = None,
                     protocol: str = "line") -> Any: ...

    def write_points(self, points: Any, *args: Any, **kwargs: Any) -> Any:
        """Write points, with influxdb-python's arguments.

        Two forms, by the first argument:

        ``write_points(points, time_precision=None, database=None, retention_policy=None,
        tags=None, batch_size=None, protocol='json', consistency=None)``, and
        ``write_points(dataframe, measurement, tags=None, tag_columns=None,
        field_columns=None, time_precision=None, database=None, retention_policy=None,
        batch_size=None, protocol='line')``.

        Args:
            points: anything :meth:`write` accepts (a list of point dicts in
                influxdb-python, or of line protocol strings with ``protocol='line'``);
                or a pandas or polars DataFrame, as influxdb-python's
                ``DataFrameClient`` writes it.
            *args: the form's other arguments, by position (a DataFrame's
                ``measurement`` first).
            **kwargs: the form's other arguments, by name:

                - ``measurement`` (DataFrames): the measurement.
                - ``tag_columns`` (DataFrames): the columns written as tags.
                - ``field_columns`` (DataFrames): the columns written as fields; by
                  default every other column (other columns are not written). Column
                  names that are not strings are written as ``str()`` writes them (a
                  column ``0`` is the field ``"0"``).
                - ``time_precision``: unit of integer timestamps: ``'n'`` or ``'ns'``
                  (the default), ``'u'``, ``'ms'``, ``'s'``, ``'m'``, ``'h'``.
                  Datetimes are converted to it exactly; one finer than it is refused.
                - ``database``: the database; the client's by default.
                - ``retention_policy``: the retention policy; the database's default
                  by default.
                - ``tags``: tags shared by every point. A point's own tags (a
                  DataFrame's tag columns) win; a shared tag fills in where a point has
                  none.
                - ``batch_size``: points per request (by default, requests of about
                  8 MB).
                - ``protocol``: ``'json'`` or ``'line'``: accepted for compatibility,
                  they make no difference (every input is sent as line protocol).
                - ``consistency``: only None: the write consistency of InfluxDB
                  Enterprise clusters is not sent.

        Returns:
            ``True`` (a coroutine of it in async mode).

        Raises:
            LineProtocolError: for data line protocol cannot carry, before anything is
                sent, naming the point.
            InfluxDBWriteError: when the server refuses the write.
            InfluxDBConnectionError: when the server cannot be reached.

        Example::

            client.write_points([{"measurement": "cpu_load_short",
                                  "tags": {"host": "server01"},
                                  "time": "2009-11-10T23:00:00Z",
                                  "fields": {"value": 0.64}}], tags={"region": "us-west"})
        """
        args, kwargs = write_points_call(points, *args, **kwargs)
        return self._modes(self._engine.write(*args, **kwargs))

    def write_measurement(self, name: str, *, tags: Mapping[str, Any] | None = None,
                          timestamp: Any = None, precision: str | None = None,
                          db: str | None = None, rp: str | None = None, value: Any = None,
                          retention_policy: str | None = None, **fields: Any) -> Any:
        """Write one point, inflow's way: ``write_measurement("temperature", value=21.3)``.

        Args:
            name: the measurement.
            tags: its tags.
            timestamp: an ``int`` in ``precision``; a ``datetime`` (naive means UTC) or
                an ISO 8601 string, converted exactly; None lets the server assign the
                time.
            precision: unit of an integer ``timestamp``: ``'s'`` by default (inflow's),
                ``'ns'``, ``'u'``, ``'ms'``, ``'m'``, ``'h'``.
            db: the database; the client's by default.
            rp: the retention policy; the database's default by default.
            value: the field ``value``, inflow's usual single value.
            retention_policy: inflow's name for ``rp``.
            **fields: other fields (so no field can be named like the arguments above).

        Returns:
            ``True`` (a coroutine of it in async mode).

        Raises:
            LineProtocolError: for a name, tag, field or time line protocol cannot carry.
            InfluxDBWriteError: when the server refuses the write.

        Example::

            client.write_measurement("temperature", tags={"location": "groningen"},
                                     value=21.3, timestamp=1475845863)
        """
        if rp is not None and retention_policy is not None and rp != retention_policy:
            raise TypeError("pass the retention policy once: rp= or retention_policy=")
        point, precision = write_measurement_call(name, tags, timestamp, precision, value,
                                                  fields)
        return self._modes(self._engine.write(point, db=db, precision=precision,
                                              rp=rp if rp is not None else retention_policy))

    def session(self, autocommit_every: int | None = None, retention_policy: str | None = None,
                precision: str | None = None, db: str | None = None,
                retry: RetryPolicy | None = None) -> Session[M]:
        """Start a :class:`Session`: points collected, then written together on commit.

        Args:
            autocommit_every: commit after every this many writes to the session.
            retention_policy: the retention policy of every write of the session.
            precision: the precision the points are written with (``'ns'`` by
                default); integer times of points handed to :meth:`Session.write` are
                in it (:meth:`Session.write_measurement` reads integer timestamps as
                seconds, inflow's way, unless given its own ``precision``).
            db: the database; the client's by default.
            retry: how a commit retries (a :class:`RetryPolicy`; by default it does
                not: a failed commit raises and keeps its points). Commits go through
                the batching writer, which also halves a batch the server finds too
                large.

        Example::

            with client.session(autocommit_every=100) as session:
                for reading in readings:
                    session.write_measurement("temperature", value=reading)

        Raises:
            ValueError: without a database, or for an invalid option.
        """
        session: Session[M] = Session(self._engine, self._modes, autocommit_every,
                                      retention_policy, precision, db, retry)
        return session

    @overload
    def writer(self: InfluxDBClient[BlockingMode], **options: Any) -> BlockingWriter: ...

    @overload
    def writer(self: InfluxDBClient[AsyncMode], **options: Any) -> AsyncWriter: ...

    @overload
    def writer(self, **options: Any) -> Any: ...

    def writer(self, **options: Any) -> Any:
        """A batching writer on this client: hand it points, it sends them in batches,
        retries what is worth retrying and reports what it cannot deliver.

        In async mode an :class:`AsyncWriter` (``async with client.writer() as w:
        await w.write(...)``); in blocking mode a :class:`BlockingWriter` (``with
        client.writer() as w: w.write(...)``), also closed at interpreter exit.

        Args:
            **options: the writer's options, with their defaults: ``db``, ``rp``,
                ``precision`` (the client's database, the default retention policy,
                ``'ns'``); ``batch_size`` (5,000 points), ``batch_bytes`` (4 MiB),
                ``flush_interval`` (1 s), ``jitter_interval`` (0 s); ``retry``: a
                :class:`RetryPolicy`; ``concurrency`` (2 requests in flight);
                ``max_buffer_points`` (200,000), ``max_buffer_bytes`` (64 MiB),
                ``when_full`` (``'wait'``, ``'drop_oldest'`` or ``'spill'``);
                ``spill_dir`` (none), ``fsync`` (``True``); ``max_close_wait``
                (300 s); callbacks ``on_success(batch)``, ``on_error(batch, error)``,
                ``on_retry(batch, error, delay)``. :class:`AsyncWriter` describes each.

        Returns:
            An :class:`AsyncWriter`, or a :class:`BlockingWriter` in blocking mode.

        Raises:
            ValueError: for an option out of its range.
        """
        return self._modes.adapt(AsyncWriter(self._engine, **options), BlockingWriter)

    # -- administration: the commands of influxkit/_admin.py -----------------------------

    create_database = _command(_admin.create_database)
    drop_database = _command(_admin.drop_database)
    show_databases = _command(_admin.show_databases)
    get_list_database = _command(_admin.get_list_database)
    create_retention_policy = _command(_admin.create_retention_policy)
    alter_retention_policy = _command(_admin.alter_retention_policy)
    drop_retention_policy = _command(_admin.drop_retention_policy)
    show_retention_policies = _command(_admin.show_retention_policies)
    get_list_retention_policies = _command(_admin.get_list_retention_policies)
    create_user = _command(_admin.create_user)
    drop_user = _command(_admin.drop_user)
    show_users = _command(_admin.show_users)
    get_list_users = _command(_admin.get_list_users)
    set_user_password = _command(_admin.set_user_password)
    grant_admin_privileges = _command(_admin.grant_admin_privileges)
    revoke_admin_privileges = _command(_admin.revoke_admin_privileges)
    grant_privilege = _command(_admin.grant_privilege)
    revoke_privilege = _command(_admin.revoke_privilege)
    get_list_privileges = _command(_admin.get_list_privileges)
    create_continuous_query = _command(_admin.create_continuous_query)
    drop_continuous_query = _command(_admin.drop_continuous_query)
    show_continuous_queries = _command(_admin.show_continuous_queries)
    get_list_continuous_queries = _command(_admin.get_list_continuous_queries)
    show_measurements = _command(_admin.show_measurements)
    get_list_measurements = _command(_admin.get_list_measurements)
    drop_measurement = _command(_admin.drop_measurement)
    show_series = _command(_admin.show_series)
    show_tag_keys = _command(_admin.show_tag_keys)
    show_field_keys = _command(_admin.show_field_keys)
    show_tag_values = _command(_admin.show_tag_values)

    # -- query patterns (aioinflux's) --------------------------------------------------------

    select_all = pattern_method("select_all", BUILT_IN["select_all"], quoted=True)
    show_tag_keys_from = pattern_method("show_tag_keys_from", BUILT_IN["show_tag_keys_from"],
                                        quoted=True)
    show_tag_values_from = pattern_method("show_tag_values_from",
                                          BUILT_IN["show_tag_values_from"], quoted=True)
    show_field_keys_from = pattern_method("show_field_keys_from",
                                          BUILT_IN["show_field_keys_from"], quoted=True)
    show_series_from = pattern_method("show_series_from", BUILT_IN["show_series_from"],
                                      quoted=True)

    @classmethod
    def set_query_pattern(cls, name: str, qp: str) -> None:
        """Make a method of the client class (every client of it) that runs a query
        pattern (aioinflux's).

        The pattern is InfluxQL with ``str.format`` placeholders, filled with the
        method's arguments as they are: the pattern says where quotes go. The method
        also takes :meth:`query`'s ``epoch``, ``chunked``, ``chunk_size``, ``db`` and
        ``params``, and follows the client's mode and output. A value that is not the
        program's own (user input) is best bound: write ``$name`` in the pattern and
        pass ``params={"name": value}``.

        Args:
            name: the method's name: an identifier that is not already a method or
                attribute of the client (a pattern may be replaced).
            qp: the pattern.

        Raises:
            ValueError: for a name that is taken or not an identifier, or a pattern
                that is not a ``str.format`` template or has a placeholder named like
                one of :meth:`query`'s arguments.

        Example::

            InfluxDBClient.set_query_pattern(
                "host_load", "SELECT mean(load) FROM cpu WHERE host = '{host}' "
                             "AND time > now() - {days}d")
            await client.host_load(host="server01", days=7)
        """
        def taken(attribute: str) -> bool:
            if attribute in _INSTANCE_ATTRIBUTES:
                return True
            existing = getattr(cls, attribute, None)
            return existing is not None and not hasattr(existing, "_query_pattern")

        check_pattern(name, qp, taken)
        setattr(cls, name, pattern_method(name, qp, quoted=False))
    get_list_series = _command(_admin.get_list_series)
    delete_series = _command(_admin.delete_series)
