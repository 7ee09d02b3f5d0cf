"""inflow's documentation, run through ``influxkit.compat.inflow`` against a real server.

Every example of inflow 0.1.1's documentation is quoted as it is written, with
``from inflow import`` changed to ``from influxkit.compat.inflow import`` and the URL's
host, port and database pointed at the test server; what it stored is read back from
influxd itself. Then the rest of what the documentation promises: sessions, queries,
the exceptions, each where it says they are raised.
"""

from __future__ import annotations

import datetime
import gc
import pickle
import textwrap
import time
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import influxkit
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
from influxkit.testing import InfluxDBServer
from influxkit.testing.flavours import ServerFlavour

DOC_URL = "http://username:pass@localhost:8086/databasename"


def doc_url(server: InfluxDBServer, database: str) -> str:
    """The documentation's URL, its host, port and database the test server's."""
    return DOC_URL.replace("localhost:8086", f"{server.host}:{server.port}").replace(
        "databasename", database)


def run_example(source: str, server: InfluxDBServer, database: str) -> dict[str, Any]:
    """Run documentation code with the import line changed; return its variables."""
    code = textwrap.dedent(source)
    code = code.replace("from inflow import", "from influxkit.compat.inflow import")
    # The documentation's epoch example imports from 'influx', a typo for 'inflow'.
    code = code.replace("from influx import", "from influxkit.compat.inflow import")
    code = code.replace(DOC_URL, doc_url(server, database))
    assert "localhost" not in code
    namespace: dict[str, Any] = {}
    exec(compile(code, "<example>", "exec", dont_inherit=True), namespace)
    return namespace


def stored(server: InfluxDBServer, database: str, measurement: str = "temperature",
           where: str = "") -> list[dict[str, Any]]:
    """The points of a measurement as influxd has them (RFC 3339 times), oldest first."""
    answer = server.query(f'SELECT * FROM {where}"{measurement}"', db=database)
    series = answer["results"][0].get("series", [])
    assert len(series) <= 1
    return [dict(zip(series[0]["columns"], row, strict=True))
            for row in series[0]["values"]] if series else []


def field_types(server: InfluxDBServer, database: str, measurement: str = "temperature",
                where: str = "") -> dict[str, str]:
    answer = server.query(f'SHOW FIELD KEYS FROM {where}"{measurement}"', db=database)
    series = answer["results"][0].get("series", [])
    return dict(series[0]["values"]) if series else {}


def rfc3339(seconds: int) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def client(influxdb_server: InfluxDBServer, database: str) -> Iterator[Client]:
    with Client(doc_url(influxdb_server, database)) as client:
        yield client


@pytest.fixture
def rp_four_weeks(influxdb_server: InfluxDBServer, database: str) -> str:
    """The documentation's retention policy, on the test database: infinite, since the
    examples' times (2016) are older than four weeks, and influxd drops such points."""
    influxdb_server.query(
        f'CREATE RETENTION POLICY "rp_four_weeks" ON "{database}" DURATION INF REPLICATION 1')
    return "rp_four_weeks"


# -- the examples of "Writing Measurements" ---------------------------------------------


def test_example_a_single_measurement(influxdb_server: InfluxDBServer, database: str) -> None:
    before = time.time_ns() // 10**9
    run_example('''
        from inflow import Client
        client = Client('http://username:pass@localhost:8086/databasename')
        client.write('temperature', value=21.3)
    ''', influxdb_server, database)
    after = time.time_ns() // 10**9
    [point] = stored(influxdb_server, database)
    # "inflow automatically sets the measurement's time to the current time" (in the
    # client's precision, seconds), and attaches no tags.
    assert point["value"] == 21.3
    assert point["time"] in {rfc3339(second) for second in range(before, after + 1)}
    assert set(point) == {"time", "value"}


def test_example_tags_and_timestamp(influxdb_server: InfluxDBServer, database: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')

        client.write(
            'temperature',
            tags={
                'location': 'groningen',
                'sensor_type': 'ni1000'
            },
            value=21.3,
            timestamp=1475845863
        )
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == [
        {"time": "2016-10-07T13:11:03Z", "location": "groningen", "sensor_type": "ni1000",
         "value": 21.3}]


def test_example_a_list_of_measurements(influxdb_server: InfluxDBServer,
                                        database: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client, Measurement

        client = Client('http://username:pass@localhost:8086/databasename')

        client.write([
            Measurement(
                name='temperature',
                tags={
                    'location': ' groningen',
                    'sensor_type': 'ni1000'
                },
                value=21.3,
                timestamp=1475845863
            ),
            Measurement(
                name='temperature',
                tags={
                    'location': ' groningen',
                    'sensor_type': 'ni1000'
                },
                value=20.1,
                timestamp=1475848864
            )
        ])
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == [
        {"time": rfc3339(1475845863), "location": " groningen", "sensor_type": "ni1000",
         "value": 21.3},
        {"time": rfc3339(1475848864), "location": " groningen", "sensor_type": "ni1000",
         "value": 20.1}]


def test_example_a_template_and_rows(influxdb_server: InfluxDBServer, database: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')

        temperature = dict(
            name='temperature',
            tags={
                'location': ' groningen',
                'sensor_type': 'ni1000'
            }
        )

        client.write(temperature, [
            {'value': 21.3, 'timestamp': 1475845863},
            {'value': 20.1, 'timestamp': 1475846182}
        ])
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == [
        {"time": rfc3339(1475845863), "location": " groningen", "sensor_type": "ni1000",
         "value": 21.3},
        {"time": rfc3339(1475846182), "location": " groningen", "sensor_type": "ni1000",
         "value": 20.1}]


def test_example_multiple_values(influxdb_server: InfluxDBServer, database: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')

        client.write(
            'temperature',
            timestamp=1475846182,
            lower_sensor=20.9,
            upper_sensor=23.2
        )
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == [
        {"time": rfc3339(1475846182), "lower_sensor": 20.9, "upper_sensor": 23.2}]


def test_example_precision(influxdb_server: InfluxDBServer, database: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename',
                       precision='ms')

        client.write('temperature', value=21.3, timestamp=1476191999000)
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == [
        {"time": "2016-10-11T13:19:59Z", "value": 21.3}]


def test_example_client_retention_policy(influxdb_server: InfluxDBServer, database: str,
                                         rp_four_weeks: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename',
                       retention_policy='rp_four_weeks')

        client.write('temperature', value=21.3)
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == []  # not in the default policy
    [point] = stored(influxdb_server, database, where=f'"{database}"."rp_four_weeks".')
    assert point["value"] == 21.3
    assert field_types(influxdb_server, database,
                       where=f'"{database}"."rp_four_weeks".') == {"value": "float"}


def test_example_write_retention_policy(influxdb_server: InfluxDBServer, database: str,
                                        rp_four_weeks: str) -> None:
    run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')

        client.write('temperature', value=21.3, retention_policy='rp_four_weeks')
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == []
    [point] = stored(influxdb_server, database, where=f'"{database}"."rp_four_weeks".')
    # An option, never a field named retention_policy.
    assert set(point) == {"time", "value"}
    assert field_types(influxdb_server, database,
                       where=f'"{database}"."rp_four_weeks".') == {"value": "float"}


# -- the examples of "Sessions" ---------------------------------------------------------

TWO = [{"time": rfc3339(1475848864), "value": 23.1}, {"time": rfc3339(1475849823), "value": 25.0}]


def test_example_session_commit(influxdb_server: InfluxDBServer, database: str) -> None:
    namespace = run_example('''
        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')
        session = client.session()

        session.write('temperature', value=23.1, timestamp=1475848864)
        session.write('temperature', value=25.0, timestamp=1475849823)
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == []  # nothing sent before the commit
    exec("session.commit()", namespace)
    assert stored(influxdb_server, database) == TWO


def test_example_session_context_manager(influxdb_server: InfluxDBServer,
                                         database: str) -> None:
    run_example('''
        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')

        with client.session() as session:
            session.write('temperature', value=23.1, timestamp=1475848864)
            session.write('temperature', value=25.0, timestamp=1475849823)
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == TWO


def test_example_session_autocommit(influxdb_server: InfluxDBServer, database: str) -> None:
    namespace = run_example('''
        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')
        session = client.session(autocommit_every=5)

        session.write('temperature', value=23.1, timestamp=1475848864)
        session.write('temperature', value=25.0, timestamp=1475849823)
        session.write('temperature', value=22.9, timestamp=1475849825)
        session.write('temperature', value=28.2, timestamp=1475849912)
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == []
    exec('''
# This next write call will trigger the autocommit.
session.write('temperature', value=25.1, timestamp=1475849999)
''', namespace)
    assert [point["value"] for point in stored(influxdb_server, database)] == [
        23.1, 25.0, 22.9, 28.2, 25.1]
    assert namespace["session"].pending == 0


def test_example_session_retention_policy(influxdb_server: InfluxDBServer, database: str,
                                          rp_four_weeks: str) -> None:
    run_example('''
        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')

        with client.session(retention_policy='rp_four_weeks') as session:
            session.write('temperature', value=23.1, timestamp=1475848864)
    ''', influxdb_server, database)
    assert stored(influxdb_server, database) == []
    assert stored(influxdb_server, database, where=f'"{database}"."rp_four_weeks".') == [
        {"time": rfc3339(1475848864), "value": 23.1}]


def test_a_point_older_than_the_retention_policy(influxdb_server: InfluxDBServer,
                                                 database: str, client: Client) -> None:
    # With a policy of four weeks indeed, influxd drops the 2016 point and says so.
    influxdb_server.query(
        f'CREATE RETENTION POLICY "four_weeks" ON "{database}" DURATION 4w REPLICATION 1')
    session = client.session(retention_policy="four_weeks")
    session.write("temperature", value=23.1, timestamp=1475848864)
    with pytest.raises(WriteFailedException, match="points beyond retention policy"):
        session.commit()
    assert session.pending == 0  # a partial write: the server has had its say


# -- the examples of "Querying" ---------------------------------------------------------


def test_example_query(influxdb_server: InfluxDBServer, database: str) -> None:
    namespace = run_example('''
        #!/usr/bin/env python

        from inflow import Client

        client = Client('http://username:pass@localhost:8086/databasename')
        results = client.query('SELECT * FROM "temperatures"')
        # Results will contain a list of dicts for each returned measurement.
    ''', influxdb_server, database)
    assert namespace["results"] == []  # there is no "temperatures"
    # "Say you've got a measurement called temperature, which contains a value field, a
    # location tag, and contains 2 values": the structure the documentation shows.
    influxdb_server.write("temperature,location=\\ groningen\\  value=21.0 1452384060\n"
                          "temperature,location=\\ groningen\\  value=23.0 1452384120",
                          database, precision="s")
    results = namespace["client"].query('SELECT * FROM "temperature"')
    assert results == [
        {
            'name': 'temperature',
            'values': [
                {
                    'time': '2016-01-10T00:01:00Z',
                    'value': 21.0,
                    'location': ' groningen '
                },
                {
                    'time': '2016-01-10T00:02:00Z',
                    'value': 23.0,
                    'location': ' groningen '
                }
            ]
        }
    ]
    assert type(results[0]["values"][0]["value"]) is float


def test_example_query_epoch(influxdb_server: InfluxDBServer, database: str) -> None:
    influxdb_server.write("temperatures value=21.0 1452384060", database, precision="s")
    namespace = run_example('''
        #!/usr/bin/env python

        from influx import Client

        client = Client('http://username:pass@localhost:8086/databasename')
        results = client.query('SELECT * FROM "temperatures"', epoch='s')
    ''', influxdb_server, database)
    assert namespace["results"] == [
        {"name": "temperatures", "values": [{"time": 1452384060, "value": 21.0}]}]
    results = namespace["client"].query('SELECT * FROM "temperatures"', epoch="ms")
    assert results[0]["values"][0]["time"] == 1452384060000


# -- "Error Handling": each exception where the documentation says -----------------------


def raised(call: Any) -> BaseException:
    with pytest.raises(InfluxDBException) as info:
        call()
    return info.value


def test_a_rejected_query_is_query_failed(client: Client) -> None:
    error = raised(lambda: client.query('SELEC * FROM "temperature"'))
    assert isinstance(error, QueryFailedException)
    assert isinstance(error, influxkit.QueryFailedException)
    assert isinstance(error, influxkit.InfluxDBHTTPError)
    # "The message is the raw error message returned by the InfluxDB HTTP API."
    assert str(error).startswith("error parsing query: found SELEC")
    assert error.args == (str(error),)
    assert error.status == 400
    assert not isinstance(error, (WriteFailedException, DatabaseNotFoundException))


def test_a_failed_statement_is_query_failed(client: Client) -> None:
    # influxd answers 200 with the statement's error: inflow returned [].
    error = raised(lambda: client.query('SELECT * FROM "temperature"; SELECT foo('))
    assert isinstance(error, QueryFailedException)
    error = raised(lambda: client.query('SELECT * FROM "temperature" WHERE time > now() + x'))
    assert isinstance(error, QueryFailedException)
    assert isinstance(error, influxkit.InfluxDBQueryError)
    assert "undefined" in str(error) or "invalid" in str(error)


def test_a_rejected_write_is_write_failed(influxdb_server: InfluxDBServer, database: str,
                                          client: Client) -> None:
    client.write("temperature", value=21.3, timestamp=1475845863)
    error = raised(lambda: client.write("temperature", value="warm", timestamp=1475845864))
    assert isinstance(error, WriteFailedException)
    assert isinstance(error, influxkit.InfluxDBWriteError)
    assert isinstance(error, influxkit.PartialWriteError)
    assert str(error).startswith("partial write: field type conflict")
    assert error.status == 400
    assert error.dropped == 1
    assert not isinstance(error, QueryFailedException)
    assert len(stored(influxdb_server, database)) == 1


def test_an_unknown_retention_policy_is_write_failed(client: Client) -> None:
    error = raised(lambda: client.write("temperature", value=1.0, retention_policy="nope"))
    assert isinstance(error, WriteFailedException)
    assert str(error) == "retention policy not found: nope"


def test_a_missing_database_is_database_not_found(influxdb_server: InfluxDBServer) -> None:
    missing = f"missing_{uuid.uuid4().hex}"
    with Client(doc_url(influxdb_server, missing)) as client:
        error = raised(lambda: client.write("temperature", value=21.3))
        assert isinstance(error, DatabaseNotFoundException)
        assert isinstance(error, influxkit.DatabaseNotFoundError)
        assert isinstance(error, influxkit.InfluxDBWriteError)
        assert not isinstance(error, WriteFailedException)  # as in inflow: a sibling
        assert str(error) == f'database not found: "{missing}"'
        assert error.status == 404
        assert error.database == missing
        # A query of it: inflow returned [], here it is both.
        error = raised(lambda: client.query('SELECT * FROM "temperature"'))
        assert isinstance(error, DatabaseNotFoundException)
        assert isinstance(error, QueryFailedException)
        assert str(error) == f"database not found: {missing}"
        # A session's commit says the same.
        session = client.session()
        session.write("temperature", value=21.3)
        assert isinstance(raised(session.commit), DatabaseNotFoundException)
        assert session.pending == 1  # kept for the next commit
        assert session.rollback() == 1


@pytest.fixture(scope="module")
def auth_server(influxdb_auth_server: InfluxDBServer) -> Iterator[InfluxDBServer]:
    # The server is shared by the session: what is made here is dropped after the module.
    influxdb_auth_server.query('CREATE DATABASE "inflow_auth"')
    influxdb_auth_server.query("CREATE USER \"reader\" WITH PASSWORD 'reader-pw'")
    influxdb_auth_server.query('GRANT READ ON "inflow_auth" TO "reader"')
    yield influxdb_auth_server
    influxdb_auth_server.query('DROP USER "reader"')
    influxdb_auth_server.query('DROP DATABASE "inflow_auth"')


def test_wrong_credentials_are_unauthorized(auth_server: InfluxDBServer) -> None:
    url = f"http://reader:wrong-pw@{auth_server.host}:{auth_server.port}/inflow_auth"
    with Client(url) as client:
        for call in (lambda: client.write("temperature", value=21.3),
                     lambda: client.query('SELECT * FROM "temperature"')):
            error = raised(call)
            assert isinstance(error, UnauthorizedException)
            assert isinstance(error, influxkit.AuthenticationError)
            assert not isinstance(error, (WriteFailedException, QueryFailedException))
            assert error.status == 401
            assert "wrong-pw" not in repr(vars(error))


def test_a_forbidden_action_is_forbidden(auth_server: InfluxDBServer) -> None:
    url = f"http://reader:reader-pw@{auth_server.host}:{auth_server.port}/inflow_auth"
    with Client(url) as client:
        assert client.query('SELECT * FROM "temperature"') == []  # may read
        error = raised(lambda: client.write("temperature", value=21.3))
        assert isinstance(error, ForbiddenException)
        assert isinstance(error, influxkit.AuthorizationError)
        assert str(error) == '"reader" user is not authorized to write to database ' \
                             '"inflow_auth"'
        error = raised(lambda: client.query('DROP DATABASE "inflow_auth"'))
        assert isinstance(error, ForbiddenException)
        assert isinstance(error, influxkit.AuthorizationError)
        assert error.status == 403


def test_raised_errors_pickle(influxdb_server: InfluxDBServer) -> None:
    with Client(doc_url(influxdb_server, f"missing_{uuid.uuid4().hex}")) as client:
        error = raised(lambda: client.write("temperature", value=21.3))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args
    assert isinstance(copy, influxkit.InfluxDBHTTPError)
    assert copy.status == 404


# -- writing, beyond the examples -------------------------------------------------------


def test_every_form_with_the_client_precision(influxdb_server: InfluxDBServer,
                                              database: str) -> None:
    # An integer timestamp is in the client's precision in every form.
    with Client(doc_url(influxdb_server, database), precision="ms") as client:
        client.write("a", value=1.5, timestamp=1476191999123)
        client.write(Measurement("b", 1476191999123, value=1.5))
        client.write([Measurement("c", timestamp=1476191999123, value=1.5)])
        client.write({"name": "d"}, [{"value": 1.5, "timestamp": 1476191999123}])
        # ...or in the write's.
        client.write("e", value=1.5, timestamp=1476191999, precision="s")
        client.write("f", value=1.5, timestamp=datetime.datetime(2016, 10, 11, 13, 19, 59,
                                                                 123000))
    for name in "abcdf":
        assert stored(influxdb_server, database, name) == [
            {"time": "2016-10-11T13:19:59.123Z", "value": 1.5}], name
    assert stored(influxdb_server, database, "e") == [
        {"time": "2016-10-11T13:19:59Z", "value": 1.5}]


def test_a_time_finer_than_the_precision_is_refused(influxdb_server: InfluxDBServer,
                                                    client: Client) -> None:
    # inflow truncated it to the second: refused here, before anything is sent.
    moment = datetime.datetime(2016, 10, 11, 13, 19, 59, 123000)
    with pytest.raises(WriteFailedException, match="not a whole number of seconds") as info:
        client.write([Measurement("temperature", 1476191999, value=1.0),
                      Measurement("temperature", moment, value=2.0)])
    assert isinstance(info.value, influxkit.LineProtocolError)
    assert isinstance(info.value, ValueError)
    assert info.value.index == 1
    assert client.query('SELECT * FROM "temperature"') == []  # nothing of it sent
    # A datetime on a whole second is written exactly.
    client.write("temperature", value=1.0, timestamp=moment.replace(microsecond=0))
    assert client.query('SELECT * FROM "temperature"', epoch="s")[0]["values"] == [
        {"time": 1476191999, "value": 1.0}]


def test_integers_are_written_as_floats(influxdb_server: InfluxDBServer, database: str,
                                        client: Client) -> None:
    # inflow's line protocol had no 'i': InfluxDB stored its ints as floats, so ints and
    # floats mix in one field, as they did.
    client.write("temperature", value=21, timestamp=1475845863)
    client.write("temperature", value=21.5, timestamp=1475845864)
    client.write("temperature", ok=True, label="warm", timestamp=1475845865)
    assert field_types(influxdb_server, database) == {
        "label": "string", "ok": "boolean", "value": "float"}
    assert [point["value"] for point in stored(influxdb_server, database)][:2] == [21.0, 21.5]


def test_dropping_clients_is_quiet(influxdb_server: InfluxDBServer, database: str) -> None:
    # inflow's clients held no connection: code makes one per call and drops it.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in (1.0, 2.0, 3.0):
            Client(doc_url(influxdb_server, database)).write(
                "temperature", value=value, timestamp=1475845863 + int(value))
        gc.collect()
    assert len(stored(influxdb_server, database)) == 3


# -- sessions, beyond the examples ------------------------------------------------------


def test_autocommit_counts_measurements(influxdb_server: InfluxDBServer,
                                        client: Client) -> None:
    session = client.session(autocommit_every=5)
    session.write({"name": "temperature"}, [
        {"value": 20.0 + n, "timestamp": 1475848864 + n} for n in range(6)])
    assert session.pending == 0
    assert len(client.query('SELECT * FROM "temperature"')[0]["values"]) == 6


def test_a_session_write_is_checked_at_once(client: Client) -> None:
    session = client.session()
    session.write("temperature", value=1.0, timestamp=1475848864)
    with pytest.raises(WriteFailedException) as info:
        session.write("temperature", value=float("nan"), timestamp=1475848865)
    assert isinstance(info.value, influxkit.LineProtocolError)
    assert session.pending == 1
    with pytest.raises(TypeError, match="retention"):
        session.write("temperature", value=1.0, retention_policy="rp_four_weeks")
    with pytest.raises(TypeError, match="precision"):
        session.write("temperature", value=1.0, precision="ms")
    session.commit()
    assert len(client.query('SELECT * FROM "temperature"')[0]["values"]) == 1


def test_a_session_commits_on_exit_also_after_an_error(client: Client) -> None:
    # "When the context manager exits, the session is automatically committed."
    def fail_in_a_session() -> None:
        with client.session() as session:
            session.write("temperature", value=1.0, timestamp=1475848864)
            raise KeyError("the block failed")

    with pytest.raises(KeyError):
        fail_in_a_session()
    assert client.query('SELECT * FROM "temperature"', epoch="s")[0]["values"] == [
        {"time": 1475848864, "value": 1.0}]


def test_a_failed_commit_on_exit_is_noted_on_the_error(influxdb_server: InfluxDBServer
                                                       ) -> None:
    with Client(doc_url(influxdb_server, f"missing_{uuid.uuid4().hex}")) as client:
        session = client.session()

        def fail_in_the_session() -> None:
            with session:
                session.write("temperature", value=1.0)
                raise KeyError("the block failed")

        with pytest.raises(KeyError) as info:
            fail_in_the_session()
        # The block's error goes on, the commit's failure noted on it (Python 3.11+).
        notes = getattr(info.value, "__notes__", None)
        if notes is not None:
            assert "the session's commit on exit failed: DatabaseNotFoundException" in notes[0]
        assert session.pending == 1  # kept
        assert session.rollback() == 1


def test_session_points_without_timestamp_get_the_current_time(
        influxdb_server: InfluxDBServer, database: str) -> None:
    # Each when it is written, in the client's precision: points of one commit do not
    # all get the server's time (and overwrite each other).
    with Client(doc_url(influxdb_server, database), precision="ms") as client:
        before = time.time_ns() // 10**6
        with client.session() as session:
            session.write("temperature", value=1.0)
            time.sleep(0.005)
            session.write("temperature", value=2.0)
        after = time.time_ns() // 10**6
        values = client.query('SELECT * FROM "temperature"', epoch="ms")[0]["values"]
    assert [point["value"] for point in values] == [1.0, 2.0]
    assert before <= values[0]["time"] < values[1]["time"] <= after


# -- queries, beyond the examples -------------------------------------------------------


def test_grouped_and_several_statements(influxdb_server: InfluxDBServer, database: str,
                                        client: Client) -> None:
    client.write("cpu", tags={"host": "a"}, load=0.5, timestamp=1475845863)
    client.write("cpu", tags={"host": "b"}, load=0.7, timestamp=1475845863)
    client.write("mem", used=10.0, timestamp=1475845863)
    results = client.query('SELECT "load" FROM "cpu" GROUP BY "host"; SELECT * FROM "mem"',
                           epoch="s")
    assert results == [
        {"name": "cpu", "tags": {"host": "a"}, "values": [{"time": 1475845863, "load": 0.5}]},
        {"name": "cpu", "tags": {"host": "b"}, "values": [{"time": 1475845863, "load": 0.7}]},
        {"name": "mem", "values": [{"time": 1475845863, "used": 10.0}]},
    ]
    assert client.query(f'CREATE RETENTION POLICY "short" ON "{database}" DURATION 1h '
                        "REPLICATION 1") == []


# -- InfluxDB 2.x -----------------------------------------------------------------------


def test_on_influxdb_2(influxdb_server: InfluxDBServer, database: str) -> None:
    # InfluxDB 2.x's v1 API takes the token as the password.
    with ServerFlavour(influxdb_server.url, "2.7") as flavour:
        flavour.create_database(database)
        url = f"http://me:{flavour.token}@{flavour.host}:{flavour.port}/{database}"
        with Client(url, precision="ms") as client:
            client.write("temperature", tags={"location": "groningen"}, value=21.3,
                         timestamp=1476191999123)
            with client.session() as session:
                session.write("temperature", tags={"location": "assen"}, value=20.0,
                              timestamp=1476191999456)
            results = client.query('SELECT * FROM "temperature"', epoch="ms")
        with Client(url.replace(flavour.token, "not-the-token")) as client:
            assert isinstance(raised(lambda: client.write("t", value=1.0)),
                              UnauthorizedException)
    assert stored(influxdb_server, database) == [
        {"time": "2016-10-11T13:19:59.123Z", "location": "groningen", "value": 21.3},
        {"time": "2016-10-11T13:19:59.456Z", "location": "assen", "value": 20.0}]
    assert results == [{"name": "temperature", "values": [
        {"time": 1476191999123, "location": "groningen", "value": 21.3},
        {"time": 1476191999456, "location": "assen", "value": 20.0}]}]


def test_the_module_is_importable_as_inflow() -> None:
    assert inflow.Client is Client
    assert inflow.exceptions.WriteFailedException is WriteFailedException
