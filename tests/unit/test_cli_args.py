"""The command line's pure parts: the line protocol check, times, connections and
profiles, checkpoints, CSV cells and the command's options (no server)."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import influxkit
from influxkit._core.time import rfc3339 as core_rfc3339
from influxkit.cli import cli
from influxkit.cli._app import parse_time
from influxkit.cli._checkpoint import NAME, Checkpoint, CheckpointError
from influxkit.cli._connect import ConnectionOptions, connect, read_profile
from influxkit.cli._errors import CliError
from influxkit.cli._lineprotocol import LineChecker
from influxkit.cli._output import CsvOutput, rfc3339

# -- the line protocol check ---------------------------------------------------------------

GOOD = [
    b"cpu v=1",
    b"cpu,host=a,region=eu v=1.5,n=2i,s=\"x\",b=true 1700000000000000000",
    b"cpu v=-.5,w=1.,x=1e5,y=1E+5,z=-1.5E-3",
    b'cpu s="with \\"quotes\\" and \\\\ backslash"',
    b"cpu\\ x,t\\ k=v\\,w f\\=g=1",
    b"cpu v=1 -1",
    b"  cpu v=1",  # influxd skips leading blanks
    b"cpu  v=1  123",  # and takes several spaces
    b"cpu v=T,w=F,x=True,y=FALSE",
    b"cpu v=9223372036854775807i,w=-9223372036854775808i",
    b"cpu v=1 9223372036854775806",
    b"cpu v=1e308",
]
BAD = [
    (b"cpu", "no fields"),
    (b"cpu,host=a", "no fields"),
    (b"cpu v=abc", "invalid value 'abc'"),
    (b"cpu v=1 1.5", "invalid time"),
    (b"cpu v=1,", "empty field"),
    (b"cpu,host= v=1", "has no value"),
    (b"cpu,=a v=1", "no key"),
    (b"cpu,a=b=c v=1", "must be escaped"),
    (b"cpu v=9223372036854775808i", "outside int64"),
    (b"cpu v=1e309", "beyond float64"),
    (b"cpu v=1 9223372036854775807", "outside influxd's range"),
    (b"cpu time=1", "'time' cannot be a field key"),
    (b"cpu,time=x v=1", "'time' cannot be a tag key"),
    (b"cpu v=1\r", "carriage return"),
    (b'cpu v="open', "unbalanced quotes"),
    (b"cpu\xff v=1", "not valid UTF-8"),
    (b"cpu v=+1", "invalid value '+1'"),
    (b"cpu v=1u", "invalid value '1u'"),
]


@pytest.mark.parametrize("line", GOOD)
def test_lines_influxd_takes_pass(line: bytes) -> None:
    checked = LineChecker().check(line + b"\n", 1, final=True)
    assert checked.bad == []
    assert checked.points == 1
    assert checked.parts == [(line, 1)]


@pytest.mark.parametrize(("line", "reason"), BAD)
def test_lines_influxd_refuses_are_reported_with_a_reason(line: bytes, reason: str) -> None:
    checked = LineChecker().check(b"ok v=1\n" + line + b"\nok v=2\n", 7, final=True)
    assert [bad.line for bad in checked.bad] == [8]
    assert reason in checked.bad[0].reason
    assert checked.points == 2
    assert checked.line_numbers == [7, 9]


def test_comments_blank_lines_and_strings_with_newlines() -> None:
    block = b'# a comment\n\ncpu s="two\nlines" 1\n   \ncpu v=1 2\n'
    checked = LineChecker().check(block, 1, final=True)
    assert checked.bad == []
    assert checked.points == 2
    assert checked.parts == [(b'cpu s="two\nlines" 1\ncpu v=1 2', 2)]
    assert checked.line_numbers == [3, 6]
    assert checked.lines == 6


def test_a_string_open_at_the_end_of_a_block_waits_for_the_next() -> None:
    checker = LineChecker()
    first = checker.check(b'cpu v=1\ncpu s="open\n', 1, final=False)
    assert first.bad == []
    assert first.points == 1
    assert first.size == len(b"cpu v=1\n")  # the rest is read again with the next block
    whole = checker.check(b'cpu s="open\nclosed" 5\n', 2, final=True)
    assert whole.points == 1
    assert whole.bad == []


def test_stopping_at_the_first_bad_line() -> None:
    block = b"a v=1\nb v=2\nbad\nc v=3\n"
    checked = LineChecker().check(block, 10, final=True, stop_at_bad=True)
    assert checked.points == 2
    assert [bad.line for bad in checked.bad] == [12]
    assert checked.size == len(b"a v=1\nb v=2\n")
    assert checked.lines == 2


def test_parts_are_batches() -> None:
    block = b"".join(b"m v=%d\n" % i for i in range(10))
    checked = LineChecker(part_points=4).check(block, 1, final=True)
    assert [points for _, points in checked.parts] == [4, 4, 2]
    assert b"\n".join(part for part, _ in checked.parts) == block.rstrip(b"\n")


@pytest.mark.parametrize("precision", ["s", "ms", "h"])
def test_times_are_checked_in_the_precision(precision: str) -> None:
    limit = {"s": 9_223_372_036, "ms": 9_223_372_036_854, "h": 2_562_047}[precision]
    checker = LineChecker(precision)
    assert checker.check(b"m v=1 %d" % limit, 1, final=True).bad == []
    assert checker.check(b"m v=1 %d" % (limit + 1), 1, final=True).bad


_names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8)
_values = st.one_of(st.integers(-(2**63), 2**63 - 1), st.booleans(), _names,
                    st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "measurement": _names.filter(lambda name: not name.startswith("#")),
    "tags": st.dictionaries(_names, _names, max_size=3),
    "fields": st.dictionaries(_names, _values, min_size=1, max_size=3),
    "time": st.integers(10**18, 2 * 10**18),
}), min_size=1, max_size=20))
def test_whatever_influxkits_encoder_writes_passes(points: list[dict[str, object]]) -> None:
    # The encoder is the reference for what is good line protocol: every line it writes
    # passes the check, in the fast path or the slow one, and is counted once.
    try:
        encoded = influxkit.serialize(points)
    except influxkit.LineProtocolError:
        return  # a point it refuses (a 'time' key, a name InfluxQL reads as its own...)
    checked = LineChecker().check(encoded + b"\n", 1, final=True)
    assert checked.bad == []
    assert checked.points == len(points)
    assert b"\n".join(part for part, _ in checked.parts) == encoded


# -- times ------------------------------------------------------------------------------------

NOW = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(("text", "expected"), [
    ("now", NOW),
    ("7d", NOW - datetime.timedelta(days=7)),
    ("-12h", NOW - datetime.timedelta(hours=12)),
    ("90s", NOW - datetime.timedelta(seconds=90)),
    ("2024-04-01", datetime.datetime(2024, 4, 1, tzinfo=datetime.timezone.utc)),
    ("2024-04-01T10:00:00Z", datetime.datetime(2024, 4, 1, 10, tzinfo=datetime.timezone.utc)),
    ("2024-04-01T10:00:00+02:00",
     datetime.datetime(2024, 4, 1, 8, tzinfo=datetime.timezone.utc)),
])
def test_since_and_until(text: str, expected: datetime.datetime) -> None:
    assert parse_time(text, NOW) == expected


def test_a_time_that_is_not_one_is_a_usage_error() -> None:
    with pytest.raises(CliError, match="not a time") as caught:
        parse_time("yesterday", NOW)
    assert caught.value.status == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**62), 2**63 - 1), min_size=1, max_size=50))
def test_rfc3339_is_exact(nanoseconds: list[int]) -> None:
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    for text, value in zip(rfc3339(nanoseconds).to_pylist(), nanoseconds, strict=True):
        seconds, fraction = divmod(value, 10**9)
        when = epoch + datetime.timedelta(seconds=seconds)
        digits = f".{fraction:09d}".rstrip("0") if fraction else ""
        assert text == when.strftime("%Y-%m-%dT%H:%M:%S") + digits + "Z"
        assert text == core_rfc3339(value)  # the library's one rule, vectorised


# -- CSV cells ----------------------------------------------------------------------------


def test_csv_keeps_types_and_quotes_what_needs_it() -> None:
    file = io.BytesIO()
    output = CsvOutput(file, epoch=None, with_name=True)
    output.add("m", {"host": "a,b"}, ["time", "f", "i", "s", "b"],
               [[0, 1.0, 1, 'say "hi"', True], [1, None, None, "plain", False]])
    output.add("m", {"host": "c"}, ["time", "v"], [[2, 2.5]])
    assert file.getvalue().decode().splitlines() == [
        "name,host,time,f,i,s,b",
        'm,"a,b",1970-01-01T00:00:00Z,1.0,1,"say ""hi""",true',
        'm,"a,b",1970-01-01T00:00:00.000000001Z,,,plain,false',
        "",
        "name,host,time,v",
        "m,c,1970-01-01T00:00:00.000000002Z,2.5",
    ]


# -- connections ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_influx_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("INFLUX", "XDG_CONFIG")):
            monkeypatch.delenv(name)


def _connect(options: ConnectionOptions, environ: dict[str, str], **kwargs: object
             ) -> influxkit.InfluxDBClient:  # type: ignore[type-arg]
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        client = connect(options, **kwargs)  # type: ignore[arg-type]
    client.close()
    return client


def test_a_password_on_the_command_line_is_refused_unseen() -> None:
    with pytest.raises(CliError) as caught:
        connect(ConnectionOptions(url="http://alice:s3cret@db.example:8086/metrics"))
    assert caught.value.status == 2
    assert "s3cret" not in caught.value.message
    assert "process list" in caught.value.message
    with pytest.raises(CliError, match="token"):
        connect(ConnectionOptions(url="http://db.example:8086/metrics?token=t0k3n"))


def test_url_with_the_password_from_the_environment() -> None:
    client = _connect(ConnectionOptions(url="http://alice@db.example:8086/metrics"),
                      {"INFLUX_PASSWORD": "s3cret"})
    assert (client.url, client.db, client.username) == (
        "http://db.example:8086", "metrics", "alice")
    assert "s3cret" not in repr(client)


def test_the_environment_wins_over_the_default_profile(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[default]\nurl = "http://from-profile:8086/p"\n'
                      '[prod]\nurl = "https://bob@prod.example/metrics"\n'
                      'password_file = "' + str(tmp_path / "secret") + '"\ntimeout = 5\n')
    config.chmod(0o600)
    (tmp_path / "secret").write_text("hunter2\n")
    environ = {"INFLUXKIT_CONFIG": str(config)}
    assert _connect(ConnectionOptions(), environ).url == "http://from-profile:8086"
    environ["INFLUX_URL"] = "http://from-env:8086/e"
    assert _connect(ConnectionOptions(), environ).url == "http://from-env:8086"
    prod = _connect(ConnectionOptions(profile="prod", database="other"), environ)
    assert (prod.url, prod.db, prod.username) == ("https://prod.example:443", "other", "bob")
    assert "hunter2" not in repr(prod)


def test_prompted_credentials(tmp_path: Path) -> None:
    asked = []

    def prompt(what: str) -> str:
        asked.append(what)
        return "typed"

    _connect(ConnectionOptions(url="http://alice@db.example/m", ask_password=True,
                               ask_token=True), {}, prompt=prompt)
    assert asked == ["Password", "Token"]


def test_profiles_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[default]\nurl = "http://h:8086"\npasword = "typo"\n')
    with pytest.raises(CliError, match="unknown key") as caught:
        read_profile(str(config), None, required=True)
    assert "typo" not in caught.value.message  # a value is never shown
    with pytest.raises(CliError, match="no profile 'prod'"):
        read_profile(str(config), "prod", required=True)
    config.write_text('[default]\nurl = "http://h:8086"\npassword = "p"\n')
    config.chmod(0o644)
    warnings: list[str] = []
    read_profile(str(config), None, required=True, warn=warnings.append)
    assert warnings
    assert "chmod 600" in warnings[0]


# -- checkpoints ----------------------------------------------------------------------------


def test_a_checkpoint_resumes_at_its_last_whole_record(tmp_path: Path) -> None:
    load = {"files": ["/data/a.lp"], "database": "db"}
    checkpoint = Checkpoint(str(tmp_path), load, resume=False)
    checkpoint.record(0, 100, 11, "d1")
    checkpoint.record(0, 250, 31, "d2")
    checkpoint.close()
    with open(tmp_path / NAME, "a") as file:
        file.write('{"file": 0, "offset": 9')  # torn by a crash
    with pytest.raises(CheckpointError, match="unfinished load"):
        Checkpoint(str(tmp_path), load, resume=False)
    with pytest.raises(CheckpointError, match="database"):
        Checkpoint(str(tmp_path), {**load, "database": "other"}, resume=True)
    resumed = Checkpoint(str(tmp_path), load, resume=True)
    assert (resumed.position.offset, resumed.position.line, resumed.position.digest) == (
        250, 31, "d2")
    with pytest.raises(CheckpointError, match="another influxkit write"):
        Checkpoint(str(tmp_path), load, resume=True)
    resumed.finish()
    resumed.close()
    finished = Checkpoint(str(tmp_path), load, resume=True)
    finished.close()
    assert finished.position.finished


def test_nothing_to_resume(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="nothing to resume"):
        Checkpoint(str(tmp_path), {}, resume=True)


# -- the command's options ----------------------------------------------------------------


def test_usage_errors_exit_2() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["write", "/no/such/file.lp"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["query"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["drop-database", "x", "--url", "http://127.0.0.1:9/"],
                           input="")
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_options_of_line_protocol_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.lp"
    path.write_text("m v=1\n")
    result = CliRunner().invoke(cli, ["write", str(path), "-m", "x", "--url",
                                      "http://127.0.0.1:9/db"])
    assert result.exit_code == 2
    assert "line protocol names its own" in result.stderr


def test_an_unreachable_server_exits_4() -> None:
    result = CliRunner().invoke(cli, ["ping", "--url", "http://127.0.0.1:9", "--timeout", "2"])
    assert result.exit_code == 4
    assert "cannot reach" in result.stderr


def test_the_command_line_is_not_imported_by_influxkit() -> None:
    code = ("import sys, influxkit\n"
            "print(sorted({'click', 'rich', 'influxkit.cli', 'matplotlib', 'pyarrow'} "
            "& set(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONWARNINGS": ""})
    assert done.stdout.strip() == "[]"


def test_a_missing_library_names_the_extra() -> None:
    code = ("import sys\nsys.modules['click'] = None\n"
            "from influxkit.cli import main\nmain(['--help'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "pip install 'influxkit[cli]'" in done.stderr


def test_a_command_run_in_process_leaves_the_programs_logging_as_it_was() -> None:
    import logging
    import socket

    logger = logging.getLogger("influxkit")
    before = (list(logger.handlers), logger.propagate, logger.level)
    with socket.socket() as probe:  # a port nothing listens on: ping fails at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = CliRunner().invoke(cli, ["-vv", "ping", "--url", f"http://127.0.0.1:{port}"])
    assert done.exit_code == 4, done.output
    assert (list(logger.handlers), logger.propagate, logger.level) == before
    assert logging.getLogger("influxkit.writer").level == logging.NOTSET
