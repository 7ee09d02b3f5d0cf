"""DataFrames through the real server: influxd judges the DataFrame encoder and decoder.

Every dtype the encoder accepts (floats to the last bit, integers with gaps,
nullable dtypes, categoricals, object columns, unsigned integers), hostile tag and
string values, time zones, resolutions and precisions are written with the client
and read back twice: as DataFrames (``output='dataframe'``) and as the JSON shape
(MessagePack on the wire, so a float ``1.0`` stays a float). Then the shapes of
DataFrame answers, chunked DataFrames, a frame large enough to be split into several
requests, and a property test: each random frame is either refused by ``serialize``
before anything is sent, or read back exactly, cell by cell.

The tests marked ``xfail(strict=True)`` at the end pin bugs found here: DataFrame
answers that depend on the order MessagePack happens to give tags in, chunks that
concatenate to other dtypes than the whole answer, two rules of ``_dataframe``'s
docstring the encoder does not follow, and writes over 1 MiB that make aiohttp warn.
"""

from __future__ import annotations

import decimal
import enum
import itertools
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _tracing import write_tracer
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from influxkit import InfluxDBClient, LineProtocolError, serialize
from influxkit._encode.rules import SELECT_VARIABLES
from influxkit.testing import InfluxDBServer

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
T0 = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z


def times(*ns: int) -> pd.DatetimeIndex:
    """A naive (UTC) nanosecond index."""
    return pd.DatetimeIndex(np.array(ns, dtype="M8[ns]"))


def utc(*ns: int) -> pd.DatetimeIndex:
    return times(*ns).tz_localize("UTC")


async def frames(client: InfluxDBClient, query: str, **kwargs: Any) -> Any:
    """The answer to ``query`` as DataFrames."""
    client.output = "dataframe"
    try:
        return await client.query(query, **kwargs)
    finally:
        client.output = "json"


def json_columns(answer: dict[str, Any]) -> dict[str, list[Any]]:
    """The one series of a JSON answer, column by column (``time`` included)."""
    (series,) = answer["results"][0]["series"]
    return {name: [row[i] for row in series["values"]]
            for i, name in enumerate(series["columns"])}


def same(a: Any, b: Any) -> bool:
    """Equal, of the same type, and for floats of the same sign (-0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def cells(column: pd.Series) -> list[Any]:
    """A column as Python values, None where missing (NaN, None, pd.NA)."""
    return [None if value is None or value is pd.NA or (isinstance(value, float)
                                                         and math.isnan(value))
            else value for value in column.tolist()]


async def read_back(client: InfluxDBClient, measurement: str = "m"
                    ) -> tuple[pd.DataFrame, dict[str, list[Any]]]:
    """Every row of ``measurement``: as a DataFrame, and as JSON columns."""
    query = "SELECT * FROM $m"
    params = {"m": {"identifier": measurement}}
    frame = await frames(client, query, params=params)
    assert isinstance(frame, pd.DataFrame), frame
    return frame, json_columns(await client.query(query, params=params))


def assert_column(frame: pd.DataFrame, json: dict[str, list[Any]], name: str,
                  want: list[Any], dtype: Any) -> None:
    """Column ``name`` reads back as ``want`` (None: missing) in both outputs."""
    got = cells(frame[name])
    assert len(got) == len(want), (name, got, want)
    assert all(map(same, got, want)), (name, got, want)
    assert frame[name].dtype == dtype, (name, frame[name].dtype)
    assert len(json[name]) == len(want), (name, json[name], want)
    assert all(map(same, json[name], want)), (name, json[name], want)


async def assert_nothing_stored(client: InfluxDBClient) -> None:
    answer = await client.query("SHOW MEASUREMENTS")
    assert "series" not in answer["results"][0], f"something was sent: {answer}"


# -- value types -------------------------------------------------------------------------------


async def test_missing_cells_are_left_out_of_their_line(client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "f": [np.nan, 1.5, 2.5],
        "o": pd.Series([None, "x", np.nan], dtype=object),
        "i": pd.array([1, pd.NA, 3], dtype="Int64"),
        "b": pd.array([pd.NA, True, False], dtype="boolean"),
        "s": pd.array(["a", "b", pd.NA], dtype="string"),
    }).set_index(times(T0, T0 + 1, T0 + 2))
    body = serialize(df, "m")
    assert body == (
        b'm i=1i,s="a" 1257894000000000000\n'
        b'm f=1.5,o="x",b=true,s="b" 1257894000000000001\n'
        b"m f=2.5,i=3i,b=false 1257894000000000002"
    )
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert list(frame.index.asi8) == json["time"] == [T0, T0 + 1, T0 + 2]
    assert_column(frame, json, "f", [None, 1.5, 2.5], np.float64)
    assert_column(frame, json, "o", [None, "x", None], pd.StringDtype(na_value=np.nan))
    assert_column(frame, json, "i", [1, None, 3], pd.Int64Dtype())
    assert_column(frame, json, "b", [None, True, False], pd.BooleanDtype())
    assert_column(frame, json, "s", ["a", "b", None], pd.StringDtype(na_value=np.nan))


@pytest.mark.parametrize("dtype", ["Int64", "Int32", "int64[pyarrow]", "object"])
async def test_integer_column_with_gaps_stays_integer(client: InfluxDBClient,
                                                      dtype: str) -> None:
    if dtype == "Int32":
        values: list[Any] = [-(2**31), None, 2**31 - 1, 0, None, -1]
    else:
        values = [INT64_MIN, None, INT64_MAX, 2**53 + 1, None, -1]
    series = pd.Series(values, dtype=dtype, index=times(*range(T0, T0 + 6)))
    df = pd.DataFrame({"i": series, "f": 0.5})
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "i", values, pd.Int64Dtype())


async def test_integer_column_without_gaps_is_int64(client: InfluxDBClient) -> None:
    values = [INT64_MIN, INT64_MAX, 2**53 + 1, 0, -1]
    df = pd.DataFrame({"i": np.array(values, dtype=np.int64),
                       "i8": np.array([-128, 127, 0, 1, -1], dtype=np.int8)},
                      index=times(*range(T0, T0 + 5)))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "i", values, np.int64)
    assert_column(frame, json, "i8", [-128, 127, 0, 1, -1], np.int64)


FLOATS = [0.0, -0.0, 1.0, -1.0, 0.1, 1e16, 1e-05, 1.5e-300, 5e-324, -5e-324,
          2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
          123456789.123456789, 2.0**53 + 2, 1 / 3]


async def test_float64_bits_are_exact(client: InfluxDBClient) -> None:
    values = [*FLOATS, np.nan]
    df = pd.DataFrame({"f": values, "n": range(len(values))},
                      index=times(*range(T0, T0 + len(values))))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "f", [*FLOATS, None], np.float64)
    bits = frame["f"].to_numpy()[:-1].view(np.int64)
    assert bits.tolist() == np.array(FLOATS).view(np.int64).tolist()


async def test_float32_is_written_as_the_float64_it_widens_to(client: InfluxDBClient) -> None:
    values = np.array([0.1, 1.0, -0.0, 3.4028235e38, 1e-45, 16777217.0, np.nan],
                      dtype=np.float32)
    df = pd.DataFrame({"f": values, "g": pd.array([0.1, None, 2.5, 0, 0, 0, 0],
                                                  dtype="Float32")},
                      index=times(*range(T0, T0 + len(values))))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    widened = [None if math.isnan(v) else float(v) for v in values.tolist()]
    assert_column(frame, json, "f", widened, np.float64)
    assert_column(frame, json, "g", [float(np.float32(0.1)), None, 2.5, 0.0, 0.0, 0.0, 0.0],
                  np.float64)


async def test_booleans(client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "b": [True, False, True],
        "nb": pd.array([None, False, True], dtype="boolean"),
        "ob": pd.Series([False, None, True], dtype=object),
    }).set_index(times(T0, T0 + 1, T0 + 2))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "b", [True, False, True], np.bool_)
    assert_column(frame, json, "nb", [None, False, True], pd.BooleanDtype())
    assert_column(frame, json, "ob", [False, None, True], pd.BooleanDtype())


async def test_categorical_columns_are_written_as_their_categories_type(
        client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "s": pd.Categorical(["a b", None, 'q"\\', "a b"]),
        "i": pd.Categorical([INT64_MAX, 7, None, 7]),
        "f": pd.Categorical([0.5, 0.1, -0.0, None]),
        "unused": pd.Categorical([None] * 4, categories=["never"]),
    }, index=times(*range(T0, T0 + 4)))
    assert serialize(df, "m").split(b"\n")[0] == (
        b'm s="a b",i=9223372036854775807i,f=0.5 1257894000000000000')
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert "unused" not in frame.columns
    assert_column(frame, json, "s", ["a b", None, 'q"\\', "a b"],
                  pd.StringDtype(na_value=np.nan))
    assert_column(frame, json, "i", [INT64_MAX, 7, None, 7], pd.Int64Dtype())
    assert_column(frame, json, "f", [0.5, 0.1, -0.0, None], np.float64)


class Color(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    SMALL = 1


async def test_object_columns(client: InfluxDBClient) -> None:
    def objects(*values: Any) -> pd.Series:
        return pd.Series(values, dtype=object, index=times(*range(T0, T0 + len(values))))

    df = pd.DataFrame({
        "str": objects("x", None, "", "日本"),
        "int": objects(INT64_MAX, None, INT64_MIN, 0),
        "big": objects(2**53 + 1, np.nan, np.int64(-(2**53) - 1), np.uint64(2**62 + 1)),
        "float": objects(1.0, 2.5, None, np.float32(0.1)),
        "dec": objects(decimal.Decimal("2.5"), None, decimal.Decimal("0.1"),
                       decimal.Decimal("-123.456")),
        "bool": objects(True, None, np.bool_(False), pd.NA),
        "enum": objects(Color.RED, "x", Size.SMALL, None),
    })
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "str", ["x", None, "", "日本"], pd.StringDtype(na_value=np.nan))
    assert_column(frame, json, "int", [INT64_MAX, None, INT64_MIN, 0], pd.Int64Dtype())
    # No integer is rounded on its way: beyond 2**53 too.
    assert_column(frame, json, "big", [2**53 + 1, None, -(2**53) - 1, 2**62 + 1],
                  pd.Int64Dtype())
    assert_column(frame, json, "float", [1.0, 2.5, None, float(np.float32(0.1))], np.float64)
    assert_column(frame, json, "dec", [2.5, None, 0.1, -123.456], np.float64)
    assert_column(frame, json, "bool", [True, None, False, None], pd.BooleanDtype())
    # Enum members are strings, by name, as in a dict point.
    assert_column(frame, json, "enum", ["RED", "x", "SMALL", None],
                  pd.StringDtype(na_value=np.nan))


@pytest.mark.parametrize(("values", "row"), [
    ([1, "a", 2.5], 1),
    ([True, 1, 0], 1),
    ([2**53 + 1, 0.5, None], 1),
    ([0.5, None, 2**60], 2),
    ([b"x", b"y", None], 0),
    (["x", Color.RED, 3], 2),
    ([decimal.Decimal(2**53 + 1), 0.5, None], 0),
], ids=repr)
async def test_object_columns_of_mixed_types_send_nothing(client: InfluxDBClient,
                                                          values: list[Any], row: int) -> None:
    # Once stored as the strings of their reprs, or as rounded floats.
    df = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "o": np.array(values, dtype=object)},
                      index=times(T0, T0 + 1, T0 + 2))
    with pytest.raises(LineProtocolError, match="'o'") as info:
        await client.write(df, measurement="m")
    assert (info.value.index, info.value.field) == (row, "o")
    assert info.value.value is values[row]
    await assert_nothing_stored(client)


async def test_unsigned_integers(client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "u8": np.array([0, 255], dtype=np.uint8),
        "u32": np.array([0, 2**32 - 1], dtype=np.uint32),
        "u64": np.array([0, INT64_MAX], dtype=np.uint64),
        "nu": pd.array([None, INT64_MAX], dtype="UInt64"),
    }, index=times(T0, T0 + 1))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "u8", [0, 255], np.int64)
    assert_column(frame, json, "u32", [0, 2**32 - 1], np.int64)
    assert_column(frame, json, "u64", [0, INT64_MAX], np.int64)
    assert_column(frame, json, "nu", [None, INT64_MAX], pd.Int64Dtype())


async def test_unsigned_integer_beyond_int64_sends_nothing(client: InfluxDBClient) -> None:
    df = pd.DataFrame({"u": np.array([1, 2, 2**63], dtype=np.uint64)},
                      index=times(T0, T0 + 1, T0 + 2))
    with pytest.raises(LineProtocolError, match="outside the 64-bit") as info:
        await client.write(df, measurement="m")
    assert (info.value.index, info.value.field, info.value.value) == (2, "u", 2**63)
    await assert_nothing_stored(client)


async def test_rows_are_written_in_order(client: InfluxDBClient) -> None:
    # The server keeps the last of two writes of the same point: only row order tells
    # which one that is. An unsorted index comes back sorted by time.
    df = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0, 5.0],
                       "g": pd.array([10, None, None, None, 30], dtype="Int64")},
                      index=times(T0 + 5, T0, T0 + 5, T0 - 1, T0))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert json["time"] == [T0 - 1, T0, T0 + 5]
    assert_column(frame, json, "f", [4.0, 5.0, 3.0], np.float64)
    # A field missing from a later line keeps the earlier line's value.
    assert_column(frame, json, "g", [None, 30, 10], pd.Int64Dtype())


@pytest.mark.parametrize("rows", [4, 250_000])
async def test_row_without_fields_is_refused_before_anything_is_sent(
        client: InfluxDBClient, rows: int) -> None:
    f = np.arange(rows, dtype=np.float64)
    f[rows - 2] = np.nan
    s = np.full(rows, "x", dtype=object)
    s[rows - 2] = None
    index = pd.date_range("2020-01-01", periods=rows, freq="s", tz="Europe/Paris")
    df = pd.DataFrame({"f": f, "s": s, "t": "tag"}, index=index)
    client.max_request_bytes = 100_000  # a frame this large takes many requests
    with pytest.raises(LineProtocolError, match="no fields") as info:
        await client.write(df, measurement="m", tag_columns=["t"])
    error = info.value
    assert error.index == rows - 2
    assert error.point == index[rows - 2]
    assert str(error).startswith(f"point {rows - 2} Timestamp(")
    await assert_nothing_stored(client)


# -- tags and strings --------------------------------------------------------------------------

HOSTILE_TAGS = [
    "a b", "a,b", "a=b", 'say "hi"', "'", "a\tb", "\tlead", "trail\t", " ", "  x  ",
    "a\\b", "\\a", "a\\\\b", "日本語", "😀 emoji", "é,=ü", "\u2028", "#x", "a\rb",
    'a=b,c d"e', "NaN", "None", "<NA>",
]


@pytest.mark.parametrize("value", HOSTILE_TAGS, ids=repr)
async def test_hostile_tag_values(client: InfluxDBClient, value: str) -> None:
    df = pd.DataFrame({"t": [value, "plain"], "f": [1, 2]}, index=times(T0, T0 + 1))
    await client.write(df, measurement="m", tag_columns=["t"])
    frame, json = await read_back(client)
    assert_column(frame, json, "t", [value, "plain"], pd.StringDtype(na_value=np.nan))
    assert_column(frame, json, "f", [1, 2], np.int64)
    answer = await client.show_tag_values("t", measurement="m")
    assert sorted(row[1] for row in answer["results"][0]["series"][0]["values"]) == sorted(
        [value, "plain"])


@pytest.mark.parametrize("name", ["a b", "a,b", "a=b", 'a"b', "a\\b", "日本", "t\tx"], ids=repr)
async def test_hostile_column_names_as_tag_keys_and_field_keys(
        client: InfluxDBClient, name: str) -> None:
    df = pd.DataFrame({name: ["v", "w"], "field " + name: [1.5, 2.5], name + "=": ["x", "y"]},
                      index=times(T0, T0 + 1))
    await client.write(df, measurement="m " + name, tag_columns=[name])
    frame, json = await read_back(client, "m " + name)
    assert_column(frame, json, name, ["v", "w"], pd.StringDtype(na_value=np.nan))
    assert_column(frame, json, "field " + name, [1.5, 2.5], np.float64)
    assert_column(frame, json, name + "=", ["x", "y"], pd.StringDtype(na_value=np.nan))


@pytest.mark.parametrize("value", [
    "\\a\\", "\\", "\\\\", '"', '\\"', '"\\', "a\nb", "\n", "\r\n", "\t", "=, ", "",
    "trailing\\", "日本語 😀", "None", "nan", 'x="y" 1', "a\\nb",
], ids=repr)
async def test_string_fields(client: InfluxDBClient, value: str) -> None:
    df = pd.DataFrame({
        "object": pd.Series([value, "x"], dtype=object),
        "string": pd.Series([value, "x"], dtype="string"),
        "arrow": pd.Series([value, "x"], dtype="string[pyarrow]"),
    }).set_index(times(T0, T0 + 1))
    # Two lines: a newline or quote in the first must not swallow the second.
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    for name in df.columns:
        assert_column(frame, json, name, [value, "x"], pd.StringDtype(na_value=np.nan))


@pytest.mark.parametrize("value", ["a\nb", "trailing\\", "a\\ b", "a\\,b", "a\\=b", 'a\\"b'],
                         ids=repr)
async def test_tag_values_line_protocol_cannot_carry_are_refused(
        client: InfluxDBClient, value: str) -> None:
    df = pd.DataFrame({"t": ["ok", value], "f": [1, 2]}, index=times(T0, T0 + 1))
    with pytest.raises(LineProtocolError) as info:
        await client.write(df, measurement="m", tag_columns=["t"])
    assert (info.value.index, info.value.field, info.value.value) == (1, "t", value)
    await assert_nothing_stored(client)


async def test_tag_columns_with_missing_values(client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "host": pd.Series(["a", None, "", np.nan, "e"], dtype=object),
        "rack": pd.array(["r1", pd.NA, "r3", pd.NA, ""], dtype="string"),
        "num": [1.0, np.nan, -0.0, 2.5, np.nan],
        "cat": pd.Categorical(["x", "y", None, "x", None]),
        "f": [1, 2, 3, 4, 5],
    }).set_index(times(*range(T0, T0 + 5)))
    tag_columns = ["host", "rack", "num", "cat"]
    # A missing tag (None, NaN, pd.NA or "") is left out of its line.
    assert serialize(df, "m", tag_columns=tag_columns).split(b"\n") == [
        b"m,cat=x,host=a,num=1.0,rack=r1 f=1i 1257894000000000000",
        b"m,cat=y f=2i 1257894000000000001",
        b"m,num=-0.0,rack=r3 f=3i 1257894000000000002",
        b"m,cat=x,num=2.5 f=4i 1257894000000000003",
        b"m,host=e f=5i 1257894000000000004",
    ]
    await client.write(df, measurement="m", tag_columns=tag_columns)
    frame, json = await read_back(client)
    text = pd.StringDtype(na_value=np.nan)
    assert_column(frame, json, "host", ["a", None, None, None, "e"], text)
    assert_column(frame, json, "rack", ["r1", None, "r3", None, None], text)
    assert_column(frame, json, "num", ["1.0", None, "-0.0", "2.5", None], text)
    assert_column(frame, json, "cat", ["x", "y", None, "x", None], text)
    assert_column(frame, json, "f", [1, 2, 3, 4, 5], np.int64)
    answer = await client.query("SHOW SERIES")
    assert [row[0] for row in answer["results"][0]["series"][0]["values"]] == [
        "m,cat=x,host=a,num=1.0,rack=r1", "m,cat=x,num=2.5", "m,cat=y", "m,host=e",
        "m,num=-0.0,rack=r3"]


async def test_extra_tags_fill_the_missing_cells_of_a_tag_column(
        client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "host": pd.Series(["a", None, np.nan, "d"], dtype=object),
        "rack": pd.array([pd.NA, "r2", pd.NA, "r4"], dtype="string"),
        "f": [1.5, 2.5, 3.5, 4.5],
    }).set_index(times(*range(T0, T0 + 4)))
    extra = {"host": "fall back", "region": "eu,west", "rack": "r0"}
    assert serialize(df, "m", tag_columns=["host", "rack"], **extra).split(b"\n") == [
        b"m,host=a,rack=r0,region=eu\\,west f=1.5 1257894000000000000",
        b"m,host=fall\\ back,rack=r2,region=eu\\,west f=2.5 1257894000000000001",
        b"m,host=fall\\ back,rack=r0,region=eu\\,west f=3.5 1257894000000000002",
        b"m,host=d,rack=r4,region=eu\\,west f=4.5 1257894000000000003",
    ]
    await client.write(df, measurement="m", tag_columns=["host", "rack"], **extra)
    frame, json = await read_back(client)
    text = pd.StringDtype(na_value=np.nan)
    assert_column(frame, json, "host", ["a", "fall back", "fall back", "d"], text)
    assert_column(frame, json, "rack", ["r0", "r2", "r0", "r4"], text)
    assert_column(frame, json, "region", ["eu,west"] * 4, text)
    assert_column(frame, json, "f", [1.5, 2.5, 3.5, 4.5], np.float64)


async def test_tag_columns_of_other_dtypes_are_written_as_text(client: InfluxDBClient) -> None:
    df = pd.DataFrame({
        "i": [1, -2],
        "ni": pd.array([None, INT64_MAX], dtype="Int64"),
        "b": [True, False],
        "f": [0.5, 1.5],
    }, index=times(T0, T0 + 1))
    df["x"] = [0.1, 1e16]
    await client.write(df, measurement="m", tag_columns=["i", "ni", "b", "x"])
    frame, json = await read_back(client)
    text = pd.StringDtype(na_value=np.nan)
    assert_column(frame, json, "i", ["1", "-2"], text)
    assert_column(frame, json, "ni", [None, str(INT64_MAX)], text)
    assert_column(frame, json, "b", ["True", "False"], text)
    assert_column(frame, json, "x", ["0.1", "1e+16"], text)


# -- times ---------------------------------------------------------------------------------


def expected_ns(index: pd.DatetimeIndex) -> list[int]:
    """The nanoseconds since the epoch that ``index`` means (naive is UTC)."""
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns").asi8.tolist()


@pytest.mark.parametrize(("zone", "start"), [
    ("Europe/Paris", "2021-03-28 00:30"),  # spring forward: 02:00 -> 03:00
    ("Europe/Paris", "2021-10-31 00:30"),  # fall back: 02:00-03:00 happens twice
    ("America/New_York", "2021-11-07 00:30"),
    ("Australia/Sydney", "2021-04-04 01:30"),
    ("Asia/Kathmandu", "2021-01-01 00:00"),  # +05:45
    ("Etc/GMT+12", "1969-12-31 11:00"),  # before the epoch
])
async def test_tz_aware_index_across_dst(client: InfluxDBClient, zone: str, start: str) -> None:
    index = (pd.date_range(pd.Timestamp(start, tz=zone).tz_convert("UTC"), periods=16,
                           freq="15min") + pd.Timedelta(123_456_789, "ns")).tz_convert(zone)
    df = pd.DataFrame({"n": np.arange(16)}, index=index)
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert json["time"] == expected_ns(index)
    assert frame.index.equals(index.tz_convert("UTC"))
    assert str(frame.index.dtype) == "datetime64[ns, UTC]"
    assert_column(frame, json, "n", list(range(16)), np.int64)


async def test_naive_index_is_utc(client: InfluxDBClient) -> None:
    index = pd.DatetimeIndex(["2009-11-10 23:00:00", "2009-11-10 23:00:00.000000001",
                              "1969-12-31 23:59:59.999999999", "1677-09-21 00:12:43.145224194",
                              "2262-04-11 23:47:16.854775806"]).as_unit("ns")
    df = pd.DataFrame({"n": range(5)}, index=index)
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert json["time"] == sorted([T0, T0 + 1, -1, -9_223_372_036_854_775_806,
                                   9_223_372_036_854_775_806])
    assert frame.index.equals(index.sort_values().tz_localize("UTC"))


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York"])
async def test_every_resolution_is_nanosecond_exact(client: InfluxDBClient, unit: str,
                                                    zone: str | None) -> None:
    step = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    ns = [T0 + 1 * step, T0 - 86_400 * 10**9 + 7 * step, -3 * step, 1_600_000_000 * 10**9]
    index = pd.DatetimeIndex(np.array(ns, dtype="M8[ns]")).as_unit(unit)
    if zone is not None:
        index = index.tz_localize("UTC").tz_convert(zone)
    assert index.unit == unit
    df = pd.DataFrame({"n": range(4)}, index=index)
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert json["time"] == sorted(ns)
    assert frame.index.asi8.tolist() == sorted(ns)
    assert_column(frame, json, "n", [2, 1, 0, 3], np.int64)


async def test_second_resolution_beyond_the_nanosecond_range_is_refused(
        client: InfluxDBClient) -> None:
    index = pd.DatetimeIndex(["2000-01-01", "2300-01-01"]).as_unit("s")
    with pytest.raises(LineProtocolError, match="outside the range") as info:
        await client.write(pd.DataFrame({"n": [1, 2]}, index=index), measurement="m")
    assert info.value.index == 1
    await assert_nothing_stored(client)


@pytest.mark.parametrize(("precision", "unit_ns"), [
    ("s", 10**9), ("ms", 10**6), ("u", 10**3), ("us", 10**3), ("µ", 10**3), ("ns", 1),
    ("m", 60 * 10**9), ("h", 3600 * 10**9),
])
async def test_precision_writes_are_exact(client: InfluxDBClient, precision: str,
                                          unit_ns: int) -> None:
    ns = [T0, T0 + 7 * unit_ns, T0 - 1000 * unit_ns]
    index = times(*ns).tz_localize("UTC").tz_convert("Europe/Paris")
    df = pd.DataFrame({"n": range(3)}, index=index)
    body = serialize(df, "m", precision=precision)
    assert [int(line.rsplit(b" ", 1)[1]) for line in body.split(b"\n")] == [
        n // unit_ns for n in ns]
    await client.write(df, measurement="m", precision=precision)
    frame, json = await read_back(client)
    assert json["time"] == sorted(ns)
    assert frame.index.asi8.tolist() == sorted(ns)


@pytest.mark.parametrize(("precision", "late"), [
    ("s", pd.Timedelta(1, "ms")), ("ms", pd.Timedelta(1, "us")), ("u", pd.Timedelta(1, "ns")),
    ("s", pd.Timedelta(999_999_999, "ns")), ("h", pd.Timedelta(1, "min")),
])
async def test_time_not_whole_in_the_precision_sends_nothing(
        client: InfluxDBClient, precision: str, late: pd.Timedelta) -> None:
    index = pd.date_range("2020-01-01", periods=5, freq="h", unit="ns")
    index = index.insert(3, index[3] + late)
    df = pd.DataFrame({"n": range(6)}, index=index)
    with pytest.raises(LineProtocolError, match="not a whole number") as info:
        await client.write(df, measurement="m", precision=precision)
    assert info.value.index == 3
    await assert_nothing_stored(client)


# -- floats that look like integers ------------------------------------------------------------


async def test_float_one_comes_back_as_a_float(client: InfluxDBClient) -> None:
    df = pd.DataFrame({"f": [1.0, 2.0, -0.0], "i": [1, 2, 0]}, index=times(T0, T0 + 1, T0 + 2))
    # pyarrow writes 1.0 as "1", polars (when installed) as "1.0": both are floats.
    assert serialize(df, "m").split(b"\n")[0] in (b"m f=1,i=1i 1257894000000000000",
                                                 b"m f=1.0,i=1i 1257894000000000000")
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "f", [1.0, 2.0, -0.0], np.float64)
    assert_column(frame, json, "i", [1, 2, 0], np.int64)
    answer = await client.query("SELECT f, i FROM m LIMIT 1")
    assert answer["results"][0]["series"][0]["values"] == [[T0, 1.0, 1]]
    assert [type(v) for v in answer["results"][0]["series"][0]["values"][0]] == [int, float, int]


# -- the shapes of DataFrame answers -----------------------------------------------------------


@pytest.fixture
async def two_hosts(client: InfluxDBClient) -> InfluxDBClient:
    df = pd.DataFrame({"host": ["a", "b", "a", "b"], "load": [0.5, 1.0, 1.5, 2.0],
                       "n": [1, 2, 3, 4]}, index=times(T0, T0 + 1, T0 + 2, T0 + 3))
    await client.write(df, measurement="cpu", tag_columns=["host"], region="eu")
    await client.write(pd.DataFrame({"v": [7]}, index=times(T0)), measurement="mem")
    return client


async def test_one_series_is_a_frame_with_a_utc_index(two_hosts: InfluxDBClient) -> None:
    frame = await frames(two_hosts, "SELECT load, n FROM cpu WHERE host = 'a'")
    assert isinstance(frame, pd.DataFrame)
    pd.testing.assert_frame_equal(
        frame, pd.DataFrame({"load": [0.5, 1.5], "n": [1, 3]}, index=utc(T0, T0 + 2)))
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"


async def test_group_by_tag_is_a_dict_keyed_by_series(two_hosts: InfluxDBClient) -> None:
    answer = await frames(two_hosts, "SELECT load FROM cpu GROUP BY host")
    assert isinstance(answer, dict)
    assert list(answer) == ["cpu,host=a", "cpu,host=b"]
    pd.testing.assert_frame_equal(answer["cpu,host=a"], pd.DataFrame(
        {"load": [0.5, 1.5], "host": ["a", "a"]}, index=utc(T0, T0 + 2)))
    pd.testing.assert_frame_equal(answer["cpu,host=b"], pd.DataFrame(
        {"load": [1.0, 2.0], "host": ["b", "b"]}, index=utc(T0 + 1, T0 + 3)))


async def test_several_statements_are_a_list(two_hosts: InfluxDBClient) -> None:
    answer = await frames(two_hosts, "SELECT load FROM cpu GROUP BY host; SELECT v FROM mem; "
                                     "SELECT * FROM nothing; SHOW MEASUREMENTS")
    assert isinstance(answer, list)
    assert [list(statement) for statement in answer] == [
        ["cpu,host=a", "cpu,host=b"], ["mem"], [], ["measurements"]]
    pd.testing.assert_frame_equal(answer[1]["mem"], pd.DataFrame({"v": [7]}, index=utc(T0)))
    pd.testing.assert_frame_equal(answer[3]["measurements"],
                                  pd.DataFrame({"name": ["cpu", "mem"]}))


async def test_show_measurements_has_a_range_index(two_hosts: InfluxDBClient) -> None:
    frame = await frames(two_hosts, "SHOW MEASUREMENTS")
    pd.testing.assert_frame_equal(frame, pd.DataFrame({"name": ["cpu", "mem"]}))
    assert isinstance(frame.index, pd.RangeIndex)
    keys = await frames(two_hosts, "SHOW TAG KEYS")  # one series, "cpu": a DataFrame
    pd.testing.assert_frame_equal(keys, pd.DataFrame({"tagKey": ["host", "region"]}))


async def test_empty_result_is_an_empty_dict(two_hosts: InfluxDBClient) -> None:
    assert await frames(two_hosts, "SELECT * FROM nothing") == {}
    assert await frames(two_hosts, "SELECT * FROM cpu WHERE host = 'z'") == {}


async def test_rfc3339_times_give_the_same_frame(two_hosts: InfluxDBClient) -> None:
    query = "SELECT * FROM cpu"
    pd.testing.assert_frame_equal(await frames(two_hosts, query, epoch=None),
                                  await frames(two_hosts, query))


# -- chunked DataFrames --------------------------------------------------------------------------


async def test_chunks_concatenate_to_the_whole_answer(client: InfluxDBClient) -> None:
    rows = 1000
    df = pd.DataFrame({
        "f": np.linspace(-1, 1, rows),
        "i": np.arange(rows, dtype=np.int64) * (2**53 + 1),
        "b": np.arange(rows) % 3 == 0,
        "s": [f"s{i % 7} \"q\"" for i in range(rows)],
        "host": [f"h {i % 3}" for i in range(rows)],
    }, index=pd.date_range("2020-01-01", periods=rows, freq="1ms", tz="Asia/Tokyo"))
    await client.write(df, measurement="m", tag_columns=["host"])
    query = "SELECT * FROM m"
    whole = await frames(client, query)
    client.output = "dataframe"
    chunks = await client.query(query, chunked=True, chunk_size=64)
    client.output = "json"
    pieces = [chunk async for chunk in chunks]
    assert len(pieces) == -(-rows // 64)
    assert all(isinstance(piece, pd.DataFrame) for piece in pieces)
    pd.testing.assert_frame_equal(pd.concat(pieces), whole)
    expected = df.tz_convert("UTC").set_axis(df.index.as_unit("ns").tz_convert("UTC"))
    pd.testing.assert_frame_equal(whole.sort_index(axis=1),
                                  expected.sort_index(axis=1).astype({"s": "str", "host": "str"}),
                                  check_freq=False)


# -- a large frame -------------------------------------------------------------------------------


# aiohttp warns about bodies over 1 MiB: pinned by test_large_write_does_not_warn.
async def test_large_frame_is_split_into_several_requests(influxdb_server: InfluxDBServer,
                                                          database: str) -> None:
    rows = 300_000
    trace, posts = write_tracer()
    rng = np.random.default_rng(20240101)
    ns = 1_600_000_000 * 10**9 + np.arange(rows, dtype=np.int64) * 1_000_003
    ns[-1] = ns[0]  # the last row rewrites the first: the requests keep the rows' order
    hosts = np.array(["a", "b,c", "d e"], dtype=object)[np.arange(rows) % 3]
    hosts[-1] = hosts[0]
    df = pd.DataFrame({
        "i": rng.integers(-(2**40), 2**40, rows),
        "f": rng.random(rows),
        "b": rng.random(rows) < 0.5,
        "s": np.array(["x", "y z", 'q"\\'], dtype=object)[np.arange(rows) % 3],
        "host": hosts,
    }, index=pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC"))
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, trace_configs=[trace]) as client:
        client.max_request_bytes = 2_000_000
        await client.write(df, measurement="big", tag_columns=["host"])
        assert len(posts) > 3, [len(post) for post in posts]
        assert max(len(post) for post in posts) <= 2_000_000
        # Each row's line once, in order, cut at line ends into the requests. (A float's
        # text depends on who formats it, pyarrow or polars: times are compared.)
        lines = b"\n".join(posts).split(b"\n")
        assert [int(line.rsplit(b" ", 1)[1]) for line in lines] == ns.tolist()
        answer = await client.query("SELECT count(i), sum(i) FROM big")
        kept = df.iloc[1:]  # row 0 and the last row share their series and time
        assert answer["results"][0]["series"][0]["values"] == [
            [0, rows - 1, int(kept["i"].sum())]]
        whole = await frames(client, "SELECT * FROM big")
    # Times are unique: the answer is in time order, the last row first.
    expected = pd.concat([kept.iloc[-1:], kept.iloc[:-1]])
    assert whole.index.asi8.tolist() == expected.index.asi8.tolist()
    assert sorted(whole.columns) == sorted(expected.columns)
    for name in expected.columns:
        assert whole[name].dtype == {"i": np.int64, "f": np.float64, "b": np.bool_}.get(
            name, pd.StringDtype(na_value=np.nan)), name
        assert np.array_equal(whole[name].to_numpy(dtype=object),
                              expected[name].to_numpy(dtype=object)), name



@pytest.mark.parametrize("concurrency", [1, 3])
async def test_batch_size_is_the_lines_of_each_request(
        influxdb_server: InfluxDBServer, database: str, concurrency: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Small encoding blocks (300 rows, so 256 of them: two batches each), to have a
    # frame's batches cut from several blocks.
    monkeypatch.setattr("influxkit._encode.pandas._MAX_BLOCK_ROWS", 300)
    rows, batch = 1_000, 128
    trace, bodies = write_tracer()
    df = pd.DataFrame({
        "i": np.arange(rows, dtype=np.int64) * (2**40 + 1),
        "f": np.where(np.arange(rows) % 7 == 0, np.nan, np.linspace(0, 1, rows)),
        "host": np.array(["a", "b c", "d,e"], dtype=object)[np.arange(rows) % 3],
    }, index=pd.DatetimeIndex((T0 + np.arange(rows) * 1_000_003).view("M8[ns]"), tz="UTC"))
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, trace_configs=[trace]) as client:
        await client.write(df, measurement="m", tag_columns=["host"], batch_size=batch,
                           concurrency=concurrency)
        sizes = sorted((bytes(body).count(b"\n") + 1 for body in bodies), reverse=True)
        assert sizes == [batch] * (rows // batch) + [rows % batch]
        # The requests hold serialize()'s lines, each once.
        lines = sorted(line for body in bodies for line in bytes(body).split(b"\n"))
        assert lines == sorted(serialize(df, "m", tag_columns=["host"]).split(b"\n"))
        answer = await client.query("SELECT count(i), sum(i), count(f) FROM m")
    assert answer["results"][0]["series"][0]["values"] == [
        [0, rows, int(df["i"].sum()), int(df["f"].notna().sum())]]


# -- the property: refused before sending, or read back exactly ---------------------------

# Text that is hostile but that line protocol can carry everywhere: no newline, and no
# backslash at the end or before a comma, space, equals sign or double quote.
HOSTILE = [*" ,=\"'\\\t\r", "é", "日", "😀", "\u2028", "a", "Z", "0", "#"]
text = st.text(st.sampled_from(HOSTILE) | st.characters(codec="utf-8", exclude_characters="\n"),
               max_size=8)
carriable = text.filter(lambda s: not re.search(r'\\([, ="]|$)', s))
# Not the field keys InfluxQL reads as its own variables: refused for a reason of their own.
column_names = carriable.filter(lambda s: s != "" and s != "time" and s[0] not in "\t\x00"
                                and s not in SELECT_VARIABLES)
field_text = st.text(st.sampled_from([*HOSTILE, "\n"]) | st.characters(codec="utf-8"),
                     max_size=8)

KINDS = ["float", "int", "Int64", "bool", "str", "string", "tag", "tag", "objects"]
# Object columns of Python values of one type (and None): read back exactly, integers
# beyond 2**53 too.
OBJECTS = {
    "int": st.integers(INT64_MIN, INT64_MAX) | st.sampled_from([2**53 + 1, -(2**53) - 1]),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.booleans(),
    "str": field_text,
}


@st.composite
def random_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """A frame, its tag columns, and the type of the values of its object field columns."""
    rows = draw(st.integers(1, 6))
    names = draw(st.lists(column_names, min_size=1, max_size=5, unique=True))
    columns: dict[str, Any] = {}
    tags: list[str] = []
    objects: dict[str, str] = {}
    for name in names:
        kind = draw(st.sampled_from(KINDS))
        if kind == "float":
            values: Any = draw(st.lists(
                st.floats(allow_infinity=False) | st.sampled_from([-0.0, 5e-324, 1.0]),
                min_size=rows, max_size=rows))
            column = pd.Series(values, dtype=np.float64)
        elif kind == "int":
            values = draw(st.lists(st.integers(INT64_MIN, INT64_MAX), min_size=rows,
                                   max_size=rows))
            column = pd.Series(values, dtype=np.int64)
        elif kind == "Int64":
            values = draw(st.lists(st.none() | st.integers(INT64_MIN, INT64_MAX),
                                   min_size=rows, max_size=rows))
            column = pd.Series(values, dtype="Int64")
        elif kind == "bool":
            values = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
            column = pd.Series(values, dtype=np.bool_)
        elif kind in ("str", "string"):
            values = draw(st.lists(st.none() | field_text, min_size=rows, max_size=rows))
            column = pd.Series(values, dtype=object if kind == "str" else "string")
        elif kind == "objects":
            objects[name] = draw(st.sampled_from(list(OBJECTS)))
            values = draw(st.lists(st.none() | OBJECTS[objects[name]], min_size=rows,
                                   max_size=rows))
            column = pd.Series(values, dtype=object)
        else:
            values = draw(st.lists(st.none() | carriable, min_size=rows, max_size=rows))
            column = pd.Series(values, dtype=object)
            tags.append(name)
        columns[name] = column
    ns = draw(st.lists(st.integers(0, 7 * 86_400 * 10**9), min_size=rows, max_size=rows,
                       unique=True))
    index = pd.DatetimeIndex(np.array(ns, dtype=np.int64).view("M8[ns]") + np.timedelta64(
        1_577_836_800 * 10**9, "ns"))
    zone = draw(st.sampled_from([None, "UTC", "Europe/Paris", "Pacific/Chatham"]))
    if zone is not None:
        index = index.tz_localize("UTC").tz_convert(zone)
    df = pd.DataFrame(columns)
    df.index = index
    return df, tags, objects


def test_random_frames_round_trip_or_are_refused(blocking: InfluxDBClient) -> None:
    examples = itertools.count()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_frames())
    def check(drawn: tuple[pd.DataFrame, list[str], dict[str, str]]) -> None:
        df, tags, objects = drawn
        measurement = f"m{next(examples)}"
        note(f"df = {df.to_dict('list')!r}, dtypes = {df.dtypes.to_dict()!r}, tags = {tags!r}")
        fields = df.drop(columns=tags)
        empty = fields.isna().all(axis=1).to_numpy() if len(fields.columns) else np.ones(
            len(df), dtype=bool)
        refused: LineProtocolError | None = None
        try:
            body = serialize(df, measurement, tag_columns=tags)
        except LineProtocolError as exc:
            refused = exc
        event("refused" if refused is not None else "written")
        if refused is not None:
            # The only rule these frames can break: a row left without fields.
            assert empty.any(), f"refused without reason: {refused}"
            assert refused.index == int(np.argmax(empty)), refused
            assert refused.field == "fields", f"refused for another reason: {refused}"
            with pytest.raises(LineProtocolError):
                blocking.write(df, measurement=measurement, tag_columns=tags)
            answer = blocking.query("SELECT * FROM $m", params={
                "m": {"identifier": measurement}})
            assert "series" not in answer["results"][0], "something was sent"
            return
        note(f"body = {body!r}")
        assert not empty.any(), "accepted a row without fields"
        blocking.write(df, measurement=measurement, tag_columns=tags)
        blocking.output = "dataframe"
        try:
            got = blocking.query("SELECT * FROM $m", params={"m": {"identifier": measurement}})
        finally:
            blocking.output = "json"
        assert isinstance(got, pd.DataFrame), got
        want = df.tz_convert("UTC") if df.index.tz is not None else df.tz_localize("UTC")
        want = want.sort_index()
        assert got.index.equals(want.index), (got.index, want.index)
        written = {name for name in want.columns if want[name].notna().any()
                   and not (name in tags and (want[name].fillna("") == "").all())}
        assert set(got.columns) == written, (list(got.columns), written)
        for name in written:
            values = cells(want[name])
            if name in tags:
                values = [None if value == "" else value for value in values]
            back = cells(got[name])
            assert all(map(same, back, values)), (name, back, values)
            written_as = want[name].dtype
            gaps = want[name].isna().any()
            if name in tags:
                dtype: Any = pd.StringDtype(na_value=np.nan)
            elif objects.get(name) == "int":
                dtype = pd.Int64Dtype() if gaps else np.dtype(np.int64)
            elif objects.get(name) == "float":
                dtype = np.dtype(np.float64)
            elif objects.get(name) == "bool":
                dtype = pd.BooleanDtype() if gaps else np.dtype(np.bool_)
            elif pd.api.types.is_bool_dtype(written_as):
                dtype = np.dtype(np.bool_)
            elif pd.api.types.is_integer_dtype(written_as):
                dtype = pd.Int64Dtype() if want[name].isna().any() else np.dtype(np.int64)
            elif pd.api.types.is_float_dtype(written_as):
                dtype = np.dtype(np.float64)
            else:
                dtype = pd.StringDtype(na_value=np.nan)
            assert got[name].dtype == dtype, (name, got[name].dtype, dtype)

    check()


# -- known bugs: the decoder, the docstrings' promises, aiohttp's warning -------------------


async def test_series_keys_do_not_depend_on_the_answer(client: InfluxDBClient) -> None:
    df = pd.DataFrame({"f": [1, 2]}, index=times(T0, T0 + 1))
    df["a"] = ["1", "2"]
    await client.write(df, measurement="m", tag_columns=["a"], b="2", c="3", d="4", e="5")
    seen = set()
    for _ in range(20):
        answer = await frames(client, "SELECT f FROM m GROUP BY *")
        seen.add(tuple((key, tuple(frame.columns)) for key, frame in answer.items()))
    assert seen == {(("m,a=1,b=2,c=3,d=4,e=5", ("f", "a", "b", "c", "d", "e")),
                     ("m,a=2,b=2,c=3,d=4,e=5", ("f", "a", "b", "c", "d", "e")))}


@pytest.mark.xfail(strict=True, reason=(
    "a chunk in which a column has no value decodes it as float64 NaN: concatenated, "
    "integers become floats (2**53 + 1 loses its last bit) and booleans 1.0/0.0, where "
    "the whole answer has Int64 and boolean"))
async def test_chunks_with_an_empty_column_concatenate_to_the_whole_answer(
        client: InfluxDBClient) -> None:
    df = pd.DataFrame({"f": [0.5] * 4,
                       "i": pd.array([None, None, 2**53 + 1, 1], dtype="Int64"),
                       "b": pd.array([None, None, True, False], dtype="boolean")},
                      index=times(T0, T0 + 1, T0 + 2, T0 + 3))
    await client.write(df, measurement="m")
    whole = await frames(client, "SELECT * FROM m")
    assert whole["i"].dtype == pd.Int64Dtype()
    client.output = "dataframe"
    chunks = await client.query("SELECT * FROM m", chunked=True, chunk_size=2)
    client.output = "json"
    pd.testing.assert_frame_equal(pd.concat([chunk async for chunk in chunks]), whole)


async def test_extra_tag_fills_an_empty_string_tag_cell(client: InfluxDBClient) -> None:
    df = pd.DataFrame({"host": ["", "b"], "f": [1, 2]}, index=times(T0, T0 + 1))
    assert serialize(df, "m", tag_columns=["host"], host="fallback") == (
        b"m,host=fallback f=1i 1257894000000000000\nm,host=b f=2i 1257894000000000001")


async def test_object_column_of_decimals_and_floats_is_a_float_field(
        client: InfluxDBClient) -> None:
    df = pd.DataFrame({"d": pd.Series([decimal.Decimal("2.5"), 1.5, np.float32(1)],
                                      dtype=object)}).set_index(times(T0, T0 + 1, T0 + 2))
    await client.write(df, measurement="m")
    frame, json = await read_back(client)
    assert_column(frame, json, "d", [2.5, 1.5, 1.0], np.float64)


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_large_write_does_not_warn(client: InfluxDBClient) -> None:
    rows = 40_000
    df = pd.DataFrame({"s": ["x" * 40] * rows},
                      index=pd.date_range("2020-01-01", periods=rows, freq="s"))
    assert 2**20 < len(serialize(df, "m")) < client.max_request_bytes
    await client.write(df, measurement="m")
