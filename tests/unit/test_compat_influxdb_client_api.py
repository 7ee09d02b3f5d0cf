"""``influxkit.compat.influxdb_client``: influxdb-client's names, signatures and point
builder, without a server.

The signatures are compared with a literal table of influxdb-client 1.50.0's (the seed
documents its write side; where the seed's summary and the package disagree, the table
follows the package, which is what code written for it calls, and says so). The point
builder's lines are checked text for text; the real server checks what they store in
tests/integration/test_compat_influxdb_client.py.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import influxkit
from influxkit.compat import influxdb_client
from influxkit.compat.influxdb_client import (
    BucketsApi,
    InfluxDBClient,
    Point,
    PointSettings,
    WriteApi,
    WriteOptions,
    WritePrecision,
    WriteType,
)
from influxkit.compat.influxdb_client._translate import plan, writer_error
from influxkit.compat.influxdb_client.client.exceptions import (
    InfluxDBError,
    LineProtocolError,
    NotSupportedError,
    WriteApiError,
    WriteRetryError,
)
from influxkit.compat.influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxkit.compat.influxdb_client.client.write.retry import WritesRetry
from influxkit.compat.influxdb_client.client.write_api import ASYNCHRONOUS, SYNCHRONOUS
from influxkit.compat.influxdb_client.rest import ApiException, api_exception

# -- signatures ---------------------------------------------------------------------------

# influxdb-client 1.50.0's signatures: parameter names in order, kinds and defaults
# (an object default is shown as its type: ``WriteOptions()``); ``async`` marks a
# coroutine function. Differences are commented where they are.
SIGNATURES: dict[str, str] = {
    ":InfluxDBClient":
        "(url, token=None, debug=None, timeout=10000, enable_gzip=False, org=None, "
        "default_tags=None, **kwargs)",
    ":InfluxDBClient.from_env_properties": "(debug=None, enable_gzip=False, **kwargs)",
    ":InfluxDBClient.from_config_file":
        "(config_file='config.ini', debug=None, enable_gzip=False, **kwargs)",
    ":InfluxDBClient.write_api":
        "(self, write_options=WriteOptions(), point_settings=PointSettings(), **kwargs)",
    # influxdb-client: query_options=QueryOptions(); there is no Flux here.
    ":InfluxDBClient.query_api": "(self, query_options=None)",
    ":InfluxDBClient.delete_api": "(self)",
    ":InfluxDBClient.buckets_api": "(self)",
    ":InfluxDBClient.close": "(self)",
    ":InfluxDBClient.ping": "(self)",
    ":InfluxDBClient.version": "(self)",
    ":InfluxDBClient.build": "(self)",
    ":InfluxDBClient.health": "(self)",
    ":InfluxDBClient.__enter__": "(self)",
    ":InfluxDBClient.__exit__": "(self, exc_type, exc_value, traceback)",
    ".client.write_api:WriteApi":
        "(influxdb_client, write_options=WriteOptions(), "
        "point_settings=PointSettings(), **kwargs)",
    ".client.write_api:WriteApi.write":
        "(self, bucket, org=None, record=None, write_precision='ns', **kwargs)",
    ".client.write_api:WriteApi.flush": "(self)",
    ".client.write_api:WriteApi.close": "(self)",
    ".client.write_api:WriteApi.__enter__": "(self)",
    ".client.write_api:WriteApi.__exit__": "(self, exc_type, exc_val, exc_tb)",
    # influxdb-client: write_scheduler=ThreadPoolScheduler() (reactivex's); the seed
    # documents None, and influxkit's writer runs on its client's loop.
    ".client.write_api:WriteOptions":
        "(write_type=WriteType.batching, batch_size=1000, flush_interval=1000, "
        "jitter_interval=0, retry_interval=5000, max_retries=5, max_retry_delay=125000, "
        "max_retry_time=180000, exponential_base=2, max_close_wait=300000, "
        "write_scheduler=None)",
    ".client.write_api:WriteOptions.to_retry_strategy": "(self, **kwargs)",
    # The seed documents PointSettings(default_tags=None); the package takes the tags
    # as keywords. Both are read (test_point_settings_take_both_forms).
    ".client.write_api:PointSettings": "(**default_tags)",
    ".client.write_api:PointSettings.add_default_tag": "(self, key, value)",
    ".client.write_api_async:WriteApiAsync":
        "(influxdb_client, point_settings=PointSettings())",
    ".client.write_api_async:WriteApiAsync.write":
        "async (self, bucket, org=None, record=None, write_precision='ns', **kwargs)",
    ".client.influxdb_client_async:InfluxDBClientAsync":
        "(url, token=None, org=None, debug=None, timeout=10000, enable_gzip=False, **kwargs)",
    ".client.influxdb_client_async:InfluxDBClientAsync.from_env_properties":
        "(debug=None, enable_gzip=False, **kwargs)",
    ".client.influxdb_client_async:InfluxDBClientAsync.from_config_file":
        "(config_file='config.ini', debug=None, enable_gzip=False, **kwargs)",
    ".client.influxdb_client_async:InfluxDBClientAsync.write_api":
        "(self, point_settings=PointSettings())",
    ".client.influxdb_client_async:InfluxDBClientAsync.query_api": "(self, query_options=None)",
    ".client.influxdb_client_async:InfluxDBClientAsync.delete_api": "(self)",
    ".client.influxdb_client_async:InfluxDBClientAsync.close": "async (self)",
    ".client.influxdb_client_async:InfluxDBClientAsync.ping": "async (self)",
    ".client.influxdb_client_async:InfluxDBClientAsync.version": "async (self)",
    ".client.influxdb_client_async:InfluxDBClientAsync.build": "async (self)",
    ".client.influxdb_client_async:InfluxDBClientAsync.__aenter__": "async (self)",
    ".client.influxdb_client_async:InfluxDBClientAsync.__aexit__":
        "async (self, exc_type, exc, tb)",
    ".client.write.point:Point": "(measurement_name)",
    ".client.write.point:Point.measurement": "(measurement)",
    ".client.write.point:Point.from_dict": "(dictionary, write_precision='ns', **kwargs)",
    ".client.write.point:Point.tag": "(self, key, value)",
    ".client.write.point:Point.field": "(self, field, value)",
    ".client.write.point:Point.time": "(self, time, write_precision='ns')",
    ".client.write.point:Point.to_line_protocol": "(self, precision=None)",
    ".client.write.point:Point.set_str_rep": "(rep_function)",
    # Seconds, as in the package (the seed's summary shows milliseconds and total=3).
    ".client.write.retry:WritesRetry":
        "(jitter_interval=0, max_retry_delay=125, exponential_base=2, max_retry_time=180, "
        "total=5, retry_interval=5, retry_callback=None, **kw)",
    ".client.write.retry:WritesRetry.new": "(self, **kw)",
    ".client.exceptions:InfluxDBError": "(response=None, message=None)",
    ".rest:ApiException": "(status=None, reason=None, http_resp=None)",
    ".client.bucket_api:BucketsApi": "(influxdb_client)",
    ".client.bucket_api:BucketsApi.create_bucket":
        "(self, bucket=None, bucket_name=None, org_id=None, retention_rules=None, "
        "description=None, org=None)",
    ".client.bucket_api:BucketsApi.delete_bucket": "(self, bucket)",
    ".client.bucket_api:BucketsApi.find_bucket_by_name": "(self, bucket_name)",
    ".client.bucket_api:BucketsApi.find_buckets": "(self, **kwargs)",
}


def load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    found: Any = __import__(f"influxkit.compat.influxdb_client{module}", fromlist=["_"])
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


def _default(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, WriteType):
        return f"WriteType.{value.name}"
    return f"{type(value).__name__}()"


def shape(function: Any) -> str:
    """A signature as the table writes it: no annotations, object defaults by type."""
    parts: list[str] = []
    starred = False
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            parts.append(f"*{parameter.name}")
            starred = True
        elif parameter.kind is parameter.VAR_KEYWORD:
            parts.append(f"**{parameter.name}")
        else:
            if parameter.kind is parameter.KEYWORD_ONLY and not starred:
                parts.append("*")
                starred = True
            parts.append(parameter.name if parameter.default is parameter.empty
                         else f"{parameter.name}={_default(parameter.default)}")
    prefix = "async " if inspect.iscoroutinefunction(function) else ""
    return f"{prefix}({', '.join(parts)})"


@pytest.mark.parametrize("target", SIGNATURES)
def test_signatures_are_influxdb_clients(target: str) -> None:
    assert shape(load(target)) == SIGNATURES[target]


def test_the_shape_of_a_signature_shows_what_differs() -> None:
    # The comparison above would pass on any signature if shape() lost detail.
    def one(a: int, b: str = "x", *args: Any, c: Any = SYNCHRONOUS, **kw: Any) -> None:
        pass

    async def other(a: int, *, b: WriteType = WriteType.batching) -> None:
        pass

    assert shape(one) == "(a, b='x', *args, c=WriteOptions(), **kw)"
    assert shape(other) == "async (a, *, b=WriteType.batching)"


def test_the_seeds_documented_keywords_are_taken() -> None:
    # The seed's summary documents these keywords: each is a parameter here.
    inspect.signature(WritesRetry).bind(total=3, retry_interval=5000, max_retry_delay=125000,
                                        max_retry_time=180000, exponential_base=2,
                                        jitter_interval=0)
    inspect.signature(WriteApi.write).bind(
        None, "bucket", org=None, record=None, write_precision=WritePrecision.NS,
        data_frame_measurement_name="m", data_frame_tag_columns=["t"])
    inspect.signature(Point.time).bind(None, 0, WritePrecision.S)


# -- the names, where code imports them --------------------------------------------------


def test_the_documented_names_are_where_code_imports_them() -> None:
    from influxkit.compat.influxdb_client.client import write_api
    from influxkit.compat.influxdb_client.client.write import point
    from influxkit.compat.influxdb_client.domain import write_precision

    assert {"InfluxDBClient", "Point", "WritePrecision", "WriteOptions", "WriteApi",
            "BucketsApi", "PointSettings", "WriteType"} <= set(influxdb_client.__all__)
    assert write_api.WriteApi is WriteApi
    assert write_api.WriteOptions is WriteOptions
    assert write_api.PointSettings is PointSettings
    assert write_api.WriteType is WriteType
    assert point.Point is Point
    assert write_precision.WritePrecision is WritePrecision
    assert isinstance(BucketsApi, type)


def test_write_precision_and_write_type_are_influxdb_clients() -> None:
    # Plain strings, as in influxdb-client (the seed's summary shows an Enum).
    assert (WritePrecision.NS, WritePrecision.US, WritePrecision.MS, WritePrecision.S) == (
        "ns", "us", "ms", "s")
    assert [(kind.name, kind.value) for kind in WriteType] == [
        ("batching", 1), ("asynchronous", 2), ("synchronous", 3)]
    assert SYNCHRONOUS.write_type is WriteType.synchronous
    assert ASYNCHRONOUS.write_type is WriteType.asynchronous
    assert WriteOptions().write_type is WriteType.batching


# -- the point builder --------------------------------------------------------------------

MOMENT = dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc)


class Case(NamedTuple):
    point: Any
    line: str


# Each line as influxkit writes it. Where influxdb-client's text differs, its line is in
# the comment; the server stores the same point from both (tags and fields are sorted
# there and kept in order here; a float 1.0 is "1" there, "1.0" here).
LINES: dict[str, Case] = {
    "the seed's": Case(
        lambda: Point("cpu_usage").tag("host", "server1").tag("region", "us-west")
        .field("usage_percent", 85.2).field("core_count", 8).time(MOMENT, WritePrecision.S),
        # cpu_usage,host=server1,region=us-west core_count=8i,usage_percent=85.2 1640995200
        "cpu_usage,host=server1,region=us-west usage_percent=85.2,core_count=8i 1640995200"),
    "in the order given": Case(
        lambda: Point("m").tag("b", "2").tag("a", "1").field("z", 1).field("y", 2.0),
        "m,b=2,a=1 z=1i,y=2.0"),  # m,a=1,b=2 y=2,z=1i
    "escaped": Case(
        lambda: Point("my meas,x").tag("t k=", "v a,l=").field("f k", 'say "hi" \\ now')
        .field("b", True).field("n", False),
        'my\\ meas\\,x,t\\ k\\==v\\ a\\,l\\= f\\ k="say \\"hi\\" \\\\ now",b=true,n=false'),
    "nanoseconds": Case(
        lambda: Point("test").field("value", 4).time(1640995200000000000, WritePrecision.NS),
        "test value=4i 1640995200000000000"),
    "an RFC 3339 string": Case(
        lambda: Point("test").field("value", 3).time("2023-01-01T12:00:00Z", WritePrecision.S),
        "test value=3i 1672574400"),
    # influxdb-client parses to microseconds: ...123456000.
    "a string's nanoseconds": Case(
        lambda: Point("test").field("value", 3).time("2023-01-01T12:00:00.123456789Z"),
        "test value=3i 1672574400123456789"),
    "milliseconds": Case(
        lambda: Point("t").field("v", 1.5).time(dt.datetime(2023, 1, 1, 0, 0, 0, 123000),
                                               WritePrecision.MS),
        "t v=1.5 1672531200123"),
    "microseconds": Case(
        lambda: Point("t").field("v", 1.0).time(dt.datetime(2023, 1, 1, 0, 0, 0, 123456),
                                               WritePrecision.US),
        "t v=1.0 1672531200123456"),
    "a naive datetime, in ns": Case(
        lambda: Point("t").field("v", 2).time(dt.datetime(2023, 1, 1, 0, 0, 0, 123456)),
        "t v=2i 1672531200123456000"),
    "an aware datetime": Case(
        lambda: Point("t").field("v", 1).time(
            dt.datetime(2023, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            WritePrecision.S),
        "t v=1i 1672531200"),
    "a timedelta since the epoch": Case(
        lambda: Point("t").field("v", 1).time(dt.timedelta(seconds=1672531200),
                                             WritePrecision.S),
        "t v=1i 1672531200"),
    "Point.measurement": Case(
        lambda: Point.measurement("h2o").tag("location", "coyote").field("level", 1),
        "h2o,location=coyote level=1i"),
    "floats and integers": Case(
        lambda: Point("t").field("a", 1.0).field("b", 1e20).field("c", 0.1).field("d", -3),
        "t a=1.0,b=1e+20,c=0.1,d=-3i"),  # t a=1,b=1e+20,c=0.1,d=-3i
    "a Decimal and a large integer": Case(
        lambda: Point("t").field("d", Decimal("1.5")).field("i", 2**62),
        "t d=1.5,i=4611686018427387904i"),
    "None fields and empty tags left out": Case(
        lambda: Point("t").tag("a", "").tag("b", None).field("c", None).field("d", 1),
        "t d=1i"),
    "a number as a tag": Case(lambda: Point("t").tag("a", 5).field("b", 1), "t,a=5 b=1i"),
    "from_dict": Case(
        lambda: Point.from_dict(
            {"measurement": "sensor_data",
             "tags": {"location": "warehouse", "sensor_id": "temp001"},
             "fields": {"temperature": 23.5, "battery": 87}, "time": 1672531200123},
            WritePrecision.MS),
        "sensor_data,location=warehouse,sensor_id=temp001 temperature=23.5,battery=87i "
        "1672531200123"),
    "from_dict with record keys": Case(
        lambda: Point.from_dict(
            {"name": "sensor", "loc": "a", "temp": 1.5, "ts": 1672531200}, WritePrecision.S,
            record_measurement_key="name", record_time_key="ts", record_tag_keys=["loc"],
            record_field_keys=["temp"]),
        "sensor,loc=a temp=1.5 1672531200"),
    "from_dict with a measurement name": Case(
        lambda: Point.from_dict({"loc": "a", "temp": 1.5}, record_measurement_name="sensor",
                                record_tag_keys=["loc"], record_field_keys=["temp"]),
        "sensor,loc=a temp=1.5"),
    "from_dict with field_types": Case(
        lambda: Point.from_dict({"measurement": "m", "fields": {"a": 1, "b": 2},
                                 "field_types": {"b": "float"}}),
        "m a=1i,b=2.0"),  # m a=1i,b=2
    "from_dict with field_types as a keyword": Case(
        lambda: Point.from_dict({"measurement": "m", "fields": {"a": 1, "b": 2}},
                                field_types={"a": "float", "b": "int"}),
        "m a=1.0,b=2i"),
}


@pytest.mark.parametrize("case", LINES)
def test_the_line_of_a_point(case: str) -> None:
    point = LINES[case].point()
    assert isinstance(point, Point)
    assert isinstance(point, influxkit.Point)
    assert point.to_line_protocol() == LINES[case].line
    assert str(point) == LINES[case].line


def test_a_point_is_written_in_any_precision_exactly() -> None:
    point = Point("t").field("v", 1).time(1672531200123, WritePrecision.MS)
    assert point.write_precision == WritePrecision.MS
    # influxdb-client leaves an integer time as it is: "t v=1i 1672531200123".
    assert point.to_line_protocol(WritePrecision.NS) == "t v=1i 1672531200123000000"
    assert point.to_line_protocol(WritePrecision.US) == "t v=1i 1672531200123000"
    with pytest.raises(LineProtocolError, match="not a whole number of seconds"):
        point.to_line_protocol(WritePrecision.S)
    assert Point("t").field("v", 1).time(MOMENT, WritePrecision.US).write_precision == "us"
    assert Point("t").field("v", 1).write_precision == WritePrecision.NS


# Refused before anything is sent, where influxdb-client truncates or drops silently.
REFUSED: dict[str, tuple[Any, str]] = {
    "a datetime finer than seconds": (
        lambda: Point("t").field("v", 1).time(dt.datetime(2023, 1, 1, 0, 0, 0, 5),
                                             WritePrecision.S),
        "not a whole number of seconds"),
    "a float time with a fraction": (
        lambda: Point("t").field("v", 1).time(1672531200.5, WritePrecision.S),
        "fractional part"),
    "a string finer than its precision": (
        lambda: Point("t").field("v", 1).time("2023-01-01T12:00:00.5Z", WritePrecision.S),
        "not a whole number of seconds"),
    "seconds read as nanoseconds": (
        lambda: Point("t").field("v", 1).time(1672531200), "looks like seconds"),
    "NaN": (lambda: Point("t").field("v", float("nan")), "NaN"),
    "infinity": (lambda: Point("t").field("v", float("inf")), "infinity"),
    "a newline in a tag": (lambda: Point("t").tag("a", "x\ny"), "newline"),
    "no fields": (lambda: Point("t").tag("a", "b").to_line_protocol(), "no fields"),
    "an unsigned integer field type": (
        lambda: Point.from_dict({"measurement": "m", "fields": {"a": 1}},
                                field_types={"a": "uint"}),
        "unsigned"),
    "an integer a float cannot hold": (
        lambda: Point.from_dict({"measurement": "m", "fields": {"a": 2**53 + 1}},
                                field_types={"a": "float"}),
        "no exact float"),
    "an unknown field type": (
        lambda: Point.from_dict({"measurement": "m", "fields": {"a": 1}},
                                field_types={"a": "double"}),
        "must be one of"),
    "a record without a measurement": (
        lambda: Point.from_dict({"fields": {"a": 1}}), "no measurement"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_influxkit_refuses_is_both_libraries_error(case: str) -> None:
    make, message = REFUSED[case]
    with pytest.raises(LineProtocolError, match=message) as caught:
        make()
    # influxdb-client's root, influxkit's refusal and ValueError all catch it.
    assert isinstance(caught.value, InfluxDBError)
    assert isinstance(caught.value, influxkit.LineProtocolError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.message == str(caught.value)
    assert caught.value.response is None


def test_a_refusal_names_the_point_and_the_value() -> None:
    with pytest.raises(LineProtocolError) as caught:
        Point("cpu").tag("host", "a").field("load", float("nan"))
    assert caught.value.field == "load"
    assert "Point('cpu').tag('host', 'a')" in str(caught.value)


def test_from_dict_refuses_unknown_keywords() -> None:
    with pytest.raises(TypeError, match="record_tag_key"):
        Point.from_dict({"measurement": "m", "fields": {"a": 1}}, record_tag_key=["a"])


def test_set_str_rep_changes_str_of_every_point() -> None:
    point = Point("t").field("v", 1)
    try:
        Point.set_str_rep(lambda p: f"<{p.to_line_protocol()}>")
        assert str(point) == "<t v=1i>"
    finally:
        Point._str_rep = None
    assert str(point) == "t v=1i"


# -- options ------------------------------------------------------------------------------


def test_write_options_become_influxkits_retry_policy_in_seconds() -> None:
    options = WriteOptions(write_type=WriteType.batching, retry_interval=1000,
                           max_retry_delay=60000, exponential_base=2, max_retries=5,
                           max_retry_time=90000, jitter_interval=250)
    assert options.retry_policy() == influxkit.RetryPolicy(
        retry_interval=1.0, max_retries=5, max_retry_delay=60.0, exponential_base=2.0,
        max_retry_time=90.0)
    strategy = options.to_retry_strategy()
    assert isinstance(strategy, WritesRetry)
    assert (strategy.retry_interval, strategy.max_retry_delay, strategy.max_retry_time,
            strategy.jitter_interval, strategy.total) == (1.0, 60.0, 90.0, 0.25, 5)
    # The seed's linear backoff: a base of 1 keeps the ceiling constant.
    linear = WriteOptions(write_type=WriteType.batching, retry_interval=5000,
                          max_retry_delay=5000, exponential_base=1, max_retries=3)
    policy = linear.retry_policy()
    assert [policy.ceiling(n) for n in (1, 2, 3)] == [5.0, 5.0, 5.0]
    assert policy.max_retries == 3


def test_synchronous_writes_retry_only_when_asked() -> None:
    assert not SYNCHRONOUS.retries_given()
    assert not WriteOptions(write_type=WriteType.synchronous).retries_given()
    assert WriteOptions(write_type=WriteType.synchronous, max_retries=5,
                        retry_interval=2000, max_retry_delay=30000).retries_given()


def test_writes_retry_is_a_retry_policy_in_seconds() -> None:
    retry = WritesRetry(total=3, retry_interval=0.5, max_retry_delay=4, max_retry_time=20,
                        exponential_base=3)
    assert retry.to_retry_policy() == influxkit.RetryPolicy(
        retry_interval=0.5, max_retries=3, max_retry_delay=4.0, exponential_base=3.0,
        max_retry_time=20.0)
    copy = retry.new(total=7)
    assert (copy.total, copy.retry_interval, retry.total) == (7, 0.5, 3)


def test_point_settings_take_both_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_CENTER", "ams1")
    # influxdb-client's keywords, and the seed's default_tags= dict.
    assert PointSettings(id="132", dc="${env.DATA_CENTER}").defaultTags == {
        "id": "132", "dc": "ams1"}
    settings = PointSettings(default_tags={"environment": "production", "version": "1.2.3"})
    settings.add_default_tag("datacenter", "us-west-2")
    assert settings.defaultTags == {"environment": "production", "version": "1.2.3",
                                    "datacenter": "us-west-2"}
    assert PointSettings().defaultTags == {}


# -- the client, before anything is sent ----------------------------------------------------


@pytest.fixture
def client() -> Any:
    with InfluxDBClient(url="http://127.0.0.1:9", token="my-token", org="my-org") as client:
        yield client


@pytest.mark.parametrize("method", ["query_api", "delete_api", "organizations_api",
                                    "users_api", "tasks_api", "labels_api",
                                    "authorizations_api", "invokable_scripts_api", "ready"])
def test_what_is_not_mapped_says_so(client: InfluxDBClient, method: str) -> None:
    with pytest.raises(NotSupportedError) as caught:
        getattr(client, method)()
    assert isinstance(caught.value, influxkit.NotSupportedError)
    assert isinstance(caught.value, NotImplementedError)
    assert isinstance(caught.value, InfluxDBError)


def test_query_api_shows_the_influxql_way(client: InfluxDBClient) -> None:
    with pytest.raises(NotSupportedError, match="Flux") as caught:
        client.query_api()
    assert "InfluxQL" in str(caught.value)
    assert "client.influxkit.query('SELECT" in str(caught.value)


async def test_the_async_client_refuses_flux_too() -> None:
    async with InfluxDBClientAsync(url="http://127.0.0.1:9", token="t", org="o") as client:
        with pytest.raises(NotSupportedError, match="InfluxQL"):
            client.query_api()
        with pytest.raises(NotSupportedError, match="delete"):
            client.delete_api()


async def test_the_async_client_checks_its_arguments() -> None:
    with pytest.raises(NotSupportedError, match="client_session_type"):
        InfluxDBClientAsync(url="http://127.0.0.1:9", client_session_type=object)
    with pytest.raises(NotSupportedError, match="allow_redirects"):
        InfluxDBClientAsync(url="http://127.0.0.1:9", allow_redirects=False)
    with pytest.raises(TypeError, match="did you mean 'max_redirects'"):
        InfluxDBClientAsync(url="http://127.0.0.1:9", max_redirect=3)
    # The synchronous client has no aiohttp session to give these to.
    with pytest.raises(TypeError, match="max_redirects"):
        InfluxDBClient(url="http://127.0.0.1:9", max_redirects=3)


def test_the_async_client_is_made_inside_a_coroutine() -> None:
    with pytest.raises(InfluxDBError, match="inside async coroutine"):
        InfluxDBClientAsync(url="http://127.0.0.1:9", token="t")


def test_the_client_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="did you mean 'verify_ssl'"):
        InfluxDBClient(url="http://localhost:8086", token="t", verify_sll=False)
    with pytest.raises(ValueError, match="not str"):
        InfluxDBClient(url=None, token="t")  # type: ignore[arg-type]
    with pytest.raises(NotSupportedError, match="proxy_headers"):
        InfluxDBClient(url="http://localhost:8086", proxy_headers={"a": "b"})


def test_the_client_translates_its_arguments() -> None:
    with InfluxDBClient("https://example.com:9999/prefix", "tok", timeout=2500, org="o",
                        enable_gzip=True, verify_ssl=False) as client:
        kit = client.influxkit
        assert kit.mode == "blocking"
        assert (kit.host, kit.port, kit.org, kit.gzip) == ("example.com", 9999, "o", True)
        assert kit.url == "https://example.com:9999/prefix"
        assert kit.timeout.total == 2.5
        assert (client.url, client.token, client.org) == (
            "https://example.com:9999/prefix", "tok", "o")


def test_default_tags_leave_the_point_settings_given_alone() -> None:
    settings = PointSettings(a="1")
    with InfluxDBClient(url="http://127.0.0.1:9", default_tags={"b": "2"}) as client:
        write_api = client.write_api(SYNCHRONOUS, settings)
        assert write_api._point_settings.defaultTags == {"a": "1", "b": "2"}
    assert settings.defaultTags == {"a": "1"}  # influxdb-client adds the client's to it


def test_write_api_refuses_unknown_keywords(client: InfluxDBClient) -> None:
    with pytest.raises(TypeError, match="succes_callback"):
        client.write_api(succes_callback=print)


def test_a_write_refuses_unknown_keywords_before_sending(client: InfluxDBClient) -> None:
    write_api = client.write_api(write_options=SYNCHRONOUS)
    # Nothing listens on port 9: only a refusal before sending can be raised here.
    with pytest.raises(TypeError, match="did you mean 'data_frame_tag_columns'"):
        write_api.write("b", record="m v=1", data_frame_tag_column=["a"])
    with pytest.raises(LineProtocolError, match="cannot write an object of type object"):
        write_api.write("b", record=[object()])
    with pytest.raises(LineProtocolError, match="named 'precision'"):
        client.write_api(SYNCHRONOUS, PointSettings(precision="s")).write("b", record="m v=1")
    with pytest.raises(TypeError, match="bucket"):
        write_api.write("", record="m v=1")


def test_from_env_properties(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFLUXDB_V2_URL", "http://example.com:8087")
    monkeypatch.setenv("INFLUXDB_V2_TOKEN", "env-token")
    monkeypatch.setenv("INFLUXDB_V2_ORG", "env-org")
    monkeypatch.setenv("INFLUXDB_V2_TIMEOUT", "1500")
    monkeypatch.setenv("INFLUXDB_V2_TAG_SITE", "ams1")
    with InfluxDBClient.from_env_properties() as client:
        assert (client.url, client.token, client.org) == (
            "http://example.com:8087", "env-token", "env-org")
        assert client.default_tags == {"site": "ams1"}
        assert client.influxkit.timeout.total == 1.5
    with InfluxDBClient.from_env_properties(org="kw-org") as client:
        assert client.org == "kw-org"


def test_from_env_properties_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "TOKEN", "ORG", "TIMEOUT"):
        monkeypatch.delenv(f"INFLUXDB_V2_{name}", raising=False)
    with InfluxDBClient.from_env_properties() as client:
        assert (client.url, client.token, client.org) == (
            "http://localhost:8086", "my-token", "my-org")


def test_from_config_file(tmp_path: Path) -> None:
    ini = tmp_path / "config.ini"
    ini.write_text('[influx2]\nurl=http://example.com:8086\norg=my-org\ntoken=my-token\n'
                   'timeout=6000\nverify_ssl=False\n\n[tags]\nid = 132-987-655\n'
                   'customer = California Miner\n')
    with InfluxDBClient.from_config_file(str(ini)) as client:
        assert (client.url, client.org, client.token) == (
            "http://example.com:8086", "my-org", "my-token")
        assert client.default_tags == {"id": "132-987-655", "customer": "California Miner"}
        assert client.influxkit.timeout.total == 6.0
    document = tmp_path / "config.json"
    document.write_text(json.dumps({"url": "http://example.com:8086", "token": "t",
                                    "org": "o", "tags": {"a": "b"}}))
    with InfluxDBClient.from_config_file(str(document)) as client:
        assert (client.token, client.default_tags) == ("t", {"a": "b"})


# -- errors -------------------------------------------------------------------------------


def test_an_http_error_is_an_api_exception_and_influxkits_class() -> None:
    error = influxkit.ServerUnavailableError(
        503, "overloaded", method="POST", url="http://h/api/v2/write",
        headers={"Retry-After": "2", "Content-Type": "application/json"})
    converted = api_exception(error)
    assert isinstance(converted, ApiException)
    assert isinstance(converted, InfluxDBError)
    assert isinstance(converted, influxkit.ServerUnavailableError)
    assert (converted.status, converted.reason, converted.message) == (
        503, "Service Unavailable", "overloaded")
    assert json.loads(converted.body) == {"code": "unavailable", "message": "overloaded"}
    assert converted.headers["Retry-After"] == "2"
    assert converted.retry_after == 2.0
    assert converted.retryable
    assert converted.response.status == 503
    assert converted.response.getheader("retry-after") == "2"
    assert str(converted).startswith("(503)\nReason: Service Unavailable\n")
    again = pickle.loads(pickle.dumps(converted))
    assert isinstance(again, ApiException)
    assert isinstance(again, influxkit.ServerUnavailableError)
    assert (again.status, again.message) == (503, "overloaded")


def test_api_exception_made_by_hand() -> None:
    error = ApiException(status=404, reason="Not Found")
    assert (error.status, error.reason, error.body, error.headers) == (
        404, "Not Found", None, None)
    assert str(error) == "(404)\nReason: Not Found\n"
    assert InfluxDBError(message="boom").message == "boom"
    assert InfluxDBError().message == "no response"


def test_undelivered_batches_are_write_api_errors() -> None:
    batches = [influxkit.Batch(0, _target()), influxkit.Batch(1, _target())]
    given_up = influxkit.ServerUnavailableError(503, "overloaded")
    refused = influxkit.InfluxDBWriteError(400, "bad")
    retried = writer_error(influxkit.WriterError([(batches[0], given_up)]))
    assert type(retried) is WriteRetryError
    assert isinstance(retried, WriteApiError)
    assert isinstance(retried, influxkit.WriterError)
    assert isinstance(retried.failures[0][1], ApiException)
    mixed = writer_error(influxkit.WriterError([(batches[0], given_up), (batches[1], refused)]))
    assert type(mixed) is WriteApiError
    assert isinstance(mixed, InfluxDBError)
    assert mixed.message == str(mixed)


def _target() -> Any:
    from influxkit._writer import _Target

    return _Target("db", None, "ns")


# -- records --------------------------------------------------------------------------------


def test_records_are_grouped_by_precision() -> None:
    class Reading(NamedTuple):
        measurement: str
        fields: dict[str, Any]

    groups = plan([Point("a").field("v", 1).time(1672531200, "s"), "b v=1 1672531200000",
                   {"measurement": "c", "fields": {"v": 1}},
                   Reading("d", {"v": 2}), None], WritePrecision.MS, {}, tags=True)
    assert set(groups) == {"s", "ms"}
    (seconds,) = groups["s"]
    assert [type(point) for point in seconds.data] == [Point]
    # Line protocol text does not take default tags: it goes on its own.
    tagged, text = groups["ms"]
    assert (tagged.tagged, text.tagged, text.data) == (True, False, ["b v=1 1672531200000"])
    assert tagged.data == [{"measurement": "c", "fields": {"v": 1}},
                           {"measurement": "d", "fields": {"v": 2}}]


def test_a_data_frame_needs_its_measurement_name() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"v": [1.0]}, index=pd.DatetimeIndex(["2023-01-01T00:00:00Z"]))
    with pytest.raises(TypeError, match="data_frame_measurement_name"):
        plan(frame, "ns", {}, tags=False)
    (write,) = plan(frame, "ns", {"data_frame_measurement_name": "m",
                                  "data_frame_tag_columns": ("t",)}, tags=False)["ns"]
    assert (write.measurement, write.tag_columns) == ("m", ["t"])


def test_a_data_frame_of_integer_times_in_its_precision() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"when": [1672531200, 1672531201], "v": [1.0, 2.0]})
    (write,) = plan(frame, "s", {"data_frame_measurement_name": "m",
                                 "data_frame_timestamp_column": "when"}, tags=False)["s"]
    assert list(write.data.columns) == ["v"]
    assert [str(t) for t in write.data.index] == ["2023-01-01 00:00:00",
                                                  "2023-01-01 00:00:01"]
    with pytest.raises(LineProtocolError, match="looks like seconds"):
        plan(frame, "ns", {"data_frame_measurement_name": "m",
                           "data_frame_timestamp_column": "when"}, tags=False)
