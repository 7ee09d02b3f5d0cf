"""The point builder: Point and Measurement, encoded by the one encoder.

Pure tests, no server: what the server stores is checked in
``tests/integration/test_writing.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _refusals import SELECT_VARIABLES, SYSTEM_SOURCES
from hypothesis import given
from hypothesis import strategies as st

from influxkit import LineProtocolError, Measurement, Point, serialize
from influxkit._core.time import MAX_NS, NS_PER_UNIT
from influxkit._encode.point import measurement_point

S = 1_257_894_000  # 2009-11-10T23:00:00Z, in seconds
EARLIEST_NS = 365 * 86_400 * 10**9  # 1971-01-01: integer times start there

# -- building and encoding -------------------------------------------------------------


def test_builder_chains_and_encodes() -> None:
    point = (Point("cpu").tag("host", "server 01").tag("region", "us-west")
             .field("load", 0.64).field("cores", 8).field("ok", True).field("note", 'a "b"')
             .time(1257894000, "s"))
    assert point.to_line_protocol() == (
        'cpu,host=server\\ 01,region=us-west load=0.64,cores=8i,ok=true,note="a \\"b\\"" '
        "1257894000")
    assert serialize(point) == b"cpu,host=server\\ 01,region=us-west " \
        b'load=0.64,cores=8i,ok=true,note="a \\"b\\"" 1257894000000000000'


def test_measurement_classmethod_is_the_constructor() -> None:
    assert Point.measurement("cpu").field("v", 1) == Point("cpu").field("v", 1)
    assert type(Measurement.measurement("cpu")) is Measurement


def test_a_tag_or_field_given_twice_keeps_its_place_and_last_value() -> None:
    point = Point("m").tag("a", "1").tag("b", "2").tag("a", "3").field("x", 1).field("y", 2)
    point.field("x", 3.5)
    assert point.to_line_protocol() == "m,a=3,b=2 x=3.5,y=2i"


def test_none_and_empty_values_are_left_out_as_in_a_mapping() -> None:
    point = Point("m").tag("a", None).tag("b", "").tag("c", "x").field("f", None).field("g", 1)
    assert point.to_line_protocol() == "m,c=x g=1i"
    mapping = {"measurement": "m", "tags": {"a": None, "b": "", "c": "x"},
               "fields": {"f": None, "g": 1}}
    assert serialize(point) == serialize(mapping)


def test_numbers_decimals_and_numpy_values() -> None:
    point = (Point("m").tag("n", 5).field("d", Decimal("1.10")).field("i", np.int32(7))
             .field("f", np.float32(0.5)).field("b", np.bool_(False)))
    assert point.to_line_protocol() == "m,n=5 d=1.1,i=7i,f=0.5,b=false"


def test_a_point_without_time_gets_the_servers() -> None:
    assert Point("m").field("v", 1).to_line_protocol() == "m v=1i"
    assert Point("m").field("v", 1).time(S, "s").time(None).to_line_protocol() == "m v=1i"


# -- time and precision -----------------------------------------------------------------


def test_time_defaults_to_nanoseconds() -> None:
    point = Point("m").field("v", 1).time(S * 10**9 + 123)
    assert point.write_precision == "ns"
    assert serialize(point) == f"m v=1i {S * 10**9 + 123}".encode()


@pytest.mark.parametrize(("precision", "written"), [
    ("ns", S * 10**9), ("u", S * 10**6), ("ms", S * 10**3),
])
def test_a_coarser_point_time_is_converted_exactly(precision: str, written: int) -> None:
    point = Point("m").field("v", 1).time(S, "s")
    assert serialize(point, precision=precision) == f"m v=1i {written}".encode()
    assert point.to_line_protocol(precision) == f"m v=1i {written}"


def test_a_finer_point_time_is_converted_when_whole_and_refused_otherwise() -> None:
    whole = Point("m").field("v", 1).time(S * 1000, "ms")
    assert serialize(whole, precision="s") == f"m v=1i {S}".encode()
    assert serialize(Point("m").field("v", 1).time(S, "s"), precision="m") == (
        f"m v=1i {S // 60}".encode())
    part = Point("m").field("v", 1).time(S * 1000 + 500, "ms")
    with pytest.raises(LineProtocolError, match="not a whole number of seconds") as caught:
        serialize([whole, part], precision="s")
    assert caught.value.index == 1
    assert caught.value.field == "time"
    assert "Point('m')" in str(caught.value)


def test_datetimes_are_exact_in_the_points_precision() -> None:
    moment = dt.datetime(2009, 11, 10, 23, 0, 0, 123456, tzinfo=dt.timezone.utc)
    point = Point("m").field("v", 1).time(moment)
    assert point.write_precision == "ns"
    assert point.to_line_protocol() == "m v=1i 1257894000123456000"
    assert point.to_line_protocol("u") == "m v=1i 1257894000123456"
    with pytest.raises(LineProtocolError, match="whole number"):
        point.to_line_protocol("ms")


def test_a_time_finer_than_the_given_precision_is_refused_not_truncated() -> None:
    moment = dt.datetime(2020, 1, 1, 0, 0, 0, 5)
    with pytest.raises(LineProtocolError, match="not a whole number of seconds") as caught:
        Point("m").field("v", 1).time(moment, "s")
    assert caught.value.field == "time"
    assert "Point('m').field('v', 1)" in str(caught.value)
    assert Point("m").field("v", 1).time(moment.replace(microsecond=0), "s") \
        .to_line_protocol() == "m v=1i 1577836800"


@pytest.mark.parametrize(("value", "expected"), [
    ("2009-11-10T23:00:00.123456789Z", 1257894000123456789),
    (pd.Timestamp("2009-11-10T23:00:00.000000001Z"), 1257894000000000001),
    (np.datetime64("2009-11-10T23:00:00.5"), 1257894000500000000),
    (dt.date(2009, 11, 10), 1257811200000000000),
    (1.257894e18, 1_257_894_000_000_000_000),
    (np.int64(S * 10**9 + 42), S * 10**9 + 42),
])
def test_other_time_values(value: Any, expected: int) -> None:
    assert Point("m").field("v", 1).time(value).to_line_protocol() == f"m v=1i {expected}"


@pytest.mark.parametrize("value", [1.5, True, "yesterday-ish", dt.timedelta(1), pd.NaT])
def test_values_that_are_not_exact_times_are_refused(value: Any) -> None:
    with pytest.raises(LineProtocolError) as caught:
        Point("m").field("v", 1).time(value)
    assert caught.value.field == "time"


def test_times_outside_influxdbs_range_are_refused() -> None:
    Point("m").time(MAX_NS).time(EARLIEST_NS).time(np.datetime64(-MAX_NS, "ns"))
    with pytest.raises(LineProtocolError, match="outside the range"):
        Point("m").time(MAX_NS + 1)
    with pytest.raises(LineProtocolError, match="outside the range"):
        Point("m").time(MAX_NS // NS_PER_UNIT["s"] + 1, "s")


@pytest.mark.parametrize(("number", "precision", "unit"), [
    (1_700_000_000, None, "s"),
    (np.int64(1_700_000_000_000), "ns", "ms"),
    (1_700_000_000, "ms", "s"),
    (1.7e9, "u", "s"),
])
def test_an_integer_time_before_1971_is_refused_naming_its_likely_unit(
        number: Any, precision: str | None, unit: str) -> None:
    with pytest.raises(LineProtocolError, match=f"it looks like .*: pass precision={unit!r}"
                       ) as caught:
        Point("m").field("v", 1).time(number, precision)
    assert caught.value.field == "time"
    assert caught.value.value == number
    assert "Point('m').field('v', 1)" in str(caught.value)
    assert Point("m").field("v", 1).time(number, unit).to_line_protocol() == (
        f"m v=1i {int(number)}")


@pytest.mark.parametrize(("number", "precision"), [(0, "ns"), (-1, "s"), (8_759, "h")])
def test_integer_times_before_1971_are_refused(number: int, precision: str) -> None:
    with pytest.raises(LineProtocolError, match="before 1971") as caught:
        Point("m").time(number, precision)
    assert caught.value.field == "time"
    with pytest.raises(LineProtocolError, match="before 1971"):
        Point.from_dict({"measurement": "m", "fields": {"v": 1}, "time": number}, precision)
    with pytest.raises(LineProtocolError, match="before 1971"):
        measurement_point("m", None, number, precision, 1, {})


def test_datetimes_before_1971_carry_their_unit_and_are_written() -> None:
    moon = dt.datetime(1969, 7, 20, 20, 17, 40, tzinfo=dt.timezone.utc)
    assert Point("m").field("v", 1).time(moon, "s").to_line_protocol() == "m v=1i -14182940"
    assert Measurement("t", value=1, timestamp=moon).to_line_protocol() == (
        "t value=1i -14182940000000000")
    assert Point("m").field("v", 1).time(np.datetime64(5, "s")).to_line_protocol() == (
        "m v=1i 5000000000")


def test_measurement_timestamps_in_the_wrong_unit_are_refused() -> None:
    with pytest.raises(LineProtocolError, match="before 1971") as caught:
        Measurement("t", value=1, timestamp=7)
    assert caught.value.field == "time"
    with pytest.raises(LineProtocolError, match="it looks like milliseconds"):
        Measurement("t", value=1, timestamp=1_475_845_863_000)


def test_precision_spellings_and_write_precision_alias() -> None:
    assert Point("m").time(S * 10**6, "us").write_precision == "u"
    assert Point("m").time(S * 10**3, write_precision="ms").write_precision == "ms"
    assert Point("m").time(S * 10**9, "n").write_precision == "ns"
    with pytest.raises(ValueError, match="unknown precision"):
        Point("m").time(S, "seconds")
    with pytest.raises(TypeError, match="once"):
        Point("m").time(S, "s", write_precision="ms")


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_naming_the_point_and_field(value: float) -> None:
    point = Point("cpu").tag("host", "a").field("ok", 1.0)
    with pytest.raises(LineProtocolError) as caught:
        point.field("load", value)
    error = caught.value
    assert error.field == "load"
    assert error.point is point
    assert str(error).startswith("Point('cpu').tag('host', 'a').field('ok', 1.0): field 'load'")
    assert point.to_line_protocol() == "cpu,host=a ok=1.0"  # the bad value was not kept


@pytest.mark.parametrize(("build", "field"), [
    (lambda: Point("#comment"), "measurement"),
    (lambda: Point(""), "measurement"),
    (lambda: Point(3), "measurement"),  # type: ignore[arg-type]
    (lambda: Point("m").tag("time", "x"), "tag key"),
    (lambda: Point("m").tag("a\nb", "x"), "tag key"),
    (lambda: Point("m").tag("k", "a\nb"), "k"),
    (lambda: Point("m").tag("k", [1]), "k"),
    (lambda: Point("m").field("time", 1), "field key"),
    (lambda: Point("m").field("", 1), "field key"),
    (lambda: Point("m").field("big", 2**63), "big"),
    (lambda: Point("m").field("obj", object()), "obj"),
])
def test_bad_names_and_values_are_refused_at_the_call(build: Any, field: str) -> None:
    with pytest.raises(LineProtocolError) as caught:
        build()
    assert caught.value.field == field
    assert "Point(" in str(caught.value)


def test_a_point_without_fields_is_refused_when_written() -> None:
    empty = Point("m").tag("a", "b").field("f", None)
    with pytest.raises(LineProtocolError, match="no fields"):
        empty.to_line_protocol()
    with pytest.raises(LineProtocolError, match="no fields") as caught:
        serialize([Point("m").field("v", 1), {"measurement": "m", "fields": {"v": 2}}, empty])
    assert caught.value.index == 2
    assert caught.value.point is empty


# -- with other inputs, and extra tags ------------------------------------------------------


def test_points_mix_with_every_other_input() -> None:
    data = [Point("a").field("v", 1), {"measurement": "b", "fields": {"v": 2}}, "c v=3i",
            Measurement("d", value=4, timestamp=S)]
    assert serialize(data) == f"a v=1i\nb v=2i\nc v=3i\nd value=4i {S}000000000".encode()


def test_extra_tags_go_under_the_points_own_in_a_mappings_order() -> None:
    point = Point("m").tag("host", "own").tag("empty", "").tag("mine", "x").field("v", 1)
    mapping = {"measurement": "m", "tags": {"host": "own", "empty": "", "mine": "x"},
               "fields": {"v": 1}}
    extra = {"region": "r", "host": "shared", "empty": "filled"}
    assert serialize(point, **extra) == serialize(mapping, **extra) == \
        b"m,region=r,host=own,empty=filled,mine=x v=1i"
    assert serialize([point, point], **extra) == serialize([mapping, mapping], **extra)


def test_extra_tags_with_escaped_names_are_matched_by_name() -> None:
    point = Point("m").tag("a,b c=d", "own").field("v", 1)
    assert serialize(point, **{"a,b c=d": "shared", "x=y": "1"}) == \
        b"m,a\\,b\\ c\\=d=own,x\\=y=1 v=1i"


def test_writing_never_changes_the_point() -> None:
    point = Point("m").tag("host", "a").field("v", 1).time(S, "s")
    before = copy.deepcopy(point)
    serialize(point, site="x", host="b")
    serialize([point], precision="ms", site="x")
    assert point == before
    assert repr(point) == repr(before)


# -- equality and repr ------------------------------------------------------------------------


def test_equality_compares_everything_written() -> None:
    def base() -> Point:
        return Point("m").tag("t", "x").field("v", 1).time(S, "s")

    assert base() == base()
    assert base() != base().field("v", 1.0)  # 1i is not 1.0
    assert base() != base().tag("t", "y")
    assert base() != base().time(S * 1000, "ms")  # the same instant, another precision
    assert base() != base().time(S + 1, "s")
    assert base() != "m,t=x v=1i 1"
    with pytest.raises(TypeError, match="unhashable"):
        hash(base())


def test_repr_is_the_builder_call_that_makes_the_point() -> None:
    point = Point("cpu").tag("host", "a").field("load", 0.5).field("n", 2).time(S * 1000, "ms")
    assert repr(point) == ("Point('cpu').tag('host', 'a').field('load', 0.5).field('n', 2)"
                           f".time({S * 1000}, 'ms')")
    assert eval(repr(point)) == point
    measurement = Measurement("t", value=1.5, timestamp=S)
    assert repr(measurement) == f"Measurement('t').field('value', 1.5).time({S}, 's')"
    assert eval(repr(measurement)) == measurement


# -- from_dict ----------------------------------------------------------------------------------


def test_from_dict_reads_the_mapping_shape() -> None:
    mapping = {"measurement": "cpu", "tags": {"host": "a"}, "fields": {"load": 0.5},
               "time": "2009-11-10T23:00:00Z"}
    point = Point.from_dict(mapping)
    assert point == Point("cpu").tag("host", "a").field("load", 0.5).time(
        1257894000000000000)
    assert serialize(point) == serialize(mapping)
    assert Point.from_dict({**mapping, "time": S}, "s").to_line_protocol() == \
        f"cpu,host=a load=0.5 {S}"


def test_from_dict_reads_records_as_influxdb_client_does() -> None:
    sensor = {"name": "sensor_pt859", "location": "warehouse_125",
              "version": "2021.06.05.5874", "pressure": 125, "temperature": 10,
              "created": 1632208639, "ignored": "not selected"}
    point = Point.from_dict(sensor, write_precision="s", record_measurement_key="name",
                            record_time_key="created",
                            record_tag_keys=["location", "version", "absent"],
                            record_field_keys=["pressure", "temperature"])
    assert point.to_line_protocol() == (
        "sensor_pt859,location=warehouse_125,version=2021.06.05.5874 "
        "pressure=125i,temperature=10i 1632208639")
    named = Point.from_dict({"v": 1.5}, record_measurement_name="fixed",
                            record_field_keys=["v"])
    assert named.to_line_protocol() == "fixed v=1.5"


def test_from_dict_refuses_what_it_cannot_read() -> None:
    with pytest.raises(LineProtocolError, match="no measurement"):
        Point.from_dict({"fields": {"v": 1}})
    with pytest.raises(LineProtocolError, match="no 'fields'"):
        Point.from_dict({"measurement": "m", "value": 1})
    with pytest.raises(LineProtocolError, match="must be mappings"):
        Point.from_dict({"measurement": "m", "fields": [("v", 1)]})
    with pytest.raises(LineProtocolError, match="NaN") as caught:
        Point.from_dict({"measurement": "m", "fields": {"v": math.nan}})
    assert caught.value.field == "v"


# -- Measurement (inflow) -----------------------------------------------------------------------


def test_measurement_timestamps_are_seconds_and_datetimes_exact() -> None:
    measurement = Measurement("temperature", tags={"location": "groningen"}, value=21.3,
                              timestamp=1475845863)
    assert measurement.write_precision == "s"
    assert serialize(measurement) == \
        b"temperature,location=groningen value=21.3 1475845863000000000"
    moment = dt.datetime(2016, 10, 7, 13, 11, 3, 250000, tzinfo=dt.timezone.utc)
    assert Measurement("t", value=1, timestamp=moment).to_line_protocol() == \
        "t value=1i 1475845863250000000"
    assert Measurement("t", lower_sensor=20.9, upper_sensor=23.2).to_line_protocol() == \
        "t lower_sensor=20.9,upper_sensor=23.2"
    with pytest.raises(LineProtocolError, match="fractional"):
        Measurement("t", value=1, timestamp=1475845863.5)


def test_measurement_point_stamps_the_time_in_the_writes_precision() -> None:
    before = dt.datetime.now(dt.timezone.utc).timestamp()
    stamped = measurement_point("t", None, None, None, 1, {}, now_precision="s")
    assert stamped.write_precision == "s"
    assert abs(int(stamped.to_line_protocol().split()[-1]) - before) <= 2
    assert measurement_point("t", None, None, None, 1, {}).to_line_protocol() == "t value=1i"
    assert measurement_point("t", None, S * 1000, "ms", 1, {}).to_line_protocol() == (
        f"t value=1i {S * 1000}")


# -- property: a Point encodes exactly as the mapping it is made from ---------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n\\"),
                min_size=1, max_size=8)
# Names any key may have: not InfluxQL's variables and system sources, which the rules
# refuse in some places (tests/unit/_refusals.py).
_NAMES = _TEXT.filter(lambda s: s[0] not in "#\t\x00" and s != "time"
                      and s not in SELECT_VARIABLES | SYSTEM_SOURCES)
_TAG_VALUES = st.one_of(st.none(), st.just(""), _TEXT)
_FIELD_VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    st.none(),
)


@st.composite
def _mappings(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    precision = draw(st.sampled_from(sorted(NS_PER_UNIT)))
    fields = draw(st.dictionaries(_NAMES, _FIELD_VALUES, min_size=1, max_size=4)
                  .filter(lambda f: any(v is not None for v in f.values())))
    mapping: dict[str, Any] = {
        "measurement": draw(_NAMES),
        "tags": draw(st.dictionaries(_NAMES, _TAG_VALUES, max_size=4)),
        "fields": fields,
    }
    unit = NS_PER_UNIT[precision]  # integer times from 1971 on, in the precision
    when = draw(st.one_of(st.none(), st.integers(-(-EARLIEST_NS // unit), MAX_NS // unit)))
    if when is not None:
        mapping["time"] = when
    return mapping, precision


# Extra tags with values: an empty one is no tag at all. (Its key would still order a
# mapping's merged tags, which the server sorts anyway.) Their names are not
# serialize()'s parameters.
_EXTRA = st.dictionaries(
    _NAMES.filter(lambda s: s not in ("data", "measurement", "tag_columns", "precision")),
    _TEXT, max_size=3)


@given(_mappings(), _EXTRA)
def test_a_point_encodes_as_its_mapping(case: tuple[dict[str, Any], str],
                                        extra: dict[str, Any]) -> None:
    mapping, precision = case
    point = Point(mapping["measurement"])
    for key, value in mapping["tags"].items():
        point.tag(key, value)
    for key, value in mapping["fields"].items():
        point.field(key, value)
    if "time" in mapping:
        point.time(mapping["time"], precision)
    assert Point.from_dict(mapping, precision) == point
    assert serialize(point, precision=precision) == serialize(mapping, precision=precision)
    assert serialize([point, point], precision=precision, **extra) == \
        serialize([mapping, mapping], precision=precision, **extra)
    if "time" not in mapping or precision == "ns":
        return
    # Written in nanoseconds, a point's time is converted exactly.
    in_ns = serialize(point)
    assert in_ns.rsplit(b" ", 1)[1] == str(mapping["time"] * NS_PER_UNIT[precision]).encode()
