"""The engine: InfluxDB's operations, asynchronous, on top of the transport.

:class:`Engine` owns what a request means: ``ping``, ``write`` (encoding, splitting
into request bodies, sending them while the next are encoded), ``query`` (the form,
the answer's format, decoding the stream into the result model and one output), and
the one primitive of administration, :meth:`Engine.run_statement`. It resolves the
database of every operation by one rule (:meth:`Engine.database`).

It knows nothing of modes or of the client: it reads its configuration through
:class:`EngineSettings`, which the client satisfies. To add an endpoint, add a method
here that calls :meth:`Transport.request`, and expose it on the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from ._core.backoff import RetryPolicy
from ._core.credentials import Credentials
from ._core.influxql import build_statement, encode_params, inline_params, split_statements
from ._core.servers import UNKNOWN, Server, detect
from ._core.time import normalize_precision
from ._decode.documents import JSON, MSGPACK, ChunkDecoder, check_results, msgpack_available
from ._decode.outputs import check_output, collector, convert
from ._encode.datagrams import BURST_BYTES, BURST_PAUSE, datagrams
from ._encode.lines import Block, cut_block, scale_times
from ._encode.serialize import frame_kind, iter_blocks, iter_serialize
from ._errors import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBHTTPError,
    InfluxDBTimeoutError,
    NotSupportedError,
)
from ._native import Databases
from ._transport import ClientResponse, Transport

__all__ = ["ChunkedResponse", "Engine", "EngineSettings", "request_bodies", "write_params"]

logger = logging.getLogger("influxkit")

T = TypeVar("T")


class EngineSettings(Protocol):
    """The configuration the engine reads at each operation (the client's)."""

    db: str | None
    default_tags: dict[str, Any]
    max_request_bytes: int
    max_datagram_bytes: int
    use_udp: bool
    host: str
    udp_port: int
    org: str | None
    accept_partial: bool
    no_sync: bool

    @property
    def output(self) -> str: ...


class Engine:
    """InfluxDB's operations over a :class:`Transport`; coroutines only.

    What the server is (:attr:`server`, given or learnt from its first answer to
    ``/ping``) decides, through :class:`~influxkit._core.servers.Server`, how each
    request is spelt: the write endpoint and precision, the query's answer format and
    ``epoch``, and what is refused before it is sent.
    """

    def __init__(self, settings: EngineSettings, transport: Transport,
                 server: Server | None = None) -> None:
        self._settings = settings
        self._transport = transport
        self.server = server
        """The server, once known (given, or detected); None before."""
        # The answer format of queries, once decided (None: from the server).
        self._accept: str | None = None
        self.databases = Databases(transport, settings)
        """Databases on 2.x and 3.x, which have no InfluxQL for them."""

    # -- configuration -------------------------------------------------------------------

    @property
    def default_tags(self) -> Mapping[str, Any]:
        """Tags added to every point written."""
        return self._settings.default_tags

    @property
    def max_request_bytes(self) -> int:
        """The size of a write's request bodies."""
        return self._settings.max_request_bytes

    def database(self, db: str | None, *, required: bool = True) -> str | None:
        """The database of an operation: ``db``, or the client's when ``db`` is None.

        An empty name is refused, never read as "the client's": a destructive
        statement given ``""`` must not run on the default database.

        Raises:
            ValueError: for an empty ``db``, or when no database is known and one is
                ``required``.
        """
        if db is not None:
            if not isinstance(db, str):
                raise TypeError(f"a database name must be a string, not {db!r}")
            if not db:
                raise ValueError("the database name is empty: give a name, or None for "
                                 "the client's database")
            return db
        if self._settings.db:
            return self._settings.db
        if required:
            raise ValueError("no database: pass db= or set the client's db")
        return None

    def target(self, db: str | None) -> str:
        """:meth:`database`, required."""
        name = self.database(db)
        assert name is not None
        return name

    # -- operations ----------------------------------------------------------------------

    async def ping(self, *, timeout: float | None = None) -> dict[str, str]:
        """The headers of ``/ping``'s answer; the server is known from it (unless
        it was given)."""

        async def ping() -> dict[str, str]:
            response = await self._transport.request("GET", "ping")
            body = None
            raw = await self._transport.read(response, "GET ping")
            if raw.lstrip().startswith(b"{"):  # 3.0.0 sends no Content-Type
                with contextlib.suppress(ValueError):
                    body = json.loads(raw)  # 3.x: {"version", "revision", ...}
            if self.server is None or not self.server.given:
                self.server = detect(response.headers, body)
                logger.debug("the server is %s", self.server)
            return dict(response.headers)

        return await _within(timeout, "ping", ping())

    async def health(self, *, timeout: float | None = None) -> dict[str, Any]:
        """The server's ``/health`` (see :meth:`InfluxDBClient.health`)."""

        async def health() -> dict[str, Any]:
            server = await self.known_server()
            if server.major is not None and not server.health_endpoint:
                raise NotSupportedError(f"{server} has no /health (1.8 and later have it): "
                                        "ping() tells whether it answers", server=server.name)
            response = await self._transport.request("GET", "health")
            raw = await self._transport.read(response, "GET health")
            try:
                answer = dict(json.loads(raw))
            except (ValueError, TypeError):  # 3.x: "OK"
                answer = {"status": "pass", "message": raw.decode("utf-8", "replace").strip()}
            if server.version:
                answer.setdefault("version", server.version)
            return answer

        return await _within(timeout, "health", health())

    async def known_server(self) -> Server:
        """The server: :attr:`server`, or asked with a ``/ping`` when not known yet.

        A server that cannot be asked now (down, or refusing ``/ping``) is treated as
        unknown for this operation, which every server reads right, and asked again
        at the next one.

        Raises:
            NotSupportedError: for a ``Bearer`` token to InfluxDB 2.x, which refuses it.
        """
        if self.server is None:
            try:
                await self.ping()
            except InfluxDBError as exc:
                logger.debug("the server could not say what it is (%s): treated as unknown",
                             exc)
                return UNKNOWN
        server = self.server or UNKNOWN
        credentials = self._transport.credentials
        if server.major == 2 and credentials.token and credentials.scheme == "Bearer":
            raise NotSupportedError(f"{server} refuses Bearer tokens: use auth_scheme='Token'",
                                    server=server.name)
        return server

    async def post_lines(self, body: Block, params: Mapping[str, str]) -> None:
        """Post one request body of line protocol to the server.

        ``params`` name the target as :func:`write_params` makes it (database,
        retention policy, precision); the server decides the endpoint, the spelling
        of the precision and whether times are sent in a finer unit.

        Raises:
            NotSupportedError: for ``accept_partial=False`` on a server other than
                3.x, which stores the good lines of a batch with a bad one.
        """
        server = await self.known_server()
        settings = self._settings
        db, rp, precision = params["db"], params.get("rp"), params["precision"]
        org = params.get("org") or settings.org
        endpoint = server.write_endpoint(org=org, rp=rp)
        if not settings.accept_partial and endpoint != "v3":
            raise NotSupportedError(
                f"accept_partial=False: {server} stores the good lines of a batch that "
                "has a bad one; only InfluxDB 3.x's /api/v3/write_lp can refuse it whole",
                server=server.name)
        spelling, factor = server.write_precision(precision, endpoint)
        if factor != 1:
            body = await asyncio.to_thread(scale_times, body, factor)
        query: dict[str, str]
        if endpoint == "v2":
            path = "api/v2/write"
            query = {"org": str(org), "bucket": f"{db}/{rp}" if rp else db,
                     "precision": spelling}
        elif endpoint == "v3":
            path = "api/v3/write_lp"
            query = {"db": db, "precision": spelling}
            if not settings.accept_partial:
                query["accept_partial"] = "false"
            if settings.no_sync:
                query["no_sync"] = "true"
        else:
            path = "write"
            query = {**write_params(db, rp, precision), "precision": spelling}
        await self._transport.post_lines(body, query, path)

    async def write(self, data: Any, measurement: str | None = None, db: str | None = None,
                    precision: str | None = None, rp: str | None = None,
                    tag_columns: Iterable[str] | None = None, *,
                    batch_size: int | None = None, concurrency: int = 1,
                    timeout: float | None = None, retry: RetryPolicy | None = None,
                    org: str | None = None, **extra_tags: Any) -> bool:
        """Write points (see :meth:`InfluxDBClient.write`)."""
        _check_call_options(timeout, retry)
        return await _within(timeout, "write", self._write(
            data, measurement, db, precision, rp, tag_columns, batch_size, concurrency, retry,
            org, extra_tags))

    async def _write(self, data: Any, measurement: str | None, db: str | None,
                     precision: str | None, rp: str | None,
                     tag_columns: Iterable[str] | None, batch_size: int | None,
                     concurrency: int, retry: RetryPolicy | None, org: str | None,
                     extra_tags: dict[str, Any]) -> bool:
        settings = self._settings
        if settings.use_udp and (db is not None or rp is not None or org is not None):
            raise ValueError(
                "a UDP write lands in the database and retention policy of the server's UDP "
                "listener: db= and rp= cannot apply (use an HTTP client for those)"
            )
        database = "" if settings.use_udp else self.target(db)
        unit = normalize_precision(precision)
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if settings.default_tags:
            extra_tags = {**settings.default_tags, **extra_tags}
        # One encoding thread keeps well ahead of any server; more would only take CPU
        # from a server on the same machine.
        if settings.use_udp:
            lines = iter_serialize(data, measurement, tag_columns, unit,
                                   block_lines=batch_size, threads=1, **extra_tags)
            await self.send_udp(await asyncio.to_thread(list, lines))
            return True
        blocks: Iterable[Block] = iter_blocks(data, measurement, tag_columns, unit,
                                              block_lines=batch_size,
                                              block_bytes=settings.max_request_bytes,
                                              threads=1, **extra_tags)
        params = write_params(database, rp, unit)
        if org:
            params["org"] = org
        if frame_kind(data) is not None:
            # A DataFrame's blocks are request bodies already (batch_size lines, but
            # for the last, and max_request_bytes at most). It is checked whole before
            # its first block.
            bodies = iter(blocks)
        else:
            # Nothing is sent before everything is encoded, and so checked.
            blocks = await asyncio.to_thread(list, blocks)
            bodies = request_bodies(blocks, settings.max_request_bytes, batch_size)
        await self._post_all(bodies, params, concurrency, retry)
        return True

    async def _post_all(self, bodies: Iterator[Block], params: Mapping[str, str],
                        concurrency: int, retry: RetryPolicy | None = None) -> None:
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
                await _retrying(retry, "write", functools.partial(
                    self.post_lines, body, params))
                sent += 1

        tasks = [asyncio.ensure_future(produce())]
        tasks += [asyncio.ensure_future(post()) for _ in range(concurrency)]
        try:
            await asyncio.gather(*tasks)
        except BaseException as exc:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if isinstance(exc, asyncio.CancelledError):  # interrupted (Ctrl-C in blocking mode)
                note = (f"write interrupted after {sent} request(s) of it had been stored; "
                        "any cut off in flight may have been stored too")
                logger.warning("%s", note)
                getattr(exc, "add_note", lambda _: None)(note)  # Python 3.11+
            elif sent:
                logger.warning("write failed after %d request(s) of it had been stored", sent)
            raise
        if not sent:
            logger.debug("write: no points to send")

    async def send_udp(self, blocks: list[bytes]) -> None:
        """Send encoded line protocol to the server's UDP listener (see the client's
        ``use_udp``): lines packed into datagrams, never cut.

        Raises:
            LineProtocolError: for a line longer than ``max_datagram_bytes``, before
                anything is sent.
            InfluxDBConnectionError: when the host cannot be resolved, or the
                operating system reports a datagram lost (no listener on the port).
        """
        settings = self._settings
        packets = await asyncio.to_thread(datagrams, blocks, settings.max_datagram_bytes)
        if not packets:
            logger.debug("write: no points to send")
            return
        await self._transport.send_datagrams(settings.host, settings.udp_port, packets,
                                             burst_bytes=BURST_BYTES, pause=BURST_PAUSE)
        logger.debug("UDP %s:%d <- %d datagram(s), %d bytes", settings.host,
                     settings.udp_port, len(packets), sum(map(len, packets)))

    async def query(self, q: str, *, epoch: str | None = "ns", chunked: bool = False,
                    chunk_size: int | None = None, db: str | None = None,
                    params: Mapping[str, Any] | None = None, output: str | None = None,
                    timeout: float | None = None, retry: RetryPolicy | None = None) -> Any:
        """Run an InfluxQL query (see :meth:`InfluxDBClient.query`)."""
        _check_call_options(timeout, retry)
        # The output is checked, its library imported, before anything is sent.
        output = check_output(self._settings.output if output is None else output)
        form = {"q": q, "chunked": "true"}
        database = self.database(db, required=False)
        if database:
            form["db"] = database
        if epoch is not None:
            epoch = normalize_precision(epoch)
        if chunk_size is not None:
            form["chunk_size"] = str(int(chunk_size))
        if params:
            form["params"] = encode_params(params)
        if chunked:
            # The stream is returned once it has begun: the timeout and the retries are
            # those of its beginning.
            return await _within(timeout, "query", _retrying(
                retry, "query", functools.partial(self._open, form, q, output, epoch)))
        return await _within(timeout, "query", _retrying(
            retry, "query", functools.partial(self._whole, form, q, output, epoch)))

    async def _whole(self, form: dict[str, str], q: str, output: str,
                     epoch: str | None) -> Any:
        """The whole answer of a query, in ``output``.

        A server that takes one statement per query (3.0–3.6) is sent the statements
        one after another, and their answers are put together as one: the same
        answer, statement by statement, that a server taking them all gives.
        """
        # Outputs are built piece by piece as the chunks arrive, while the server is
        # busy with the next ones.
        result = collector(output, epoch)
        server = await self.known_server()
        statements = split_statements(q)
        one_by_one = len(statements) > 1 and not server.several_statements
        answered: set[Any] = set()
        for index, statement in enumerate(statements if one_by_one else [q]):
            stream = await self._open({**form, "q": statement} if one_by_one else form, q,
                                      output, epoch, statement=index if one_by_one else None)
            check = stream.check
            try:
                async for document in stream.documents():
                    for answer in document.get("results") or []:
                        if one_by_one:
                            answer["statement_id"] = index
                        answered.add(answer.get("statement_id"))
                    check(document)
                    result.add(document)
            finally:
                stream.release()
        if not server.answers_every_statement:
            # 3.7+ sends nothing for a statement without rows: it has an empty result.
            for index in range(len(statements)):
                if index not in answered:
                    result.add({"results": [{"statement_id": index}]})
        return result.result()

    async def _open(self, form: dict[str, str], q: str, output: str,
                    epoch: str | None, *, statement: int | None = None) -> ChunkedResponse:
        """Send a query; return its answer as a stream of chunks.

        ``statement``: the form holds only that statement of ``q`` (see :meth:`_whole`).

        Bind parameters, which InfluxDB 3.0–3.6 ignore, are written into the
        statement for them, quoted (:func:`~influxkit._core.influxql.inline_params`).

        Raises:
            NotSupportedError: for several statements in a chunked query on InfluxDB
                3.0–3.6, which take one per query, before sending.
        """
        server = await self.known_server()
        statements = split_statements(q) if statement is None else [form["q"]]
        # (An unknown server is left to answer for itself.)
        if len(statements) > 1 and not server.several_statements and server.major:
            raise NotSupportedError(
                f"{server} runs one statement per query, and this chunked query has "
                f"{len(statements)}: send them one at a time, or without chunked=True "
                "(3.7 and later take several)", server=server.name)
        form = dict(form)
        if "params" in form and not server.bind_parameters:
            # 3.0-3.6 ignore them: they are written into the statement, quoted.
            form["q"] = inline_params(form["q"], json.loads(form.pop("params")))
        if epoch is not None:
            form["epoch"] = server.epoch(epoch)
        if self._accept is None:
            self._accept = MSGPACK if server.messagepack and msgpack_available() else JSON
        # Every query is read as a chunked stream: that is how InfluxDB 1.x reports the
        # real error of a failed statement (its plain answer says "not executed"), and
        # it lets large answers be decoded as they arrive.
        accept = self._accept
        try:
            response = await self._transport.request("POST", "query", data=form,
                                                     headers={"Accept": accept})
        except InfluxDBHTTPError as exc:
            # A server that refuses MessagePack instead of answering in JSON (InfluxDB
            # 3.0-3.6 with a 500 naming the media type): JSON from now on. (One that
            # answers in JSON anyway needs nothing: answers are read by their
            # Content-Type.)
            if accept == JSON or not _refuses_format(exc):
                raise
            logger.debug("the server refuses MessagePack answers (%d): using JSON", exc.status)
            self._accept = JSON
            response = await self._transport.request("POST", "query", data=form,
                                                     headers={"Accept": JSON})
        counted = len(statements) if server.answers_every_statement else None
        return ChunkedResponse(self._transport, response, q, output, epoch, counted or None)

    def shaped(self, document: Mapping[str, Any], output: str | None = None) -> Any:
        """A whole answer ``document`` (one made here, not the server's) in ``output``
        (the client's by default), as :meth:`query` would return it."""
        result = collector(check_output(self._settings.output if output is None else output),
                           None)
        result.add(dict(document))
        return result.result()

    async def run_statement(self, template: str, values: Mapping[str, Any], *,
                            db: str | None = None, hide: str | None = None,
                            output: str | None = None) -> Any:
        """Run one statement built by :func:`~influxkit._core.influxql.build_statement`
        from ``template`` and ``values``, on database ``db`` (none by default); return
        what :meth:`query` returns in ``output`` (the client's by default).

        ``hide`` is a secret (a password): it is taken out of any error raised.
        """
        statement, params = build_statement(template, **values)
        try:
            return await self.query(statement, db=db, params=params or None, output=output)
        except InfluxDBError as exc:
            if hide:
                Credentials(password=hide).scrub_error(exc)
            raise


class ChunkedResponse:
    """The results of a chunked query, one per chunk, as an async iterator.

    Leave early with ``break`` and the connection is released as soon as the iterator
    is dropped (its last reference gone, no garbage collection needed); ``await
    chunks.aclose()`` (or ``async with``) releases it at once. An answer cut short
    never ends quietly: reading on after the client was closed raises
    :class:`~influxkit.InfluxDBConnectionError`.
    """

    def __init__(self, transport: Transport, response: ClientResponse, query: str,
                 output: str, epoch: str | None, statements: int | None = None) -> None:
        self._transport = transport
        self._response = response
        self._query = query
        self._statements = statements
        self._output = output
        self._epoch = epoch
        self._documents: AsyncIterator[dict[str, Any]] | None = None
        self._complete: list[bool] = []  # [True] once the answer has been read to its end
        self._ended = False  # no chunk will come: the answer ended, failed or was closed
        self._loop = asyncio.get_running_loop()

    def documents(self) -> AsyncIterator[dict[str, Any]]:
        """The decoded result documents, normalised, as they arrive."""
        return self._read(self._transport, self._response, self._statements, [])

    # A static method: the generator, which the iterator keeps, must not refer back to
    # it. Such a cycle would keep an abandoned iteration, and its connection, until the
    # garbage collector happened to run.
    @staticmethod
    async def _read(transport: Transport, response: ClientResponse, statements: int | None,
                    complete: list[bool]) -> AsyncIterator[dict[str, Any]]:
        """The documents of the answer; ``complete`` gets True once it is all read.

        ``statements``: how many results the answer must have, when the server sends
        one for every statement."""
        decoder = ChunkDecoder(response.headers.get("Content-Type", JSON),
                               status=response.status, statements=statements,
                               may_be_empty=statements is None)
        count = 0
        async for piece in transport.pieces(response, "POST query"):
            for document in decoder.feed(piece):
                count += 1
                logger.debug("query chunk %d: %d bytes so far", count,
                             response.content.total_bytes)
                yield document
        for document in decoder.close():
            yield document
        complete.append(True)

    def __aiter__(self) -> ChunkedResponse:
        return self

    async def __anext__(self) -> Any:
        if self._ended:
            raise StopAsyncIteration
        if self._documents is None:
            self._documents = self._read(self._transport, self._response, self._statements,
                                         self._complete)
        try:
            document = await self._documents.__anext__()
            self.check(document)
        except StopAsyncIteration:
            self._ended = True
            self.release()
            if self._complete:
                raise
            # The generator was closed under the reader, before the answer's end: by the
            # shutdown of its loop, when the client was closed.
            raise InfluxDBConnectionError(
                "POST query: the client was closed before the whole answer was read"
            ) from None
        except BaseException:
            self._ended = True
            self.release()
            raise
        return convert(document, self._output, self._epoch)

    def check(self, document: dict[str, Any]) -> None:
        """Raise for a failed statement of ``document``; what the server said is
        scrubbed of the client's credentials."""
        try:
            check_results(document, self._query, self._transport.scrub)
        except InfluxDBError as exc:
            self._transport.scrub_error(exc)
            raise

    def release(self) -> None:
        """Release the connection (idempotent)."""
        if not self._response.closed:
            self._response.close()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._ended = True
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
            try:
                self._loop.call_soon_threadsafe(response.close)
            except RuntimeError:  # the loop closed since: the connection went with it
                return


def write_params(db: str, rp: str | None, precision: str) -> dict[str, str]:
    """The query parameters of a ``/write`` request."""
    params = {"db": db, "precision": precision}
    if rp:
        params["rp"] = rp
    return params


def request_bodies(blocks: Iterable[Block], limit: int,
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


def _refuses_format(error: InfluxDBHTTPError) -> bool:
    """Whether an error answer to a query refuses the answer format asked for: 406 or
    415, or 3.x's 500 (3.0-3.6) or 400 naming the media type."""
    return error.status in (406, 415) or (
        error.status in (400, 500) and "invalid mime type" in error.message)


def _check_call_options(timeout: float | None, retry: RetryPolicy | None) -> None:
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds above 0, not {timeout!r}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise TypeError(f"retry must be a RetryPolicy, not {retry!r}")


async def _within(timeout: float | None, what: str, operation: Awaitable[T]) -> T:
    """``operation``, given at most ``timeout`` seconds when it is not None.

    Raises:
        InfluxDBTimeoutError: when the time is up (the operation is cancelled: no
            request of it is left running).
    """
    if timeout is None:
        return await operation
    try:
        return await asyncio.wait_for(operation, timeout)
    except asyncio.TimeoutError:
        raise InfluxDBTimeoutError(f"{what}: not done within its timeout of {timeout:g} s"
                                   ) from None


async def _retrying(policy: RetryPolicy | None, what: str,
                    attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``, made again after a failure ``policy`` says is worth retrying,
    after the delay it says."""
    if policy is None:
        return await attempt()
    started = time.monotonic()
    retry = 0
    while True:
        try:
            return await attempt()
        except InfluxDBError as exc:
            retry += 1
            wait = policy.next_delay(exc, retry, time.monotonic() - started)
            if wait is None:
                raise
            logger.info("%s: %s; retry %d in %.2f s", what, exc, retry, wait)
            await asyncio.sleep(wait)
