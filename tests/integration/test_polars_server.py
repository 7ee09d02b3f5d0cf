"""polars DataFrames through the real server: influxd judges the polars encoder and decoder.

Frames are written with the client and read back with ``output='polars'``: dense
and sparse frames, hostile tags, names and strings, every Datetime unit in several
time zones, integer times, every precision. Then the request splitting of
``batch_size=`` and ``concurrency=``, a 200,000-row frame, chunked answers, the shapes
of grouped answers, refusals before anything is sent, and a property test: each
random frame is either refused before sending or read back exactly.

The test marked ``xfail(strict=True)`` pins a known limit: a chunk in which a column
has no value decodes it as ``Null``, so a plain ``pl.concat`` of the chunks fails
(``how="vertical_relaxed"`` joins them).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import math
import struct
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest
from _tracing import write_tracer
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from influxkit import InfluxDBClient, LineProtocolError, serialize
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
T0 = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z
UTC_NS = pl.Datetime("ns", "UTC")
UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000}


@pytest.fixture
async def client(influxdb_server: InfluxDBServer, database: str) -> AsyncIterator[InfluxDBClient]:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, output="polars") as client:
        yield client


@pytest.fixture
def blocking(influxdb_server: InfluxDBServer, database: str) -> Iterator[InfluxDBClient]:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking", output="polars") as client:
        yield client


def times(*ns: int, unit: str = "ns", zone: str | None = "UTC") -> pl.Series:
    """A Datetime column from nanoseconds since the epoch (whole units of ``unit``)."""
    raw = pl.Series("time", [n // UNIT_NS[unit] for n in ns], dtype=pl.Int64)
    series = raw.cast(pl.Datetime(unit))  # type: ignore[arg-type]
    if zone is not None:
        series = series.dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    return series


async def json_answer(client: InfluxDBClient, query: str, **kwargs: Any) -> Any:
    """The answer to ``query`` in the JSON shape."""
    client.output = "json"
    try:
        return await client.query(query, **kwargs)
    finally:
        client.output = "polars"


async def read_back(client: InfluxDBClient, measurement: str = "m") -> pl.DataFrame:
    """Every row of ``measurement``, as a polars DataFrame."""
    frame = await client.query("SELECT * FROM $m", params={"m": {"identifier": measurement}})
    assert isinstance(frame, pl.DataFrame), frame
    return frame


async def assert_nothing_stored(client: InfluxDBClient) -> None:
    answer = await json_answer(client, "SHOW MEASUREMENTS")
    assert "series" not in answer["results"][0], f"something was sent: {answer}"


def server_view(df: pl.DataFrame, tags: Sequence[str] = (),
                extra: Mapping[str, str] | None = None) -> pl.DataFrame:
    """What the server gives back for ``df``: times in UTC nanoseconds, sorted; numbers
    as Float64 and Int64, NaN as null; tags as text, "" as null, filled by ``extra``;
    columns without any value left out."""
    extra = extra or {}
    time = df["time"]
    if isinstance(time.dtype, pl.Datetime):
        time = (time.dt.convert_time_zone("UTC") if time.dtype.time_zone
                else time.dt.replace_time_zone("UTC")).dt.cast_time_unit("ns")
    columns: dict[str, pl.Series] = {"time": time}
    for name in df.columns:
        column = df[name]
        if name == "time":
            continue
        if name in tags:
            text = column.cast(pl.Utf8)
            text = pl.select(pl.when(text != "").then(text)).to_series()
            column = text.fill_null(extra[name]) if name in extra else text
        elif column.dtype.is_float():
            column = column.cast(pl.Float64).fill_nan(None)
        elif column.dtype.is_integer():
            column = column.cast(pl.Int64)
        elif column.dtype in (pl.Categorical, pl.Enum) or isinstance(column.dtype, pl.Enum):
            column = column.cast(pl.Utf8)
        columns[name] = column.alias(name)
    for key, value in extra.items():
        if key not in columns:
            columns[key] = pl.Series(key, [value] * df.height, dtype=pl.Utf8)
    frame = pl.DataFrame(columns).sort("time", maintain_order=True)
    return frame.select(name for name in frame.columns if frame[name].null_count() < frame.height)


def float_bits(column: pl.Series) -> list[bytes | None]:
    return [None if v is None else struct.pack("<d", v) for v in column.to_list()]


def assert_same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """The same columns (the server sorts them, after ``time``), dtypes and values;
    floats to the bit (-0.0 is not 0.0)."""
    assert got.columns[0] == "time", got.columns
    assert sorted(got.columns[1:]) == got.columns[1:], got.columns
    assert sorted(got.columns) == sorted(want.columns), (got.columns, want.columns)
    got = got.select(want.columns)
    assert got.schema == want.schema, (got.schema, want.schema)
    assert_frame_equal(got, want, check_exact=True)
    for name, dtype in want.schema.items():
        if dtype == pl.Float64:
            assert float_bits(got[name]) == float_bits(want[name]), name


# -- dense and sparse frames ---------------------------------------------------------------

FLOATS = [0.0, -0.0, 1.0, -1.0, 0.1, 1e16, 1e-05, 1e-7, 1.5e-300, 5e-324, -5e-324,
          2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
          123456789.123456789, 2.0**53 + 2, 1 / 3]


async def test_dense_frame_round_trips(client: InfluxDBClient) -> None:
    rows = len(FLOATS)
    df = pl.DataFrame({
        "time": times(*range(T0, T0 + rows)),
        "f": FLOATS,
        "f32": pl.Series(np.linspace(-1, 1, rows), dtype=pl.Float32),
        "i": [INT64_MIN, INT64_MAX, 2**53 + 1, 0, -1, *range(rows - 5)],
        "i8": pl.Series([-128, 127, *range(rows - 2)], dtype=pl.Int8),
        "u64": pl.Series([INT64_MAX, *range(rows - 1)], dtype=pl.UInt64),
        "b": [i % 3 == 0 for i in range(rows)],
        "s": [f's{i} "q" \\ ,= 日本' for i in range(rows)],
        "c": pl.Series(["x y", "z"] * (rows // 2) + ["x y"], dtype=pl.Categorical),
        "host": ["a b", "c,d", "e=f"] * (rows // 3) + ["a b", "c,d"],
    })
    await client.write(df, measurement="m", tag_columns=["host"], region="eu west")
    got = await read_back(client)
    assert_same(got, server_view(df, ["host"], {"region": "eu west"}))
    # Float32 cells are the float64 they widen to; 1.0 stays a float.
    assert got["f32"].to_list() == [float(v) for v in df["f32"].to_list()]
    assert got["f"][2] == 1.0
    assert isinstance(got["f"][2], float)


async def test_sparse_frame_round_trips(client: InfluxDBClient) -> None:
    df = pl.DataFrame({
        "time": times(T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4),
        "f": [math.nan, 1.5, None, 2.5, None],
        "i": pl.Series([1, None, INT64_MAX, None, None], dtype=pl.Int64),
        "b": [None, True, None, False, None],
        "s": ["a", None, None, "", "e"],
        "host": ["a", None, "", "d", None],
        "rack": [None, "r2", None, "", "r5"],
    })
    body = serialize(df, "m", tag_columns=["host", "rack"], rack="r0")
    assert body.split(b"\n") == [
        b'm,host=a,rack=r0 i=1i,s="a" 1257894000000000000',
        b"m,rack=r2 f=1.5,b=true 1257894000000000001",
        b"m,rack=r0 i=9223372036854775807i 1257894000000000002",
        b'm,host=d,rack=r0 f=2.5,b=false,s="" 1257894000000000003',
        b'm,rack=r5 s="e" 1257894000000000004',
    ]
    await client.write(df, measurement="m", tag_columns=["host", "rack"], rack="r0")
    got = await read_back(client)
    assert_same(got, server_view(df, ["host", "rack"], {"rack": "r0"}))
    assert got.schema["i"] == pl.Int64  # not floats, for all the gaps
    assert got["i"].to_list() == [1, None, INT64_MAX, None, None]
    assert got["host"].to_list() == ["a", None, None, "d", None]


async def test_lazy_frame_and_integer_times(client: InfluxDBClient) -> None:
    seconds = T0 // 10**9
    lazy = pl.LazyFrame({"time": [seconds, seconds - 86_400, seconds + 1],
                         "v": [1.5, 2.5, 3.5]}).with_columns(w=pl.col("v") * 2)
    await client.write(lazy, measurement="m", precision="s")
    got = await read_back(client)
    assert_same(got, pl.DataFrame({
        "time": times((seconds - 86_400) * 10**9, seconds * 10**9, (seconds + 1) * 10**9),
        "v": [2.5, 1.5, 3.5], "w": [5.0, 3.0, 7.0]}))


async def test_rows_are_written_in_order(client: InfluxDBClient) -> None:
    # The server keeps the last of two writes of the same point: only row order tells
    # which one that is, even across requests.
    df = pl.DataFrame({"time": times(T0 + 5, T0, T0 + 5, T0 - 1, T0),
                       "f": [1.0, 2.0, 3.0, 4.0, 5.0], "g": [10, None, None, None, 30]})
    await client.write(df, measurement="m", batch_size=1)
    got = await read_back(client)
    assert_same(got, pl.DataFrame({"time": times(T0 - 1, T0, T0 + 5), "f": [4.0, 5.0, 3.0],
                                   "g": [None, 30, 10]}))


# -- tags, names and strings ---------------------------------------------------------------

HOSTILE_TAGS = [
    "a b", "a,b", "a=b", 'say "hi"', "'", "a\tb", "\tlead", "trail\t", " ", "  x  ",
    "a\\b", "\\a", "a\\\\b", "日本語", "😀 emoji", "é,=ü", "\u2028", "#x", "a\rb",
    'a=b,c d"e', "NaN", "None", "null", "true",
]
HOSTILE_STRINGS = [
    "\\a\\", "\\", "\\\\", '"', '\\"', '"\\', "a\nb", "\n", "\r\n", "\t", "=, ", "",
    "trailing\\", "日本語 😀", "None", "nan", 'x="y" 1', "a\\nb", "a" * 1000,
]


async def test_hostile_tag_values_and_string_fields(client: InfluxDBClient) -> None:
    rows = max(len(HOSTILE_TAGS), len(HOSTILE_STRINGS))
    df = pl.DataFrame({
        "time": times(*range(T0, T0 + rows)),
        "t": [HOSTILE_TAGS[i % len(HOSTILE_TAGS)] for i in range(rows)],
        "s": [HOSTILE_STRINGS[i % len(HOSTILE_STRINGS)] for i in range(rows)],
        "n": range(rows),
    })
    await client.write(df, measurement="m", tag_columns=["t"])
    got = await read_back(client)
    assert_same(got, server_view(df, ["t"]))
    answer = await json_answer(client, "SHOW TAG VALUES FROM m WITH KEY = t")
    assert sorted(row[1] for row in answer["results"][0]["series"][0]["values"]) == sorted(
        HOSTILE_TAGS)


@pytest.mark.parametrize("name", ["a b", "a,b", "a=b", 'a"b', "a\\b", "日本", "t\tx", "#h"],
                         ids=repr)
async def test_hostile_names(client: InfluxDBClient, name: str) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1), name: ["v", "w"],
                       "field " + name: [1.5, 2.5], name + "=": ["x", None]})
    measurement = "m " + name
    await client.write(df, measurement=measurement, tag_columns=[name])
    got = await read_back(client, measurement)
    assert_same(got, server_view(df, [name]))


@pytest.mark.parametrize("value", ["a\nb", "trailing\\", "a\\ b", "a\\,b", "a\\=b", 'a\\"b'],
                         ids=repr)
async def test_tag_values_line_protocol_cannot_carry_send_nothing(
        client: InfluxDBClient, value: str) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1), "t": ["ok", value], "f": [1, 2]})
    with pytest.raises(LineProtocolError) as info:
        await client.write(df, measurement="m", tag_columns=["t"])
    assert (info.value.index, info.value.field, info.value.value) == (1, "t", value)
    await assert_nothing_stored(client)


async def test_tag_columns_of_integer_and_categorical_dtypes(client: InfluxDBClient) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2),
                       "i": pl.Series([1, None, INT64_MIN], dtype=pl.Int64),
                       "c": pl.Series(["x y", "z", None], dtype=pl.Categorical),
                       "f": [0.5, 1.5, 2.5]})
    await client.write(df, measurement="m", tag_columns=["i", "c"], c="fill")
    got = await read_back(client)
    assert_same(got, pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2),
                                   "i": ["1", None, str(INT64_MIN)],
                                   "c": ["x y", "z", "fill"], "f": [0.5, 1.5, 2.5]}))


# -- times ---------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York", "Asia/Kathmandu"])
async def test_every_unit_and_zone_is_nanosecond_exact(client: InfluxDBClient, unit: str,
                                                       zone: str | None) -> None:
    step = UNIT_NS[unit]
    stamps = [T0 + step, T0 - 86_400 * 10**9 + 7 * step, -3 * step,
              1_616_893_200 * 10**9 - step,  # 2021-03-28 01:00 UTC, Europe's DST change
              1_636_264_800 * 10**9 + 123 * step,  # 2021-11-07 06:00 UTC, New York's
              -9_223_372_036_854_775_806 // step * step + step,
              9_223_372_036_854_775_806 // step * step]
    df = pl.DataFrame({"time": times(*stamps, unit=unit, zone=zone),
                       "n": range(len(stamps))})
    await client.write(df, measurement="m")
    got = await read_back(client)
    assert got.schema["time"] == UTC_NS
    assert got["time"].dt.epoch("ns").to_list() == sorted(stamps)
    assert_same(got, server_view(df))


async def test_local_wall_times_across_dst(client: InfluxDBClient) -> None:
    local = pl.Series(["2021-10-31 02:30:00.000000001", "2021-10-31 02:30:00.000000002",
                       "2021-03-28 03:30:00"]).str.to_datetime(time_unit="ns")
    zoned = local.dt.replace_time_zone(
        "Europe/Paris", ambiguous=pl.Series(["earliest", "latest", "raise"]))
    df = pl.DataFrame({"time": zoned, "n": [1, 2, 3]})
    await client.write(df, measurement="m")
    got = await read_back(client)
    assert got["time"].dt.epoch("ns").to_list() == [
        1_616_895_000 * 10**9, 1_635_640_200 * 10**9 + 1, 1_635_643_800 * 10**9 + 2]
    assert got["n"].to_list() == [3, 1, 2]


@pytest.mark.parametrize(("precision", "unit_ns"), [
    ("s", 10**9), ("ms", 10**6), ("u", 10**3), ("us", 10**3), ("µ", 10**3), ("ns", 1),
    ("m", 60 * 10**9), ("h", 3600 * 10**9),
])
async def test_precision_writes_are_exact(client: InfluxDBClient, precision: str,
                                          unit_ns: int) -> None:
    stamps = [T0, T0 + 7 * unit_ns, T0 - 1000 * unit_ns]
    df = pl.DataFrame({"time": times(*stamps, zone="Europe/Paris"), "n": [0, 1, 2]})
    body = serialize(df, "m", precision=precision)
    assert [int(line.rsplit(b" ", 1)[1]) for line in body.split(b"\n")] == [
        n // unit_ns for n in stamps]
    await client.write(df, measurement="m", precision=precision)
    integers = pl.DataFrame({"time": [n // unit_ns + 1 for n in stamps], "n": [3, 4, 5]})
    await client.write(integers, measurement="m", precision=precision)
    got = await read_back(client)
    assert got["time"].dt.epoch("ns").to_list() == sorted(
        [*stamps, *(n + unit_ns for n in stamps)])
    assert got["n"].to_list() == [2, 5, 0, 3, 1, 4]


@pytest.mark.parametrize(("precision", "late_ns", "unit"), [
    ("s", 10**6, "ms"), ("ms", 10**3, "us"), ("u", 1, "ns"), ("s", 999_999_999, "ns"),
    ("h", 60 * 10**9, "ms"),
])
async def test_time_not_whole_in_the_precision_sends_nothing(
        client: InfluxDBClient, precision: str, late_ns: int, unit: str) -> None:
    stamps = [T0 + i * 3600 * 10**9 for i in range(5)]
    stamps.insert(3, stamps[3] + late_ns)
    df = pl.DataFrame({"time": times(*stamps, unit=unit), "n": range(6)})
    with pytest.raises(LineProtocolError, match="not a whole number") as info:
        await client.write(df, measurement="m", precision=precision)
    assert info.value.index == 3
    await assert_nothing_stored(client)


# -- refused before anything is sent --------------------------------------------------------


@pytest.mark.parametrize(("column", "problem", "row"), [
    (pl.Series([1.0, 2.0, math.inf]), "infinity", 2),
    (pl.Series([1, 2**63, 3], dtype=pl.UInt64), "outside the 64-bit", 1),
    (pl.Series([dt.date(2020, 1, 1)] * 3), "type Date", None),
    (pl.Series([[1], [2], [3]]), "type List", None),
    (pl.Series([dt.timedelta(1)] * 3), "type Duration", None),
], ids=["inf", "uint64", "date", "list", "duration"])
async def test_refused_frames_send_nothing(client: InfluxDBClient, column: pl.Series,
                                           problem: str, row: int | None) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2), "ok": [1, 2, 3], "bad": column})
    with pytest.raises(LineProtocolError, match=problem) as info:
        await client.write(df, measurement="m", batch_size=1)
    assert (info.value.index, info.value.field) == (row, "bad")
    await assert_nothing_stored(client)


@pytest.mark.parametrize("column", [
    pl.Series([T0, None, T0 + 2]).cast(UTC_NS),
    pl.Series([dt.datetime(2020, 1, 1), dt.datetime(2300, 1, 1), dt.datetime(2020, 1, 2)]
              ).dt.cast_time_unit("ms"),
], ids=["missing", "beyond-2262"])
async def test_bad_times_send_nothing(client: InfluxDBClient, column: pl.Series) -> None:
    df = pl.DataFrame({"time": column, "v": [1, 2, 3]})
    with pytest.raises(LineProtocolError, match="time is") as info:
        await client.write(df, measurement="m", batch_size=1)
    assert (info.value.index, info.value.field) == (1, "time")
    await assert_nothing_stored(client)


async def test_integer_times_in_the_wrong_unit_send_nothing(client: InfluxDBClient) -> None:
    # int(time.time()) with the default nanoseconds: once stored in January 1970.
    seconds = T0 // 10**9
    df = pl.DataFrame({"time": [T0, seconds, T0 + 2], "v": [1, 2, 3]})
    with pytest.raises(LineProtocolError, match="it looks like seconds: pass "
                                                "precision='s'") as info:
        await client.write(df, measurement="m", batch_size=1)
    assert (info.value.index, info.value.field, info.value.value) == (1, "time", seconds)
    await assert_nothing_stored(client)
    await client.write(df.slice(1, 1), measurement="m", precision="s")
    assert (await read_back(client))["time"].to_list() == times(T0)[:1].to_list()


async def test_object_columns_of_one_type_round_trip(client: InfluxDBClient) -> None:
    def objects(*values: Any) -> pl.Series:
        return pl.Series([object(), *values], dtype=pl.Object).slice(1)

    df = pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2),
                       "big": objects(2**53 + 1, None, -(2**53) - 1),
                       "f": objects(0.1, decimal.Decimal("2.5"), None),
                       "s": objects("x", None, "日本")})
    await client.write(df, measurement="m")
    got = await read_back(client)
    assert got.schema["big"] == pl.Int64
    assert got["big"].to_list() == [2**53 + 1, None, -(2**53) - 1]
    assert got["f"].to_list() == [0.1, 2.5, None]
    assert got["s"].to_list() == ["x", None, "日本"]


@pytest.mark.parametrize(("values", "row"), [([1, "a", 2.5], 1), ([2**53 + 1, 0.5, 1], 1),
                                             ([b"x", None, None], 0)], ids=repr)
async def test_object_columns_of_mixed_types_send_nothing(client: InfluxDBClient,
                                                          values: list[Any], row: int) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2), "ok": [1, 2, 3],
                       "o": pl.Series(values, dtype=pl.Object)})
    with pytest.raises(LineProtocolError, match="'o'") as info:
        await client.write(df, measurement="m")
    assert (info.value.index, info.value.field) == (row, "o")
    await assert_nothing_stored(client)


async def test_the_name_of_a_column_without_values_is_checked(client: InfluxDBClient) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1), "ok": [1, 2], "bad\\": [None, None]})
    with pytest.raises(LineProtocolError, match="backslash") as info:
        await client.write(df, measurement="m")
    assert (info.value.field, info.value.value) == ("field key", "bad\\")
    await assert_nothing_stored(client)


async def test_row_without_fields_in_a_large_frame_sends_nothing(
        client: InfluxDBClient) -> None:
    rows = 250_000
    f = np.arange(rows, dtype=np.float64)
    f[rows - 2] = np.nan
    s = pl.Series(["x"] * rows).scatter(rows - 2, None)
    df = pl.DataFrame({"time": pl.datetime_range(dt.datetime(2020, 1, 1),
                                                 dt.datetime(2020, 1, 1) + dt.timedelta(
                                                     seconds=rows - 1),
                                                 "1s", time_zone="Europe/Paris", eager=True),
                       "f": f, "s": s, "t": "tag"})
    client.max_request_bytes = 100_000  # a frame this large takes many requests
    with pytest.raises(LineProtocolError, match="no fields") as info:
        await client.write(df, measurement="m", tag_columns=["t"])
    assert info.value.index == rows - 2
    assert str(info.value).startswith(f"point {rows - 2}: ")
    await assert_nothing_stored(client)


async def test_128_bit_integers_beyond_int64_send_nothing(client: InfluxDBClient) -> None:
    df = pl.DataFrame({"time": times(T0, T0 + 1),
                       "v": pl.Series([1, 2**70], dtype=pl.Int128)})
    with pytest.raises(LineProtocolError, match="outside the 64-bit") as info:
        await client.write(df, measurement="m")
    assert (info.value.index, info.value.field, info.value.value) == (1, "v", 2**70)
    await assert_nothing_stored(client)


# -- requests: batch_size and concurrency ----------------------------------------------------


def counted_frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame({
        "time": pl.Series(T0 + np.arange(rows, dtype=np.int64) * 1_000_003).cast(UTC_NS),
        "i": np.arange(rows, dtype=np.int64) * (2**40 + 1),
        "f": np.linspace(0, 1, rows),
        "host": np.array(["a", "b c", "d,e"])[np.arange(rows) % 3],
    })


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_batch_size_splits_the_frame_into_requests(
        influxdb_server: InfluxDBServer, database: str, concurrency: int) -> None:
    rows, batch = 1_000, 128
    trace, bodies = write_tracer()
    df = counted_frame(rows)
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, output="polars", trace_configs=[trace]) as client:
        await client.write(df, measurement="m", tag_columns=["host"], batch_size=batch,
                           concurrency=concurrency)
        assert len(bodies) == -(-rows // batch)
        sizes = sorted((bytes(body).count(b"\n") + 1 for body in bodies), reverse=True)
        assert sizes == [batch] * (rows // batch) + [rows % batch]
        # The requests hold serialize()'s lines, each once.
        lines = sorted(line for body in bodies for line in bytes(body).split(b"\n"))
        assert lines == sorted(serialize(df, "m", tag_columns=["host"]).split(b"\n"))
        got = await read_back(client)
    assert_same(got, server_view(df, ["host"]))


async def test_large_frame_round_trips(influxdb_server: InfluxDBServer, database: str) -> None:
    rows = 200_000
    rng = np.random.default_rng(20240101)
    df = pl.DataFrame({
        "time": pl.Series(1_600_000_000 * 10**9 + np.arange(rows, dtype=np.int64) * 1_000_003
                          ).cast(pl.Datetime("ns", "America/Sao_Paulo")),
        "i": rng.integers(-(2**40), 2**40, rows),
        "f": rng.random(rows),
        "b": rng.random(rows) < 0.5,
        "s": np.array(["x", "y z", 'q"\\'])[np.arange(rows) % 3],
        "host": np.array(["a", "b,c", "d e"])[np.arange(rows) % 3],
    })
    trace, bodies = write_tracer()
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, output="polars", trace_configs=[trace]) as client:
        client.max_request_bytes = 4_000_000
        await client.write(df, measurement="big", tag_columns=["host"], concurrency=2)
        assert len(bodies) > 2
        answer = await json_answer(client, "SELECT count(i), sum(i) FROM big")
        assert answer["results"][0]["series"][0]["values"] == [[0, rows, int(df["i"].sum())]]
        got = await read_back(client, "big")
    assert got.height == rows
    assert_same(got, server_view(df, ["host"]))


# -- chunked answers --------------------------------------------------------------------------


async def test_chunks_concatenate_to_the_whole_answer(client: InfluxDBClient) -> None:
    rows = 1000
    df = pl.DataFrame({
        "time": times(*range(T0, T0 + rows * 10**6, 10**6), zone="Asia/Tokyo"),
        "f": np.linspace(-1, 1, rows),
        "i": np.arange(rows, dtype=np.int64) * (2**53 + 1),
        "b": np.arange(rows) % 3 == 0,
        "s": [f's{i % 7} "q"' for i in range(rows)],
        "host": [f"h {i % 3}" for i in range(rows)],
    })
    await client.write(df, measurement="m", tag_columns=["host"])
    whole = await read_back(client)
    assert_same(whole, server_view(df, ["host"]))
    chunks = await client.query("SELECT * FROM m", chunked=True, chunk_size=64)
    pieces = [chunk async for chunk in chunks]
    assert len(pieces) == -(-rows // 64)
    assert all(isinstance(piece, pl.DataFrame) for piece in pieces)
    assert {piece.schema == whole.schema for piece in pieces} == {True}
    assert_frame_equal(pl.concat(pieces), whole, check_exact=True)


SPARSE = pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2, T0 + 3), "f": [0.5] * 4,
                       "i": [None, None, 2**53 + 1, 1], "b": [None, None, True, False],
                       "s": [None, None, "x", "y"]})


async def test_chunks_with_an_empty_column_concatenate_when_relaxed(
        client: InfluxDBClient) -> None:
    await client.write(SPARSE, measurement="m")
    whole = await read_back(client)
    assert_same(whole, server_view(SPARSE))
    chunks = await client.query("SELECT * FROM m", chunked=True, chunk_size=2)
    pieces = [chunk async for chunk in chunks]
    assert len(pieces) == 2
    assert_frame_equal(pl.concat(pieces, how="vertical_relaxed"), whole, check_exact=True)


@pytest.mark.xfail(strict=True, reason=(
    "a chunk in which a column has no value decodes it as polars' Null dtype, so "
    "pl.concat(chunks) raises SchemaError ('type Boolean is incompatible with expected "
    "type Null'); the whole answer has Int64, Boolean and String"))
async def test_chunks_with_an_empty_column_have_the_whole_answers_types(
        client: InfluxDBClient) -> None:
    await client.write(SPARSE, measurement="m")
    whole = await read_back(client)
    chunks = await client.query("SELECT * FROM m", chunked=True, chunk_size=2)
    pieces = [chunk async for chunk in chunks]
    assert [piece.schema for piece in pieces] == [whole.schema] * 2
    assert_frame_equal(pl.concat(pieces), whole, check_exact=True)


# -- the shapes of answers --------------------------------------------------------------------


@pytest.fixture
async def two_hosts(client: InfluxDBClient) -> InfluxDBClient:
    df = pl.DataFrame({"time": times(T0, T0 + 1, T0 + 2, T0 + 3), "host": ["a", "b", "a", "b"],
                       "load": [0.5, 1.0, 1.5, 2.0], "n": [1, 2, 3, 4]})
    await client.write(df, measurement="cpu", tag_columns=["host"], region="eu")
    await client.write(pl.DataFrame({"time": times(T0), "v": [7]}), measurement="mem")
    return client


async def test_one_series_is_a_frame_with_utc_times(two_hosts: InfluxDBClient) -> None:
    frame = await two_hosts.query("SELECT load, n FROM cpu WHERE host = 'a'")
    assert isinstance(frame, pl.DataFrame)
    assert_frame_equal(frame, pl.DataFrame({"time": times(T0, T0 + 2), "load": [0.5, 1.5],
                                            "n": [1, 3]}), check_exact=True)


async def test_group_by_tag_is_a_dict_keyed_by_series(two_hosts: InfluxDBClient) -> None:
    answer = await two_hosts.query("SELECT load FROM cpu GROUP BY host")
    assert isinstance(answer, dict)
    assert list(answer) == ["cpu,host=a", "cpu,host=b"]
    assert_frame_equal(answer["cpu,host=a"], pl.DataFrame(
        {"time": times(T0, T0 + 2), "load": [0.5, 1.5], "host": ["a", "a"]}), check_exact=True)
    assert_frame_equal(answer["cpu,host=b"], pl.DataFrame(
        {"time": times(T0 + 1, T0 + 3), "load": [1.0, 2.0], "host": ["b", "b"]}),
        check_exact=True)
    everything = await two_hosts.query("SELECT n FROM cpu GROUP BY *")
    assert list(everything) == ["cpu,host=a,region=eu", "cpu,host=b,region=eu"]
    assert everything["cpu,host=b,region=eu"].schema == pl.Schema(
        {"time": UTC_NS, "n": pl.Int64, "host": pl.Utf8, "region": pl.Utf8})


async def test_group_by_time_with_gaps(two_hosts: InfluxDBClient) -> None:
    answer = await two_hosts.query(
        f"SELECT mean(load), count(n), last(n) FROM cpu WHERE time >= {T0} AND "
        f"time < {T0 + 8} GROUP BY time(2ns), host fill(null)")
    assert list(answer) == ["cpu,host=a", "cpu,host=b"]
    a = answer["cpu,host=a"]
    assert a.schema == pl.Schema({"time": UTC_NS, "mean": pl.Float64, "count": pl.Int64,
                                  "last": pl.Int64, "host": pl.Utf8})
    assert a["time"].dt.epoch("ns").to_list() == [T0, T0 + 2, T0 + 4, T0 + 6]
    assert a["mean"].to_list() == [0.5, 1.5, None, None]
    assert a["last"].to_list() == [1, 3, None, None]


async def test_several_statements_are_a_list(two_hosts: InfluxDBClient) -> None:
    answer = await two_hosts.query("SELECT load FROM cpu GROUP BY host; SELECT v FROM mem; "
                                   "SELECT * FROM nothing; SHOW MEASUREMENTS")
    assert isinstance(answer, list)
    assert [list(statement) for statement in answer] == [
        ["cpu,host=a", "cpu,host=b"], ["mem"], [], ["measurements"]]
    assert_frame_equal(answer[1]["mem"], pl.DataFrame({"time": times(T0), "v": [7]}))
    assert_frame_equal(answer[3]["measurements"], pl.DataFrame({"name": ["cpu", "mem"]}))


async def test_show_statements_and_empty_answers(two_hosts: InfluxDBClient) -> None:
    assert_frame_equal(await two_hosts.query("SHOW MEASUREMENTS"),
                       pl.DataFrame({"name": ["cpu", "mem"]}))
    assert_frame_equal(await two_hosts.query("SHOW TAG KEYS"),  # one series: "cpu"
                       pl.DataFrame({"tagKey": ["host", "region"]}))
    assert await two_hosts.query("SELECT * FROM nothing") == {}
    assert await two_hosts.query("SELECT * FROM cpu WHERE host = 'z'") == {}


async def test_rfc3339_times_give_the_same_frame(two_hosts: InfluxDBClient) -> None:
    query = "SELECT * FROM cpu"
    assert_frame_equal(await two_hosts.query(query, epoch=None), await two_hosts.query(query),
                       check_exact=True)
    coarse = await two_hosts.query("SELECT * FROM mem", epoch="s")
    assert coarse["time"].dt.epoch("ns").to_list() == [T0]


async def test_a_tag_does_not_replace_the_field_of_the_same_name(
        client: InfluxDBClient) -> None:
    await client.write("m,x=tag x=1.5 1\nm,x=tag x=2.5 2")
    answer = await client.query("SELECT x::field FROM m GROUP BY x")
    assert isinstance(answer, pl.DataFrame)  # one series
    assert answer["x"].to_list() == [1.5, 2.5]


# -- the property: refused before sending, or read back exactly ---------------------------

# Text line protocol can carry as a name or a tag value: backslashes, but not before a
# comma, space, equals sign or double quote, nor at the end.
NAME_PIECES = [" ", ",", "=", '"', "'", "\\a", "\\\\b", "a", "Z", "0", "é", "日", "😀", "#"]
carriable = st.lists(st.sampled_from([*NAME_PIECES, "\t"]), max_size=5).map("".join)
column_names = st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=4).map("".join)
field_text = st.lists(st.sampled_from([*NAME_PIECES, "\\", "\n", "\r", "\t"]),
                      max_size=6).map("".join)


def sometimes_none(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # Keyed to a middle value: hypothesis favours the ends of a range.
    return st.integers(0, 3).flatmap(lambda k: st.none() if k == 2 else values)


KINDS = ["float", "int", "bool", "str", "tag", "tag"]


@st.composite
def random_frames(draw: st.DrawFn) -> tuple[pl.DataFrame, list[str]]:
    rows = draw(st.integers(1, 6))
    names = draw(st.lists(column_names, min_size=1, max_size=5, unique=True))
    columns: dict[str, pl.Series] = {}
    tags: list[str] = []
    for name in names:
        kind = draw(st.sampled_from(KINDS))

        def cells(values: st.SearchStrategy[Any]) -> list[Any]:
            return draw(st.lists(sometimes_none(values), min_size=rows, max_size=rows))

        if kind == "float":
            columns[name] = pl.Series(cells(
                st.floats(allow_infinity=False) | st.sampled_from([-0.0, 5e-324, 1.0, 1e-7])),
                dtype=pl.Float64)
        elif kind == "int":
            columns[name] = pl.Series(cells(st.integers(INT64_MIN, INT64_MAX)), dtype=pl.Int64)
        elif kind == "bool":
            columns[name] = pl.Series(cells(st.booleans()), dtype=pl.Boolean)
        elif kind == "str":
            columns[name] = pl.Series(cells(field_text), dtype=pl.Utf8)
        else:
            columns[name] = pl.Series(cells(carriable), dtype=pl.Utf8)
            tags.append(name)
    unit = draw(st.sampled_from(["ns", "us", "ms"]))
    offsets = draw(st.lists(st.integers(0, 7 * 86_400 * 10**9 // UNIT_NS[unit]),
                            min_size=rows, max_size=rows, unique=True))
    zone = draw(st.sampled_from([None, "UTC", "Europe/Paris", "Pacific/Chatham"]))
    time = times(*(1_577_836_800 * 10**9 + offset * UNIT_NS[unit] for offset in offsets),
                 unit=unit, zone=zone)
    return pl.DataFrame({"time": time, **columns}), tags


def refusal(df: pl.DataFrame, measurement: str, tags: list[str]) -> LineProtocolError | None:
    """Why ``serialize`` refuses the frame, if it does."""
    try:
        serialize(df, measurement, tag_columns=tags)
    except LineProtocolError as exc:
        return exc
    return None


def test_random_frames_round_trip_or_are_refused(blocking: InfluxDBClient) -> None:
    examples = itertools.count()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_frames())
    def check(drawn: tuple[pl.DataFrame, list[str]]) -> None:
        df, tags = drawn
        measurement = f"m{next(examples)}"
        note(f"df = {df.to_dict(as_series=False)!r}, tags = {tags!r}")
        fields = [name for name in df.columns if name != "time" and name not in tags]
        empty = (pl.select(pl.all_horizontal(
            [df[name].is_null() | (df[name].is_nan() if df[name].dtype.is_float() else False)
             for name in fields])).to_series() if fields else pl.Series([True] * df.height))
        refused = refusal(df, measurement, tags)
        if refused is not None:
            event("refused")
            # The only rule these frames can break: a row left without fields.
            assert empty.any(), f"refused without reason: {refused}"
            assert refused.index == (empty.arg_true()[0] if fields else None), refused
            assert refused.field == "fields", f"refused for another reason: {refused}"
            with pytest.raises(LineProtocolError):
                blocking.write(df, measurement=measurement, tag_columns=tags)
            blocking.output = "json"
            try:
                answer = blocking.query("SELECT * FROM $m",
                                        params={"m": {"identifier": measurement}})
            finally:
                blocking.output = "polars"
            assert "series" not in answer["results"][0], "something was sent"
            return
        event("written")
        assert not empty.any(), "accepted a row without fields"
        blocking.write(df, measurement=measurement, tag_columns=tags)
        got = blocking.query("SELECT * FROM $m", params={"m": {"identifier": measurement}})
        assert isinstance(got, pl.DataFrame), got
        assert_same(got, server_view(df, tags))

    check()
