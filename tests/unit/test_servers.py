"""Server awareness without a server: what each InfluxDB says of itself, how a request
is spelt for it, the errors it answers, and the options that name it.

The facts are the servers' own (the docstring of :mod:`influxkit._core.servers`): the
tables below say how each server reads each spelling, so that a test can check that a
time sent lands exactly where it was meant to.
"""

from __future__ import annotations

import pickle
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from influxkit import (
    DatabaseNotFoundError,
    InfluxDBClient,
    InfluxDBClientError,
    InfluxDBQueryError,
    InfluxDBWriteError,
    NotSupportedError,
    PartialWriteError,
)
from influxkit._core.credentials import Credentials
from influxkit._core.servers import UNKNOWN, Server, detect, parse_server
from influxkit._core.urls import environment_options, parse_url
from influxkit._encode.lines import scale_times
from influxkit._errors import http_error, line_details, query_error

UNITS = ("ns", "u", "ms", "s", "m", "h")
NS = {"ns": 1, "u": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def _server(version: str | None) -> Server:
    return UNKNOWN if version is None else parse_server(version)


# -- what a server says of itself ----------------------------------------------------------


@pytest.mark.parametrize(("headers", "body", "expected"), [
    ({"X-Influxdb-Version": "1.6.7~rc0", "X-Influxdb-Build": "OSS"}, None,
     Server(1, "1.6.7~rc0", "OSS")),
    ({"X-Influxdb-Version": "v2.7.11", "X-Influxdb-Build": "OSS"}, None,
     Server(2, "v2.7.11", "OSS")),
    # 3.1 and later: headers on /ping, and a JSON body.
    ({"X-Influxdb-Version": "3.6.0", "X-Influxdb-Build": "Core"},
     {"version": "3.6.0", "revision": "abc", "process_id": "p"}, Server(3, "3.6.0", "Core")),
    # 3.0: no headers, only the body.
    ({}, {"version": "3.0.3", "revision": "abc"}, Server(3, "3.0.3", "Core")),
    ({}, {"version": "3.9.1", "revision": "abc", "product_name": "InfluxDB 3 Core"},
     Server(3, "3.9.1", "Core")),
    ({}, {"version": "3.9.1", "revision": "abc", "product_name": "InfluxDB 3 Enterprise"},
     Server(3, "3.9.1", "Enterprise")),
    # 1.7+'s verbose ping: a version and no revision.
    ({}, {"version": "1.8.10"}, Server(1, "1.8.10", "")),
    ({"x-influxdb-version": "v2.7.11", "X-INFLUXDB-BUILD": "OSS"}, None,
     Server(2, "v2.7.11", "OSS")),
    (CIMultiDictProxy(CIMultiDict({"x-influxdb-version": "1.8.10"})), None, Server(1, "1.8.10")),
    ({}, None, UNKNOWN), (None, None, UNKNOWN), ({"Content-Type": "application/json"}, [], UNKNOWN),
    ({"X-Influxdb-Version": " ", "X-Influxdb-Build": "OSS"}, {"version": ""}, UNKNOWN),
])
def test_detect(headers: Any, body: Any, expected: Server) -> None:
    server = detect(headers, body)
    assert server == expected  # major, version and build
    assert server.given is False


@pytest.mark.parametrize(("text", "major", "version", "release"), [
    ("1", 1, "", (1,)), ("2.x", 2, "", (2,)), ("3.x", 3, "", (3,)), (" 3.6 ", 3, "3.6", (3, 6)),
    ("2.7.11", 2, "2.7.11", (2, 7, 11)), ("v3.9.1", 3, "v3.9.1", (3, 9, 1)),
    ("1.6.7~rc0", 1, "1.6.7~rc0", (1, 6, 7)),
])
def test_parse_server(text: str, major: int, version: str, release: tuple[int, ...]) -> None:
    server = parse_server(text)
    assert (server.major, server.version, server.build) == (major, version, "")
    assert server.release == release
    assert server.given is True
    assert parse_server(server) is server


@pytest.mark.parametrize("text", ["4", "10", "30", "latest", "", "v", "3.", "2.x.x", "3.1.2.4"])
def test_parse_server_refuses_what_is_no_version(text: str) -> None:
    with pytest.raises(ValueError, match=rf"^server {text!r} is not a version of InfluxDB"):
        parse_server(text)


@pytest.mark.parametrize("value", [3, 2.7, None])
def test_parse_server_refuses_a_number(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^server must be a version such as '2.7' or '3'"):
        parse_server(value)


@pytest.mark.parametrize(("server", "name", "release"), [
    (Server(2, "v2.7.11", "OSS"), "InfluxDB 2.7.11 (OSS)", (2, 7, 11)),
    (Server(1, "1.6.7~rc0", "OSS"), "InfluxDB 1.6.7~rc0 (OSS)", (1, 6, 7)),
    (Server(3, "v3.0.3-nightly", "Core"), "InfluxDB 3.0.3-nightly (Core)", (3, 0, 3)),
    (Server(3, "unknown", "Enterprise"), "InfluxDB unknown (Enterprise)", (3,)),
    (parse_server("3"), "InfluxDB 3.x", (3,)),
    (UNKNOWN, "an unknown InfluxDB", ()),
])
def test_name_and_release(server: Server, name: str, release: tuple[int, ...]) -> None:
    assert server.name == name
    assert str(server) == name
    assert server.release == release


@pytest.mark.parametrize(("version", "release", "expected"), [
    ("3.6.9", (3, 7), False), ("3.7", (3, 7), True), ("1.7.11", (1, 8), False),
    ("1.8", (1, 8), True), ("2.0.0", (1, 8), True), (None, (1,), False),
    ("3.10.1", (3, 7), True),  # numbers, not text: "3.10" < "3.7"
    ("3", (3, 7), False),  # an unknown minor counts as the oldest
])
def test_at_least(version: str | None, release: tuple[int, ...], expected: bool) -> None:
    assert _server(version).at_least(*release) is expected


# -- writes --------------------------------------------------------------------------------

SHORT = [("ns", 1), ("us", 1), ("ms", 1), ("s", 1), ("s", 60), ("s", 3600)]
LONG = [("nanosecond", 1), ("microsecond", 1), ("millisecond", 1), ("second", 1),
        ("second", 60), ("second", 3600)]


@pytest.mark.parametrize(("version", "endpoint", "expected"), [
    ("1.8", "v1", [("ns", 1), ("u", 1), ("ms", 1), ("s", 1), ("m", 1), ("h", 1)]),
    ("1.8", "v2", SHORT), ("1.8", "v3", LONG),
    ("2.7", "v1", SHORT), ("2.7", "v2", SHORT), ("2.7", "v3", LONG),
    ("3.6", "v1", SHORT), ("3.6", "v2", SHORT), ("3.6", "v3", LONG),
    (None, "v1", [("ns", 1), ("ns", 1000), ("ms", 1), ("s", 1), ("s", 60), ("s", 3600)]),
    (None, "v2", SHORT), (None, "v3", LONG),
])
def test_write_precision(version: str | None, endpoint: Any, expected: list[Any]) -> None:
    assert [_server(version).write_precision(unit, endpoint) for unit in UNITS] == expected


def test_the_spellings_that_servers_misread_are_never_sent() -> None:
    for server in (parse_server("2.0.0"), parse_server("2.7.11"), UNKNOWN):
        # 2.x's /write reads u, m and h (and n) as nanoseconds, without an error.
        spellings = {server.write_precision(unit, "v1")[0] for unit in UNITS}
        assert spellings <= {"ns", "us", "ms", "s"}
        assert not spellings & {"u", "m", "h", "n"}
    for endpoint in ("v1", "v2", "v3"):
        spellings = {parse_server("3.9.1").write_precision(unit, endpoint)[0] for unit in UNITS}
        assert not spellings & {"m", "h", "minute", "hour"}
    assert UNKNOWN.write_precision("u", "v1") == ("ns", 1000)
    assert UNKNOWN.write_precision("u") == ("ns", 1000)


def _read(known: dict[str, int], otherwise: int | None = None) -> Any:
    return lambda spelling: known.get(spelling, otherwise)


# How each server reads a write's precision: nanoseconds per unit, None when refused.
WRITE_READINGS = {
    # Anything unknown is read as ns.
    (1, "v1"): _read({"n": 1, "ns": 1, "u": 10**3, "ms": 10**6, "s": 10**9, "m": NS["m"],
                      "h": NS["h"]}, 1),
    # GetPrecisionMultiplier: us ms s, anything else (u, m, h...) ns.
    (2, "v1"): _read({"us": 10**3, "ms": 10**6, "s": 10**9}, 1),
    # iox_http params.rs: m and h refused.
    (3, "v1"): _read({"s": 10**9, "second": 10**9, "ms": 10**6, "millisecond": 10**6,
                      "us": 10**3, "u": 10**3, "microsecond": 10**3, "ns": 1, "n": 1,
                      "nanosecond": 1}),
    # /api/v2/write: 2.x's ValidPrecision (1.8's and 3.x's taken to be the same).
    **{(major, "v2"): _read({"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9})
       for major in (1, 2, 3)},
    # /api/v3/write_lp of 3.0–3.5: long names only (3.6 added the short ones).
    (3, "v3"): _read({"second": 10**9, "millisecond": 10**6, "microsecond": 10**3,
                      "nanosecond": 1}),
}
ENDPOINTS = {1: ("v1", "v2"), 2: ("v1", "v2"), 3: ("v1", "v2", "v3"), None: ("v1", "v2", "v3")}

SERVERS = st.one_of(
    st.just(UNKNOWN),
    st.builds(lambda major, minor, patch: Server(major, f"{major}.{minor}.{patch}"),
              st.sampled_from([1, 2, 3]), st.integers(0, 12), st.integers(0, 20)),
    st.sampled_from(["1", "2.x", "3", "v2.7.11", "1.6.7~rc0", "3.9"]).map(parse_server),
)


@given(SERVERS, st.sampled_from(UNITS), st.data())
def test_every_time_lands_where_it_was_meant(server: Server, unit: str, data: Any) -> None:
    endpoint = data.draw(st.sampled_from(ENDPOINTS[server.major]))
    spelling, factor = server.write_precision(unit, endpoint)
    # An unknown server may be any of them: each must read it right.
    majors = [server.major] if server.major else [1, 2, 3]
    readings = [WRITE_READINGS[major, endpoint](spelling) for major in majors
                if (major, endpoint) in WRITE_READINGS]
    assert readings
    assert [reading * factor if reading else None for reading in readings] == (
        [NS[unit]] * len(readings))


# 1.x and 2.x: u ms s m h, anything else (ns, n, us...) ns; 3.x: these, and no other.
_EPOCHS_1 = _read({"u": 10**3, "ms": 10**6, "s": 10**9, "m": NS["m"], "h": NS["h"]}, 1)
EPOCH_READINGS = {1: _EPOCHS_1, 2: _EPOCHS_1, 3: _read(
    {"ns": 1, "u": 10**3, "µ": 10**3, "ms": 10**6, "s": 10**9, "m": NS["m"], "h": NS["h"]})}


@given(SERVERS, st.sampled_from(UNITS))
def test_every_epoch_is_read_as_meant(server: Server, unit: str) -> None:
    epoch = server.epoch(unit)
    assert epoch == unit
    assert epoch not in ("n", "us")
    majors = [server.major] if server.major else [1, 2, 3]
    assert [EPOCH_READINGS[major](epoch) for major in majors] == [NS[unit]] * len(majors)


@pytest.mark.parametrize(("version", "expected"), [
    # messagepack, several_statements, bind_parameters, answers_every_statement,
    # influxql_administration, health_endpoint
    ("1.6", (True, True, True, True, True, False)),
    ("1.8", (True, True, True, True, True, True)),
    ("2.7", (True, True, True, True, False, True)),
    *((version, (False, False, False, False, False, True)) for version in ("3.0", "3.6.9", "3")),
    *((version, (False, True, True, False, False, True)) for version in ("3.7", "3.10.1")),
    # An unknown server is sent statements one by one, which every server takes.
    (None, (False, False, True, True, True, False)),
])
def test_what_each_server_does(version: str | None, expected: tuple[bool, ...]) -> None:
    server = _server(version)
    assert (server.messagepack, server.several_statements, server.bind_parameters,
            server.answers_every_statement, server.influxql_administration,
            server.health_endpoint) == expected


@pytest.mark.parametrize(("version", "expected"), [
    # (org, rp): (None, None), (None, "rp"), ("o", None), ("o", "rp")
    ("1.8", ["v1", "v1", "v1", "v1"]), ("2.7", ["v1", "v1", "v2", "v2"]),
    ("3.6", ["v3", "v1", "v3", "v1"]), (None, ["v1", "v1", "v1", "v1"]),
])
def test_write_endpoint(version: str | None, expected: list[str]) -> None:
    server = _server(version)
    assert [server.write_endpoint(org=org, rp=rp)
            for org in (None, "o") for rp in (None, "rp")] == expected
    assert server.write_endpoint(org="", rp="") == expected[0]


# -- scaling times -------------------------------------------------------------------------


# Lines without a time, whatever their strings, tags and names hold.
UNTIMED = [b"", b"m f=1", b'm f="a 12"', b'm f=" 12"', b'm f="a\\" 12"', b'm f="\n 12"',
           b"m,t=a\\ 12 f=1", b"m\\ 12 f=1"]


@pytest.mark.parametrize(("block", "factor", "expected"), [
    *((block, 60, block) for block in UNTIMED),
    (b"m f=1 5", 60, b"m f=1 300"), (b"m f=1 5", 1, b"m f=1 5"),
    (b"m f=1i,g=t 1700000000", 1000, b"m f=1i,g=t 1700000000000"),
    (b"m f=1 -5", 3600, b"m f=1 -18000"),
    (b'm f="a 12" 3', 60, b'm f="a 12" 180'),
    (b'm f="a\\\\" 12', 60, b'm f="a\\\\" 720'),
    (b'm f="x\n9 8" 7\nm g=1 2', 60, b'm f="x\n9 8" 420\nm g=1 120'),
    (b"m,t=a\\ 12 f=1 2", 60, b"m,t=a\\ 12 f=1 120"),
    (b'm,t=a"b f=1 5\nm f=2 6', 60, b'm,t=a"b f=1 300\nm f=2 360'),
    (b"m f=1 1\n\nm f=2 2\n", 60, b"m f=1 60\n\nm f=2 120\n"),
])
def test_scale_times(block: bytes, factor: int, expected: bytes) -> None:
    assert scale_times(block, factor) == expected


def test_scale_times_takes_a_view() -> None:
    buffer = b'xxm f=1 5\nm f="a\n b" 6yy'
    scaled = scale_times(memoryview(buffer)[2:-2], 3600)
    assert type(scaled) is bytes
    assert scaled == b'm f=1 18000\nm f="a\n b" 21600'


def _escape(text: str, specials: str) -> str:
    for special in specials:
        text = text.replace(special, "\\" + special)
    return text


_LINE = st.tuples(
    st.text("ab1 9,-", min_size=1, max_size=6).map(lambda m: _escape(m, ", ")),
    st.lists(st.text('ab1 9,="-', min_size=1, max_size=6).map(lambda v: _escape(v, ', ="')),
             max_size=2),
    st.lists(st.one_of(
        st.integers(-10**6, 10**6).map(lambda n: f"{n}i"),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.booleans().map(lambda b: "t" if b else "F"),
        st.text('ab1 9,="\\\n-', max_size=8).map(lambda s: '"' + _escape(s, '\\"') + '"'),
    ), min_size=1, max_size=3),
    st.none() | st.integers(-2**40, 2**40),
)


@given(st.lists(_LINE, max_size=6), st.sampled_from([1, 60, 1000, 3600]))
def test_scale_times_changes_the_times_and_nothing_else(lines: list[Any], factor: int) -> None:
    def text(line: tuple[str, list[str], list[str], int | None], scale: int) -> str:
        measurement, tags, fields, time = line
        head = measurement + "".join(f",t{i}={tag}" for i, tag in enumerate(tags))
        shown = head + " " + ",".join(f"f{i}={field}" for i, field in enumerate(fields))
        return shown if time is None else f"{shown} {time * scale}"

    block = "\n".join(text(line, 1) for line in lines).encode()
    expected = "\n".join(text(line, factor) for line in lines).encode()
    assert scale_times(block, factor) == expected


# -- errors --------------------------------------------------------------------------------


def test_2x_missing_mapping_on_write() -> None:
    error = http_error(404, "no dbrp mapping found", write=True, url="http://h:8086/write")
    assert isinstance(error, InfluxDBWriteError)
    assert isinstance(error, InfluxDBClientError)
    assert isinstance(error, DatabaseNotFoundError)
    assert error.status == 404
    assert error.database is None  # 2.x does not name it


def test_3x_missing_database_on_query() -> None:
    # 3.0–3.6: the answer's status.
    error = http_error(404, "query error: database not found: db1", url="http://h:8181/query")
    assert isinstance(error, DatabaseNotFoundError)
    assert not isinstance(error, InfluxDBWriteError)
    assert error.database == "db1"
    # 3.7 and later: a statement's error.
    failed = query_error("Cannot retrieve database: External error: database not found: db1",
                         statement_id=0)
    assert isinstance(failed, DatabaseNotFoundError)
    assert isinstance(failed, InfluxDBQueryError)
    assert (failed.database, failed.statement_id) == ("db1", 0)


def test_2x_partial_write() -> None:
    message = ('failure writing points to database: partial write: field type conflict: input '
               'field "f" on measurement "m" is type integer, already exists as type float '
               "dropped=3")
    error = http_error(422, message, write=True)
    assert isinstance(error, PartialWriteError)
    assert not isinstance(error, DatabaseNotFoundError)
    assert (error.status, error.dropped, error.unparsed) == (422, 3, [])


DETAILS = [
    {"error_message": "invalid column type for column 'f'", "line_number": 2,
     "original_line": 'm f="x" 1'},
    {"error_message": "No fields were provided", "line_number": 3,
     "original_line": 'm,t=a "q"\n2'},
]


def test_3x_line_details() -> None:
    assert line_details("partial write of line protocol occurred", DETAILS) == (
        "partial write of line protocol occurred\n"
        "line 2 \"m f=\\\"x\\\" 1\": invalid column type for column 'f'\n"
        'line 3 "m,t=a \\"q\\"\\n2": No fields were provided')
    assert line_details("line protocol parsing error", DETAILS[0]) == (
        "line protocol parsing error\n"
        "line 2 \"m f=\\\"x\\\" 1\": invalid column type for column 'f'")
    assert line_details("e", None) == line_details("e", []) == "e"


@pytest.mark.parametrize("data", [DETAILS, DETAILS[0]])
def test_3x_partial_write_names_each_line(data: Any) -> None:
    items = data if isinstance(data, list) else [data]
    message = line_details("partial write of line protocol occurred", data)
    error = http_error(400, message, write=True)
    assert isinstance(error, PartialWriteError)
    assert isinstance(error, InfluxDBClientError)
    expected = [(item["original_line"], item["error_message"]) for item in items]
    assert (error.unparsed, error.dropped) == (expected, len(items))
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert (again.unparsed, again.dropped, again.status) == (expected, len(items), 400)


def test_3x_v1_write_refusal_stores_nothing() -> None:
    # 3.x's /write refuses the whole batch: no point was stored, so not a partial write.
    error = http_error(400, line_details("parsing failed for write_lp endpoint", DETAILS[0]),
                       write=True)
    assert isinstance(error, InfluxDBWriteError)
    assert not isinstance(error, PartialWriteError)
    built = PartialWriteError(400, str(error.message))
    assert (built.unparsed, built.dropped) == (
        [('m f="x" 1', "invalid column type for column 'f'")], 1)


def test_not_supported() -> None:
    error = NotSupportedError("no continuous queries", server="InfluxDB 3.6.0 (Core)")
    assert isinstance(error, InfluxDBClientError)
    assert isinstance(error, NotImplementedError)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is NotSupportedError
    assert (again.server, again.message, str(again)) == (
        "InfluxDB 3.6.0 (Core)", "no continuous queries", "no continuous queries")


# -- credentials and options ---------------------------------------------------------------


def test_auth_scheme() -> None:
    assert Credentials(token="t0ken", scheme="Bearer").authorization == "Bearer t0ken"
    assert Credentials(token="t0ken").authorization == "Token t0ken"
    for scheme in ("bearer", "Basic", "", "Token "):
        with pytest.raises(ValueError, match=r"is not one of 'Token', 'Bearer'$"):
            Credentials(token="t0ken", scheme=scheme)


@pytest.mark.parametrize(("environ", "expected"), [
    ({"INFLUX_HOST": "https://h.example:8443"}, {"host": "h.example", "port": 8443, "ssl": True}),
    ({"INFLUX_HOST": "localhost:8181"}, {"host": "localhost", "port": 8181}),
    ({"INFLUX_HOST": "[::1]:8181"}, {"host": "::1", "port": 8181}),
    ({"INFLUX_URL": "http://a:1", "INFLUX_HOST": "b:2", "INFLUXDB_V2_URL": "http://c:3"},
     {"host": "a", "port": 1}),
    ({"INFLUX_HOST": "b:2", "INFLUXDB_V2_URL": "http://c:3"}, {"host": "b", "port": 2}),
    ({"INFLUX_URL": "", "INFLUX_HOST": "", "INFLUXDB_V2_URL": "http://c:3"},
     {"host": "c", "port": 3}),
    ({"INFLUXDB_V2_URL": "http://c:3", "INFLUXDB_V2_TOKEN": "s3cr3t", "INFLUXDB_V2_ORG": "o"},
     {"host": "c", "port": 3, "token": "s3cr3t", "org": "o"}),
    ({"INFLUXDB_V2_TOKEN": "old", "INFLUX_TOKEN": "new", "INFLUXDB_V2_ORG": "old",
      "INFLUX_ORG": "new"}, {"token": "new", "org": "new"}),
    ({"INFLUXDB_V2_TIMEOUT": "2500", "INFLUXDB_V2_VERIFY_SSL": "false"},
     {"timeout": 2.5, "verify_ssl": False}),
    ({"INFLUX_SERVER": "3.6", "INFLUX_AUTH_SCHEME": "Bearer"},
     {"server": "3.6", "auth_scheme": "Bearer"}),
])
def test_environment_options(environ: dict[str, str], expected: dict[str, Any]) -> None:
    assert environment_options(environ) == expected


SECRET = "s3cr3tT0k"


@pytest.mark.parametrize(("environ", "message"), [
    ({"INFLUXDB_V2_TIMEOUT": "abc"}, r"^\$INFLUXDB_V2_TIMEOUT: .*'abc'"),
    ({"INFLUXDB_V2_TIMEOUT": "0"}, r"^\$INFLUXDB_V2_TIMEOUT: .*'0'"),
    ({"INFLUXDB_V2_VERIFY_SSL": "nope"}, r"^\$INFLUXDB_V2_VERIFY_SSL: .*'nope': use true or false"),
    ({"INFLUX_HOST": "h:notaport"}, r"^\$INFLUX_HOST: URL 'http://h:notaport' has an invalid port"),
    ({"INFLUX_URL": f"http://h/?token={SECRET}&timeout=x"},
     r"^\$INFLUX_URL: the URL option 'timeout' is 'x'"),
    ({"INFLUX_URL": f"http://h/?token=%ff{SECRET}"}, r"^\$INFLUX_URL: the token in URL"),
    ({"INFLUXDB_V2_URL": f"http://h?token={SECRET}&bogus=1"},
     r"^\$INFLUXDB_V2_URL: unknown URL option 'bogus'"),
])
def test_a_bad_variable_is_named_and_no_token_shown(environ: dict[str, str],
                                                    message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        environment_options({"INFLUX_TOKEN": SECRET, "INFLUXDB_V2_TOKEN": SECRET, **environ})
    assert SECRET not in str(caught.value)


def test_a_bad_timeout_variable_asks_for_milliseconds() -> None:
    with pytest.raises(ValueError, match="milliseconds"):
        environment_options({"INFLUXDB_V2_TIMEOUT": "abc"})


def test_parse_url_options() -> None:
    assert parse_url("http://h:8086/db?org=o&server=2.7&auth_scheme=Bearer&token=t") == {
        "host": "h", "port": 8086, "db": "db", "org": "o", "server": "2.7",
        "auth_scheme": "Bearer", "token": "t"}


# -- the client ----------------------------------------------------------------------------


def test_a_client_is_told_its_server_and_connects_to_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_session(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("constructing a client made a session")

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", no_session)
    client = InfluxDBClient(server="2.7", org="o", token="t", auth_scheme="Bearer", bucket="b")
    server = client.server
    assert server is not None
    assert (server.major, server.version, server.release, server.given) == (2, "2.7", (2, 7),
                                                                           True)
    assert (client.db, client.org) == ("b", "o")
    assert client._transport.credentials.authorization == "Bearer t"
    assert client._transport.open is False
    assert InfluxDBClient(server="3", db="a", bucket="b").db == "a"
    assert InfluxDBClient().server is None


@pytest.mark.parametrize(("server", "error"), [("9", ValueError), ("latest", ValueError),
                                               (9, TypeError)])
def test_a_client_refuses_a_server_that_is_none(server: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="server"):
        InfluxDBClient(server=server)


def test_2x_missing_bucket_on_api_v2_write() -> None:
    # tenant.ErrBucketNotFoundByName: fmt.Sprintf("bucket %q not found", name), 404.
    error = http_error(404, 'bucket "my \\"b\\"/rp" not found', write=True,
                       url="http://h:8086/api/v2/write?bucket=x&org=o")
    assert isinstance(error, DatabaseNotFoundError)
    assert isinstance(error, InfluxDBWriteError)
    assert error.database == 'my "b"/rp'
    assert isinstance(http_error(404, "bucket not found", write=True), DatabaseNotFoundError)
    # Only the server's whole message: a message that merely mentions one is not it.
    other = http_error(404, 'bucket "b" not found in org "o"; org not found', write=True)
    assert not isinstance(other, DatabaseNotFoundError)
