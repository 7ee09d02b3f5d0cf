"""``influxkit.compat.inflow`` without a server: inflow's signatures, its ``Measurement``,
what is refused before anything is sent, and its exception classes.

The clients here point at a port where nothing listens: a refusal that is not a
connection error proves nothing was sent.
"""

from __future__ import annotations

import datetime
import inspect
import pickle
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import influxkit
from influxkit._errors import http_error, query_error
from influxkit.compat import inflow
from influxkit.compat.inflow import (
    Client,
    DatabaseNotFoundException,
    ForbiddenException,
    InfluxDBException,
    Measurement,
    QueryFailedException,
    UnauthorizedException,
    WriteFailedException,
)
from influxkit.compat.inflow.exceptions import translate

NOWHERE = "http://username:pass@127.0.0.1:9/databasename"
EMPTY = inspect.Parameter.empty

# inflow 0.1's signatures: (name, kind, default) of each parameter after self.
P, K, VK = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY,
            inspect.Parameter.VAR_KEYWORD)
SIGNATURES: dict[str, tuple[Any, list[tuple[str, Any, Any]]]] = {
    "Client": (Client.__init__, [("uri", P, EMPTY), ("precision", P, "s"),
                                 ("retention_policy", P, None), ("timeout", P, None)]),
    "Client.session": (Client.session, [("autocommit_every", P, None),
                                        ("retention_policy", P, None)]),
    "Client.query": (Client.query, [("query", P, EMPTY), ("epoch", P, None)]),
    "Measurement": (Measurement.__init__, [("name", P, EMPTY), ("timestamp", P, None),
                                           ("tags", P, None), ("values", VK, EMPTY)]),
    "Measurement.to_line": (Measurement.to_line, [("precision", P, "s")]),
    "Session.commit": (inflow.Session.commit, []),
}

# Every call of write the documentation shows (and inflow's tests make).
WRITE_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("temperature",), {"value": 21.3}),
    (("temperature",), {"tags": {"location": "groningen"}, "value": 21.3,
                        "timestamp": 1475845863}),
    (([Measurement("temperature", value=1.0)],), {}),
    ((Measurement("temperature", value=1.0),), {}),
    (({"name": "temperature"}, [{"value": 21.3, "timestamp": 1475845863}]), {}),
    (("temperature",), {"timestamp": 1475846182, "lower_sensor": 20.9,
                        "upper_sensor": 23.2}),
    (("temperature",), {"value": 21.3, "retention_policy": "rp_four_weeks"}),
]


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(NOWHERE) as client:
        yield client


@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures_are_inflows(name: str) -> None:
    function, expected = SIGNATURES[name]
    parameters = list(inspect.signature(function).parameters.values())[1:]
    assert [(p.name, p.kind, p.default) for p in parameters] == expected


@pytest.mark.parametrize(("args", "kwargs"), WRITE_CALLS)
def test_every_documented_write_binds(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    inspect.signature(Client.write).bind(None, *args, **kwargs)
    kwargs = {key: value for key, value in kwargs.items() if key != "retention_policy"}
    inspect.signature(inflow.Session.write).bind(None, *args, **kwargs)


def test_what_the_package_exports() -> None:
    assert set(inflow.__all__) == {
        "Client", "Measurement", "Session", "InfluxDBException", "QueryFailedException",
        "WriteFailedException", "DatabaseNotFoundException", "UnauthorizedException",
        "ForbiddenException", "exceptions"}
    for name in inflow.exceptions.__all__:
        assert getattr(inflow, name) is getattr(inflow.exceptions, name)


# -- Client ------------------------------------------------------------------------------


def test_the_uri_gives_host_credentials_and_database() -> None:
    with Client("https://user:pa%40ss@db.example:8087/metrics", precision="ms",
                retention_policy="rp", timeout=2.5) as client:
        kit = client.client
        assert (kit.db, kit.username, kit.host, kit.port, kit.ssl) == (
            "metrics", "user", "db.example", 8087, True)
        assert kit.timeout.total == 2.5
        assert (client.precision, client.retention_policy, client.timeout) == (
            "ms", "rp", 2.5)
    with Client("http://localhost/databasename") as client:
        assert client.precision == "s"
        assert client.retention_policy is None


@pytest.mark.parametrize("uri", ["udp://localhost:8086/databasename", "invalid",
                                 "https://localhost:8086/", "http://localhost:8086"])
def test_bad_uris_are_refused(uri: str) -> None:
    with pytest.raises(ValueError):
        Client(uri)


@pytest.mark.parametrize("precision", ["us", "n", "S", "", None, 1])
def test_bad_precisions_are_refused(precision: Any) -> None:
    with pytest.raises(ValueError, match="h, m, s, ms, u or ns"):
        Client(NOWHERE, precision=precision)


def test_clients_of_one_uri_share_an_influxkit_client() -> None:
    first, second = Client(NOWHERE), Client(NOWHERE, precision="ms")
    assert first.client is second.client
    assert Client(NOWHERE, timeout=1).client is not first.client


def test_an_invalid_epoch_is_refused_before_sending(client: Client) -> None:
    for epoch in ("seconds", "us", "n"):  # influxkit would send the last two
        with pytest.raises(ValueError, match="invalid epoch"):
            client.query('SELECT * FROM "temperature"', epoch=epoch)
    # A valid one is sent (and nothing listens there).
    with pytest.raises(influxkit.InfluxDBConnectionError):
        client.query('SELECT * FROM "temperature"', epoch="s")


# -- write: refused before anything is sent -------------------------------------------


def refusal(call: Any) -> BaseException:
    with pytest.raises(WriteFailedException) as info:
        call()
    error = info.value
    assert isinstance(error, influxkit.LineProtocolError)
    assert isinstance(error, ValueError)
    assert not isinstance(error, influxkit.InfluxDBConnectionError)
    return error


def test_bad_data_is_refused_before_sending(client: Client) -> None:
    refusal(lambda: client.write(1234))
    refusal(lambda: client.write([Measurement("t", value=1.0), "t value=1"]))
    refusal(lambda: client.write("temperature"))  # no value
    refusal(lambda: client.write("temperature", value=None))
    refusal(lambda: client.write("temperature", value=float("nan")))
    refusal(lambda: client.write("temperature", value=10**400))
    refusal(lambda: client.write("temp\nerature", value=1.0))
    refusal(lambda: client.write("temperature", tags={"location": "a\nb"}, value=1.0))
    refusal(lambda: client.write("temperature", value=1.0, timestamp=1476191999000))
    error = refusal(lambda: client.write("temperature", value=1.0,
                                         timestamp=datetime.datetime(2016, 1, 1, 0, 0, 0, 5)))
    assert "not a whole number of seconds" in str(error)
    refusal(lambda: client.write("temperature", value=1.0, precision="ms",
                                 timestamp=datetime.datetime(2016, 1, 1, 0, 0, 0, 5)))


def test_arguments_of_no_form_are_type_errors(client: Client) -> None:
    measurement = Measurement("temperature", value=1.0)
    calls: list[Callable[[], Any]] = [
        lambda: client.write(measurement, value=2.0),
        lambda: client.write(measurement, tags={"a": "b"}),
        lambda: client.write([measurement], timestamp=1),
        lambda: client.write("temperature", [{"value": 1.0}]),
        lambda: client.write({"name": "temperature"}),
        lambda: client.write({"name": "temperature"}, [{"value": 1.0}], value=2.0),
        lambda: client.write({"tags": {}}, [{"value": 1.0}]),  # no name
        lambda: client.write("temperature", name="other", value=1.0),
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()


def test_options_of_write_are_never_fields(client: Client) -> None:
    with pytest.raises(ValueError, match="invalid precision"):
        client.write("temperature", value=1.0, precision="sec")
    session = client.session()
    with pytest.raises(TypeError, match="retention_policy"):
        session.write("temperature", value=1.0, retention_policy="x")
    with pytest.raises(TypeError, match="precision"):
        session.write("temperature", value=1.0, precision="x")
    assert session.pending == 0


def test_a_session_checks_and_keeps(client: Client) -> None:
    session = client.session(autocommit_every=3)
    session.write("temperature", value=1.0, timestamp=1475848864)
    session.write([Measurement("temperature", 1475848865, value=2.0)])
    refusal(lambda: session.write("temperature", value=float("inf")))
    assert session.pending == 2
    # The third measurement commits: the connection error comes out, the points stay.
    with pytest.raises(influxkit.InfluxDBConnectionError):
        session.write("temperature", value=3.0, timestamp=1475848866)
    assert session.pending == 3
    assert session.rollback() == 3
    assert "pending=0" in repr(session)


@pytest.mark.parametrize("autocommit_every", [0, -1, 2.5, True, "5"])
def test_bad_autocommit_every_is_refused(client: Client, autocommit_every: Any) -> None:
    with pytest.raises(ValueError, match="autocommit_every"):
        client.session(autocommit_every=autocommit_every)


# -- Measurement -------------------------------------------------------------------------


def test_measurement_attributes() -> None:
    measurement = Measurement("temperature", 1475845863, {"location": "groningen"},
                              value=21.3, other=1)
    assert measurement.name == "temperature"
    assert measurement.timestamp == 1475845863
    assert measurement.tags == {"location": "groningen"}
    assert measurement.values == {"value": 21.3, "other": 1}
    assert measurement.to_line() == (
        "temperature,location=groningen value=21.3,other=1.0 1475845863")


def test_a_measurement_without_timestamp_is_made_now() -> None:
    before = datetime.datetime.now(datetime.timezone.utc)
    measurement = Measurement("temperature", value=21.3)
    after = datetime.datetime.now(datetime.timezone.utc)
    assert before - datetime.timedelta(microseconds=1) <= measurement.timestamp <= after
    seconds = int(measurement.timestamp.timestamp())
    time.sleep(0.002)
    # Written in the write's precision, cut to it (the same moment, not the write's).
    assert measurement.to_line() == f"temperature value=21.3 {seconds}"
    since = measurement.timestamp - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    assert measurement.to_line("ms").endswith(f" {since // datetime.timedelta(milliseconds=1)}")
    assert measurement.to_line("ns").endswith(f" {since // datetime.timedelta(microseconds=1)}000")
    measurement.timestamp = 1475845863
    assert measurement.to_line() == "temperature value=21.3 1475845863"


def test_an_integer_timestamp_is_in_the_writes_precision() -> None:
    assert Measurement("t", 1476191999123, value=1.5).to_line("ms") == "t value=1.5 1476191999123"
    # Seconds given where milliseconds are meant put the time in 1970: refused.
    refusal(lambda: Measurement("t", 1476191999, value=1.5).to_line("ms"))
    assert Measurement("t", datetime.datetime(2016, 10, 11, 13, 19, 59, 123000),
                       value=1.5).to_line("ms") == "t value=1.5 1476191999123"
    assert Measurement("t", "2016-10-11T13:00:00Z", value=1.5).to_line("h") == (
        "t value=1.5 410053")
    refusal(lambda: Measurement("t", "2016-10-11T13:19:59Z", value=1.5).to_line("h"))
    with pytest.raises(ValueError, match="invalid precision"):
        Measurement("t", value=1.0).to_line("seconds")


def test_values_are_written_as_inflow_wrote_them() -> None:
    line = Measurement("t", 1475845863, flag=True, count=3, text='say "hi"',
                       ratio=0.5).to_line()
    assert line == 't flag=true,count=3.0,text="say \\"hi\\"",ratio=0.5 1475845863'
    assert Measurement("t", 1475845863, {"b": "x", "a": "y y"}, value=1.0).to_line() == (
        "t,b=x,a=y\\ y value=1.0 1475845863")


# -- exceptions --------------------------------------------------------------------------


def test_the_tree() -> None:
    for cls in (QueryFailedException, WriteFailedException, DatabaseNotFoundException,
                UnauthorizedException, ForbiddenException):
        assert issubclass(cls, InfluxDBException)
        assert not issubclass(InfluxDBException, cls)
    assert issubclass(InfluxDBException, influxkit.InfluxDBError)
    assert issubclass(QueryFailedException, influxkit.QueryFailedException)
    assert issubclass(DatabaseNotFoundException, influxkit.DatabaseNotFoundError)


def test_they_can_be_raised_as_inflows_were() -> None:
    for cls in (InfluxDBException, QueryFailedException, WriteFailedException,
                DatabaseNotFoundException, UnauthorizedException, ForbiddenException):
        error = cls("some error")
        assert str(error) == "some error"
        assert pickle.loads(pickle.dumps(error)).args == ("some error",)


TRANSLATIONS = [
    # (the influxkit error, a write?, inflow's classes, inflow's classes it is not)
    (http_error(400, "unable to parse 'x': bad", write=True, method="POST",
                url="http://h/write"), True, (WriteFailedException,),
     (QueryFailedException,)),
    (http_error(400, "partial write: field type conflict dropped=1", write=True), True,
     (WriteFailedException,), ()),
    (http_error(500, "timeout", write=True), True, (WriteFailedException,), ()),
    (http_error(503, "overloaded", write=True), True, (WriteFailedException,), ()),
    (http_error(413, "too large", write=True), True, (WriteFailedException,), ()),
    (http_error(404, 'database not found: "db"', write=True), True,
     (DatabaseNotFoundException,), (WriteFailedException, QueryFailedException)),
    (http_error(401, "authorization failed", write=True), True, (UnauthorizedException,),
     (WriteFailedException,)),
    (http_error(403, "not authorized", write=True), True, (ForbiddenException,),
     (WriteFailedException,)),
    (http_error(400, "error parsing query: x", url="http://h/query"), False,
     (QueryFailedException,), (WriteFailedException,)),
    (http_error(401, "authorization failed", url="http://h/query"), False,
     (UnauthorizedException,), (QueryFailedException,)),
    (http_error(403, "error authorizing query", url="http://h/query"), False,
     (ForbiddenException,), (QueryFailedException,)),
    (http_error(500, "oops", url="http://h/query"), False, (QueryFailedException,), ()),
    (query_error("undefined function foo()", statement_id=1), False,
     (QueryFailedException,), (DatabaseNotFoundException,)),
    (query_error("database not found: db", statement_id=0), False,
     (DatabaseNotFoundException, QueryFailedException), ()),
    (http_error(502, "bad gateway", url="http://h/ping"), False, (InfluxDBException,),
     (QueryFailedException, WriteFailedException)),
]


@pytest.mark.parametrize(("error", "write", "are", "are_not"), TRANSLATIONS)
def test_influxkit_errors_become_inflows(error: influxkit.InfluxDBError, write: bool,
                                         are: tuple[type, ...], are_not: tuple[type, ...]
                                         ) -> None:
    translated = translate(error, write=write)
    assert type(translated).__name__ == are[0].__name__
    for cls in are:
        assert isinstance(translated, cls)
    for cls in are_not:
        assert not isinstance(translated, cls)
    assert isinstance(translated, type(error))  # and influxkit's error, whole
    assert vars(error).items() <= vars(translated).items()
    assert str(translated) == getattr(error, "message")  # noqa: B009 (not on InfluxDBError)
    copy = pickle.loads(pickle.dumps(translated))
    assert type(copy) is type(translated)
    assert copy.args == translated.args


def test_errors_inflow_had_no_class_for_stay_influxkits() -> None:
    for error in (influxkit.InfluxDBConnectionError("refused"),
                  influxkit.InfluxDBTimeoutError("slow"),
                  influxkit.InvalidResponseError("a proxy's page")):
        assert translate(error, write=True) is error
        assert translate(error, write=False) is error
    refused = influxkit.LineProtocolError("bad", field="value", value=1)
    translated = translate(refused, write=True)
    assert isinstance(translated, WriteFailedException)
    assert isinstance(translated, influxkit.LineProtocolError)
    assert (str(translated), translated.field, translated.value) == (
        str(refused), "value", 1)
    assert translate(translated, write=True) is translated
