"""Query results: decoding (JSON lines and MessagePack streams), stitching, errors,
iteration.

``RECORDED_JSON`` and ``RECORDED_MSGPACK`` are influxd 1.6.7's exact answers to::

    POST /query?chunked=true&chunk_size=2
    q=SELECT * FROM m GROUP BY h; SELECT mean(s) FROM m; SELECT 1 FROM m

over five points (``m,h=a f=1.0,s="x" 1s``, ``f=2.5,s="y" 2s``, ``f=3.0 3s``;
``m,h=b f=4.0 1.5s``, ``f=-1e300 1.6s``), with ``Accept: application/json`` and
``Accept: application/x-msgpack``.
"""

from __future__ import annotations

import logging
import struct
from collections import namedtuple
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit import InfluxDBQueryError, iterpoints
from influxkit._decode.documents import ChunkDecoder, ResultBuilder, check_results
from influxkit._errors import IncompleteResponseError, InvalidResponseError

RECORDED_JSON = (
    b'{"results":[{"statement_id":0,"series":[{"name":"m","tags":{'
    b'"h":"a"},"columns":["time","f","s"],"values":[["1970-01-01T0'
    b'0:00:01Z",1,"x"],["1970-01-01T00:00:02Z",2.5,"y"]],"partial"'
    b':true}],"partial":true}]}\n{"results":[{"statement_id":0,"ser'
    b'ies":[{"name":"m","tags":{"h":"a"},"columns":["time","f","s"'
    b'],"values":[["1970-01-01T00:00:03Z",3,null]]}],"partial":tru'
    b'e}]}\n{"results":[{"statement_id":0,"series":[{"name":"m","ta'
    b'gs":{"h":"b"},"columns":["time","f","s"],"values":[["1970-01'
    b'-01T00:00:01.5Z",4,null],["1970-01-01T00:00:01.6Z",-1e+300,n'
    b'ull]]}]}]}\n{"results":[{"statement_id":1,"error":"unsupporte'
    b'd mean iterator type: *query.stringInterruptIterator"}]}\n{"r'
    b'esults":[{"statement_id":1,"error":"not executed"}]}\n'
)
RECORDED_MSGPACK = (
    b'\x81\xa7results\x91\x83\xacstatement_'
    b'id\x00\xa6series\x91\x85\xa4name\xa1m\xa4ta'
    b'gs\x81\xa1h\xa1a\xa7columns\x93\xa4time\xa1'
    b'f\xa1s\xa6values\x92\x93\xc7\x0c\x05\x00\x00\x00\x00\x00\x00\x00'
    b'\x01\x00\x00\x00\x00\xcb?\xf0\x00\x00\x00\x00\x00\x00\xa1x\x93\xc7\x0c\x05\x00\x00'
    b'\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\xcb@\x04\x00\x00\x00\x00\x00\x00\xa1y\xa7'
    b'partial\xc3\xa7partial\xc3\x81\xa7res'
    b'ults\x91\x83\xacstatement_id\x00\xa6s'
    b'eries\x91\x84\xa4name\xa1m\xa4tags\x81\xa1h'
    b'\xa1a\xa7columns\x93\xa4time\xa1f\xa1s\xa6v'
    b'alues\x91\x93\xc7\x0c\x05\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00'
    b'\xcb@\x08\x00\x00\x00\x00\x00\x00\xc0\xa7partial\xc3\x81\xa7r'
    b'esults\x91\x82\xacstatement_id\x00'
    b'\xa6series\x91\x84\xa4name\xa1m\xa4tags\x81'
    b'\xa1h\xa1b\xa7columns\x93\xa4time\xa1f\xa1s'
    b'\xa6values\x92\x93\xc7\x0c\x05\x00\x00\x00\x00\x00\x00\x00\x01\x1d\xcd'
    b'e\x00\xcb@\x10\x00\x00\x00\x00\x00\x00\xc0\x93\xc7\x0c\x05\x00\x00\x00\x00\x00\x00'
    b'\x00\x01#\xc3F\x00\xcb\xfe7\xe4<\x88\x00u\x9c\xc0\x81\xa7resu'
    b'lts\x91\x81\xa5error\xd9>unsupport'
    b'ed mean iterator type:'
    b' *query.stringInterrup'
    b'tIterator\x81\xa7results\x91\x81\xa5e'
    b'rror\xacnot executed'
)

QUERY = "SELECT * FROM m GROUP BY h; SELECT mean(s) FROM m; SELECT 1 FROM m"
MEAN_ERROR = "unsupported mean iterator type: *query.stringInterruptIterator"

SERIES_A = {
    "name": "m", "tags": {"h": "a"}, "columns": ["time", "f", "s"],
    "values": [["1970-01-01T00:00:01Z", 1.0, "x"], ["1970-01-01T00:00:02Z", 2.5, "y"],
               ["1970-01-01T00:00:03Z", 3.0, None]],
}
SERIES_B = {
    "name": "m", "tags": {"h": "b"}, "columns": ["time", "f", "s"],
    "values": [["1970-01-01T00:00:01.5Z", 4.0, None], ["1970-01-01T00:00:01.6Z", -1e300, None]],
}


def feed_bytewise(decoder: ChunkDecoder, body: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Feed ``body`` one byte at a time; return (offset after which it came, document)."""
    out = []
    for offset in range(len(body)):
        for document in decoder.feed(body[offset:offset + 1]):
            out.append((offset, document))
    out.extend((len(body), document) for document in decoder.close())
    return out


def build(documents: list[dict[str, Any]]) -> dict[str, Any]:
    builder = ResultBuilder()
    for document in documents:
        builder.add(document)
    return builder.result()


def ext_time(seconds: int, nanos: int) -> msgpack.ExtType:
    return msgpack.ExtType(5, struct.pack(">qI", seconds, nanos))


# -- ChunkDecoder ----------------------------------------------------------------------------


def test_json_lines_fed_byte_by_byte() -> None:
    decoded = feed_bytewise(ChunkDecoder("application/json"), RECORDED_JSON)
    newlines = [i for i, byte in enumerate(RECORDED_JSON) if byte == ord("\n")]
    # Each document comes out exactly when its closing brace arrives, just before its
    # newline.
    assert [offset for offset, _ in decoded] == [i - 1 for i in newlines]
    documents = [document for _, document in decoded]
    assert [r["statement_id"] for d in documents for r in d["results"]] == [0, 0, 0, 1, 1]
    assert documents[0]["results"][0]["series"][0]["partial"] is True
    assert documents[3] == {"results": [{"statement_id": 1, "error": MEAN_ERROR}]}


def test_msgpack_stream_fed_byte_by_byte() -> None:
    decoded = feed_bytewise(ChunkDecoder("application/x-msgpack"), RECORDED_MSGPACK)
    documents = [document for _, document in decoded]
    assert len(documents) == 5
    # The last document is complete with the last byte, not at close().
    assert decoded[-1][0] == len(RECORDED_MSGPACK) - 1
    first = documents[0]["results"][0]
    assert first["statement_id"] == 0
    assert first["partial"] is True
    series = first["series"][0]
    # The time extension becomes the RFC 3339 string of the JSON answer; floats stay float.
    assert series["values"] == [["1970-01-01T00:00:01Z", 1.0, "x"],
                                ["1970-01-01T00:00:02Z", 2.5, "y"]]
    assert type(series["values"][0][1]) is float
    assert documents[2]["results"][0]["series"][0]["values"][0][0] == "1970-01-01T00:00:01.5Z"
    # MessagePack errors carry no statement_id: they get the next statement's number.
    assert documents[3] == {"results": [{"statement_id": 1, "error": MEAN_ERROR}]}
    assert documents[4]["results"][0]["statement_id"] == 2


def test_msgpack_and_json_answers_build_the_same_result() -> None:
    from_json = build([d for _, d in feed_bytewise(ChunkDecoder("application/json"),
                                                    RECORDED_JSON)])
    from_msgpack = build([d for _, d in feed_bytewise(ChunkDecoder("application/x-msgpack"),
                                                      RECORDED_MSGPACK)])
    # Equal as values (JSON's 1 == 1.0), for the statements both report the same way.
    assert from_json["results"][:2] == from_msgpack["results"][:2]
    assert from_msgpack["results"][0] == {"statement_id": 0, "series": [SERIES_A, SERIES_B]}
    assert [type(row[1]) for row in from_msgpack["results"][0]["series"][0]["values"]] == [
        float, float, float]


@pytest.mark.parametrize(
    ("seconds", "nanos", "text"),
    [
        (0, 0, "1970-01-01T00:00:00Z"),
        (1_257_894_000, 0, "2009-11-10T23:00:00Z"),
        (1_257_894_000, 123_456_789, "2009-11-10T23:00:00.123456789Z"),
        (1_257_894_000, 500_000_000, "2009-11-10T23:00:00.5Z"),
        (1_257_894_000, 1, "2009-11-10T23:00:00.000000001Z"),
        (1_257_894_000, 120_000, "2009-11-10T23:00:00.00012Z"),
        (-1, 500_000_000, "1969-12-31T23:59:59.5Z"),
        (-9_223_372_037, 145_224_194, "1677-09-21T00:12:43.145224194Z"),
        (9_223_372_036, 854_775_806, "2262-04-11T23:47:16.854775806Z"),
    ],
)
def test_msgpack_time_extension(seconds: int, nanos: int, text: str) -> None:
    document = {"results": [{"statement_id": 0, "series": [
        {"name": "m", "columns": ["time", "v"], "values": [[ext_time(seconds, nanos), 1]]}]}]}
    body = msgpack.packb(document)
    decoded = feed_bytewise(ChunkDecoder("application/x-msgpack"), body)
    assert [d for _, d in decoded] == [{"results": [{"statement_id": 0, "series": [
        {"name": "m", "columns": ["time", "v"], "values": [[text, 1]]}]}]}]


def test_other_msgpack_extensions_pass_through() -> None:
    other = msgpack.ExtType(7, b"abc")
    short = msgpack.ExtType(5, b"\x00" * 8)
    body = msgpack.packb({"results": [{"statement_id": 0, "series": [
        {"name": "m", "columns": ["a", "b"], "values": [[other, short]]}]}]})
    (document,) = ChunkDecoder("application/x-msgpack").feed(body)
    assert document["results"][0]["series"][0]["values"] == [[other, short]]


def test_msgpack_types_are_kept() -> None:
    row = [ext_time(1, 0), 1.0, 1, True, "1", None, -0.0, 2**63 - 1, -(2**63)]
    body = msgpack.packb({"results": [{"statement_id": 0, "series": [
        {"name": "m", "columns": list("tabcdefgh"), "values": [row]}]}]})
    (document,) = ChunkDecoder("application/x-msgpack").feed(body)
    values = document["results"][0]["series"][0]["values"][0]
    assert values[1:] == [1.0, 1, True, "1", None, -0.0, 2**63 - 1, -(2**63)]
    assert [type(v) for v in values[1:6]] == [float, int, bool, str, type(None)]
    assert str(values[6]) == "-0.0"


@pytest.mark.parametrize(
    "content_type",
    ["application/x-msgpack", "application/x-msgpack; charset=utf-8",
     "Application/X-MsgPack"],
)
def test_msgpack_content_types(content_type: str) -> None:
    assert ChunkDecoder(content_type).msgpack


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "text/plain"]
)
def test_json_content_types(content_type: str) -> None:
    assert not ChunkDecoder(content_type).msgpack


def test_json_document_without_final_newline_comes_when_whole() -> None:
    decoder = ChunkDecoder("application/json")
    assert decoder.feed(b'{"results":[{"statement_id":0}]}\n{"results":[{"stat') == [
        {"results": [{"statement_id": 0}]}]
    assert decoder.feed(b'ement_id":1}') == []  # a brace, but not the document's last
    assert decoder.feed(b']}') == [{"results": [{"statement_id": 1}]}]
    assert decoder.close() == []


def test_json_documents_back_to_back() -> None:
    # InfluxDB 3.7 and later put no newline between the documents of a chunked answer.
    decoder = ChunkDecoder("application/json", statements=2)
    first = b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time"],'
    assert decoder.feed(first) == []
    assert decoder.feed(b'"values":[[1]]}]}]}{"results":[{"statement_id":1}]}{"res') == [
        {"results": [{"statement_id": 0, "series": [{"name": "m", "columns": ["time"],
                                                     "values": [[1]]}]}]},
        {"results": [{"statement_id": 1}]}]
    with pytest.raises(IncompleteResponseError, match="inside a JSON document"):
        decoder.close()


def test_json_documents_back_to_back_with_characters_of_several_bytes() -> None:
    decoder = ChunkDecoder("application/json")
    body = ('{"results":[{"statement_id":0,"series":[{"name":"é","columns":["t"],'
            '"values":[["ü"]]}]}]}{"results":[{"statement_id":1}]}').encode()
    assert decoder.feed(body) == [
        {"results": [{"statement_id": 0, "series": [{"name": "é", "columns": ["t"],
                                                     "values": [["ü"]]}]}]},
        {"results": [{"statement_id": 1}]}]
    assert decoder.close() == []


def test_json_lines_with_carriage_returns() -> None:
    # InfluxDB 3.0-3.6 end every document with \r\n.
    decoder = ChunkDecoder("application/json")
    assert decoder.feed(b'{"results":[{"statement_id":0}]}\r\n{"results":[{"statement_id"'
                        b':0}]}\r\n') == [{"results": [{"statement_id": 0}]}] * 2
    assert decoder.close() == []


def test_json_blank_lines_are_skipped() -> None:
    decoder = ChunkDecoder("application/json")
    assert decoder.feed(b"\n\r\n  \n") == []
    assert decoder.feed(b'{"results":[{"statement_id":0}]}\n\n') == [
        {"results": [{"statement_id": 0}]}]
    assert decoder.close() == []


def test_json_error_document() -> None:
    decoder = ChunkDecoder("application/json")
    assert decoder.feed(b'{"error":"error parsing query: x"}\n') == [
        {"error": "error parsing query: x"}]


# -- normalisation to the JSON shape ---------------------------------------------------------


def test_empty_msgpack_series_is_removed() -> None:
    # influxd's MessagePack answer to a query without data (the JSON one has no "series").
    body = b"\x81\xa7results\x91\x82\xacstatement_id\x00\xa6series\x90"
    assert ChunkDecoder("application/x-msgpack").feed(body) == [
        {"results": [{"statement_id": 0}]}]


def test_missing_statement_ids_are_filled_in() -> None:
    documents = [
        {"results": [{"statement_id": 0, "series": [{"name": "a"}], "partial": True}]},
        {"results": [{"error": "cut short"}]},  # the open statement, 0
        {"results": [{"error": "next"}]},  # then 1
        {"results": [{"series": [], "partial": True}]},  # 2, still open
        {"results": [{"series": []}]},  # 2 again
        {"results": [{}]},  # 3
    ]
    body = b"".join(msgpack.packb(document) for document in documents)
    decoded = [d for _, d in feed_bytewise(ChunkDecoder("application/x-msgpack"), body)]
    assert [d["results"][0]["statement_id"] for d in decoded] == [0, 0, 1, 2, 2, 3]
    assert "series" not in decoded[3]["results"][0]


def test_several_results_in_one_document_are_numbered_in_order() -> None:
    body = msgpack.packb({"results": [{"series": []}, {"error": "not executed"}]})
    (document,) = ChunkDecoder("application/x-msgpack").feed(body)
    assert document == {"results": [{"statement_id": 0}, {"statement_id": 1,
                                                          "error": "not executed"}]}


# -- ResultBuilder --------------------------------------------------------------------------


def test_recorded_chunks_are_stitched_and_the_real_error_kept() -> None:
    documents = [d for _, d in feed_bytewise(ChunkDecoder("application/json"), RECORDED_JSON)]
    result = build(documents)
    assert result == {"results": [
        {"statement_id": 0, "series": [
            {**SERIES_A, "values": [["1970-01-01T00:00:01Z", 1, "x"],
                                    ["1970-01-01T00:00:02Z", 2.5, "y"],
                                    ["1970-01-01T00:00:03Z", 3, None]]},
            {**SERIES_B, "values": [["1970-01-01T00:00:01.5Z", 4, None],
                                    ["1970-01-01T00:00:01.6Z", -1e300, None]]}]},
        # influxd repeats statement 1 with "not executed": the first error is the real one.
        {"statement_id": 1, "error": MEAN_ERROR},
    ]}


def test_partial_series_are_merged_by_name_and_tags() -> None:
    def chunk(statement: int, name: str, tags: dict[str, str] | None, rows: list[int],
              partial: bool) -> dict[str, Any]:
        series: dict[str, Any] = {"name": name, "columns": ["time", "v"],
                                  "values": [[r, r] for r in rows]}
        if tags is not None:
            series["tags"] = tags
        if partial:
            series["partial"] = True
        result: dict[str, Any] = {"statement_id": statement, "series": [series]}
        if partial:
            result["partial"] = True
        return {"results": [result]}

    result = build([
        chunk(0, "a", {"t": "1"}, [1, 2], True),
        chunk(0, "a", {"t": "1"}, [3], True),
        chunk(0, "a", {"t": "1"}, [4], False),
        chunk(0, "a", {"t": "2"}, [5], False),
        chunk(0, "b", None, [6], True),
        chunk(0, "b", None, [7], False),
        chunk(1, "a", {"t": "1"}, [8], False),
    ])
    assert result == {"results": [
        {"statement_id": 0, "series": [
            {"name": "a", "tags": {"t": "1"}, "columns": ["time", "v"],
             "values": [[1, 1], [2, 2], [3, 3], [4, 4]]},
            {"name": "a", "tags": {"t": "2"}, "columns": ["time", "v"], "values": [[5, 5]]},
            {"name": "b", "columns": ["time", "v"], "values": [[6, 6], [7, 7]]},
        ]},
        {"statement_id": 1, "series": [
            {"name": "a", "tags": {"t": "1"}, "columns": ["time", "v"], "values": [[8, 8]]}]},
    ]}


def test_tag_order_does_not_split_a_series() -> None:
    result = build([
        {"results": [{"statement_id": 0, "series": [
            {"name": "a", "tags": {"x": "1", "y": "2"}, "values": [[1]], "partial": True}],
            "partial": True}]},
        {"results": [{"statement_id": 0, "series": [
            {"name": "a", "tags": {"y": "2", "x": "1"}, "values": [[2]]}]}]},
    ])
    assert result["results"][0]["series"][0]["values"] == [[1], [2]]


def test_statements_without_data_and_messages() -> None:
    warning = {"level": "warning", "text": "deprecated use of 'CREATE DATABASE'"}
    result = build([
        {"results": [{"statement_id": 0, "messages": [warning]}]},
        {"results": [{"statement_id": 1}]},
        {"results": [{"statement_id": 0, "messages": [warning]}]},
    ])
    assert result == {"results": [{"statement_id": 0, "messages": [warning, warning]},
                                  {"statement_id": 1}]}


def test_whole_answer_error() -> None:
    assert build([{"error": "database name required"}]) == {"error": "database name required"}


def test_empty_answer() -> None:
    assert build([]) == {"results": []}


def test_whole_answer_error_after_results_is_kept() -> None:
    result = build([
        {"results": [{"statement_id": 0, "series": [{"name": "a", "values": [[1]]}],
                      "partial": True}]},
        {"error": "connection to shard lost"},
    ])
    with pytest.raises(InfluxDBQueryError, match="connection to shard lost"):
        check_results(result, "SELECT * FROM a")


# -- check_results ---------------------------------------------------------------------------


def test_check_results_names_the_failed_statement() -> None:
    documents = [d for _, d in feed_bytewise(ChunkDecoder("application/x-msgpack"),
                                             RECORDED_MSGPACK)]
    with pytest.raises(InfluxDBQueryError) as info:
        check_results(build(documents), QUERY)
    error = info.value
    assert error.statement_id == 1
    assert error.statement == "SELECT mean(s) FROM m"
    assert error.message == MEAN_ERROR
    assert error.query == QUERY
    assert "statement 1" in str(error)
    assert "SELECT mean(s) FROM m" in str(error)
    assert "unsupported mean iterator type" in str(error)


def test_check_results_whole_answer_error() -> None:
    with pytest.raises(InfluxDBQueryError, match="database name required") as info:
        check_results({"error": "database name required"}, "SELECT 1")
    assert info.value.statement_id is None
    assert info.value.query == "SELECT 1"


def test_check_results_statement_beyond_the_split_query() -> None:
    with pytest.raises(InfluxDBQueryError) as info:
        check_results({"results": [{"statement_id": 3, "error": "boom"}]}, "SELECT 1")
    assert info.value.statement_id == 3
    assert info.value.statement is None


def test_check_results_passes_good_answers_and_logs_warnings(
        caplog: pytest.LogCaptureFixture) -> None:
    document = {"results": [
        {"statement_id": 0, "messages": [{"level": "warning", "text": "deprecated use"}]},
        {"statement_id": 1, "series": [SERIES_A]},
    ]}
    with caplog.at_level(logging.WARNING, logger="influxkit"):
        assert check_results(document, "CREATE DATABASE x; SELECT * FROM m") is None
    assert "deprecated use" in caplog.text


@given(st.lists(st.sampled_from(["SELECT 1", "SHOW DATABASES", "SELECT * FROM \"a;b\""]),
                min_size=1, max_size=5), st.data())
def test_check_results_statement_text_matches_its_number(
        statements: list[str], data: st.DataObject) -> None:
    failed = data.draw(st.integers(0, len(statements) - 1))
    document = {"results": [{"statement_id": i} for i in range(failed)]
                + [{"statement_id": failed, "error": "boom"}]}
    with pytest.raises(InfluxDBQueryError) as info:
        check_results(document, "; ".join(statements))
    assert info.value.statement == statements[failed]


# -- iterpoints (the examples of aioinflux's documentation) -----------------------------------

H2O = {"results": [{"statement_id": 0, "series": [{
    "name": "h2o_quality",
    "columns": ["time", "index", "location", "randtag"],
    "values": [[1439856000000000000, 41, "coyote_creek", "1"],
               [1439856360000000000, 11, "coyote_creek", "3"]],
}]}]}


def test_iterpoints_plain() -> None:
    assert list(iterpoints(H2O)) == [[1439856000000000000, 41, "coyote_creek", "1"],
                                     [1439856360000000000, 11, "coyote_creek", "3"]]


def test_iterpoints_parser_without_meta() -> None:
    assert list(iterpoints(H2O, lambda *x: x[1])) == [41, 11]
    assert list(iterpoints(H2O, lambda *x: len(x))) == [4, 4]


def test_iterpoints_dict_parser_with_meta() -> None:
    def dict_parser(*x: Any, meta: dict[str, Any]) -> dict[str, Any]:
        return dict(zip(meta["columns"], x, strict=True))

    assert next(iterpoints(H2O, dict_parser)) == {
        "time": 1439856000000000000, "index": 41, "location": "coyote_creek", "randtag": "1"}


def test_iterpoints_namedtuple_parser() -> None:
    def nt_parser(*x: Any, meta: dict[str, Any]) -> Any:
        return namedtuple("MyPoint", meta["columns"])(*x)

    point = next(iterpoints(H2O, nt_parser))
    assert point.time == 1439856000000000000
    assert point.location == "coyote_creek"
    assert tuple(point) == (1439856000000000000, 41, "coyote_creek", "1")


def test_iterpoints_namedtuple_class_as_parser() -> None:
    WaterQuality = namedtuple("WaterQuality", ["time", "index", "location", "randtag"])
    points = list(iterpoints(H2O, WaterQuality))
    assert points[1] == WaterQuality(1439856360000000000, 11, "coyote_creek", "3")


def test_iterpoints_meta_content() -> None:
    seen = []
    resp = {"results": [
        {"statement_id": 0, "series": [
            {"name": "a", "tags": {"h": "x"}, "columns": ["time", "v"], "values": [[1, 2]]},
            {"name": "a", "tags": {"h": "y"}, "columns": ["time", "v"], "values": [[3, 4]]}]},
        {"statement_id": 1},
        {"statement_id": 2, "series": [{"name": "b", "columns": ["time", "w"],
                                        "values": [[5, 6], [7, 8]]}]},
    ]}

    def parser(*x: Any, meta: dict[str, Any]) -> tuple[Any, ...]:
        seen.append(meta)
        return x

    # Every series of every statement, in order.
    assert list(iterpoints(resp, parser)) == [(1, 2), (3, 4), (5, 6), (7, 8)]
    assert seen[0] == {"columns": ["time", "v"], "name": "a", "tags": {"h": "x"},
                       "statement_id": 0}
    assert seen[1]["tags"] == {"h": "y"}
    assert seen[2] == {"columns": ["time", "w"], "name": "b", "statement_id": 2}


def test_iterpoints_of_nothing() -> None:
    assert list(iterpoints({"results": []})) == []
    assert list(iterpoints({"results": [{"statement_id": 0}]})) == []
    assert list(iterpoints({})) == []


def test_check_results_scrubs_what_the_server_said(caplog: pytest.LogCaptureFixture) -> None:
    from influxkit._core.credentials import Credentials

    credentials = Credentials(token="tok3n-s3cr3t")
    document = {"results": [{"statement_id": 0, "messages": [
        {"level": "warning", "text": "deprecated: tok3n-s3cr3t"}],
        "error": "bad time literal 'tok3n-s3cr3t'"}]}
    with caplog.at_level(logging.WARNING, logger="influxkit"), \
            pytest.raises(InfluxDBQueryError) as caught:
        check_results(document, "SELECT 1", credentials.scrub)
    assert "tok3n-s3cr3t" not in str(caught.value)
    assert "[REDACTED]" in caught.value.message
    assert "tok3n-s3cr3t" not in caplog.text
    assert "deprecated: [REDACTED]" in caplog.text



# -- answers that are not whole ---------------------------------------------------------------


def decode(body: bytes, content_type: str = "application/json",
           pieces: int = 1) -> list[dict[str, Any]]:
    """Every document of a body fed in ``pieces``, and the end of the body."""
    decoder = ChunkDecoder(content_type, status=200)
    size = -(-len(body) // pieces) or 1
    documents = []
    for start in range(0, len(body), size):
        documents += decoder.feed(body[start:start + size])
    return documents + decoder.close()


@pytest.mark.parametrize("pieces", [1, 7])
@pytest.mark.parametrize("cut", [1, 10, 100, -1])
def test_a_msgpack_answer_cut_anywhere_is_incomplete(cut: int, pieces: int) -> None:
    body = RECORDED_MSGPACK[:cut]
    with pytest.raises(IncompleteResponseError) as caught:
        decode(body, "application/x-msgpack", pieces)
    assert caught.value.received == len(body)
    assert caught.value.content_type == "application/x-msgpack"
    assert caught.value.retryable


def test_every_cut_of_the_recorded_answers_is_an_error_or_the_whole() -> None:
    # No prefix of an answer passes for the whole answer: either it decodes to exactly
    # the documents of the whole body (a cut after the last byte of a document whose
    # next document never started only happens at the very end), or it raises.
    for body, content_type in ((RECORDED_JSON, "application/json"),
                               (RECORDED_MSGPACK, "application/x-msgpack")):
        whole = decode(body, content_type)
        for cut in range(len(body)):
            try:
                documents = decode(body[:cut], content_type)
            except IncompleteResponseError:
                continue
            except InvalidResponseError as exc:
                raise AssertionError(f"cut at {cut}: {exc}") from exc
            # What did decode must be a whole answer: every statement closed.
            assert documents == whole[:len(documents)]
            assert not documents[-1]["results"][-1].get("partial")


def test_a_json_document_cut_after_a_complete_one_is_incomplete() -> None:
    body = b'{"results":[{"statement_id":0}]}\n{"results":[{"statement_id":1,"ser'
    with pytest.raises(IncompleteResponseError, match="ended inside a JSON document"):
        decode(body)


def test_a_stream_ending_while_a_series_is_partial_is_incomplete() -> None:
    first = RECORDED_JSON.split(b"\n")[0] + b"\n"
    assert b'"partial":true' in first
    with pytest.raises(IncompleteResponseError, match="statement 0 was still partial"):
        decode(first)


def test_a_series_marked_partial_in_a_closed_statement_is_incomplete() -> None:
    body = (b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time"],'
            b'"values":[[1]],"partial":true}]}]}\n')
    with pytest.raises(IncompleteResponseError, match="partial"):
        decode(body)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-msgpack"])
def test_an_empty_body_is_incomplete(content_type: str) -> None:
    with pytest.raises(IncompleteResponseError, match="no result document"):
        decode(b"", content_type)


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=utf-8",
                                          "application/octet-stream", "image/png"])
def test_another_content_type_is_invalid(content_type: str) -> None:
    with pytest.raises(InvalidResponseError, match="not JSON or MessagePack") as caught:
        ChunkDecoder(content_type, status=200)
    assert caught.value.content_type == content_type
    assert caught.value.status == 200
    assert not caught.value.retryable


@pytest.mark.parametrize(("body", "match"), [
    (b"<html><body>Please log in</body></html>\n", "not JSON lines: <html>"),
    (b'{"results":[{"statement_id":0}]}\n\xff\xfe\n', "not JSON lines"),
    (b"[1, 2, 3]\n", "is not a map"),
    (b'"text"\n', "is not a map"),
    (b'{"status":"ok"}\n', "neither results nor an error"),
    (b'{"results":{"statement_id":0}}\n', "not a list of maps"),
    (b'{"results":[1]}\n', "not a list of maps"),
    (b'{"results":[{"statement_id":0,"series":{"name":"m"}}]}\n', "series of document"),
    (b'{"results":[{"statement_id":0,"series":[{"name":"m","values":5}]}]}\n',
     "not of InfluxDB's shape"),
    (b'{"results":[{"statement_id":0,"series":[["m"]]}]}\n', "not of InfluxDB's shape"),
    (b'{"results":[{"statement_id":"0"}]}\n', "statement_id"),
])
def test_documents_not_of_influxdbs_shape_are_invalid(body: bytes, match: str) -> None:
    with pytest.raises(InvalidResponseError, match=match) as caught:
        decode(body)
    assert not isinstance(caught.value, IncompleteResponseError)


def test_msgpack_that_does_not_decode_is_invalid() -> None:
    with pytest.raises(InvalidResponseError, match="does not decode"):
        decode(b"\xc1" * 4, "application/x-msgpack")


def test_a_whole_answer_decodes_whatever_the_pieces() -> None:
    for pieces in (1, 2, 13, len(RECORDED_MSGPACK)):
        assert decode(RECORDED_MSGPACK, "application/x-msgpack", pieces) == decode(
            RECORDED_MSGPACK, "application/x-msgpack")
