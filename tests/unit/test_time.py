"""Timestamps: precision names, RFC 3339 parsing and exact integer conversion."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit._core.time import (
    MAX_NS,
    MIN_NS,
    NS_PER_UNIT,
    PRECISIONS,
    normalize_precision,
    parse_time_string,
    time_to_int,
    to_ns,
)

UTC = dt.timezone.utc
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# 2009-11-10T23:00:00Z, the Go reference time InfluxDB's docs use.
T0 = 1_257_894_000_000_000_000


# -- precisions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        (None, "ns"),
        ("n", "ns"),
        ("ns", "ns"),
        ("u", "u"),
        ("us", "u"),
        ("µ", "u"),  # MICRO SIGN
        ("μ", "u"),  # GREEK SMALL LETTER MU
        ("ms", "ms"),
        ("s", "s"),
        ("m", "m"),
        ("h", "h"),
    ],
)
def test_normalize_precision(spelling: str | None, canonical: str) -> None:
    assert normalize_precision(spelling) == canonical
    assert canonical in NS_PER_UNIT


def test_every_alias_is_listed_and_canonical_names_are_the_servers() -> None:
    assert set(PRECISIONS) >= {"n", "ns", "u", "us", "µ", "μ", "ms", "s", "m", "h"}
    # InfluxDB 1.x silently reads anything else as nanoseconds.
    assert {normalize_precision(p) for p in PRECISIONS} == {"ns", "u", "ms", "s", "m", "h"}
    assert NS_PER_UNIT == {"ns": 1, "u": 10**3, "ms": 10**6, "s": 10**9,
                           "m": 60 * 10**9, "h": 3600 * 10**9}


@pytest.mark.parametrize("bad", ["", "x", "NS", "sec", "µs", "d", 1, ["s"]], ids=repr)
def test_unknown_precision_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="unknown precision"):
        normalize_precision(bad)


# -- parsing strings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009-11-10T23:00:00Z", T0),
        ("2009-11-10T23:00:00z", T0),
        ("2009-11-10t23:00:00Z", T0),
        ("2009-11-10 23:00:00Z", T0),
        ("2009-11-10T23:00:00", T0),  # no offset: UTC
        ("2009-11-10T23:00Z", T0),  # no seconds
        ("2009-11-10T23:00:00+00:00", T0),
        ("2009-11-10T23:00:00-00:00", T0),
        ("2009-11-11T00:30:00+01:30", T0),
        ("2009-11-10T21:00:00-02:00", T0),
        ("2009-11-11T00:30:00+0130", T0),
        ("2009-11-10T23:00:00.5Z", T0 + 500_000_000),
        ("2009-11-10T23:00:00,5Z", T0 + 500_000_000),
        ("2009-11-10T23:00:00.000000001Z", T0 + 1),
        ("2009-11-10T23:00:00.123456789+01:00", T0 + 123_456_789 - 3600 * 10**9),
        ("2009-11-10", T0 - 23 * 3600 * 10**9),  # date only
        ("2009-11-10Z", T0 - 23 * 3600 * 10**9),
        ("  2009-11-10T23:00:00Z  ", T0),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("1677-09-21T00:12:43.145224194Z", MIN_NS),
        ("2262-04-11T23:47:16.854775806Z", MAX_NS),
    ],
)
def test_parse_time_string(text: str, expected: int) -> None:
    assert parse_time_string(text) == expected


@pytest.mark.parametrize("digits", range(10))
def test_fraction_of_0_to_9_digits_is_exact(digits: int) -> None:
    fraction = "123456789"[:digits]
    text = "2009-11-10T23:00:00" + (f".{fraction}" if digits else "") + "Z"
    assert parse_time_string(text) == T0 + int(fraction.ljust(9, "0") or "0")


@given(
    st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31)),
    st.integers(0, 999_999_999),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
def test_rfc3339_with_nanoseconds_and_offset_is_exact(
        moment: dt.datetime, nanos: int, offset_minutes: int) -> None:
    moment = moment.replace(microsecond=0)
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}{sign}{hours:02d}:{minutes:02d}"
    expected = (calendar.timegm(moment.timetuple()) - offset_minutes * 60) * 10**9 + nanos
    assert parse_time_string(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009/11/10 23:00:00", T0),
        ("10 Nov 2009 23:00:00", T0),
        ("Tue, 10 Nov 2009 23:00:00 +0000", T0),
        ("2009-11-10T23:00:00.123456789123Z", T0 + 123_456_789),  # pandas truncates
    ],
)
def test_other_formats_fall_back_to_pandas(text: str, expected: int) -> None:
    assert parse_time_string(text) == expected


@pytest.mark.parametrize(
    "bad",
    ["", "yesterday", "2009-13-01", "2009-02-30T00:00:00Z", "2009-11-10T25:00:00Z",
     "2009-11-10T23:60:00Z", "NaT", "0000-01-01"],
)
def test_unparseable_strings_are_value_errors(bad: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_time_string(bad)


# -- conversion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2009, 11, 10, 23), T0),  # naive is UTC, always
        (dt.datetime(2009, 11, 10, 23, tzinfo=UTC), T0),
        (dt.datetime(2009, 11, 11, 0, tzinfo=PARIS), T0),  # CET, +01:00
        (dt.datetime(2009, 7, 1, 2, tzinfo=PARIS), 1_246_406_400 * 10**9),  # CEST, +02:00
        (dt.datetime(2009, 11, 10, 18, tzinfo=NEW_YORK), T0),  # EST
        # 2009-11-01 01:30 happened twice in New York; fold picks the occurrence.
        (dt.datetime(2009, 11, 1, 1, 30, tzinfo=NEW_YORK), 1_257_053_400 * 10**9),
        (dt.datetime(2009, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK), 1_257_057_000 * 10**9),
        (dt.datetime(2009, 11, 10, 23, 0, 0, 999_999), T0 + 999_999_000),
        (dt.datetime(1900, 1, 1), -2_208_988_800 * 10**9),
        (dt.date(1970, 1, 2), 86_400 * 10**9),
        ("2009-11-10T23:00:00Z", T0),
        (pd.Timestamp("2009-11-10 23:00:00.000000007"), T0 + 7),
        (pd.Timestamp("2009-11-10 23:00:00.000000007", tz="UTC"), T0 + 7),
        (pd.Timestamp("2009-11-10 18:00:00.000000007", tz="America/New_York"), T0 + 7),
        (np.datetime64("2009-11-10T23:00:00.000000007"), T0 + 7),
        (np.datetime64("2009-11-10T23:00:00", "s"), T0),
        (np.datetime64("2009-11-10", "D"), T0 - 23 * 3600 * 10**9),
    ],
    ids=repr,
)
def test_to_ns(value: Any, expected: int) -> None:
    assert to_ns(value) == expected
    assert time_to_int(value, "ns") == expected


@given(st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31),
                    timezones=st.none() | st.timezones()))
def test_datetimes_convert_exactly(moment: dt.datetime) -> None:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    offset = aware.utcoffset()
    assert offset is not None
    utc = (aware.replace(tzinfo=None) - offset)
    expected = (calendar.timegm(utc.timetuple()) * 10**6 + utc.microsecond) * 1000
    assert to_ns(moment) == expected
    assert time_to_int(moment, "u") == expected // 1000


@given(st.integers(MIN_NS, MAX_NS))
def test_pandas_timestamps_keep_nanoseconds(ns: int) -> None:
    stamp = pd.Timestamp(ns, unit="ns")
    assert to_ns(stamp) == ns
    assert to_ns(stamp.tz_localize("UTC")) == ns


# Away from the edges, where pandas cannot hold the local time of a +05:30 zone.
@given(st.integers(MIN_NS + 86_400 * 10**9, MAX_NS - 86_400 * 10**9))
def test_aware_pandas_timestamps_keep_nanoseconds(ns: int) -> None:
    stamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert("Asia/Kolkata")
    assert to_ns(stamp) == ns


@pytest.mark.parametrize("value", [object(), 1.5, dt.time(1), dt.timedelta(1), None, b"2009"],
                         ids=repr)
def test_to_ns_refuses_non_times(value: Any) -> None:
    with pytest.raises(ValueError, match="unsupported time"):
        to_ns(value)


def test_nat_is_refused() -> None:
    with pytest.raises(ValueError, match="NaT"):
        to_ns(np.datetime64("NaT"))


@pytest.mark.parametrize("precision", list(NS_PER_UNIT))
def test_integers_are_already_in_the_precision(precision: str) -> None:
    value = T0 // NS_PER_UNIT[precision]
    assert time_to_int(value, precision) == value
    assert time_to_int(np.int64(value + 5), precision) == value + 5
    if value < 2**32:
        assert time_to_int(np.uint32(value), precision) == value


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("ns", T0), ("u", T0 // 10**3), ("ms", T0 // 10**6), ("s", T0 // 10**9),
     ("m", T0 // (60 * 10**9)), ("h", T0 // (3600 * 10**9))],
)
def test_datetimes_convert_to_each_precision(precision: str, expected: int) -> None:
    assert time_to_int(dt.datetime(2009, 11, 10, 23), precision) == expected
    assert time_to_int(pd.Timestamp(T0, unit="ns"), precision) == expected
    assert time_to_int("2009-11-10T23:00:00Z", precision) == expected


def test_negative_datetimes_divide_exactly() -> None:
    before = dt.datetime(1969, 12, 31, 23)
    assert time_to_int(before, "h") == -1
    assert time_to_int(before, "s") == -3600
    with pytest.raises(ValueError, match="whole number"):
        time_to_int(dt.datetime(1969, 12, 31, 23, 59, 59, 1), "s")


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        (dt.datetime(2009, 11, 10, 23, 0, 0, 1), "ms"),
        (dt.datetime(2009, 11, 10, 23, 0, 0, 1000), "s"),
        (dt.datetime(2009, 11, 10, 23, 0, 30), "m"),
        (dt.datetime(2009, 11, 10, 23, 30), "h"),
        (pd.Timestamp(T0 + 1, unit="ns"), "u"),
        ("2009-11-10T23:00:00.000000001Z", "u"),
        (np.datetime64(T0 + 1, "ns"), "u"),
    ],
    ids=repr,
)
def test_a_time_finer_than_the_precision_is_refused(value: Any, precision: str) -> None:
    with pytest.raises(ValueError, match="whole number"):
        time_to_int(value, precision)


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        (MAX_NS + 1, "ns"),
        (MIN_NS - 1, "ns"),
        (2**63 - 1, "ns"),
        (-(2**63), "ns"),
        (MAX_NS // 1000 + 1, "u"),
        (2_562_048, "h"),
        (-2_562_048, "h"),
        (dt.datetime(1677, 9, 21), "ns"),
        (dt.datetime(2262, 4, 12), "ns"),
        (dt.datetime(9999, 1, 1), "s"),
        (dt.datetime(1, 1, 1), "s"),
        ("1677-09-21T00:12:43.145224193Z", "ns"),
        ("2262-04-11T23:47:16.854775807Z", "ns"),
        (dt.date(2262, 4, 12), "h"),
    ],
    ids=repr,
)
def test_out_of_range_times_are_refused(value: Any, precision: str) -> None:
    with pytest.raises(ValueError, match="outside the range"):
        time_to_int(value, precision)


def test_range_edges_are_accepted() -> None:
    # The earliest edge only as a time that carries its unit: an integer must be 1971 on.
    assert time_to_int(np.datetime64(MIN_NS, "ns"), "ns") == MIN_NS
    assert time_to_int("1677-09-21T00:12:43.145224194Z", "ns") == MIN_NS
    assert time_to_int(MAX_NS, "ns") == MAX_NS
    assert time_to_int(MAX_NS // 3_600_000_000_000, "h") == 2_562_047


@pytest.mark.parametrize(
    "value",
    [np.datetime64("2500-01-01", "s"), np.datetime64("1500-01-01", "s"),
     np.datetime64("3000-01-01", "D")],
    ids=str,
)
def test_numpy_datetime64_out_of_range_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="outside the range"):
        time_to_int(value, "ns")


def test_bool_is_not_a_time() -> None:
    with pytest.raises(ValueError, match="unsupported time"):
        time_to_int(True, "s")


@pytest.mark.parametrize("bad", ["2009-11-10T23:00:00+05:99", "2009-11-10T23:00:00+99:00"])
def test_impossible_offsets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_time_string(bad)


# -- integer times in the wrong unit ---------------------------------------------------------

# 1971-01-01T00:00:00Z: an integer time before it is taken for one in the wrong unit.
EARLIEST_NS = 365 * 86_400 * 10**9


@pytest.mark.parametrize(
    ("number", "precision", "looks_like"),
    [
        (1_700_000_000, "ns", "seconds: pass precision='s'"),
        (1_700_000_000_000, "ns", "milliseconds: pass precision='ms'"),
        (1_700_000_000_000_000, "ns", "microseconds: pass precision='u'"),
        (np.int64(1_700_000_000), "ns", "seconds: pass precision='s'"),
        (1_700_000_000, "u", "seconds: pass precision='s'"),
        (1_700_000_000_000, "u", "milliseconds: pass precision='ms'"),
        (1_700_000_000, "ms", "seconds: pass precision='s'"),
        (28_333_333, "ns", "minutes: pass precision='m'"),
        (472_222, "s", "hours: pass precision='h'"),
    ],
    ids=repr,
)
def test_an_integer_time_before_1971_is_refused_naming_its_likely_unit(
        number: Any, precision: str, looks_like: str) -> None:
    with pytest.raises(ValueError, match=f"it looks like {looks_like}") as info:
        time_to_int(number, precision)
    message = str(info.value)
    assert f"time {int(number)} at precision {precision!r} is 1970-" in message
    assert "datetime" in message  # how to write an earlier time on purpose


def test_the_refusal_shows_the_time_the_integer_would_be() -> None:
    with pytest.raises(ValueError) as info:
        time_to_int(1_700_000_000, "ns")
    assert str(info.value).startswith(
        "time 1700000000 at precision 'ns' is 1970-01-01T00:00:01.7Z; it looks like "
        "seconds: pass precision='s'")


@pytest.mark.parametrize("number", [0, 1, -1, 5, -1_700_000_000, EARLIEST_NS - 1], ids=repr)
def test_integers_before_1971_without_a_likely_unit_are_refused(number: int) -> None:
    with pytest.raises(ValueError, match="before 1971") as info:
        time_to_int(number, "ns")
    assert "looks like" not in str(info.value)


def test_an_ambiguous_integer_names_every_unit_it_could_be() -> None:
    # 100,000,000 is 1973 in seconds and 2160 in minutes.
    with pytest.raises(ValueError, match="seconds or minutes: pass precision='s' or "
                                         "precision='m'"):
        time_to_int(100_000_000, "ms")


@pytest.mark.parametrize("precision", list(NS_PER_UNIT))
def test_integer_times_from_1971_are_accepted(precision: str) -> None:
    unit = NS_PER_UNIT[precision]
    first = -(-EARLIEST_NS // unit)
    assert time_to_int(first, precision) == first
    with pytest.raises(ValueError, match="before 1971"):
        time_to_int(first - 1, precision)
    assert time_to_int(MAX_NS // unit, precision) == MAX_NS // unit


def test_an_integer_time_beyond_2262_names_its_likely_unit() -> None:
    with pytest.raises(ValueError, match=r"outside the range.*it looks like nanoseconds: pass "
                                         r"precision='ns'"):
        time_to_int(1_700_000_000_000_000_000, "s")


@pytest.mark.parametrize(
    "when",
    [dt.datetime(1970, 1, 1, 0, 0, 1, 700000), dt.datetime(1969, 7, 20, 20, 17),
     dt.date(1970, 1, 1), "1970-01-01T00:00:01.7Z", pd.Timestamp(1_700_000_000, unit="ns"),
     np.datetime64(1_700_000_000, "ns")],
    ids=repr,
)
def test_times_that_carry_their_unit_are_never_refused_for_being_early(when: Any) -> None:
    assert time_to_int(when, "ns") == to_ns(when)
    assert to_ns(when) < EARLIEST_NS
