"""The command line against the real server, driven as a user drives it: through
click's runner, and as ``python -m influxkit`` processes (on a pseudo-terminal for the
progress bar; interrupted with Ctrl-C, or killed, and resumed). What each command
stored is read back from the server.
"""

from __future__ import annotations

import csv
import fcntl
import gzip
import io
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from influxkit import InfluxDBClient
from influxkit.cli import cli
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy

T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
        ) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def url(server: InfluxDBServer, database: str = "") -> str:
    return f"{server.url}/{database}" if database else server.url


def rows(server: InfluxDBServer, database: str, query: str) -> list[dict[str, Any]]:
    """The answer's rows, read with influxkit (MessagePack: every value's type kept)."""
    with InfluxDBClient(host=server.host, port=server.port, db=database,
                        mode="blocking") as client:
        answer = client.query(query)
    found = []
    for series in answer["results"][0].get("series", []):
        found += [dict(zip(series["columns"], values, strict=True))
                  for values in series["values"]]
    return found


def count(server: InfluxDBServer, database: str, measurement: str = "m") -> int:
    found = rows(server, database, f'SELECT count(*) FROM "{measurement}"')
    counts = [value for key, value in found[0].items() if key != "time"] if found else []
    return max(counts, default=0)


def subprocess_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INFLUX")}
    env["PYTHONWARNINGS"] = "error"
    return env


# -- write ------------------------------------------------------------------------------------


def test_line_protocol_gzipped_lands_exactly(influxdb_server: InfluxDBServer, database: str,
                                             tmp_path: Path) -> None:
    path = tmp_path / "points.lp.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"# CONTEXT-DATABASE: ignored, a comment\n"
                   b"m,host=a f=1.0,i=2i,b=true,s=\"two\nlines\" %d\n"
                   b"\n"
                   b"m,host=b\\ c f=-0.5 %d\n" % (T0, T0 + 1))
    result = run("write", str(path), "--url", url(influxdb_server, database))
    assert result.exit_code == 0, result.stderr
    assert "2 point(s) written" in result.stderr
    stored = rows(influxdb_server, database, 'SELECT * FROM "m"')
    assert stored == [
        {"time": T0, "b": True, "f": 1.0, "host": "a", "i": 2, "s": "two\nlines"},
        {"time": T0 + 1, "b": None, "f": -0.5, "host": "b c", "i": None, "s": None},
    ]


def test_csv_json_lines_and_parquet(influxdb_server: InfluxDBServer, database: str,
                                    tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "time,host,usage,count,ok,note\n"
        "2023-11-14T22:13:20Z,a,1.0,1,true,x\n"
        "\n"
        "2023-11-14T22:13:21.5Z,b,,2,false,\"y,z\"\n")
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"time": T0 + 2 * 10**9, "host": "c", "usage": 3.5}) + "\n"
        + json.dumps({"measurement": "m", "tags": {"host": "d"}, "fields": {"usage": 4.0},
                      "time": "2023-11-14T22:13:23Z"}) + "\n")
    pq.write_table(pa.table({"time": pa.array([T0 + 4 * 10**9], pa.timestamp("ns", "UTC")),
                             "host": ["e"], "usage": [5.25]}), tmp_path / "c.parquet")
    for name in ("a.csv", "b.jsonl", "c.parquet"):
        result = run("write", str(tmp_path / name), "-m", "m", "-t", "host",
                     "--url", url(influxdb_server, database))
        assert result.exit_code == 0, result.stderr
    stored = rows(influxdb_server, database, 'SELECT * FROM "m"')
    assert [(row["host"], row["usage"]) for row in stored] == [
        ("a", 1.0), ("b", None), ("c", 3.5), ("d", 4.0), ("e", 5.25)]
    assert stored[1]["time"] == T0 + 1_500_000_000
    assert (stored[0]["count"], stored[0]["ok"], stored[1]["note"]) == (1, True, "y,z")
    kinds = rows(influxdb_server, database, 'SHOW FIELD KEYS FROM "m"')
    assert {row["fieldKey"]: row["fieldType"] for row in kinds} == {
        "count": "integer", "note": "string", "ok": "boolean", "usage": "float"}


def test_a_bad_line_is_reported_with_its_file_and_line(
        influxdb_server: InfluxDBServer, database: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.lp"
    lines = [f"m v={i} {T0 + i}" for i in range(6)]
    lines[3] = "m v=oops"
    path.write_text("\n".join(lines) + "\n")
    result = run("write", str(path), "--url", url(influxdb_server, database))
    assert result.exit_code == 1
    assert f"{path}:4: field 'v' has an invalid value 'oops'" in result.stderr
    assert "stopped at the bad line" in result.stderr
    assert count(influxdb_server, database) == 3  # the lines before it
    result = run("write", str(path), "--skip-bad-lines", "--url",
                 url(influxdb_server, database))
    assert result.exit_code == 3
    assert f"{path}:4:" in result.stderr
    assert count(influxdb_server, database) == 5
    # A column is typed by its first block's values: an integer column meets 2.5 later.
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("time,v\n" + "".join(f"{T0 + i},{i}\n" for i in range(100))
                        + f"{T0 + 100},2.5\nsoon,3\n")
    where = ("--read-bytes", "1024", "--url", url(influxdb_server, database))
    result = run("write", str(csv_path), "-m", "c", *where)
    assert result.exit_code == 1
    assert f"{csv_path}:102: column 'v': '2.5' is not an integer" in result.stderr
    assert "--field-type v=TYPE" in result.stderr
    assert count(influxdb_server, database, "c") == 100
    result = run("write", str(csv_path), "-m", "c2", "--field-type", "v=float", *where)
    assert result.exit_code == 1
    assert f"{csv_path}:103: time 'soon' is not an integer as in the rows" in result.stderr
    assert count(influxdb_server, database, "c2") == 101


def test_what_the_server_refuses_is_reported_with_its_lines(
        influxdb_server: InfluxDBServer, database: str, tmp_path: Path) -> None:
    influxdb_server.write(f"m v=1 {T0}", db=database)
    path = tmp_path / "conflict.lp"
    # A tag named twice is refused here (influxd would not report it next to the field
    # of another type, which it refuses in the same request).
    path.write_text(f"m v=2 {T0 + 1}\nm,a=1,a=2 v=3 {T0 + 2}\nm v=\"text\" {T0 + 3}\n")
    result = run("write", str(path), "--skip-bad-lines", "--url",
                 url(influxdb_server, database))
    assert result.exit_code == 3
    assert f"{path}:2: tag 'a' appears twice" in result.stderr
    assert f"{path}:1-3: 1 point(s) not written" in result.stderr
    assert "field type conflict" in result.stderr
    assert "1 failed, 1 bad line(s) not sent" in result.stderr
    assert count(influxdb_server, database) == 2


def test_a_missing_database(influxdb_server: InfluxDBServer, tmp_path: Path) -> None:
    path = tmp_path / "a.lp"
    path.write_text("m v=1\n")
    result = run("write", str(path), "--url", url(influxdb_server, "no_such_db"))
    assert result.exit_code == 1
    assert "influxkit create-database no_such_db" in result.stderr
    # Said once, by the command: not again by the batching writer's log.
    assert result.stderr.count('database not found: "no_such_db"') == 1, result.stderr


# -- query and export --------------------------------------------------------------------------


@pytest.fixture
def loaded(influxdb_server: InfluxDBServer, database: str) -> str:
    influxdb_server.write("\n".join(
        f"cpu,host={host} usage={i * 1.5 + (host == 'b')},n={i}i,ok={str(i % 2 == 0).lower()}"
        f" {T0 + i * 10**9}" for i in range(5) for host in ("a", "b")), db=database)
    return database


def test_query_in_every_format(influxdb_server: InfluxDBServer, loaded: str,
                               tmp_path: Path) -> None:
    where = url(influxdb_server, loaded)
    query = 'SELECT usage, n, ok FROM cpu WHERE host = $host'
    result = run("query", query, "-p", "host=a", "--url", where, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "name,time,usage,n,ok", "cpu,2023-11-14T22:13:20Z,0.0,0,true",
        "cpu,2023-11-14T22:13:21Z,1.5,1,false"]
    result = run("query", query, "-p", "host=a", "--url", where, "-f", "jsonl", "--epoch", "s")
    first = json.loads(result.stdout.splitlines()[0])
    assert first == {"name": "cpu", "time": T0 // 10**9, "usage": 0.0, "n": 0, "ok": True}
    result = run("query", 'SELECT mean(usage) FROM cpu GROUP BY host', "--url", where,
                 "-f", "json")
    assert json.loads(result.stdout) == [
        {"name": "cpu", "host": "a", "time": "1970-01-01T00:00:00Z", "mean": 3.0},
        {"name": "cpu", "host": "b", "time": "1970-01-01T00:00:00Z", "mean": 4.0}]
    result = run("query", "SELECT * FROM cpu", "--url", where, "-o",
                 str(tmp_path / "all.parquet"))
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.num_rows == 10
    assert table.schema.field("time").type == pa.timestamp("ns", "UTC")
    assert table.column("n").type == pa.int64()
    result = run("query", "SELECT * FROM cpu", "--url", where, "-f", "table")
    assert "usage" in result.stdout
    assert "(10 rows)" in result.stdout
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml")):
        plot = tmp_path / f"usage{suffix}"
        result = run("query", "SELECT usage FROM cpu GROUP BY host", "--url", where,
                     "--plot", str(plot))
        assert result.exit_code == 0, result.stderr
        assert plot.read_bytes().startswith(magic)
    svg = (tmp_path / "usage.svg").read_text()
    assert "cpu,host=a usage" in svg
    assert "cpu,host=b usage" in svg
    result = run("query", "SELECT nope FROM", "--url", where, "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 1
    assert "error parsing query" in result.stderr
    assert not (tmp_path / "x.csv").exists()  # made whole or not at all
    assert not (tmp_path / "x.csv.part").exists()


def test_export_loads_back_as_it_was(influxdb_server: InfluxDBServer, loaded: str,
                                     tmp_path: Path) -> None:
    original = rows(influxdb_server, loaded, "SELECT * FROM cpu")
    for name in ("cpu.parquet", "cpu.lp"):
        target = f"{loaded}_{name.split('.')[1]}"
        influxdb_server.create_database(target)
        try:
            result = run("export", "cpu", "--url", url(influxdb_server, loaded),
                         "--since", "2023-11-14T22:13:20Z", "--until", "2023-11-14T22:13:30Z",
                         "--chunk-size", "3", "-o", str(tmp_path / name))
            assert result.exit_code == 0, result.stderr
            assert "10 rows of 'cpu' exported" in result.stderr
            result = run("write", str(tmp_path / name), "--url",
                         url(influxdb_server, target))
            assert result.exit_code == 0, result.stderr
            assert rows(influxdb_server, target, "SELECT * FROM cpu") == original
            tags = rows(influxdb_server, target, "SHOW TAG KEYS FROM cpu")
            assert tags == [{"tagKey": "host"}]
        finally:
            influxdb_server.drop_database(target)
    result = run("export", "cpu", "--url", url(influxdb_server, loaded), "--since",
                 "2023-11-14T22:13:22Z")
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 1 + 6


# -- administration ----------------------------------------------------------------------------


def test_administration(influxdb_server: InfluxDBServer, database: str) -> None:
    where = url(influxdb_server, database)
    assert run("create-retention-policy", "week", "--duration", "7d", "--url", where
               ).exit_code == 0
    policies = run("retention-policies", "--url", where, "-f", "json")
    assert {"name": "week", "duration": "168h0m0s", "shardGroupDuration": "24h0m0s",
            "replicaN": 1, "default": False} in json.loads(policies.stdout)
    refused = run("drop-retention-policy", "week", "--url", where)
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert run("drop-retention-policy", "week", "--yes", "--url", where).exit_code == 0
    assert "week" not in run("retention-policies", "--url", where).stdout
    secret = "pa55-w0rd!"
    created = run("create-user", "carol", "--password-stdin", "--url", where,
                  input=secret + "\n")
    assert created.exit_code == 0, created.stderr
    granted = run("grant", "read", "carol", "--url", where)
    assert granted.exit_code == 0, granted.stderr
    users = run("users", "--url", where, "-f", "csv")
    assert "carol,false" in users.stdout
    changed = run("set-password", "carol", "--password-stdin", "--url", where,
                  input="n3w-" + secret + "\n")
    dropped = run("drop-user", "carol", "--yes", "--url", where)
    for result in (created, granted, users, changed, dropped):
        assert result.exit_code == 0
        assert secret not in result.stdout + result.stderr
    name = f"{database}_x"
    assert run("create-database", name, "--url", where).exit_code == 0
    assert name in run("databases", "--url", where).stdout
    assert run("drop-database", name, "-y", "--url", where).exit_code == 0
    assert name not in run("databases", "--url", where).stdout


def test_credentials_never_show(influxdb_auth_server: InfluxDBServer,
                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    server = influxdb_auth_server
    user, password = server.admin_username, server.admin_password
    assert user is not None
    assert password is not None
    monkeypatch.setenv("INFLUX_URL", f"http://{user}:{password}@{server.host}:{server.port}/")
    listed = run("-vv", "databases", "-f", "csv")
    assert listed.exit_code == 0, listed.stderr
    assert "influxkit: " in listed.stderr  # -vv logs the requests
    monkeypatch.setenv("INFLUX_URL", f"http://{user}:wrong-{password}@{server.host}:"
                                     f"{server.port}/")
    refused = run("-vv", "databases")
    assert refused.exit_code == 1
    assert "authorization failed" in refused.stderr
    monkeypatch.delenv("INFLUX_URL")
    on_command_line = run("ping", "--url", f"http://{user}:{password}@{server.host}:"
                                           f"{server.port}/")
    assert on_command_line.exit_code == 2
    config = tmp_path / "config.toml"
    config.write_text(f'[admin]\nurl = "http://{user}@{server.host}:{server.port}/"\n'
                      f'password = "{password}"\n')
    config.chmod(0o600)
    profiled = run("databases", "--config", str(config), "--profile", "admin")
    assert profiled.exit_code == 0, profiled.stderr
    for result in (listed, refused, on_command_line, profiled):
        assert password not in result.stdout + result.stderr


# -- as a process: standard input, a terminal, Ctrl-C, a crash ---------------------------------


def influxkit(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "influxkit", *args],
                            env=subprocess_env(), **kwargs)


def test_python_m_influxkit_reads_standard_input(influxdb_server: InfluxDBServer,
                                                 database: str) -> None:
    data = "".join(f"m v={i} {T0 + i}\n" for i in range(1000)).encode()
    done = subprocess.run([sys.executable, "-m", "influxkit", "write", "-", "--url",
                           url(influxdb_server, database)], input=gzip.compress(data),
                          capture_output=True, env=subprocess_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"1,000 point(s) written" in done.stderr
    assert count(influxdb_server, database) == 1000
    refused = subprocess.run([sys.executable, "-m", "influxkit", "ping", "--url",
                              "http://127.0.0.1:9", "--timeout", "2"], capture_output=True,
                             env=subprocess_env(), timeout=60)
    assert refused.returncode == 4


def _read_terminal(fd: int) -> Iterator[bytes]:
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            raise TimeoutError("nothing on the terminal for 60 s")
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the process closed its side
            return
        if not data:
            return
        yield data


def test_the_progress_bar_on_a_terminal(influxdb_server: InfluxDBServer, database: str,
                                        tmp_path: Path) -> None:
    path = tmp_path / "many.lp"
    path.write_text("".join(f"m,k={i % 7} v={i} {T0 + i}\n" for i in range(20_000)))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    process = influxkit("write", str(path), "--url", url(influxdb_server, database),
                        "--batch-size", "1000", "--read-bytes", "65536",
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
                        start_new_session=True)
    os.close(follower)
    try:
        shown = b"".join(_read_terminal(leader)).decode(errors="replace")
    finally:
        os.close(leader)
    assert process.wait(timeout=60) == 0
    assert "points/s" in shown
    assert "retries" in shown
    assert "many.lp" in shown
    assert "20,000 point(s) written" in shown
    assert "\x1b[" in shown  # drawn for a terminal (cursor moves, colours)
    assert count(influxdb_server, database) == 20_000


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, int]:
    points = 60_000
    path = tmp_path / "big.lp"
    path.write_text("".join(f"m,k={i % 13} v={i}i {T0 + i}\n" for i in range(points)))
    return path, points


def _load(proxy: FaultProxy, database: str, path: Path, spill: Path,
          *extra: str) -> subprocess.Popen[bytes]:
    return influxkit("write", str(path), "--url", f"{proxy.url}/{database}",
                     "--spill-dir", str(spill), "--batch-size", "1000", "--concurrency", "2",
                     "--read-bytes", "32768", *extra, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)


def _stored_lines(proxy: FaultProxy) -> int:
    return sum(request.lines or 0 for request in proxy.requests
               if request.path == "/write" and request.upstream_status == 204)


def test_ctrl_c_then_resume_sends_each_line_once(
        influxdb_server: InfluxDBServer, database: str, big_file: tuple[Path, int],
        tmp_path: Path) -> None:
    path, points = big_file
    spill = tmp_path / "spill"
    with FaultProxy(influxdb_server.url) as proxy:
        # The first writes are answered at once, the next ones slowly: the load is
        # still going when it is interrupted.
        proxy.delay(0.2, count=10_000, skip=4, path="/write")
        process = _load(proxy, database, path, spill)
        proxy.wait_for_requests(6, path="/write", timeout=60)  # 4 confirmed, more sent
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert b"--resume" in err
        interrupted = count(influxdb_server, database)
        assert 4_000 <= interrupted < points
        assert interrupted == _stored_lines(proxy)  # what it took was delivered
        assert not list(spill.glob("*.lp"))
        proxy.clear()
        resumed = _load(proxy, database, path, spill, "--resume")
        _out, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
        assert count(influxdb_server, database) == points
        assert _stored_lines(proxy) == points  # no line sent twice, none missing
        again = _load(proxy, database, path, spill, "--resume")
        assert again.communicate(timeout=60)[1].find(b"nothing to do") >= 0


def test_a_killed_load_resumes_from_its_spill_directory(
        influxdb_server: InfluxDBServer, database: str, big_file: tuple[Path, int],
        tmp_path: Path) -> None:
    path, points = big_file
    spill = tmp_path / "spill"
    with FaultProxy(influxdb_server.url) as proxy:
        proxy.delay(3600, count=10_000, skip=3, path="/write")  # never answered
        process = _load(proxy, database, path, spill)
        proxy.wait_for_requests(5, path="/write", timeout=60)
        process.kill()
        process.communicate(timeout=60)
        left = list(spill.glob("*.lp"))
        assert left  # taken by the writer, not acknowledged: kept on disk
        proxy.clear()
        resumed = _load(proxy, database, path, spill, "--resume")
        _out, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
    assert count(influxdb_server, database) == points
    assert not list(spill.glob("*.lp"))
    values = rows(influxdb_server, database, 'SELECT sum(v) FROM "m"')
    assert values[0]["sum"] == points * (points - 1) // 2  # each point once, none missing
