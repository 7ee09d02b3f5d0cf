"""Sessions against a real influxd: commit, context managers, autocommit, failed commits
that keep their points, both modes, threads."""

from __future__ import annotations

import asyncio
import copy
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from influxkit import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBWriteError,
    LineProtocolError,
    Point,
    Session,
    serialize,
)
from influxkit._encode.serialize import EncodedLines
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server


def count(server: InfluxDBServer, db: str, source: str = '"m"') -> int:
    answer = server.query(f"SELECT count(v) FROM {source}", db=db)
    series = answer["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def values(server: InfluxDBServer, db: str, field: str = "v") -> list[Any]:
    answer = server.query(f'SELECT "{field}" FROM "m"', db=db)
    series = answer["results"][0].get("series")
    return [row[1] for row in series[0]["values"]] if series else []


S = 1_257_894_000  # 2009-11-10T23:00:00Z, in seconds
T0 = S * 10**9


def point(i: int, **tags: str) -> dict[str, Any]:
    return {"measurement": "m", "tags": tags, "fields": {"v": i}, "time": T0 + i}


@pytest.fixture
def missing_database(influxdb_server: InfluxDBServer) -> Iterator[str]:
    """The name of a database that does not exist yet (dropped after the test)."""
    name = f"test_missing_{uuid.uuid4().hex}"
    yield name
    influxdb_server.drop_database(name)


# -- blocking mode ---------------------------------------------------------------------------


def test_points_are_written_on_commit(influxdb_server: InfluxDBServer, database: str,
                                      blocking: InfluxDBClient) -> None:
    session = blocking.session()
    assert isinstance(session, Session)
    assert session.write([point(1), point(2)]) is None
    session.write(Point("m").field("v", 3).time(T0 + 3))
    session.write(f"m v=4i {T0 + 4}".encode())
    assert session.pending == 4
    assert count(influxdb_server, database) == 0
    assert session.commit() is True
    assert session.pending == 0
    assert values(influxdb_server, database) == [1, 2, 3, 4]
    assert session.commit() is True  # nothing left: nothing sent


def test_with_block_commits_on_success(influxdb_server: InfluxDBServer, database: str,
                                       blocking: InfluxDBClient) -> None:
    with blocking.session() as session:
        session.write(point(1))
        session.write_measurement("m", timestamp=S + 2, v=2)
    assert values(influxdb_server, database) == [1, 2]
    assert session.pending == 0


def test_with_block_that_raises_keeps_its_points_unsent(influxdb_server: InfluxDBServer,
                                                        database: str,
                                                        blocking: InfluxDBClient) -> None:
    session = blocking.session()

    def fail_inside() -> None:
        with session:
            session.write(point(1))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert count(influxdb_server, database) == 0
    assert session.pending == 1
    session.commit()
    assert values(influxdb_server, database) == [1]


def test_autocommit_every_n_writes(influxdb_server: InfluxDBServer, database: str,
                                   blocking: InfluxDBClient) -> None:
    session = blocking.session(autocommit_every=3)
    session.write(point(1))
    session.write([point(2), point(3)])
    assert count(influxdb_server, database) == 0
    session.write(point(4))  # the third write
    assert count(influxdb_server, database) == 4
    assert session.pending == 0
    for i in range(5, 10):
        session.write(point(i))  # 7 is the third write since the commit
    assert count(influxdb_server, database) == 7
    assert session.pending == 2
    session.commit()
    assert count(influxdb_server, database) == 9


def test_a_bad_point_fails_when_handed_over(influxdb_server: InfluxDBServer, database: str,
                                            blocking: InfluxDBClient) -> None:
    session = blocking.session()
    session.write(point(1))
    bad = {"measurement": "m", "fields": {"v": float("nan")}}
    with pytest.raises(LineProtocolError, match="NaN") as caught:
        session.write([point(2), bad])
    assert caught.value.index == 1
    assert caught.value.point is bad
    with pytest.raises(LineProtocolError, match="'v'"):
        session.write_measurement("m", v=float("inf"))
    assert session.pending == 1  # nothing of a refused write is kept
    session.commit()
    assert values(influxdb_server, database) == [1]


@pytest.mark.influxdb1(reason="fails by writing to a database that does not exist, which 3.x "
                               "makes on the write and 2.x makes by its bucket")
def test_a_failed_commit_keeps_the_points_and_a_later_one_sends_them(
        influxdb_server: InfluxDBServer, blocking: InfluxDBClient,
        missing_database: str) -> None:
    session = blocking.session(db=missing_database)
    session.write([point(1), point(2)])
    with pytest.raises(InfluxDBWriteError, match="database not found"):
        session.commit()
    assert session.pending == 2
    session.write(point(3))
    with pytest.raises(InfluxDBWriteError), session:
        session.write(point(4))  # the commit on leaving the block fails too
    assert session.pending == 4
    influxdb_server.create_database(missing_database)
    assert session.commit() is True
    assert session.pending == 0
    assert values(influxdb_server, missing_database) == [1, 2, 3, 4]


@pytest.mark.influxdb1(reason="fails by writing to a database that does not exist, which 3.x "
                               "makes on the write and 2.x makes by its bucket")
def test_a_failed_autocommit_raises_from_write_and_keeps_the_points(
        influxdb_server: InfluxDBServer, blocking: InfluxDBClient,
        missing_database: str) -> None:
    session = blocking.session(autocommit_every=2, db=missing_database)
    session.write(point(1))
    with pytest.raises(InfluxDBWriteError):
        session.write(point(2))
    assert session.pending == 2
    influxdb_server.create_database(missing_database)
    session.write(point(3))
    session.write(point(4))  # the second write since the failed commit
    assert values(influxdb_server, missing_database) == [1, 2, 3, 4]


def test_a_failed_commit_on_a_frozen_server_keeps_the_points(
        influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    with InfluxDBClient(host=server.host, port=server.port, db="db", mode="blocking",
                        timeout=1) as client:
        session = client.session()
        session.write([point(1), point(2)])
        server.pause()
        try:
            with pytest.raises(InfluxDBConnectionError):
                session.commit()
            assert session.pending == 2
        finally:
            server.resume()
        session.commit()
    assert values(server, "db") == [1, 2]


@pytest.mark.influxdb1(reason="the retention policy is made on influxd directly: 2.x would "
                               "need a DBRP mapping for it (test_every_server covers 2.x's)")
def test_session_options(influxdb_server: InfluxDBServer, database: str,
                         blocking: InfluxDBClient) -> None:
    influxdb_server.query(f'CREATE RETENTION POLICY "short" ON "{database}" DURATION 2h '
                          "REPLICATION 1")
    now = int(pd.Timestamp.now(tz="UTC").timestamp())
    with blocking.session(retention_policy="short", precision="s") as session:
        assert (session.retention_policy, session.precision) == ("short", "s")
        session.write({"measurement": "m", "fields": {"v": 1}, "time": now})
        session.write_measurement("m", timestamp=now + 1, v=2)
        session.write(Point("m").field("v", 3).time((now + 2) * 1000, "ms"))
        with pytest.raises(LineProtocolError, match="whole number of seconds"):
            session.write(Point("m").field("v", 4).time(now * 1000 + 1, "ms"))
    assert count(influxdb_server, database, '"short"."m"') == 3
    assert count(influxdb_server, database, '"autogen"."m"') == 0
    with pytest.raises(ValueError, match="autocommit_every"):
        blocking.session(autocommit_every=0)
    with pytest.raises(ValueError, match="unknown precision"):
        blocking.session(precision="seconds")
    blocking.db = None
    with pytest.raises(ValueError, match="no database"):
        blocking.session()


def test_write_measurement_without_timestamp_is_timed_when_handed_over(
        influxdb_server: InfluxDBServer, database: str, blocking: InfluxDBClient) -> None:
    with blocking.session() as session:
        for i in range(5):
            session.write_measurement("m", v=i)
    # The server would give the five points of one commit one time; they are all kept.
    assert values(influxdb_server, database) == [0, 1, 2, 3, 4]


def test_dataframes_and_tags(influxdb_server: InfluxDBServer, database: str,
                             blocking: InfluxDBClient) -> None:
    df = pd.DataFrame({"v": [1, 2], "host": ["a", None]},
                      index=pd.to_datetime([1, 2], unit="s", utc=True))
    with blocking.session() as session:
        session.write(df, "m", ["host"], host="shared", dc="eu")
    answer = influxdb_server.query('SELECT v, host, dc FROM "m"', db=database)
    assert [row[1:] for row in answer["results"][0]["series"][0]["values"]] == [
        [1, "a", "eu"], [2, "shared", "eu"]]


def test_default_tags_are_added_on_hand_over_without_changing_the_points(
        influxdb_server: InfluxDBServer, database: str) -> None:
    own = Point("m").tag("host", "own").field("v", 1).time(T0 + 1)
    mapping = point(2)
    before = copy.deepcopy([own, mapping])
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking", default_tags={"host": "default"}) as client:
        with client.session() as session:
            session.write([own, mapping])
            client.default_tags["host"] = "changed later"
        assert [own, mapping] == before
    answer = influxdb_server.query('SELECT v, host FROM "m"', db=database)
    assert [row[1:] for row in answer["results"][0]["series"][0]["values"]] == [
        [1, "own"], [2, "default"]]


def test_rollback_and_the_warning_of_a_dropped_session(blocking: InfluxDBClient) -> None:
    session = blocking.session()
    session.write([point(1), point(2)])
    assert session.rollback() == 2
    assert session.pending == 0
    del session

    def drop_one_pending() -> None:
        session = blocking.session()
        session.write(point(3))
        assert "pending=1" in repr(session)

    with pytest.warns(ResourceWarning, match="1 point"):
        drop_one_pending()


def test_mode_and_context_manager_must_match(blocking: InfluxDBClient) -> None:
    async def enter() -> None:
        async with blocking.session():
            pass

    with pytest.raises(TypeError, match=r"use 'with client.session\(\)'"):
        asyncio.run(enter())
    blocking.mode = "async"
    try:
        with pytest.raises(TypeError, match="async with"), blocking.session():
            pass
    finally:
        blocking.mode = "blocking"


def test_threads_share_a_session(influxdb_server: InfluxDBServer, database: str,
                                 blocking: InfluxDBClient) -> None:
    session = blocking.session(autocommit_every=7)
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for i in range(60):
                session.write(point(i, thread=str(thread)))
                if i % 25 == 0:
                    session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session.commit()
    assert session.pending == 0
    assert count(influxdb_server, database) == 360


# -- async mode ---------------------------------------------------------------------------------


async def test_async_session(influxdb_server: InfluxDBServer, database: str,
                             client: InfluxDBClient) -> None:
    async with client.session() as session:
        await session.write(point(1))
        await session.write_measurement("m", timestamp=S + 2, v=2)
        await session.write([point(i) for i in range(3, 300)])  # encoded in a thread
        assert count(influxdb_server, database) == 0
    assert count(influxdb_server, database) == 299
    session = client.session()

    async def fail_inside() -> None:
        async with session:
            await session.write(point(400))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_inside()
    assert session.pending == 1
    assert await session.commit() is True
    assert count(influxdb_server, database) == 300


@pytest.mark.influxdb1(reason="fails by writing to a database that does not exist, which 3.x "
                               "makes on the write and 2.x makes by its bucket")
async def test_async_autocommit_and_failed_commit(influxdb_server: InfluxDBServer,
                                                  client: InfluxDBClient,
                                                  missing_database: str) -> None:
    session = client.session(autocommit_every=2, db=missing_database)
    await session.write(point(1))
    with pytest.raises(InfluxDBWriteError):
        await session.write(point(2))
    assert session.pending == 2
    influxdb_server.create_database(missing_database)
    await asyncio.gather(*(session.write(point(i)) for i in range(3, 11)))
    await session.commit()
    assert values(influxdb_server, missing_database) == list(range(1, 11))


async def test_async_session_refuses_a_plain_with(client: InfluxDBClient) -> None:
    session = client.session()
    with pytest.raises(TypeError, match="async with"), session:
        pass
    with pytest.raises(LineProtocolError):
        await session.write({"measurement": "m", "fields": {}})
    assert session.pending == 0


# -- the encoded lines a session keeps --------------------------------------------------------


def test_encoded_lines_pass_through_without_extra_tags_again() -> None:
    lines = EncodedLines(f"m,site=a v=1i {S + 1}\nm,site=a v=2i {S + 2}".encode(), "s")
    in_seconds = {"measurement": "m", "fields": {"v": 3}, "time": S + 3}
    assert serialize([lines, in_seconds], precision="s", site="b") == (
        f"m,site=a v=1i {S + 1}\nm,site=a v=2i {S + 2}\nm,site=b v=3i {S + 3}".encode())
    in_milliseconds = {"measurement": "m", "fields": {"v": 1}, "time": S * 1000}
    with pytest.raises(LineProtocolError, match="precision 's' cannot be written") as caught:
        serialize([in_milliseconds, lines], precision="ms")
    assert caught.value.index == 1


def test_a_write_in_another_precision_than_the_sessions_is_refused(
        blocking: InfluxDBClient) -> None:
    session = blocking.session(precision="s")
    with pytest.raises(ValueError, match=r"precision='ms': this session writes in "
                                         r"precision 's'.*session\(precision='ms'\)"):
        session.write("m v=1 1700000000000", precision="ms")
    assert session.pending == 0  # nothing kept
    session.write("m v=1 1700000000", precision="s")  # its own: taken
    assert session.pending == 1
    assert session.rollback() == 1
