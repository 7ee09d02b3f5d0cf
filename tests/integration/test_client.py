"""InfluxDBClient against a real influxd: modes, connections, queries, writes, helpers."""

from __future__ import annotations

import asyncio
import gc
import logging
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import aiohttp
import pytest
from _tracing import write_tracer

from influxkit import (
    AuthenticationError,
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
    iterpoints,
)
from influxkit._encode.lines import split_lines
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy


def values(result: dict[str, Any]) -> list[list[Any]]:
    return list(iterpoints(result))


# -- configuration ---------------------------------------------------------------------


def test_mode_and_output_are_validated() -> None:
    client = InfluxDBClient()
    with pytest.raises(ValueError, match="invalid mode 'sync'"):
        client.mode = "sync"
    with pytest.raises(ValueError, match="invalid output 'csv'"):
        client.output = "csv"
    with pytest.raises(ValueError, match="invalid mode"):
        InfluxDBClient(mode="nope")
    client.mode = "blocking"
    client.output = "dataframe"
    assert (client.mode, client.output) == ("blocking", "dataframe")


def test_db_and_database_are_one_setting() -> None:
    client = InfluxDBClient(database="db1")
    assert client.db == "db1"
    client.db = "db2"
    assert client.database == "db2"
    client.database = "db3"
    assert client.db == "db3"


def test_url_is_built_from_host_port_path_and_ssl() -> None:
    assert InfluxDBClient().url == "http://localhost:8086"
    assert InfluxDBClient(host="::1", port=1, path="/influx/").url == "http://[::1]:1/influx"
    assert InfluxDBClient(host="h", ssl=True).url == "https://h:8086"


def test_repr_hides_password_and_token() -> None:
    client = InfluxDBClient(username="alice", password="s3cret!", token="tok-123")
    text = repr(client)
    assert "alice" in text
    assert "s3cret" not in text
    assert "tok-123" not in text


def test_numeric_timeout_becomes_a_total_timeout() -> None:
    assert InfluxDBClient(timeout=2.5).timeout.total == 2.5
    custom = aiohttp.ClientTimeout(sock_read=3)
    assert InfluxDBClient(timeout=custom).timeout is custom


def test_loop_argument_is_accepted_and_not_needed() -> None:
    loop = asyncio.new_event_loop()
    try:
        client = InfluxDBClient(loop=loop, mode="blocking")
        assert client.mode == "blocking"
    finally:
        loop.close()


# -- ping ---------------------------------------------------------------------------------


async def test_ping_returns_the_headers(client: InfluxDBClient) -> None:
    headers = await client.ping()
    assert headers["X-Influxdb-Version"].startswith("1.")
    assert "X-Influxdb-Build" in headers


async def test_ping_of_an_unreachable_server_raises_a_connection_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with InfluxDBClient(host="127.0.0.1", port=port) as client:
        with pytest.raises(InfluxDBConnectionError, match="ping"):
            await client.ping()


async def test_ping_of_a_wrong_path_raises_with_the_status(influxdb_server: InfluxDBServer) -> None:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              path="/not/influx") as client:
        with pytest.raises(InfluxDBHTTPError) as info:
            await client.ping()
    assert info.value.status == 404


# -- write and query ------------------------------------------------------------------------


async def test_write_returns_true_and_query_returns_the_json_shape(client: InfluxDBClient) -> None:
    point = {"time": "2009-11-10T23:00:00Z", "measurement": "cpu_load_short",
             "tags": {"host": "server01", "region": "us-west"},
             "fields": {"value": 0.64, "whole": 1.0, "count": 3, "ok": True, "note": "a\"b"}}
    assert await client.write(point) is True
    result = await client.query("SELECT * FROM cpu_load_short")
    assert result == {"results": [{"statement_id": 0, "series": [{
        "name": "cpu_load_short",
        "columns": ["time", "count", "host", "note", "ok", "region", "value", "whole"],
        "values": [[1257894000000000000, 3, "server01", 'a"b', True, "us-west", 0.64, 1.0]],
    }]}]}
    whole = result["results"][0]["series"][0]["values"][0][-1]
    assert type(whole) is float


async def test_query_epoch_none_gives_rfc3339_strings(client: InfluxDBClient) -> None:
    await client.write("m v=1 1257894000123456789")
    result = await client.query("SELECT v FROM m", epoch=None)
    assert values(result) == [["2009-11-10T23:00:00.123456789Z", 1.0]]


@pytest.mark.parametrize(("epoch", "expected"), [
    ("ns", 1257894000123456789), ("u", 1257894000123456), ("µ", 1257894000123456),
    ("ms", 1257894000123), ("s", 1257894000), ("m", 20964900), ("h", 349415),
])
async def test_query_epoch(client: InfluxDBClient, epoch: str, expected: int) -> None:
    await client.write("m v=1 1257894000123456789")
    result = await client.query("SELECT v FROM m", epoch=epoch)
    assert values(result)[0][0] == expected


@pytest.mark.parametrize("gzip", [False, True])
async def test_compression_is_asked_for_only_with_gzip(influxdb_server: InfluxDBServer,
                                                       database: str, gzip: bool) -> None:
    # On a LAN compressing answers costs the server more CPU than it saves, so by
    # default the client asks for none (aiohttp would ask for gzip and deflate).
    exchanges: list[tuple[str, str | None, str | None, str | None]] = []

    async def on_request_end(session: Any, context: Any, params: Any) -> None:
        del session, context
        exchanges.append((params.url.path, params.headers.get("Content-Encoding"),
                          params.headers.get("Accept-Encoding"),
                          params.response.headers.get("Content-Encoding")))

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    lines = "\n".join(f"m,host=h{n % 7} v={n}i {1_257_894_000_000_000_000 + n}"
                      for n in range(5_000))
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, gzip=gzip, trace_configs=[trace]) as client:
        await client.write(lines)
        result = await client.query("SELECT v FROM m", epoch="ns")
    assert [row[1] for row in values(result)] == list(range(5_000))
    encoding = "gzip" if gzip else None
    assert exchanges == [
        # The client learns what the server is from its first answer to /ping.
        ("/ping", None, "gzip" if gzip else "identity", None),
        ("/write", encoding, "gzip" if gzip else "identity", None),
        ("/query", None, "gzip" if gzip else "identity", encoding),
    ]


async def test_write_to_a_retention_policy(client: InfluxDBClient, database: str) -> None:
    await client.query(f'CREATE RETENTION POLICY "short" ON "{database}" DURATION 2h '
                       "REPLICATION 1")
    await client.write("m v=1", rp="short")
    assert values(await client.query('SELECT count(v) FROM "short"."m"'))[0][1] == 1
    assert values(await client.query('SELECT count(v) FROM "autogen"."m"')) == []


async def test_write_of_nothing_sends_nothing(client: InfluxDBClient) -> None:
    assert await client.write([]) is True
    assert await client.write(iter(())) is True


async def test_write_without_a_database_fails_before_sending(
        influxdb_server: InfluxDBServer) -> None:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port) as client:
        with pytest.raises(ValueError, match="no database"):
            await client.write("m v=1")


async def test_large_write_is_split_into_several_requests(client: InfluxDBClient,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    client.max_request_bytes = 100_000
    start = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z
    points = [{"measurement": "m", "tags": {"n": str(i % 7)}, "fields": {"v": i},
               "time": start + i} for i in range(20_000)]
    with caplog.at_level(logging.DEBUG, logger="influxkit"):
        await client.write(points)
    posts = [r for r in caplog.records if r.getMessage().startswith("POST write")]
    assert len(posts) >= 4
    assert values(await client.query("SELECT count(v) FROM m"))[0][1] == 20_000


@pytest.mark.parametrize("as_text", [False, True])
async def test_line_protocol_text_is_cut_between_lines(influxdb_server: InfluxDBServer,
                                                       database: str, as_text: bool) -> None:
    # One bytes (or str) object of 1,000 lines, some with a newline in a string field:
    # batch_size and max_request_bytes cut it into requests between its lines.
    lines = [f'm,n={i % 7} v={i}i,s="line\n{i}" {i}' if i % 3 == 0 else f"m,n={i % 7} v={i}i {i}"
             for i in range(1_000)]
    text = "\n".join(lines)
    trace, bodies = write_tracer()
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, trace_configs=[trace]) as client:
        await client.write(text if as_text else text.encode(), batch_size=300, concurrency=2)
        assert sorted(len(split_lines(bytes(body))) for body in bodies) == [100, 300, 300, 300]
        bodies.clear()
        client.max_request_bytes = 4_000
        await client.write(text.encode())
        assert all(len(body) <= 4_000 for body in bodies)
        assert len(bodies) <= -(-len(text) // 4_000) + 1  # each one nearly full
        sent = [line.decode() for body in bodies for line in split_lines(bytes(body))]
        assert sent == lines
        answer = await client.query('SELECT count(v), sum(v), count(s) FROM m')
    assert values(answer) == [[0, 1_000, sum(range(1_000)), 334]]


async def test_write_error_carries_status_and_server_message(client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write("m v=1", db="no_such_database")
    assert info.value.status == 404
    assert "database not found" in info.value.message


async def test_query_with_bind_parameters(client: InfluxDBClient) -> None:
    await client.write(["m,host=a v=1 1", "m,host=b v=2 2", "m,host=x'y v=3 3"])
    result = await client.query("SELECT v FROM m WHERE host = $host", params={"host": "x'y"})
    assert values(result) == [[3, 3.0]]
    injected = await client.query("SELECT v FROM m WHERE host = $h", params={"h": "a' OR 1=1"})
    assert values(injected) == []


async def test_multi_statement_query_returns_every_statement(client: InfluxDBClient) -> None:
    await client.write("m v=1 1")
    result = await client.query("SELECT v FROM m; SELECT v FROM nothing; SHOW MEASUREMENTS")
    ids = [statement["statement_id"] for statement in result["results"]]
    assert ids == [0, 1, 2]
    assert "series" not in result["results"][1]
    assert values({"results": [result["results"][2]]}) == [["m"]]


async def test_failed_statement_names_the_statement_and_the_real_error(
        client: InfluxDBClient) -> None:
    await client.write('m s="text" 1')
    with pytest.raises(InfluxDBQueryError) as info:
        await client.query("SELECT * FROM m; SELECT mean(s) FROM m")
    assert info.value.statement_id == 1
    assert info.value.statement == "SELECT mean(s) FROM m"
    assert "unsupported mean iterator type" in str(info.value)


async def test_long_query_travels_in_the_body(client: InfluxDBClient) -> None:
    await client.write("m v=1 1")
    condition = " OR ".join(f"v = {i}" for i in range(4000))
    result = await client.query(f"SELECT v FROM m WHERE {condition}")
    assert values(result) == [[1, 1.0]]


# -- chunked queries --------------------------------------------------------------------------


async def test_chunked_query_yields_chunks(client: InfluxDBClient) -> None:
    await client.write([f"m v={i}i {i}" for i in range(25)])
    chunks = await client.query("SELECT v FROM m", chunked=True, chunk_size=10)
    seen = [chunk async for chunk in chunks]
    assert len(seen) == 3
    rows = [row for chunk in seen for row in iterpoints(chunk)]
    assert rows == [[i, i] for i in range(25)]


async def test_leaving_a_chunked_query_early_releases_the_connection(
        client: InfluxDBClient) -> None:
    await client.write([f"m v={i}i {i}" for i in range(100)])
    session = await client._transport.session()
    chunks = await client.query("SELECT v FROM m", chunked=True, chunk_size=5)
    async for _ in chunks:
        break
    del chunks
    gc.collect()
    assert session.connector is not None
    assert not session.connector._acquired  # type: ignore[attr-defined]
    async with await client.query("SELECT v FROM m", chunked=True, chunk_size=5) as chunks:
        first = await chunks.__anext__()
    assert iterpoints(first)
    assert not session.connector._acquired  # type: ignore[attr-defined]
    assert values(await client.query("SELECT count(v) FROM m"))[0][1] == 100


def test_blocking_chunked_query_is_a_plain_iterator(blocking: InfluxDBClient) -> None:
    blocking.write([f"m v={i}i {i}" for i in range(30)])
    chunks = blocking.query("SELECT v FROM m", chunked=True, chunk_size=10)
    assert not hasattr(chunks, "__aiter__")
    assert [len(list(iterpoints(chunk))) for chunk in chunks] == [10, 10, 10]
    with blocking.query("SELECT v FROM m", chunked=True, chunk_size=10) as chunks:
        next(chunks)


async def test_chunked_statement_error_is_raised_while_iterating(client: InfluxDBClient) -> None:
    await client.write('m s="text" 1')
    chunks = await client.query("SELECT * FROM m; SELECT mean(s) FROM m", chunked=True)
    with pytest.raises(InfluxDBQueryError, match="statement 1"):
        async for _ in chunks:
            pass


# A chunked answer of several MB (4.4 MB in MessagePack, 4.7 MB in JSON), in chunks of
# about 110 kB; the proxy lets its first HOLD_AFTER bytes through, and holds the rest
# until released.
STREAMED = 40_000
FILLER = "x" * 100
HOLD_AFTER = 256 * 1024


def streamed_lines() -> str:
    return "\n".join(f'm s="{FILLER}",v={i}i {i}' for i in range(STREAMED))


def check_streamed(first: dict[str, Any], rest: list[dict[str, Any]], proxy: FaultProxy) -> None:
    """The first chunk came while the proxy held most of the answer back; with the
    rest, released, the chunks hold every point."""
    (held,) = [r for r in proxy.requests if r.fault == "hold"]
    assert held.answer_size > 10 * HOLD_AFTER
    assert len(rest) + 1 == STREAMED // 1000
    rows = [row for chunk in [first, *rest] for row in iterpoints(chunk)]
    assert rows == [[i, FILLER, i] for i in range(STREAMED)]


@pytest.mark.parametrize("answer", ["application/x-msgpack", "application/json"])
async def test_chunked_query_streams(influxdb_server: InfluxDBServer, database: str,
                                     answer: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.write(streamed_lines())
        if answer == "application/json":
            # A server that refuses MessagePack: the query is asked again, in JSON.
            proxy.respond(406, path="/query")
        proxy.hold(HOLD_AFTER)
        chunks = await client.query("SELECT s, v FROM m", chunked=True, chunk_size=1000)
        assert chunks._response.content_type == answer
        try:
            # Not a measure of time: without streaming, the first chunk never comes.
            first = await asyncio.wait_for(chunks.__anext__(), 10)
        except asyncio.TimeoutError:
            pytest.fail("no chunk came while the proxy held the rest of the answer back")
        (held,) = [r for r in proxy.requests if r.fault == "hold"]
        assert held.answer_size <= HOLD_AFTER
        proxy.release()
        rest = [chunk async for chunk in chunks]
    check_streamed(first, rest, proxy)


def test_blocking_chunked_query_streams(influxdb_server: InfluxDBServer, database: str) -> None:
    with ThreadPoolExecutor(1) as pool, FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database,
                           mode="blocking") as client:
        client.write(streamed_lines())
        proxy.hold(HOLD_AFTER)
        chunks = client.query("SELECT s, v FROM m", chunked=True, chunk_size=1000)
        # In a thread of its own, so that a chunk that never comes fails the test rather
        # than hanging it; released, the thread ends before the client closes.
        future = pool.submit(next, chunks)
        try:
            first = future.result(timeout=10)
            (held,) = [r for r in proxy.requests if r.fault == "hold"]
            assert held.answer_size <= HOLD_AFTER
        finally:
            proxy.release()
            wait([future], timeout=10)
        rest = list(chunks)
    check_streamed(first, rest, proxy)


async def test_reading_chunks_after_the_client_closed_raises_a_connection_error(
        influxdb_server: InfluxDBServer, database: str) -> None:
    async with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(host=proxy.host, port=proxy.port, db=database) as client:
        await client.write(streamed_lines())
        proxy.hold(HOLD_AFTER)
        chunks = await client.query("SELECT s, v FROM m", chunked=True, chunk_size=1000)
        await chunks.__anext__()
        await client.close()
        try:
            with pytest.raises(InfluxDBConnectionError):
                async for _ in chunks:
                    pass
        finally:
            proxy.release()


def test_closing_a_blocking_client_ends_a_call_waiting_in_another_thread(
        influxdb_server: InfluxDBServer, database: str) -> None:
    outcome: list[BaseException | None] = []

    def read_all(chunks: Any) -> None:
        try:
            list(chunks)
            outcome.append(None)
        except BaseException as exc:  # the test looks at what it was
            outcome.append(exc)

    with FaultProxy(influxdb_server.url) as proxy:
        client = InfluxDBClient(host=proxy.host, port=proxy.port, db=database, mode="blocking")
        try:
            client.write(streamed_lines())
            proxy.hold(HOLD_AFTER)
            chunks = client.query("SELECT s, v FROM m", chunked=True, chunk_size=1000)
            # A daemon thread: a call left waiting for ever must fail the test, not hang it.
            reader = threading.Thread(target=read_all, args=(chunks,), daemon=True)
            reader.start()
            loop = client._modes.runner.loop
            assert loop is not None

            async def waiting() -> int:
                return len(asyncio.all_tasks()) - 1

            # Until the reader has taken every chunk the proxy let through and waits
            # for the next one.
            for _ in range(1000):
                held = [r for r in proxy.requests if r.fault == "hold"]
                if held and held[0].answer_size >= HOLD_AFTER and \
                        asyncio.run_coroutine_threadsafe(waiting(), loop).result(timeout=10):
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the reader never waited for a held chunk")
            client.close()
            reader.join(timeout=10)
            assert not reader.is_alive(), "the waiting call never returned"
        finally:
            proxy.release()
            client.close()
    (error,) = outcome
    assert isinstance(error, InfluxDBConnectionError)


# -- blocking mode ------------------------------------------------------------------------------


def test_blocking_mode_in_a_plain_script(blocking: InfluxDBClient) -> None:
    assert blocking.ping()["X-Influxdb-Version"]
    assert blocking.write({"measurement": "m", "fields": {"v": 1.5}}) is True
    assert values(blocking.query("SELECT v FROM m"))[0][1] == 1.5


async def test_blocking_mode_inside_a_running_loop(blocking: InfluxDBClient) -> None:
    # As in Jupyter: the caller's loop is running, and a blocking call must still work.
    blocking.write("m v=2")
    assert values(blocking.query("SELECT v FROM m"))[0][1] == 2.0


def test_blocking_mode_from_many_threads(blocking: InfluxDBClient) -> None:
    def work(n: int) -> int:
        blocking.write(f"m,thread={n} v={n}i {n}")
        return len(values(blocking.query(f"SELECT v FROM m WHERE thread = '{n}'")))

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(32))) == [1] * 32
    assert values(blocking.query("SELECT count(v) FROM m"))[0][1] == 32


async def test_switching_modes_on_the_fly(client: InfluxDBClient) -> None:
    await client.write("m v=1 1")
    client.mode = "blocking"
    assert values(client.query("SELECT v FROM m")) == [[1, 1.0]]
    client.mode = "async"
    assert values(await client.query("SELECT v FROM m")) == [[1, 1.0]]


def test_blocking_mode_in_ipython(influxdb_server: InfluxDBServer, database: str) -> None:
    # IPython runs cells with an event loop of its own; a blocking client must not care.
    pytest.importorskip("IPython")
    script = textwrap.dedent(f"""
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        cells = [
            "from influxkit import InfluxDBClient",
            "client = InfluxDBClient(host={influxdb_server.host!r}, "
            "port={influxdb_server.port}, db={database!r}, mode='blocking')",
            "client.write('m v=7')",
            "import asyncio",
            "async def inner():\\n    return client.query('SELECT v FROM m')",
            "result = await inner()",
            "assert result['results'][0]['series'][0]['values'][0][1] == 7.0, result",
            "client.close()",
        ]
        for cell in cells:
            outcome = shell.run_cell(cell)
            if not outcome.success:
                raise SystemExit(f"cell failed: {{cell!r}}: {{outcome.error_in_exec!r}}")
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")


def test_closed_blocking_client_stops_its_thread(influxdb_server: InfluxDBServer) -> None:
    before = {t.name for t in threading.enumerate()}
    client = InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                            mode="blocking")
    client.ping()
    assert "influxkit-blocking" in {t.name for t in threading.enumerate()}
    client.close()
    assert {t.name for t in threading.enumerate()} <= before | {"influxkit-blocking"}
    assert all(t.name != "influxkit-blocking" or not t.is_alive() for t in threading.enumerate())


# -- InfluxQL helpers ---------------------------------------------------------------------------

HOSTILE_NAMES = ['with "quotes"', "back\\slash", "it's", "sp ace,comma=eq", "ünï😀"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_helpers_quote_measurement_and_tag_names(client: InfluxDBClient, name: str) -> None:
    await client.write({"measurement": name, "tags": {name: name}, "fields": {name: 1.0}})
    measurements = values(await client.show_measurements())
    assert measurements == [[name]]
    assert values(await client.show_tag_keys(name)) == [[name]]
    assert values(await client.show_field_keys(name)) == [[name, "float"]]
    assert values(await client.show_tag_values(name, name)) == [[name, name]]
    assert len(values(await client.show_series(name))) == 1
    await client.drop_measurement(name)
    assert values(await client.show_measurements()) == []


async def test_database_helpers(client: InfluxDBClient) -> None:
    name = 'db with "quotes" and \'apostrophes\''
    await client.create_database(db=name)
    try:
        assert [name] in values(await client.show_databases())
        assert values(await client.show_retention_policies(db=name))[0][0] == "autogen"
    finally:
        await client.drop_database(db=name)
    assert [name] not in values(await client.show_databases())
    assert isinstance(await client.show_users(), dict)
    assert isinstance(await client.show_continuous_queries(), dict)


# -- connections: auth, TLS, unix socket, timeouts, sessions ---------------------------------------


async def test_basic_auth(influxdb_auth_server: InfluxDBServer) -> None:
    server = influxdb_auth_server
    async with InfluxDBClient(host=server.host, port=server.port,
                              username=server.admin_username,
                              password=server.admin_password) as client:
        assert values(await client.show_databases()) is not None
    async with InfluxDBClient(host=server.host, port=server.port, username="admin",
                              password="wrong-password") as client:
        assert await client.ping()  # ping never needs credentials
        with pytest.raises(AuthenticationError) as info:
            await client.show_databases()
    assert info.value.status == 401
    assert "wrong-password" not in str(info.value)


async def test_write_refused_for_credentials_is_both_write_and_auth_error(
        influxdb_auth_server: InfluxDBServer) -> None:
    server = influxdb_auth_server
    async with InfluxDBClient(host=server.host, port=server.port, db="x") as client:
        with pytest.raises(InfluxDBWriteError) as info:
            await client.write("m v=1")
    assert isinstance(info.value, AuthenticationError)


async def test_token_is_sent_as_authorization_token(influxdb_auth_server: InfluxDBServer) -> None:
    # InfluxDB 1.6 does not accept tokens (1.8+ and 2.x do): its 401 proves the header went.
    server = influxdb_auth_server
    async with InfluxDBClient(host=server.host, port=server.port,
                              token=f"{server.admin_username}:{server.admin_password}") as client:
        session = await client._transport.session()
        assert session.headers["Authorization"].startswith("Token ")
        with pytest.raises(AuthenticationError):
            await client.show_databases()


async def test_tls_is_verified_by_default(influxdb_tls_server: InfluxDBServer) -> None:
    server = influxdb_tls_server
    async with InfluxDBClient(host="localhost", port=server.port, ssl=True) as client:
        with pytest.raises(InfluxDBConnectionError, match=r"[Cc]ertificate"):
            await client.ping()
    context = ssl.create_default_context(cafile=server.ca_file)
    async with InfluxDBClient(host="localhost", port=server.port, ssl=context) as client:
        assert client.url.startswith("https://")
        assert await client.ping()
    async with InfluxDBClient(host="localhost", port=server.port, ssl=True,
                              verify_ssl=False) as client:
        assert await client.ping()


async def test_unix_socket(influxdb_unix_server: InfluxDBServer) -> None:
    server = influxdb_unix_server
    async with InfluxDBClient(unix_socket=server.unix_socket, db="sock") as client:
        await client.create_database()
        await client.write("m v=3")
        assert values(await client.query("SELECT v FROM m"))[0][1] == 3.0


async def test_timeout_of_a_paused_server(influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    async with InfluxDBClient(host=server.host, port=server.port, timeout=0.5) as client:
        await client.ping()
        server.pause()
        try:
            started = time.monotonic()
            with pytest.raises(InfluxDBTimeoutError):
                await client.ping()
            assert time.monotonic() - started < 5
            with pytest.raises(TimeoutError):  # also a builtin TimeoutError
                await client.query("SHOW DATABASES")
        finally:
            server.resume()
        assert await client.ping()


async def test_create_session_takes_aiohttp_options(influxdb_server: InfluxDBServer) -> None:
    seen: list[str] = []

    async def on_request_start(session: Any, context: Any, params: Any) -> None:
        seen.append(str(params.url.path))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              trace_configs=[trace]) as client:
        await client.ping()
    assert seen == ["/ping"]

    class Custom(InfluxDBClient):
        async def create_session(self, **kwargs: Any) -> aiohttp.ClientSession:
            kwargs.setdefault("trace_configs", [trace])
            return await super().create_session(**kwargs)

    async with Custom(host=influxdb_server.host, port=influxdb_server.port) as custom:
        await custom.ping()
    assert seen == ["/ping", "/ping"]


async def test_requests_are_logged_at_debug(client: InfluxDBClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="influxkit"):
        await client.write("m v=1")
        await client.query("SELECT v FROM m")
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("POST write -> 204") for m in messages)
    assert any(m.startswith("POST query -> 200") for m in messages)
    assert any(m.startswith("query chunk 1") for m in messages)
