"""The tutorials of influxdb-python and the examples of inflow, with influxkit's names.

Each test is the documented script with its imports and the client's construction
changed (influxkit's constructor keeps aioinflux's argument order, so credentials and
the database are passed by keyword, and blocking mode is asked for), then checks what
the script left on the real server. Where users and privileges are involved the
server has authentication on, as the tutorial's credentials assume.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from influxkit import InfluxDBClient, Measurement, ResultSet, SeriesHelper
from influxkit.testing import InfluxDBServer


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def admin(influxdb_auth_server: InfluxDBServer) -> Iterator[InfluxDBClient]:
    """A blocking client of the auth server, as its admin user."""
    server = influxdb_auth_server
    with InfluxDBClient(server.host, server.port, mode="blocking",
                        username=server.admin_username,
                        password=server.admin_password) as client:
        yield client


# -- influxdb-python: Tutorials - Basic ---------------------------------------------------


def test_influxdb_python_basic_tutorial(influxdb_auth_server: InfluxDBServer,
                                        admin: InfluxDBClient) -> None:
    host, port = influxdb_auth_server.host, influxdb_auth_server.port
    user = influxdb_auth_server.admin_username
    password = influxdb_auth_server.admin_password
    dbname = unique("example")
    dbuser = unique("smly")
    dbuser_password = "my_secret_password"
    query = "select Float_value from cpu_load_short;"
    # The tutorial's time (2009) is older than the 3-day retention policy it makes the
    # default, so the server would drop the point (and answer "partial write"): a
    # recent time instead.
    now = (time.time_ns() // 10**9 - 3600) * 10**9
    json_body = [
        {
            "measurement": "cpu_load_short",
            "tags": {"host": "server01", "region": "us-west"},
            "time": now,
            "fields": {
                "Float_value": 0.64,
                "Int_value": 3,
                "String_value": "Text",
                "Bool_value": True,
            },
        }
    ]
    # The tutorial's database user must exist on a server with authentication.
    admin.create_user(dbuser, dbuser_password)

    client = InfluxDBClient(host, port, username=user, password=password, db=dbname,
                            mode="blocking", output="resultset")
    client.create_database(dbname)
    client.create_retention_policy("awesome_policy", "3d", 3, default=True)
    client.grant_privilege("all", dbname, dbuser)
    client.switch_user(dbuser, dbuser_password)
    client.write_points(json_body)
    result = client.query(query)
    assert isinstance(result, ResultSet)
    assert list(result.get_points()) == [{"time": now, "Float_value": 0.64}]
    client.switch_user(user, password)
    policies = client.get_list_retention_policies(dbname)
    assert {"name": "awesome_policy", "duration": "72h0m0s", "default": True} in [
        {k: p[k] for k in ("name", "duration", "default")} for p in policies]
    client.drop_database(dbname)
    assert dbname not in [db["name"] for db in client.get_list_database()]
    client.close()
    admin.drop_user(dbuser)


# -- influxdb-python: Tutorials - pandas --------------------------------------------------


def test_influxdb_python_pandas_tutorial(influxdb_server: InfluxDBServer) -> None:
    dbname = unique("demo")
    client = InfluxDBClient(influxdb_server.host, influxdb_server.port, db=dbname,
                            mode="blocking", output="dataframe")
    df = pd.DataFrame(data=list(range(30)),
                      index=pd.date_range(start="2014-11-16", periods=30, freq="h"))
    client.create_database(dbname)
    client.write_points(df, "demo", protocol="line")
    client.write_points(df, "demo", {"k1": "v1", "k2": "v2"}, protocol="line")
    frames = client.query("select * from demo")
    assert len(frames) == 60
    tagged = frames.dropna(subset=["k1"])
    assert len(tagged) == 30
    assert set(tagged["k2"]) == {"v2"}
    client.drop_database(dbname)
    client.close()


# -- influxdb-python: Tutorials - SeriesHelper --------------------------------------------


def test_influxdb_python_serieshelper_tutorial(influxdb_server: InfluxDBServer) -> None:
    dbname = unique("mydb")
    myclient = InfluxDBClient(influxdb_server.host, influxdb_server.port, db=dbname,
                              mode="blocking")
    myclient.create_database(dbname)

    class MySeriesHelper(SeriesHelper):
        """Instantiate SeriesHelper to write points to the backend."""

        class Meta:
            """Meta class stores time series helper configuration."""

            client = myclient
            series_name = "events.stats.{server_name}"
            fields = ["some_stat", "other_stat"]  # noqa: RUF012 - the tutorial's code
            tags = ["server_name"]  # noqa: RUF012
            bulk_size = 5
            autocommit = True

    MySeriesHelper(server_name="us.east-1", some_stat=159, other_stat=10)
    MySeriesHelper(server_name="us.east-1", some_stat=158, other_stat=20)
    MySeriesHelper(server_name="us.east-1", some_stat=157, other_stat=30)
    MySeriesHelper(server_name="us.east-1", some_stat=156, other_stat=40)
    assert count(myclient, '"events.stats.us.east-1"') == 0  # not yet: bulk_size is 5
    MySeriesHelper(server_name="us.east-1", some_stat=155, other_stat=50)
    assert count(myclient, '"events.stats.us.east-1"') == 5
    MySeriesHelper(server_name="us.east-1", some_stat=154, other_stat=60)
    body = MySeriesHelper._json_body_()
    assert [point["fields"] for point in body] == [{"some_stat": 154, "other_stat": 60}]
    MySeriesHelper.commit()
    assert count(myclient, '"events.stats.us.east-1"') == 6
    assert MySeriesHelper._json_body_() == []
    myclient.drop_database(dbname)
    myclient.close()


def count(client: InfluxDBClient, measurement: str) -> int:
    answer = client.query(f"SELECT count(some_stat) FROM {measurement}", output="json")
    series = answer["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


# -- inflow: Writing Measurements, Sessions, Querying ---------------------------------------


@pytest.fixture
def inflow_url(influxdb_auth_server: InfluxDBServer, admin: InfluxDBClient
               ) -> Iterator[tuple[str, str]]:
    """inflow's ``http://username:pass@localhost:8086/databasename``, for a real user."""
    dbname = unique("databasename")
    username = unique("username")
    admin.create_database(dbname)
    admin.create_user(username, "pass")
    admin.grant_privilege("all", dbname, username)
    admin.create_retention_policy("rp_four_weeks", "4w", 1, database=dbname)
    server = influxdb_auth_server
    yield f"http://{username}:pass@{server.host}:{server.port}/{dbname}", dbname
    admin.drop_database(dbname)
    admin.drop_user(username)


def stored(admin: InfluxDBClient, dbname: str, query: str) -> list[dict[str, Any]]:
    result = admin.query(query, db=dbname, output="resultset")
    return list(result.get_points())


def test_inflow_writing_measurements(inflow_url: tuple[str, str],
                                     admin: InfluxDBClient) -> None:
    url, dbname = inflow_url
    client = InfluxDBClient.from_url(url, mode="blocking")
    client.write_measurement("temperature", value=21.3)
    client.write_measurement(
        "temperature",
        tags={"location": "groningen", "sensor_type": "ni1000"},
        value=21.3,
        timestamp=1475845863,
    )
    client.write([
        Measurement(name="temperature",
                    tags={"location": " groningen", "sensor_type": "ni1000"},
                    value=21.3, timestamp=1475845864),
        Measurement(name="temperature",
                    tags={"location": " groningen", "sensor_type": "ni1000"},
                    value=20.1, timestamp=1475848864),
    ])
    temperature = dict(name="temperature",  # noqa: C408 - the example's code
                       tags={"location": " groningen", "sensor_type": "ni1000"})
    client.write([Measurement(**temperature, **values) for values in (
        {"value": 21.3, "timestamp": 1475845865}, {"value": 20.1, "timestamp": 1475846182})])
    client.write_measurement("temperature", timestamp=1475846183, lower_sensor=20.9,
                             upper_sensor=23.2)
    client.write_measurement("temperature", value=21.3, timestamp=1476191999000,
                             precision="ms")
    recent = int(time.time()) - 3600  # the example's 2016 is beyond four weeks now
    client.write_measurement("temperature", value=21.3, timestamp=recent,
                             rp="rp_four_weeks")
    client.close()

    points = stored(admin, dbname, 'SELECT * FROM "temperature" WHERE time > 0')
    by_time = {p["time"] // 10**9: p for p in points}
    assert len(points) == 8  # seven timed points and one timed by the server
    assert by_time[1475845863]["location"] == "groningen"
    assert by_time[1475845864]["location"] == " groningen"
    assert [by_time[t]["value"] for t in (1475845864, 1475848864, 1475845865, 1475846182)
            ] == [21.3, 20.1, 21.3, 20.1]
    assert (by_time[1475846183]["lower_sensor"], by_time[1475846183]["upper_sensor"]) == (
        20.9, 23.2)
    assert by_time[1476191999]["value"] == 21.3  # written in ms
    latest = stored(admin, dbname, 'SELECT * FROM "temperature" WHERE time > now() - 1h')
    assert [p["value"] for p in latest] == [21.3]  # the first write, timed by the server
    kept = stored(admin, dbname, 'SELECT * FROM "rp_four_weeks"."temperature"')
    assert [p["time"] for p in kept] == [recent * 10**9]


def test_inflow_sessions(inflow_url: tuple[str, str], admin: InfluxDBClient) -> None:
    url, dbname = inflow_url
    client = InfluxDBClient.from_url(url, mode="blocking")
    session = client.session()
    session.write_measurement("temperature", value=23.1, timestamp=1475848864)
    session.write_measurement("temperature", value=25.0, timestamp=1475849823)
    assert stored(admin, dbname, 'SELECT * FROM "temperature"') == []
    session.commit()
    assert len(stored(admin, dbname, 'SELECT * FROM "temperature"')) == 2

    with client.session() as session:
        session.write_measurement("temperature", value=23.2, timestamp=1475848865)
        session.write_measurement("temperature", value=25.1, timestamp=1475849824)
    assert len(stored(admin, dbname, 'SELECT * FROM "temperature"')) == 4

    session = client.session(autocommit_every=5)
    for value, timestamp in [(23.1, 1475848870), (25.0, 1475849830), (22.9, 1475849835),
                             (28.2, 1475849912)]:
        session.write_measurement("temperature", value=value, timestamp=timestamp)
    assert len(stored(admin, dbname, 'SELECT * FROM "temperature"')) == 4
    session.write_measurement("temperature", value=25.1, timestamp=1475849999)
    assert len(stored(admin, dbname, 'SELECT * FROM "temperature"')) == 9

    with client.session(retention_policy="rp_four_weeks") as session:
        # A recent time: the example's 2016 is beyond the four weeks of the policy now.
        session.write_measurement("temperature", value=23.1,
                                  timestamp=int(time.time()) - 60)
    assert len(stored(admin, dbname, 'SELECT * FROM "rp_four_weeks"."temperature"')) == 1
    client.close()


def test_inflow_querying(inflow_url: tuple[str, str]) -> None:
    url, _ = inflow_url
    client = InfluxDBClient.from_url(url, mode="blocking", output="resultset")
    when = dt.datetime(2016, 1, 10, 0, 1, tzinfo=dt.timezone.utc)
    client.write_measurement("temperature", value=21.0, timestamp=when,
                             tags={"location": " groningen "})
    client.write_measurement("temperature", value=23.0, timestamp=int(when.timestamp()) + 60,
                             tags={"location": " groningen "})
    results = client.query('SELECT * FROM "temperature"', epoch=None)
    assert list(results.get_points()) == [
        {"time": "2016-01-10T00:01:00Z", "location": " groningen ", "value": 21.0},
        {"time": "2016-01-10T00:02:00Z", "location": " groningen ", "value": 23.0},
    ]
    results = client.query('SELECT * FROM "temperature"', epoch="s")
    assert [p["time"] for p in results.get_points()] == [1452384060, 1452384120]
    client.close()
