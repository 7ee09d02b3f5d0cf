"""aioinflux's query patterns: the built-in ones and the user's own, on the real server."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from influxkit import InfluxDBClient
from influxkit.testing import InfluxDBServer

POINTS = [
    {"measurement": 'cpu "x"', "tags": {"host": h, "region": "eu"}, "time": 1_700_000_000 + i,
     "fields": {"load": float(i), "n": i}}
    for i, h in enumerate(["a", "b", "a"])
]


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@pytest.fixture(params=["async", "blocking"])
async def patterned(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer,
                    database: str) -> Any:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, mode=request.param) as client:
        await run(client.write(POINTS, precision="s"))
        yield client


@pytest.fixture
def user_pattern() -> Iterator[None]:
    """A pattern of the user's own on InfluxDBClient, as aioinflux sets them, taken away
    after the test."""
    InfluxDBClient.set_query_pattern(
        "load_of", "SELECT \"load\" FROM \"cpu \\\"x\\\"\" WHERE host = '{host}' LIMIT {limit}")
    yield
    delattr(InfluxDBClient, "load_of")


def values(answer: dict[str, Any]) -> list[list[Any]]:
    return [row for series in answer["results"][0].get("series", [])
            for row in series["values"]]


async def test_select_all_quotes_the_measurement(patterned: InfluxDBClient) -> None:
    answer = await run(patterned.select_all('cpu "x"'))
    assert [row[1:] for row in values(answer)] == [
        ["a", 0.0, 0, "eu"], ["b", 1.0, 1, "eu"], ["a", 2.0, 2, "eu"]]
    # The query's own arguments pass through.
    answer = await run(patterned.select_all(measurement='cpu "x"', epoch="s"))
    assert [row[0] for row in values(answer)] == [1_700_000_000, 1_700_000_001, 1_700_000_002]


async def test_show_patterns_of_one_measurement(patterned: InfluxDBClient) -> None:
    assert values(await run(patterned.show_tag_keys_from('cpu "x"'))) == [
        ["host"], ["region"]]
    assert values(await run(patterned.show_tag_values_from('cpu "x"', key="host"))) == [
        ["host", "a"], ["host", "b"]]
    assert values(await run(patterned.show_field_keys_from('cpu "x"'))) == [
        ["load", "float"], ["n", "integer"]]
    assert values(await run(patterned.show_series_from('cpu "x"'))) == [
        ['cpu\\ "x",host=a,region=eu'], ['cpu\\ "x",host=b,region=eu']]


async def test_a_built_in_pattern_needs_its_arguments(patterned: InfluxDBClient) -> None:
    with pytest.raises(TypeError, match="missing argument"):
        patterned.show_tag_values_from('cpu "x"')
    with pytest.raises(TypeError, match="positional"):
        patterned.select_all("a", "b")


async def test_a_pattern_of_the_users_own(patterned: InfluxDBClient,
                                         user_pattern: None) -> None:
    answer = await run(patterned.load_of(host="a", limit=1))
    assert [row[1] for row in values(answer)] == [0.0]
    answer = await run(patterned.load_of(host="b", limit=5, epoch="s"))
    assert values(answer) == [[1_700_000_001, 1.0]]
    with pytest.raises(TypeError, match="missing argument 'limit'"):
        patterned.load_of(host="a")


async def test_a_pattern_may_bind_its_values(patterned: InfluxDBClient) -> None:
    InfluxDBClient.set_query_pattern(
        "load_bound", "SELECT \"load\" FROM \"cpu \\\"x\\\"\" WHERE host = $host")
    try:
        answer = await run(patterned.load_bound(params={"host": "a' OR '1'='1"}))
        assert values(answer) == []
        answer = await run(patterned.load_bound(params={"host": "b"}))
        assert [row[1] for row in values(answer)] == [1.0]
    finally:
        delattr(InfluxDBClient, "load_bound")


@pytest.mark.parametrize(("name", "pattern", "message"), [
    ("write", "SELECT 1", "already a method"),
    ("db", "SELECT 1", "already a method"),
    ("not an identifier", "SELECT 1", "identifier"),
    ("_private", "SELECT 1", "identifier"),
    ("p", "SELECT * FROM {epoch}", "named like the query's own"),
    ("p", "SELECT * FROM {chunk_size}", "named like the query's own"),
    ("p", "SELECT {", "not a str.format template"),
    ("p", "", "non-empty"),
])
def test_patterns_that_cannot_be_methods_are_refused(name: str, pattern: str,
                                                     message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InfluxDBClient.set_query_pattern(name, pattern)
    assert not hasattr(InfluxDBClient, "p")


def test_a_pattern_may_be_replaced(user_pattern: None) -> None:
    InfluxDBClient.set_query_pattern("load_of", "SELECT * FROM x WHERE host = '{host}'")
    assert "SELECT * FROM x" in (InfluxDBClient.load_of.__doc__ or "")


def test_every_attribute_of_a_client_is_kept_from_patterns() -> None:
    from influxkit._client import _INSTANCE_ATTRIBUTES

    client = InfluxDBClient(server="1.8")
    public = {name for name in vars(client) if not name.startswith("_")}
    assert public == _INSTANCE_ATTRIBUTES
