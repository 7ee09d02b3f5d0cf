"""Unit tests of @lineprotocol (influxkit._encode.usertype): pure, no server."""

import dataclasses
import datetime as dt
import enum
import importlib.util
import math
import pathlib
import sys
import types
from collections import namedtuple
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple, Optional

import numpy as np
import pandas as pd
import pytest
from _refusals import Problem, assert_due, point_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from influxkit._core.time import MAX_NS, MIN_NS, NS_PER_UNIT, time_to_int
from influxkit._encode.rules import tag_fragment
from influxkit._encode.serialize import serialize
from influxkit._encode.usertype import (
    BOOL,
    DECIMAL,
    ENUM,
    FLOAT,
    INT,
    MEASUREMENT,
    STR,
    TAG,
    TAGENUM,
    TIMEDT,
    TIMEINT,
    TIMESTR,
    lineprotocol,
)
from influxkit._errors import LineProtocolError, SchemaError


def _load_future_types() -> types.ModuleType:
    # By path, so that it loads whether or not tests/unit is a package.
    path = pathlib.Path(__file__).with_name("_future_annotations_types.py")
    spec = importlib.util.spec_from_file_location("_influxkit_future_annotations_types", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


future_types = _load_future_types()

TRADE_LINE = (
    b'Trade,instrument=AAPL,source=NASDAQ,side=BUY price=219.23,size=100i,'
    b'trade_id="34a1e085-3122-429c-9662-7ce82039d287" 1540184368785116000'
)
TRADE_VALUES: dict[str, Any] = {
    "timestamp": 1540184368785116000,
    "instrument": "AAPL",
    "source": "NASDAQ",
    "side": "BUY",
    "price": 219.23,
    "size": 100,
    "trade_id": "34a1e085-3122-429c-9662-7ce82039d287",
}


def encoder(cls: type) -> Callable[[Any, str, str], str]:
    encode: Callable[[Any, str, str], str] = cls.__influxkit_encoder__  # type: ignore[attr-defined]
    return encode


def line(obj: Any) -> bytes:
    raw: bytes = obj.to_lineprotocol()
    return raw


# ------------------------------------------------------------------ seed examples


@lineprotocol
class Trade(NamedTuple):
    timestamp: TIMEINT
    instrument: TAGENUM
    source: TAG
    side: TAG
    price: FLOAT
    size: INT
    trade_id: STR


def test_seed_namedtuple_trade() -> None:
    trade = Trade(**TRADE_VALUES)
    assert line(trade) == TRADE_LINE
    assert serialize(trade) == TRADE_LINE
    assert serialize([trade, trade]) == TRADE_LINE + b"\n" + TRADE_LINE


def test_seed_functional_namedtuple_with_schema() -> None:
    schema = dict(  # noqa: C408  (as the seed writes it)
        timestamp=TIMEINT,
        instrument=TAG,
        source=TAG,
        side=TAG,
        price=FLOAT,
        size=INT,
        trade_id=STR,
    )
    Plain = namedtuple("Trade", schema.keys())  # type: ignore[misc]
    Decorated = lineprotocol(Plain, schema=schema)
    assert Decorated is Plain
    assert line(Decorated(**TRADE_VALUES)) == TRADE_LINE


def test_seed_dataclass_trade() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class Trade:
        timestamp: TIMEINT
        instrument: TAGENUM
        source: TAG
        side: TAG
        price: FLOAT
        size: INT
        trade_id: STR

    assert line(Trade(**TRADE_VALUES)) == TRADE_LINE


def test_seed_schema_keeps_annotations() -> None:
    @lineprotocol(schema=dict(timestamp=TIMEINT, value=FLOAT))  # noqa: C408
    @dataclasses.dataclass
    class MyTypedClass:
        timestamp: int
        value: float

    assert MyTypedClass.__annotations__ == {"timestamp": int, "value": float}
    assert line(MyTypedClass(1547710904202826000, 2.1)) == (
        b"MyTypedClass value=2.1 1547710904202826000"
    )


def test_future_annotations_module() -> None:
    # That module uses `from __future__ import annotations`: its annotations are strings.
    assert future_types.FutureDataclass.__annotations__["count"] == "INT | None"
    assert line(future_types.FutureTuple(T + 5, "h 1", 0.5)) == (
        b"FutureTuple,host=h\\ 1 load=0.5 1600000000000000005")
    point = future_types.FutureDataclass("cpu", None, None, 1.5)
    assert line(point) == b"cpu ratio=1.5"
    point = future_types.FutureDataclass("cpu", T + 7, 3, 1.5)
    assert line(point) == b"cpu count=3i,ratio=1.5 1600000000000000007"


# ------------------------------------------------------------------ class kinds


def test_decorator_forms_return_the_class() -> None:
    class Plain:
        time: TIMEINT
        value: FLOAT

        def __init__(self) -> None:
            self.time = T
            self.value = 2.0

    assert lineprotocol(Plain) is Plain
    assert lineprotocol()(Plain) is Plain
    assert lineprotocol(Plain, rm_none=True) is Plain
    assert line(Plain()) == f"Plain value=2.0 {T}".encode()
    assert encoder(Plain)(Plain(), "ns", "") == f"Plain value=2.0 {T}"
    # Reachable from instances too.
    assert Plain().__influxkit_encoder__(Plain(), "ns", "") == f"Plain value=2.0 {T}"  # type: ignore[attr-defined]


def test_frozen_and_slotted_dataclasses() -> None:
    @lineprotocol
    @dataclasses.dataclass(frozen=True, slots=True)
    class Point:
        time: TIMEINT
        host: TAG
        value: FLOAT

    assert line(Point(T, "a", 0.25)) == f"Point,host=a value=0.25 {T}".encode()

    @lineprotocol
    @dataclasses.dataclass(frozen=True)
    class Frozen:
        time: TIMEINT
        value: INT

    assert line(Frozen(T, 2)) == f"Frozen value=2i {T}".encode()


def test_plain_class_with_property_and_classvar() -> None:
    @lineprotocol
    class Sensor:
        kind: ClassVar[str] = "ignored"
        time: TIMEINT
        room: TAG
        celsius: FLOAT

        def __init__(self, room: str, celsius: float) -> None:
            self.time = T + 10
            self.room = room
            self.celsius = celsius

    assert line(Sensor("hall", 21.5)) == b"Sensor,room=hall celsius=21.5 1600000000000000010"


def test_namedtuple_subset_schema_and_property() -> None:
    class Base(NamedTuple):
        a: int
        b: float
        c: str

        @property
        def kind(self) -> str:
            return "x"

    lineprotocol(Base, schema={"kind": TAG, "c": TIMESTR, "b": FLOAT})
    assert line(Base(1, 2.5, "1970-01-01T00:00:01Z")) == b"Base,kind=x b=2.5 1000000000"


def test_namedtuple_subclass_is_read_by_attribute() -> None:
    class Child(Trade):
        @property
        def side(self) -> str:  # type: ignore[override]
            return "SELL"

    expected = TRADE_LINE.replace(b"side=BUY", b"side=SELL")
    assert line(Child(**TRADE_VALUES)) == expected


def test_generated_source_holds_no_user_data() -> None:
    @lineprotocol(extra_tags={"secret_key": "secret value"})
    class Hostile_Name_x:
        time: TIMEINT
        my_measurement: MEASUREMENT
        a_tag: TAG
        a_field: FLOAT

    source = encoder(Hostile_Name_x).__source__  # type: ignore[attr-defined]
    for text in ("Hostile", "secret", "my_measurement", "a_tag", "a_field"):
        assert text not in source


# ------------------------------------------------------------------ markers


class Color(enum.Enum):
    RED = 1
    DARK_BLUE = 2


class Side(str, enum.Enum):
    BUY = "buy"


Weird = enum.Enum("Weird", {"a b,c=d": 1, 'q"\\': 2})


# 2020-09-13T12:26:40Z: the time of the objects below.
T = 1_600_000_000_000_000_000
EARLIEST_NS = 365 * 86_400 * 10**9  # 1971-01-01: integer times start there


def one(marker: Any, value: Any, *, precision: str = "ns", extra: str = "",
        **options: Any) -> str:
    """Encode a point whose only non-time attribute is ``value`` of type ``marker``."""

    @lineprotocol(schema={"time": TIMEINT, "x": marker, "filler": BOOL}, **options)
    @dataclasses.dataclass
    class M:
        time: Any
        x: Any
        filler: Any = True

    return encoder(M)(M(T, value), precision, extra)


def test_measurement_attribute() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class Named:
        name: MEASUREMENT
        time: TIMEINT
        value: INT

    assert line(Named("cpu load,x", T, 2)) == f"cpu\\ load\\,x value=2i {T}".encode()
    assert line(Named(Color.RED, T, 2)) == f"RED value=2i {T}".encode()  # type: ignore[arg-type]
    with pytest.raises(LineProtocolError, match="'name' is None"):
        line(Named(None, T, 2))  # type: ignore[arg-type]
    with pytest.raises(LineProtocolError, match="measurement is empty"):
        line(Named("", T, 2))
    with pytest.raises(LineProtocolError, match="starts with '#'"):
        line(Named("#x", T, 2))
    with pytest.raises(LineProtocolError, match="'name'"):
        line(Named(3, T, 2))  # type: ignore[arg-type]


def test_optional_measurement_falls_back_to_class_name() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class Named:
        name: MEASUREMENT | None
        time: TIMEINT
        value: INT

    assert line(Named(None, T, 2)) == f"Named value=2i {T}".encode()
    assert line(Named("m", T, 2)) == f"m value=2i {T}".encode()


def test_tag() -> None:
    assert one(TAG, "a b") == f"M,x=a\\ b filler=true {T}"
    assert one(TAG, None) == f"M filler=true {T}"
    assert one(TAG, "") == f"M filler=true {T}"
    assert one(TAG, np.str_("np")) == f"M,x=np filler=true {T}"
    assert one(TAG, Side.BUY) == f"M,x=BUY filler=true {T}"
    assert one(TAG, 5) == f"M,x=5 filler=true {T}"
    assert one(TAG, 0.5) == f"M,x=0.5 filler=true {T}"
    assert one(TAG, np.int16(-3)) == f"M,x=-3 filler=true {T}"
    with pytest.raises(LineProtocolError, match=r"'x'.*TAGENUM"):
        one(TAG, Color.RED)
    for wrong in (b"bytes", dt.date(2020, 1, 1), ["a"]):
        with pytest.raises(LineProtocolError, match="'x'"):
            one(TAG, wrong)


def test_tagenum() -> None:
    assert one(TAGENUM, Color.DARK_BLUE) == f"M,x=DARK_BLUE filler=true {T}"
    assert one(TAGENUM, Side.BUY) == f"M,x=BUY filler=true {T}"
    assert one(TAGENUM, Weird["a b,c=d"]) == f"M,x=a\\ b\\,c\\=d filler=true {T}"
    assert one(TAGENUM, "plain") == f"M,x=plain filler=true {T}"
    assert one(TAGENUM, None) == f"M filler=true {T}"
    assert one(TAGENUM, 1.5) == f"M,x=1.5 filler=true {T}"
    with pytest.raises(LineProtocolError, match="'x'"):
        one(TAGENUM, object())


def test_bool() -> None:
    assert one(BOOL, True) == f"M x=true,filler=true {T}"
    assert one(BOOL, False) == f"M x=false,filler=true {T}"
    assert one(BOOL, np.bool_(False)) == f"M x=false,filler=true {T}"
    for wrong in (1, 0, "true", 1.0):
        with pytest.raises(LineProtocolError, match="'x'"):
            one(BOOL, wrong)


def test_int() -> None:
    assert one(INT, 3) == f"M x=3i,filler=true {T}"
    assert one(INT, -(2**63)) == f"M x={-(2**63)}i,filler=true {T}"
    assert one(INT, 2**63 - 1) == f"M x={2**63 - 1}i,filler=true {T}"
    assert one(INT, np.int64(-4)) == f"M x=-4i,filler=true {T}"
    assert one(INT, np.uint8(4)) == f"M x=4i,filler=true {T}"

    class Level(enum.IntEnum):
        HIGH = 9

    assert one(INT, Level.HIGH) == f"M x=9i,filler=true {T}"
    for wrong in (2**63, -(2**63) - 1, np.uint64(2**64 - 1)):
        with pytest.raises(LineProtocolError, match=r"'x'.*64-bit"):
            one(INT, wrong)
    for wrong in (3.0, True, "3", Decimal(3)):
        with pytest.raises(LineProtocolError, match="'x'"):
            one(INT, wrong)


def test_float() -> None:
    assert one(FLOAT, 2.1) == f"M x=2.1,filler=true {T}"
    assert one(FLOAT, -0.0) == f"M x=-0.0,filler=true {T}"
    assert one(FLOAT, 1e300) == f"M x=1e+300,filler=true {T}"
    assert one(FLOAT, 100) == f"M x=100.0,filler=true {T}"  # an int is still written as float
    assert one(FLOAT, np.float32(0.5)) == f"M x=0.5,filler=true {T}"
    assert one(FLOAT, np.float64(0.1)) == f"M x=0.1,filler=true {T}"
    assert one(FLOAT, np.int32(7)) == f"M x=7.0,filler=true {T}"
    for bad in (math.nan, math.inf, -math.inf, np.float64("nan")):
        with pytest.raises(LineProtocolError, match=r"'x'.*NaN or infinity"):
            one(FLOAT, bad)
    with pytest.raises(LineProtocolError, match=r"'x'.*too large"):
        one(FLOAT, 10**400)
    for wrong in (True, "1.5", Decimal("1.5"), 1j):
        with pytest.raises(LineProtocolError, match="'x'"):
            one(FLOAT, wrong)


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53) - 1, 2**63 - 1, np.int64(2**53 + 1),
                                   np.uint64(2**64 - 1)], ids=repr)
def test_an_integer_a_float_field_cannot_hold_is_refused_not_rounded(value: Any) -> None:
    with pytest.raises(LineProtocolError, match=r"'x'.*float64") as caught:
        one(FLOAT, value)
    assert caught.value.field == "x"
    assert caught.value.value is value
    with pytest.raises(LineProtocolError, match=r"'x'.*float64"):
        one(DECIMAL, value)
    assert one(FLOAT, 2**53) == one(DECIMAL, 2**53) == one(FLOAT, float(2**53))


@pytest.mark.parametrize("value", [Decimal(2**53 + 1), Decimal("0.1000000000000000000001"),
                                   Decimal("1E-400")], ids=repr)
def test_a_decimal_a_float_field_cannot_hold_is_refused_not_rounded(value: Decimal) -> None:
    with pytest.raises(LineProtocolError, match=r"'x'.*float64") as caught:
        one(DECIMAL, value)
    assert caught.value.value is value


@pytest.mark.parametrize("precision", ["ns", "u", "ms"])
def test_timeint_before_1971_is_refused_on_every_path(precision: str) -> None:
    @lineprotocol
    class P(NamedTuple):
        t: TIMEINT
        v: INT

    encode = encoder(P)
    now = 1_700_000_000
    good = now * 10**9 // NS_PER_UNIT[precision]
    assert encode(P(good, 1), precision, "") == f"P v=1i {good}"
    # The fast path (an int field) and the slow one (a numpy int field) both refuse.
    for value in (1, np.int64(1)):
        for when in (now, np.int64(now)):
            with pytest.raises(LineProtocolError, match="it looks like seconds: pass "
                                                        "precision='s'") as caught:
                encode(P(when, value), precision, "")
            assert caught.value.field == "t"
            assert caught.value.value == now
    with pytest.raises(LineProtocolError, match="before 1971"):
        serialize([P(good, 1), P(0, 1)], precision=precision)
    assert serialize(P(now, 1), precision="s") == f"P v=1i {now}".encode()


def test_decimal_is_written_as_the_float_it_is() -> None:
    # A float field: the float64 of the Decimal, which must be the same number.
    assert one(DECIMAL, Decimal("219.230")) == f"M x=219.23,filler=true {T}"
    assert one(DECIMAL, Decimal("0.1")) == f"M x=0.1,filler=true {T}"
    assert one(DECIMAL, Decimal(2**53)) == f"M x=9007199254740992.0,filler=true {T}"
    assert one(DECIMAL, 0.5) == f"M x=0.5,filler=true {T}"
    assert one(DECIMAL, 12) == f"M x=12.0,filler=true {T}"
    for bad in (Decimal("NaN"), Decimal("-Infinity"), math.nan):
        with pytest.raises(LineProtocolError, match="'x'"):
            one(DECIMAL, bad)
    with pytest.raises(LineProtocolError, match="'x'"):
        one(DECIMAL, "1.5")


def test_str_and_enum_fields() -> None:
    assert one(STR, "plain") == 'M x="plain",filler=true 1600000000000000000'
    assert one(STR, 'say "hi" \\o/') == 'M x="say \\"hi\\" \\\\o/",filler=true 1600000000000000000'
    assert one(STR, "") == 'M x="",filler=true 1600000000000000000'
    assert one(STR, "a\nb") == 'M x="a\nb",filler=true 1600000000000000000'
    assert one(STR, np.str_("n")) == 'M x="n",filler=true 1600000000000000000'
    assert one(STR, Side.BUY) == 'M x="BUY",filler=true 1600000000000000000'
    with pytest.raises(LineProtocolError, match=r"'x'.*ENUM"):
        one(STR, Color.RED)
    with pytest.raises(LineProtocolError, match="'x'"):
        one(STR, 5)
    assert one(ENUM, Color.RED) == 'M x="RED",filler=true 1600000000000000000'
    assert one(ENUM, Weird['q"\\']) == 'M x="q\\"\\\\",filler=true 1600000000000000000'
    assert one(ENUM, "text") == 'M x="text",filler=true 1600000000000000000'
    with pytest.raises(LineProtocolError, match="'x'"):
        one(ENUM, 1)


def test_hostile_strings_are_escaped() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class Hostile:
        measure: MEASUREMENT
        t: TIMEINT
        tag: TAG
        text: STR

    point = Hostile('m e,a=s"\\u', T, 'v a,l=u"e\\ü 漢', 'q"u o,t=e\\ü')
    assert line(point) == (
        'm\\ e\\,a=s"\\u,tag=v\\ a\\,l\\=u"e\\ü\\ 漢 text="q\\"u o,t=e\\\\ü" '
        f"{T}".encode()
    )


# ------------------------------------------------------------------ time


def test_timeint_precisions() -> None:
    @lineprotocol
    class P(NamedTuple):
        t: TIMEINT
        v: INT

    encode = encoder(P)
    assert encode(P(1_600_000_000_000, 1), "ms", "") == "P v=1i 1600000000000"
    assert encode(P(np.int64(1_600_000_000), 1), "s", "") == "P v=1i 1600000000"
    with pytest.raises(LineProtocolError, match=r"'t'.*before 1971"):
        encode(P(-5, 1), "ns", "")
    with pytest.raises(LineProtocolError, match=r"'t'.*outside the range"):
        encode(P(2**62, 1), "ms", "")
    with pytest.raises(LineProtocolError, match=r"'t'.*outside the range"):
        encode(P(2**63, 1), "ns", "")
    for wrong in (True, 1.0, "1", dt.datetime(2020, 1, 1)):
        with pytest.raises(LineProtocolError, match="'t'"):
            encode(P(wrong, 1), "ns", "")
    with pytest.raises(LineProtocolError, match="'t' is None"):
        encode(P(None, 1), "ns", "")


@pytest.mark.parametrize("precision", ["ns", "u", "ms", "s", "m", "h"])
def test_timeint_range_edges(precision: str) -> None:
    @lineprotocol
    class P(NamedTuple):
        t: TIMEINT
        v: INT

    unit = NS_PER_UNIT[precision]
    lowest, highest = -(-EARLIEST_NS // unit), MAX_NS // unit  # 1971 to 2262
    encode = encoder(P)
    for value in (lowest, highest):
        assert encode(P(value, 1), precision, "") == f"P v=1i {time_to_int(value, precision)}"
    for value, problem in ((lowest - 1, "before 1971"), (0, "before 1971"),
                           (-(-MIN_NS // unit), "before 1971"), (highest + 1, "outside the range")):
        with pytest.raises(ValueError, match=problem):
            time_to_int(value, precision)
        with pytest.raises(LineProtocolError, match=problem):
            encode(P(value, 1), precision, "")


def test_timedt() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class D:
        when: TIMEDT
        v: INT

    encode = encoder(D)
    naive = dt.datetime(2018, 10, 22, 4, 39, 28, 785116)
    assert encode(D(naive, 1), "ns", "") == "D v=1i 1540183168785116000"
    assert encode(D(naive, 1), "u", "") == "D v=1i 1540183168785116"
    aware = naive.replace(tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert encode(D(aware, 1), "ns", "") == "D v=1i 1540175968785116000"
    stamp = pd.Timestamp("2018-10-22T04:39:28.785116123")
    assert encode(D(stamp, 1), "ns", "") == "D v=1i 1540183168785116123"
    assert encode(D(stamp.tz_localize("Europe/Paris"), 1), "ns", "") == (
        "D v=1i 1540175968785116123"
    )
    assert encode(D(dt.datetime(2020, 1, 1, 0, 1), 1), "m", "") == "D v=1i 26297281"
    with pytest.raises(LineProtocolError, match=r"'when'.*whole number"):
        encode(D(naive, 1), "s", "")
    with pytest.raises(LineProtocolError, match=r"'when'.*whole number"):
        encode(D(stamp, 1), "u", "")
    with pytest.raises(LineProtocolError, match="'when' is NaT"):
        encode(D(pd.NaT, 1), "ns", "")
    for wrong in (1540183168785116000, "2018-10-22", dt.date(2018, 1, 1)):
        with pytest.raises(LineProtocolError, match="'when'"):
            encode(D(wrong, 1), "ns", "")


def test_timestr() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class S:
        when: TIMESTR
        v: INT

    encode = encoder(S)
    assert encode(S("2018-10-22T04:39:28.785116123Z", 1), "ns", "") == (
        "S v=1i 1540183168785116123"
    )
    assert encode(S("2018-10-22T06:39:28.000000001+02:00", 1), "ns", "") == (
        "S v=1i 1540183168000000001"
    )
    assert encode(S("1970-01-01T00:00:02Z", 1), "s", "") == "S v=1i 2"
    with pytest.raises(LineProtocolError, match=r"'when'.*whole number"):
        encode(S("1970-01-01T00:00:02.5Z", 1), "s", "")
    with pytest.raises(LineProtocolError, match="'when'"):
        encode(S("not a time", 1), "ns", "")
    with pytest.raises(LineProtocolError, match="'when'"):
        encode(S(5, 1), "ns", "")  # type: ignore[arg-type]


# ------------------------------------------------------------------ Optional, rm_none


def test_optional_attributes() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class O:  # noqa: E742
        t: Optional[TIMEINT]  # noqa: UP045  (both spellings are accepted)
        host: TAG | None
        a: Optional[FLOAT]  # noqa: UP045
        b: INT | None
        c: STR

    assert line(O(T, "h", 1.0, 2, "s")) == b'O,host=h a=1.0,b=2i,c="s" 1600000000000000000'
    assert line(O(None, None, None, None, "s")) == b'O c="s"'
    assert line(O(None, None, 0.5, None, "s")) == b'O a=0.5,c="s"'
    with pytest.raises(LineProtocolError, match=r"'c' is None.*Optional\[STR\]"):
        line(O(T, "h", 1.0, 2, None))  # type: ignore[arg-type]


def test_optional_fields_all_none() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class O:  # noqa: E742
        t: TIMEINT
        a: FLOAT | None

    with pytest.raises(LineProtocolError, match="no fields"):
        line(O(T, None))
    with pytest.raises(LineProtocolError, match="point 3"):
        serialize([O(T, 1.0)] * 3 + [O(T, None)])


def test_rm_none() -> None:
    @lineprotocol(rm_none=True)
    @dataclasses.dataclass
    class R:
        name: MEASUREMENT
        t: TIMEINT
        tag: TAG
        a: FLOAT
        b: BOOL

    assert line(R("m", T, "x", 1.5, True)) == f"m,tag=x a=1.5,b=true {T}".encode()
    assert line(R(None, None, None, None, False)) == b"R b=false"  # type: ignore[arg-type]
    assert line(R("m", T + 2, "x", 0.5, None)) == b"m,tag=x a=0.5 1600000000000000002"  # type: ignore[arg-type]
    with pytest.raises(LineProtocolError, match="no fields"):
        line(R("m", T, "x", None, None))  # type: ignore[arg-type]
    # Wrong types are still refused.
    with pytest.raises(LineProtocolError, match="'b'"):
        line(R("m", T, "x", None, 1))  # type: ignore[arg-type]


def test_pandas_missing_values_are_none() -> None:
    assert one(FLOAT, pd.NA, rm_none=True) == f"M filler=true {T}"
    assert one(INT, pd.NaT, rm_none=True) == f"M filler=true {T}"
    with pytest.raises(LineProtocolError, match="'x' is None"):
        one(FLOAT, pd.NA)


def test_classvar_and_initvar_are_skipped() -> None:
    @lineprotocol
    @dataclasses.dataclass
    class D:
        count: ClassVar[int] = 0
        t: TIMEINT
        v: INT
        scale: dataclasses.InitVar[int] = 1

    assert line(D(T, 2)) == f"D v=2i {T}".encode()


def test_none_refused_without_rm_none() -> None:
    for marker in (BOOL, INT, DECIMAL, FLOAT, STR, ENUM):
        with pytest.raises(LineProtocolError, match="'x' is None") as info:
            one(marker, None)
        assert info.value.field == "x"


# ------------------------------------------------------------------ placeholder


def test_placeholder_without_fields() -> None:
    @lineprotocol(placeholder=True)
    class Event(NamedTuple):
        t: TIMEINT
        kind: TAG

    assert line(Event(T, "boot")) == f"Event,kind=boot _=true {T}".encode()
    assert line(Event(T, None)) == f"Event _=true {T}".encode()  # type: ignore[arg-type]


def test_placeholder_with_fields_all_none() -> None:
    @lineprotocol(placeholder=True, rm_none=True)
    class Event(NamedTuple):
        t: TIMEINT
        a: INT

    assert line(Event(T, 2)) == f"Event a=2i {T}".encode()
    assert line(Event(T, None)) == f"Event _=true {T}".encode()  # type: ignore[arg-type]


# ------------------------------------------------------------------ extra tags


def test_class_extra_tags() -> None:
    @lineprotocol(extra_tags={"region": "eu west", "dc": "a,1"})
    class P(NamedTuple):
        t: TIMEINT
        host: TAG
        v: INT

    assert line(P(T, "h", 2)) == f"P,host=h,region=eu\\ west,dc=a\\,1 v=2i {T}".encode()
    assert line(P(T, None, 2)) == f"P,region=eu\\ west,dc=a\\,1 v=2i {T}".encode()  # type: ignore[arg-type]


def test_write_extra_tags() -> None:
    @lineprotocol(extra_tags={"region": "eu"})
    class P(NamedTuple):
        t: TIMEINT
        host: TAG
        v: INT

    encode = encoder(P)
    extra = tag_fragment({"app": "x y", "host": "ignored", "region": "ignored=,", "z": "1"})
    assert encode(P(T, "h", 2), "ns", extra) == f"P,host=h,region=eu,app=x\\ y,z=1 v=2i {T}"
    # The class's tags win even when the object's tag is None (as a mapping's None tag
    # wins over the write's extra tags).
    assert encode(P(T, None, 2), "ns", extra) == f"P,region=eu,app=x\\ y,z=1 v=2i {T}"  # type: ignore[arg-type]
    assert encode(P(T, "h", 2), "ns", tag_fragment({"host": "a"})) == f"P,host=h,region=eu v=2i {T}"
    assert serialize([P(T, "h", 2)], app="q") == f"P,host=h,region=eu,app=q v=2i {T}".encode()

    @lineprotocol
    class Bare(NamedTuple):
        t: TIMEINT
        v: INT

    assert serialize(Bare(T, 2), a="b", c="d") == f"Bare,a=b,c=d v=2i {T}".encode()


def test_write_extra_tags_tricky_escapes() -> None:
    @lineprotocol
    class P(NamedTuple):
        t: TIMEINT
        host: TAG
        v: INT

    tags = {"a,host": "x,host=y", "host=": "v", "b": "=host,", "host": "dropped", "c d": "e"}
    extra = tag_fragment(tags)
    expected_extra = tag_fragment({k: v for k, v in tags.items() if k != "host"})
    assert encoder(P)(P(T, "h", 2), "ns", extra) == f"P,host=h{expected_extra} v=2i {T}"


# ------------------------------------------------------------------ SchemaError


def schema_error(match: str, cls: type, **options: Any) -> None:
    with pytest.raises(SchemaError, match=match):
        lineprotocol(cls, **options)


def test_names_influxql_reads_as_its_own_are_schema_errors() -> None:
    @dataclasses.dataclass
    class P:
        t: TIMEINT
        _tagKey: INT

    schema_error("'_tagKey'.*InfluxQL", P)

    @dataclasses.dataclass
    class _series:
        t: TIMEINT
        v: INT

    schema_error("_series.*system source", _series)

    @lineprotocol
    @dataclasses.dataclass
    class Q:
        t: TIMEINT
        v: INT
        _name: TAG = "x"  # a tag of the name reads back

    assert line(Q(T, 1)) == f"Q,_name=x v=1i {T}".encode()


def test_schema_errors_annotations() -> None:
    class Unknown(NamedTuple):
        t: TIMEINT
        price: float

    schema_error("'price' has type float", Unknown)

    class Union2(NamedTuple):
        t: TIMEINT
        price: FLOAT | INT

    schema_error("'price'", Union2)

    class TwoMeasurements(NamedTuple):
        a: MEASUREMENT
        b: MEASUREMENT
        t: TIMEINT
        v: INT

    schema_error("more than one MEASUREMENT attribute: a, b", TwoMeasurements)

    class NoTime(NamedTuple):
        v: INT

    schema_error("exactly one TIMEINT.*not 0", NoTime)

    class TwoTimes(NamedTuple):
        a: TIMEINT
        b: TIMEDT
        v: INT

    schema_error("exactly one TIMEINT.*not 2: a, b", TwoTimes)

    class NoField(NamedTuple):
        t: TIMEINT
        tag: TAG

    schema_error("no field attribute.*placeholder=True", NoField)

    class TimeField(NamedTuple):
        t: TIMEINT
        time: FLOAT

    schema_error("'time'.*reserved", TimeField)

    class Empty:
        pass

    schema_error("no schema", Empty)


def test_schema_errors_unresolvable_annotation() -> None:
    class Forward:
        t: TIMEINT
        v: "UndefinedName"  # type: ignore[name-defined]  # noqa: F821

    schema_error("cannot resolve.*UndefinedName", Forward)


def test_schema_errors_schema_argument() -> None:
    class P(NamedTuple):
        t: int
        v: float

    schema_error("mapping", P, schema=[("t", TIMEINT)])
    schema_error("not a valid attribute name", P, schema={"t": TIMEINT, "class": FLOAT})
    schema_error("not a valid attribute name", P, schema={"t": TIMEINT, 3: FLOAT})
    schema_error("'missing'.*does not have", P, schema={"t": TIMEINT, "missing": FLOAT})
    schema_error("'v' has type 'FLOAT'", P, schema={"t": TIMEINT, "v": "FLOAT"})

    @dataclasses.dataclass
    class D:
        t: int
        v: float

    schema_error("'w'.*does not have", D, schema={"t": TIMEINT, "w": FLOAT})


def test_schema_errors_extra_tags() -> None:
    class P(NamedTuple):
        t: TIMEINT
        host: TAG
        v: FLOAT

    schema_error("extra_tags must be a mapping", P, extra_tags=["a"])
    schema_error("'host' is also a TAG", P, extra_tags={"host": "x"})
    schema_error("'time'", P, extra_tags={"time": "x"})
    schema_error("empty", P, extra_tags={"a": ""})
    schema_error("empty", P, extra_tags={"a": None})
    schema_error("newline", P, extra_tags={"a": "x\ny"})
    schema_error("backslash", P, extra_tags={"a": "x\\"})
    schema_error("not a string", P, extra_tags={1: "x"})
    schema_error("empty", P, extra_tags={"": "x"})


def test_schema_error_for_non_class() -> None:
    with pytest.raises(SchemaError, match="classes"):
        lineprotocol(lambda: None)  # type: ignore[type-var]


def test_schema_error_is_a_type_error() -> None:
    assert issubclass(SchemaError, TypeError)


# ------------------------------------------------------------------ LineProtocolError


def test_errors_name_attribute_and_point() -> None:
    trade = Trade(**{**TRADE_VALUES, "side": "B\nUY"})
    with pytest.raises(LineProtocolError, match=r"'side'.*newline") as info:
        line(trade)
    assert info.value.field == "side"
    assert info.value.point is trade
    with pytest.raises(LineProtocolError, match=r"point 1 .*'size'.*64-bit") as info:
        serialize([Trade(**TRADE_VALUES), Trade(**{**TRADE_VALUES, "size": 2**64})])
    assert info.value.index == 1
    with pytest.raises(LineProtocolError, match=r"'price'.*NaN"):
        line(Trade(**{**TRADE_VALUES, "price": math.nan}))
    with pytest.raises(LineProtocolError, match=r"'source'.*backslash"):
        line(Trade(**{**TRADE_VALUES, "source": "x\\"}))
    with pytest.raises(LineProtocolError, match=r"'size'.*holds float 1.5"):
        line(Trade(**{**TRADE_VALUES, "size": 1.5}))


def test_missing_attribute() -> None:
    @lineprotocol
    class Lazy:
        t: TIMEINT
        v: INT

    with pytest.raises(LineProtocolError, match="no attribute 't'"):
        line(Lazy())


# ------------------------------------------------------------------ the oracle


FIELD_MARKERS = {"BOOL": BOOL, "INT": INT, "DECIMAL": DECIMAL, "FLOAT": FLOAT, "STR": STR,
                 "ENUM": ENUM}
TAG_MARKERS = {"TAG": TAG, "TAGENUM": TAGENUM}
TIME_MARKERS = {"TIMEINT": TIMEINT, "TIMEDT": TIMEDT, "TIMESTR": TIMESTR}
NAMES = ["a", "host", "value", "_", "b_2", "Region", "n", "x", "tag", "fields"]
OFFSETS = [None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30)),
           dt.timezone(dt.timedelta(hours=-8))]

hostile_text = st.text(st.sampled_from(list(' ,="\\\n\t#aZ9é漢🙂')), max_size=6) | st.text(
    max_size=5
)
enum_members = st.sampled_from([*Color, *Weird])


def value_strategy(marker: str) -> st.SearchStrategy[Any]:
    if marker in ("STR", "MEASUREMENT"):
        return hostile_text
    if marker == "TAG":
        return hostile_text | st.integers() | st.floats()
    if marker == "TAGENUM":
        return hostile_text | enum_members | st.integers()
    if marker == "ENUM":
        return hostile_text | enum_members
    if marker == "BOOL":
        return st.booleans()
    if marker == "INT":
        return st.integers(-(2**64), 2**64) | st.integers(-5, 5)
    if marker == "FLOAT":
        return st.floats() | st.integers(-(2**70), 2**70)
    if marker == "DECIMAL":
        return st.decimals(places=None) | st.floats() | st.integers(-(2**70), 2**70)
    if marker == "TIMEINT":  # see schemas_and_points: drawn in the range of its precision
        raise AssertionError("TIMEINT values depend on the precision")
    datetimes = st.datetimes(timezones=st.sampled_from(OFFSETS))
    if marker == "TIMEDT":
        return datetimes | st.builds(
            lambda d, ns: pd.Timestamp(d) + pd.Timedelta(ns, "ns"),
            st.datetimes(dt.datetime(1700, 1, 1), dt.datetime(2200, 1, 1)),
            st.integers(0, 999),
        )
    return st.builds(
        lambda d, digits: d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "")
        + "Z",
        st.datetimes(dt.datetime(1000, 1, 1)),
        st.text("0123456789", max_size=9),
    )


def timeint_values(precision: str) -> st.SearchStrategy[int]:
    """Integer times in the range written (1971 to 2262 in ``precision``), sometimes
    around its edges or far outside it."""
    unit = NS_PER_UNIT[precision]
    first, last = -(-EARLIEST_NS // unit), MAX_NS // unit
    edges = st.sampled_from([first - 1, first, last, last + 1, 0, -5, -(2**63) - 5, 2**63 + 5])
    return st.integers(0, 9).flatmap(lambda k: edges if k == 4 else st.integers(first, last))


Case = tuple[dict[str, str], Any, dict[str, Any], str, list[Problem]]


@st.composite
def schemas_and_points(draw: st.DrawFn) -> Case:
    """A class, an object of it, the same point as a mapping, a precision, and what the
    class alone refuses: an int that a FLOAT attribute would store rounded (the mapping
    holds its float)."""
    names = draw(st.permutations(NAMES))
    kinds = draw(st.lists(st.sampled_from([*FIELD_MARKERS, *TAG_MARKERS]), max_size=6))
    placeholder = draw(st.booleans())
    if not placeholder and not any(kind in FIELD_MARKERS for kind in kinds):
        kinds.append(draw(st.sampled_from(list(FIELD_MARKERS))))
    kinds.insert(draw(st.integers(0, len(kinds))), draw(st.sampled_from(list(TIME_MARKERS))))
    if draw(st.booleans()):
        kinds.insert(draw(st.integers(0, len(kinds))), "MEASUREMENT")
    rm_none = draw(st.booleans())
    markers = {**FIELD_MARKERS, **TAG_MARKERS, **TIME_MARKERS, "MEASUREMENT": MEASUREMENT}
    schema: dict[str, Any] = {}
    optional: dict[str, bool] = {}
    for name, kind in zip(names, kinds, strict=False):
        optional[name] = draw(st.booleans())
        marker = markers[kind]
        schema[name] = Optional[marker] if optional[name] else marker  # noqa: UP045
    extra_tags = draw(st.sampled_from([None, {"zone": "z 1"}]))
    cls = dataclasses.make_dataclass("Random", list(schema))
    lineprotocol(cls, schema=schema, rm_none=rm_none, placeholder=placeholder,
                 extra_tags=extra_tags)

    precision = draw(st.sampled_from(["ns", "u", "ms", "s", "m", "h"]))
    values: dict[str, Any] = {}
    point: dict[str, Any] = {"measurement": "Random", "tags": {}, "fields": {}}
    rounded: list[Problem] = []
    for name, kind in zip(names, kinds, strict=False):
        may_be_none = optional[name] or rm_none or kind in TAG_MARKERS
        strategy = timeint_values(precision) if kind == "TIMEINT" else value_strategy(kind)
        value = draw(st.none() | strategy if may_be_none else strategy)
        values[name] = value
        if kind == "MEASUREMENT":
            if value is not None:
                point["measurement"] = value
        elif kind in TIME_MARKERS:
            point["time"] = value
        elif kind in TAG_MARKERS:
            point["tags"][name] = value
        elif value is not None:
            if kind == "FLOAT":
                if isinstance(value, int) and float(value) != value:
                    rounded.append((0, name, value))
                value = float(value)
            elif kind == "DECIMAL" and isinstance(value, int):
                value = Decimal(value)
            point["fields"][name] = value
    point["tags"].update(extra_tags or {})
    if placeholder and not point["fields"]:
        point["fields"]["_"] = True
    return dict(zip(names, kinds, strict=False)), cls(**values), point, precision, rounded


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas_and_points())
def test_class_encoder_matches_mapping_encoder(case: Case) -> None:
    kinds, obj, point, precision, rounded = case
    # Both refuse only what the documented rules refuse, naming the point, the key (for
    # the class, a bad time by its attribute) and the value.
    problems = point_problems(point, precision)
    (timed,) = [name for name, kind in kinds.items() if kind in TIME_MARKERS]
    in_class = [*problems, *((i, timed, v) for i, field, v in problems if field == "time")]
    try:
        expected = serialize(point, precision=precision)
    except LineProtocolError as refusal:
        assert_due(refusal, problems)
        with pytest.raises(LineProtocolError) as info:
            serialize(obj, precision=precision)
        assert_due(info.value, in_class + rounded)
        return
    if rounded:
        with pytest.raises(LineProtocolError) as info:
            serialize(obj, precision=precision)
        assert_due(info.value, in_class + rounded)
        return
    assert not problems, f"the mapping encoder accepted what the rules refuse: {problems}"
    assert serialize(obj, precision=precision) == expected
    if precision == "ns":
        assert line(obj) == expected


def test_measurement_argument_is_refused_where_the_class_names_the_measurement() -> None:
    @lineprotocol
    class Reading(NamedTuple):
        time: TIMEINT
        value: FLOAT

    @lineprotocol
    class Named(NamedTuple):
        time: TIMEINT
        name: MEASUREMENT
        value: FLOAT

    line = f"Reading value=1.0 {T}".encode()
    assert serialize(Reading(T, 1.0), measurement="Reading") == line  # the same: fine
    for data in (Reading(T, 1.0), [{"measurement": "m", "fields": {"v": 1}}, Reading(T, 1.0)]):
        with pytest.raises(LineProtocolError, match=r"measurement='climate' does not apply "
                           r"to .*Reading objects, which are written to measurement "
                           "'Reading'") as raised:
            serialize(data, measurement="climate")
        assert raised.value.field == "measurement"
        assert raised.value.value == "climate"
        assert raised.value.index == (0 if isinstance(data, Reading) else 1)
    # A class whose objects name their measurement: measurement= is not in the way.
    assert serialize(Named(T, "n", 1.0), measurement="climate") == f"n value=1.0 {T}".encode()
