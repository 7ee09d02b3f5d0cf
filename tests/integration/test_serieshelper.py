"""SeriesHelper against a real influxd: bulk autocommit, per-class points, threads,
failed commits that keep their points, both client modes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from influxkit import (
    InfluxDBClient,
    InfluxDBWriteError,
    LineProtocolError,
    SeriesHelper,
)
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server

T0 = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z


def count(server: InfluxDBServer, db: str, measurement: str, field: str = "v") -> int:
    answer = server.query(f'SELECT count("{field}") FROM "{measurement}"', db=db)
    series = answer["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def rows(server: InfluxDBServer, db: str, query: str) -> list[dict[str, Any]]:
    result = server.query(query, db=db)["results"][0]
    return [dict(zip(series["columns"], values, strict=True))
            for series in result.get("series", []) for values in series["values"]]


@pytest.fixture
def missing_database(influxdb_server: InfluxDBServer) -> Iterator[str]:
    """The name of a database that does not exist yet (dropped after the test)."""
    name = f"test_missing_{uuid.uuid4().hex}"
    yield name
    influxdb_server.drop_database(name)


def test_the_influxdb_python_tutorial(influxdb_server: InfluxDBServer, database: str,
                                      blocking: InfluxDBClient) -> None:
    myclient = blocking

    class MySeriesHelper(SeriesHelper):
        """Instantiate SeriesHelper to write points to the backend."""

        class Meta:
            """Meta class stores time series helper configuration."""

            client = myclient
            series_name = "events.stats.{server_name}"
            fields: ClassVar = ["some_stat", "other_stat"]
            tags: ClassVar = ["server_name"]
            bulk_size = 5
            autocommit = True

    for stat in range(159, 155, -1):
        MySeriesHelper(server_name="us.east-1", some_stat=stat, other_stat=10)
    assert len(MySeriesHelper._json_body_()) == 4
    assert count(influxdb_server, database, "events.stats.us.east-1", "some_stat") == 0
    MySeriesHelper(server_name="us.east-1", some_stat=155, other_stat=50)
    # Five points of one series, each timed when it was made: five points stored.
    assert count(influxdb_server, database, "events.stats.us.east-1", "some_stat") == 5
    assert MySeriesHelper.commit() is True  # nothing left
    MySeriesHelper(server_name="us.east-1", some_stat=154, other_stat=60)
    body = MySeriesHelper._json_body_()
    assert len(body) == 1
    assert body[0]["measurement"] == "events.stats.us.east-1"
    assert body[0]["tags"] == {"server_name": "us.east-1"}
    assert body[0]["fields"] == {"some_stat": 154, "other_stat": 60}
    assert abs(body[0]["time"] - time.time_ns()) < 60 * 10**9
    body[0]["fields"]["some_stat"] = 0  # a copy: the recorded point is unchanged
    assert MySeriesHelper._json_body_()[0]["fields"]["some_stat"] == 154
    assert MySeriesHelper.commit() is True
    assert count(influxdb_server, database, "events.stats.us.east-1", "some_stat") == 6
    assert MySeriesHelper._json_body_() == []


@pytest.mark.influxdb1(reason="the retention policy is made on influxd directly: 2.x would "
                               "need a DBRP mapping for it (test_every_server covers 2.x's)")
def test_time_precision_retention_policy_and_time_among_the_fields(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    influxdb_server.query(f'CREATE RETENTION POLICY "short" ON "{database}" DURATION 2h '
                          "REPLICATION 1")
    now = int(time.time())

    class Events(SeriesHelper):
        class Meta:
            client = blocking
            series_name = "events"
            fields: ClassVar = ["time", "v"]  # influxdb-python's example lists 'time'
            tags: ClassVar = ["host"]
            time_precision = "s"
            retention_policy = "short"

    Events(time=now, host="a", v=1)
    Events(host="b", v=2)  # timed now, in seconds
    assert isinstance(Events._json_body_()[1]["time"], int)
    assert abs(Events._json_body_()[1]["time"] - now) <= 2
    Events.commit()
    found = rows(influxdb_server, database, 'SELECT v, host FROM "short"."events"')
    assert [(r["host"], r["v"]) for r in found] == [("a", 1), ("b", 2)]
    assert found[0]["time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def test_unrelated_helpers_and_subclasses_keep_their_own_points(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    class Cpu(SeriesHelper):
        class Meta:
            client = blocking
            series_name = "cpu"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["host"]

    class Disk(SeriesHelper):
        class Meta:
            client = blocking
            series_name = "disk"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["host"]

    class CpuCopy(Cpu):  # inherits the Meta, not the points
        pass

    class CpuCopyOfCopy(CpuCopy):
        pass

    Cpu(host="a", v=1, time=T0 + 1)
    Disk(host="a", v=2, time=T0 + 1)
    Disk(host="b", v=3, time=T0 + 2)
    CpuCopy(host="c", v=4, time=T0 + 2)
    CpuCopyOfCopy(host="d", v=5, time=T0 + 3)
    assert [p["fields"]["v"] for p in Cpu._json_body_()] == [1]
    assert [p["fields"]["v"] for p in Disk._json_body_()] == [2, 3]
    assert [p["fields"]["v"] for p in CpuCopy._json_body_()] == [4]
    assert [p["fields"]["v"] for p in CpuCopyOfCopy._json_body_()] == [5]
    Disk.commit()
    assert count(influxdb_server, database, "disk") == 2
    assert count(influxdb_server, database, "cpu") == 0
    assert [p["fields"]["v"] for p in Cpu._json_body_()] == [1]
    CpuCopyOfCopy.commit()
    assert count(influxdb_server, database, "cpu") == 1
    assert len(CpuCopy._json_body_()) == 1
    assert Cpu._reset_() == 1
    assert CpuCopy._reset_() == 1
    assert Cpu._json_body_() == []


def test_threads_record_and_commit_at_once(influxdb_server: InfluxDBServer, database: str,
                                           blocking: InfluxDBClient) -> None:
    class Load(SeriesHelper):
        class Meta:
            client = blocking
            series_name = "load"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["thread"]
            bulk_size = 16
            autocommit = True

    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(thread: int) -> None:
        try:
            start.wait()
            for i in range(1, 51):
                Load(thread=str(thread), v=i, time=T0 + i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(Load._json_body_()) < 16
    Load.commit()
    assert count(influxdb_server, database, "load") == 400
    answer = influxdb_server.query('SELECT sum(v) FROM "load" GROUP BY "thread"', db=database)
    assert [s["values"][0][1] for s in answer["results"][0]["series"]] == [1275] * 8


def test_a_failed_commit_keeps_its_points(influxdb_server: InfluxDBServer,
                                          blocking: InfluxDBClient,
                                          missing_database: str) -> None:
    elsewhere = InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                               db=missing_database, mode="blocking")

    class Temperature(SeriesHelper):
        class Meta:
            client = elsewhere
            series_name = "temperature"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["room"]
            bulk_size = 3
            autocommit = True

    try:
        Temperature(room="a", v=1, time=T0 + 1)
        Temperature(room="a", v=2, time=T0 + 2)
        with pytest.raises(InfluxDBWriteError, match="database not found"):
            Temperature(room="a", v=3, time=T0 + 3)  # the autocommit fails
        assert [p["fields"]["v"] for p in Temperature._json_body_()] == [1, 2, 3]
        with pytest.raises(InfluxDBWriteError):
            Temperature.commit()
        assert len(Temperature._json_body_()) == 3
        Temperature.commit(client=blocking)  # another client, on an existing database
        assert Temperature._json_body_() == []
        Temperature(room="b", v=4, time=T0 + 4)
        influxdb_server.create_database(missing_database)
        Temperature(room="b", v=5, time=T0 + 5)
        Temperature(room="b", v=6, time=T0 + 6)  # the autocommit succeeds
        assert count(influxdb_server, missing_database, "temperature") == 3
    finally:
        elsewhere.close()


async def test_an_async_client_commits_with_await(influxdb_server: InfluxDBServer,
                                                  database: str,
                                                  client: InfluxDBClient) -> None:
    class Cpu(SeriesHelper):
        class Meta:
            series_name = "cpu"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["host"]
            bulk_size = 2

    Cpu.Meta.client = client  # type: ignore[attr-defined]
    Cpu(host="a", v=1, time=T0 + 1)
    Cpu(host="a", v=2, time=T0 + 2)  # no autocommit: recorded only
    assert count(influxdb_server, database, "cpu") == 0
    assert await Cpu.commit() is True
    assert count(influxdb_server, database, "cpu") == 2

    class Auto(SeriesHelper):
        class Meta:
            series_name = "auto"
            fields: ClassVar = ["v"]
            autocommit = True

    Auto.Meta.client = client  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=r"await Auto\.commit"):
        Auto(v=1)
    assert Auto._json_body_() == []


def test_bad_points_are_refused_when_made(blocking: InfluxDBClient) -> None:
    class Cpu(SeriesHelper):
        class Meta:
            client = blocking
            series_name = "cpu.{host}"
            fields: ClassVar = ["v", "w"]
            tags: ClassVar = ["host"]

    with pytest.raises(LineProtocolError, match="NaN") as caught:
        Cpu(host="a", v=float("nan"))
    assert caught.value.field == "v"
    assert "cpu.a" in str(caught.value)
    with pytest.raises(LineProtocolError, match="no fields"):
        Cpu(host="a")
    with pytest.raises(TypeError, match="'nope', which is not a tag or field"):
        Cpu(host="a", v=1, nope=2)
    with pytest.raises(TypeError, match="needs 'host'"):
        Cpu(v=1)
    assert Cpu._json_body_() == []
    Cpu(host="a", v=1, w=None)  # a None field is left out
    assert Cpu._json_body_()[0]["fields"] == {"v": 1}
    Cpu._reset_()


@pytest.mark.parametrize(("meta", "message"), [
    ({"fields": ["v"]}, "has no series_name"),
    ({"series_name": "s"}, "has no fields"),
    ({"series_name": "s", "fields": "v"}, "must be a list of str"),
    ({"series_name": "s", "fields": []}, "fields is empty"),
    ({"series_name": "s", "fields": ["v", "v"]}, "twice"),
    ({"series_name": "s", "fields": ["v"], "tags": ["v"]}, "both a tag and a field"),
    ({"series_name": "s", "fields": ["v"], "tags": ["time"]}, "'time'"),
    ({"series_name": "s.{other}", "fields": ["v"]}, "refers to 'other'"),
    ({"series_name": "s.{}", "fields": ["v"]}, "positional"),
    ({"series_name": "s", "fields": ["v"], "bulk_size": 0}, "bulk_size"),
    ({"series_name": "s", "fields": ["v"], "autocommit": True}, "needs Meta.client"),
    ({"series_name": "s", "fields": ["v"], "time_precision": "x"}, "unknown precision"),
])
def test_invalid_meta_is_refused(meta: dict[str, Any], message: str) -> None:
    helper = type("Helper", (SeriesHelper,), {"Meta": type("Meta", (), meta)})
    with pytest.raises((TypeError, ValueError), match=message):
        helper(v=1)


def test_a_helper_without_meta_or_client_is_refused() -> None:
    class NoMeta(SeriesHelper):
        pass

    with pytest.raises(TypeError, match="no Meta"):
        NoMeta(v=1)

    class NoClient(SeriesHelper):
        class Meta:
            series_name = "s"
            fields: ClassVar = ["v"]

    NoClient(v=1)
    with pytest.raises(TypeError, match="no client"):
        NoClient.commit()
    assert NoClient._reset_() == 1
