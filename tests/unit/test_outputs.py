"""Every output of a query from the one result model: the checks before a query is
sent, the collectors of a whole answer, and the output of one chunk."""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import pandas as pd
import polars as pl
import pytest

from influxkit import ResultSet
from influxkit._decode.documents import ChunkDecoder
from influxkit._decode.outputs import OUTPUTS, check_output, collector, convert, result_sets

# Two chunks of one series, then a second statement: as influxd streams them.
CHUNKS: list[dict[str, Any]] = [
    {"results": [{"statement_id": 0, "series": [
        {"name": "m", "tags": {"h": "a"}, "columns": ["time", "v"], "values": [[1, 1], [2, 2]],
         "partial": True}], "partial": True}]},
    {"results": [{"statement_id": 0, "series": [
        {"name": "m", "tags": {"h": "a"}, "columns": ["time", "v"], "values": [[3, 3]]}]}]},
    {"results": [{"statement_id": 1, "series": [
        {"name": "n", "columns": ["time", "w"], "values": [[4, 0.5]]}]}]},
]


def chunks() -> list[dict[str, Any]]:
    # Copies: a collector takes the decoder's fresh documents over, lists and all.
    return copy.deepcopy(CHUNKS)


def whole(output: str) -> Any:
    built = collector(output, "ns")
    for chunk in chunks():
        built.add(chunk)
    return built.result()


def test_check_output_accepts_each_output() -> None:
    for output in OUTPUTS:
        assert check_output(output) == output


def test_check_output_refuses_an_unknown_output() -> None:
    with pytest.raises(ValueError, match="invalid output 'csv': use one of json, dataframe"):
        check_output("csv")


@pytest.mark.parametrize(("output", "library", "extra"), [
    ("dataframe", "pandas", "pandas"), ("polars", "polars", "polars")])
def test_check_output_names_the_missing_extra(output: str, library: str, extra: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, library, None)
    with pytest.raises(ImportError, match=rf"pip install 'influxkit\[{extra}\]'"):
        check_output(output)


def test_json_is_the_answer_stitched_together() -> None:
    assert whole("json") == {"results": [
        {"statement_id": 0, "series": [{"name": "m", "tags": {"h": "a"},
                                        "columns": ["time", "v"],
                                        "values": [[1, 1], [2, 2], [3, 3]]}]},
        {"statement_id": 1, "series": [{"name": "n", "columns": ["time", "w"],
                                        "values": [[4, 0.5]]}]},
    ]}


def test_result_sets_are_one_per_statement() -> None:
    sets = whole("resultset")
    assert [type(one) for one in sets] == [ResultSet, ResultSet]
    assert list(sets[0].get_points()) == [{"time": 1, "v": 1}, {"time": 2, "v": 2},
                                          {"time": 3, "v": 3}]
    assert sets[1].keys() == [("n", None)]
    only = result_sets({"results": [chunks()[2]["results"][0]]})
    assert isinstance(only, ResultSet)
    assert only.keys() == [("n", None)]


def test_dataframes_are_keyed_by_series_one_dict_per_statement() -> None:
    first, second = whole("dataframe")
    frame = first["m,h=a"]
    assert list(frame["v"]) == [1, 2, 3]
    assert str(frame["v"].dtype) == "int64"
    assert list(frame["h"]) == ["a", "a", "a"]
    assert frame.index.tz is not None
    assert list(frame.index.asi8) == [1, 2, 3]
    assert list(second["n"]["w"]) == [0.5]


def test_polars_frames_likewise() -> None:
    first, second = whole("polars")
    frame = first["m,h=a"]
    assert isinstance(frame, pl.DataFrame)
    assert frame["v"].to_list() == [1, 2, 3]
    assert frame["time"].dtype == pl.Datetime("ns", "UTC")
    assert second["n"]["w"].to_list() == [0.5]


def test_one_statement_with_one_series_is_that_series_frame() -> None:
    built = collector("dataframe", "ns")
    built.add(chunks()[1])
    assert isinstance(built.result(), pd.DataFrame)


def test_a_chunk_keeps_what_the_server_sent() -> None:
    # JSON and result sets of one chunk keep its partial marks: more of the series follows.
    first = chunks()[0]
    assert convert(first, "json", "ns") is first
    assert convert(first, "resultset", "ns").raw["series"][0]["partial"] is True
    assert list(convert(first, "dataframe", "ns")["v"]) == [1, 2]


def test_outputs_agree_on_a_recorded_answer() -> None:
    # The same documents, through the decoder, give the same values in every output.
    body = b"".join((json.dumps(chunk) + "\n").encode() for chunk in CHUNKS)
    rows = {}
    for output in ("json", "resultset", "dataframe", "polars"):
        decoder = ChunkDecoder("application/json")
        documents = decoder.feed(body) + decoder.close()
        built = collector(output, "ns")
        for document in documents:
            built.add(document)
        result = built.result()
        if output == "json":
            rows[output] = result["results"][0]["series"][0]["values"]
        elif output == "resultset":
            rows[output] = [[p["time"], p["v"]] for p in result[0].get_points()]
        elif output == "dataframe":
            frame = result[0]["m,h=a"]
            rows[output] = [[int(t), int(v)] for t, v in zip(frame.index.asi8, frame["v"],
                                                             strict=True)]
        else:
            frame = result[0]["m,h=a"]
            rows[output] = [[t, v] for t, v in zip(frame["time"].cast(pl.Int64).to_list(),
                                                   frame["v"].to_list(), strict=True)]
    assert all(value == [[1, 1], [2, 2], [3, 3]] for value in rows.values()), rows
