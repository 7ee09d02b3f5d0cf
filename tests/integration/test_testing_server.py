"""Tests of influxkit.testing, the real-server fixture the other tests stand on.

They talk to the server with the standard library only, so that they check
the fixture and not the client.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import time
import urllib.parse
import warnings
from collections.abc import Mapping
from typing import Any

import pytest

import influxkit.testing
from influxkit.testing import (
    TEST_URL_ENV,
    ExternalServerError,
    InfluxDBServer,
    InfluxDBServerError,
    ServerStartError,
    server_from_env,
)

local_only = pytest.mark.skipif(
    bool(os.environ.get(TEST_URL_ENV)),
    reason=f"needs a private server, but ${TEST_URL_ENV} is set",
)


def http_request(
    server: InfluxDBServer,
    method: str,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    body: bytes | None = None,
    context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with http.client: (status, headers, body)."""
    conn: http.client.HTTPConnection
    if server.url.startswith("https:"):
        conn = http.client.HTTPSConnection(
            server.host, server.port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    target = urllib.parse.urlsplit(server.url).path + path
    if params:
        target += "?" + urllib.parse.urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket."""

    def __init__(self, path: str, timeout: float = 5.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def rows(answer: dict[str, Any]) -> list[list[Any]]:
    """The values of the first series of the first result, or []."""
    series = answer["results"][0].get("series", [])
    return series[0].get("values", []) if series else []


def database_names(server: InfluxDBServer) -> list[str]:
    return [row[0] for row in rows(server.query("SHOW DATABASES"))]


# -- the shared server ---------------------------------------------------------------


def test_ping_answers_with_the_version(influxdb_server: InfluxDBServer) -> None:
    status, headers, _ = http_request(influxdb_server, "GET", "/ping")
    assert status == 204
    assert headers["X-Influxdb-Version"]
    assert headers["X-Influxdb-Version"] == influxdb_server.version
    assert influxdb_server.ping() == influxdb_server.version


@local_only
def test_private_server_properties(influxdb_server: InfluxDBServer) -> None:
    assert influxdb_server.host == "127.0.0.1"
    assert influxdb_server.url == f"http://127.0.0.1:{influxdb_server.port}"
    assert influxdb_server.version.startswith("1.")
    assert influxdb_server.is_running()
    assert influxdb_server.pid is not None
    assert not influxdb_server.external
    assert influxdb_server.rpc_port not in (8088, influxdb_server.port)
    assert influxdb_server.admin_username is None
    assert influxdb_server.admin_password is None
    directory = influxdb_server.directory
    assert directory is not None
    assert sorted(os.listdir(directory)) == ["data", "influxd.conf", "influxd.log", "meta", "wal"]
    # Usage reporting and the _internal monitor database are off.
    assert "_internal" not in database_names(influxdb_server)
    with pytest.raises(InfluxDBServerError, match="udp=True"):
        _ = influxdb_server.udp_port
    with pytest.raises(InfluxDBServerError, match="tls=True"):
        _ = influxdb_server.ca_file
    with pytest.raises(InfluxDBServerError, match="unix_socket=True"):
        _ = influxdb_server.unix_socket


def test_write_over_http_then_query(influxdb_server: InfluxDBServer, database: str) -> None:
    status, _, body = http_request(
        influxdb_server,
        "POST",
        "/write",
        params={"db": database},
        body=b"cpu,host=a value=0.5 1700000000000000000",
    )
    assert status == 204, body
    answer = influxdb_server.query('SELECT * FROM "cpu"', db=database)
    assert rows(answer) == [["2023-11-14T22:13:20Z", "a", 0.5]]

    status, _, body = http_request(
        influxdb_server,
        "POST",
        "/query",
        body=urllib.parse.urlencode({"q": 'SELECT count(*) FROM "cpu"', "db": database}).encode(),
    )
    assert status == 200
    assert rows(json.loads(body)) == [["1970-01-01T00:00:00Z", 1]]


def test_database_fixture_gives_a_fresh_database(
    influxdb_server: InfluxDBServer, database: str
) -> None:
    assert database.startswith("test_")
    assert database in database_names(influxdb_server)
    assert rows(influxdb_server.query("SHOW MEASUREMENTS", db=database)) == []


def test_helpers_write_and_quote(influxdb_server: InfluxDBServer, database: str) -> None:
    influxdb_server.write("m v=1i 1\nm v=2i 2", db=database)
    influxdb_server.write(b"m v=3i 3", db=database, precision="s", rp="autogen")
    answer = influxdb_server.query('SELECT v FROM "m"', db=database)
    assert [row[1] for row in rows(answer)] == [1, 2, 3]
    # influxd refuses / and \ in names, but not quotes or spaces.
    name = f"{database} we\"ird 'name'"
    influxdb_server.create_database(name)
    try:
        assert name in database_names(influxdb_server)
    finally:
        influxdb_server.drop_database(name)
    assert name not in database_names(influxdb_server)


def test_query_helper_raises_on_errors(influxdb_server: InfluxDBServer, database: str) -> None:
    with pytest.raises(InfluxDBServerError, match="HTTP 400"):
        influxdb_server.query("SELEKT 1")
    with pytest.raises(InfluxDBServerError, match="database not found"):
        influxdb_server.query('SELECT * FROM "m"', db=f"{database}_missing")
    with pytest.raises(InfluxDBServerError, match="HTTP 400"):
        influxdb_server.write("not line protocol", db=database)


# -- special servers ----------------------------------------------------------------


def test_auth_server_rejects_anonymous_queries(influxdb_auth_server: InfluxDBServer) -> None:
    server = influxdb_auth_server
    assert server.admin_username is not None
    assert server.admin_password is not None
    form = urllib.parse.urlencode({"q": "SHOW DATABASES"}).encode()

    status, headers, _ = http_request(server, "POST", "/query", body=form)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic")

    wrong = {"u": server.admin_username, "p": server.admin_password + "x"}
    status, _, _ = http_request(server, "POST", "/query", params=wrong, body=form)
    assert status == 401

    admin = {"u": server.admin_username, "p": server.admin_password}
    status, _, body = http_request(server, "POST", "/query", params=admin, body=form)
    assert status == 200, body

    answer = server.query("SHOW USERS")
    assert rows(answer) == [[server.admin_username, True]]
    # /ping needs no credentials.
    assert http_request(server, "GET", "/ping")[0] == 204


def test_from_url_uses_credentials_in_the_url(influxdb_auth_server: InfluxDBServer) -> None:
    server = influxdb_auth_server
    assert server.admin_username is not None
    assert server.admin_password is not None
    user = urllib.parse.quote(server.admin_username, safe="")
    password = urllib.parse.quote(server.admin_password, safe="")
    external = InfluxDBServer.from_url(f"http://{user}:{password}@127.0.0.1:{server.port}/")
    assert external.external
    assert external.url == f"http://127.0.0.1:{server.port}"
    assert (external.admin_username, external.admin_password) == (
        server.admin_username,
        server.admin_password,
    )
    with external:
        assert rows(external.query("SHOW USERS")) == [[server.admin_username, True]]


def test_udp_points_become_queryable(influxdb_udp_server: InfluxDBServer) -> None:
    server = influxdb_udp_server
    assert server.udp_database == "udp"
    assert server.udp_database in database_names(server)
    measurement = f"udp_{time.monotonic_ns()}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(
            f"{measurement},host=a value=42i 1000000000\n".encode(), ("127.0.0.1", server.udp_port)
        )
    deadline = time.monotonic() + 10.0
    while True:
        found = rows(server.query(f'SELECT * FROM "{measurement}"', db=server.udp_database))
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert found == [["1970-01-01T00:00:01Z", "a", 42]]


def test_unix_socket_answers_ping(influxdb_unix_server: InfluxDBServer) -> None:
    path = influxdb_unix_server.unix_socket
    assert len(path.encode()) < 104
    assert os.path.dirname(path) == influxdb_unix_server.directory
    conn = UnixHTTPConnection(path)
    try:
        conn.request("GET", "/ping")
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 204
    assert response.headers["X-Influxdb-Version"] == influxdb_unix_server.version
    # HTTP stays on TCP as well.
    assert http_request(influxdb_unix_server, "GET", "/ping")[0] == 204


def test_tls_server_verifies_with_its_ca_file(influxdb_tls_server: InfluxDBServer) -> None:
    server = influxdb_tls_server
    assert server.url == f"https://127.0.0.1:{server.port}"
    trusted = ssl.create_default_context(cafile=server.ca_file)
    assert http_request(server, "GET", "/ping", context=trusted)[0] == 204
    conn = http.client.HTTPSConnection("localhost", server.port, timeout=5, context=trusted)
    try:
        conn.request("GET", "/ping")
        assert conn.getresponse().status == 204
    finally:
        conn.close()
    with pytest.raises(ssl.SSLCertVerificationError):
        http_request(server, "GET", "/ping", context=ssl.create_default_context())
    assert server.query("SHOW DATABASES")["results"][0]["statement_id"] == 0


def test_tls_with_openssl_when_trustme_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get(TEST_URL_ENV):
        pytest.skip(f"needs a private server, but ${TEST_URL_ENV} is set")
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    monkeypatch.setitem(__import__("sys").modules, "trustme", None)
    with InfluxDBServer(tls=True) as server:
        trusted = ssl.create_default_context(cafile=server.ca_file)
        trusted.verify_flags |= ssl.VERIFY_X509_STRICT
        assert http_request(server, "GET", "/ping", context=trusted)[0] == 204


# -- life cycle ---------------------------------------------------------------------


def test_restart_keeps_ports_and_data(influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("kept")
    server.write("m v=1i 1", db="kept")
    before = (server.port, server.rpc_port, server.directory, server.pid)

    server.restart()

    assert (server.port, server.rpc_port, server.directory) == before[:3]
    assert server.pid != before[3]
    assert server.is_running()
    assert rows(server.query('SELECT v FROM "m"', db="kept")) == [
        ["1970-01-01T00:00:00.000000001Z", 1]
    ]


def test_pause_times_requests_out_and_resume_restores(
    influxdb_private_server: InfluxDBServer,
) -> None:
    server = influxdb_private_server
    server.pause()
    try:
        assert server.is_running()
        assert "paused" in repr(server)
        with pytest.raises(TimeoutError):
            http_request(server, "GET", "/ping", timeout=0.3)
    finally:
        server.resume()
    assert http_request(server, "GET", "/ping")[0] == 204


@local_only
def test_stop_removes_the_directory_and_frees_the_port() -> None:
    server = InfluxDBServer()
    server.start()
    directory, port = server.directory, server.port
    assert directory is not None
    assert os.path.isdir(directory)

    server.stop()

    assert not os.path.exists(directory)
    assert server.directory is None
    assert server.pid is None
    assert not server.is_running()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
    server.stop()  # idempotent


@local_only
def test_stopping_a_paused_server() -> None:
    server = InfluxDBServer(stop_timeout=5.0)
    server.start()
    server.pause()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5.0
    assert not server.is_running()


@local_only
def test_two_servers_at_once_are_independent() -> None:
    with InfluxDBServer() as first, InfluxDBServer() as second:
        ports = {first.port, first.rpc_port, second.port, second.rpc_port}
        assert len(ports) == 4
        assert first.directory != second.directory
        first.create_database("only_on_first")
        assert "only_on_first" not in database_names(second)


@local_only
def test_start_retries_when_a_port_is_taken(
    influxdb_private_server: InfluxDBServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worst case of the race: the port was taken by another influxd, which
    # answers /ping just like the server being started would.
    taken = influxdb_private_server.port
    real_free_ports = influxkit.testing._free_ports
    calls = 0

    def free_ports(*, tcp: int, udp: int = 0) -> tuple[list[int], list[int]]:
        nonlocal calls
        calls += 1
        tcp_ports, udp_ports = real_free_ports(tcp=tcp, udp=udp)
        if calls == 1:
            tcp_ports[0] = taken
        return tcp_ports, udp_ports

    monkeypatch.setattr(influxkit.testing, "_free_ports", free_ports)
    with InfluxDBServer() as server:
        assert calls == 2
        assert server.port != taken
        server.create_database("only_on_new")
        assert "only_on_new" not in database_names(influxdb_private_server)


@local_only
def test_start_gives_up_after_a_few_taken_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    real_free_ports = influxkit.testing._free_ports
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(**kwargs: Any) -> str:
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        taken = occupant.getsockname()[1]

        def free_ports(*, tcp: int, udp: int = 0) -> tuple[list[int], list[int]]:
            tcp_ports, udp_ports = real_free_ports(tcp=tcp, udp=udp)
            return [taken, *tcp_ports[1:]], udp_ports

        monkeypatch.setattr(influxkit.testing, "_free_ports", free_ports)
        monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
        server = InfluxDBServer()
        with pytest.raises(ServerStartError, match="address already in use"):
            server.start()
    assert server.pid is None
    assert len(made) == 1
    assert not os.path.exists(made[0])


@local_only
def test_start_failure_reports_the_log() -> None:
    server = InfluxDBServer(extra_config={"coordinator": {"query-timeout": "forever"}})
    with pytest.raises(ServerStartError, match=r"exited with status 1(.|\n)*invalid duration"):
        server.start()
    assert server.directory is None
    assert server.pid is None


@local_only
def test_extra_config_sets_http_options(database: str) -> None:
    with InfluxDBServer(extra_config={"max-body-size": 100}) as server:
        server.create_database("db")
        server.write("m v=1", db="db")
        with pytest.raises(InfluxDBServerError, match="HTTP 413"):
            server.write("m v=1 " + "1" * 200, db="db")


def test_missing_influxd_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_URL_ENV, raising=False)  # else InfluxDBServer() is that server
    with pytest.raises(ServerStartError, match="not found"):
        InfluxDBServer(influxd="/nonexistent/influxd").start()

    monkeypatch.delenv(influxkit.testing.INFLUXD_ENV, raising=False)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(ServerStartError, match="apt-get install influxdb"):
        InfluxDBServer().start()


@local_only
def test_an_unstopped_server_warns_but_does_no_io() -> None:
    server = InfluxDBServer()
    server.start()
    try:
        with pytest.warns(ResourceWarning, match="unstopped"):
            server.__del__()
        assert server.is_running()
    finally:
        server.stop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        server.__del__()


# -- INFLUXKIT_TEST_URL -------------------------------------------------------------


def test_server_from_env_reuses_the_external_server(
    influxdb_server: InfluxDBServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_URL_ENV, influxdb_server.url)
    server = server_from_env()
    assert server.external
    assert server.url == influxdb_server.url
    assert server.pid is None
    with server:
        assert server.version == influxdb_server.version
        assert server.is_running()
        assert "_internal" not in database_names(server)
        for operation in (server.restart, server.pause, server.resume):
            with pytest.raises(ExternalServerError, match="not possible with an external server"):
                operation()
    # Stopping an external server leaves it running.
    assert influxdb_server.is_running()
    assert http_request(influxdb_server, "GET", "/ping")[0] == 204

    with pytest.raises(ExternalServerError, match="auth"):
        server_from_env(auth=True)
    with pytest.raises(ExternalServerError, match="udp"):
        server_from_env(udp=True)
    with pytest.raises(ExternalServerError, match="unix_socket"):
        server_from_env(unix_socket=True)
    with pytest.raises(ExternalServerError, match="tls"):
        server_from_env(tls=True)
    with pytest.raises(ExternalServerError, match="extra_config"):
        server_from_env(extra_config={"max-body-size": 10})


def test_the_server_is_the_one_the_variable_names(
    influxdb_server: InfluxDBServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the README promises: InfluxDBServer() itself, not only server_from_env().
    monkeypatch.setenv(TEST_URL_ENV, influxdb_server.url)
    server = InfluxDBServer()
    assert server.external
    assert server.url == influxdb_server.url
    assert repr(server) == f"<InfluxDBServer external {influxdb_server.url}>"
    with server:
        assert server.version == influxdb_server.version
        assert (server.pid, server.directory) == (None, None)  # nothing was started
        with pytest.raises(ExternalServerError, match="not possible with an external server"):
            server.restart()
    assert influxdb_server.is_running()
    # influxd and the timeouts are about starting a server: there is none to start.
    assert InfluxDBServer(influxd="/nonexistent/influxd", startup_timeout=0.1).external
    cases: list[tuple[dict[str, Any], str]] = [
        ({"auth": True}, "auth"),
        ({"udp": True}, "udp"),
        ({"unix_socket": True}, "unix_socket"),
        ({"tls": True}, "tls"),
        ({"extra_config": {"max-body-size": 10}}, "extra_config"),
        ({"auth": True, "tls": True}, "auth, tls"),
    ]
    for options, name in cases:
        with pytest.raises(
            ExternalServerError, match=rf"^{name} needs a private server, but \$INFLUXKIT_TEST_URL"
        ):
            InfluxDBServer(**options)
    # from_url wraps the URL it is given, whatever the variable says.
    other = InfluxDBServer.from_url("https://someone:secret@127.0.0.1:1/influx/")
    assert other.url == "https://127.0.0.1:1/influx"
    assert (other.admin_username, other.admin_password) == ("someone", "secret")


def test_credentials_in_the_variable(
    influxdb_auth_server: InfluxDBServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = influxdb_auth_server
    assert server.admin_username is not None
    assert server.admin_password is not None
    user = urllib.parse.quote(server.admin_username, safe="")
    password = urllib.parse.quote(server.admin_password, safe="")
    monkeypatch.setenv(TEST_URL_ENV, f"http://{user}:{password}@127.0.0.1:{server.port}")
    with InfluxDBServer() as external:
        assert external.external
        assert external.admin_username == server.admin_username
        assert rows(external.query("SHOW USERS")) == [[server.admin_username, True]]


def test_a_variable_that_is_no_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_URL_ENV, "localhost:8086")
    with pytest.raises(ValueError, match=r"^\$INFLUXKIT_TEST_URL: not an http\(s\) URL"):
        InfluxDBServer()
    assert InfluxDBServer.from_url("http://127.0.0.1:8086").port == 8086


def test_server_from_env_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_URL_ENV, raising=False)
    server = server_from_env(auth=True)
    assert not server.external
    assert not server.is_running()
    with pytest.raises(InfluxDBServerError, match="not been started"):
        _ = server.port


def test_external_server_that_does_not_answer() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = InfluxDBServer.from_url(f"http://127.0.0.1:{port}")
    assert not server.is_running()
    with pytest.raises(ServerStartError, match="does not answer"):
        server.start()
    with pytest.raises(ValueError, match="not an http"):
        InfluxDBServer.from_url("udp://127.0.0.1:8089")
