"""Clients from a URL or the environment, UDP writes, and credentials kept out of reprs,
logs and errors, against real influxd servers."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import ssl
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from influxkit import (
    AuthenticationError,
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBHTTPError,
    InfluxDBTimeoutError,
    LineProtocolError,
    iterpoints,
)
from influxkit._encode.datagrams import datagrams
from influxkit.testing import InfluxDBServer

# Every character that needs percent-encoding in a URL's credentials, and more.
USERNAME = "jürgen@ops/x%"
PASSWORD = "p@ss:w/rd%42#?ü €&="
WRONG_PASSWORD = "Wr0ng@p:ss/%ü"
TOKEN = "t0ken+/=secret"


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def values(result: dict[str, Any]) -> list[list[Any]]:
    return list(iterpoints(result))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def secrets_of(*texts: str) -> list[str]:
    """The forms a secret could leak in: as it is, percent-encoded, in Basic auth."""
    forms = []
    for text in texts:
        forms += [text, quote(text), base64.b64encode(f"{USERNAME}:{text}".encode()).decode()]
    return forms


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets_of(*secrets):
        assert secret not in text


def everything_about(error: BaseException) -> str:
    """An error as anyone may see it: the traceback with its causes, reprs and fields."""
    parts = ["".join(traceback.format_exception(type(error), error, error.__traceback__))]
    seen: BaseException | None = error
    while seen is not None:
        parts += [repr(seen), repr(seen.args), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


# -- from_url over HTTP ----------------------------------------------------------------------


async def test_from_url_http(influxdb_server: InfluxDBServer, database: str) -> None:
    url = f"http://{influxdb_server.host}:{influxdb_server.port}/{database}"
    async with InfluxDBClient.from_url(url) as client:
        assert client.db == database
        when = 1_700_000_000_000_000_000
        await client.write({"measurement": "m", "fields": {"v": 1}, "time": when})
        assert values(await client.query("SELECT v FROM m")) == [[when, 1]]


def test_from_url_influxdb_scheme_with_options(influxdb_server: InfluxDBServer,
                                               database: str) -> None:
    url = (f"influxdb://{influxdb_server.host}:{influxdb_server.port}/"
           f"?db={database}&mode=blocking&timeout=10&gzip=true")
    with InfluxDBClient.from_dsn(url) as client:
        assert (client.mode, client.timeout.total, client.gzip) == ("blocking", 10, True)
        client.write("m v=2 2")
        assert values(client.query("SELECT v FROM m")) == [[2, 2]]


async def test_a_path_prefix_is_not_the_database(influxdb_server: InfluxDBServer,
                                                  database: str) -> None:
    base = f"http://{influxdb_server.host}:{influxdb_server.port}"
    async with InfluxDBClient.from_url(f"{base}/proxied/{database}") as client:
        assert client.db == database
        # No proxy here: the prefix really is in the requests, and the server has no
        # /proxied/ping.
        with pytest.raises(InfluxDBHTTPError) as info:
            await client.ping()
    assert info.value.status == 404
    assert info.value.url == f"{base}/proxied/ping"
    async with InfluxDBClient.from_url(f"{base}/proxied?db={database}") as client:
        assert (client.url, client.db) == (f"{base}/proxied", database)


async def test_keyword_arguments_win_over_the_url(influxdb_server: InfluxDBServer,
                                                  database: str) -> None:
    url = f"http://{influxdb_server.host}:{free_port()}/nodb"
    async with InfluxDBClient.from_url(url, port=influxdb_server.port, db=database) as client:
        await client.write("m v=3 3")
        assert values(await client.query("SELECT v FROM m")) == [[3, 3]]


# -- credentials, unix socket, TLS -------------------------------------------------------------


@pytest.fixture
def special_user(influxdb_auth_server: InfluxDBServer) -> Iterator[str]:
    """A user named and passworded with characters URLs must encode; yields a database."""
    server = influxdb_auth_server
    name = f"test_{uuid.uuid4().hex}"
    server.query(f"CREATE USER \"{USERNAME}\" WITH PASSWORD '{PASSWORD}' WITH ALL PRIVILEGES;"
                 f'CREATE DATABASE "{name}"')
    yield name
    server.query(f'DROP USER "{USERNAME}"; DROP DATABASE "{name}"')


async def test_percent_encoded_credentials(influxdb_auth_server: InfluxDBServer,
                                           special_user: str) -> None:
    server = influxdb_auth_server
    url = f"http://{quote(USERNAME)}:{quote(PASSWORD)}@{server.host}:{server.port}/{special_user}"
    async with InfluxDBClient.from_url(url) as client:
        assert client.username == USERNAME
        await client.write("m v=4 4")
        assert values(await client.query("SELECT v FROM m")) == [[4, 4]]
        assert_no_secret(repr(client), PASSWORD)
    wrong = url.replace(quote(PASSWORD), quote(WRONG_PASSWORD))
    async with InfluxDBClient.from_url(wrong) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.query("SELECT v FROM m")
    assert_no_secret(everything_about(info.value), PASSWORD, WRONG_PASSWORD)


async def test_unix_socket(influxdb_unix_server: InfluxDBServer) -> None:
    server = influxdb_unix_server
    name = f"test_{uuid.uuid4().hex}"
    server.create_database(name)
    try:
        url = f"unix://{urllib.parse.quote(server.unix_socket)}?db={name}"
        async with InfluxDBClient.from_url(url) as client:
            assert client.unix_socket == server.unix_socket
            await client.write("m v=5 5")
            assert values(await client.query("SELECT v FROM m")) == [[5, 5]]
    finally:
        server.drop_database(name)


async def test_tls(influxdb_tls_server: InfluxDBServer) -> None:
    server = influxdb_tls_server
    trusted = ssl.create_default_context(cafile=server.ca_file)
    async with InfluxDBClient.from_url(f"https://localhost:{server.port}/db",
                                       ssl=trusted) as client:
        assert client.url.startswith("https://")
        assert (await client.ping())["X-Influxdb-Version"]
    async with InfluxDBClient.from_url(
            f"https+influxdb://localhost:{server.port}/db?verify_ssl=false") as client:
        assert (await client.ping())["X-Influxdb-Version"]
    url = f"https://{quote(USERNAME)}:{quote(PASSWORD)}@localhost:{server.port}/db"
    async with InfluxDBClient.from_url(url) as client:
        with pytest.raises(InfluxDBConnectionError, match=r"[Cc]ertificate") as info:
            await client.ping()
    assert_no_secret(everything_about(info.value), PASSWORD)


# -- from_env ---------------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in ("INFLUX_URL", "INFLUX_USERNAME", "INFLUX_PASSWORD", "INFLUX_TOKEN",
                     "INFLUX_DATABASE"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


async def test_from_env(influxdb_server: InfluxDBServer, database: str,
                        environment: pytest.MonkeyPatch) -> None:
    environment.setenv("INFLUX_URL", f"http://{influxdb_server.host}:{influxdb_server.port}/x")
    environment.setenv("INFLUX_DATABASE", database)
    async with InfluxDBClient.from_env() as client:
        assert client.db == database
        await client.write("m v=6 6")
        assert values(await client.query("SELECT v FROM m")) == [[6, 6]]


async def test_from_env_credentials(influxdb_auth_server: InfluxDBServer, special_user: str,
                                    environment: pytest.MonkeyPatch) -> None:
    server = influxdb_auth_server
    environment.setenv("INFLUX_URL", f"http://nobody:{quote(WRONG_PASSWORD)}@{server.host}:"
                                     f"{server.port}/{special_user}")
    environment.setenv("INFLUX_USERNAME", USERNAME)
    async with InfluxDBClient.from_env() as client:
        with pytest.raises(AuthenticationError) as info:
            await client.query("SELECT v FROM m")  # the URL's password is still wrong
    assert_no_secret(everything_about(info.value), WRONG_PASSWORD)
    environment.setenv("INFLUX_PASSWORD", PASSWORD)
    async with InfluxDBClient.from_env() as client:
        await client.write("m v=7 7")
        assert values(await client.query("SELECT v FROM m")) == [[7, 7]]
    # Keyword arguments win over the environment.
    async with InfluxDBClient.from_env(password=WRONG_PASSWORD) as client:
        with pytest.raises(AuthenticationError):
            await client.query("SELECT v FROM m")


# -- credentials never leak ----------------------------------------------------------------


async def test_credentials_never_reach_the_logs(influxdb_auth_server: InfluxDBServer,
                                                special_user: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    server = influxdb_auth_server
    where = f"{server.host}:{server.port}/{special_user}"
    good = f"http://{quote(USERNAME)}:{quote(PASSWORD)}@{where}"
    bad = f"http://{quote(USERNAME)}:{quote(WRONG_PASSWORD)}@{where}"
    with caplog.at_level(logging.DEBUG):
        async with InfluxDBClient.from_url(good, gzip=True) as client:
            await client.ping()
            await client.write([{"measurement": "m", "fields": {"v": i}} for i in range(3)])
            await client.query("SELECT v FROM m")
            async for _ in await client.query("SELECT v FROM m", chunked=True):
                pass
        for url in (bad, f"http://{where}?token={quote(TOKEN)}"):
            async with InfluxDBClient.from_url(url) as client:
                with pytest.raises(AuthenticationError):
                    await client.write("m v=1")
                with pytest.raises(AuthenticationError):
                    await client.query("SELECT v FROM m")
    assert any("POST write -> 204" in record.getMessage() for record in caplog.records)
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert_no_secret(logged + caplog.text, PASSWORD, WRONG_PASSWORD, TOKEN)


async def test_errors_of_an_unreachable_server_have_no_credentials() -> None:
    url = (f"http://{quote(USERNAME)}:{quote(PASSWORD)}@127.0.0.1:{free_port()}/db"
           f"?token={quote(TOKEN)}")
    async with InfluxDBClient.from_url(url) as client:
        assert_no_secret(repr(client), PASSWORD, TOKEN)
        with pytest.raises(InfluxDBConnectionError, match="ping") as info:
            await client.ping()
        with pytest.raises(InfluxDBConnectionError, match="write") as write_info:
            await client.write("m v=1")
    assert_no_secret(everything_about(info.value), PASSWORD, TOKEN)
    assert_no_secret(everything_about(write_info.value), PASSWORD, TOKEN)


async def test_timeouts_have_no_credentials(influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    url = f"http://{quote(USERNAME)}:{quote(PASSWORD)}@{server.host}:{server.port}/db?timeout=0.5"
    async with InfluxDBClient.from_url(url) as client:
        server.pause()
        try:
            with pytest.raises(InfluxDBTimeoutError) as info:
                await client.query("SHOW DATABASES")
        finally:
            server.resume()
    assert_no_secret(everything_about(info.value), PASSWORD)


# -- UDP ------------------------------------------------------------------------------------


async def stored_count(server: InfluxDBServer, measurement: str, expected: int,
                       timeout: float = 30.0) -> int:
    """The points of a measurement in the UDP database, once ``expected`` are there or
    the time is up: the listener stores what it receives in batches, a little later."""
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(
            server.query, f'SELECT count("v") FROM "{measurement}"', server.udp_database)
        series = result["results"][0].get("series")
        count: int = series[0]["values"][0][1] if series else 0
        if count >= expected or time.monotonic() > deadline:
            return count
        await asyncio.sleep(0.05)


def udp_client(server: InfluxDBServer, **kwargs: Any) -> InfluxDBClient:
    url = f"udp+influxdb://{server.host}:{server.udp_port}/{server.udp_database}"
    return InfluxDBClient.from_url(url, port=server.port, **kwargs)


async def test_udp_writes_dicts(influxdb_udp_server: InfluxDBServer) -> None:
    server = influxdb_udp_server
    measurement = f"m_{uuid.uuid4().hex}"
    points = [{"measurement": measurement, "tags": {"host": f"h{i % 2}"},
               "fields": {"v": i, "text": f"line\n{i}"}, "time": 1_700_000_000_000_000_000 + i}
              for i in range(10)]
    async with udp_client(server) as client:
        assert (client.use_udp, client.udp_port) == (True, server.udp_port)
        assert await client.write(points) is True
        assert await stored_count(server, measurement, 10) == 10
        # Queries go over HTTP.
        result = await client.query(f'SELECT "host", "text", "v" FROM "{measurement}"',
                                    epoch="ns")
    assert values(result) == [[p["time"], p["tags"]["host"], p["fields"]["text"],
                               p["fields"]["v"]] for p in points]


def test_udp_writes_dataframes_in_blocking_mode(influxdb_udp_server: InfluxDBServer) -> None:
    pd = pytest.importorskip("pandas")
    server = influxdb_udp_server
    measurement = f"m_{uuid.uuid4().hex}"
    frame = pd.DataFrame(
        {"v": range(50), "host": [f"h{i % 3}" for i in range(50)]},
        index=pd.date_range("2024-01-01", periods=50, freq="s", tz="UTC"),
    )
    with udp_client(server, mode="blocking") as client:
        client.write(frame, measurement=measurement, tag_columns=["host"])
        assert asyncio.run(stored_count(server, measurement, 50)) == 50
        result = client.query(f'SELECT sum("v") FROM "{measurement}" GROUP BY "host"')
    assert sorted(row[-1] for row in values(result)) == sorted(
        sum(range(i, 50, 3)) for i in range(3))


async def test_udp_large_write_arrives_whole_in_many_datagrams(
        influxdb_udp_server: InfluxDBServer) -> None:
    server = influxdb_udp_server
    measurement = f"m_{uuid.uuid4().hex}"
    count = 3000
    lines = [f"{measurement},host=h{i % 5} v={i}i,s=\"{'x' * 60}\" {i}" for i in range(count)]
    assert len(datagrams(["\n".join(lines).encode()])) > 150
    async with udp_client(server) as client:
        await client.write("\n".join(lines))
        assert await stored_count(server, measurement, count) == count
        result = await client.query(f'SELECT sum("v") FROM "{measurement}"')
    assert values(result)[0][1] == sum(range(count))


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A UDP socket of the test's own, to see the datagrams themselves."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.3)
        yield sock


def received(sock: socket.socket) -> list[bytes]:
    packets = []
    while True:
        try:
            packets.append(sock.recv(70_000))
        except TimeoutError:
            return packets


async def test_udp_datagrams_are_whole_lines_under_the_limit(listener: socket.socket) -> None:
    lines = [f'm,host=h{i} v={i},s="a\nb" {i}'.encode() for i in range(200)]
    port = listener.getsockname()[1]
    async with InfluxDBClient.from_url(f"udp+influxdb://127.0.0.1:{port}/db") as client:
        client.max_datagram_bytes = 300
        await client.write(b"\n".join(lines))
    packets = await asyncio.to_thread(received, listener)
    assert len(packets) >= 15
    assert all(len(packet) <= 300 for packet in packets)
    assert b"\n".join(packets) == b"\n".join(lines)


async def test_udp_line_too_long_is_refused_before_anything_is_sent(
        listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    points = [{"measurement": "m", "fields": {"v": i}} for i in range(100)]
    points.insert(50, {"measurement": "m", "fields": {"v": 0, "s": "x" * 2000}})
    async with InfluxDBClient.from_url(f"udp+influxdb://127.0.0.1:{port}/db") as client:
        with pytest.raises(LineProtocolError, match=r"point 50 'm v=0i,s=\"x+…: the line is "
                                                    r"2,011 bytes, more than the 1,400 of a "
                                                    r"UDP datagram"):
            await client.write(points)
    assert await asyncio.to_thread(received, listener) == []


async def test_udp_to_a_closed_port_is_reported() -> None:
    # Linux reports the "port unreachable" of the first datagrams on the socket.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    lines = "\n".join(f"m v={i} {i}" for i in range(20_000))
    async with InfluxDBClient.from_url(f"udp+influxdb://127.0.0.1:{port}/db") as client:
        with pytest.raises(InfluxDBConnectionError, match=f"UDP 127.0.0.1:{port}: datagrams "
                                                          "were lost: ConnectionRefusedError"):
            await client.write(lines)
