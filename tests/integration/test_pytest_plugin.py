"""Tests of influxkit's pytest plugin, as its users meet it.

Each test writes a user's test files and runs them in a pytest process of their own
(``pytester.runpytest_subprocess``), which loads the plugin through its ``pytest11``
entry point like any user's run. The user's tests note what they saw (servers,
databases) in ``record.txt``, which the test reads once that run is over: what the
plugin started must have been stopped, what it made dropped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from influxkit.testing import INFLUXD_ENV, TEST_URL_ENV, InfluxDBServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="influxd and /proc: POSIX")

local_only = pytest.mark.skipif(
    bool(os.environ.get(TEST_URL_ENV)),
    reason=f"starts influxd, but ${TEST_URL_ENV} is set",
)

INI = """
[pytest]
asyncio_mode = {mode}
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

# Helpers of the user's test files.
HELPERS = """
import os

import pytest


def note(kind, value):
    with open("record.txt", "a") as file:
        file.write(f"{kind} {value}\\n")


def databases(server):
    series = server.query("SHOW DATABASES")["results"][0].get("series", [])
    return [row[0] for row in series[0].get("values", [])] if series else []


def rows(server, query, db):
    series = server.query(query, db=db)["results"][0].get("series", [])
    return series[0]["values"] if series else []


def influxd_children():
    \"\"\"The pids of the influxd processes this process started (Linux).\"\"\"
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                name, rest = stat.read().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if name.endswith("(influxd") and int(rest.split()[1]) == os.getpid():
            found.append(int(entry))
    return found
"""

# Every fixture, on the servers the plugin starts.
PRIVATE = HELPERS + """
from influxkit.testing import InfluxDBServer

seen = []


def test_server(influxdb_server):
    assert isinstance(influxdb_server, InfluxDBServer)
    assert not influxdb_server.external
    assert influxdb_server.pid in influxd_children()
    note("server", f"{influxdb_server.pid} {influxdb_server.directory}")


def test_database(influxdb_server, influxdb_database):
    assert influxdb_database.startswith("test_database_")
    assert influxdb_database in databases(influxdb_server)
    seen.append(influxdb_database)


def test_blocking_client(influxdb_blocking_client, influxdb_database):
    influxdb_blocking_client.write("cpu,host=a load=0.5 1700000000000000000")
    answer = influxdb_blocking_client.query('SELECT "load" FROM "cpu"')
    assert answer["results"][0]["series"][0]["values"] == [[1700000000000000000, 0.5]]
    assert influxdb_blocking_client.db == influxdb_database
    seen.append(influxdb_database)


@pytest.mark.asyncio
async def test_async_client(influxdb_client, influxdb_server, influxdb_database):
    point = {"measurement": "cpu", "fields": {"load": 0.25}, "time": 1700000000000000000}
    await influxdb_client.write(point)
    answer = await influxdb_client.query('SELECT "load" FROM "cpu"')
    assert answer["results"][0]["series"][0]["values"] == [[1700000000000000000, 0.25]]
    assert rows(influxdb_server, 'SELECT count(*) FROM "cpu"', influxdb_database)[0][1] == 1
    seen.append(influxdb_database)


@pytest.mark.parametrize("influxdb_flavour", [None, "2.7", "3.9"], indirect=True)
def test_flavour(influxdb_flavour, influxdb_blocking_client, influxdb_server, influxdb_database):
    through = influxdb_flavour or influxdb_server
    assert (influxdb_blocking_client.host, influxdb_blocking_client.port) == (
        through.host, through.port)
    influxdb_blocking_client.write("m v=1i 1")
    assert rows(influxdb_server, 'SELECT v FROM "m"', influxdb_database) == [
        ["1970-01-01T00:00:00.000000001Z", 1]]
    seen.append(influxdb_database)


def test_server_factory(influxdb_server_factory, influxdb_server):
    server = influxdb_server_factory(auth=True, extra_config={"max-body-size": 1000})
    assert server is not influxdb_server
    assert server.admin_username == "admin"
    assert server.pid in influxd_children()
    note("server", f"{server.pid} {server.directory}")
    private = influxdb_server_factory(private=True)
    private.restart()
    note("server", f"{private.pid} {private.directory}")


def test_flavour_factory(influxdb_flavour_factory, influxdb_server, influxdb_database):
    from influxkit import InfluxDBClient

    flavour = influxdb_flavour_factory("2.7", token="secret", org="acme")
    assert (flavour.token, flavour.org, flavour.target_url) == (
        "secret", "acme", influxdb_server.url)
    flavour.create_database(influxdb_database)
    with InfluxDBClient(host=flavour.host, port=flavour.port, token="secret",
                        db=influxdb_database, mode="blocking") as client:
        client.write("m v=2i 2")
    assert rows(influxdb_server, 'SELECT v FROM "m"', influxdb_database)[0][1] == 2
    seen.append(influxdb_database)


def test_the_databases_were_dropped(influxdb_server):
    assert len(seen) == 7
    assert not set(seen) & set(databases(influxdb_server))
"""

# In a directory of its own: every fixture on a server with authentication.
AUTH_CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def influxdb_server(influxdb_server_factory):
    return influxdb_server_factory(auth=True)
"""

AUTH = HELPERS + """
def test_the_clients_log_in(influxdb_server, influxdb_blocking_client, influxdb_database):
    assert influxdb_server.admin_username is not None
    influxdb_blocking_client.write("m v=3i 3")
    assert influxdb_blocking_client.query('SELECT v FROM "m"')["results"][0]["series"]
    note("server", f"{influxdb_server.pid} {influxdb_server.directory}")
"""

# Every fixture, against the server of --influxdb-url or $INFLUXKIT_TEST_URL.
EXTERNAL = HELPERS + """
def test_server(influxdb_server):
    assert influxdb_server.external
    assert influxdb_server.url == os.environ["EXPECTED_URL"]
    assert (influxdb_server.pid, influxdb_server.directory) == (None, None)


def test_database(influxdb_server, influxdb_database):
    assert influxdb_database in databases(influxdb_server)
    note("database", influxdb_database)


def test_blocking_client(influxdb_blocking_client, influxdb_server, influxdb_database):
    influxdb_blocking_client.write("m v=1i 1")
    assert rows(influxdb_server, 'SELECT v FROM "m"', influxdb_database)[0][1] == 1
    note("database", influxdb_database)


async def test_async_client(influxdb_client, influxdb_server, influxdb_database):
    await influxdb_client.write("m v=2i 2")
    assert rows(influxdb_server, 'SELECT v FROM "m"', influxdb_database)[0][1] == 2
    note("database", influxdb_database)


@pytest.mark.parametrize("influxdb_flavour", ["3.9"], indirect=True)
def test_flavour(influxdb_flavour, influxdb_blocking_client, influxdb_server, influxdb_database):
    assert influxdb_flavour.target_url == influxdb_server.url
    influxdb_blocking_client.write("m v=3i 3")
    assert rows(influxdb_server, 'SELECT v FROM "m"', influxdb_database)[0][1] == 3
    note("database", influxdb_database)


def test_server_factory_gives_the_same_server(influxdb_server_factory, influxdb_server):
    server = influxdb_server_factory()
    assert server.external
    assert server.url == influxdb_server.url


def test_server_factory_skips_auth(influxdb_server_factory):
    influxdb_server_factory(auth=True)


def test_server_factory_skips_private(influxdb_server_factory):
    influxdb_server_factory(private=True)


def test_nothing_was_started():
    assert influxd_children() == []
"""


def write_files(pytester: pytest.Pytester, mode: str = "strict", **files: str) -> None:
    pytester.makefile(".ini", pytest=INI.format(mode=mode))
    pytester.makepyfile(**files)


def recorded(pytester: pytest.Pytester, kind: str) -> list[str]:
    path = pytester.path / "record.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] == kind]


def is_influxd(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"influxd")
    except OSError:
        return False


def database_names(server: InfluxDBServer) -> list[str]:
    series = server.query("SHOW DATABASES")["results"][0].get("series", [])
    return [row[0] for row in series[0].get("values", [])] if series else []


def fake_influxd(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make $INFLUXKIT_INFLUXD an influxd that only notes that it was run; return the
    file it writes then."""
    marker = pytester.path / "influxd-was-run"
    script = pytester.path / "influxd"
    script.write_text(f'#!/bin/sh\necho "$@" >> {marker}\nexit 1\n')
    script.chmod(0o755)
    monkeypatch.setenv(INFLUXD_ENV, str(script))
    return marker


# -- servers of the run's own ---------------------------------------------------------


@local_only
@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_every_fixture_on_servers_the_plugin_starts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.delenv(TEST_URL_ENV, raising=False)
    write_files(pytester, mode, test_user=PRIVATE)
    pytester.mkpydir("authenticated")
    (pytester.path / "authenticated" / "conftest.py").write_text(AUTH_CONFTEST)
    (pytester.path / "authenticated" / "test_auth.py").write_text(AUTH)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")

    result.assert_outcomes(passed=11)
    assert "no influxd is started" not in result.stdout.str()
    servers = [line.split() for line in recorded(pytester, "server")]
    # The session's server, the factory's two, the authenticated directory's.
    assert len(servers) == 4
    assert len({directory for _, directory in servers}) == 4
    for pid, directory in servers:
        assert not Path(directory).exists()
        assert not is_influxd(int(pid))


# -- an existing server ----------------------------------------------------------------


@pytest.mark.parametrize("how", ["option", "variable"])
def test_an_existing_server_and_no_influxd_started(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    influxdb_server: InfluxDBServer,
    how: str,
) -> None:
    if influxdb_server.admin_username is not None:
        pytest.skip("the user's tests count on a server without authentication")
    marker = fake_influxd(pytester, monkeypatch)  # were influxd started, it would say so
    monkeypatch.setenv("EXPECTED_URL", influxdb_server.url)
    write_files(pytester, "auto", test_user=EXTERNAL)
    if how == "option":
        # The option wins over the variable, here naming a server that is not there.
        monkeypatch.setenv(TEST_URL_ENV, "http://127.0.0.1:9")
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-rs", "--influxdb-url", influxdb_server.url
        )
        source = "--influxdb-url"
    else:
        monkeypatch.setenv(TEST_URL_ENV, influxdb_server.url)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
        source = f"${TEST_URL_ENV}"

    result.assert_outcomes(passed=7, skipped=2)
    result.stdout.fnmatch_lines([
        f"influxdb: the server at {influxdb_server.url} (from {source}); no influxd is started",
        f"SKIPPED * auth needs a private server, but {source} names an external one",
        f"SKIPPED * the test needs a private server, but {source} names an external one",
    ])
    assert not marker.exists()
    made = recorded(pytester, "database")
    assert len(made) == 4
    assert all(name.startswith("test_") for name in made)
    assert not set(made) & set(database_names(influxdb_server))
    assert influxdb_server.is_running()


def test_a_url_that_is_no_url(pytester: pytest.Pytester) -> None:
    write_files(pytester, test_user="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--influxdb-url", "host:1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--influxdb-url: not an http(s) URL*'host:1'*"])


def test_an_existing_server_that_does_not_answer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = fake_influxd(pytester, monkeypatch)
    write_files(pytester, test_user="def test_x(influxdb_database):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--influxdb-url", "http://127.0.0.1:9"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ServerStartError: the external InfluxDB server at "
                                 "http://127.0.0.1:9 does not answer /ping*"])
    assert not marker.exists()


# -- the plugin itself ------------------------------------------------------------------


def test_fixtures_and_option_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    assert result.ret == pytest.ExitCode.OK
    # Loaded through the pytest11 entry point, under the distribution's name.
    result.stdout.fnmatch_lines(["plugins: *influxkit-*"])
    for name, scope in [
        ("influxdb_server", "session"),
        ("influxdb_database", None),
        ("influxdb_blocking_client", None),
        ("influxdb_client", None),
        ("influxdb_flavour", None),
        ("influxdb_server_factory", "session"),
        ("influxdb_flavour_factory", "session"),
    ]:
        head = f"{name} [[]{scope} scope] -- " if scope else f"{name} -- "  # [[] is [
        # The fixture, from the plugin, and the first line of its docstring below it.
        result.stdout.fnmatch_lines(
            [f"{head}*influxkit*testing*pytest_plugin.py:*", "    [A-Z]*"], consecutive=True
        )
    help_result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--help")
    help_result.stdout.fnmatch_lines(["InfluxDB servers (influxkit):", "*--influxdb-url=URL*"])


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    write_files(pytester, test_user="def test_x(influxdb_server):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:influxkit")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'influxdb_server' not found*"])


def test_the_async_client_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    # pytest-asyncio off, and not importable: a module of that name that fails to load
    # comes first on sys.path (python -m pytest puts the current directory there).
    pytester.makefile(".ini", pytest="[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_user="def test_x(influxdb_client):\n    pass\n")
    (pytester.path / "pytest_asyncio.py").write_text("raise ImportError('not installed')\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*influxdb_client is an async fixture, which needs pytest-asyncio: "
        "`pip install pytest-asyncio`, or use influxdb_blocking_client*"
    ])
