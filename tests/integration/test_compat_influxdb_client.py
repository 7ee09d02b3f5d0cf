"""influxdb-client's write side (the seed), run through ``influxkit.compat.influxdb_client``
against the real influxd 1.6.7 and against InfluxDB 2.7's flavour in front of it.

Every example of the seed is here as its user writes it, with ``from influxdb_client``
changed to ``from influxkit.compat.influxdb_client`` and the URL, token, organisation
and bucket pointed at the test server. Where influxkit refuses on purpose what
influxdb-client would store wrong (a time finer than its precision), the example raises
that refusal, which the test checks, then goes on as the user would after the fix.
What was stored is always read back from influxd itself.

Each test runs against both servers, through a :class:`FaultProxy` that records the
requests and injects faults (503s for the retries). On 1.6.7 a bucket is a database
(``db/rp``: a database and retention policy) and writes go to ``/write``; on 2.7, with
the organisation, to ``/api/v2/write``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pytest

import influxkit
from influxkit.compat.influxdb_client import (
    InfluxDBClient,
    Point,
    PointSettings,
    WriteOptions,
    WriteType,
)
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
from influxkit.compat.influxdb_client.rest import ApiException
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy
from influxkit.testing.flavours import ServerFlavour

# The seed's examples call datetime.utcnow(), deprecated since Python 3.12.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

SERVERS = ("1.6.7", "2.7")
# 2023-11-14T22:13:20Z
SECONDS = 1_700_000_000


@dataclasses.dataclass
class Target:
    """A server as the tests' clients see it: through a fault proxy."""

    name: str
    token: str
    org: str
    proxy: FaultProxy
    flavour: ServerFlavour | None
    backend: InfluxDBServer

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def write_path(self) -> str:
        """Where this layer writes: 2.x's own endpoint with the organisation."""
        return "/api/v2/write" if self.flavour is not None else "/write"

    def create_bucket(self, name: str) -> None:
        if self.flavour is not None:
            self.flavour.create_database(name)
            return
        database, _, policy = name.partition("/")
        self.backend.create_database(database)
        if policy:
            self.backend.query(
                f'CREATE RETENTION POLICY "{policy}" ON "{database}" DURATION INF '
                "REPLICATION 1")

    def writes(self) -> list[Any]:
        return [r for r in self.proxy.requests if r.path == self.write_path]

    def stored(self, bucket: str, measurement: str) -> list[dict[str, Any]]:
        """The points of a measurement as influxd has them (RFC 3339 times), oldest first."""
        database, _, policy = bucket.partition("/")
        source = f'"{policy}"."{measurement}"' if policy else f'"{measurement}"'
        answer = self.backend.query(f"SELECT * FROM {source}", db=database)
        series = answer["results"][0].get("series", [])
        assert len(series) <= 1
        if not series:
            return []
        return [{key: value for key, value in zip(series[0]["columns"], row, strict=True)
                 if value is not None} for row in series[0]["values"]]


@pytest.fixture(scope="module", params=SERVERS)
def target(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer
           ) -> Iterator[Target]:
    if request.param == "1.6.7":
        with FaultProxy(influxdb_server.url) as proxy:
            yield Target("1.6.7", "my-token", "my-org", proxy, None, influxdb_server)
        return
    with ServerFlavour(influxdb_server.url, request.param) as flavour, \
            FaultProxy(flavour.url) as proxy:
        yield Target(request.param, flavour.token, flavour.org, proxy, flavour,
                     influxdb_server)


@pytest.fixture
def bucket(target: Target) -> Iterator[str]:
    """A fresh bucket (a database on 1.6.7), dropped after the test."""
    name = f"icl_{uuid.uuid4().hex[:12]}"
    target.create_bucket(name)
    target.proxy.clear()
    target.proxy.clear_requests()
    yield name
    target.proxy.clear()
    target.backend.drop_database(name)


def rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_ms(moment: datetime) -> str:
    """A naive UTC datetime in milliseconds, as influxd writes it (no trailing zeros)."""
    fraction = f"{moment.microsecond // 1000:03d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def now_seconds() -> int:
    return time.time_ns() // 10**9


# -- the seed's examples ------------------------------------------------------------------


def test_example_basic_point_writing(target: Target, bucket: str) -> None:
    from datetime import datetime

    from influxkit.compat.influxdb_client import InfluxDBClient, Point, WritePrecision
    from influxkit.compat.influxdb_client.client.write_api import SYNCHRONOUS

    client = InfluxDBClient(url=target.url, token=target.token, org=target.org)
    write_api = client.write_api(write_options=SYNCHRONOUS)

    # Write single point: utcnow() has microseconds, which influxdb-client would cut
    # off to write it in seconds. influxkit refuses it, before anything is sent.
    with pytest.raises(LineProtocolError, match="not a whole number of seconds") as caught:
        point = Point("temperature") \
            .tag("location", "room1") \
            .field("value", 23.5) \
            .time(datetime.utcnow(), WritePrecision.S)
    assert isinstance(caught.value, influxkit.LineProtocolError)
    assert isinstance(caught.value, ValueError)
    assert target.writes() == []
    # The same, at a whole second.
    before = now_seconds()
    point = Point("temperature") \
        .tag("location", "room1") \
        .field("value", 23.5) \
        .time(datetime.utcnow().replace(microsecond=0), WritePrecision.S)
    write_api.write(bucket=bucket, record=point)

    # Write multiple points
    points = [
        Point("temperature").tag("location", "room1").field("value", 23.5),
        Point("temperature").tag("location", "room2").field("value", 24.1)
    ]
    write_api.write(bucket=bucket, record=points)

    # Write line protocol string
    line_protocol = "temperature,location=room3 value=22.8"
    write_api.write(bucket=bucket, record=line_protocol)
    after = now_seconds()
    client.close()

    stored = target.stored(bucket, "temperature")
    assert sorted((p["location"], p["value"]) for p in stored) == [
        ("room1", 23.5), ("room1", 23.5), ("room2", 24.1), ("room3", 22.8)]
    assert rfc3339(before) <= stored[0]["time"] <= rfc3339(after + 1)
    assert [r.params.get("precision") for r in target.writes()] == ["s", "ns", "ns"]
    if target.flavour is not None:
        assert all(r.params["org"] == target.org for r in target.writes())
        assert all(r.params["bucket"] == bucket for r in target.writes())


def test_example_data_frame_writing(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import InfluxDBClient
    from influxkit.compat.influxdb_client.client.write_api import SYNCHRONOUS

    client = InfluxDBClient(url=target.url, token=target.token, org=target.org)
    write_api = client.write_api(write_options=SYNCHRONOUS)

    import pandas as pd

    # Create DataFrame with datetime index
    df = pd.DataFrame({
        'temperature': [23.5, 24.1, 22.8],
        'humidity': [45.2, 43.1, 46.8],
        'location': ['room1', 'room2', 'room3']
    })
    # The seed writes freq='H', which pandas 3 no longer reads (influxdb-client's users
    # meet the same): 'h' is its spelling now.
    df.index = pd.date_range('2023-01-01', periods=3, freq='h')
    write_api.write(bucket=bucket, record=df, data_frame_measurement_name='climate')
    client.close()

    # No data_frame_tag_columns: every column is a field, as in influxdb-client.
    assert target.stored(bucket, "climate") == [
        {"time": "2023-01-01T00:00:00Z", "temperature": 23.5, "humidity": 45.2,
         "location": "room1"},
        {"time": "2023-01-01T01:00:00Z", "temperature": 24.1, "humidity": 43.1,
         "location": "room2"},
        {"time": "2023-01-01T02:00:00Z", "temperature": 22.8, "humidity": 46.8,
         "location": "room3"},
    ]


def test_example_asynchronous_write(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import Point  # noqa: I001 (the seed's order)

    import asyncio
    from influxkit.compat.influxdb_client.client.influxdb_client_async import (
        InfluxDBClientAsync,
    )

    async def write_data():
        async with InfluxDBClientAsync(url=target.url, token=target.token) as client:
            write_api = client.write_api()

            point = Point("async_measurement") \
                .tag("source", "async") \
                .field("value", 42.0)

            await write_api.write(bucket=bucket, record=point)

    asyncio.run(write_data())

    [point] = target.stored(bucket, "async_measurement")
    assert (point["source"], point["value"]) == ("async", 42.0)
    # Without an organisation, 2.x takes the write on /write (its DBRP mapping).
    assert [r.path for r in target.proxy.requests if "write" in r.path] == ["/write"]


def test_example_point_method_chaining(target: Target, bucket: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from influxkit.compat.influxdb_client import Point, WritePrecision  # noqa: I001
    from datetime import datetime

    with pytest.raises(LineProtocolError, match="not a whole number of seconds"):
        # Method chaining
        point = Point("cpu_usage") \
            .tag("host", "server1") \
            .tag("region", "us-west") \
            .field("usage_percent", 85.2) \
            .field("core_count", 8) \
            .time(datetime.utcnow(), WritePrecision.S)
    # (so the example's print(point.to_line_protocol()) is not reached). At a whole second:
    now = datetime.utcnow().replace(microsecond=0)
    point = Point("cpu_usage") \
        .tag("host", "server1") \
        .tag("region", "us-west") \
        .field("usage_percent", 85.2) \
        .field("core_count", 8) \
        .time(now, WritePrecision.S)

    print(point.to_line_protocol())
    seconds = int(now.replace(tzinfo=timezone.utc).timestamp())
    assert capsys.readouterr().out == (
        f"cpu_usage,host=server1,region=us-west usage_percent=85.2,core_count=8i {seconds}\n")

    write(target, bucket, point)
    assert target.stored(bucket, "cpu_usage") == [
        {"time": rfc3339(seconds), "host": "server1", "region": "us-west",
         "usage_percent": 85.2, "core_count": 8}]


def test_example_point_from_dict(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import Point, WritePrecision  # noqa: I001
    from datetime import datetime

    data = {
        "measurement": "sensor_data",
        "tags": {"location": "warehouse", "sensor_id": "temp001"},
        "fields": {"temperature": 23.5, "battery": 87},
        "time": datetime.utcnow()
    }
    if data["time"].microsecond % 1000:
        # utcnow() has microseconds, which milliseconds cannot hold (influxdb-client
        # would cut them off): refused.
        with pytest.raises(LineProtocolError, match="not a whole number of milliseconds"):
            point = Point.from_dict(data, WritePrecision.MS)
        data["time"] = data["time"].replace(microsecond=data["time"].microsecond // 1000 * 1000)
    point = Point.from_dict(data, WritePrecision.MS)

    assert point.write_precision == WritePrecision.MS
    write(target, bucket, point)
    assert target.stored(bucket, "sensor_data") == [
        {"time": rfc3339_ms(data["time"]), "location": "warehouse", "sensor_id": "temp001",
         "temperature": 23.5, "battery": 87}]


def test_example_timestamp_formats(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import Point, WritePrecision  # noqa: I001
    from datetime import datetime
    import time

    with pytest.raises(LineProtocolError, match="not a whole number of seconds"):
        # Using datetime object
        point1 = Point("test").field("value", 1).time(datetime.utcnow(), WritePrecision.S)

    # influxdb-client refuses a float time too (ValueError, when it writes); here it is
    # refused at once, as a ValueError that is also this layer's LineProtocolError.
    with pytest.raises(LineProtocolError, match="fractional part"):
        # Using Unix timestamp
        point2 = Point("test").field("value", 2).time(time.time(), WritePrecision.S)

    # Using string timestamp (RFC3339)
    point3 = Point("test").field("value", 3).time("2023-01-01T12:00:00Z", WritePrecision.S)

    # Using nanosecond timestamp
    point4 = Point("test").field("value", 4).time(1640995200000000000, WritePrecision.NS)

    # And the first two, as influxkit takes them: whole seconds.
    point1 = Point("test").field("value", 1).time(datetime(2023, 1, 2), WritePrecision.S)
    seconds = int(time.time())
    point2 = Point("test").field("value", 2).time(seconds, WritePrecision.S)
    write(target, bucket, [point1, point2, point3, point4])
    assert target.stored(bucket, "test") == [
        {"time": "2022-01-01T00:00:00Z", "value": 4},
        {"time": "2023-01-01T12:00:00Z", "value": 3},
        {"time": "2023-01-02T00:00:00Z", "value": 1},
        {"time": rfc3339(seconds), "value": 2},
    ]
    # Two precisions, two requests: each point in its own.
    assert sorted(r.params["precision"] for r in target.writes()) == ["ns", "s"]


def test_example_custom_write_options(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import InfluxDBClient, Point
    client = InfluxDBClient(url=target.url, token=target.token, org=target.org)

    from influxkit.compat.influxdb_client import WriteOptions, WriteType
    from influxkit.compat.influxdb_client.client.write.retry import WritesRetry  # noqa: F401

    # High-throughput batching configuration
    high_throughput_options = WriteOptions(
        write_type=WriteType.batching,
        batch_size=5000,
        flush_interval=500,  # 500ms
        max_retries=3,
        retry_interval=1000
    )

    # Synchronous writes with retries
    sync_options = WriteOptions(
        write_type=WriteType.synchronous,
        max_retries=5,
        retry_interval=2000,
        max_retry_delay=30000
    )

    # Use with WriteAPI
    write_api = client.write_api(write_options=high_throughput_options)

    write_api.write(bucket, record=[Point("batched").field("v", i).time(SECONDS + i, "s")
                                    for i in range(7_000)])
    client.write_api(write_options=sync_options).write(
        bucket, record=Point("synchronous").field("v", 1).time(SECONDS, "s"))
    assert len(target.stored(bucket, "synchronous")) == 1
    client.close()  # closes the batching write API, which delivers its points
    assert len(target.stored(bucket, "batched")) == 7_000
    # The batching writer's batches of at most 5,000 points, and the synchronous write
    # (the proxy counts the points of 1.x's /write).
    assert len(target.writes()) == 3
    if target.flavour is None:
        assert sorted(r.lines for r in target.writes()) == [1, 2000, 5000]


def test_example_retry_strategies(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import InfluxDBClient, Point, WriteOptions, WriteType

    # Configure exponential backoff
    exponential_options = WriteOptions(
        write_type=WriteType.batching,
        retry_interval=1000,  # Start with 1 second
        max_retry_delay=60000,  # Max 60 seconds
        exponential_base=2,  # Double the delay each time
        max_retries=5
    )

    # Configure linear backoff
    linear_options = WriteOptions(
        write_type=WriteType.batching,
        retry_interval=5000,  # 5 second intervals
        max_retry_delay=5000,  # Keep constant delay
        exponential_base=1,  # No exponential increase
        max_retries=3
    )

    with InfluxDBClient(url=target.url, token=target.token, org=target.org) as client:
        for n, options in enumerate((exponential_options, linear_options)):
            with client.write_api(write_options=options) as write_api:
                write_api.write(bucket, record=Point("m").field("v", n).time(SECONDS + n, "s"))
    assert [p["v"] for p in target.stored(bucket, "m")] == [0, 1]


def test_example_point_settings(target: Target, bucket: str) -> None:
    from influxkit.compat.influxdb_client import InfluxDBClient, Point
    from influxkit.compat.influxdb_client.client.write_api import SYNCHRONOUS
    client = InfluxDBClient(url=target.url, token=target.token, org=target.org)

    from influxkit.compat.influxdb_client import PointSettings

    # Configure default tags
    point_settings = PointSettings(default_tags={
        "environment": "production",
        "application": "sensor-collector",
        "version": "1.2.3"
    })

    # Add additional default tag
    point_settings.add_default_tag("datacenter", "us-west-2")

    # Use with WriteAPI
    write_api = client.write_api(
        write_options=SYNCHRONOUS,
        point_settings=point_settings
    )

    # All points written will automatically include default tags
    point = Point("temperature").field("value", 23.5)
    write_api.write(bucket=bucket, record=point)
    # Actual point written: temperature,environment=production,application=sensor-collector,version=1.2.3,datacenter=us-west-2 value=23.5  # noqa: E501
    client.close()

    [stored] = target.stored(bucket, "temperature")
    assert stored == {"time": stored["time"], "environment": "production",
                      "application": "sensor-collector", "version": "1.2.3",
                      "datacenter": "us-west-2", "value": 23.5}
    assert point.to_line_protocol() == "temperature value=23.5"  # the point is unchanged


def write(target: Target, bucket: str, record: Any) -> None:
    """Write synchronously, as influxdb-client's users do."""
    from influxkit.compat.influxdb_client import InfluxDBClient
    from influxkit.compat.influxdb_client.client.write_api import SYNCHRONOUS

    with InfluxDBClient(url=target.url, token=target.token, org=target.org) as client:
        client.write_api(write_options=SYNCHRONOUS).write(bucket, record=record)


# -- buckets and targets ------------------------------------------------------------------


@pytest.fixture
def client(target: Target) -> Iterator[InfluxDBClient]:
    with InfluxDBClient(url=target.url, token=target.token, org=target.org) as client:
        yield client


def test_a_bucket_db_rp_is_a_database_and_retention_policy(
        target: Target, bucket: str, client: InfluxDBClient) -> None:
    target.create_bucket(f"{bucket}/week")
    target.proxy.clear_requests()
    client.write_api(SYNCHRONOUS).write(f"{bucket}/week", record=f"m v=1 {SECONDS}",
                                        write_precision="s")
    with client.write_api() as write_api:
        write_api.write(f"{bucket}/week", record=f"m v=2 {SECONDS + 1}", write_precision="s")
    assert [p["v"] for p in target.stored(f"{bucket}/week", "m")] == [1, 2]
    assert target.stored(bucket, "m") == []  # not in the default retention policy
    if target.flavour is None:
        assert [(r.params["db"], r.params["rp"]) for r in target.writes()] == [
            (bucket, "week")] * 2
    else:
        assert [r.params["bucket"] for r in target.writes()] == [f"{bucket}/week"] * 2


def test_every_record_kind(target: Target, bucket: str, client: InfluxDBClient) -> None:
    @dataclasses.dataclass
    class Car:
        engine: str
        speed: float

    frame = pd.DataFrame({"when": [SECONDS, SECONDS + 1], "host": ["a", "b"],
                          "load": [0.5, 0.75]})
    write_api = client.write_api(SYNCHRONOUS)
    write_api.write(bucket, record=[
        Point("point").field("v", 1).time(SECONDS, "s"),
        f"text v=2 {SECONDS}".encode(),
        {"measurement": "dict", "tags": {"t": "x"}, "fields": {"v": 3}, "time": SECONDS},
    ], write_precision="s")
    write_api.write(bucket, record=Car("12V", 1.5), write_precision="s",
                    record_measurement_name="car", record_field_keys=["speed"],
                    record_tag_keys=["engine"])
    write_api.write(bucket, record=frame, write_precision="s",
                    data_frame_measurement_name="frame", data_frame_tag_columns=["host"],
                    data_frame_timestamp_column="when")
    at = rfc3339(SECONDS)
    assert target.stored(bucket, "point") == [{"time": at, "v": 1}]
    assert target.stored(bucket, "text") == [{"time": at, "v": 2}]
    assert target.stored(bucket, "dict") == [{"time": at, "t": "x", "v": 3}]
    [car] = target.stored(bucket, "car")
    assert (car["engine"], car["speed"]) == ("12V", 1.5)
    assert target.stored(bucket, "frame") == [
        {"time": at, "host": "a", "load": 0.5},
        {"time": rfc3339(SECONDS + 1), "host": "b", "load": 0.75}]


# -- batching ---------------------------------------------------------------------------


def test_closing_the_client_delivers_every_batched_point(target: Target, bucket: str) -> None:
    batches: list[int] = []
    client = InfluxDBClient(url=target.url, token=target.token, org=target.org)
    write_api = client.write_api(
        write_options=WriteOptions(batch_size=1_000, flush_interval=600_000),
        success_callback=lambda conf, data: batches.append(len(data.splitlines())))
    for i in range(2_500):
        write_api.write(bucket, record=Point("m").field("v", i).time(SECONDS + i, "s"))
    client.close()  # the write API was never closed: the client closes it
    assert len(target.stored(bucket, "m")) == 2_500
    assert sorted(batches) == [500, 1_000, 1_000]
    assert len(target.writes()) == 3


def test_a_write_api_dropped_unclosed_is_delivered_by_the_clients_close(
        target: Target, bucket: str) -> None:
    client = InfluxDBClient(url=target.url, token=target.token, org=target.org)
    client.write_api(write_options=WriteOptions(flush_interval=600_000)).write(
        bucket, record=f"m v=1 {SECONDS}", write_precision="s")
    gc.collect()  # influxdb-client flushes a write API when it is collected
    assert target.writes() == []
    client.close()
    assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]


def test_flush_delivers_what_is_buffered(target: Target, bucket: str,
                                         client: InfluxDBClient) -> None:
    with client.write_api(write_options=WriteOptions(flush_interval=600_000)) as write_api:
        write_api.write(bucket, record=f"m v=1 {SECONDS}", write_precision="s")
        assert target.writes() == []
        write_api.flush()  # influxdb-client's does nothing
        assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]


class Callbacks:
    """influxdb-client's batching callbacks, recording their calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.settled = threading.Event()

    def success(self, conf: tuple[str, str, str], data: bytes) -> None:
        self.calls.append(("success", conf, data))
        self.settled.set()

    def error(self, conf: tuple[str, str, str], data: bytes, exception: Exception) -> None:
        self.calls.append(("error", conf, data, exception))
        self.settled.set()

    def retry(self, conf: tuple[str, str, str], data: bytes, exception: Exception) -> None:
        self.calls.append(("retry", conf, data, exception))


def test_success_and_error_callbacks(target: Target, bucket: str,
                                     client: InfluxDBClient) -> None:
    callbacks = Callbacks()
    write_api = client.write_api(
        write_options=WriteOptions(batch_size=10, flush_interval=600_000),
        success_callback=callbacks.success, error_callback=callbacks.error,
        retry_callback=callbacks.retry)
    write_api.write(bucket, record=[f"m v={i} {SECONDS + i}" for i in range(3)],
                    write_precision="s")
    write_api.flush()
    assert callbacks.settled.wait(10)
    callbacks.settled.clear()
    write_api.write("no_such_bucket", record=f"m v=1 {SECONDS}", write_precision="s")
    write_api.close()  # the error callback took the failure: nothing raised
    assert callbacks.settled.wait(10)

    [success, error] = callbacks.calls
    assert success == ("success", (bucket, target.org, "s"),
                       f"m v=0 {SECONDS}\nm v=1 {SECONDS + 1}\nm v=2 {SECONDS + 2}".encode())
    assert error[:3] == ("error", ("no_such_bucket", target.org, "s"),
                         f"m v=1 {SECONDS}".encode())
    exception = error[3]
    assert isinstance(exception, ApiException)
    assert isinstance(exception, influxkit.InfluxDBWriteError)
    assert exception.status == 404
    assert [r.status for r in target.writes()] == [204, 404]  # a 404 is not retried


def test_the_retry_callback_on_a_503(target: Target, bucket: str,
                                     client: InfluxDBClient) -> None:
    callbacks = Callbacks()
    target.proxy.respond(503, b'{"error":"overloaded"}', {"Retry-After": "0"},
                         path=target.write_path)
    with client.write_api(write_options=WriteOptions(retry_interval=10, max_retry_delay=10),
                          success_callback=callbacks.success,
                          retry_callback=callbacks.retry) as write_api:
        write_api.write(bucket, record=Point("m").field("v", 1).time(SECONDS, "s"))
    assert callbacks.settled.wait(10)

    conf, data = (bucket, target.org, "s"), f"m v=1i {SECONDS}".encode()
    [retry, success] = callbacks.calls
    assert retry[:3] == ("retry", conf, data)
    assert isinstance(retry[3], ApiException)
    assert isinstance(retry[3], influxkit.ServerUnavailableError)
    assert (retry[3].status, retry[3].retry_after) == (503, 0.0)
    assert success == ("success", conf, data)
    assert [r.status for r in target.writes()] == [503, 204]
    assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]


def test_undelivered_batches_raise_from_flush_and_close(target: Target, bucket: str,
                                                       client: InfluxDBClient) -> None:
    write_api = client.write_api(write_options=WriteOptions(
        flush_interval=600_000, max_retries=1, retry_interval=10, max_retry_delay=10))
    write_api.write("no_such_bucket", record=f"m v=1 {SECONDS}", write_precision="s")
    with pytest.raises(WriteApiError) as refused:
        write_api.flush()
    assert type(refused.value) is WriteApiError  # a 404 is not retried
    assert isinstance(refused.value, InfluxDBError)
    assert isinstance(refused.value, influxkit.WriterError)
    [(batch, error)] = refused.value.failures
    assert (batch.points, error.status) == (1, 404)
    assert isinstance(error, ApiException)

    target.proxy.respond(503, b'{"error":"overloaded"}', count=None, path=target.write_path)
    write_api.write(bucket, record=f"m v=1 {SECONDS}", write_precision="s")
    with pytest.raises(WriteRetryError) as given_up:
        write_api.close()
    [(_, error)] = given_up.value.failures
    assert error.status == 503
    assert [r.status for r in target.writes()] == [404, 503, 503]  # one retry


# -- synchronous and asynchronous ---------------------------------------------------------


def test_a_synchronous_error_is_an_api_exception(target: Target, bucket: str,
                                                 client: InfluxDBClient) -> None:
    write_api = client.write_api(SYNCHRONOUS)
    with pytest.raises(ApiException) as caught:
        write_api.write("no_such_bucket", record="m v=1")
    error = caught.value
    assert isinstance(error, InfluxDBError)
    assert isinstance(error, influxkit.InfluxDBWriteError)
    assert (error.status, error.reason) == (404, "Not Found")
    assert "no_such_bucket" in error.message
    assert json.loads(error.body)["message"] == error.message
    assert error.headers["X-Influxdb-Version"]
    assert isinstance(error, influxkit.DatabaseNotFoundError)  # 1.x's and 2.x's wording
    assert error.database == "no_such_bucket"

    target.proxy.respond(503, b'{"error":"overloaded"}', path=target.write_path)
    with pytest.raises(ApiException) as unavailable:
        write_api.write(bucket, record="m v=1")  # SYNCHRONOUS: not retried
    assert unavailable.value.status == 503
    assert [r.status for r in target.writes()] == [404, 503]


def test_synchronous_writes_retry_with_retry_options(target: Target, bucket: str,
                                                     client: InfluxDBClient) -> None:
    target.proxy.respond(503, b'{"error":"overloaded"}', path=target.write_path)
    write_api = client.write_api(WriteOptions(write_type=WriteType.synchronous,
                                              max_retries=2, retry_interval=10))
    write_api.write(bucket, record=f"m v=1 {SECONDS}", write_precision="s")
    assert [r.status for r in target.writes()] == [503, 204]
    assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]


def test_synchronous_writes_retry_with_the_clients_retries(target: Target,
                                                           bucket: str) -> None:
    target.proxy.respond(503, b'{"error":"overloaded"}', path=target.write_path)
    with InfluxDBClient(url=target.url, token=target.token, org=target.org,
                        retries=WritesRetry(total=2, retry_interval=0.01)) as client:
        client.write_api(SYNCHRONOUS).write(bucket, record=f"m v=1 {SECONDS}",
                                            write_precision="s")
    assert [r.status for r in target.writes()] == [503, 204]


async def test_the_async_client_retries_with_the_clients_retries(target: Target,
                                                                 bucket: str) -> None:
    target.proxy.respond(503, b'{"error":"overloaded"}', path=target.write_path)
    async with InfluxDBClientAsync(url=target.url, token=target.token, org=target.org,
                                   retries=WritesRetry(total=2, retry_interval=0.01)
                                   ) as client:
        await client.write_api().write(bucket, record=f"m v=1 {SECONDS}",
                                       write_precision="s")
    assert [r.status for r in target.writes()] == [503, 204]
    assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]


def test_asynchronous_writes_return_their_result(target: Target, bucket: str,
                                                 client: InfluxDBClient) -> None:
    with pytest.warns(DeprecationWarning, match="asynchronous"):
        write_api = client.write_api(write_options=ASYNCHRONOUS)
    result = write_api.write(bucket, record=f"m v=1 {SECONDS}", write_precision="s")
    assert result.get(timeout=10) is None
    assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]
    failed = write_api.write("no_such_bucket", record="m v=1")
    with pytest.raises(ApiException) as caught:
        failed.get(timeout=10)
    assert caught.value.status == 404


async def test_the_async_client(target: Target, bucket: str) -> None:
    async with InfluxDBClientAsync(url=target.url, token=target.token, org=target.org,
                                   default_tags={"from": "async"}) as client:
        assert await client.ping() is True
        assert await client.build() == "OSS"
        assert (await client.version()).startswith("1.6.7" if target.flavour is None
                                                   else "v2.7")
        write_api = client.write_api(point_settings=PointSettings(site="ams1"))
        assert await write_api.write(bucket, record=[
            Point("m").tag("site", "own").field("v", 1).time(SECONDS, "s"),
            f"m v=2i {SECONDS + 1}"], write_precision="s") is True
        with pytest.raises(ApiException) as caught:
            await write_api.write("no_such_bucket", record="m v=1")
        assert caught.value.status == 404
        with pytest.raises(LineProtocolError):
            await write_api.write(bucket, record=Point("m").field("v", float("nan")))
        await write_api.close()
    # The point's own tag wins over a default tag; line protocol text takes none.
    assert target.stored(bucket, "m") == [
        {"time": rfc3339(SECONDS), "from": "async", "site": "own", "v": 1},
        {"time": rfc3339(SECONDS + 1), "v": 2}]
    assert [r.status for r in target.writes()] == [204, 204, 404]


# -- default tags, the environment -----------------------------------------------------------


def test_default_tags_from_the_environment(target: Target, bucket: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFLUXDB_V2_URL", target.url)
    monkeypatch.setenv("INFLUXDB_V2_TOKEN", target.token)
    monkeypatch.setenv("INFLUXDB_V2_ORG", target.org)
    monkeypatch.setenv("INFLUXDB_V2_TAG_SITE", "ams1")
    monkeypatch.setenv("RACK", "r12")
    with InfluxDBClient.from_env_properties() as client:
        write_api = client.write_api(SYNCHRONOUS, PointSettings(rack="${env.RACK}"))
        write_api.write(bucket, record=Point("m").field("v", 1).time(SECONDS, "s"))
        record = {"measurement": "m", "tags": {"site": "own"}, "fields": {"v": 2},
                  "time": SECONDS + 1}
        write_api.write(bucket, record=record, write_precision="s")
        assert record["tags"] == {"site": "own"}  # influxdb-client adds the default tags
    assert target.stored(bucket, "m") == [
        {"time": rfc3339(SECONDS), "rack": "r12", "site": "ams1", "v": 1},
        {"time": rfc3339(SECONDS + 1), "rack": "r12", "site": "own", "v": 2}]
    if target.flavour is not None:
        assert {r.params["org"] for r in target.writes()} == {target.org}


def test_a_wrong_token_is_an_authentication_error(target: Target, bucket: str) -> None:
    if target.flavour is None:
        pytest.skip("the suite's influxd 1.6.7 runs without authentication")
    with InfluxDBClient(url=target.url, token="wrong", org=target.org) as client, \
            pytest.raises(ApiException) as caught:
        client.write_api(SYNCHRONOUS).write(bucket, record="m v=1")
    assert caught.value.status == 401
    assert isinstance(caught.value, influxkit.AuthenticationError)
    assert "wrong" not in str(caught.value)


def test_refused_data_sends_nothing(target: Target, bucket: str,
                                    client: InfluxDBClient) -> None:
    write_api = client.write_api(SYNCHRONOUS)
    batching = client.write_api()
    for api in (write_api, batching):
        with pytest.raises(LineProtocolError) as caught:
            # The first point is good: nothing of the write is sent all the same.
            api.write(bucket, record=[{"measurement": "m", "fields": {"v": 1}},
                                      {"measurement": "m", "fields": {"v": float("nan")}}])
        assert caught.value.value != caught.value.value  # NaN, named
        with pytest.raises(LineProtocolError, match="no fields"):
            api.write(bucket, record=Point("m").tag("t", "a"))
    batching.close()
    assert target.writes() == []


# -- queries, buckets, the server ------------------------------------------------------------


def test_query_api_shows_the_way_to_query(target: Target, bucket: str,
                                          client: InfluxDBClient) -> None:
    client.write_api(SYNCHRONOUS).write(bucket, record=f"temperature value=21.5 {SECONDS}",
                                        write_precision="s")
    with pytest.raises(NotSupportedError, match="Flux queries are not supported") as caught:
        client.query_api()
    assert isinstance(caught.value, NotImplementedError)
    # The way the message shows works.
    assert "client.influxkit.query(" in str(caught.value)
    answer = client.influxkit.query('SELECT "value" FROM "temperature"', db=bucket,
                                    epoch="s")
    assert answer["results"][0]["series"][0]["values"] == [[SECONDS, 21.5]]


def test_buckets(target: Target, bucket: str, client: InfluxDBClient) -> None:
    buckets_api = client.buckets_api()
    name = f"{bucket}_new"
    created = buckets_api.create_bucket(bucket_name=name, org=target.org)
    try:
        assert created.name == name
        assert buckets_api.find_bucket_by_name(name) == created
        assert name in [b.name for b in buckets_api.find_buckets().buckets]
        client.write_api(SYNCHRONOUS).write(name, record=f"m v=1 {SECONDS}",
                                            write_precision="s")
        assert target.stored(name, "m") == [{"time": rfc3339(SECONDS), "v": 1}]
        with pytest.raises(NotSupportedError, match="retention"):
            buckets_api.create_bucket(bucket_name="other", retention_rules=[
                {"type": "expire", "every_seconds": 3600}])
    finally:
        buckets_api.delete_bucket(created)
    assert buckets_api.find_bucket_by_name(name) is None


def test_the_server(target: Target, client: InfluxDBClient) -> None:
    assert client.ping() is True
    assert client.build() == "OSS"
    expected = "1.6.7" if target.flavour is None else "v2.7.11"
    assert client.version().startswith(expected)
    with pytest.warns(DeprecationWarning, match="ping"):
        health = client.health()
    if target.flavour is None:  # 1.6.7 has no /health
        assert health.status == "fail"
        assert "/health" in health.message
    else:
        assert (health.status, health.version) == ("pass", "v2.7.11")
    with InfluxDBClient(url="http://127.0.0.1:9", token="t") as nowhere:
        assert nowhere.ping() is False


async def test_run_inside_a_running_loop(target: Target, bucket: str) -> None:
    # Blocking code inside a coroutine (Jupyter): the blocking client runs its own loop.
    with InfluxDBClient(url=target.url, token=target.token, org=target.org) as client:
        client.write_api(SYNCHRONOUS).write(bucket, record=f"m v=1 {SECONDS}",
                                            write_precision="s")
    await asyncio.sleep(0)
    assert target.stored(bucket, "m") == [{"time": rfc3339(SECONDS), "v": 1}]


def test_influxdb_1x_credentials_as_the_token(influxdb_auth_server: InfluxDBServer) -> None:
    # InfluxDB 1.8's documented way for this client: token "username:password", org "-".
    server = influxdb_auth_server
    bucket = f"compat_{uuid.uuid4().hex[:12]}"
    server.query(f'CREATE DATABASE "{bucket}"')
    try:
        url = f"http://{server.host}:{server.port}"
        token = f"{server.admin_username}:{server.admin_password}"
        with InfluxDBClient(url=url, token=token, org="-") as client, \
                client.write_api(write_options=SYNCHRONOUS) as write_api:
            write_api.write(bucket=f"{bucket}/autogen", record=f"mem used=23.5 {SECONDS}",
                            write_precision="s")

        async def write_async() -> None:
            async with InfluxDBClientAsync(url=url, token=token, org="-") as client:
                assert await client.write_api().write(
                    bucket=bucket, record=f"mem used=24.5 {SECONDS + 1}",
                    write_precision="s") is True

        asyncio.run(write_async())
        answer = server.query('SELECT "used" FROM "mem"', db=bucket)
        assert answer["results"][0]["series"][0]["values"] == [
            [rfc3339(SECONDS), 23.5], [rfc3339(SECONDS + 1), 24.5]]
        with InfluxDBClient(url=url, token=f"{server.admin_username}:wrong-pw",
                            org="-") as client, pytest.raises(ApiException) as caught:
            client.write_api(write_options=SYNCHRONOUS).write(bucket=bucket, record="m v=1")
        assert caught.value.status == 401
        assert "wrong-pw" not in str(caught.value)
    finally:
        server.query(f'DROP DATABASE "{bucket}"')
