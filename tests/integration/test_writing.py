"""The writing conveniences against a real influxd: write_points (points and
DataFrames), Point round trips, write_measurement, and default tags."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import math
from typing import Any

import pandas as pd
import polars as pl
import pytest

from influxkit import InfluxDBClient, LineProtocolError, Measurement, Point
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server

T0 = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z


def rows(server: InfluxDBServer, db: str, query: str) -> list[dict[str, Any]]:
    """The rows of a query, as dicts, from every series."""
    result = server.query(query, db=db)["results"][0]
    return [dict(zip(series["columns"], values, strict=True))
            for series in result.get("series", []) for values in series["values"]]


def select(server: InfluxDBServer, db: str, what: str, source: str) -> list[dict[str, Any]]:
    return rows(server, db, f"SELECT {what} FROM {source}")


def ns(text: str) -> int:
    """Nanoseconds since the epoch of the server's RFC 3339 time (``...Z``)."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    moment = dt.datetime.fromisoformat(whole).replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp()) * 10**9 + int(fraction.ljust(9, "0") or 0)


def epoch_ns(server: InfluxDBServer, db: str, source: str) -> list[int]:
    return [ns(row["time"]) for row in select(server, db, "*", source)]


def post_writes(caplog: pytest.LogCaptureFixture) -> int:
    # /write, or the server's own write endpoint (/api/v2/write, /api/v3/write_lp).
    requests = [tuple(record.args)[:2] for record in caplog.records
                if record.name == "influxkit" and record.args]
    return sum(1 for method, *endpoint in requests
               if method == "POST" and "write" in str(endpoint))


# -- write_points: points ----------------------------------------------------------------


def test_write_points_of_the_influxdb_python_readme(influxdb_server: InfluxDBServer,
                                                    database: str,
                                                    blocking: InfluxDBClient) -> None:
    json_body = [{
        "measurement": "cpu_load_short",
        "tags": {"host": "server01", "region": "us-west"},
        "time": "2009-11-10T23:00:00Z",
        "fields": {"value": 0.64},
    }]
    assert blocking.write_points(json_body) is True
    assert epoch_ns(influxdb_server, database, "cpu_load_short") == [1257894000000000000]
    assert select(influxdb_server, database, "value, host, region", "cpu_load_short")[0] \
        == {"time": "2009-11-10T23:00:00Z", "value": 0.64, "host": "server01",
            "region": "us-west"}


def test_shared_tags_go_under_each_points_own(influxdb_server: InfluxDBServer,
                                              database: str, blocking: InfluxDBClient) -> None:
    points = [
        {"measurement": "m", "tags": {"host": "own"}, "fields": {"v": 1}, "time": T0 + 1},
        {"measurement": "m", "tags": {"host": ""}, "fields": {"v": 2}, "time": T0 + 2},
        {"measurement": "m", "fields": {"v": 3}, "time": T0 + 3},
        Point("m").tag("host", "point").field("v", 4).time(T0 + 4),
    ]
    shared = {"host": "shared", "region": "eu"}
    blocking.write_points(points, tags=shared)
    found = select(influxdb_server, database, "v, host, region", "m")
    assert [(r["v"], r["host"], r["region"]) for r in found] == [
        (1, "own", "eu"), (2, "shared", "eu"), (3, "shared", "eu"), (4, "point", "eu")]
    assert shared == {"host": "shared", "region": "eu"}
    assert points[2] == {"measurement": "m", "fields": {"v": 3}, "time": T0 + 3}


def test_batch_size_splits_the_write_into_requests(influxdb_server: InfluxDBServer,
                                                   database: str, blocking: InfluxDBClient,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    points = [{"measurement": "m", "fields": {"v": i}, "time": T0 + i} for i in range(1, 1001)]
    with caplog.at_level(logging.DEBUG, logger="influxkit"):
        assert blocking.write_points(points, batch_size=300) is True
    assert post_writes(caplog) == 4
    assert select(influxdb_server, database, "count(v)", "m")[0]["count"] == 1000


@pytest.mark.influxdb1(reason="the retention policy is made on influxd directly: 2.x would "
                               "need a DBRP mapping for it (test_every_server covers 2.x's)")
def test_retention_policy_and_database(influxdb_server: InfluxDBServer, database: str,
                                       blocking: InfluxDBClient) -> None:
    influxdb_server.query(f'CREATE RETENTION POLICY "short" ON "{database}" DURATION 2h '
                          "REPLICATION 1")
    other = database + "_other"
    influxdb_server.create_database(other)
    try:
        now = int(dt.datetime.now(dt.timezone.utc).timestamp())
        blocking.write_points([{"measurement": "m", "fields": {"v": 1}, "time": now}],
                              "s", retention_policy="short")
        blocking.write_points([{"measurement": "m", "fields": {"v": 2}}], database=other)
        assert [r["v"] for r in select(influxdb_server, database, "v", '"short"."m"')] == [1]
        assert select(influxdb_server, database, "v", '"autogen"."m"') == []
        assert [r["v"] for r in select(influxdb_server, other, "v", "m")] == [2]
    finally:
        influxdb_server.drop_database(other)


@pytest.mark.parametrize(("precision", "unit"), [
    ("n", 1), ("ns", 1), ("u", 1_000), ("ms", 1_000_000), ("s", 10**9), ("m", 60 * 10**9),
    ("h", 3600 * 10**9),
])
def test_time_precision_of_integer_times(influxdb_server: InfluxDBServer, database: str,
                                         blocking: InfluxDBClient, precision: str,
                                         unit: int) -> None:
    # The same instant, in each unit.
    blocking.write_points([{"measurement": "m", "fields": {"v": 1}, "time": T0 // unit}],
                          time_precision=precision)
    assert epoch_ns(influxdb_server, database, "m") == [T0]


def test_a_datetime_finer_than_the_precision_is_refused_before_sending(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    points = [
        {"measurement": "m", "fields": {"v": 1}, "time": dt.datetime(2020, 1, 1)},
        {"measurement": "m", "fields": {"v": 2}, "time": dt.datetime(2020, 1, 1, 0, 0, 1, 5)},
    ]
    with pytest.raises(LineProtocolError, match="whole number of seconds") as caught:
        blocking.write_points(points, time_precision="s")
    assert caught.value.index == 1
    assert select(influxdb_server, database, "v", "m") == []
    blocking.write_points(points, time_precision="u")
    assert epoch_ns(influxdb_server, database, "m") == [1577836800000000000,
                                                        1577836801000005000]


async def test_write_points_in_async_mode(influxdb_server: InfluxDBServer, database: str,
                                          client: InfluxDBClient) -> None:
    result = await client.write_points([{"measurement": "m", "fields": {"v": 1}, "time": T0}],
                                       tags={"t": "x"}, batch_size=1)
    assert result is True
    assert select(influxdb_server, database, "v, t", "m")[0]["t"] == "x"


def test_line_protocol_points(influxdb_server: InfluxDBServer, database: str,
                              blocking: InfluxDBClient) -> None:
    blocking.write_points(["m v=1i 1", "m v=2i 2"], protocol="line")
    assert [r["v"] for r in select(influxdb_server, database, "v", "m")] == [1, 2]
    with pytest.raises(LineProtocolError, match="already encoded"):
        blocking.write_points(["m v=3i 3"], protocol="line", tags={"t": "x"})


def test_write_points_refuses_what_it_cannot_honour(blocking: InfluxDBClient) -> None:
    points = [{"measurement": "m", "fields": {"v": 1}}]
    with pytest.raises(ValueError, match="invalid protocol 'msgpack'"):
        blocking.write_points(points, protocol="msgpack")
    with pytest.raises(ValueError, match="consistency"):
        blocking.write_points(points, consistency="all")
    with pytest.raises(ValueError, match="shared tags named 'db', 'rp'"):
        blocking.write_points(points, tags={"db": "x", "rp": "y", "host": "z"})
    with pytest.raises(TypeError, match=r"write_points\(\) of points: .*'measurement'"):
        blocking.write_points(points, measurement="m")
    with pytest.raises(TypeError, match=r"write_points\(\) of a DataFrame: .*measurement"):
        blocking.write_points(pd.DataFrame({"v": [1]}, index=pd.DatetimeIndex(["2020"])))
    with pytest.raises(LineProtocolError, match="NaN"):
        blocking.write_points([*points, {"measurement": "m", "fields": {"v": math.nan}}])


# -- write_points: DataFrames (DataFrameClient) ----------------------------------------------


def test_pandas_tutorial_of_influxdb_python(influxdb_server: InfluxDBServer, database: str,
                                            blocking: InfluxDBClient) -> None:
    df = pd.DataFrame(data=list(range(30)),
                      index=pd.date_range(start="2014-11-16", periods=30, freq="h"))
    for protocol in ("json", "line"):
        assert blocking.write_points(df, "demo", protocol=protocol) is True
    blocking.write_points(df, "demo", {"k1": "v1", "k2": "v2"}, protocol="json")
    assert list(df.columns) == [0]  # the caller's frame is unchanged
    found = select(influxdb_server, database, '"0", k1, k2', "demo")
    assert len(found) == 60
    assert [r["0"] for r in found if r["k1"] is None] == list(range(30))
    assert {(r["k1"], r["k2"]) for r in found if r["k1"] is not None} == {("v1", "v2")}
    assert found[0]["time"] == "2014-11-16T00:00:00Z"


def test_dataframe_tag_columns_field_columns_and_shared_tags(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    df = pd.DataFrame({"host": ["a", None, "c"], "load": [0.5, 0.6, 0.7], "n": [1, 2, 3],
                       "skip": ["x", "y", "z"]},
                      index=pd.date_range("2020-01-01", periods=3, freq="s", tz="UTC"))
    blocking.write_points(df, "cpu", {"host": "shared", "dc": "eu"}, ["host"], ["load", "n"],
                          "s", retention_policy="autogen", batch_size=2)
    found = select(influxdb_server, database, "*", "cpu")
    assert [(r["host"], r["dc"], r["load"], r["n"]) for r in found] == [
        ("a", "eu", 0.5, 1), ("shared", "eu", 0.6, 2), ("c", "eu", 0.7, 3)]
    assert "skip" not in found[0]


def test_dataframe_finer_than_the_precision_is_refused(influxdb_server: InfluxDBServer,
                                                       database: str,
                                                       blocking: InfluxDBClient) -> None:
    df = pd.DataFrame({"v": [1.0]}, index=pd.DatetimeIndex(["2020-01-01T00:00:00.5"]))
    with pytest.raises(LineProtocolError):
        blocking.write_points(df, "m", time_precision="s")
    assert select(influxdb_server, database, "v", "m") == []


def test_polars_dataframe(influxdb_server: InfluxDBServer, database: str,
                          blocking: InfluxDBClient) -> None:
    df = pl.DataFrame({"time": [dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2)],
                       "host": ["a", "b"], "v": [1.5, 2.5], "w": [1, 2]})
    blocking.write_points(df, "pm", tag_columns=["host"], field_columns=["v"])
    found = select(influxdb_server, database, "*", "pm")
    assert [(r["host"], r["v"]) for r in found] == [("a", 1.5), ("b", 2.5)]
    assert "w" not in found[0]


def test_non_string_column_names_that_collide_are_refused(blocking: InfluxDBClient) -> None:
    df = pd.DataFrame([[1, 2]], columns=[1, "1"], index=pd.DatetimeIndex(["2020"]))
    with pytest.raises(ValueError, match="not distinct"):
        blocking.write_points(df, "m")


# -- Point round trips -------------------------------------------------------------------------


def test_points_round_trip_with_their_own_precisions(influxdb_server: InfluxDBServer,
                                                     database: str,
                                                     blocking: InfluxDBClient) -> None:
    moment = dt.datetime(2009, 11, 10, 23, 0, 0, 123456, tzinfo=dt.timezone.utc)
    points = [
        Point("m").tag("k", "s").field("v", 1).time(1257894000, "s"),
        Point("m").tag("k", "ms").field("v", 2).time(1257894000001, "ms"),
        Point("m").tag("k", "dt").field("v", 3).time(moment),
        Point("m").tag("k", "ns").field("v", 4).time("2009-11-10T23:00:00.000000007Z"),
        {"measurement": "m", "tags": {"k": "dict"}, "fields": {"v": 5},
         "time": 1257894000 * 10**9},
        Measurement("m", tags={"k": "inflow"}, timestamp=1257894001, v=6),
    ]
    assert blocking.write(points) is True
    found = {row["k"]: (ns(row["time"]), row["v"])
             for row in select(influxdb_server, database, "v, k", "m")}
    assert found == {
        "s": (1257894000000000000, 1),
        "ms": (1257894000001000000, 2),
        "dt": (1257894000123456000, 3),
        "ns": (1257894000000000007, 4),
        "dict": (1257894000000000000, 5),
        "inflow": (1257894001000000000, 6),
    }


def test_a_point_finer_than_the_writes_precision_is_refused_before_sending(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    seconds = T0 // 10**9
    points = [Point("m").field("v", 1).time(seconds, "s"),
              Point("m").field("v", 2).time(seconds * 1000 + 500, "ms")]
    with pytest.raises(LineProtocolError, match="not a whole number of seconds") as caught:
        blocking.write(points, precision="s")
    assert caught.value.index == 1
    assert caught.value.point is points[1]
    assert select(influxdb_server, database, "v", "m") == []
    blocking.write(points, precision="ms")
    assert epoch_ns(influxdb_server, database, "m") == [T0, T0 + 500 * 10**6]


async def test_points_in_async_mode_and_mixed_with_a_dataframe(
        influxdb_server: InfluxDBServer, database: str, client: InfluxDBClient) -> None:
    df = pd.DataFrame({"v": [10.0]}, index=pd.DatetimeIndex(["2020-01-01T00:00:03"]))
    await client.write([Point("m").field("v", 1.0).time(1_577_836_801, "s"),
                        {"fields": {"v": 2.0}, "time": 1_577_836_802 * 10**9}, df],
                       measurement="m")
    assert [r["v"] for r in select(influxdb_server, database, "v", "m")] == [1.0, 2.0, 10.0]


# -- write_measurement --------------------------------------------------------------------------


def test_write_measurement_as_inflow_writes(influxdb_server: InfluxDBServer, database: str,
                                            blocking: InfluxDBClient) -> None:
    assert blocking.write_measurement("temperature", value=21.3) is True
    blocking.write_measurement("temperature", tags={"location": "groningen"}, value=21.4,
                               timestamp=1475845863)
    blocking.write_measurement("temperature", timestamp=1475846182, lower_sensor=20.9,
                               upper_sensor=23.2)
    blocking.write_measurement("temperature", value=21.5, timestamp=1476191999000,
                               precision="ms")
    moment = dt.datetime(2016, 10, 7, 13, 11, 4, 250000)
    blocking.write_measurement("temperature", value=21.6, timestamp=moment)
    found = {ns(row["time"]): row for row in select(influxdb_server, database, "*",
                                                     "temperature")}
    assert found[1475845863 * 10**9]["location"] == "groningen"
    assert found[1475846182 * 10**9]["upper_sensor"] == 23.2
    assert found[1476191999 * 10**9]["value"] == 21.5
    assert found[1475845864250000000]["value"] == 21.6
    recent = select(influxdb_server, database, "value",
                    "temperature WHERE time > now() - 10m")
    assert [r["value"] for r in recent] == [21.3]  # timed by the server


@pytest.mark.influxdb1(reason="the retention policy is made on influxd directly: 2.x would "
                               "need a DBRP mapping for it (test_every_server covers 2.x's)")
async def test_write_measurement_in_async_mode_with_db_and_rp(
        influxdb_server: InfluxDBServer, database: str, client: InfluxDBClient) -> None:
    influxdb_server.query(f'CREATE RETENTION POLICY "rp_four_weeks" ON "{database}" '
                          "DURATION 4w REPLICATION 1")
    client.db = None
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    assert await client.write_measurement("temperature", value=21.3, timestamp=now,
                                          db=database, rp="rp_four_weeks") is True
    assert [r["value"] for r in select(influxdb_server, database, "value",
                                       '"rp_four_weeks"."temperature"')] == [21.3]


def test_write_measurement_refuses_bad_values_before_sending(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    with pytest.raises(LineProtocolError, match="'value'") as caught:
        blocking.write_measurement("temperature", value=math.inf)
    assert caught.value.field == "value"
    with pytest.raises(LineProtocolError, match="no fields"):
        blocking.write_measurement("temperature", tags={"a": "b"})
    with pytest.raises(LineProtocolError, match="fractional"):
        blocking.write_measurement("temperature", value=1, timestamp=1.5)
    assert select(influxdb_server, database, "*", "temperature") == []


# -- default tags ---------------------------------------------------------------------------------


def test_default_tags_never_change_the_callers_objects(influxdb_server: InfluxDBServer,
                                                       database: str) -> None:
    point = Point("m").tag("host", "own").field("v", 1).time(T0 + 1)
    mapping = {"measurement": "m", "tags": {"region": ""}, "fields": {"v": 2}, "time": T0 + 2}
    untagged = {"measurement": "m", "fields": {"v": 3}, "time": T0 + 3}
    measurement = Measurement("m", timestamp=T0 // 10**9 + 1, v=4)
    data = [point, mapping, untagged, measurement]
    shared = {"region": "eu"}
    before = copy.deepcopy([data, shared])
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking",
                        default_tags={"host": "default", "site": "s1"}) as client:
        client.write(data)
        client.write_points(data, tags=shared)
        client.write_measurement("m", timestamp=T0 // 10**9 + 5, v=5)
    assert [data, shared] == before
    assert repr(point) == repr(before[0][0])
    found = select(influxdb_server, database, "v, host, site, region", "m")
    assert {(r["v"], r["host"], r["site"], r["region"]) for r in found} == {
        (1, "own", "s1", "eu"), (2, "default", "s1", "eu"), (3, "default", "s1", "eu"),
        (4, "default", "s1", "eu"), (1, "own", "s1", None), (2, "default", "s1", None),
        (3, "default", "s1", None), (4, "default", "s1", None), (5, "default", "s1", None)}
