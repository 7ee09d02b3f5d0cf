"""The client: InfluxDB's HTTP API (``/ping``, ``/write``, ``/query``) over aiohttp."""

from __future__ import annotations

import asyncio
import gzip as gzip_module
import json
import logging
import re
import ssl as ssl_module
import time
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from . import __version__
from ._admin import AdminMixin, basic_authorization
from ._blocks import Block, cut_block
from ._connect import ConnectMixin
from ._errors import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBHTTPError,
    InfluxDBTimeoutError,
    http_error,
)
from ._lineprotocol import frame_kind, iter_blocks, iter_serialize
from ._loop import LoopThread, dual
from ._results import (
    JSON,
    MSGPACK,
    ChunkDecoder,
    FrameCollector,
    ResultBuilder,
    check_results,
)
from ._results import msgpack_available as _msgpack_available
from ._resultset import ResultSetCollector, result_sets
from ._time import normalize_precision
from ._writer import WriterMixin
from ._writing import WritingMixin

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["ChunkedResponse", "InfluxDBClient"]

logger = logging.getLogger("influxkit")


MODES: Final = ("async", "blocking")
OUTPUTS: Final = ("json", "dataframe", "polars", "resultset")

# Without a total limit a long chunked query may stream for as long as it needs; a
# silent server is still detected by the read timeout.
DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300)

# InfluxDB 1.x refuses bodies over 25 MB by default (``max-body-size``); a write larger
# than this is sent as several requests, split between lines.
MAX_REQUEST_BYTES: Final = 8 * 1024 * 1024


class _Body(aiohttp.BytesPayload):
    """A request body of line protocol, handed to the socket in one write.

    aiohttp warns about bytes bodies over 1 MB and suggests a file object, which it
    sends in 64 kB pieces, each an await: for write bodies of several MB that costs a
    fifth of the throughput of a bulk load. Writing the bytes at once blocks nothing
    (the transport buffers what the socket does not take).
    """

    def __init__(self, value: Block) -> None:
        super().__init__(b"", content_type="text/plain; charset=utf-8")
        self._value = value  # type: ignore[assignment]  # any bytes-like object works
        self._size = len(value)


class InfluxDBClient(AdminMixin, WritingMixin, WriterMixin, ConnectMixin):
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
        username, password: credentials for HTTP basic authentication.
        token: a token, sent as ``Authorization: Token ...`` (InfluxDB 2.x and 3.x).
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
        **kwargs: passed on to :class:`aiohttp.ClientSession`.

    Example::

        async with InfluxDBClient(db="testdb") as client:
            await client.create_database(db="testdb")
            await client.write({"measurement": "cpu", "fields": {"load": 0.64}})
            resp = await client.query("SELECT load FROM cpu")
    """

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
        timeout: aiohttp.ClientTimeout | float | None = None,
        verify_ssl: bool = True,
        gzip: bool = False,
        default_tags: Mapping[str, Any] | None = None,
        use_udp: bool = False,
        udp_port: int = 4444,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        del loop  # the right loop is always the running one
        self._mode = "async"
        self._output = "json"
        self.mode = mode
        self.output = output
        self.db = db or database
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
        self._ssl_option: bool | ssl_module.SSLContext = (
            ssl if isinstance(ssl, ssl_module.SSLContext) else verify_ssl
        )
        scheme = "https" if ssl else "http"
        netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
        prefix = "/" + path.strip("/") if path.strip("/") else ""
        self.url = f"{scheme}://{netloc}:{port}{prefix}"
        self.username = username
        self._authorization: str | None = None
        if token:
            self._authorization = f"Token {token}"
        elif username:
            self._authorization = basic_authorization(username, password)
        if timeout is None:
            self.timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, aiohttp.ClientTimeout):
            self.timeout = timeout
        else:
            self.timeout = aiohttp.ClientTimeout(total=float(timeout))
        self._session_kwargs = kwargs
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}
        self._runner = LoopThread()
        self._accept = MSGPACK if _msgpack_available() else JSON

    # -- configuration -------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``'async'`` or ``'blocking'``; may be switched at any time."""
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"invalid mode {mode!r}: use one of {', '.join(MODES)}")
        self._mode = mode

    @property
    def output(self) -> str:
        """The format of query results: ``'json'``, ``'dataframe'`` (pandas), ``'polars'`` or
        ``'resultset'`` (a :class:`ResultSet` for one statement, a list of them for several;
        one per chunk of a chunked query)."""
        return self._output

    @output.setter
    def output(self, output: str) -> None:
        if output not in OUTPUTS:
            raise ValueError(f"invalid output {output!r}: use one of {', '.join(OUTPUTS)}")
        if output == "dataframe":
            _require("pandas", "pandas")
        elif output == "polars":
            _require("polars", "polars")
        self._output = output

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
        return (f"<InfluxDBClient {where}{user}, db={self.db!r}, mode={self._mode!r}, "
                f"output={self._output!r}>")

    # -- sessions and lifetime -------------------------------------------------------------

    async def create_session(self, **kwargs: Any) -> aiohttp.ClientSession:
        """Create the :class:`aiohttp.ClientSession` used on the running event loop.

        Override this, or call it with keyword arguments for
        :class:`aiohttp.ClientSession`, to use aiohttp features the constructor does
        not cover. The client keeps one session per event loop.
        """
        loop = asyncio.get_running_loop()
        old = self._sessions.pop(loop, None)
        if old is not None:
            await old.close()
        if self.unix_socket:
            connector: aiohttp.BaseConnector = aiohttp.UnixConnector(path=self.unix_socket)
        else:
            connector = aiohttp.TCPConnector(ssl=self._ssl_option)
        headers = {
            "User-Agent": f"influxkit/{__version__}",
            # aiohttp asks for gzip by default, which makes the server spend its CPU
            # compressing every answer.
            "Accept-Encoding": "gzip" if self.gzip else "identity",
        }
        if self._authorization:
            headers["Authorization"] = self._authorization
        options: dict[str, Any] = {
            "connector": connector,
            "timeout": self.timeout,
            "headers": headers,
            **self._session_kwargs,
            **kwargs,
        }
        session = aiohttp.ClientSession(**options)
        self._sessions[loop] = session
        return session

    async def _session(self) -> aiohttp.ClientSession:
        session = self._sessions.get(asyncio.get_running_loop())
        if session is None or session.closed:
            session = await self.create_session()
        return session

    def close(self) -> Any:
        """Close the client's connections (a coroutine in async mode).

        The client can still be used afterwards; it opens new connections then.
        """
        if self._mode == "async":
            return self._close_async()
        self._close_blocking()
        return None

    async def _close_async(self) -> None:
        current = asyncio.get_running_loop()
        private = self._runner.loop
        for loop, session in list(self._sessions.items()):
            del self._sessions[loop]
            if loop is current:
                await session.close()
            elif loop is private:
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(session.close(), loop))
            else:
                _close_elsewhere(loop, session)
        if private is not None:
            await asyncio.to_thread(self._runner.stop)

    def _close_blocking(self) -> None:
        private = self._runner.loop
        for loop, session in list(self._sessions.items()):
            del self._sessions[loop]
            if loop is private:
                self._runner.run(session.close())
            else:
                _close_elsewhere(loop, session)
        self._runner.stop()

    def __enter__(self) -> InfluxDBClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._mode == "async":
            # A ``with`` block in async mode: the sessions belong to loops that may be
            # running, so close from the private thread's point of view.
            self._close_blocking()
        else:
            self.close()

    async def __aenter__(self) -> InfluxDBClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._close_async()

    def __del__(self) -> None:
        sessions = getattr(self, "_sessions", None)
        if sessions and any(not session.closed for session in sessions.values()):
            warnings.warn(f"{self!r} was not closed: call close() or use it as a context "
                          "manager", ResourceWarning, stacklevel=2)

    # -- HTTP --------------------------------------------------------------------------

    async def _send(self, method: str, endpoint: str, *, params: Mapping[str, str] | None = None,
                    data: Any = None, headers: Mapping[str, str] | None = None,
                    write: bool = False) -> aiohttp.ClientResponse:
        """Send a request and return the response, raising for an error status."""
        session = await self._session()
        url = f"{self.url}/{endpoint}"
        started = time.perf_counter()
        try:
            response = await session.request(method, url, params=params, data=data,
                                             headers=headers)
        except asyncio.TimeoutError as exc:
            raise InfluxDBTimeoutError(f"{method} {url}: timed out") from exc
        except aiohttp.ClientError as exc:
            raise _connection_error(method, url, exc) from exc
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %d in %.1f ms", method, endpoint, response.status, elapsed)
        if response.status >= 300:
            try:
                body = await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                body = b""
            finally:
                response.release()
            message = _error_message(response, body)
            raise http_error(response.status, message, write=write, method=method,
                             url=_safe_url(url, params), headers=response.headers)
        return response

    @dual
    async def ping(self) -> dict[str, str]:
        """Ping the server.

        Returns:
            The response headers, e.g. ``{'X-Influxdb-Version': '1.8.10', ...}``.

        Raises:
            InfluxDBHTTPError: for a non-2xx answer.
            InfluxDBConnectionError: when the server cannot be reached.
        """
        response = await self._send("GET", "ping")
        response.release()
        return dict(response.headers)

    @dual
    async def write(
        self,
        data: Any,
        measurement: str | None = None,
        db: str | None = None,
        precision: str | None = None,
        rp: str | None = None,
        tag_columns: Iterable[str] | None = None,
        *,
        batch_size: int | None = None,
        concurrency: int = 1,
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
            **extra_tags: tags added to every point (``batch_size`` and
                ``concurrency`` can't be tag names here).

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
        if self.use_udp and (db is not None or rp is not None):
            raise ValueError(
                "a UDP write lands in the database and retention policy of the server's UDP "
                "listener: db= and rp= cannot apply (use an HTTP client for those)"
            )
        database = "" if self.use_udp else self._database(db)
        unit = normalize_precision(precision)
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if self.default_tags:
            extra_tags = {**self.default_tags, **extra_tags}
        # One encoding thread keeps well ahead of any server; more would only take CPU
        # from a server on the same machine.
        if self.use_udp:
            lines = iter_serialize(data, measurement, tag_columns, unit,
                                   block_lines=batch_size, threads=1, **extra_tags)
            await self._send_udp(await asyncio.to_thread(list, lines), unit)
            return True
        blocks: Iterable[Block] = iter_blocks(data, measurement, tag_columns, unit,
                                              block_lines=batch_size,
                                              block_bytes=self.max_request_bytes, threads=1,
                                              **extra_tags)
        params = {"db": database, "precision": unit}
        if rp:
            params["rp"] = rp
        if frame_kind(data) is not None:
            # A DataFrame's blocks are request bodies already (batch_size lines, but
            # for the last, and max_request_bytes at most). It is checked whole before
            # its first block.
            bodies = iter(blocks)
        else:
            # Nothing is sent before everything is encoded, and so checked.
            blocks = await asyncio.to_thread(list, blocks)
            bodies = _request_bodies(blocks, self.max_request_bytes, batch_size)
        await self._post_all(bodies, params, concurrency)
        return True

    async def _post_all(self, bodies: Iterator[Block], params: Mapping[str, str],
                        concurrency: int) -> None:
        """Post request bodies, ``concurrency`` at a time, while the next are encoded.

        The bodies are made by an iterator that encodes as it goes: it runs in a worker
        thread, at most ``concurrency`` bodies ahead of the requests.
        """
        queue: asyncio.Queue[Block | None] = asyncio.Queue(maxsize=concurrency)
        sent = 0

        async def produce() -> None:
            while (body := await asyncio.to_thread(next, bodies, None)) is not None:
                await queue.put(body)
            for _ in range(concurrency):
                await queue.put(None)

        async def post() -> None:
            nonlocal sent
            while (body := await queue.get()) is not None:
                await self._post_lines(body, params)
                sent += 1

        tasks = [asyncio.ensure_future(produce())]
        tasks += [asyncio.ensure_future(post()) for _ in range(concurrency)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if sent:
                logger.warning("write failed after %d request(s) of it had been stored", sent)
            raise
        if not sent:
            logger.debug("write: no points to send")

    async def _post_lines(self, body: Block, params: Mapping[str, str]) -> None:
        headers = {}
        if self.gzip:
            body = gzip_module.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        response = await self._send("POST", "write", params=params, data=_Body(body),
                                    headers=headers, write=True)
        response.release()

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
        form = {"q": q, "chunked": "true"}
        database = db or self.db
        if database:
            form["db"] = database
        if epoch is not None:
            epoch = form["epoch"] = normalize_precision(epoch)
        if chunk_size is not None:
            form["chunk_size"] = str(int(chunk_size))
        if params:
            form["params"] = json.dumps(dict(params))
        if output is None:
            output = self._output
        elif output not in OUTPUTS:
            raise ValueError(f"invalid output {output!r}: use one of {', '.join(OUTPUTS)}")
        # Every query is read as a chunked stream: that is how InfluxDB 1.x reports the
        # real error of a failed statement (its plain answer says "not executed"), and
        # it lets large answers be decoded as they arrive.
        try:
            response = await self._send("POST", "query", data=form,
                                        headers={"Accept": self._accept})
        except InfluxDBHTTPError as exc:
            # A server without MessagePack (InfluxDB 3.x) that refuses the format
            # instead of answering in JSON: use JSON from now on. (One that answers in
            # JSON anyway needs nothing: answers are read by their Content-Type.)
            if exc.status not in (406, 415) or self._accept == JSON:
                raise
            logger.debug("the server refuses MessagePack answers (%d): using JSON", exc.status)
            self._accept = JSON
            response = await self._send("POST", "query", data=form, headers={"Accept": JSON})
        stream = ChunkedResponse(response, q, output, epoch)
        if chunked:
            return stream
        if output == "json":
            builder = ResultBuilder()
            try:
                async for document in stream.documents():
                    builder.add(document)
            finally:
                stream.release()
            result = builder.result()
            check_results(result, q)
            return result
        # DataFrames are built piece by piece as the chunks arrive, while the server is
        # busy with the next ones; the pieces of each series are joined at the end.
        collector = _frame_collector(output, epoch)
        try:
            async for document in stream.documents():
                check_results(document, q)
                collector.add(document)
        finally:
            stream.release()
        return collector.result()

    def _database(self, db: str | None) -> str:
        database = db or self.db
        if not database:
            raise ValueError("no database: pass db= or set the client's db")
        return database


class ChunkedResponse:
    """The results of a chunked query, one per chunk, as an async iterator.

    Leave early with ``break`` and the connection is released as soon as the iterator
    is garbage collected; ``await chunks.aclose()`` (or ``async with``) releases it at
    once.
    """

    def __init__(self, response: aiohttp.ClientResponse, query: str, output: str,
                 epoch: str | None) -> None:
        self._response = response
        self._query = query
        self._output = output
        self._epoch = epoch
        self._documents: AsyncIterator[dict[str, Any]] | None = None
        self._loop = asyncio.get_running_loop()

    async def documents(self) -> AsyncIterator[dict[str, Any]]:
        """The decoded result documents, normalised, as they arrive."""
        decoder = ChunkDecoder(self._response.headers.get("Content-Type", JSON))
        count = 0
        try:
            async for piece in self._response.content.iter_any():
                for document in decoder.feed(piece):
                    count += 1
                    logger.debug("query chunk %d: %d bytes so far", count,
                                 self._response.content.total_bytes)
                    yield document
        except asyncio.TimeoutError as exc:
            raise InfluxDBTimeoutError("query: timed out while reading the answer") from exc
        except aiohttp.ClientError as exc:
            raise _connection_error("POST", "query", exc) from exc
        except RuntimeError as exc:
            # What aiohttp's stream raises when its connection was closed under it (the
            # client closed while a chunk was awaited).
            if "Connection closed" not in str(exc):
                raise
            raise InfluxDBConnectionError(
                "query: the connection was closed while reading the answer") from exc
        for document in decoder.close():
            yield document

    def __aiter__(self) -> ChunkedResponse:
        return self

    async def __anext__(self) -> Any:
        if self._documents is None:
            self._documents = self.documents()
        try:
            document = await self._documents.__anext__()
            check_results(document, self._query)
        except BaseException:
            self.release()
            raise
        return _convert(document, self._output, self._epoch)

    def release(self) -> None:
        """Release the connection (idempotent)."""
        if not self._response.closed:
            self._response.close()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        if self._documents is not None:
            await self._documents.aclose()  # type: ignore[attr-defined]
        self.release()

    async def __aenter__(self) -> ChunkedResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # Frees the connection of an iteration abandoned half-way. Closing a transport is
        # not I/O we wait for, but it must happen on the loop's own thread (in blocking
        # mode the iterator is dropped on the caller's thread).
        response = getattr(self, "_response", None)
        if response is None or response.closed or self._loop.is_closed():
            return
        if asyncio._get_running_loop() is self._loop:
            response.close()
        else:
            self._loop.call_soon_threadsafe(response.close)


def _frame_collector(output: str,
                     epoch: str | None) -> FrameCollector[Any] | ResultSetCollector:
    if output == "resultset":
        return ResultSetCollector()
    if output == "polars":
        from ._polars import concat_frames, frame_from_series
    else:
        from ._dataframe import concat_frames, frame_from_series  # type: ignore[assignment]
    return FrameCollector(lambda series: frame_from_series(series, epoch), concat_frames)


def _convert(document: dict[str, Any], output: str, epoch: str | None) -> Any:
    if output == "json":
        return document
    if output == "resultset":
        return result_sets(document)
    collector = _frame_collector(output, epoch)
    collector.add(document)
    return collector.result()


def _request_bodies(blocks: Iterable[Block], limit: int,
                    lines: int | None = None) -> Iterator[bytes]:
    """Join encoded blocks into request bodies of at most ``limit`` bytes and ``lines``
    lines; a block larger than that (line protocol given as text) is cut between its
    lines first, and a single line larger than ``limit`` is sent alone."""
    batch: list[Block] = []
    size = count = 0
    for block in blocks:
        raw = block if isinstance(block, bytes) else bytes(block)
        # No fewer than the block's lines (a newline in a string field counts one more):
        # the lines are found only when the block is to be cut.
        most = raw.count(b"\n") + 1
        if len(raw) > limit or (lines and most > lines):
            pieces = cut_block(raw, lines, limit)
        else:
            pieces = [(raw, most)]
        for piece, piece_lines in pieces:
            if batch and (size + len(piece) > limit or (lines and count + piece_lines > lines)):
                yield b"\n".join(batch)
                batch, size, count = [], 0, 0
            batch.append(piece)
            size += len(piece) + 1
            count += piece_lines
    if batch:
        yield b"\n".join(batch)


def _require(module: str, extra: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise ImportError(
            f"this needs {module}: pip install 'influxkit[{extra}]'"
        ) from None


def _connection_error(method: str, url: str, exc: Exception) -> InfluxDBError:
    url = _safe_url(url, None)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return InfluxDBTimeoutError(f"{method} {url}: timed out")
    # aiohttp's messages may quote a URL; any credentials in it are left out.
    text = _USERINFO.sub(r"\1", str(exc))
    return InfluxDBConnectionError(f"{method} {url}: {exc.__class__.__name__}: {text}")


def _error_message(response: aiohttp.ClientResponse, body: bytes) -> str:
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
        message = decoded.get("error") or decoded.get("message")
        if message:
            return str(message)
    return header or text or response.reason or "no message"


# The user and password of a URL (``scheme://user:password@``), up to the last @ of
# its network location.
_USERINFO: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")

# Query parameters that carry credentials (InfluxDB's u and p, and tokens).
_SECRET_PARAMS: Final = frozenset({"u", "p", "token"})


def _safe_url(url: str, params: Mapping[str, str] | None) -> str:
    """The URL of a request as messages show it: without credentials."""
    url = _USERINFO.sub(r"\1", url)
    if not params:
        return url
    shown = "&".join(f"{k}={v}" for k, v in params.items() if k not in _SECRET_PARAMS)
    return f"{url}?{shown}" if shown else url


def _close_elsewhere(loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession) -> None:
    """Close a session that belongs to another event loop, without waiting on it."""
    if loop.is_closed():
        session.detach()
    elif loop.is_running():
        asyncio.run_coroutine_threadsafe(session.close(), loop)
    else:
        loop.run_until_complete(session.close())
