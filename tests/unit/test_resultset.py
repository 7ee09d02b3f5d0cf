"""ResultSet: series keys, points, filters, indexing, and the sets of a whole answer."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from influxkit import DatabaseNotFoundError, InfluxDBQueryError, ResultSet
from influxkit._decode.documents import ChunkDecoder
from influxkit._decode.outputs import collector, result_sets

GROUPED: dict[str, Any] = {
    "statement_id": 0,
    "series": [
        {"name": "cpu", "tags": {"host": "a", "region": "eu"}, "columns": ["time", "usage"],
         "values": [[1, 0.5], [2, 0.75]]},
        {"name": "cpu", "tags": {"host": "b", "region": "eu"}, "columns": ["time", "usage"],
         "values": [[1, 0.25]]},
        {"name": "mem", "tags": {"host": "a", "region": "us"}, "columns": ["time", "free"],
         "values": [[3, 100]]},
    ],
}

# SELECT * without GROUP BY: the tags are columns.
UNGROUPED: dict[str, Any] = {
    "statement_id": 0,
    "series": [
        {"name": "cpu", "columns": ["time", "host", "usage"],
         "values": [[1, "a", 0.5], [1, "b", 0.25], [2, "a", 0.75]]},
    ],
}

USERS: dict[str, Any] = {
    "statement_id": 0,
    "series": [{"columns": ["user", "admin"], "values": [["admin", True], ["bob", False]]}],
}


def test_raw_keys_and_len() -> None:
    rs = ResultSet(GROUPED)
    assert rs.raw is GROUPED
    assert rs.error is None
    assert rs.keys() == [("cpu", {"host": "a", "region": "eu"}),
                         ("cpu", {"host": "b", "region": "eu"}),
                         ("mem", {"host": "a", "region": "us"})]
    assert len(rs) == 3
    assert ResultSet(USERS).keys() == [(None, None)]
    assert ResultSet(UNGROUPED).keys() == [("cpu", None)]


def test_points_are_dicts_of_the_columns() -> None:
    rs = ResultSet(GROUPED)
    assert list(rs.get_points()) == [{"time": 1, "usage": 0.5}, {"time": 2, "usage": 0.75},
                                     {"time": 1, "usage": 0.25}, {"time": 3, "free": 100}]
    assert list(ResultSet(USERS).get_points()) == [{"user": "admin", "admin": True},
                                                   {"user": "bob", "admin": False}]


def test_get_points_is_a_generator_that_reads_lazily() -> None:
    rs = ResultSet(GROUPED)
    points = rs.get_points()
    assert next(points) == {"time": 1, "usage": 0.5}
    assert iter(points) is points


def test_points_by_measurement() -> None:
    rs = ResultSet(GROUPED)
    assert list(rs.get_points("mem")) == [{"time": 3, "free": 100}]
    assert list(rs.get_points(measurement="cpu")) == [
        {"time": 1, "usage": 0.5}, {"time": 2, "usage": 0.75}, {"time": 1, "usage": 0.25}]
    assert list(rs.get_points("nothing")) == []
    # A result that is not a measurement's matches no measurement.
    assert list(ResultSet(USERS).get_points("users")) == []


def test_points_by_series_tags() -> None:
    rs = ResultSet(GROUPED)
    assert list(rs.get_points(tags={"host": "a"})) == [
        {"time": 1, "usage": 0.5}, {"time": 2, "usage": 0.75}, {"time": 3, "free": 100}]
    assert list(rs.get_points("cpu", {"host": "a"})) == [
        {"time": 1, "usage": 0.5}, {"time": 2, "usage": 0.75}]
    assert list(rs.get_points(tags={"host": "a", "region": "us"})) == [
        {"time": 3, "free": 100}]
    assert list(rs.get_points(tags={"host": "c"})) == []
    assert list(rs.get_points(tags={"unknown": "a"})) == []
    assert list(rs.get_points(tags={})) == list(rs.get_points())


def test_points_by_tags_selected_as_columns() -> None:
    rs = ResultSet(UNGROUPED)
    assert list(rs.get_points(tags={"host": "a"})) == [
        {"time": 1, "host": "a", "usage": 0.5}, {"time": 2, "host": "a", "usage": 0.75}]
    assert list(ResultSet(USERS).get_points(tags={"user": "bob"})) == [
        {"user": "bob", "admin": False}]


def test_series_tags_are_looked_up_before_columns() -> None:
    raw = {"statement_id": 0, "series": [
        {"name": "m", "tags": {"host": "a"}, "columns": ["time", "host"],
         "values": [[1, "b"]]}]}
    assert list(ResultSet(raw).get_points(tags={"host": "a"})) == [{"time": 1, "host": "b"}]
    assert list(ResultSet(raw).get_points(tags={"host": "b"})) == []


def test_getitem() -> None:
    rs = ResultSet(GROUPED)
    assert list(rs["mem"]) == [{"time": 3, "free": 100}]
    assert list(rs["cpu", {"host": "b"}]) == [{"time": 1, "usage": 0.25}]
    assert list(rs[None, {"region": "us"}]) == [{"time": 3, "free": 100}]
    assert list(rs["cpu", None]) == list(rs["cpu"])
    for bad in (1, ("cpu",), ("cpu", {"host": "a"}, 3), None):
        with pytest.raises(TypeError):
            rs[bad]  # type: ignore[index]
    with pytest.raises(TypeError, match="tags"):
        rs["cpu", ["host"]]  # type: ignore[index]


def test_bad_filters_are_refused_at_the_call() -> None:
    rs = ResultSet(GROUPED)
    with pytest.raises(TypeError, match="measurement"):
        rs.get_points(b"cpu")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tags"):
        rs.get_points(tags="host=a")  # type: ignore[arg-type]


def test_iteration_and_items_follow_the_series() -> None:
    rs = ResultSet(GROUPED)
    assert [list(points) for points in rs] == [
        [{"time": 1, "usage": 0.5}, {"time": 2, "usage": 0.75}],
        [{"time": 1, "usage": 0.25}],
        [{"time": 3, "free": 100}],
    ]
    items = rs.items()
    assert [key for key, _ in items] == rs.keys()
    assert [list(points) for _, points in items] == [list(points) for points in rs]


def test_empty_statement() -> None:
    rs = ResultSet({"statement_id": 0})
    assert len(rs) == 0
    assert rs.keys() == []
    assert list(rs.get_points()) == []
    assert list(rs) == []
    # A series without values (SHOW CONTINUOUS QUERIES of a database without any).
    rs = ResultSet({"statement_id": 0, "series": [{"name": "db", "columns": ["name", "query"]}]})
    assert rs.keys() == [("db", None)]
    assert list(rs.get_points()) == []


def test_failed_statement_raises_or_is_kept() -> None:
    raw = {"statement_id": 2, "error": "database not found: nope"}
    with pytest.raises(InfluxDBQueryError) as info:
        ResultSet(raw)
    assert isinstance(info.value, DatabaseNotFoundError)
    assert info.value.statement_id == 2
    rs = ResultSet(raw, raise_errors=False)
    assert rs.error == "database not found: nope"
    assert len(rs) == 0
    assert "database not found" in repr(rs)


def test_rows_that_do_not_fit_the_columns_are_an_error() -> None:
    raw = {"statement_id": 0, "series": [{"name": "m", "columns": ["time", "v"],
                                          "values": [[1, 2, 3]]}]}
    with pytest.raises(ValueError, match="zip"):
        list(ResultSet(raw).get_points())


def test_result_set_does_not_change_its_input() -> None:
    raw = copy.deepcopy(GROUPED)
    rs = ResultSet(raw)
    list(rs.get_points(tags={"host": "a"}))
    list(rs)
    rs.items()
    assert raw == GROUPED


def test_repr() -> None:
    text = repr(ResultSet(GROUPED))
    assert text.startswith("<ResultSet statement 0: 3 series [('cpu', {'host': 'a'")
    many = {"statement_id": 1, "series": [{"name": f"m{i}", "columns": ["time"], "values": []}
                                          for i in range(8)]}
    assert repr(ResultSet(many)).endswith("('m4', None), ...]>")


# -- the sets of a whole answer --------------------------------------------------------------------


def test_one_statement_gives_one_result_set_several_a_list() -> None:
    one = result_sets({"results": [GROUPED]})
    assert isinstance(one, ResultSet)
    assert one.raw is GROUPED
    several = result_sets({"results": [GROUPED, {"statement_id": 1}, USERS]})
    assert isinstance(several, list)
    assert [len(rs) for rs in several] == [3, 0, 1]
    assert result_sets({"results": []}) == []


def test_collector_joins_the_chunks_of_a_series() -> None:
    decoder = ChunkDecoder("application/json")
    body = (
        b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],'
        b'"values":[[1,1],[2,2]],"partial":true}],"partial":true}]}\n'
        b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],'
        b'"values":[[3,3]]}]}]}\n'
        b'{"results":[{"statement_id":1,"series":[{"name":"n","columns":["time","w"],'
        b'"values":[[4,4]]}]}]}\n'
    )
    built = collector("resultset", "ns")
    for document in decoder.feed(body):
        built.add(document)
    sets = built.result()
    assert isinstance(sets, list)
    assert [list(rs.get_points()) for rs in sets] == [
        [{"time": 1, "v": 1}, {"time": 2, "v": 2}, {"time": 3, "v": 3}],
        [{"time": 4, "w": 4}],
    ]
    assert "partial" not in sets[0].raw["series"][0]
