"""Clients from a URL or the environment: reading URLs, precedence, and credentials kept
out of messages. No server: the integration tests connect for real."""

from __future__ import annotations

import urllib.parse
from typing import Any

import aiohttp
import pytest

from influxkit import InfluxDBClient, InfluxDBConnectionError, InfluxDBTimeoutError
from influxkit._core.urls import environment_options, parse_url
from influxkit._core.urls import safe_url as _safe_url
from influxkit._transport import mapped_errors

PASSWORD = "p@ss:w/rd%42#?ü"
ENCODED = urllib.parse.quote(PASSWORD, safe="")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8086", {"host": "localhost", "port": 8086}),
        ("http://influx.example.com", {"host": "influx.example.com", "port": 80}),
        ("https://influx.example.com/", {"host": "influx.example.com", "port": 443,
                                         "ssl": True}),
        ("HTTP://Host:1/", {"host": "host", "port": 1}),
        ("influxdb://h", {"host": "h", "port": 8086}),
        ("influxdb://h:9999/db", {"host": "h", "port": 9999, "db": "db"}),
        ("https+influxdb://h/db", {"host": "h", "port": 8086, "ssl": True, "db": "db"}),
        ("udp+influxdb://h:4445/db", {"host": "h", "use_udp": True, "udp_port": 4445,
                                      "db": "db"}),
        ("udp+influxdb://h", {"host": "h", "use_udp": True}),
        ("http://[::1]:8086/db", {"host": "::1", "port": 8086, "db": "db"}),
        ("http://127.0.0.1:8086/mydb", {"host": "127.0.0.1", "port": 8086, "db": "mydb"}),
        # The last segment is the database, what comes before it the prefix.
        ("http://h:1/influx/mydb", {"host": "h", "port": 1, "path": "/influx", "db": "mydb"}),
        ("http://h:1/a/b/mydb", {"host": "h", "port": 1, "path": "/a/b", "db": "mydb"}),
        ("http://h:1/influx/", {"host": "h", "port": 1, "path": "/influx"}),
        ("http://h:1/", {"host": "h", "port": 1}),
        # With the db option, the whole path is the prefix.
        ("http://h:1/influx?db=mydb", {"host": "h", "port": 1, "path": "/influx", "db": "mydb"}),
        ("http://h:1/?db=mydb", {"host": "h", "port": 1, "db": "mydb"}),
        ("http://h:1/my%20db%2Fx", {"host": "h", "port": 1, "db": "my db/x"}),
        ("http://h:1/d%C3%A9j%C3%A0", {"host": "h", "port": 1, "db": "déjà"}),
        ("http://h:1/déjà", {"host": "h", "port": 1, "db": "déjà"}),
        ("http://alice:secret@h:1/db", {"host": "h", "port": 1, "db": "db",
                                        "username": "alice", "password": "secret"}),
        ("http://alice@h:1", {"host": "h", "port": 1, "username": "alice", "password": ""}),
        ("http://alice:@h:1", {"host": "h", "port": 1, "username": "alice", "password": ""}),
        (f"http://j%C3%BCrgen%40ops:{ENCODED}@h:1/db",
         {"host": "h", "port": 1, "db": "db", "username": "jürgen@ops", "password": PASSWORD}),
        # An unencoded @ in a password: the last @ ends the credentials.
        ("http://alice:a@b@h:1", {"host": "h", "port": 1, "username": "alice",
                                  "password": "a@b"}),
        ("http://alice:a+b@h:1", {"host": "h", "port": 1, "username": "alice",
                                  "password": "a+b"}),
        ("unix:///var/run/influxdb.sock", {"unix_socket": "/var/run/influxdb.sock"}),
        ("unix:///var/run/influxdb.sock?db=mydb",
         {"unix_socket": "/var/run/influxdb.sock", "db": "mydb"}),
        ("unix:///tmp/my%20dir/influxdb.sock", {"unix_socket": "/tmp/my dir/influxdb.sock"}),
        ("unix://alice:secret@/tmp/influxdb.sock",
         {"unix_socket": "/tmp/influxdb.sock", "username": "alice", "password": "secret"}),
        ("  http://h:1/db  ", {"host": "h", "port": 1, "db": "db"}),
    ],
)
def test_urls(url: str, expected: dict[str, Any]) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("timeout=2.5", {"timeout": 2.5}),
        ("timeout=10", {"timeout": 10.0}),
        ("verify_ssl=false", {"verify_ssl": False}),
        ("verify_ssl=TRUE", {"verify_ssl": True}),
        ("gzip=1", {"gzip": True}),
        ("gzip=off", {"gzip": False}),
        ("mode=blocking&output=json", {"mode": "blocking", "output": "json"}),
        ("token=abc%3D%3D", {"token": "abc=="}),
        ("token=ab+c/d==", {"token": "ab+c/d=="}),  # + is a plus sign; = may stay unencoded
        ("db=my%20db", {"db": "my db"}),
        ("db=x&", {"db": "x"}),
    ],
)
def test_options(query: str, expected: dict[str, Any]) -> None:
    options = parse_url(f"influxdb://h?{query}")
    assert {key: options[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:8086", "has no scheme: start it with one of http://"),
        ("ftp://h/db", "unsupported scheme 'ftp'"),
        ("http:///db", "has no host"),
        ("http://h:abc/db", "invalid port"),
        ("http://h:99999/db", "invalid port"),
        ("http://h:0/db", "port 0"),
        ("http://h/db#x", "has a '#'"),
        ("http://h/db#", "has a '#'"),
        ("http://[::1/db", "cannot be read"),
        ("http://h/db?precision=s", r"unknown URL option 'precision'.*argument of write\(\)"),
        ("http://h/db?ssl_verify=0&x=1", "unknown URL options 'ssl_verify', 'x'.*verify_ssl"),
        ("http://h/db?u=a&p=b", "unknown URL options 'p', 'u'.*credentials go before the host"),
        ("http://h/db?rp=autogen", "unknown URL option 'rp'"),
        ("http://h/db?timeout=soon", "'timeout' is 'soon'"),
        ("http://h/db?timeout=0", "'timeout' is '0'"),
        ("http://h/db?timeout=nan", "'timeout' is 'nan'"),
        ("http://h/db?gzip=maybe", "'gzip' is 'maybe': use true or false"),
        ("http://h/db?token=", "'token' is empty"),
        ("http://h/?db=", "'db' is empty"),
        ("http://h/?db=a&db=b", "'db' is given twice"),
        ("http://h/%FF", "database in URL .* is not percent-encoded UTF-8"),
        ("unix://var/run/influxdb.sock", "three slashes"),
        ("unix://localhost:8086/x.sock", "has no host"),
        ("unix://", "names no socket"),
        ("unix:///", "names no socket"),
    ],
)
def test_bad_urls_are_refused_naming_the_problem(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_url(url)


def test_a_url_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str, not bytes"):
        parse_url(b"http://h")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://alice:{ENCODED}@h/db",
        f"http://alice:{ENCODED}@h:abc/db",
        f"http://alice:{ENCODED}@/db",
        f"http://alice:{ENCODED}@h/db?precision=s",
        f"http://alice:{ENCODED}@h/db?timeout=x",
        "http://alice:unencoded#secret@h/db",
        "http://alice:unencoded/secret@h:1/db",
        "alice:secret@h:8086",
        "http://h/db?token=secret&x=1",
        "http://h/db?token=%FFsecret",
        "http://alice:%FFsecret@h/db",
        "http://alice:secret／x@h/db",  # a netloc urllib refuses, quoting it whole
        "unix://alice:secret@h/x.sock",
    ],
)
def test_messages_never_show_the_password_or_token(url: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_url(url)
    text = str(info.value)
    for secret in ("secret", ENCODED, PASSWORD, "unencoded"):
        assert secret not in text


def test_url_options_become_constructor_arguments() -> None:
    client = InfluxDBClient.from_url(
        "https://alice:s3cr%40t@influx.example.com:8443/influx/metrics"
        "?timeout=2.5&verify_ssl=false&gzip=true&mode=blocking&output=json"
    )
    assert client.url == "https://influx.example.com:8443/influx"
    assert client.db == "metrics"
    assert client.username == "alice"
    assert client.timeout.total == 2.5
    assert client._transport._ssl is False
    assert client.gzip is True
    assert client.mode == "blocking"
    assert "s3cr" not in repr(client)


def test_keyword_arguments_win_over_the_url() -> None:
    url = "influxdb://alice:pw@h:1/urldb?timeout=2&mode=blocking"
    client = InfluxDBClient.from_url(url, db="kwdb", timeout=5, port=2, mode="async")
    assert (client.db, client.timeout.total, client.port, client.mode) == ("kwdb", 5, 2, "async")
    assert InfluxDBClient.from_url(url, database="other").db == "other"
    assert InfluxDBClient.from_url(url, username="bob").username == "bob"
    assert InfluxDBClient.from_url("https://h/db", ssl=False).url == "http://h:443"


def test_udp_url_sets_the_udp_port_and_keeps_http_on_8086() -> None:
    client = InfluxDBClient.from_url("udp+influxdb://h:4445/db")
    assert (client.use_udp, client.udp_port, client.url, client.db) == (
        True, 4445, "http://h:8086", "db")
    assert "udp_port=4445" in repr(client)
    # influxdb-python's form: the HTTP port as port=, the UDP port as udp_port=.
    client = InfluxDBClient.from_dsn("udp+influxdb://h:8086/db", udp_port=159)
    assert (client.udp_port, client.url) == (159, "http://h:8086")
    client = InfluxDBClient.from_url("udp+influxdb://h/db", port=9999)
    assert (client.udp_port, client.url) == (4444, "http://h:9999")


def test_from_dsn_is_from_url() -> None:
    client = InfluxDBClient.from_dsn("influxdb://alice:pw@h:8086/databasename", timeout=5)
    assert (client.url, client.db, client.username, client.timeout.total) == (
        "http://h:8086", "databasename", "alice", 5)


def test_unix_url_sets_the_socket() -> None:
    client = InfluxDBClient.from_url("unix:///var/run/influxdb.sock?db=mydb")
    assert (client.unix_socket, client.db) == ("/var/run/influxdb.sock", "mydb")
    assert "unix_socket='/var/run/influxdb.sock'" in repr(client)


def test_constructor_errors_still_name_the_value() -> None:
    with pytest.raises(ValueError, match="invalid mode 'sync'"):
        InfluxDBClient.from_url("http://h/db?mode=sync")
    with pytest.raises(ValueError, match="invalid output 'csv'"):
        InfluxDBClient.from_url("http://h/db?output=csv")


# -- the environment ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {}),
        ({"INFLUX_URL": "influxdb://h/db"}, {"host": "h", "port": 8086, "db": "db"}),
        ({"INFLUX_URL": "influxdb://alice:pw@h/db", "INFLUX_USERNAME": "bob",
          "INFLUX_DATABASE": "other"},
         {"host": "h", "port": 8086, "db": "other", "username": "bob", "password": "pw"}),
        ({"INFLUX_PASSWORD": "pw", "INFLUX_TOKEN": "tok", "INFLUX_DATABASE": "d"},
         {"password": "pw", "token": "tok", "db": "d"}),
        ({"INFLUX_URL": "", "INFLUX_USERNAME": "", "INFLUX_DB": "ignored"}, {}),
    ],
)
def test_environment_options(environ: dict[str, str], expected: dict[str, Any]) -> None:
    assert environment_options(environ) == expected


def test_environment_url_errors_name_the_variable() -> None:
    with pytest.raises(ValueError, match=r"^\$INFLUX_URL: unsupported scheme 'ftp'"):
        environment_options({"INFLUX_URL": "ftp://alice:secret@h"})
    with pytest.raises(ValueError) as info:
        environment_options({"INFLUX_URL": "ftp://alice:secret@h"})
    assert "secret" not in str(info.value)


def test_from_env_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFLUX_URL", "influxdb://alice:pw@h:1/urldb?timeout=3")
    monkeypatch.setenv("INFLUX_DATABASE", "envdb")
    monkeypatch.delenv("INFLUX_USERNAME", raising=False)
    client = InfluxDBClient.from_env()
    assert (client.url, client.db, client.username, client.timeout.total) == (
        "http://h:1", "envdb", "alice", 3)
    assert InfluxDBClient.from_env(db="kwdb").db == "kwdb"
    assert InfluxDBClient.from_env(database="kwdb").db == "kwdb"
    monkeypatch.delenv("INFLUX_URL")
    monkeypatch.delenv("INFLUX_DATABASE")
    assert InfluxDBClient.from_env().url == "http://localhost:8086"


# -- credentials out of messages -----------------------------------------------------------


def test_safe_url_leaves_out_credentials() -> None:
    assert _safe_url("http://h:1/write", {"db": "d", "u": "alice", "p": "pw"}) == (
        "http://h:1/write?db=d")
    assert _safe_url("http://h:1/query", {"token": "tok"}) == "http://h:1/query"
    assert _safe_url("http://alice:pw@h:1/ping", None) == "http://h:1/ping"
    assert _safe_url("http://h:1/ping", None) == "http://h:1/ping"


def _connection_error(method: str, url: str, cause: Exception) -> InfluxDBConnectionError:
    """What the transport raises for ``cause`` met while sending ``method url``."""
    with pytest.raises(InfluxDBConnectionError) as caught, \
            mapped_errors(f"{method} {_safe_url(url, None)}"):
        raise cause
    return caught.value


def test_connection_error_leaves_out_credentials() -> None:
    cause = aiohttp.InvalidURL("http://alice:pw@h:1/ping")
    error = _connection_error("GET", "http://alice:pw@h:1/ping", cause)
    assert isinstance(error, InfluxDBConnectionError)
    assert "pw" not in str(error)
    assert "http://h:1/ping" in str(error)
    timeout = _connection_error("GET", "http://alice:pw@h:1/ping", aiohttp.ServerTimeoutError())
    assert isinstance(timeout, InfluxDBTimeoutError)
    assert "pw" not in str(timeout)


@pytest.mark.parametrize("target", [{"db": "other"}, {"rp": "week"}])
def test_a_udp_write_refuses_a_database_or_policy_it_cannot_reach(target: dict[str, str]
                                                                  ) -> None:
    # Refused before anything is sent: nothing listens on port 9.
    with InfluxDBClient(use_udp=True, udp_port=9, mode="blocking") as client, \
            pytest.raises(ValueError, match="UDP listener"):
        client.write({"measurement": "m", "fields": {"v": 1}}, **target)


@pytest.mark.parametrize(("argument", "hint"), [
    ("databse", "did you mean 'database'?"), ("verfy_ssl", "did you mean 'verify_ssl'?"),
    ("time_out", "did you mean 'timeout'?"), ("raise_for_statu", "did you mean"),
])
def test_an_unknown_argument_is_refused_at_construction(argument: str, hint: str) -> None:
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{argument}'; {hint}"):
        InfluxDBClient(**{argument: "x"})
    with pytest.raises(TypeError, match=f"'{argument}'"):
        InfluxDBClient.from_url("http://localhost:8086/db", **{argument: "x"})


def test_arguments_of_aiohttp_sessions_are_passed_on() -> None:
    client = InfluxDBClient(trust_env=True, raise_for_status=False)
    assert client._transport._session_options == {"trust_env": True, "raise_for_status": False}
