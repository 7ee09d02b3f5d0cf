from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from influxkit import InfluxDBClient, LineProtocolError, serialize
from influxkit.testing import InfluxDBServer

import collections
STATS = collections.Counter()
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
WEEK = 7 * 86_400 * 10**9
BASE = 1_000_000_000 * 10**9

HOSTILE = list(" ,=\"'\\\t\r\n#") + ["é", "日", "😀", "\u2028", "\x00", "a", "Z", "0"]
raw_names = st.text(st.sampled_from(HOSTILE) | st.characters(codec="utf-8"), max_size=6)
safe_names = raw_names.filter(
    lambda s: s != "" and "\n" not in s and not s.endswith("\\") and not s.startswith("#"))
# Mostly names line protocol can carry, sometimes anything.
names = st.integers(0, 9).flatmap(lambda n: raw_names if n == 0 else safe_names)
tag_values = names | st.none()
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(INT64_MIN - 2, INT64_MAX + 2),
    st.sampled_from([INT64_MIN, INT64_MAX, 0, -1]),
    st.floats(),
    st.sampled_from([5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, -0.0,
                     0.0, 1.0, 2.2250738585072014e-308]),
    names,
)


@st.composite
def points(draw: Any) -> dict[str, Any]:
    tags = draw(st.dictionaries(names, tag_values, max_size=3))
    fields = draw(st.dictionaries(names.filter(lambda k: k not in tags), field_values,
                                  min_size=1, max_size=3))
    return {"measurement": draw(names), "tags": tags, "fields": fields}


def bad_name(text: str) -> bool:
    return text == "" or "\n" in text or text.endswith("\\")


def refusal(point: dict[str, Any]) -> bool:
    """Whether the spec says line protocol cannot carry ``point``."""
    name = point["measurement"]
    if bad_name(name) or name.startswith("#"):
        return True
    for key, value in point["tags"].items():
        if value in (None, ""):
            continue
        if bad_name(key) or key == "time" or "\n" in value or value.endswith("\\"):
            return True
    kept = {k: v for k, v in point["fields"].items() if v is not None}
    if not kept:
        return True
    for key, value in kept.items():
        if bad_name(key) or key == "time":
            return True
        if isinstance(value, float) and not math.isfinite(value):
            return True
        if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
            return True
    return False


def known_disagreement(point: dict[str, Any]) -> str | None:
    name = point["measurement"]
    if name[:1] in ("\t", "\x00"):
        return "leading whitespace measurement"
    if re.search(r'\\[ ,="]', name):
        return "backslash before special in measurement"
    kept = [k for k, v in point["fields"].items() if v is not None]
    if kept and kept[0][:1] in ("\t", "\x00"):
        return "leading whitespace field key"
    if any(re.search(r'\\[ ,="]', k) for k in kept):
        return "backslash before special in field key"
    return None


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def test_hostile_points_round_trip_or_are_refused(influxdb_server: InfluxDBServer,
                                                  database: str) -> None:
    counter = itertools.count()
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:

        @settings(max_examples=6000, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(points(), min_size=1, max_size=3, unique_by=lambda p: p["measurement"]),
               st.integers(0, 86_400 * 10**9))
        def check(batch: list[dict[str, Any]], offset: int) -> None:
            start = BASE + (next(counter) % 5000) * 8 * 86_400 * 10**9 + offset
            for i, p in enumerate(batch):
                p["time"] = start + i
            note(f'batch={batch!r}')
            if any(known_disagreement(p) for p in batch if not refusal(p)):
                return
            expected_bad = [i for i, p in enumerate(batch) if refusal(p)]
            try:
                body = serialize(batch)
            except LineProtocolError as exc:
                STATS['refused'] += 1
                assert expected_bad, f"refused without reason: {exc}"
                assert exc.index == expected_bad[0]
                with pytest.raises(LineProtocolError):
                    client.write(batch)
                answer = client.query("SELECT * FROM /.*/ WHERE time >= $a AND time < $b",
                                      params={"a": start, "b": start + 10})
                assert "series" not in answer["results"][0]
                return
            assert not expected_bad, f"accepted {batch[expected_bad[0]]!r}: {body!r}"
            STATS['written'] += 1
            note(f'body={body!r}')
            client.write(batch)
            for p in batch:
                answer = client.query("SELECT * FROM $m WHERE time = $t GROUP BY *",
                                      params={"m": {"identifier": p["measurement"]},
                                              "t": p["time"]})
                series = answer["results"][0].get("series", [])
                if len(series) != 1:
                    diag = client.query("SELECT * FROM /.*/ WHERE time = $t GROUP BY *", params={"t": p["time"]})
                    diag2 = client.query("SHOW MEASUREMENTS")
                    diag3 = client.query("SHOW SHARDS")
                    note(f"diag={diag!r}")
                    note(f"measurements={[m for (m,) in diag2['results'][0]['series'][0]['values'] if m and m in p['measurement']]!r}")
                    note(f"shards={len(diag3['results'][0]['series'][0]['values'])}")
                assert len(series) == 1, (body, answer)
                (got,) = series
                assert got["name"] == p["measurement"]
                assert {k: v for k, v in got.get("tags", {}).items() if v} == {
                    k: v for k, v in p["tags"].items() if v not in (None, "")}, body
                (row,) = got["values"]
                stored = dict(zip(got["columns"], row, strict=True))
                assert stored.pop("time") == p["time"]
                stored = {k: v for k, v in stored.items() if v is not None}
                wanted = {k: v for k, v in p["fields"].items() if v is not None}
                assert stored.keys() == wanted.keys(), (body, stored)
                for key, value in wanted.items():
                    assert same(stored[key], value), (body, key, stored[key], value)

        check()
    print(STATS)
