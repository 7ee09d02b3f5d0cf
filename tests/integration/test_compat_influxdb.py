"""influxdb-python's documentation, run through ``influxkit.compat.influxdb`` against a
real server.

Every code example of the seed document (influxdb-python's documentation) is quoted as it
is written, with ``from influxdb import`` changed to ``from influxkit.compat.influxdb
import`` and its host, port and database names pointed at the test server; what it
stored is read back from influxd itself. Then the rest of what the documentation
promises: each method's arguments and the shape of what it returns, and the exceptions,
where they are raised and with the attributes code reads.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import pickle
import socket
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

import influxkit
from influxkit.compat.influxdb import DataFrameClient, InfluxDBClient
from influxkit.compat.influxdb.exceptions import InfluxDBClientError, InfluxDBServerError
from influxkit.compat.influxdb.resultset import ResultSet
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy
from influxkit.testing.flavours import ServerFlavour

SECRET = "s3cret-Pa55word-never-shown"


def run_example(source: str, replacements: dict[str, str] | None = None,
                name: str = "example", given: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Run documentation code with the import line changed (and host, port and database
    names replaced), with the variables ``given`` it expects; return its variables."""
    code = textwrap.dedent(source)
    code = code.replace("from influxdb import", "from influxkit.compat.influxdb import")
    for old, new in (replacements or {}).items():
        assert old in code, old
        code = code.replace(old, new)
    assert "from influxdb" not in code
    namespace: dict[str, Any] = {"__name__": name, **(given or {})}
    exec(compile(code, f"<{name}>", "exec", dont_inherit=True), namespace)
    return namespace


def stored(server: InfluxDBServer, database: str, measurement: str,
           where: str = "") -> list[dict[str, Any]]:
    """The points of a measurement as influxd has them (RFC 3339 times), oldest first."""
    answer = server.query(f'SELECT * FROM "{measurement}" {where}', db=database)
    series = answer["results"][0].get("series", [])
    assert len(series) <= 1
    return [dict(zip(series[0]["columns"], row, strict=True))
            for row in series[0]["values"]] if series else []


def field_types(server: InfluxDBServer, database: str, measurement: str) -> dict[str, str]:
    answer = server.query(f'SHOW FIELD KEYS FROM "{measurement}"', db=database)
    series = answer["results"][0].get("series", [])
    return dict(series[0]["values"]) if series else {}


def databases(server: InfluxDBServer) -> list[str]:
    answer = server.query("SHOW DATABASES")
    return [row[0] for row in answer["results"][0]["series"][0].get("values", [])]


def recent(seconds_ago: int = 60) -> int:
    """A recent time, in whole seconds (points older than a policy's duration drop)."""
    return time.time_ns() // 10**9 - seconds_ago


def rfc3339(seconds: int) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def client(influxdb_server: InfluxDBServer, database: str) -> Iterator[InfluxDBClient]:
    with InfluxDBClient(influxdb_server.host, influxdb_server.port, "root", "root",
                        database) as client:
        yield client


@pytest.fixture
def admin(influxdb_auth_server: InfluxDBServer) -> Iterator[InfluxDBClient]:
    """A client of the auth server, as its admin, on a fresh database."""
    server = influxdb_auth_server
    name = f"test_{uuid.uuid4().hex}"
    with InfluxDBClient(server.host, server.port, server.admin_username,
                        server.admin_password, name) as client:
        client.create_database(name)
        yield client
        client.drop_database(name)


def spy(monkeypatch: pytest.MonkeyPatch, cls: type, method: str,
        before: Callable[..., None]) -> None:
    """Call ``before(*args)`` ahead of each call of ``cls.method``, which then runs as it
    is: to look at the server in the middle of a tutorial."""
    real = getattr(cls, method)

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        before(*args, **kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, watched)


def made_clients(monkeypatch: pytest.MonkeyPatch) -> list[InfluxDBClient]:
    """The clients made from now on, in order (each is made as ever)."""
    made: list[InfluxDBClient] = []
    real = InfluxDBClient.__init__

    def init(self: InfluxDBClient, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(InfluxDBClient, "__init__", init)
    return made


# -- the README's example -----------------------------------------------------------------

README_EXAMPLE = '''
    from influxdb import InfluxDBClient

    json_body = [
        {
            "measurement": "cpu_load_short",
            "tags": {
                "host": "server01",
                "region": "us-west"
            },
            "time": "2009-11-10T23:00:00Z",
            "fields": {
                "value": 0.64
            }
        }
    ]

    client = InfluxDBClient('localhost', 8086, 'root', 'root', 'example')

    client.create_database('example')

    client.write_points(json_body)

    result = client.query('select value from cpu_load_short;')

    print("Result: {0}".format(result))
'''


def test_readme_example(influxdb_server: InfluxDBServer, database: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_example(README_EXAMPLE, {
        "'localhost', 8086": f"'{influxdb_server.host}', {influxdb_server.port}",
        "'example'": f"'{database}'"})
    namespace["client"].close()
    assert capsys.readouterr().out == (
        "Result: ResultSet({'('cpu_load_short', None)': [{'time': "
        "'2009-11-10T23:00:00Z', 'value': 0.64}]})\n")
    assert stored(influxdb_server, database, "cpu_load_short") == [
        {"time": "2009-11-10T23:00:00Z", "host": "server01", "region": "us-west",
         "value": 0.64}]
    result = namespace["result"]
    assert isinstance(result, ResultSet)
    assert list(result.get_points(measurement="cpu_load_short")) == [
        {"time": "2009-11-10T23:00:00Z", "value": 0.64}]
    assert list(result.get_points(tags={"host": "server01"})) == []  # not selected


# -- the API documentation's examples ----------------------------------------------------


def test_api_instantiations(influxdb_server: InfluxDBServer, database: str,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The documentation's three equivalent HTTP clients (the first names no host: the
    # test server's is added), each writing a point of its own.
    host, port = influxdb_server.host, influxdb_server.port
    made = made_clients(monkeypatch)
    run_example('''
        from influxdb import InfluxDBClient

        # using Http
        client = InfluxDBClient(database='dbname')
        client = InfluxDBClient(host='127.0.0.1', port=8086, database='dbname')
        client = InfluxDBClient(host='127.0.0.1', port=8086, username='root', password='root', database='dbname')
    ''', {"InfluxDBClient(database=":  # noqa: E501 (the documentation's long line)
          f"InfluxDBClient(host='{host}', port={port}, database=",
          "host='127.0.0.1', port=8086": f"host='{host}', port={port}",
          "'dbname'": f"'{database}'"})
    assert len(made) == 3
    now = recent()
    for number, each in enumerate(made):
        assert each.write_points([{"measurement": "m", "tags": {"client": str(number)},
                                   "fields": {"v": number}, "time": now}], "s") is True
        each.close()
    assert [(p["client"], p["v"]) for p in stored(influxdb_server, database, "m")] == [
        ("0", 0), ("1", 1), ("2", 2)]


def test_api_udp_instantiation(influxdb_udp_server: InfluxDBServer) -> None:
    server = influxdb_udp_server
    namespace = run_example('''
        from influxdb import InfluxDBClient

        # using UDP
        client = InfluxDBClient(host='127.0.0.1', database='dbname', use_udp=True, udp_port=4444)
    ''', {"'127.0.0.1'": f"'{server.host}', port={server.port}",
          "'dbname'": f"'{server.udp_database}'", "4444": str(server.udp_port)})
    client = namespace["client"]
    measurement = f"m_{uuid.uuid4().hex}"
    now = time.time_ns()
    assert client.write_points([{"measurement": measurement, "fields": {"v": i},
                                 "time": now + i} for i in range(3)]) is True
    client.send_packet([f"{measurement} v={i}i {now + i}" for i in range(3, 5)],
                       protocol="line")
    client.send_packet({"points": [{"measurement": measurement, "fields": {"v": 5},
                                    "time": now + 5}]})
    deadline = time.monotonic() + 10
    while len(points := stored(server, server.udp_database, measurement)) < 6 \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p["v"] for p in points] == [0, 1, 2, 3, 4, 5]
    # Queries go over HTTP.
    assert len(list(client.query(f'SELECT * FROM "{measurement}"').get_points())) == 6
    # The listener's database applies; one named on a write is refused, not ignored.
    with pytest.raises(InfluxDBClientError) as caught:
        client.write_points([{"measurement": measurement, "fields": {"v": 1}}],
                            database="other")
    assert isinstance(caught.value, ValueError)
    client.close()


def test_api_dataframe_client_instantiation(influxdb_server: InfluxDBServer,
                                            database: str) -> None:
    namespace = run_example('''
        from influxdb import DataFrameClient

        client = DataFrameClient(host='127.0.0.1', port=8086, username='root', password='root', database='dbname')
    ''', {"host='127.0.0.1', port=8086":  # noqa: E501 (the documentation's long line)
          f"host='{influxdb_server.host}', port={influxdb_server.port}",
          "'dbname'": f"'{database}'"})
    pd = pytest.importorskip("pandas")
    now = recent()
    frame = pd.DataFrame({"v": [1.5, 2.5]},
                         index=pd.to_datetime([now, now + 1], unit="s", utc=True))
    with namespace["client"] as client:
        assert isinstance(client, DataFrameClient)
        assert client.write_points(frame, "m") is True
    assert stored(influxdb_server, database, "m") == [
        {"time": rfc3339(now), "v": 1.5}, {"time": rfc3339(now + 1), "v": 2.5}]


def test_from_dsn(influxdb_server: InfluxDBServer, database: str) -> None:
    # The documentation's first example, host, port and database the test server's.
    dsn = ('influxdb://username:password@'
           f'{influxdb_server.host}:{influxdb_server.port}/{database}')
    with InfluxDBClient.from_dsn(dsn, timeout=5) as cli:
        assert type(cli) is InfluxDBClient
        cli.write_points([{"measurement": "m", "fields": {"v": 1}, "time": recent()}],
                         time_precision="s")
        assert [p["v"] for p in cli.query("SELECT v FROM m").get_points()] == [1]
    # kwargs win over the DSN.
    with InfluxDBClient.from_dsn(dsn.replace(database, "elsewhere"),
                                 database=database) as cli:
        assert cli.get_list_measurements() == [{"name": "m"}]


def test_resultset_documentation(client: InfluxDBClient) -> None:
    now = recent()
    client.write_points([
        {"measurement": "cpu", "tags": {"host_name": "influxdb.com"},
         "fields": {"value": 1.0}, "time": now},
        {"measurement": "cpu", "tags": {"host_name": "other.org"},
         "fields": {"value": 2.0}, "time": now + 1}], time_precision="s")
    namespace = run_example('''
        rs = cli.query("SELECT * from cpu")
        cpu_points = list(rs.get_points(measurement='cpu'))

        rs = cli.query("SELECT * from cpu")
        cpu_influxdb_com_points = list(rs.get_points(tags={"host_name": "influxdb.com"}))

        rs = cli.query("SELECT * from cpu")
        points = list(rs.get_points(measurement='cpu', tags={'host_name': 'influxdb.com'}))
    ''', name="resultset", given={"cli": client})
    first = {"time": rfc3339(now), "host_name": "influxdb.com", "value": 1.0}
    second = {"time": rfc3339(now + 1), "host_name": "other.org", "value": 2.0}
    assert namespace["cpu_points"] == [first, second]
    assert namespace["cpu_influxdb_com_points"] == [first]
    assert namespace["points"] == [first]
    rs = namespace["rs"]
    assert list(rs.get_points()) == [first, second]
    assert list(rs.get_points(measurement="mem")) == []
    grouped = client.query("SELECT value from cpu GROUP BY host_name")
    assert grouped.keys() == [("cpu", {"host_name": "influxdb.com"}),
                              ("cpu", {"host_name": "other.org"})]
    assert list(grouped["cpu", {"host_name": "other.org"}]) == [
        {"time": rfc3339(now + 1), "value": 2.0}]
    assert list(grouped[{"host_name": "influxdb.com"}]) == [
        {"time": rfc3339(now), "value": 1.0}]


# -- Tutorials - Basic --------------------------------------------------------------------

TUTORIAL_BASIC = '''
    # -*- coding: utf-8 -*-
    """Tutorial on using the InfluxDB client."""

    import argparse

    from influxdb import InfluxDBClient


    def main(host='localhost', port=8086):
        """Instantiate a connection to the InfluxDB."""
        user = 'root'
        password = 'root'
        dbname = 'example'
        dbuser = 'smly'
        dbuser_password = 'my_secret_password'
        query = 'select value from cpu_load_short;'
        json_body = [
            {
                "measurement": "cpu_load_short",
                "tags": {
                    "host": "server01",
                    "region": "us-west"
                },
                "time": "2009-11-10T23:00:00Z",
                "fields": {
                    "Float_value": 0.64,
                    "Int_value": 3,
                    "String_value": "Text",
                    "Bool_value": True
                }
            }
        ]

        client = InfluxDBClient(host, port, user, password, dbname)

        print("Create database: " + dbname)
        client.create_database(dbname)

        print("Create a retention policy")
        client.create_retention_policy('awesome_policy', '3d', 3, default=True)

        print("Switch user: " + dbuser)
        client.switch_user(dbuser, dbuser_password)

        print("Write points: {0}".format(json_body))
        client.write_points(json_body)

        print("Querying data: " + query)
        result = client.query(query)

        print("Result: {0}".format(result))

        print("Switch user: " + user)
        client.switch_user(user, password)

        print("Drop database: " + dbname)
        client.drop_database(dbname)


    def parse_args():
        """Parse the args."""
        parser = argparse.ArgumentParser(
            description='example code to play with InfluxDB')
        parser.add_argument('--host', type=str, required=False,
                            default='localhost',
                            help='hostname of InfluxDB http API')
        parser.add_argument('--port', type=int, required=False, default=8086,
                            help='port of InfluxDB http API')
        return parser.parse_args()


    if __name__ == '__main__':
        args = parse_args()
        main(host=args.host, port=args.port)
'''


def run_script(source: str, server: InfluxDBServer, monkeypatch: pytest.MonkeyPatch,
               replacements: dict[str, str]) -> dict[str, Any]:
    """Run a tutorial as a script, with ``--host`` and ``--port`` of the test server."""
    monkeypatch.setattr(sys, "argv", ["tutorial.py", "--host", server.host,
                                      "--port", str(server.port)])
    return run_example(source, replacements, name="__main__")


def test_tutorial_basic(influxdb_server: InfluxDBServer, database: str,
                        monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    # The tutorial's point is of 2009, older than the 3-day policy it makes the default
    # just before: the server drops it, and says so, as it did to influxdb-python.
    made = made_clients(monkeypatch)
    with pytest.raises(InfluxDBClientError) as caught:
        run_script(TUTORIAL_BASIC, influxdb_server, monkeypatch,
                   {"dbname = 'example'": f"dbname = '{database}'"})
    error = caught.value
    assert error.code == 400
    assert error.content == ('{"error":"partial write: points beyond retention policy '
                             'dropped=1"}')
    assert str(error) == f"400: {error.content}"
    assert isinstance(error, influxkit.PartialWriteError)
    assert error.dropped == 1  # type: ignore[attr-defined]
    made[0].close()
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [f"Create database: {database}", "Create a retention policy",
                       "Switch user: smly"]
    assert out[3].startswith("Write points: [{'measurement': 'cpu_load_short'")
    policies = influxdb_server.query(f'SHOW RETENTION POLICIES ON "{database}"')
    assert ["awesome_policy", "72h0m0s", "24h0m0s", 3, True] in \
        policies["results"][0]["series"][0]["values"]


def test_tutorial_basic_with_a_recent_time(influxdb_server: InfluxDBServer, database: str,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # The same, its point an hour old: it runs to its end, the database dropped.
    when = rfc3339(recent(3600))
    seen: list[Any] = []
    spy(monkeypatch, InfluxDBClient, "drop_database", lambda name: seen.append(
        (stored(influxdb_server, name, "cpu_load_short", 'WHERE time > 0'),
         field_types(influxdb_server, name, "cpu_load_short"))))
    made = made_clients(monkeypatch)
    run_script(TUTORIAL_BASIC, influxdb_server, monkeypatch,
               {"dbname = 'example'": f"dbname = '{database}'",
                "2009-11-10T23:00:00Z": when})
    made[0].close()
    [(points, types)] = seen
    assert points == [{"time": when, "Bool_value": True, "Float_value": 0.64,
                       "Int_value": 3, "String_value": "Text", "host": "server01",
                       "region": "us-west"}]
    assert types == {"Bool_value": "boolean", "Float_value": "float",
                     "Int_value": "integer", "String_value": "string"}
    out = capsys.readouterr().out.splitlines()
    assert out[-4:] == [
        "Querying data: select value from cpu_load_short;",
        # Its fields are not named 'value': the query has nothing to show.
        "Result: ResultSet({})",
        "Switch user: root", f"Drop database: {database}"]
    assert database not in databases(influxdb_server)


# -- Tutorials - pandas -------------------------------------------------------------------

TUTORIAL_PANDAS = '''
    # -*- coding: utf-8 -*-
    """Tutorial for using pandas and the InfluxDB client."""

    import argparse
    import pandas as pd

    from influxdb import DataFrameClient


    def main(host='localhost', port=8086):
        """Instantiate the connection to the InfluxDB client."""
        user = 'root'
        password = 'root'
        dbname = 'demo'
        # Temporarily avoid line protocol time conversion issues #412, #426, #431.
        protocol = 'json'

        client = DataFrameClient(host, port, user, password, dbname)

        print("Create pandas DataFrame")
        df = pd.DataFrame(data=list(range(30)),
                          index=pd.date_range(start='2014-11-16',
                                              periods=30, freq='H'))

        print("Create database: " + dbname)
        client.create_database(dbname)

        print("Write DataFrame")
        client.write_points(df, 'demo', protocol=protocol)

        print("Write DataFrame with Tags")
        client.write_points(df, 'demo',
                            {'k1': 'v1', 'k2': 'v2'}, protocol=protocol)

        print("Read DataFrame")
        client.query("select * from demo")

        print("Delete database: " + dbname)
        client.drop_database(dbname)


    def parse_args():
        """Parse the args from main."""
        parser = argparse.ArgumentParser(
            description='example code to play with InfluxDB')
        parser.add_argument('--host', type=str, required=False,
                            default='localhost',
                            help='hostname of InfluxDB http API')
        parser.add_argument('--port', type=int, required=False, default=8086,
                            help='port of InfluxDB http API')
        return parser.parse_args()


    if __name__ == '__main__':
        args = parse_args()
        main(host=args.host, port=args.port)
'''


def test_tutorial_pandas(influxdb_server: InfluxDBServer, database: str,
                         monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    answers: list[Any] = []
    real_query = DataFrameClient.query

    def query(self: DataFrameClient, *args: Any, **kwargs: Any) -> Any:
        answers.append(real_query(self, *args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(DataFrameClient, "query", query)
    seen: list[Any] = []
    spy(monkeypatch, DataFrameClient, "drop_database", lambda name: seen.append(
        influxdb_server.query('SELECT * FROM "demo" GROUP BY *', db=name)))
    made = made_clients(monkeypatch)
    # pandas 2.2 renamed the hourly frequency 'H' to 'h' (3.0 refuses 'H').
    run_script(TUTORIAL_PANDAS, influxdb_server, monkeypatch,
               {"dbname = 'demo'": f"dbname = '{database}'", "freq='H'": "freq='h'"})
    made[0].close()
    assert capsys.readouterr().out.splitlines() == [
        "Create pandas DataFrame", f"Create database: {database}", "Write DataFrame",
        "Write DataFrame with Tags", "Read DataFrame", f"Delete database: {database}"]
    assert database not in databases(influxdb_server)
    # What the server held before the database was dropped: 30 points without tags and
    # 30 with, the column 0 an integer field named "0", hourly from 2014-11-16.
    [answer] = seen
    series = answer["results"][0]["series"]
    assert [s.get("tags") for s in series] == [{"k1": "", "k2": ""},
                                               {"k1": "v1", "k2": "v2"}]
    hours = [rfc3339(1416096000 + 3600 * hour) for hour in range(30)]
    for each in series:
        assert each["columns"] == ["time", "0"]
        assert each["values"] == [[when, value] for value, when in enumerate(hours)]
    # The query read them back as influxdb-python did: a dict of one DataFrame, keyed by
    # the measurement, indexed by UTC times, the tags columns of it.
    [frames] = answers
    assert list(frames) == ["demo"]
    frame = frames["demo"]
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name is None
    assert list(frame.columns) == ["0", "k1", "k2"]
    assert len(frame) == 60
    assert list(frame["0"]) == [value for value in range(30) for _ in range(2)]
    assert frame.index[0] == pd.Timestamp("2014-11-16", tz="UTC")
    tagged = frame.dropna(subset=["k1"])
    assert set(tagged["k1"]) == {"v1"}
    assert set(tagged["k2"]) == {"v2"}


# -- Tutorials - SeriesHelper -------------------------------------------------------------

TUTORIAL_SERIES_HELPER = '''
    # -*- coding: utf-8 -*-
    """Tutorial how to use the class helper `SeriesHelper`."""

    from influxdb import InfluxDBClient
    from influxdb import SeriesHelper

    # InfluxDB connections settings
    host = 'localhost'
    port = 8086
    user = 'root'
    password = 'root'
    dbname = 'mydb'

    myclient = InfluxDBClient(host, port, user, password, dbname)

    # Uncomment the following code if the database is not yet created
    # myclient.create_database(dbname)
    # myclient.create_retention_policy('awesome_policy', '3d', 3, default=True)


    class MySeriesHelper(SeriesHelper):
        """Instantiate SeriesHelper to write points to the backend."""

        class Meta:
            """Meta class stores time series helper configuration."""

            # The client should be an instance of InfluxDBClient.
            client = myclient

            # The series name must be a string. Add dependent fields/tags
            # in curly brackets.
            series_name = 'events.stats.{server_name}'

            # Defines all the fields in this time series.
            fields = ['some_stat', 'other_stat']

            # Defines all the tags for the series.
            tags = ['server_name']

            # Defines the number of data points to store prior to writing
            # on the wire.
            bulk_size = 5

            # autocommit must be set to True when using bulk_size
            autocommit = True


    # The following will create *five* (immutable) data points.
    # Since bulk_size is set to 5, upon the fifth construction call, *all* data
    # points will be written on the wire via MySeriesHelper.Meta.client.
    MySeriesHelper(server_name='us.east-1', some_stat=159, other_stat=10)
    MySeriesHelper(server_name='us.east-1', some_stat=158, other_stat=20)
    MySeriesHelper(server_name='us.east-1', some_stat=157, other_stat=30)
    MySeriesHelper(server_name='us.east-1', some_stat=156, other_stat=40)
    MySeriesHelper(server_name='us.east-1', some_stat=155, other_stat=50)

    # To manually submit data points which are not yet written, call commit:
    MySeriesHelper.commit()

    # To inspect the JSON which will be written, call _json_body_():
    MySeriesHelper._json_body_()
'''


def test_tutorial_series_helper(influxdb_server: InfluxDBServer, database: str) -> None:
    before = time.time_ns() // 10**9
    # Through a proxy that counts the writes.
    with FaultProxy(influxdb_server.url) as proxy:
        namespace = run_example(TUTORIAL_SERIES_HELPER, {
            "host = 'localhost'": f"host = '{proxy.host}'",
            "port = 8086": f"port = {proxy.port}",
            "dbname = 'mydb'": f"dbname = '{database}'"})
        namespace["myclient"].close()
    after = time.time_ns() // 10**9 + 1
    # The five points went in one write, at the fifth; commit() had nothing left.
    assert [(r.lines, r.status) for r in proxy.requests if r.path == "/write"] == [(5, 204)]
    helper = namespace["MySeriesHelper"]
    assert helper._json_body_() == []
    points = stored(influxdb_server, database, "events.stats.us.east-1")
    assert [(p["server_name"], p["some_stat"], p["other_stat"]) for p in points] == [
        ("us.east-1", 159 - i, 10 * (i + 1)) for i in range(5)]
    # Each got the current time, when it was made.
    for point in points:
        moment = datetime.datetime.fromisoformat(point["time"].replace("Z", "+00:00"))
        assert before <= moment.timestamp() <= after
    assert field_types(influxdb_server, database, "events.stats.us.east-1") == {
        "other_stat": "integer", "some_stat": "integer"}


def test_series_helper_commit_and_json_body(client: InfluxDBClient,
                                            influxdb_server: InfluxDBServer,
                                            database: str) -> None:
    class Helper(influxkit.compat.influxdb.SeriesHelper):
        class Meta:
            series_name = "events.{server_name}"
            fields: ClassVar = ["time", "value"]
            tags: ClassVar = ["server_name"]
            time_precision = "s"

    now = recent()
    Helper(server_name="a", value=1.5, time=now)
    Helper(server_name="b", value=2.5, time=now + 1)
    assert Helper._json_body_() == [
        {"measurement": "events.a", "tags": {"server_name": "a"}, "fields": {"value": 1.5},
         "time": now},
        {"measurement": "events.b", "tags": {"server_name": "b"}, "fields": {"value": 2.5},
         "time": now + 1}]
    # No Meta.client: the one given to commit, as the documentation says.
    assert Helper.commit(client) is True
    assert Helper._json_body_() == []
    assert stored(influxdb_server, database, "events.a") == [
        {"time": rfc3339(now), "server_name": "a", "value": 1.5}]
    assert stored(influxdb_server, database, "events.b") == [
        {"time": rfc3339(now + 1), "server_name": "b", "value": 2.5}]


def test_series_helper_annotated_example(client: InfluxDBClient) -> None:
    # The API documentation's annotated example, its line that is not Python
    # (":warning: ...") left out and its client the test's: its Meta has no 'tags', which
    # influxdb-python refuses with an AttributeError at the first point.
    namespace = run_example('''
        class MySeriesHelper(SeriesHelper):
            class Meta:
                # Meta class stores time series helper configuration.
                series_name = 'events.stats.{server_name}'
                # Series name must be a string, curly brackets for dynamic use.
                fields = ['time', 'server_name']
                # Defines all the fields in this time series.
                ### Following attributes are optional. ###
                client = TestSeriesHelper.client
                # Client should be an instance of InfluxDBClient.
                bulk_size = 5
                # Defines the number of data points to write simultaneously.
                # Only applicable if autocommit is True.
                autocommit = True
                # If True and no bulk_size, then will set bulk_size to 1.
    ''', given={"SeriesHelper": influxkit.compat.influxdb.SeriesHelper,
                 "TestSeriesHelper": type("TestSeriesHelper", (), {"client": client})})
    with pytest.raises(AttributeError, match="tags"):
        namespace["MySeriesHelper"](server_name="us.east-1")


# -- write and write_points ---------------------------------------------------------------


def test_write_line_protocol_with_params(client: InfluxDBClient,
                                         influxdb_server: InfluxDBServer,
                                         database: str) -> None:
    now = recent()
    assert client.write(f"cpu,host=a value=1 {now}",
                        params={"db": database, "precision": "s"}, protocol="line") is True
    assert client.write([f"cpu,host=b value=2 {now}", f"cpu,host=c value=3 {now}"],
                        params={"db": database, "precision": "s", "rp": "autogen"},
                        protocol="line") is True
    assert stored(influxdb_server, database, "cpu") == [
        {"time": rfc3339(now), "host": host, "value": value}
        for host, value in (("a", 1.0), ("b", 2.0), ("c", 3.0))]
    assert field_types(influxdb_server, database, "cpu") == {"value": "float"}


def test_write_json_with_shared_tags(client: InfluxDBClient,
                                     influxdb_server: InfluxDBServer, database: str) -> None:
    now = recent()
    data = {"tags": {"region": "us-west", "host": "shared"},
            "points": [{"measurement": "cpu", "tags": {"host": "server01"},
                        "fields": {"value": 0.64, "n": 3, "text": "a \"b\"", "ok": True},
                        "time": now},
                       {"measurement": "cpu", "fields": {"value": 1.0}, "time": now + 1}]}
    assert client.write(data, params={"db": database, "precision": "s"}) is True
    assert stored(influxdb_server, database, "cpu") == [
        {"time": rfc3339(now), "host": "server01", "n": 3, "ok": True, "region": "us-west",
         "text": 'a "b"', "value": 0.64},
        {"time": rfc3339(now + 1), "host": "shared", "n": None, "ok": None,
         "region": "us-west", "text": None, "value": 1.0}]
    assert field_types(influxdb_server, database, "cpu")["n"] == "integer"


def test_write_points_arguments(client: InfluxDBClient, influxdb_server: InfluxDBServer,
                                database: str) -> None:
    client.create_retention_policy("week", "7d", 1, database=database)
    now = recent()
    points = [{"measurement": "m", "tags": {"host": f"h{i}"}, "fields": {"v": i},
               "time": (now + i) * 1000} for i in range(5)]
    assert client.write_points(points, time_precision="ms", database=database,
                               retention_policy="week", tags={"dc": "x"},
                               batch_size=2) is True
    assert stored(influxdb_server, database, "m") == []  # not in the default policy
    rows = influxdb_server.query('SELECT * FROM "week"."m"', db=database)
    values = rows["results"][0]["series"][0]["values"]
    assert values == [[rfc3339(now + i), "x", f"h{i}", i] for i in range(5)]
    # Line protocol strings, by the client's default database.
    assert client.write_points([f"n v=1i {now}"], time_precision="s", protocol="line")
    assert stored(influxdb_server, database, "n") == [{"time": rfc3339(now), "v": 1}]
    # A datetime and an RFC 3339 string, in the default nanoseconds.
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc)
    client.write_points([{"measurement": "t", "fields": {"v": 1}, "time": moment},
                         {"measurement": "t", "fields": {"v": 2},
                          "time": "2024-05-06T07:08:10.000000001Z"}])
    assert [p["time"] for p in stored(influxdb_server, database, "t")] == [
        "2024-05-06T07:08:09.123456Z", "2024-05-06T07:08:10.000000001Z"]
    # Read back as the server writes them, to the nanosecond.
    assert [p["time"] for p in client.query("SELECT v FROM t").get_points()] == [
        "2024-05-06T07:08:09.123456Z", "2024-05-06T07:08:10.000000001Z"]


# -- query --------------------------------------------------------------------------------


@pytest.fixture
def cpu(client: InfluxDBClient) -> int:
    """Five points of 'cpu', a second apart from the time returned (in seconds)."""
    now = recent()
    client.write_points([{"measurement": "cpu", "tags": {"host": f"h{i % 2}"},
                          "fields": {"value": float(i), "n": i}, "time": now + i}
                         for i in range(5)], time_precision="s")
    return now


def test_query_returns_a_resultset_per_statement(client: InfluxDBClient, cpu: int) -> None:
    rs = client.query("SELECT n FROM cpu WHERE n < 2")
    assert isinstance(rs, ResultSet)
    assert list(rs.get_points()) == [{"time": rfc3339(cpu), "n": 0},
                                     {"time": rfc3339(cpu + 1), "n": 1}]
    several = client.query("SELECT n FROM cpu WHERE n = 0; SELECT count(n) FROM cpu")
    assert isinstance(several, list)
    assert [list(each.get_points()) for each in several] == [
        [{"time": rfc3339(cpu), "n": 0}], [{"time": rfc3339(0), "count": 5}]]
    assert several[0].raw == {"statement_id": 0, "series": [
        {"name": "cpu", "columns": ["time", "n"], "values": [[rfc3339(cpu), 0]]}]}
    # An answer without series.
    empty = client.query("SELECT * FROM nothing")
    assert (empty.raw, list(empty.get_points())) == ({"statement_id": 0}, [])


def test_query_epoch_and_database(client: InfluxDBClient, cpu: int,
                                  influxdb_server: InfluxDBServer) -> None:
    for epoch, scale in (("s", 1), ("ms", 10**3), ("u", 10**6), ("ns", 10**9)):
        rs = client.query("SELECT n FROM cpu WHERE n = 1", epoch=epoch)
        assert list(rs.get_points()) == [{"time": (cpu + 1) * scale, "n": 1}]
    assert list(client.query("SELECT n FROM cpu WHERE n = 1", epoch="h").get_points()) == [
        {"time": (cpu + 1) // 3600, "n": 1}]
    # epoch in params, as influxdb-python sent it in the query string.
    rs = client.query("SELECT n FROM cpu WHERE n = 1", params={"epoch": "s"})
    assert list(rs.get_points()) == [{"time": cpu + 1, "n": 1}]
    database = client._database
    client.switch_database("_internal")
    assert list(client.query("SELECT n FROM cpu WHERE n = 1", database=database,
                             epoch="s").get_points()) == [{"time": cpu + 1, "n": 1}]
    client.switch_database(database)
    # Float fields stay floats.
    assert [p["value"] for p in client.query("SELECT value FROM cpu").get_points()] == [
        0.0, 1.0, 2.0, 3.0, 4.0]


def test_query_bind_params(client: InfluxDBClient, cpu: int) -> None:
    rs = client.query("SELECT n FROM cpu WHERE host = $host AND n > $low",
                      bind_params={"host": "h1", "low": 1})
    assert list(rs.get_points()) == [{"time": rfc3339(cpu + 3), "n": 3}]
    # As JSON in params['params'], bind_params winning over it.
    rs = client.query("SELECT n FROM cpu WHERE host = $host AND n > $low",
                      params={"params": json.dumps({"host": "h1", "low": 5})},
                      bind_params={"low": 0})
    assert [p["n"] for p in rs.get_points()] == [1, 3]
    # A value that would end the string, bound rather than quoted.
    rs = client.query("SELECT n FROM cpu WHERE host = $host",
                      bind_params={"host": "h1' OR host = 'h0"})
    assert list(rs.get_points()) == []


def test_query_method_post_and_get(client: InfluxDBClient, database: str) -> None:
    client.query(f'CREATE RETENTION POLICY "p" ON "{database}" DURATION 1d REPLICATION 1',
                 method="POST")
    assert [p["name"] for p in client.query("SHOW RETENTION POLICIES",
                                            method="GET").get_points()] == ["autogen", "p"]


def test_raise_errors_false(client: InfluxDBClient, cpu: int) -> None:
    rs = client.query("SELECT n FROM cpu WHERE n = 0; SHOW RETENTION POLICIES ON nope; "
                      "SHOW DATABASES", raise_errors=False)
    assert [each.error for each in rs] == [None, "database not found: nope", "not executed"]
    assert list(rs[0].get_points()) == [{"time": rfc3339(cpu), "n": 0}]
    assert list(rs[1].get_points()) == []
    one = client.query("SHOW RETENTION POLICIES ON nope", raise_errors=False)
    assert isinstance(one, ResultSet)
    assert one.error == "database not found: nope"
    assert one.raw == {"statement_id": 0, "error": "database not found: nope"}
    with pytest.raises(InfluxDBClientError) as caught:
        client.query("SELECT n FROM cpu WHERE n = 0; SHOW RETENTION POLICIES ON nope")
    assert (caught.value.content, caught.value.code) == ("database not found: nope", None)
    assert str(caught.value) == "database not found: nope"


def test_chunked(client: InfluxDBClient, cpu: int) -> None:
    chunks = client.query("SELECT n FROM cpu", chunked=True, chunk_size=2)
    assert inspect_is_iterator(chunks)
    chunks = list(chunks)
    assert all(isinstance(chunk, ResultSet) for chunk in chunks)
    assert [[p["n"] for p in chunk.get_points()] for chunk in chunks] == [[0, 1], [2, 3],
                                                                          [4]]
    assert chunks[0].keys() == [("cpu", None)]
    # A chunk holds the series of every statement in it.
    both = list(client.query("SELECT n FROM cpu WHERE n < 2; SELECT n FROM cpu WHERE n > 3",
                             chunked=True))
    assert [[p["n"] for p in chunk.get_points()] for chunk in both] == [[0, 1], [4]]
    with pytest.raises(InfluxDBClientError):
        list(client.query("SHOW RETENTION POLICIES ON nope", chunked=True))
    kept = list(client.query("SHOW RETENTION POLICIES ON nope", chunked=True,
                             raise_errors=False))
    assert [chunk.error for chunk in kept] == ["database not found: nope"]


def inspect_is_iterator(value: Any) -> bool:
    return iter(value) is value


def test_show_users_results_naming(admin: InfluxDBClient,
                                   influxdb_auth_server: InfluxDBServer) -> None:
    rs = admin.query("SHOW USERS")
    assert rs.keys() == [("results", None)]
    assert {"user": influxdb_auth_server.admin_username, "admin": True} in \
        list(rs["results"])
    assert list(rs["results"]) == list(rs.get_points())
    assert admin.query("SHOW DATABASES").keys() == [("databases", None)]


def test_ping(client: InfluxDBClient, influxdb_server: InfluxDBServer) -> None:
    assert client.ping() == influxdb_server.version


# -- administration -----------------------------------------------------------------------


def test_databases(client: InfluxDBClient, influxdb_server: InfluxDBServer) -> None:
    name = f"test_{uuid.uuid4().hex}"
    assert client.create_database(name) is None
    assert {"name": name} in client.get_list_database()
    assert all(set(each) == {"name"} for each in client.get_list_database())
    assert client.drop_database(name) is None
    assert name not in databases(influxdb_server)


def test_retention_policies(client: InfluxDBClient, database: str) -> None:
    assert client.get_list_retention_policies() == [
        {"name": "autogen", "duration": "0s", "shardGroupDuration": "168h0m0s",
         "replicaN": 1, "default": True}]
    assert client.create_retention_policy("short", "1h", "1", database) is None
    client.create_retention_policy("long", "4w", 1, default=True, shard_duration="2d")
    assert client.get_list_retention_policies(database) == [
        {"name": "autogen", "duration": "0s", "shardGroupDuration": "168h0m0s",
         "replicaN": 1, "default": False},
        {"name": "short", "duration": "1h0m0s", "shardGroupDuration": "1h0m0s",
         "replicaN": 1, "default": False},
        {"name": "long", "duration": "672h0m0s", "shardGroupDuration": "48h0m0s",
         "replicaN": 1, "default": True}]
    assert client.alter_retention_policy("short", database, duration="2h", replication=2,
                                         default=True, shard_duration="30m") is None
    short = [p for p in client.get_list_retention_policies() if p["name"] == "short"]
    assert short == [{"name": "short", "duration": "2h0m0s", "shardGroupDuration": "1h0m0s",
                      "replicaN": 2, "default": True}]
    assert client.drop_retention_policy("long") is None
    client.drop_retention_policy("short", database)
    assert [p["name"] for p in client.get_list_retention_policies()] == ["autogen"]


def test_continuous_queries(client: InfluxDBClient, database: str) -> None:
    select = 'SELECT mean("value") INTO "cpu_mean" FROM "cpu" GROUP BY time(1m)'
    assert client.create_continuous_query("cpu_mean", select, database,
                                          "EVERY 10s FOR 2m") is None
    client.create_continuous_query("plain", 'SELECT max("value") INTO "cpu_max" FROM '
                                   '"cpu" GROUP BY time(1h)')
    queries = client.get_list_continuous_queries()
    assert isinstance(queries, list)
    assert all(isinstance(each, dict) and len(each) == 1 for each in queries)
    [ours] = [each[database] for each in queries if database in each]
    assert ours == [
        {"name": "cpu_mean", "query": f'CREATE CONTINUOUS QUERY cpu_mean ON {database} '
                                      'RESAMPLE EVERY 10s FOR 2m BEGIN SELECT mean(value) '
                                      f'INTO {database}.autogen.cpu_mean FROM '
                                      f'{database}.autogen.cpu GROUP BY time(1m) END'},
        {"name": "plain", "query": f'CREATE CONTINUOUS QUERY plain ON {database} BEGIN '
                                   f'SELECT max(value) INTO {database}.autogen.cpu_max '
                                   f'FROM {database}.autogen.cpu GROUP BY time(1h) END'}]
    assert client.drop_continuous_query("cpu_mean") is None
    client.drop_continuous_query("plain", database)
    assert [each[database] for each in client.get_list_continuous_queries()
            if database in each] == [[]]


def test_measurements_and_series(client: InfluxDBClient, cpu: int) -> None:
    client.write_points([{"measurement": "mem", "tags": {"host": "h0"},
                          "fields": {"free": 1}, "time": cpu}], time_precision="s")
    assert client.get_list_measurements() == [{"name": "cpu"}, {"name": "mem"}]
    assert client.get_list_series() == ["cpu,host=h0", "cpu,host=h1", "mem,host=h0"]
    assert client.get_list_series(measurement="cpu") == ["cpu,host=h0", "cpu,host=h1"]
    assert client.get_list_series(tags={"host": "h0"}) == ["cpu,host=h0", "mem,host=h0"]
    assert client.get_list_series(client._database, "cpu", {"host": "h1"}) == [
        "cpu,host=h1"]
    assert client.delete_series(measurement="cpu", tags={"host": "h0"}) is None
    assert client.get_list_series() == ["cpu,host=h1", "mem,host=h0"]
    assert client.drop_measurement("mem") is None
    assert client.get_list_measurements() == [{"name": "cpu"}]


def test_users_and_privileges(admin: InfluxDBClient, influxdb_auth_server: InfluxDBServer
                              ) -> None:
    server = influxdb_auth_server
    database = admin._database
    user, other = f"u_{uuid.uuid4().hex[:12]}", f"o_{uuid.uuid4().hex[:12]}"
    try:
        assert admin.create_user(user, SECRET) is None
        admin.create_user(other, "pw", admin=True)
        users = admin.get_list_users()
        assert {"user": user, "admin": False} in users
        assert {"user": other, "admin": True} in users
        assert {"user": server.admin_username, "admin": True} in users
        assert admin.get_list_privileges(user) == []
        assert admin.grant_privilege("read", database, user) is None
        assert admin.get_list_privileges(user) == [{"database": database,
                                                    "privilege": "READ"}]
        admin.grant_privilege("ALL", database, user)
        assert admin.get_list_privileges(user) == [{"database": database,
                                                    "privilege": "ALL PRIVILEGES"}]
        assert admin.revoke_privilege("write", database, user) is None
        assert admin.get_list_privileges(user) == [{"database": database,
                                                    "privilege": "READ"}]
        # The user reads what the admin wrote.
        admin.write_points([{"measurement": "m", "fields": {"v": 1}, "time": recent()}],
                           time_precision="s")
        with InfluxDBClient(server.host, server.port, user, SECRET, database) as reader:
            assert [p["v"] for p in reader.query("SELECT v FROM m").get_points()] == [1]
            with pytest.raises(InfluxDBClientError) as caught:
                reader.write_points([{"measurement": "m", "fields": {"v": 2}}])
            assert caught.value.code == 403
            assert isinstance(caught.value, influxkit.AuthorizationError)
            assert admin.set_user_password(user, "changed") is None
            with pytest.raises(InfluxDBClientError) as caught:
                reader.query("SELECT v FROM m")
            assert caught.value.code == 401
            reader.switch_user(user, "changed")
            assert len(list(reader.query("SELECT v FROM m").get_points())) == 1
        assert admin.grant_admin_privileges(user) is None
        assert {"user": user, "admin": True} in admin.get_list_users()
        assert admin.revoke_admin_privileges(user) is None
        assert {"user": user, "admin": False} in admin.get_list_users()
    finally:
        admin.drop_user(user)
        admin.drop_user(other)
    assert user not in [each["user"] for each in admin.get_list_users()]


# -- errors -------------------------------------------------------------------------------


def caught_error(call: Callable[[], Any]) -> Any:
    with pytest.raises(influxkit.InfluxDBError) as caught:
        call()
    return caught.value


def test_errors_are_influxdb_pythons_and_influxkits(client: InfluxDBClient) -> None:
    point = [{"measurement": "m", "fields": {"v": 1}}]
    cases: list[tuple[Callable[[], Any], int | None, str, tuple[type, ...]]] = [
        (lambda: client.query("SELECT * FROM m", database="nope"), None,
         "database not found: nope",
         (influxkit.DatabaseNotFoundError, influxkit.InfluxDBQueryError)),
        (lambda: client.write_points(point, database="nope"), 404,
         '{"error":"database not found: \\"nope\\""}',
         (influxkit.DatabaseNotFoundError, influxkit.InfluxDBWriteError)),
        (lambda: client.write("m v=1", params={"db": "nope"}, protocol="line"), 404,
         '{"error":"database not found: \\"nope\\""}', (influxkit.DatabaseNotFoundError,)),
        (lambda: client.query("SELEC"), 400,
         '{"error":"error parsing query: found SELEC, expected SELECT, DELETE, SHOW, '
         'CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"}',
         (influxkit.QueryFailedException,)),
        (lambda: client.write(["m v=1", "m v="], protocol="line"), 400,
         '{"error":"partial write: unable to parse \'m v=\': missing field value '
         'dropped=0"}', (influxkit.PartialWriteError,)),
    ]
    for call, code, content, also in cases:
        error = caught_error(call)
        assert isinstance(error, InfluxDBClientError), error
        assert isinstance(error, also)
        assert (error.code, error.content) == (code, content)
        assert str(error) == (content if code is None else f"{code}: {content}")
        # influxkit's attributes are there too.
        assert error.message  # type: ignore[attr-defined]
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert (again.code, again.content, str(again)) == (code, content, str(error))
        assert isinstance(again, (InfluxDBClientError, *also))
    # influxd answers a write to a missing retention policy with a 500.
    error = caught_error(lambda: client.write_points(point, retention_policy="nope"))
    assert isinstance(error, InfluxDBServerError)
    assert isinstance(error, influxkit.InfluxDBWriteError)
    assert (str(error), error.content) == ('{"error":"retention policy not found: nope"}',) * 2


def test_server_failures(influxdb_server: InfluxDBServer, database: str) -> None:
    with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(proxy.host, proxy.port, "root", "root", database) as client:
        proxy.respond(500, '{"error":"timeout"}', path="/query")
        error = caught_error(lambda: client.query("SHOW MEASUREMENTS"))
        assert isinstance(error, InfluxDBServerError)
        assert isinstance(error, influxkit.InfluxDBServerError)
        assert not isinstance(error, InfluxDBClientError)
        assert (str(error), error.content) == ('{"error":"timeout"}', '{"error":"timeout"}')
        assert error.status == 500
        again = pickle.loads(pickle.dumps(error))
        assert (type(again), str(again)) == (type(error), str(error))
        # A body that is not InfluxDB's, as the proxy sent it.
        proxy.respond(502, "upstream went away", {"Content-Type": "text/plain"})
        error = caught_error(lambda: client.write_points(
            [{"measurement": "m", "fields": {"v": 1}}]))
        assert isinstance(error, InfluxDBServerError)
        assert error.content == "upstream went away"
        # 503 is tried again (retries=3: three attempts in all), and then it is stored.
        proxy.respond(503, '{"error":"busy"}', count=2)
        assert client.write_points([{"measurement": "m", "fields": {"v": 2},
                                     "time": recent()}], time_precision="s") is True
        assert [r.status for r in proxy.requests if r.path == "/write"][-3:] == [503, 503,
                                                                                 204]
        proxy.respond(503, '{"error":"busy"}', count=3)
        error = caught_error(lambda: client.write_points(
            [{"measurement": "m", "fields": {"v": 3}}]))
        assert isinstance(error, InfluxDBServerError)
        # An answer that is not InfluxDB's (a proxy's login page) is influxkit's error.
        proxy.respond(200, "<html>log in</html>", {"Content-Type": "text/html"},
                      path="/query")
        error = caught_error(lambda: client.query("SHOW MEASUREMENTS"))
        assert type(error) is influxkit.InvalidResponseError
    assert [p["v"] for p in stored(influxdb_server, database, "m")] == [2]


def test_an_unreachable_server(influxdb_server: InfluxDBServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with InfluxDBClient("127.0.0.1", port, "root", SECRET, retries=2) as client:
        error = caught_error(client.ping)
        assert isinstance(error, influxkit.InfluxDBConnectionError)
        assert SECRET not in str(error)


def test_the_password_never_shows(influxdb_auth_server: InfluxDBServer) -> None:
    server = influxdb_auth_server
    client = InfluxDBClient(server.host, server.port, server.admin_username, SECRET, "db")
    shown = [repr(client), str(client)]
    for call in (lambda: client.query("SHOW DATABASES"),
                 lambda: client.write_points([{"measurement": "m", "fields": {"v": 1}}]),
                 lambda: client.create_user("someone", SECRET)):
        error = caught_error(call)
        assert isinstance(error, InfluxDBClientError)
        assert error.code == 401
        assert isinstance(error, influxkit.AuthenticationError)
        shown += [str(error), repr(error), error.content, str(vars(error)),
                  repr(pickle.loads(pickle.dumps(error)))]
    client.close()
    # A password passed as a statement's value is not shown either.
    with InfluxDBClient(server.host, server.port, server.admin_username,
                        server.admin_password) as admin:
        admin.create_user("someone", SECRET)
        try:
            error = caught_error(lambda: admin.create_user("someone", SECRET + "x"))
            shown += [str(error), repr(error), error.content]
        finally:
            admin.drop_user("someone")
    # From the DSN too, with a port that is not a number.
    with pytest.raises(ValueError) as caught:
        InfluxDBClient.from_dsn(f"influxdb://root:{SECRET}@{server.host}:x{server.port}/db")
    shown.append(str(caught.value))
    assert not [text for text in shown if SECRET in text]


def test_data_refused_before_sending(influxdb_server: InfluxDBServer, database: str) -> None:
    with FaultProxy(influxdb_server.url) as proxy, \
            InfluxDBClient(proxy.host, proxy.port, "root", "root", database) as through:
        moment = datetime.datetime(2024, 1, 1, 0, 0, 0, 500_000)
        for points, precision in (
                ([{"measurement": "m", "fields": {"v": 1.0}},
                  {"measurement": "m", "fields": {"v": float("nan")}}], None),
                ([{"measurement": "m", "fields": {"v": 1}, "time": moment}], "s"),
                ([{"measurement": "m", "fields": {"v": 1}, "time": int(time.time())}], None)):
            error = caught_error(functools.partial(through.write_points, points, precision))
            assert isinstance(error, InfluxDBClientError)
            assert isinstance(error, influxkit.LineProtocolError)
            assert isinstance(error, ValueError)
            assert error.code is None
    assert [r for r in proxy.requests if r.path == "/write"] == []
    assert stored(influxdb_server, database, "m") == []


def test_tls(influxdb_tls_server: InfluxDBServer) -> None:
    server = influxdb_tls_server
    # influxdb-python verified no certificate unless asked.
    with InfluxDBClient("localhost", server.port, ssl=True) as client:
        assert client._baseurl == f"https://localhost:{server.port}"
        assert client.ping() == server.version
    with InfluxDBClient("localhost", server.port, ssl=True, verify_ssl=True) as client:
        error = caught_error(client.ping)
        assert isinstance(error, influxkit.InfluxDBConnectionError)
    with InfluxDBClient("localhost", server.port, ssl=True,
                        verify_ssl=server.ca_file) as client:  # type: ignore[arg-type]
        assert client.ping() == server.version


# -- DataFrameClient ----------------------------------------------------------------------


@pytest.fixture
def frames(influxdb_server: InfluxDBServer, database: str) -> Iterator[DataFrameClient]:
    with DataFrameClient(influxdb_server.host, influxdb_server.port, "root", "root",
                         database) as client:
        yield client


def test_dataframe_tag_and_field_columns(frames: DataFrameClient,
                                         influxdb_server: InfluxDBServer,
                                         database: str) -> None:
    pd = pytest.importorskip("pandas")
    now = recent()
    index = pd.to_datetime([now, now + 1, now + 2], unit="s", utc=True)
    frame = pd.DataFrame({"host": ["a", "b", "a"], "load": [0.5, 1.5, 2.5],
                          "count": [1, 2, 3], "skip": ["x", "y", "z"]}, index=index)
    assert frames.write_points(frame, "cpu", tags={"dc": "eu"}, tag_columns=["host"],
                               field_columns=["load", "count"], time_precision="s") is True
    assert stored(influxdb_server, database, "cpu") == [
        {"time": rfc3339(now + i), "count": i + 1, "dc": "eu", "host": host,
         "load": 0.5 + i} for i, host in enumerate("aba")]
    assert field_types(influxdb_server, database, "cpu") == {"count": "integer",
                                                             "load": "float"}
    # By measurement, and by (measurement, tags) for grouped series.
    whole = frames.query("SELECT * FROM cpu")
    assert list(whole) == ["cpu"]
    assert list(whole["cpu"].columns) == ["count", "dc", "host", "load"]
    assert list(whole["cpu"].index) == list(index)
    grouped = frames.query('SELECT "load" FROM cpu GROUP BY "host"')
    assert list(grouped) == [("cpu", (("host", "a"),)), ("cpu", (("host", "b"),))]
    assert list(grouped["cpu", (("host", "a"),)]["load"]) == [0.5, 2.5]
    assert list(grouped["cpu", (("host", "b"),)].columns) == ["load"]
    # Several statements: a list of dicts.
    both = frames.query("SELECT count FROM cpu; SELECT load FROM cpu WHERE host = 'b'")
    assert [list(each) for each in both] == [["cpu"], ["cpu"]]
    assert list(both[1]["cpu"]["load"]) == [1.5]
    # Other statements: what InfluxDBClient.query returns.
    assert isinstance(frames.query("SHOW MEASUREMENTS"), ResultSet)
    assert frames.query("SELECT * FROM nothing") == {}


def test_dataframe_query_options(frames: DataFrameClient) -> None:
    pd = pytest.importorskip("pandas")
    now = recent()
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [None, None], "t": ["x", "y"]},
                         index=pd.to_datetime([now, now + 1], unit="s", utc=True))
    frames.write_points(frame, "m", tag_columns=["t"])
    frames.write_points(pd.DataFrame({"b": [5.0]}, index=pd.to_datetime(
        [now + 2], unit="s", utc=True)), "m", protocol="json")
    result = frames.query("SELECT a, b FROM m WHERE time < $end",
                          bind_params={"end": rfc3339(now + 2)})
    assert list(result["m"].columns) == ["a"]  # b has no value there: dropped
    kept = frames.query("SELECT a, b FROM m WHERE time < $end", dropna=False,
                        bind_params={"end": rfc3339(now + 2)})
    assert list(kept["m"].columns) == ["a", "b"]
    indexed = frames.query("SELECT a, t FROM m", data_frame_index=["t"])
    assert list(indexed["m"].index) == ["x", "y"]
    assert list(indexed["m"]["a"]) == [1.0, 2.0]
    # An integer column with gaps stays integers.
    frames.write_points(pd.DataFrame({"i": [7]}, index=pd.to_datetime(
        [now + 3], unit="s", utc=True)), "m")
    assert str(frames.query("SELECT a, i FROM m")["m"]["i"].dtype) == "Int64"
    epoch = frames.query("SELECT b FROM m", epoch="s")
    assert list(epoch["m"].index) == [pd.Timestamp(now + 2, unit="s", tz="UTC")]
    chunked = frames.query("SELECT * FROM m", chunked=True, chunk_size=1)
    assert list(chunked["m"]["b"].dropna()) == [5.0]


# -- the constructor's other options ------------------------------------------------------


def test_headers_timeout_retries_gzip_and_proxies(influxdb_server: InfluxDBServer,
                                                  influxdb_auth_server: InfluxDBServer,
                                                  database: str) -> None:
    auth = influxdb_auth_server
    # A header of the caller's reaches the server; its Authorization replaces the
    # client's credentials.
    token = base64.b64encode(f"{auth.admin_username}:{auth.admin_password}".encode())
    with InfluxDBClient(auth.host, auth.port, "root", SECRET,
                        headers={"Authorization": "Basic " + token.decode()}) as client:
        # (an admin's command)
        assert {"user": auth.admin_username, "admin": True} in client.get_list_users()
    with FaultProxy(influxdb_server.url) as proxy:
        # A timeout between bytes of an answer, and retries of it. (The answer held 3 s,
        # the client waits 1 s: on a busy machine too, a timeout, then a quick answer.)
        proxy.delay(3, path="/query")
        with InfluxDBClient(proxy.host, proxy.port, database=database, timeout=1,
                            retries=1) as client:
            error = caught_error(lambda: client.query("SHOW MEASUREMENTS"))
            assert isinstance(error, influxkit.InfluxDBTimeoutError)
            assert isinstance(error, TimeoutError)
        proxy.delay(3, path="/query")
        with InfluxDBClient(proxy.host, proxy.port, database=database, timeout=1,
                            retries=2) as client:
            assert client.query("SHOW MEASUREMENTS").raw == {"statement_id": 0}
        # Compressed requests.
        lines = [f"m,host=h{i % 3} v={i}i {1_700_000_000 + i}" for i in range(200)]
        with InfluxDBClient(proxy.host, proxy.port, database=database, gzip=True) as client:
            client.write(lines, params={"precision": "s"}, protocol="line")
            assert len(list(client.query("SELECT v FROM m").get_points())) == 200
        [write] = [r for r in proxy.requests if r.path == "/write"]
        assert write.lines == 200
        assert write.body_size < len("\n".join(lines)) / 4
    # The proxy of the client's scheme: requests go through it (here, nowhere).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with InfluxDBClient(influxdb_server.host, influxdb_server.port, retries=1,
                        proxies={"http": closed}) as client:
        assert isinstance(caught_error(client.ping), influxkit.InfluxDBConnectionError)
    with InfluxDBClient(influxdb_server.host, influxdb_server.port,
                        proxies={"https": closed}) as client:
        assert client.ping() == influxdb_server.version


def test_a_closed_client_opens_again(client: InfluxDBClient) -> None:
    client.close()
    assert client.ping()
    client.close()


def test_dataframe_write_options(frames: DataFrameClient, influxdb_server: InfluxDBServer,
                                 database: str) -> None:
    pd = pytest.importorskip("pandas")
    now = recent(7200)
    index = pd.to_datetime([now, now + 1], unit="s", utc=True)
    frame = pd.DataFrame({"host": ["a", "b"], "x": [0.123456, 1.987654]}, index=index)
    # Shared tags win over tag columns of the same name, as in influxdb-python.
    frames.write_points(frame, "shared", tags={"host": "X"}, tag_columns=["host"])
    assert [p["host"] for p in stored(influxdb_server, database, "shared")] == ["X", "X"]
    # Field columns alone: with 'line', the other columns are tags; with 'json', they
    # are left out.
    frames.write_points(frame, "line", field_columns=["x"], protocol="line")
    assert [p["host"] for p in stored(influxdb_server, database, "line")] == ["a", "b"]
    frames.write_points(frame, "json", field_columns=["x"], protocol="json")
    assert [set(p) for p in stored(influxdb_server, database, "json")] == [{"time", "x"}] * 2
    # Decimals to round floats to.
    frames.write_points(frame[["x"]], "rounded", numeric_precision=2)
    assert [p["x"] for p in stored(influxdb_server, database, "rounded")] == [0.12, 1.99]
    # A PeriodIndex: the periods' start times.
    periods = pd.DataFrame({"v": [1, 2]}, index=pd.period_range("2024-01-01", periods=2,
                                                                freq="D"))
    frames.write_points(periods, "periods", time_precision="s")
    assert stored(influxdb_server, database, "periods") == [
        {"time": "2024-01-01T00:00:00Z", "v": 1}, {"time": "2024-01-02T00:00:00Z", "v": 2}]
    # A missing cell is left out; an infinite one refused, naming it, before sending.
    gaps = pd.DataFrame({"a": [1.0, None], "b": [2.0, 3.0]}, index=index)
    frames.write_points(gaps, "gaps")
    assert [p["a"] for p in stored(influxdb_server, database, "gaps")] == [1.0, None]
    infinite = pd.DataFrame({"a": [1.0, float("inf")]}, index=index)
    error = caught_error(lambda: frames.write_points(infinite, "infinite"))
    assert isinstance(error, InfluxDBClientError)
    assert isinstance(error, influxkit.LineProtocolError)
    assert "inf" in str(error)
    assert stored(influxdb_server, database, "infinite") == []


def test_on_influxdb_2(influxdb_server: InfluxDBServer, database: str) -> None:
    # InfluxDB 2.x's v1 API takes the token as the password.
    with ServerFlavour(influxdb_server.url, "2.7") as flavour:
        flavour.create_database(database)
        now = recent()
        with InfluxDBClient(flavour.host, flavour.port, "me", flavour.token,
                            database) as client:
            client.write_points([{"measurement": "m", "tags": {"host": "a"},
                                  "fields": {"v": 1.5}, "time": now}], time_precision="s")
            assert list(client.query("SELECT v FROM m").get_points()) == [
                {"time": rfc3339(now), "v": 1.5}]
            error = caught_error(lambda: client.write_points(
                [{"measurement": "m", "fields": {"v": 1}}], database="nope"))
            assert isinstance(error, InfluxDBClientError)
            assert isinstance(error, influxkit.DatabaseNotFoundError)
            assert error.code == 404
            assert json.loads(error.content) == {"error": error.message}
        with InfluxDBClient(flavour.host, flavour.port, "me", "not-the-token",
                            database) as client:
            error = caught_error(client.get_list_measurements)
            assert isinstance(error, InfluxDBClientError)
            assert error.code == 401
    assert stored(influxdb_server, database, "m") == [
        {"time": rfc3339(now), "host": "a", "v": 1.5}]
