"""DataFrames to line protocol and query results to DataFrames (influxkit._encode.pandas,
influxkit._decode.pandas).

The mapping encoder, :func:`influxkit.serialize` on dicts, is the oracle
of the DataFrame encoder: the same rows written as mappings must give lines of the
same meaning (the same text, except that floats may be spelt differently for the
same float64, e.g. ``1`` for ``1.0``). Where they refuse, the documented rules
(``_refusals``) judge both: the refusal must be due and name its row, column and value.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import struct
import subprocess
import sys
import textwrap
from decimal import Decimal
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from _documents import result
from _lineprotocol_parser import assert_same_lines, parse_line
from _refusals import (
    Problem,
    assert_due,
    name_problems,
    object_column_problems,
    point_problems,
    tag_problems,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from influxkit._core.time import MAX_NS, NS_PER_UNIT
from influxkit._decode.outputs import collector
from influxkit._decode.pandas import frame_from_series
from influxkit._decode.points import series_key
from influxkit._encode import pandas as _dataframe
from influxkit._encode.pandas import iter_pandas_lines
from influxkit._encode.rules import escape_key, tag_fragment
from influxkit._encode.serialize import iter_blocks, iter_serialize, serialize
from influxkit._errors import LineProtocolError

# Helpers --------------------------------------------------------------------------------


def frames_from_results(results: Any, epoch: str | None = None) -> Any:
    """The dataframe output of a whole answer's ``results``, as a query builds it."""
    built = collector("dataframe", epoch)
    built.add({"results": results})
    return built.result()


def encode(df: pd.DataFrame, measurement: str = "m", tag_columns: list[str] | None = None,
           precision: str = "ns", **extra_tags: Any) -> list[str]:
    # Blocks are views of the encoder's buffers; as bytes here.
    blocks = [bytes(block) for block in
              iter_pandas_lines(df, measurement, tag_columns, precision, extra_tags)]
    for block in blocks:
        assert block
        assert not block.endswith(b"\n")
        assert not block.startswith(b"\n")
    return b"\n".join(blocks).decode().split("\n") if blocks else []


def utc_index(*stamps: str, unit: str = "ns") -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(stamps)).tz_localize("UTC").as_unit(unit)


def ns(stamp: str) -> int:
    return int(pd.Timestamp(stamp).as_unit("ns").value)


def missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def oracle_points(df: pd.DataFrame, measurement: str, tag_columns: list[str],
                  extra_tags: dict[str, Any]) -> list[dict[str, Any]]:
    """The frame's rows as mappings, as the DataFrame encoder documents them.

    Column names are checked even when a column has no value, and the extra tags
    even when every row has its own (as :func:`serialize` does).
    """
    for name in df.columns:
        escape_key(name, "tag key" if name in tag_columns else "field key")
    tag_fragment(extra_tags)
    return rows_as_points(df, measurement, tag_columns, extra_tags)


def rows_as_points(df: pd.DataFrame, measurement: str, tag_columns: list[str],
                   extra_tags: dict[str, Any]) -> list[dict[str, Any]]:
    """The frame's rows as mappings, unchecked."""
    points = []
    keys = sorted({*tag_columns, *extra_tags})
    for position in range(len(df)):
        tags: dict[str, Any] = {}
        for key in keys:
            value = df[key].iloc[position] if key in tag_columns else None
            if missing(value) or value == "":
                value = extra_tags.get(key)
            tags[key] = value
        fields = {}
        for name in df.columns:
            if name in tag_columns:
                continue
            value = df[name].iloc[position]
            if not missing(value):
                fields[name] = value
        points.append({"measurement": measurement, "tags": tags, "fields": fields,
                       "time": df.index[position]})
    return points


_LINE_MAKER = _dataframe._line_maker


@pytest.fixture(autouse=True)
def _arrow_lines() -> Any:
    """Exact texts below are pyarrow's (``2`` for 2.0); whether polars makes the lines
    instead depends on what is installed and the frame's size. The property tests run
    both ways and compare values, not texts."""
    with mock.patch.object(_dataframe, "_line_maker", return_value=_dataframe._ArrowLines):
        yield


def frame_problems(df: pd.DataFrame, tag_columns: list[str], extra_tags: dict[str, Any],
                   precision: str) -> list[Problem]:
    """Every reason the documented rules give to refuse the frame (see ``_refusals``),
    found without the encoders: its column names and extra tags (index None), and each
    row as a point."""
    found = [problem for name in df.columns for problem in
             name_problems(name, "tag key" if name in tag_columns else "field key")]
    found += tag_problems(extra_tags)
    for index, row in enumerate(rows_as_points(df, "m", tag_columns, extra_tags)):
        found += point_problems(row, precision, index)
    return found


def check_against_oracle(df: pd.DataFrame, tag_columns: list[str],
                         extra_tags: dict[str, Any], precision: str) -> None:
    """The DataFrame encoder writes what the mapping encoder writes, or both refuse, for
    a reason the documented rules give, naming its row, column and value.

    An object column of values of several types is the frame's own refusal: each of its
    points alone is one the mapping encoder writes."""
    problems = frame_problems(df, tag_columns, extra_tags, precision)
    mixed = [problem for name in df.columns
             if name not in tag_columns and df[name].dtype == object
             for problem in object_column_problems(name, df[name].tolist())]
    try:
        expected = serialize(oracle_points(df, "m", tag_columns, extra_tags),
                             precision=precision).decode()
    except LineProtocolError as refusal:
        assert_due(refusal, problems)
        with pytest.raises(LineProtocolError) as info:
            encode(df, "m", tag_columns, precision, **extra_tags)
        assert_due(info.value, problems + mixed)
        return
    if mixed:
        with pytest.raises(LineProtocolError) as info:
            encode(df, "m", tag_columns, precision, **extra_tags)
        assert_due(info.value, problems + mixed)
        return
    assert not problems, f"the mapping encoder accepted what the rules refuse: {problems}"
    assert_same_lines("\n".join(encode(df, "m", tag_columns, precision, **extra_tags)), expected)


SEED_FRAME = pd.DataFrame(
    {"LUY": [2.545409, -0.306673, 0.894738, -1.799512, 0.390137],
     "BEM": [5.173134, -1.132941, -0.561979, -1.722805, -0.016709],
     "AJW": [5.532397, -2.130625, -1.487940, -2.308823, -0.667895],
     "tag": ["B", "E", "B", "D", "E"]},
    index=pd.DatetimeIndex([
        "2017-06-24 08:45:17.929097+00:00", "2017-06-24 10:15:17.929097+00:00",
        "2017-06-24 11:45:17.929097+00:00", "2017-06-24 13:15:17.929097+00:00",
        "2017-06-24 14:45:17.929097+00:00"]),
)


# Encoding: the seed and the basics ---------------------------------------------------------


def test_seed_example() -> None:
    lines = encode(SEED_FRAME, "prices", ["tag"], asset_class="equities")
    assert lines[0] == ("prices,asset_class=equities,tag=B "
                        "LUY=2.545409,BEM=5.173134,AJW=5.532397 1498293917929097000")
    assert lines[3] == ("prices,asset_class=equities,tag=D "
                        "LUY=-1.799512,BEM=-1.722805,AJW=-2.308823 1498310117929097000")
    assert len(lines) == 5
    check_against_oracle(SEED_FRAME, ["tag"], {"asset_class": "equities"}, "ns")


def test_serialize_goes_through_the_frame_encoder() -> None:
    body = serialize(SEED_FRAME, measurement="prices", tag_columns=["tag"],
                     precision="us", asset_class="equities")
    assert body.split(b"\n")[1] == (b"prices,asset_class=equities,tag=E "
                                    b"LUY=-0.306673,BEM=-1.132941,AJW=-2.130625 1498299317929097")


def test_without_tag_columns_every_column_is_a_field() -> None:
    (line, *_) = encode(SEED_FRAME)
    assert line == 'm LUY=2.545409,BEM=5.173134,AJW=5.532397,tag="B" 1498293917929097000'


def test_empty_frame_gives_nothing() -> None:
    df = SEED_FRAME.iloc[:0]
    assert list(iter_pandas_lines(df, "m", ["tag"], "ns", {})) == []


def test_empty_frame_still_checks_names() -> None:
    df = pd.DataFrame({"time": pd.Series([], dtype=float)}, index=pd.DatetimeIndex([]))
    with pytest.raises(LineProtocolError, match="reserved"):
        encode(df)


def test_large_frame_streams_in_blocks_in_row_order() -> None:
    rows = 120_000
    index = pd.date_range("2020-01-01", periods=rows, freq="s", tz="UTC")[::-1]
    df = pd.DataFrame({"v": np.arange(rows, dtype=np.int64),
                       "host": np.array(["a", "b", "c"])[np.arange(rows) % 3]}, index=index)
    blocks = list(iter_pandas_lines(df, "m", ["host"], "s", {}))
    assert len(blocks) > 2
    lines = b"\n".join(blocks).split(b"\n")
    assert len(lines) == rows
    first = int(index[0].value // 10**9)
    assert lines[0] == f"m,host=a v=0i {first}".encode()
    assert lines[-1] == f"m,host=c v={rows - 1}i {first - rows + 1}".encode()
    assert lines[rows // 2] == f"m,host=a v={rows // 2}i {first - rows // 2}".encode()


def test_row_order_is_kept_even_for_an_unsorted_index() -> None:
    index = utc_index("2020-01-03", "2020-01-01", "2020-01-02")
    df = pd.DataFrame({"v": [3, 1, 2]}, index=index)
    assert [line.split(" ")[1] for line in encode(df)] == ["v=3i", "v=1i", "v=2i"]


# Encoding: dtypes ----------------------------------------------------------------------------

INDEX3 = utc_index("2020-01-01", "2020-01-02", "2020-01-03")
T0, T1, T2 = (ns(s) for s in ("2020-01-01", "2020-01-02", "2020-01-03"))


class Shade(enum.Enum):
    DARK = 1
    LIGHT = 2


class StrShade(str, enum.Enum):
    DARK = "dark"
    LIGHT = "light"


class IntShade(enum.IntEnum):
    DARK = 1
    LIGHT = 2


@pytest.mark.parametrize(("values", "texts"), [
    (pd.Series([1.5, np.nan, -0.25]), ["1.5", None, "-0.25"]),
    (pd.Series([1.5, None, 2.0], dtype="float32"), ["1.5", None, "2"]),
    (pd.Series([0.1, 3.0, None], dtype="Float64"), ["0.1", "3", None]),
    (pd.Series([1, -2, 3], dtype="int64"), ["1i", "-2i", "3i"]),
    (pd.Series([1, -2, 3], dtype="int8"), ["1i", "-2i", "3i"]),
    (pd.Series([1, 2, 2**63 - 1], dtype="uint64"), ["1i", "2i", f"{2**63 - 1}i"]),
    (pd.Series([1, None, 3], dtype="Int64"), ["1i", None, "3i"]),
    (pd.Series([1, None, 3], dtype="UInt32"), ["1i", None, "3i"]),
    (pd.Series([True, False, True]), ["true", "false", "true"]),
    (pd.Series([True, None, False], dtype="boolean"), ["true", None, "false"]),
    (pd.Series(["a", None, 'q"\\'], dtype="str"), ['"a"', None, '"q\\"\\\\"']),
    (pd.Series(["a", None, "b"], dtype="string"), ['"a"', None, '"b"']),
    (pd.Series(["a", None, "b"], dtype="string[python]"), ['"a"', None, '"b"']),
    (pd.Series(["a", None, ""], dtype=object), ['"a"', None, '""']),
    (pd.Series(["x y", "x,y", None], dtype="category"), ['"x y"', '"x,y"', None]),
    (pd.Series([1, 2, None], dtype="category"), ["1i", "2i", None]),
    (pd.Series([1.5, 2.0, None], dtype="category"), ["1.5", "2", None]),
    (pd.Series([10, None, 30], dtype="Int64").astype("category"), ["10i", None, "30i"]),
    (pd.Series([1, None, 2**62], dtype=object), ["1i", None, f"{2**62}i"]),
    (pd.Series([np.int64(1), np.nan, 2**53 + 1], dtype=object), ["1i", None, f"{2**53 + 1}i"]),
    (pd.Series([np.uint64(2**63 - 1), pd.NA, np.int8(-3)], dtype=object),
     [f"{2**63 - 1}i", None, "-3i"]),
    (pd.Series([True, None, False], dtype=object), ["true", None, "false"]),
    (pd.Series([np.bool_(True), np.nan, False], dtype=object), ["true", None, "false"]),
    (pd.Series([1.5, None, np.float32(0.5)], dtype=object), ["1.5", None, "0.5"]),
    (pd.Series([Decimal("1.10"), None, Decimal("-2")], dtype=object), ["1.1", None, "-2"]),
    (pd.Series([Decimal("0.1"), 2.5, pd.NaT], dtype=object), ["0.1", "2.5", None]),
    (pd.Series(["a", np.str_("b"), None], dtype=object), ['"a"', '"b"', None]),
    (pd.Series([Shade.DARK, "x", StrShade.LIGHT], dtype=object),
     ['"DARK"', '"x"', '"LIGHT"']),
    (pd.Series([IntShade.DARK, None, IntShade.LIGHT], dtype=object),
     ['"DARK"', None, '"LIGHT"']),
    (pd.Series([None, None, None], dtype=object), [None, None, None]),
    (pd.Series([np.nan, np.nan, np.nan]), [None, None, None]),
])
def test_field_dtypes(values: pd.Series, texts: list[str | None]) -> None:
    df = pd.DataFrame({"f": values.to_numpy() if values.dtype == object else values.array,
                       "k": [7, 8, 9]}, index=INDEX3)
    expected = []
    for text, time in zip(texts, (T0, T1, T2), strict=True):
        field = f"f={text}," if text is not None else ""
        expected.append(f"m {field}k={7 + len(expected)}i {time}")
    assert encode(df) == expected


def test_arrow_dtypes() -> None:
    df = pd.DataFrame({
        "f": pd.array([1.5, None, 2.0], dtype="double[pyarrow]"),
        "i": pd.array([1, 2, None], dtype="int64[pyarrow]"),
        "b": pd.array([True, None, False], dtype="bool[pyarrow]"),
        "s": pd.array(["a", "b", None], dtype="string[pyarrow]"),
    }, index=INDEX3)
    assert encode(df) == [f'm f=1.5,i=1i,b=true,s="a" {T0}', f'm i=2i,s="b" {T1}',
                          f"m f=2,b=false {T2}"]


def test_float_text_reads_back_as_the_same_float() -> None:
    values = [0.1, 1 / 3, 1e16, 1e15, 1e-5, 5e-324, -0.0, 1.7976931348623157e308,
              2.2250738585072014e-308, 123456789.123456789, 9007199254740993.0]
    df = pd.DataFrame({"f": values}, index=pd.date_range("2020", periods=len(values),
                                                         freq="s", tz="UTC"))
    for line, value in zip(encode(df), values, strict=True):
        text = line.split(" ")[1].removeprefix("f=")
        assert struct.pack("<d", float(text)) == struct.pack("<d", value)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.booleans())
def test_float_text_round_trips(data: st.DataObject, single: bool) -> None:
    values = data.draw(st.lists(st.floats(allow_nan=False, allow_infinity=False,
                                          width=32 if single else 64), min_size=1, max_size=50))
    array = np.array(values, dtype=np.float32 if single else np.float64)
    df = pd.DataFrame({"f": array}, index=pd.date_range("2020", periods=len(values),
                                                        freq="s", tz="UTC"))
    for line, value in zip(encode(df), array, strict=True):
        text = line.split(" ")[1].removeprefix("f=")
        assert struct.pack("<d", float(text)) == struct.pack("<d", float(value))


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinity_is_refused_naming_column_row_and_value(value: float) -> None:
    df = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "temp": [1.0, 2.0, value]}, index=INDEX3)
    with pytest.raises(LineProtocolError) as info:
        encode(df)
    message = str(info.value)
    assert "'temp'" in message
    assert repr(value) in message
    assert message.startswith("point 2 Timestamp('2020-01-03 00:00:00+0000', tz='UTC'): ")
    assert info.value.index == 2
    assert info.value.field == "temp"
    assert info.value.value == value


def test_infinity_in_a_used_category_is_refused_at_its_first_row() -> None:
    df = pd.DataFrame({"f": pd.Categorical([1.0, np.inf, np.inf])}, index=INDEX3)
    with pytest.raises(LineProtocolError, match=r"point 1 Timestamp\('2020-01-02.*'f' is inf"):
        encode(df)
    unused = pd.DataFrame({"f": pd.Categorical([1.0, 2.0, 1.0], categories=[1.0, 2.0, np.inf])},
                          index=INDEX3)
    assert encode(unused)[1] == f"m f=2 {T1}"


def test_uint64_beyond_int64_is_refused() -> None:
    df = pd.DataFrame({"u": np.array([1, 2**63, 3], dtype=np.uint64)}, index=INDEX3)
    with pytest.raises(LineProtocolError, match=r"point 1 .*'u' is 9223372036854775808"):
        encode(df)
    big = pd.DataFrame({"u": np.array([2**64 - 1, None, 1], dtype=object)}, index=INDEX3)
    with pytest.raises(LineProtocolError, match=r"point 0 .*'u' is 18446744073709551615"):
        encode(big)


def test_nullable_int64_stays_exact() -> None:
    df = pd.DataFrame({"n": pd.array([2**62 + 1, None, -(2**63)], dtype="Int64")},
                      index=INDEX3)
    assert encode(df.iloc[[0, 2]]) == [f"m n={2**62 + 1}i {T0}", f"m n={-(2**63)}i {T2}"]


@pytest.mark.parametrize(("values", "row", "value"), [
    ([1, "a", 2.5], 1, "a"),
    ([True, 1, 0], 1, 1),
    ([2**53 + 1, 0.5, None], 1, 0.5),
    ([0.5, None, 2**60], 2, 2**60),
    ([np.nan, "a", 1], 2, 1),
    ([1, Decimal("2.5"), None], 1, Decimal("2.5")),
    (["x", Shade.DARK, 3], 2, 3),
    ([1, IntShade.DARK, None], 1, IntShade.DARK),
    ([np.bool_(False), None, np.int64(1)], 2, np.int64(1)),
], ids=repr)
def test_object_columns_of_mixed_types_are_refused(values: list[Any], row: int,
                                                    value: Any) -> None:
    # A field has one type: the values would be stored as something else (the
    # strings of their reprs, rounded floats), or the server would refuse the column.
    df = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "o": np.array(values, dtype=object)},
                      index=INDEX3)
    with pytest.raises(LineProtocolError) as info:
        encode(df)
    assert info.value.index == row
    assert info.value.field == "o"
    assert info.value.value is value or (info.value.value == value
                                         and type(info.value.value) is type(value))
    message = str(info.value)
    assert message.startswith(f"point {row} Timestamp(")
    assert "'o'" in message
    assert repr(value) in message


@pytest.mark.parametrize(("values", "row"), [
    ([Shade.DARK, dt.date(2020, 1, 2), b"x"], 1),
    ([b"x", b"y", None], 0),
    ([None, "a", b"b"], 2),
    ([1.5, None, dt.timedelta(1)], 2),
    ([Decimal("1E-400"), 1.5, None], 0),
    ([Decimal(2**53 + 1), None, 1.5], 0),
    ([np.int64(1), None, 2**64], 2),
], ids=repr)
def test_object_columns_with_values_line_protocol_cannot_carry_are_refused(
        values: list[Any], row: int) -> None:
    df = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "o": np.array(values, dtype=object)},
                      index=INDEX3)
    with pytest.raises(LineProtocolError) as info:
        encode(df)
    assert info.value.index == row
    assert info.value.field == "o"
    assert info.value.value is values[row]
    # The mapping encoder refuses the same value.
    with pytest.raises(LineProtocolError) as mapping:
        serialize({"measurement": "m", "fields": {"o": values[row]}})
    assert mapping.value.value == values[row]


def test_unsupported_dtypes_are_refused() -> None:
    df = pd.DataFrame({"when": pd.date_range("2020", periods=3)}, index=INDEX3)
    with pytest.raises(LineProtocolError, match="'when' has dtype datetime64"):
        encode(df)
    df = pd.DataFrame({"z": np.array([1j, 2j, 3j])}, index=INDEX3)
    with pytest.raises(LineProtocolError, match="'z' has dtype complex128"):
        encode(df)


# Encoding: missing cells and rows without fields ------------------------------------------


def test_missing_cells_leave_their_field_out() -> None:
    df = pd.DataFrame({"a": [np.nan, 1.0, np.nan], "b": [1, None, None],
                       "c": ["x", None, "z"]}, index=INDEX3)
    # "b" is float64 here (pandas turns [1, None, None] into floats).
    assert encode(df) == [f'm b=1,c="x" {T0}', f"m a=1 {T1}", f'm c="z" {T2}']


def test_leading_fields_with_missing_cells() -> None:
    df = pd.DataFrame({"a": [np.nan, 1.0, np.nan], "b": [None, "y", "z"], "c": [1, 2, 3]},
                      index=INDEX3)
    assert encode(df) == [f"m c=1i {T0}", f'm a=1,b="y",c=2i {T1}', f'm b="z",c=3i {T2}']


def test_a_row_without_fields_is_refused() -> None:
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": ["x", None, None]}, index=INDEX3)
    with pytest.raises(LineProtocolError, match=r"point 1 Timestamp\('2020-01-02.*no fields"):
        encode(df)


def test_rows_without_fields_can_be_dropped_when_asked() -> None:
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": ["x", None, None]}, index=INDEX3)
    lines = b"\n".join(iter_pandas_lines(df, "m", None, "ns", {}, drop_empty_rows=True))
    assert lines.decode().split("\n") == [f'm a=1,b="x" {T0}', f"m a=3 {T2}"]


def test_a_frame_of_tags_only_is_refused() -> None:
    df = pd.DataFrame({"host": ["a", "b", "c"]}, index=INDEX3)
    with pytest.raises(LineProtocolError, match="no fields"):
        encode(df, tag_columns=["host"])


# Encoding: names, tags and escaping ---------------------------------------------------------


def test_hostile_column_names_are_escaped() -> None:
    df = pd.DataFrame({"a b": [1], "c,d": [2], "e=f": [3], 'g"h\\i': [4], "t x": ["v"]},
                      index=INDEX3[:1])
    assert encode(df, "my m,x", ["t x"]) == [
        f'my\\ m\\,x,t\\ x=v a\\ b=1i,c\\,d=2i,e\\=f=3i,g"h\\i=4i {T0}']


@pytest.mark.parametrize(("name", "problem"), [
    ("", "empty"), ("time", "reserved"), ("a\nb", "newline"), ("a\\", "backslash"),
    (0, "must be a string"),
])
def test_bad_column_names_are_refused(name: Any, problem: str) -> None:
    df = pd.DataFrame({name: [1.0]}, index=INDEX3[:1])
    with pytest.raises(LineProtocolError, match=problem):
        encode(df)
    with pytest.raises(LineProtocolError, match=problem):
        encode(df.assign(v=1.0), tag_columns=[name])


def test_duplicate_and_unknown_columns_are_refused() -> None:
    df = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"], index=INDEX3[:1])
    with pytest.raises(LineProtocolError, match="'a' appears twice"):
        encode(df)
    with pytest.raises(LineProtocolError, match="tag column 'nope' is not in the DataFrame"):
        encode(SEED_FRAME, tag_columns=["nope"])


def test_tag_values_are_escaped_and_missing_ones_left_out() -> None:
    df = pd.DataFrame({"v": [1, 2, 3, 4], "t": ["a b,c=d", None, "", "x\\y"]},
                      index=pd.date_range("2020", periods=4, freq="D", tz="UTC"))
    lines = encode(df, tag_columns=["t"])
    assert [line.split(" v=")[0] for line in lines] == [
        "m,t=a\\ b\\,c\\=d", "m", "m", "m,t=x\\y"]


@pytest.mark.parametrize(("value", "problem"), [
    ("a\nb", "contains a newline"), ("ab\\", "ends with a backslash")])
def test_bad_tag_values_are_refused_naming_the_row(value: str, problem: str) -> None:
    df = pd.DataFrame({"v": [1, 2, 3], "t": ["ok", value, value]}, index=INDEX3)
    where = r"point 1 Timestamp\('2020-01-02"
    with pytest.raises(LineProtocolError, match=rf"{where}.*tag 't'.*{problem}"):
        encode(df, tag_columns=["t"])
    with pytest.raises(LineProtocolError, match=problem):
        encode(df.astype({"t": "category"}), tag_columns=["t"])


def test_tag_columns_of_other_dtypes() -> None:
    df = pd.DataFrame({
        "v": [1, 2, 3],
        "f": [1.5, np.nan, 1e16],
        "i": pd.array([1, None, 3], dtype="Int64"),
        "b": [True, False, True],
        "c": pd.Categorical(["x", None, "x y"]),
        "o": np.array([1, "a", None], dtype=object),
    }, index=INDEX3)
    lines = encode(df, tag_columns=["f", "i", "b", "c", "o"])
    assert lines == [
        f"m,b=True,c=x,f=1.5,i=1,o=1 v=1i {T0}",
        f"m,b=False,o=a v=2i {T1}",
        f"m,b=True,c=x\\ y,f=1e+16,i=3 v=3i {T2}",
    ]
    check_against_oracle(df, ["f", "i", "b", "c", "o"], {}, "ns")


def test_tags_are_sorted_with_extra_tags_and_the_column_wins() -> None:
    df = pd.DataFrame({"v": [1, 2, 3], "zone": ["z1", None, "z3"], "app": ["x", "y", "z"]},
                      index=INDEX3)
    lines = encode(df, tag_columns=["zone", "app"], zone="default", host="h 1", empty="")
    assert [line.split(" v=")[0] for line in lines] == [
        "m,app=x,host=h\\ 1,zone=z1", "m,app=y,host=h\\ 1,zone=default",
        "m,app=z,host=h\\ 1,zone=z3"]


def test_enum_column_names_are_written_by_name() -> None:
    class Name(enum.Enum):
        host = "h"
        load = "l"

    df = pd.DataFrame({Name.load: [0.5], Name.host: ["a"]}, index=INDEX3[:1])
    assert encode(df, tag_columns=[Name.host], zone="z") == [f"m,host=a,zone=z load=0.5 {T0}"]


def test_extra_tags_are_checked() -> None:
    with pytest.raises(LineProtocolError, match="newline"):
        encode(SEED_FRAME, bad="a\nb")
    with pytest.raises(LineProtocolError, match="reserved"):
        encode(SEED_FRAME, time="x")


def test_measurement_is_checked() -> None:
    with pytest.raises(LineProtocolError, match="comment"):
        encode(SEED_FRAME, "#m")
    with pytest.raises(LineProtocolError, match="measurement"):
        list(iter_pandas_lines(SEED_FRAME, None, None, "ns", {}))


def test_strings_with_newlines_and_unicode() -> None:
    df = pd.DataFrame({"s": ["a\nb", "é€😀", '\\"'], "t": ["é", "😀", "a\tb"]}, index=INDEX3)
    lines = b"\n".join(iter_pandas_lines(df, "m", ["t"], "ns", {})).decode()
    assert lines == (f'm,t=é s="a\nb" {T0}\nm,t=😀 s="é€😀" {T1}\n'
                     f'm,t=a\tb s="\\\\\\"" {T2}')


@pytest.mark.parametrize("dtype", [object, "string[python]"])
@pytest.mark.parametrize("as_tag", [False, True])
def test_surrogates_are_refused_naming_row_column_and_value(dtype: Any, as_tag: bool) -> None:
    df = pd.DataFrame({"s": pd.Series(["ok", None, "a\ud800b"], dtype=dtype, index=INDEX3),
                       "v": [1, 2, 3]})
    with pytest.raises(LineProtocolError, match="lone surrogate") as info:
        encode(df, tag_columns=["s"] if as_tag else None)
    assert (info.value.index, info.value.field, info.value.value) == (2, "s", "a\ud800b")
    assert str(info.value).startswith("point 2 Timestamp('2020-01-03")


def test_float_tags_keep_the_sign_of_zero_and_float32_text() -> None:
    df = pd.DataFrame({"v": [1, 2, 3], "z": [0.0, -0.0, np.nan],
                       "s": np.array([0.1, 2.5, np.nan], dtype=np.float32)}, index=INDEX3)
    assert [line.split(" ")[0] for line in encode(df, tag_columns=["z", "s"])] == [
        "m,s=0.1,z=0.0", "m,s=2.5,z=-0.0", "m"]
    check_against_oracle(df, ["z", "s"], {}, "ns")


def test_extra_tags_without_value_are_left_out_unchecked() -> None:
    # As the mapping encoder does: the key of a tag left out is not looked at.
    assert encode(SEED_FRAME.iloc[:1], bad_key_unused=None, empty="")[0].startswith("m LUY=")
    assert encode(SEED_FRAME.iloc[:1], **{"x\n": None})[0].startswith("m LUY=")


def test_many_tag_columns_with_missing_cells_share_one_prefix_per_set() -> None:
    rows = 5_000
    rng = np.random.default_rng(3)
    tags = {f"t{i}": rng.choice(np.array(["a", "b", "c d", None], dtype=object), rows)
            for i in range(5)}
    df = pd.DataFrame({**tags, "v": np.arange(rows)},
                      index=pd.date_range("2020", periods=rows, freq="s", tz="UTC"))
    check_against_oracle(df, list(tags), {"t2": "fill", "h": "x"}, "s")


def test_blocks_with_different_missing_patterns() -> None:
    rows = 9_000
    a = np.where(np.arange(rows) < rows // 2, np.nan, 1.5)
    b = np.where(np.arange(rows) % 3 == 0, None, "x")
    c = pd.array(np.where(np.arange(rows) >= rows // 2, None, 7), dtype="Int64")
    df = pd.DataFrame({"a": a, "b": b, "c": c},
                      index=pd.date_range("2020", periods=rows, freq="ms", tz="UTC"))
    with mock.patch.object(_dataframe, "_MIN_BLOCK_ROWS", 1), \
            mock.patch.object(_dataframe, "_MAX_BLOCK_ROWS", 1_000):
        blocks = list(iter_pandas_lines(df, "m", None, "ms", {}))
        assert len(blocks) == 9
        check_against_oracle(df, [], {}, "ms")
    lines = b"\n".join(blocks).decode().split("\n")
    assert lines[0] == f'm c=7i {ns("2020") // 10**6}'
    assert lines[1] == f'm b="x",c=7i {ns("2020") // 10**6 + 1}'
    assert lines[-1] == f'm a=1.5,b="x" {ns("2020") // 10**6 + rows - 1}'


def test_abandoning_the_blocks_half_way() -> None:
    df = pd.DataFrame({"v": np.arange(10_000.0)},
                      index=pd.date_range("2020", periods=10_000, freq="s", tz="UTC"))
    with mock.patch.object(_dataframe, "_MIN_BLOCK_ROWS", 1), \
            mock.patch.object(_dataframe, "_MAX_BLOCK_ROWS", 100):
        blocks = iter_pandas_lines(df, "m", None, "s", {})
        assert bytes(next(blocks)).startswith(b"m v=0 ")
        blocks.close()


def test_blocks_are_views_of_the_encoders_buffer_and_iter_serialize_copies_them() -> None:
    df = pd.DataFrame({"v": np.arange(10.0)},
                      index=pd.date_range("2020", periods=10, freq="s", tz="UTC"))
    views = list(iter_blocks(df, "m", precision="s", block_lines=4))
    copies = list(iter_serialize(df, "m", precision="s", block_lines=4))
    assert [type(block) for block in views] == [memoryview] * 3
    assert [type(block) for block in copies] == [bytes] * 3
    assert [bytes(block) for block in views] == copies
    assert copies[2] == b"m v=8 1577836808\nm v=9 1577836809"


# Encoding: time ---------------------------------------------------------------------------------


def test_the_index_must_be_a_datetime_index() -> None:
    with pytest.raises(LineProtocolError, match="must be a DatetimeIndex, not RangeIndex"):
        encode(pd.DataFrame({"v": [1.0]}))
    period = pd.DataFrame({"v": [1.0]}, index=pd.period_range("2020", periods=1, freq="D"))
    with pytest.raises(LineProtocolError, match="PeriodIndex"):
        encode(period)


def test_nat_is_refused_naming_the_row() -> None:
    df = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-01", None]))
    with pytest.raises(LineProtocolError, match=r"point 1 NaT: time is NaT"):
        encode(df)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_naive_index_is_utc_at_every_resolution(unit: str) -> None:
    index = pd.DatetimeIndex(["1969-12-31 23:59:59", "2020-02-29 12:00:00"]).as_unit(unit)
    df = pd.DataFrame({"v": [1, 2]}, index=index)
    assert [int(line.split(" ")[-1]) for line in encode(df)] == [-10**9, 1582977600 * 10**9]
    assert [int(line.split(" ")[-1]) for line in encode(df, precision="s")] == [
        -1, 1582977600]
    assert [int(line.split(" ")[-1]) for line in encode(df.iloc[1:], precision="h")] == [
        1582977600 // 3600]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata",
                                  "Australia/Lord_Howe"])
def test_tz_aware_index_across_dst(zone: str) -> None:
    utc = pd.DatetimeIndex(["2021-03-28 00:59:59.999999999", "2021-03-28 01:00:00",
                            "2021-10-31 00:30:00", "2021-10-31 01:30:00",
                            "2021-11-07 05:30:00", "2021-04-04 15:30:00"], tz="UTC")
    df = pd.DataFrame({"v": range(6)}, index=utc.tz_convert(zone))
    assert [int(line.split(" ")[-1]) for line in encode(df)] == list(utc.asi8)
    check_against_oracle(df, [], {}, "ns")


def test_local_wall_times_are_converted() -> None:
    index = pd.DatetimeIndex(["2021-03-28 03:30:00", "2021-10-31 02:30:00"]).tz_localize(
        "Europe/Berlin", ambiguous=np.array([False, True]))
    df = pd.DataFrame({"v": [1, 2]}, index=index)
    assert [int(line.split(" ")[-1]) for line in encode(df, precision="s")] == [
        ns("2021-03-28 01:30:00") // 10**9, ns("2021-10-31 00:30:00") // 10**9]


@pytest.mark.parametrize(("precision", "factor"), [
    ("ns", 1), ("u", 10**3), ("us", 10**3), ("ms", 10**6), ("s", 10**9), ("m", 60 * 10**9),
    ("h", 3600 * 10**9)])
def test_precision_conversion(precision: str, factor: int) -> None:
    df = pd.DataFrame({"v": [1, 2]},
                      index=pd.DatetimeIndex(["1960-01-01", "2020-01-01 01:00"], tz="UTC"))
    times = [int(line.split(" ")[-1]) for line in encode(df, precision=precision)]
    assert times == [ns("1960-01-01") // factor, ns("2020-01-01 01:00") // factor]


@pytest.mark.parametrize(("stamp", "precision", "unit"), [
    ("2020-01-01 00:00:00.000000001", "u", "microseconds"),
    ("2020-01-01 00:00:00.001", "s", "seconds"),
    ("1969-12-31 23:59:59.5", "s", "seconds"),
    ("2020-01-01 00:00:30", "m", "minutes"),
    ("2020-01-01 00:01:00", "h", "hours"),
])
def test_time_finer_than_precision_is_refused(stamp: str, precision: str, unit: str) -> None:
    df = pd.DataFrame({"v": [1, 2]},
                      index=pd.DatetimeIndex(["2020-01-01", stamp], tz="UTC"))
    with pytest.raises(LineProtocolError, match=rf"point 1 .*not a whole number of {unit}"):
        encode(df, precision=precision)


def test_time_outside_influxdb_range_is_refused() -> None:
    index = pd.DatetimeIndex(["2020-01-01", "2300-01-01"]).as_unit("s")
    df = pd.DataFrame({"v": [1, 2]}, index=index)
    with pytest.raises(LineProtocolError, match=r"point 1 .*outside the range"):
        encode(df, precision="s")
    minimum = pd.DataFrame({"v": [1]}, index=pd.DatetimeIndex([pd.Timestamp.min]))
    with pytest.raises(LineProtocolError, match="outside the range"):
        encode(minimum)
    maximum = pd.DataFrame({"v": [1]}, index=pd.DatetimeIndex([pd.Timestamp(MAX_NS)]))
    assert encode(maximum) == [f"m v=1i {MAX_NS}"]


# Encoding: the mapping encoder as oracle -------------------------------------------------

HOSTILE = st.text(st.sampled_from(list("ab ,=\"\\\n\té😀")), max_size=6)
# Mostly names line protocol can carry, sometimes one it cannot.
GOOD_NAMES = st.text(st.sampled_from(list("ab ,=\"\\é")), min_size=1, max_size=4).filter(
    lambda name: not name.endswith("\\") and name != "time")
NAMES = st.integers(0, 19).flatmap(
    lambda k: st.sampled_from(["time", "", "x\n", "y\\"]) if k == 0 else GOOD_NAMES)

DTYPES = ["float64", "float32", "Float64", "int64", "int32", "uint64", "Int64", "bool",
          "boolean", "str", "string", "object", "category", "category-int", "objects"]

# Python objects of each line-protocol type, for object columns: mostly of one type,
# sometimes mixed or of a type line protocol cannot carry.
OBJECTS = {
    "int": st.integers(-(2**63) - 1, 2**63) | st.sampled_from(
        [2**53 + 1, np.int64(-3), np.uint64(2**64 - 1), np.uint8(7)]),
    "float": st.floats(allow_nan=False) | st.sampled_from(
        [np.float32(0.1), Decimal("0.1"), Decimal("1.10"), Decimal(2**53 + 1), -0.0]),
    "bool": st.booleans() | st.just(np.bool_(False)),
    "str": HOSTILE | st.sampled_from([Shade.DARK, StrShade.LIGHT, IntShade.DARK]),
    "other": st.sampled_from([b"x", dt.date(2020, 1, 1), 1j]),
    "missing": st.sampled_from([None, np.nan, pd.NA, pd.NaT]),
}


def punch(values: list[Any], holes: list[bool]) -> list[Any]:
    return [None if hole else value for hole, value in zip(holes, values, strict=True)]


@st.composite
def columns(draw: st.DrawFn, rows: int) -> pd.Series:
    kind = draw(st.sampled_from(DTYPES))
    holes = draw(st.lists(st.sampled_from([False, False, False, True]), min_size=rows,
                          max_size=rows))
    if kind.startswith("float") or kind == "Float64":
        values: list[Any] = draw(st.lists(
            st.floats(allow_nan=False, allow_infinity=draw(st.booleans()),
                      width=32 if kind == "float32" else 64),
            min_size=rows, max_size=rows))
        return pd.Series(punch(values, holes), dtype=kind)
    if kind in ("int64", "int32", "uint64", "Int64", "category-int"):
        bounds = {"int32": (-(2**31), 2**31 - 1), "uint64": (0, 2**64 - 1)}
        low, high = bounds.get(kind, (-(2**63), 2**63 - 1))
        values = draw(st.lists(st.integers(low, high), min_size=rows, max_size=rows))
        if kind == "Int64":
            return pd.Series(punch(values, holes), dtype="Int64")
        if kind == "category-int":
            return pd.Series(punch(values, holes), dtype="Int64").astype("category")
        return pd.Series(values, dtype=kind)
    if kind == "objects":
        main = draw(st.sampled_from(["int", "float", "bool", "str"]))
        others = st.sampled_from(list(OBJECTS)).flatmap(OBJECTS.__getitem__)
        cells = st.integers(0, 9).flatmap(
            lambda k: others if k == 0 else OBJECTS["missing"] if k == 1 else OBJECTS[main])
        return pd.Series(draw(st.lists(cells, min_size=rows, max_size=rows)), dtype=object)
    if kind in ("bool", "boolean"):
        values = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        if kind == "bool":
            return pd.Series(values, dtype=bool)
        return pd.Series(punch(values, holes), dtype="boolean")
    values = draw(st.lists(HOSTILE, min_size=rows, max_size=rows))
    data = punch(values, holes)
    if kind == "category":
        return pd.Series(data, dtype="category")
    return pd.Series(data, dtype=kind)


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], dict[str, Any], str]:
    rows = draw(st.integers(1, 8))
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    data = {name: draw(columns(rows)) for name in names}
    unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
    unit_ns = NS_PER_UNIT["u" if unit == "us" else unit]
    precision = draw(st.sampled_from(["ns", "u", "ms", "s", "m", "h"]))
    if draw(st.integers(0, 4)):  # mostly times that are whole units of the precision
        step = max(1, NS_PER_UNIT[precision] // unit_ns) * draw(st.sampled_from([1, 7]))
    else:
        step = draw(st.sampled_from([1, 1000, 10**6, 10**9, 60 * 10**9]))
    zone = draw(st.sampled_from([None, "UTC", "Europe/Berlin", "America/Sao_Paulo"]))
    # Beyond InfluxDB's range sometimes, where the resolution allows it.
    limit = MAX_NS // unit_ns
    if zone is not None:  # pandas cannot show local times at the very ends
        limit -= 86_400 * 10**9 // unit_ns
    limit *= 1 if unit == "ns" else draw(st.sampled_from([1, 1, 2]))
    stamps = draw(st.lists(st.integers(-(limit // step), limit // step).map(lambda v: v * step),
                           min_size=rows, max_size=rows))
    index = pd.DatetimeIndex(np.array(stamps, dtype=f"M8[{unit}]"))
    if zone is not None:
        index = index.tz_localize("UTC").tz_convert(zone)
    df = pd.DataFrame({i: series.array for i, series in enumerate(data.values())}, index=index)
    df.columns = pd.Index(names, dtype=object)
    tag_columns = draw(st.lists(st.sampled_from(names), unique=True, max_size=3))
    extra = draw(st.dictionaries(NAMES, st.one_of(HOSTILE, st.none()), max_size=2))
    return df, tag_columns, extra, precision


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.sampled_from([None, 1, 2, 3]), st.sampled_from([1, 65_536]),
       st.sampled_from(["pyarrow", "polars"]))
def test_frames_encode_like_the_mapping_encoder(
        case: tuple[pd.DataFrame, list[str], dict[str, Any], str], block: int | None,
        cartesian: int, joiner: str) -> None:
    df, tag_columns, extra, precision = case
    lines = _dataframe._ArrowLines if joiner == "pyarrow" else _dataframe._PolarsLines
    _LINE_MAKER(_dataframe._POLARS_FROM_ROWS)  # looks polars up
    # Tag sets are numbered by building every combination of tag values, or (beyond a
    # limit, 1 here) by numbering anew the combinations present.
    with mock.patch.object(_dataframe, "_CARTESIAN_LIMIT", cartesian), \
            mock.patch.object(_dataframe, "_line_maker", return_value=lines):
        if block is None:
            check_against_oracle(df, tag_columns, extra, precision)
            return
        # Tiny blocks: each has its own pattern of missing cells, and they are encoded
        # on threads once there are a few.
        with mock.patch.object(_dataframe, "_MIN_BLOCK_ROWS", 1), \
                mock.patch.object(_dataframe, "_MAX_BLOCK_ROWS", block):
            check_against_oracle(df, tag_columns, extra, precision)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                          st.one_of(st.none(), HOSTILE)), min_size=1, max_size=30))
def test_sparse_fields_match_the_oracle(cells: list[tuple[float | None, str | None]]) -> None:
    df = pd.DataFrame({"a": [a for a, _ in cells], "b": pd.Series([b for _, b in cells],
                                                                   dtype=object)},
                      index=pd.date_range("2020", periods=len(cells), freq="s", tz="UTC"))
    check_against_oracle(df, [], {}, "ns")


def test_the_line_parser_of_these_tests() -> None:
    line = 'm\\ x,a\\,=b\\ c f="q\\" r,",g=1i,h=true,i=-0 5'
    measurement, tags, fields, when = parse_line(line)
    assert measurement == "m\\ x"
    assert tags == [("a\\,", "b\\ c")]
    assert fields == [("f", ("str", '"q\\" r,"')), ("g", ("int", 1)), ("h", ("bool", "true")),
                      ("i", ("float", struct.pack("<d", -0.0)))]
    assert when == 5


# Decoding -------------------------------------------------------------------------------------


PRICES = {"name": "trades", "columns": ["time", "Price", "Volume"],
          "values": [[1491963424224703000, 5783, 100], [1491963424375146000, 5783, 200],
                     [1491963428374895000, 5783.5, 100]]}


def test_one_series_gives_a_dataframe() -> None:
    df = frames_from_results(result([PRICES]), "ns")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["Price", "Volume"]
    assert df.dtypes.tolist() == [np.dtype("float64"), np.dtype("int64")]
    assert str(df.index[0]) == "2017-04-12 02:17:04.224703+00:00"
    assert df.index.name is None
    assert str(df.index.dtype) == "datetime64[ns, UTC]"
    assert df.index.asi8.tolist() == [v[0] for v in PRICES["values"]]


def test_group_by_gives_a_dict_keyed_by_series() -> None:
    series = [
        {"name": "cpu", "tags": {"host": "a", "region": "eu"}, "columns": ["time", "v"],
         "values": [[0, 1.0]]},
        {"name": "cpu", "tags": {"host": "b", "region": ""}, "columns": ["time", "v"],
         "values": [[0, 2.0], [60, 3.0]]},
    ]
    frames = frames_from_results(result(series), "s")
    assert isinstance(frames, dict)
    assert list(frames) == ["cpu,host=a,region=eu", "cpu,host=b,region="]
    second = frames["cpu,host=b,region="]
    assert second["v"].tolist() == [2.0, 3.0]
    assert second["host"].tolist() == ["b", "b"]
    assert second["region"].tolist() == ["", ""]
    assert second.index.asi8.tolist() == [0, 60 * 10**9]


def test_several_statements_give_a_list_of_dicts() -> None:
    frames = frames_from_results(result([PRICES], None, [PRICES, {**PRICES, "name": "x"}]),
                                 "ns")
    assert isinstance(frames, list)
    assert len(frames) == 3
    assert list(frames[0]) == ["trades"]
    assert frames[1] == {}
    assert list(frames[2]) == ["trades", "x"]
    twice = frames_from_results(result([PRICES, PRICES]), "ns")
    assert isinstance(twice, pd.DataFrame)
    assert len(twice) == 6  # one key, one frame


def test_no_series_and_no_statements() -> None:
    assert frames_from_results(result(None), "ns") == {}
    assert frames_from_results([], "ns") == []


def test_series_key() -> None:
    assert series_key({"name": "cpu", "tags": {"host": "a"}}) == "cpu,host=a"
    assert series_key({"name": "cpu"}) == "cpu"
    assert series_key({"tags": {"host": "a"}}) == "host=a"


@pytest.mark.parametrize(("epoch", "factor"), [
    ("ns", 1), ("n", 1), ("u", 10**3), ("us", 10**3), ("ms", 10**6), ("s", 10**9),
    ("m", 60 * 10**9), ("h", 3600 * 10**9)])
def test_integer_times_are_exact(epoch: str, factor: int) -> None:
    times = [MAX_NS // factor, -(MAX_NS // factor), 1, 0]
    df = frame_from_series({"columns": ["time", "v"], "values": [[t, 1] for t in times]}, epoch)
    assert df.index.asi8.tolist() == [t * factor for t in times]


def test_integer_times_beyond_the_range_are_refused() -> None:
    with pytest.raises(ValueError, match="outside the range"):
        frame_from_series({"columns": ["time", "v"], "values": [[2**62, 1]]}, "s")


def test_rfc3339_times_are_exact() -> None:
    stamps = ["2017-04-12T02:17:04.224703001Z", "2017-04-12T02:17:04Z",
              "1677-09-21T00:12:43.145224194Z", "2262-04-11T23:47:16.854775806Z",
              "2017-04-12T02:17:04.5Z"]
    df = frame_from_series({"columns": ["time", "v"], "values": [[s, 1] for s in stamps]},
                           None)
    assert df.index.asi8.tolist() == [1491963424224703001, 1491963424000000000,
                                      -MAX_NS, MAX_NS, 1491963424500000000]
    assert str(df.index.dtype) == "datetime64[ns, UTC]"


def test_mixed_time_types_are_refused() -> None:
    with pytest.raises(ValueError, match="all integers or all strings"):
        frame_from_series({"columns": ["time", "v"], "values": [[1, 1], ["x", 2]]}, "ns")


def test_column_dtypes() -> None:
    big = 2**63 - 1
    values = [
        [0, 1.0, big, 1, True, True, "a", "a", None, 1, 2**64],
        [1, 2.0, -(2**63), None, False, None, None, "b", None, "x", None],
        [2, 3.0, 0, 2**62 + 1, True, False, "c", "c", None, None, 1],
    ]
    columns = ["time", "f", "i", "ni", "b", "nb", "ns", "s", "none", "mixed", "huge"]
    df = frame_from_series({"name": "m", "columns": columns, "values": values}, "ns")
    assert str(df["f"].dtype) == "float64"
    assert str(df["i"].dtype) == "int64"
    assert df["i"].tolist() == [big, -(2**63), 0]
    assert str(df["ni"].dtype) == "Int64"
    assert df["ni"].tolist() == [1, pd.NA, 2**62 + 1]
    assert str(df["b"].dtype) == "bool"
    assert str(df["nb"].dtype) == "boolean"
    assert df["nb"].isna().tolist() == [False, True, False]
    assert pd.api.types.is_string_dtype(df["s"].dtype)
    assert df["s"].tolist() == ["a", "b", "c"]
    assert pd.api.types.is_string_dtype(df["ns"].dtype)
    assert df["ns"].isna().tolist() == [False, True, False]
    assert str(df["none"].dtype) == "float64"
    assert df["none"].isna().all()
    assert df["mixed"].dtype == object
    assert df["mixed"].tolist() == [1, "x", None]
    assert df["huge"].dtype == object
    assert df["huge"].tolist() == [2**64, None, 1]


def test_floats_stay_floats_and_json_ints_among_floats_become_floats() -> None:
    df = frame_from_series({"columns": ["time", "a", "b", "c"],
                            "values": [[0, 1.0, 1, None], [1, 2.0, 2.5, 1.0]]}, "ns")
    assert df.dtypes.tolist() == [np.dtype("float64")] * 3
    assert df["a"].tolist() == [1.0, 2.0]
    assert df["b"].tolist() == [1.0, 2.5]
    assert math.isnan(df["c"].iloc[0])
    assert df["c"].iloc[1] == 1.0


def test_empty_series_gives_an_empty_frame_with_the_columns() -> None:
    df = frame_from_series({"name": "m", "tags": {"host": "a"}, "columns": ["time", "v", "w"]},
                           "ns")
    assert list(df.columns) == ["v", "w", "host"]
    assert len(df) == 0
    assert isinstance(df.index, pd.DatetimeIndex)
    assert str(df.index.tz) == "UTC"


def test_show_results_have_a_range_index() -> None:
    show = {"name": "measurements", "columns": ["name"], "values": [["cpu"], ["mem"]]}
    df = frames_from_results(result([show]), "ns")
    assert isinstance(df, pd.DataFrame)
    assert isinstance(df.index, pd.RangeIndex)
    assert df["name"].tolist() == ["cpu", "mem"]


def test_tags_do_not_replace_columns() -> None:
    df = frame_from_series({"name": "m", "tags": {"v": "tag", "t": "x"}, "columns": ["time", "v"],
                            "values": [[0, 1.5]]}, "ns")
    assert df["v"].tolist() == [1.5]
    assert df["t"].tolist() == ["x"]


def test_rows_of_the_wrong_width_are_refused() -> None:
    with pytest.raises(ValueError, match="rows of"):
        frame_from_series({"columns": ["time", "v"], "values": [[0, 1], [1]]}, "ns")


def test_decoding_what_was_encoded_round_trips() -> None:
    df = pd.DataFrame({"f": [0.1, 1e16, -0.0], "i": [1, 2**62, -3], "s": ["a", "b\"", "c"],
                       "b": [True, False, True]},
                      index=pd.DatetimeIndex(["2020-01-01 00:00:00.000000001", "1970-01-01",
                                              "1969-01-01"], tz="UTC"))
    values = []
    for line in encode(df):
        _, _, fields, when = parse_line(line)
        row: list[Any] = [when]
        for _, (kind, raw) in fields:
            if kind == "float":
                row.append(struct.unpack("<d", raw)[0])
            elif kind == "str":
                row.append(re.sub(r'\\(["\\])', r"\1", raw[1:-1]))
            elif kind == "bool":
                row.append(raw == "true")
            else:
                row.append(raw)
        values.append(row)
    back = frame_from_series({"columns": ["time", *df.columns], "values": values}, "ns")
    pd.testing.assert_frame_equal(back, df, check_freq=False)


def test_large_frames_are_joined_by_polars_when_it_is_installed() -> None:
    pytest.importorskip("polars")
    with mock.patch.object(_dataframe, "_polars", []):
        assert _LINE_MAKER(_dataframe._POLARS_FROM_ROWS) is _dataframe._PolarsLines
    with mock.patch.object(_dataframe, "_polars", [None]):  # polars not installed
        assert _LINE_MAKER(10**9) is _dataframe._ArrowLines


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_polars_float_text_reads_back_exactly(values: list[float]) -> None:
    pytest.importorskip("polars")
    df = pd.DataFrame({"f": values}, index=pd.date_range("2020", periods=len(values),
                                                         freq="s", tz="UTC"))
    with mock.patch.object(_dataframe, "_line_maker", return_value=_dataframe._PolarsLines):
        lines = encode(df)
    texts = [line.split(" ")[1].removeprefix("f=") for line in lines]
    assert [struct.pack("<d", float(text)) for text in texts] == [
        struct.pack("<d", value) for value in values]


def test_polars_is_imported_in_the_background_for_a_large_frame() -> None:
    pytest.importorskip("polars")
    script = textwrap.dedent("""
        import sys
        from unittest import mock
        import pandas as pd
        from influxkit._encode import pandas as D

        assert "polars" not in sys.modules
        assert D._line_maker(10) is D._ArrowLines  # small: not worth it
        assert "polars" not in sys.modules
        lines = D._line_maker(10**6)
        assert lines is D._ImportingLines  # pyarrow until polars is there
        D._polars_lookup[0].join()
        assert D._polars[0] is sys.modules["polars"]
        df = pd.DataFrame({"f": [1.0, 0.1]}, index=pd.to_datetime([1, 2], unit="s", utc=True))
        with mock.patch.object(D, "_line_maker", return_value=lines):
            print(b"|".join(D.iter_pandas_lines(df, "m", None, "s", {})).decode())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "m f=1.0 1\nm f=0.1 2"  # polars' text of 1.0


def test_tag_values_that_compare_equal_keep_their_own_text() -> None:
    # False == 0 == -0.0 and True == 1 == 1.0 to pandas, which factorized them into one
    # value and wrote every such row with the first one's text ("m,t=1" for True).
    values = np.array([1, 1.0, True, -0.0, 0.0, None, False, 0, 1], dtype=object)
    df = pd.DataFrame({"t": values, "v": range(len(values))},
                      index=pd.to_datetime(["2020-01-01"] * len(values)))
    points = [{"measurement": "m", "tags": {"t": value}, "fields": {"v": i},
               "time": 1_577_836_800_000_000_000} for i, value in enumerate(values)]
    for joiner in (None, "pyarrow"):
        if joiner == "pyarrow":
            with mock.patch.object(_dataframe, "_line_maker",
                                   return_value=_dataframe._ArrowLines):
                lines = serialize(df, "m", ["t"])
        else:
            lines = serialize(df, "m", ["t"])
        assert lines == serialize(points)
        assert [line.split(b" ")[0] for line in lines.split(b"\n")] == [
            b"m,t=1", b"m,t=1.0", b"m,t=True", b"m,t=-0.0", b"m,t=0.0", b"m", b"m,t=False",
            b"m,t=0", b"m,t=1"]
