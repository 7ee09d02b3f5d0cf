"""Line protocol encoding: escaping, every refusal, mixed inputs, extra tags, precision.

Pure tests, no server: what the server makes of these bytes is checked in
``tests/integration/test_roundtrip.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _refusals import assert_due, point_problems
from hypothesis import given
from hypothesis import strategies as st

from influxkit import LineProtocolError, serialize
from influxkit._core.time import NS_PER_UNIT, normalize_precision
from influxkit._encode.rules import (
    escape_key,
    escape_measurement,
    escape_tag_value,
    format_field,
    format_string,
    tag_fragment,
)
from influxkit._encode.serialize import iter_serialize

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
T_2009 = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z
EARLIEST_INT_NS = 365 * 86_400 * 10**9  # 1971-01-01: integer times start there
MAX_NS = 2**63 - 2


class Color(enum.Enum):
    RED = 1
    GREEN = 2


def point(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"measurement": "m", "fields": {"f": 1}}
    base.update(overrides)
    return base


GOOD = point()


# -- escaping tables ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("cpu", "cpu"),
        ("a b", r"a\ b"),
        ("a,b", r"a\,b"),
        # '=' and '"' mean nothing in a measurement name.
        ("a=b", "a=b"),
        ('a"b', 'a"b'),
        ("a'b", "a'b"),
        ("a\\b", "a\\b"),
        ("a\tb", "a\tb"),
        ("x#", "x#"),
        ("日本 😀", "日本\\ 😀"),
        (" ,", r"\ \,"),
    ],
)
def test_escape_measurement(name: str, escaped: str) -> None:
    assert escape_measurement(name) == escaped
    # A second call (served from the cache) gives the same answer.
    assert escape_measurement(name) == escaped


@pytest.mark.parametrize(
    ("key", "escaped"),
    [
        ("host", "host"),
        ("a b", r"a\ b"),
        ("a,b", r"a\,b"),
        ("a=b", r"a\=b"),
        ('a"b', 'a"b'),
        ("a\\b", "a\\b"),
        ("=, ", r"\=\,\ "),
        ("é😀", "é😀"),
    ],
)
def test_escape_key_and_tag_value(key: str, escaped: str) -> None:
    assert escape_key(key) == escaped
    assert escape_key(key, "tag key") == escaped
    assert escape_tag_value(key, "k") == escaped


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        (None, ""),
        ("", ""),
        (1, "1"),
        (1.5, "1.5"),
        (Decimal("2.50"), "2.50"),
        (np.int64(7), "7"),
        (Color.RED, "RED"),
    ],
)
def test_escape_tag_value_of_other_types(value: Any, escaped: str) -> None:
    assert escape_tag_value(value, "k") == escaped


@pytest.mark.parametrize("value", [[1], {"a": 1}, object(), b"bytes"])
def test_tag_value_of_unsupported_type_is_refused(value: Any) -> None:
    with pytest.raises(LineProtocolError, match="tag 'k'") as info:
        escape_tag_value(value, "k")
    assert info.value.field == "k"
    assert info.value.value is value


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("", '""'),
        ("plain", '"plain"'),
        ('a"b', r'"a\"b"'),
        ("a\\b", r'"a\\b"'),
        ("a\\", r'"a\\"'),
        ('\\"', r'"\\\""'),
        # Newlines, tabs, commas, spaces and equals signs need nothing inside quotes.
        ("a\nb\r\t ,=", '"a\nb\r\t ,="'),
        ("😀", '"😀"'),
    ],
)
def test_format_string(text: str, quoted: str) -> None:
    assert format_string(text) == quoted


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0i"),
        (-5, "-5i"),
        (INT64_MAX, f"{INT64_MAX}i"),
        (INT64_MIN, f"{INT64_MIN}i"),
        (1.0, "1.0"),
        (-0.0, "-0.0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.1, "0.1"),
        ("s", '"s"'),
        (None, None),
        (Decimal("1.25"), "1.25"),
        (Color.GREEN, '"GREEN"'),
        (np.int64(3), "3i"),
        (np.int8(-3), "-3i"),
        (np.uint32(3), "3i"),
        (np.float64(0.5), "0.5"),
        (np.float32(0.5), "0.5"),
        (np.bool_(True), "true"),
        (np.bool_(False), "false"),
        (np.str_("x"), '"x"'),
        (pd.NA, None),
        (pd.NaT, None),
    ],
)
def test_format_field(value: Any, text: str | None) -> None:
    assert format_field(value, "f") == text


def test_float32_is_written_as_the_exact_float64_of_its_value() -> None:
    value = np.float32(0.1)
    assert float(format_field(value, "f") or "nan") == float(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_floats_are_written_exactly(value: float) -> None:
    text = format_field(value, "f")
    assert text is not None
    assert not text.endswith("i")
    parsed = float(text)
    assert parsed == value
    assert math.copysign(1, parsed) == math.copysign(1, value)


@given(st.integers(INT64_MIN, INT64_MAX))
def test_int64_is_written_exactly(value: int) -> None:
    assert format_field(value, "f") == f"{value}i"


@given(st.text())
def test_string_fields_unquote_back(text: str) -> None:
    quoted = format_string(text)
    assert quoted[0] == quoted[-1] == '"'
    inner = quoted[1:-1]
    # The server's reading: \\ is a backslash, \" a quote, anything else is itself.
    out, i = [], 0
    while i < len(inner):
        if inner[i] == "\\" and i + 1 < len(inner) and inner[i + 1] in '\\"':
            out.append(inner[i + 1])
            i += 2
        else:
            assert inner[i] != '"', "unescaped quote inside a string field"
            out.append(inner[i])
            i += 1
    assert "".join(out) == text


def test_tag_fragment() -> None:
    assert tag_fragment(None) == ""
    assert tag_fragment({}) == ""
    assert tag_fragment({"a": "1", "b c": "x=y", "gone": None, "empty": ""}) == (
        r",a=1,b\ c=x\=y"
    )


# -- serialize: shapes of input ------------------------------------------------------------


def test_serialize_docstring_example() -> None:
    data = {"measurement": "cpu", "tags": {"host": "a b"},
            "fields": {"load": 0.5, "n": 3}, "time": 1257894000}
    assert serialize(data, precision="s") == b"cpu,host=a\\ b load=0.5,n=3i 1257894000"


def test_serialize_point_without_time_has_no_timestamp() -> None:
    assert serialize(point()) == b"m f=1i"


def test_serialize_keeps_tag_and_field_order() -> None:
    data = point(tags={"z": "1", "a": "2"}, fields={"y": 1.5, "b": True, "s": "x"},
                 time=T_2009)
    assert serialize(data) == f'm,z=1,a=2 y=1.5,b=true,s="x" {T_2009}'.encode()


def test_none_fields_and_empty_tags_are_left_out() -> None:
    data = point(tags={"a": None, "b": "", "c": "x"}, fields={"f": None, "g": 2})
    assert serialize(data) == b"m,c=x g=2i"


def test_measurement_argument_is_the_default() -> None:
    assert serialize({"fields": {"f": 1}}, measurement="d") == b"d f=1i"
    assert serialize(point(), measurement="d") == b"m f=1i"


def test_enum_measurement_and_keys_use_the_name() -> None:
    data = {"measurement": Color.RED, "tags": {"c": Color.GREEN}, "fields": {"f": Color.RED}}
    assert serialize(data) == b'RED,c=GREEN f="RED"'


class Unit(str, enum.Enum):
    CELSIUS = "°C"


def test_str_enum_is_written_by_name_everywhere() -> None:
    data = {"measurement": Unit.CELSIUS, "tags": {Unit.CELSIUS: Unit.CELSIUS},
            "fields": {Unit.CELSIUS: Unit.CELSIUS}}
    assert serialize(data) == b'CELSIUS,CELSIUS=CELSIUS CELSIUS="CELSIUS"'


def test_serialize_mixed_iterable() -> None:
    def generate() -> Any:
        yield {"measurement": "g", "fields": {"i": 1}}
        yield "raw2 f=2i"
        yield {"measurement": "g", "fields": {"i": 3}}

    data = [
        {"measurement": "d", "fields": {"f": 0.5}, "time": T_2009},
        "raw f=1i 11\n",
        b"bytes f=2i 12",
        bytearray(b"ba f=3i"),
        generate(),
        ({"measurement": "t", "fields": {"x": "y"}} for _ in range(2)),
        [["nested f=4i"]],
        "",
        b"\n",
    ]
    assert serialize(data).split(b"\n") == [
        f"d f=0.5 {T_2009}".encode(),
        b"raw f=1i 11",
        b"bytes f=2i 12",
        b"ba f=3i",
        b"g i=1i",
        b"raw2 f=2i",
        b"g i=3i",
        b't x="y"',
        b't x="y"',
        b"nested f=4i",
    ]


def test_raw_multiline_string_passes_through() -> None:
    assert serialize("a f=1i\nb f=2i\n") == b"a f=1i\nb f=2i"


def test_empty_inputs_give_empty_bytes() -> None:
    assert serialize([]) == b""
    assert serialize(iter(())) == b""
    assert serialize("") == b""


def test_object_with_to_lineprotocol() -> None:
    class Legacy:
        def to_lineprotocol(self) -> str:
            return "legacy f=1i"

    assert serialize([Legacy(), point()]) == b"legacy f=1i\nm f=1i"


def test_iter_serialize_joined_is_serialize() -> None:
    data = [point(time=T_2009 + i) for i in range(12_000)] + ["raw f=1i"]
    blocks = list(iter_serialize(data))
    assert len(blocks) > 1
    assert b"\n".join(blocks) == serialize(data)
    assert all(not block.endswith(b"\n") for block in blocks)


# -- extra tags ----------------------------------------------------------------------------


def test_extra_tags_are_added_to_every_point() -> None:
    data = [point(), point(tags={"x": "1"})]
    assert serialize(data, host="h 1") == b"m,host=h\\ 1 f=1i\nm,host=h\\ 1,x=1 f=1i"


def test_a_points_own_tags_win_over_extra_tags() -> None:
    data = point(tags={"host": "own"})
    assert serialize(data, host="extra", dc="x") == b"m,host=own,dc=x f=1i"


def test_empty_extra_tags_are_left_out() -> None:
    assert serialize(point(), a=None, b="") == b"m f=1i"


@pytest.mark.parametrize("raw", ["raw f=1i", b"raw f=1i"])
def test_extra_tags_on_raw_lines_are_refused(raw: str | bytes) -> None:
    with pytest.raises(LineProtocolError, match="point 1") as info:
        serialize([point(), raw], host="a")
    assert info.value.index == 1
    assert info.value.value == raw


def test_bad_extra_tags_are_refused_even_without_points() -> None:
    with pytest.raises(LineProtocolError, match="newline"):
        serialize([], host="a\nb")
    with pytest.raises(LineProtocolError, match="'time'"):
        serialize(point(), time="x")


# -- refusals -------------------------------------------------------------------------------


BAD_NAMES = {
    "newline": "a\nb",
    "trailing backslash": "ab\\",
    "only a backslash": "\\",
    "empty": "",
}


def assert_refused(bad: dict[str, Any], shown: str | None, *, position: int = 2,
                   precision: str | None = None) -> LineProtocolError:
    """``bad`` is refused at ``position`` of a list, naming the point and the value."""
    data = [point(time=T_2009 // NS_PER_UNIT[normalize_precision(precision)]), "raw f=1i"]
    data.insert(position, bad)
    data.append(point())
    with pytest.raises(LineProtocolError) as info:
        serialize(data, precision=precision)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.index == position
    assert f"point {position}" in str(error)
    if shown is not None:
        assert shown in str(error), str(error)
    return error


@pytest.mark.parametrize("bad", ["a\nb", "ab\\", "\\", "#comment", "#"])
def test_bad_measurement_is_refused(bad: str) -> None:
    error = assert_refused(point(measurement=bad), repr(bad))
    assert error.field == "measurement"
    assert error.value == bad


@pytest.mark.parametrize("bad", ["a\\ b", "a\\,b", "a\\=b", "x\\\\ y"])
def test_measurement_with_backslash_before_space_comma_equals_is_refused(bad: str) -> None:
    # influxd 1.6 stores such names so that they cannot be queried back.
    error = assert_refused(point(measurement=bad), repr(bad))
    assert error.field == "measurement"


def test_empty_measurement_is_refused() -> None:
    error = assert_refused({"measurement": "", "fields": {"f": 1}}, None)
    assert "measurement" in str(error)
    error = assert_refused({"fields": {"f": 1}}, None, position=0)
    assert "measurement" in str(error)


@pytest.mark.parametrize("bad", [*BAD_NAMES.values(), "time"])
def test_bad_tag_key_is_refused(bad: str) -> None:
    error = assert_refused(point(tags={bad: "v"}), repr(bad) if bad else None)
    assert error.value == bad


@pytest.mark.parametrize("bad", ["a\nb", "ab\\", "\\", "\n"])
def test_bad_tag_value_is_refused(bad: str) -> None:
    error = assert_refused(point(tags={"k": bad}), repr(bad))
    assert error.field == "k"
    assert error.value == bad


@pytest.mark.parametrize("bad", [*BAD_NAMES.values(), "time"])
def test_bad_field_key_is_refused(bad: str) -> None:
    error = assert_refused(point(fields={"ok": 1, bad: 2}), repr(bad) if bad else None)
    assert error.value == bad


SELECT_VARIABLES = ["_name", "_tagKey", "_tagValue", "_fieldKey", "_seriesKey"]
SYSTEM_SOURCES = ["_name", "_series", "_measurements", "_tags", "_tagKeys", "_fieldKeys",
                  "_tagKey"]


@pytest.mark.parametrize("name", SELECT_VARIABLES)
def test_a_field_key_influxql_reads_as_its_variable_is_refused(name: str) -> None:
    # influxd 1.6.7 stores the field, but SELECT gives the measurement, the series key,
    # a tag or field key, or nothing in its place.
    error = assert_refused(point(fields={"ok": 1, name: 2}), repr(name))
    assert (error.field, error.value) == ("field key", name)
    assert "InfluxQL" in str(error)
    # As a tag key it reads back: written, even after the name was seen as a field key
    # (the escaping cache is shared).
    assert serialize(point(tags={name: "v"})) == f"m,{name}=v f=1i".encode()
    with pytest.raises(LineProtocolError):
        serialize([point(tags={name: "v"})] * 3 + [point(fields={name: 1})])
    for similar in (name.upper(), name + "s", name[1:]):
        assert serialize(point(fields={similar: 1})) == f"m {similar}=1i".encode()


@pytest.mark.parametrize("name", SYSTEM_SOURCES)
def test_a_measurement_named_like_an_influxql_system_source_is_refused(name: str) -> None:
    # influxd 1.6.7 stores the points, but refuses to SELECT from a system source.
    error = assert_refused(point(measurement=name), repr(name))
    assert (error.field, error.value) == ("measurement", name)
    assert "system source" in str(error)
    assert serialize(point(tags={name: "v"}, fields={"f": 1})) == f"m,{name}=v f=1i".encode()
    assert serialize(point(measurement=name.upper())) == f"{name.upper()} f=1i".encode()


@pytest.mark.parametrize(
    "bad",
    [math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf"), np.float16("-inf"),
     Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")],
    ids=repr,
)
def test_non_finite_float_is_refused(bad: Any) -> None:
    error = assert_refused(point(fields={"f": bad}), "'f'")
    assert error.field == "f"
    assert error.value is bad or error.value == bad or math.isnan(error.value)
    assert repr(bad) in str(error) or str(float(bad)) in str(error)


@pytest.mark.parametrize("bad", [Decimal("1E+400"), Decimal("-2E+308")], ids=repr)
def test_decimal_beyond_float64_is_refused(bad: Decimal) -> None:
    error = assert_refused(point(fields={"f": bad}), repr(bad))
    assert error.field == "f"


@pytest.mark.parametrize(
    "bad",
    [Decimal(2**53 + 1), Decimal("12345678901234567890"), Decimal("0.1000000000000000000001"),
     Decimal("1E-400"), Decimal("-1.00000000000000001")],
    ids=repr,
)
def test_a_decimal_that_a_float_cannot_hold_is_refused(bad: Decimal) -> None:
    # A Decimal is a float field: one whose float shows another number would be stored
    # rounded (an integer beyond 2**53 among them).
    error = assert_refused(point(fields={"f": bad}), repr(bad))
    assert error.field == "f"
    assert error.value is bad
    assert "float64" in str(error)


@pytest.mark.parametrize(
    ("value", "number"),
    [(Decimal("0.1"), 0.1), (Decimal("1.10"), 1.1), (Decimal(2**53), 2.0**53),
     (Decimal("-0"), -0.0), (Decimal("1E+2"), 100.0), (Decimal("2.5E-308"), 2.5e-308)],
    ids=repr,
)
def test_a_decimal_is_written_as_the_float_that_shows_it(value: Decimal, number: float) -> None:
    text = format_field(value, "f")
    assert text is not None
    assert float(text) == number
    assert math.copysign(1, float(text)) == math.copysign(1, number)
    assert serialize(point(fields={"f": value})) == serialize(point(fields={"f": number}))


@pytest.mark.parametrize(
    "bad", [INT64_MAX + 1, INT64_MIN - 1, 2**100, np.uint64(2**64 - 1)], ids=repr
)
def test_integer_outside_int64_is_refused(bad: Any) -> None:
    error = assert_refused(point(fields={"f": bad}), str(int(bad)))
    assert error.field == "f"
    assert "64-bit" in str(error)


@pytest.mark.parametrize(
    "fields", [{}, {"f": None}, {"f": None, "g": pd.NA}], ids=["empty", "none", "missing"]
)
def test_point_without_fields_is_refused(fields: dict[str, Any]) -> None:
    error = assert_refused(point(fields=fields), "no fields")
    assert error.field == "fields"


def test_point_without_fields_key_is_refused() -> None:
    assert_refused({"measurement": "m"}, "'fields'")


@pytest.mark.parametrize("bad", [[1], {"a": 1}, object(), b"x", dt.timedelta(1)], ids=repr)
def test_field_of_unsupported_type_is_refused(bad: Any) -> None:
    error = assert_refused(point(fields={"f": bad}), "'f'")
    assert error.value is bad


def test_unsupported_item_is_refused_with_its_index() -> None:
    with pytest.raises(LineProtocolError, match="point 1") as info:
        serialize([point(), 3.5])
    assert info.value.index == 1


@pytest.mark.parametrize(
    "bad", [2**70, "not a time", dt.time(1, 2), 1.5, True, pd.NaT, np.datetime64("NaT")],
    ids=repr,
)
def test_bad_time_is_refused(bad: Any) -> None:
    error = assert_refused(point(time=bad), None)
    assert error.field == "time"


def test_time_out_of_range_is_refused() -> None:
    assert_refused(point(time=dt.datetime(1600, 1, 1)), "outside the range")
    assert_refused(point(time=dt.datetime(2300, 1, 1)), "outside the range")
    assert_refused(point(time=9_223_372_036_854_775_807), "outside the range")


def test_error_index_counts_across_nested_iterables() -> None:
    def generate() -> Any:
        yield point()
        yield point()

    bad = point(fields={"f": math.nan})
    with pytest.raises(LineProtocolError) as info:
        serialize([point(), "raw f=1i", b"raw f=2i", generate(), [point(), bad]])
    assert info.value.index == 6
    assert info.value.point is bad
    assert "point 6" in str(info.value)


def test_single_point_is_point_0() -> None:
    with pytest.raises(LineProtocolError, match="point 0") as info:
        serialize(point(fields={"f": math.inf}))
    assert info.value.index == 0


@pytest.mark.parametrize(
    "bad",
    [point(measurement="\ud800"), point(tags={"k": "\udfff"}), point(fields={"\ud800": 1}),
     point(fields={"f": "a\ud800"})],
    ids=["measurement", "tag", "field key", "string value"],
)
def test_unencodable_text_is_a_line_protocol_error(bad: dict[str, Any]) -> None:
    with pytest.raises(LineProtocolError) as info:
        serialize([point(), bad])
    assert info.value.index == 1


@pytest.mark.parametrize(
    ("bad", "field", "value"),
    [
        (point(measurement="a b\ud800"), "measurement", "\ud800"),
        (point(tags={"k x": "v\udfff\udfff"}), "k x", "\udfff\udfff"),
        (point(tags={"k,\ud800": "v"}), "tag key", "\ud800"),
        (point(fields={"a=\ud800": 1}), "field key", "\ud800"),
        (point(fields={"f": 1, "g h": 'a "q" b\ud800'}), "g h", "\ud800"),
        (point(fields={"f": 1, "e": Color.RED, "g": "x\udc80y"}), "g", "\udc80"),
    ],
    ids=["measurement", "tag value", "tag key", "field key", "string", "string after enum"],
)
def test_a_lone_surrogate_is_refused_naming_its_field(bad: dict[str, Any], field: str,
                                                      value: str) -> None:
    error = assert_refused(bad, None)
    assert error.field == field
    assert error.value == value
    assert "lone surrogate" in str(error)


# -- time and precision --------------------------------------------------------------------


UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (31_536_000_000_000_000, 31_536_000_000_000_000),  # 1971-01-01, the first integer
        (1_500_000_000_123_456_789, 1_500_000_000_123_456_789),
        (np.int64(T_2009 + 42), T_2009 + 42),
        (dt.datetime(1970, 1, 1), 0),
        (np.datetime64(42, "ns"), 42),
        (dt.datetime(2009, 11, 10, 23, 0, 0, 123456), 1257894000_123456000),
        (dt.datetime(2009, 11, 10, 23, 0, 0, 123456, tzinfo=UTC), 1257894000_123456000),
        (dt.datetime(2009, 11, 11, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1, minutes=30))),
         1257894000_000000000),
        (dt.date(2009, 11, 10), 1257811200_000000000),
        ("2009-11-10T23:00:00.000000001Z", 1257894000_000000001),
        (pd.Timestamp("2009-11-10 23:00:00.000000001"), 1257894000_000000001),
        (pd.Timestamp("2009-11-11 00:00:00.000000001", tz="Europe/Paris"),
         1257894000_000000001),
        (np.datetime64("2009-11-10T23:00:00.000000001"), 1257894000_000000001),
        (dt.datetime(1969, 12, 31, 23, 59, 59, 999999), -1000),
    ],
    ids=repr,
)
def test_serialize_times(when: Any, expected: int) -> None:
    assert serialize(point(time=when)) == f"m f=1i {expected}".encode()


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        (None, 1257894000_000000000),
        ("ns", 1257894000_000000000),
        ("n", 1257894000_000000000),
        ("u", 1257894000_000000),
        ("us", 1257894000_000000),
        ("µ", 1257894000_000000),
        ("μ", 1257894000_000000),
        ("ms", 1257894000_000),
        ("s", 1257894000),
        ("m", 20964900),
        ("h", 349415),
    ],
)
def test_datetimes_are_converted_exactly_to_the_precision(
        precision: str | None, expected: int) -> None:
    when = dt.datetime(2009, 11, 10, 23, 0)
    assert serialize(point(time=when), precision=precision) == f"m f=1i {expected}".encode()
    # Integers are already in the precision.
    assert serialize(point(time=expected), precision=precision) == (
        f"m f=1i {expected}".encode())


@pytest.mark.parametrize(
    ("when", "precision"),
    [
        (dt.datetime(2009, 11, 10, 23, 0, 0, 1), "ms"),
        (dt.datetime(2009, 11, 10, 23, 0, 1), "m"),
        (dt.datetime(2009, 11, 10, 23, 1), "h"),
        (pd.Timestamp("2009-11-10 23:00:00.000000001"), "u"),
        ("2009-11-10T23:00:00.5Z", "s"),
    ],
    ids=repr,
)
def test_datetime_finer_than_precision_is_refused(when: Any, precision: str) -> None:
    with pytest.raises(LineProtocolError, match="not a whole number") as info:
        serialize([point(), point(time=when)], precision=precision)
    assert info.value.index == 1
    assert info.value.field == "time"


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown precision"):
        serialize(point(), precision="x")
    with pytest.raises(ValueError, match="unknown precision"):
        serialize(point(), precision="nanoseconds")


def test_integer_time_out_of_range_for_its_precision() -> None:
    assert serialize(point(time=2_562_047), precision="h")  # 2262-04-11
    with pytest.raises(LineProtocolError, match="outside the range"):
        serialize(point(time=2_562_048), precision="h")


@pytest.mark.parametrize("precision", [None, "u", "ms"])
def test_an_integer_time_in_the_wrong_unit_is_refused(precision: str | None) -> None:
    # time.time() written with a finer precision would land in January 1970.
    error = assert_refused(point(time=1_700_000_000), "1700000000", precision=precision)
    assert error.field == "time"
    assert "it looks like seconds: pass precision='s'" in str(error)
    assert serialize(point(time=1_700_000_000), precision="s") == b"m f=1i 1700000000"


@pytest.mark.parametrize("when", [0, 5, -1, np.int64(1_700_000_000), 31_535_999_999_999_999],
                         ids=repr)
def test_integer_times_before_1971_are_refused(when: Any) -> None:
    error = assert_refused(point(time=when), None)
    assert error.field == "time"
    assert "before 1971" in str(error)


def test_repeated_dicts_refuse_an_integer_time_before_1971() -> None:
    # Dicts of one shape are encoded by a generated function: its guard has the rule too.
    for precision, good, early in (("ns", T_2009, 1_700_000_000), ("s", 31_536_000, 31_535_999),
                                   ("h", 8_760, 8_759)):
        points = [point(fields={"f": 1.5}, time=good + i) for i in range(3)]
        assert serialize(points, precision=precision).split(b"\n")[2] == (
            f"m f=1.5 {good + 2}".encode())
        with pytest.raises(LineProtocolError, match="before 1971") as info:
            serialize([*points, point(fields={"f": 2.5}, time=early)], precision=precision)
        assert info.value.index == 3
        assert info.value.field == "time"


def test_datetimes_before_1971_are_written() -> None:
    moon = dt.datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)
    assert serialize(point(time=moon), precision="s") == b"m f=1i -14182940"
    assert serialize(point(time="1970-01-01T00:00:01.7Z")) == b"m f=1i 1700000000"
    assert serialize([point(time=pd.Timestamp(5, unit="ns"))] * 3) == b"m f=1i 5\n" * 2 + (
        b"m f=1i 5")


# -- generated encoders for repeated dict shapes -------------------------------------------
#
# A list of dicts is encoded by functions generated per shape; each must agree exactly
# with the general encoder, point by point, whatever follows what.

_NAMES = st.sampled_from(["m", "cpu load", "a,b", "日本", "m2"])
_KEYS = st.sampled_from(["k", "host", "a b", "x=y", "é"])
_TAG_VALUES = st.one_of(
    st.sampled_from(["a", "b c", "d,e=f", "", "日本"]), st.none(), st.integers(-5, 5),
    st.text(max_size=4),
)
_FIELD_VALUES = st.one_of(
    st.floats(), st.integers(INT64_MIN - 2, INT64_MAX + 2), st.booleans(),
    st.text(max_size=4), st.none(), st.sampled_from([Color.RED, Decimal("1.5"), np.int64(3)]),
)


def _times(precision: str) -> st.SearchStrategy[Any]:
    """Integer times in the range written (1971 to 2262 in ``precision``) and around its
    edges; earlier times as datetimes, which carry their unit."""
    unit = NS_PER_UNIT[precision]
    first, last = -(-EARLIEST_INT_NS // unit), MAX_NS // unit
    return st.one_of(
        st.none(), st.integers(first, last),
        st.sampled_from([first - 1, first, last, last + 1, 0, -1, -(2**63), 2**63]),
        st.sampled_from([dt.datetime(2020, 1, 1, 0, 0, 1), dt.datetime(1969, 7, 20, 20),
                         dt.datetime(1900, 1, 1), dt.datetime(1970, 1, 1, 0, 0, 0, 1)]),
    )


@st.composite
def _points_of_few_shapes(draw: st.DrawFn, precision: str) -> list[dict[str, Any]]:
    shapes = draw(st.lists(
        st.tuples(_NAMES, st.lists(_KEYS, max_size=3, unique=True),
                  st.lists(_KEYS, min_size=1, max_size=3, unique=True), st.booleans()),
        min_size=1, max_size=3,
    ))
    points = []
    for _ in range(draw(st.integers(1, 12))):
        name, tag_keys, field_keys, named = draw(st.sampled_from(shapes))
        point: dict[str, Any] = {}
        if named:
            point["measurement"] = name
        if tag_keys:
            point["tags"] = {key: draw(_TAG_VALUES) for key in tag_keys}
        point["fields"] = {key: draw(_FIELD_VALUES) for key in field_keys}
        point["time"] = draw(_times(precision))
        points.append(point)
    return points


def _one_by_one(points: list[dict[str, Any]], precision: str) -> bytes | tuple[int, str]:
    lines = []
    for index, each in enumerate(points):
        # The general encoder is the oracle of the generated ones; the documented rules
        # are its own, so that both cannot agree on a refusal that was not due.
        problems = point_problems(each, precision, measurement="default")
        try:
            lines.append(serialize(each, measurement="default", precision=precision))
        except LineProtocolError as exc:
            assert_due(exc, problems)
            return index, str(exc).replace("point 0", f"point {index}", 1)
        assert not problems, f"point {index} accepted, though the rules refuse {problems}"
    return b"\n".join(lines)


@given(st.sampled_from(["ns", "u", "s", "h"]).flatmap(
    lambda precision: st.tuples(_points_of_few_shapes(precision), st.just(precision))))
def test_points_of_repeated_shapes_encode_like_single_points(
    case: tuple[list[dict[str, Any]], str],
) -> None:
    points, precision = case
    expected = _one_by_one(points, precision)
    for _ in range(2):  # the second pass runs on encoders the first one generated
        try:
            got: bytes | LineProtocolError = serialize(points, measurement="default",
                                                       precision=precision)
        except LineProtocolError as exc:
            got = exc
        if isinstance(expected, tuple):
            assert isinstance(got, LineProtocolError)
            assert (got.index, str(got)) == expected
        else:
            assert got == expected


def test_a_str_enum_key_equal_to_a_known_key_is_still_written_by_name() -> None:
    class Key(str, enum.Enum):
        HOST = "host"

    plain = point(tags={"host": "host"}, fields={"host": 1.5})
    enums = point(tags={Key.HOST: "host"}, fields={Key.HOST: 1.5})
    assert serialize([plain, plain, plain, enums]).split(b"\n")[3] == b"m,HOST=host HOST=1.5"
    values = point(tags={"host": Key.HOST}, fields={"host": 1.5})
    assert serialize([plain, plain, plain, values]).split(b"\n")[3] == b"m,host=HOST host=1.5"
    named = point(measurement=Unit.CELSIUS, fields={"f": 1.5})
    assert serialize([point(measurement="°C", fields={"f": 1.5})] * 3 + [named]
                     ).split(b"\n")[3] == b"CELSIUS f=1.5"


def test_a_shape_change_in_the_middle_of_a_list_is_encoded_and_checked() -> None:
    t = T_2009
    points = [point(fields={"f": 1.5}, time=t + i) for i in range(3)]
    points += [point(fields={"f": 2}), point(fields={"f": 1.5, "g": True}, time=t + 3),
               point(tags={"t": "x y"}, fields={"f": 1.5}, time=t + 4),
               point(fields={"f": 1.5}, time=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))]
    assert serialize(points).split(b"\n") == [
        f"m f=1.5 {t}".encode(), f"m f=1.5 {t + 1}".encode(), f"m f=1.5 {t + 2}".encode(),
        b"m f=2i", f"m f=1.5,g=true {t + 3}".encode(), f"m,t=x\\ y f=1.5 {t + 4}".encode(),
        b"m f=1.5 1577836800000000000",
    ]
    with pytest.raises(LineProtocolError, match="NaN") as info:
        serialize([*points, point(fields={"f": math.nan}, time=t + 5)])
    assert info.value.index == len(points)


def test_series_helper_times_go_through_the_same_rule() -> None:
    from typing import ClassVar

    from influxkit import SeriesHelper

    class Cpu(SeriesHelper):
        class Meta:
            series_name = "cpu"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["host"]

    with pytest.raises(LineProtocolError, match="it looks like seconds") as info:
        Cpu(host="a", v=1, time=1_700_000_000)
    assert info.value.field == "time"
    Cpu(host="a", v=1, time=1_700_000_000 * 10**9)
    Cpu(host="a", v=2, time=dt.datetime(1969, 7, 20, tzinfo=UTC))
    assert [point["fields"]["v"] for point in Cpu._json_body_()] == [1, 2]
    assert Cpu._reset_() == 2


# -- other clients' option names are not tags ---------------------------------------------


@pytest.mark.parametrize(("name", "instead"), [
    ("time_precision", "precision="), ("database", "db="), ("retention_policy", "rp="),
    ("params", "db=, rp= and precision="), ("record", "the data as the first argument"),
    ("write_precision", "precision="), ("data_frame_measurement_name", "measurement="),
    ("data_frame_tag_columns", "tag_columns="), ("consistency", "nothing"),
    ("protocol", "nothing"), ("timestamp", "the time in the point"),
])
def test_another_clients_option_is_never_a_tag(name: str, instead: str) -> None:
    point = {"measurement": "m", "fields": {"v": 1.0}}
    with pytest.raises(TypeError, match=f"^{name}= is .*'s option, not a tag") as caught:
        serialize(point, **{name: "x"})
    assert instead in str(caught.value)
    assert "influxkit.compat." in str(caught.value)


def test_other_extra_tags_still_are_tags() -> None:
    # aioinflux documents any other keyword as a tag added to every point.
    point = {"measurement": "m", "fields": {"v": 1.0}}
    assert serialize(point, host="a", region="eu") == b"m,host=a,region=eu v=1.0"
