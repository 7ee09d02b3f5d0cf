"""``output='resultset'`` against a real influxd: plain, multi-statement and chunked
queries, in async and blocking mode, over MessagePack and JSON answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from influxkit import (
    DatabaseNotFoundError,
    InfluxDBClient,
    InfluxDBQueryError,
    ResultSet,
)
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server

POINTS = [
    "cpu,host=a,region=eu usage=0.5 1000000000",
    "cpu,host=b,region=eu usage=0.25 1000000000",
    "cpu,host=a,region=eu usage=0.75 2000000000",
    "mem,host=a free=100i 3000000000",
]


@pytest.fixture(params=["msgpack", "json"])
def answers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Read MessagePack answers, or JSON ones (as without msgpack installed)."""
    if request.param == "json":
        monkeypatch.setattr("influxkit._engine.msgpack_available", lambda: False)
    return str(request.param)


@pytest.fixture
async def rs_client(answers: str, influxdb_server: InfluxDBServer,
                    database: str) -> AsyncIterator[InfluxDBClient]:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, output="resultset") as client:
        await client.write(POINTS)
        yield client


@pytest.fixture
def rs_blocking(influxdb_server: InfluxDBServer, database: str) -> Iterator[InfluxDBClient]:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking", output="resultset") as client:
        client.write(POINTS)
        yield client


async def test_grouped_query_is_browsed_by_series(rs_client: InfluxDBClient) -> None:
    rs = await rs_client.query('SELECT usage FROM cpu GROUP BY "host"')
    assert isinstance(rs, ResultSet)
    assert rs.keys() == [("cpu", {"host": "a"}), ("cpu", {"host": "b"})]
    assert len(rs) == 2
    assert list(rs.get_points(tags={"host": "a"})) == [
        {"time": 1_000_000_000, "usage": 0.5}, {"time": 2_000_000_000, "usage": 0.75}]
    assert list(rs["cpu", {"host": "b"}]) == [{"time": 1_000_000_000, "usage": 0.25}]
    assert [len(list(points)) for points in rs] == [2, 1]
    assert rs.error is None


async def test_ungrouped_query_filters_tags_among_columns(rs_client: InfluxDBClient) -> None:
    rs = await rs_client.query("SELECT * FROM cpu")
    assert rs.keys() == [("cpu", None)]
    assert list(rs.get_points("cpu", tags={"host": "b"})) == [
        {"time": 1_000_000_000, "host": "b", "region": "eu", "usage": 0.25}]
    assert list(rs.get_points(tags={"host": "c"})) == []


async def test_result_set_is_built_from_the_json_answer(rs_client: InfluxDBClient) -> None:
    query = 'SELECT * FROM cpu GROUP BY "host"; SHOW MEASUREMENTS'
    sets = await rs_client.query(query)
    rs_client.output = "json"
    document = await rs_client.query(query)
    assert isinstance(sets, list)
    assert [rs.raw for rs in sets] == document["results"]


async def test_several_statements_give_a_list(rs_client: InfluxDBClient) -> None:
    sets = await rs_client.query("SELECT * FROM cpu; SELECT * FROM nothing; SHOW MEASUREMENTS")
    assert isinstance(sets, list)
    assert [len(rs) for rs in sets] == [1, 0, 1]
    assert list(sets[2].get_points()) == [{"name": "cpu"}, {"name": "mem"}]


async def test_show_statement_without_a_measurement(rs_client: InfluxDBClient) -> None:
    rs = await rs_client.query("SHOW FIELD KEYS")
    assert rs.keys() == [("cpu", None), ("mem", None)]
    assert list(rs["mem"]) == [{"fieldKey": "free", "fieldType": "integer"}]


async def test_times_as_rfc3339(rs_client: InfluxDBClient) -> None:
    rs = await rs_client.query("SELECT free FROM mem", epoch=None)
    assert list(rs.get_points()) == [{"time": "1970-01-01T00:00:03Z", "free": 100}]


async def test_failed_statement_raises(rs_client: InfluxDBClient) -> None:
    await rs_client.write('text s="x" 1')
    with pytest.raises(InfluxDBQueryError, match="unsupported mean iterator type"):
        await rs_client.query("SELECT * FROM cpu; SELECT mean(s) FROM text")
    with pytest.raises(DatabaseNotFoundError):
        await rs_client.query("SELECT * FROM cpu", db="no_such_database_rs")


async def test_chunked_query_gives_one_result_set_per_chunk(rs_client: InfluxDBClient) -> None:
    await rs_client.write([f"big v={i}i {i}" for i in range(25)])
    chunks = await rs_client.query("SELECT v FROM big", chunked=True, chunk_size=10)
    seen: list[Any] = [chunk async for chunk in chunks]
    assert len(seen) == 3
    assert all(isinstance(chunk, ResultSet) for chunk in seen)
    assert [len(list(chunk.get_points())) for chunk in seen] == [10, 10, 5]
    values = [point["v"] for chunk in seen for point in chunk.get_points("big")]
    assert values == list(range(25))
    # Each chunk is the server's, as is: more of the series follows the first two.
    assert [chunk.raw["series"][0].get("partial", False) for chunk in seen] == [
        True, True, False]


async def test_chunked_query_of_several_statements(rs_client: InfluxDBClient) -> None:
    chunks = await rs_client.query('SELECT * FROM cpu GROUP BY "host"; SHOW MEASUREMENTS',
                                   chunked=True)
    seen = [chunk async for chunk in chunks]
    # influxd sends a chunk per series: two of the first statement, one of the second.
    assert [rs.keys() for rs in seen] == [[("cpu", {"host": "a"})], [("cpu", {"host": "b"})],
                                          [("measurements", None)]]
    assert [rs.raw["statement_id"] for rs in seen] == [0, 0, 1]


def test_blocking_mode(rs_blocking: InfluxDBClient) -> None:
    rs = rs_blocking.query("SELECT usage FROM cpu WHERE host = $h", params={"h": "a"})
    assert isinstance(rs, ResultSet)
    assert [point["usage"] for point in rs.get_points()] == [0.5, 0.75]
    sets = rs_blocking.query("SELECT free FROM mem; SELECT usage FROM cpu")
    assert isinstance(sets, list)
    assert [len(list(rs.get_points())) for rs in sets] == [1, 3]
    assert list(sets[0].get_points()) == [{"time": 3_000_000_000, "free": 100}]


def test_blocking_chunked_query(rs_blocking: InfluxDBClient) -> None:
    chunks = rs_blocking.query("SELECT usage FROM cpu", chunked=True, chunk_size=2)
    seen = list(chunks)
    assert [type(chunk) for chunk in seen] == [ResultSet, ResultSet]
    assert [point["usage"] for chunk in seen for point in chunk.get_points()] == [
        0.5, 0.25, 0.75]


def test_output_can_be_switched_to_resultset(influxdb_server: InfluxDBServer,
                                             database: str) -> None:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        client.write(POINTS)
        assert isinstance(client.query("SELECT * FROM mem"), dict)
        client.output = "resultset"
        assert isinstance(client.query("SELECT * FROM mem"), ResultSet)
        with pytest.raises(ValueError, match="resultset"):
            client.output = "resultsets"
