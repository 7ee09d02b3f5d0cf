"""InfluxQL quoting, statement splitting and building, and the checks of durations,
privileges, replication factors and names.

``unquote`` below is InfluxQL's own reading of a quoted string (``ScanString`` in
influxql/scanner.go): ``\\n``, ``\\\\``, ``\\"`` and ``\\'`` are the only escapes, and a
raw newline ends the string with an error. What the server makes of ``\\r`` and NUL
is checked against the real server in ``tests/integration/test_roundtrip.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit._core.influxql import (
    build_statement,
    check_duration,
    check_privilege,
    check_replication,
    check_storable_name,
    parse_resample,
    quote_ident,
    quote_literal,
    split_statements,
    tag_conditions,
)

ESCAPES = {"n": "\n", "\\": "\\", '"': '"', "'": "'"}


def unquote(quoted: str, quote: str) -> str:
    assert quoted[0] == quoted[-1] == quote
    out, i, inner = [], 0, quoted[1:-1]
    while i < len(inner):
        char = inner[i]
        if char == "\\":
            assert i + 1 < len(inner), "dangling backslash"
            assert inner[i + 1] in ESCAPES, f"bad escape \\{inner[i + 1]}"
            out.append(ESCAPES[inner[i + 1]])
            i += 2
            continue
        assert char != quote, "unescaped quote ends the string early"
        assert char != "\n", "a raw newline is a parse error"
        out.append(char)
        i += 1
    return "".join(out)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("cpu", '"cpu"'),
        ("my db", '"my db"'),
        ('my "db"', r'"my \"db\""'),
        ("back\\slash", r'"back\\slash"'),
        ("trailing\\", '"trailing\\\\"'),
        ("new\nline", r'"new\nline"'),
        ("it's", '"it\'s"'),
        ("a.b", '"a.b"'),
        ("select", '"select"'),
        ("日本😀", '"日本😀"'),
        ("$param", '"$param"'),
        ("tab\t", '"tab\t"'),
    ],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted
    assert unquote(quoted, '"') == name


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("", "''"),
        ("x", "'x'"),
        ("it's", r"'it\'s'"),
        ("a' OR 1=1 --", r"'a\' OR 1=1 --'"),
        ('say "hi"', "'say \"hi\"'"),
        ("back\\slash", r"'back\\slash'"),
        ("end\\", "'end\\\\'"),
        ("new\nline", r"'new\nline'"),
        ("😀", "'😀'"),
    ],
)
def test_quote_literal(value: str, quoted: str) -> None:
    assert quote_literal(value) == quoted
    assert unquote(quoted, "'") == value


QUOTABLE = st.text().filter(lambda text: "\r" not in text and "\x00" not in text)


@given(QUOTABLE.filter(bool))
def test_quote_ident_reads_back(name: str) -> None:
    assert unquote(quote_ident(name), '"') == name


@pytest.mark.parametrize("text", ["a\rb", "a\x00b"])
def test_unquotable_characters_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bound parameter"):
        quote_ident(text)
    with pytest.raises(ValueError, match="bound parameter"):
        quote_literal(text)


def test_statements_bind_what_quoting_cannot_carry() -> None:
    assert build_statement("SHOW TAG KEYS[ FROM {m}]", m=None) == ("SHOW TAG KEYS", {})
    assert build_statement("DROP MEASUREMENT {m}", m='a "b"') == (
        'DROP MEASUREMENT "a \\"b\\""', {})
    assert build_statement("SHOW TAG VALUES[ FROM {m}] WITH KEY = {k}", m="a\rb", k="k") == (
        'SHOW TAG VALUES FROM $m WITH KEY = "k"', {"m": {"identifier": "a\rb"}})


@given(QUOTABLE)
def test_quote_literal_reads_back(value: str) -> None:
    assert unquote(quote_literal(value), "'") == value


@pytest.mark.parametrize("bad", [None, 1, b"db", ["db"]], ids=repr)
def test_quote_refuses_non_strings(bad: Any) -> None:
    with pytest.raises(TypeError, match="string"):
        quote_ident(bad)
    with pytest.raises(TypeError, match="string"):
        quote_literal(bad)


def test_quote_ident_refuses_empty_names() -> None:
    with pytest.raises(ValueError, match="empty"):
        quote_ident("")


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        ("", []),
        ("   ", []),
        ("SELECT 1", ["SELECT 1"]),
        ("SELECT * FROM m; SELECT mean(s) FROM m",
         ["SELECT * FROM m", "SELECT mean(s) FROM m"]),
        ("SELECT 1;", ["SELECT 1"]),
        (";;SELECT 1;; ;SHOW DATABASES;", ["SELECT 1", "SHOW DATABASES"]),
        ("  SELECT 1 ;\n\tSELECT 2  ", ["SELECT 1", "SELECT 2"]),
        ("SELECT * FROM \"a;b\"; SELECT 2", ['SELECT * FROM "a;b"', "SELECT 2"]),
        ("SELECT * FROM m WHERE t = 'a;b'; SELECT 2",
         ["SELECT * FROM m WHERE t = 'a;b'", "SELECT 2"]),
        (r"SELECT * FROM m WHERE t = 'it\'s;x'; SELECT 2",
         [r"SELECT * FROM m WHERE t = 'it\'s;x'", "SELECT 2"]),
        (r'SELECT * FROM "a\";b"; SELECT 2', [r'SELECT * FROM "a\";b"', "SELECT 2"]),
        (r"SELECT * FROM m WHERE t = 'a\\'; SELECT 2",
         [r"SELECT * FROM m WHERE t = 'a\\'", "SELECT 2"]),
        ("SELECT * FROM m WHERE t = '\";'; SELECT 2",
         ["SELECT * FROM m WHERE t = '\";'", "SELECT 2"]),
        ("SELECT * FROM \"it's\"; SELECT 2", ["SELECT * FROM \"it's\"", "SELECT 2"]),
    ],
)
def test_split_statements(query: str, statements: list[str]) -> None:
    assert split_statements(query) == statements


def test_split_statements_with_a_backslash_outside_quotes() -> None:
    # Outside quotes a backslash escapes nothing.
    assert split_statements("SELECT a\\;SELECT b") == ["SELECT a\\", "SELECT b"]


_words = st.text(st.sampled_from("abc ;'\"\\\n="), max_size=6)


@given(st.lists(st.lists(st.tuples(st.sampled_from("iql"), _words), min_size=1, max_size=4),
                min_size=1, max_size=4))
def test_split_statements_of_quoted_parts(parts: list[list[tuple[str, str]]]) -> None:
    statements = []
    for statement in parts:
        pieces = ["SELECT"]
        for kind, text in statement:
            if kind == "i" and text:
                pieces.append(quote_ident(text))
            elif kind == "q":
                pieces.append(quote_literal(text))
            else:
                pieces.append("x")
        statements.append(" ".join(pieces))
    assert split_statements(";\n".join(statements)) == statements


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        ("SELECT * FROM /a;b/; SELECT 2", ["SELECT * FROM /a;b/", "SELECT 2"]),
        ("SELECT * FROM /'/; SELECT 2", ["SELECT * FROM /'/", "SELECT 2"]),
    ],
)
def test_split_statements_with_regular_expressions(query: str, statements: list[str]) -> None:
    assert split_statements(query) == statements


# -- durations ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "duration",
    ["3d", "1h30m", "52w", "90m", "1h", "0s", "1ns", "1u", "1µ", "1ms", "00001h", "1h1h",
     "3600000000000ns", "9223372036854775807ns", "2562047h", "15250w", "1w2d3h4m5s6ms7u8ns"],
)
def test_durations_influxql_reads(duration: str) -> None:
    assert check_duration(duration) == duration
    assert check_duration(duration, infinite=True) == duration


@pytest.mark.parametrize(
    "duration",
    ["", "0", "1", "h", "1H", "1D", "1.5h", "-1h", "+1h", "1 h", " 1h", "1h ", "1d2", "1x",
     "1hh", "1µs", "1μ", "1us", "1y", "1n", "١h", "1h\n", "INFINITE", "1mo"],
)
def test_durations_influxql_refuses(duration: str) -> None:
    # Each of these is refused by influxd 1.6.7 too (a parse error, "invalid duration").
    with pytest.raises(ValueError, match=re.escape(repr(duration))):
        check_duration(duration, "shard duration")
    with pytest.raises(ValueError, match="shard duration"):
        check_duration(duration, "shard duration", infinite=True)


@pytest.mark.parametrize("duration", ["9223372036854775808ns", "2562048h", "15251w",
                                      "2562047h2562047h", "9223372036854775807ns1ns",
                                      "99999999999999999999w"])
def test_durations_longer_than_an_int64_of_nanoseconds(duration: str) -> None:
    with pytest.raises(ValueError, match="longer than InfluxDB can hold"):
        check_duration(duration)
    with pytest.raises(ValueError, match="INF"):
        check_duration(duration, infinite=True)


@pytest.mark.parametrize("duration", ["INF", "inf", "Inf"])
def test_infinite_duration_only_where_allowed(duration: str) -> None:
    assert check_duration(duration, infinite=True) == "INF"
    with pytest.raises(ValueError, match=re.escape(f"shard duration cannot be {duration!r}")):
        check_duration(duration, "shard duration")


@pytest.mark.parametrize("bad", [None, 3, 3.5, b"3d", ["3d"]], ids=repr)
def test_durations_must_be_strings(bad: Any) -> None:
    with pytest.raises(TypeError, match=re.escape(repr(bad))):
        check_duration(bad)


_UNITS = {"ns": 1, "u": 10**3, "µ": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}


@given(st.lists(st.tuples(st.integers(0, 10**20), st.sampled_from(sorted(_UNITS))),
                min_size=1, max_size=5))
def test_durations_are_accepted_exactly_when_they_fit(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{number}{unit}" for number, unit in parts)
    fits = sum(number * _UNITS[unit] for number, unit in parts) < 2**63
    if fits:
        assert check_duration(text) == text
    else:
        with pytest.raises(ValueError, match="longer"):
            check_duration(text)


# -- privileges, replication, names ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("privilege", "keyword"),
    [("read", "READ"), ("READ", "READ"), ("Write", "WRITE"), ("all", "ALL"), ("ALL", "ALL")],
)
def test_privileges(privilege: str, keyword: str) -> None:
    assert check_privilege(privilege) == keyword


@pytest.mark.parametrize("privilege", ["", "admin", "all privileges", "ALL PRIVILEGES", "readd",
                                       " read", "read;", "READ ON db TO x; DROP USER y --",
                                       "no privileges"])
def test_other_privileges_are_refused(privilege: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(privilege))):
        check_privilege(privilege)


@pytest.mark.parametrize("bad", [None, 1, b"read"], ids=repr)
def test_privileges_must_be_strings(bad: Any) -> None:
    with pytest.raises(TypeError, match=re.escape(repr(bad))):
        check_privilege(bad)


@pytest.mark.parametrize("replication", [1, 3, 2**31 - 1])
def test_replication(replication: int) -> None:
    assert check_replication(replication) == replication


@pytest.mark.parametrize(("bad", "error"), [(0, ValueError), (-1, ValueError),
                                            (2**31, ValueError), (True, TypeError),
                                            (1.0, TypeError), ("1", TypeError),
                                            (None, TypeError)])
def test_bad_replication(bad: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=re.escape(repr(bad))):
        check_replication(bad)


@pytest.mark.parametrize("name", ["db", "a b", 'a"b', "a'b", "a;b", "a,b", "a=b", "a.b", " ",
                                  "...", "ü😀", "日本", "$x", "-- x"])
def test_storable_names(name: str) -> None:
    assert check_storable_name(name, "database") == name


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "\\", "a\nb", "a\rb", "a\tb",
                                  "a\x00b", "a\x7fb", "a\u00a0b", "a\u200bb", "a\u00adb",
                                  "a\ue000b", "a\u2028b", "\U000e0001"])
def test_names_influxdb_cannot_store(name: str) -> None:
    # The server refuses every one of these with "invalid name" (see test_admin.py).
    with pytest.raises(ValueError, match="retention policy"):
        check_storable_name(name, "retention policy")


# -- statements -------------------------------------------------------------------------------

def test_statement_with_literals_secrets_and_checked_values() -> None:
    statement, params = build_statement(
        "CREATE RETENTION POLICY {name} ON {db} DURATION {duration:retention} "
        "REPLICATION {replication:replication}[ SHARD DURATION {shard:duration}]"
        "[ DEFAULT{default:flag}]",
        name="it's", db='a "b"', duration="inf", replication=2, shard="1h", default=True)
    assert statement == ("CREATE RETENTION POLICY \"it's\" ON \"a \\\"b\\\"\" DURATION INF "
                         "REPLICATION 2 SHARD DURATION 1h DEFAULT")
    assert params == {}


def test_optional_parts_are_left_out_for_none_and_false() -> None:
    template = ("ALTER RETENTION POLICY {name} ON {db}[ DURATION {duration:retention}]"
                "[ REPLICATION {replication:replication}][ DEFAULT{default:flag}]")
    assert build_statement(template, name="r", db="d", duration=None, replication=1,
                           default=False) == ('ALTER RETENTION POLICY "r" ON "d" REPLICATION 1',
                                              {})
    assert build_statement(template, name="r", db="d", duration="1d", replication=None,
                           default=None) == ('ALTER RETENTION POLICY "r" ON "d" DURATION 1d', {})


def test_optional_parts_nest() -> None:
    template = "X[ RESAMPLE{r:flag}[ EVERY {every:duration}][ FOR {for_:duration}]] END"
    assert build_statement(template, r=False, every=None, for_=None) == ("X END", {})
    assert build_statement(template, r=True, every="1h", for_=None) == (
        "X RESAMPLE EVERY 1h END", {})
    assert build_statement(template, r=True, every=None, for_="2h") == (
        "X RESAMPLE FOR 2h END", {})
    assert build_statement(template, r=True, every="1h", for_="2h") == (
        "X RESAMPLE EVERY 1h FOR 2h END", {})


def test_secrets_are_always_bound() -> None:
    statement, params = build_statement("SET PASSWORD FOR {u} = {p:secret}", u="bob",
                                        p="it's; DROP USER admin --")
    assert statement == 'SET PASSWORD FOR "bob" = $p'
    assert params == {"p": "it's; DROP USER admin --"}
    with pytest.raises(TypeError) as info:
        build_statement("SET PASSWORD FOR {u} = {p:secret}", u="bob", p=12345678)
    assert "12345678" not in str(info.value)


def test_literals_are_quoted_or_bound() -> None:
    assert build_statement("WHERE {k} = {v:literal}", k="host", v="a' OR 1=1 --") == (
        "WHERE \"host\" = 'a\\' OR 1=1 --'", {})
    assert build_statement("WHERE {k} = {v:literal}", k="h\rst", v="a\x00b") == (
        "WHERE $k = $v", {"k": {"identifier": "h\rst"}, "v": "a\x00b"})


@pytest.mark.parametrize(
    ("template", "values", "error", "match"),
    [
        ("X {d:duration}", {"d": "1x"}, ValueError, "'1x'"),
        ("X {d:duration}", {"d": "INF"}, ValueError, "INF"),
        ("X {shard_duration:duration}", {"shard_duration": "1y"}, ValueError, "shard duration"),
        ("X {r:replication}", {"r": 0}, ValueError, "r must be a positive int"),
        ("X {p:privilege}", {"p": "owner"}, ValueError, "'owner'"),
        ("X {f:flag}", {"f": 1}, TypeError, "f must be True or False"),
        ("X[ {f:flag}]", {"f": "yes"}, TypeError, "'yes'"),
        ("X {q:query}", {"q": "  "}, ValueError, "InfluxQL statement"),
        ("X {q:query}", {"q": 1}, ValueError, "1"),
        ("X {v:literal}", {"v": 1}, TypeError, "1"),
        ("X {name}", {"name": None}, ValueError, "name is required"),
        ("X {name:nonsense}", {"name": "x"}, ValueError, "nonsense"),
    ],
)
def test_statement_values_are_checked(template: str, values: dict[str, Any],
                                      error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        build_statement(template, **values)


def test_tag_conditions() -> None:
    template, values = tag_conditions({"host": "a", 'we"ird': "it's"})
    assert template == "{tag0} = {value0:literal} AND {tag1} = {value1:literal}"
    assert build_statement(f"DROP SERIES WHERE {template}", **values) == (
        'DROP SERIES WHERE "host" = \'a\' AND "we\\"ird" = \'it\\\'s\'', {})
    assert tag_conditions({}) == ("", {})
    with pytest.raises(TypeError, match=r"'host'.*not 1$"):
        tag_conditions({"host": 1})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("options", "parsed"),
    [("EVERY 1h FOR 2h", ("1h", "2h")), ("every 1h", ("1h", None)), ("FOR 90m", (None, "90m")),
     ("RESAMPLE EVERY 1h FOR 2h", ("1h", "2h")), ("  EVERY 10s   FOR 2m ", ("10s", "2m"))],
)
def test_resample_options(options: str, parsed: tuple[str | None, str | None]) -> None:
    assert parse_resample(options) == parsed


@pytest.mark.parametrize("options", ["", "RESAMPLE", "EVERY", "EVERY 1h FOR", "FOR 2h EVERY 1h",
                                     "EVERY 1x", "EVERY INF", "EVERY 1h; DROP DATABASE x",
                                     "EVERY 1h FOR 2h BEGIN"])
def test_bad_resample_options(options: str) -> None:
    with pytest.raises(ValueError, match="resample"):
        parse_resample(options)


@pytest.mark.parametrize("fragment", [
    'SELECT mean(v) INTO "m_1h" FROM m GROUP BY time(1h); DROP DATABASE "x"',
    "SELECT 1 FROM m;DROP DATABASE x;",
    "SELECT 1 FROM m; ; SELECT 2 FROM n",
])
def test_a_query_fragment_of_several_statements_is_refused(fragment: str) -> None:
    with pytest.raises(ValueError, match="must be one InfluxQL statement, not 2"):
        build_statement("CREATE CONTINUOUS QUERY c ON d BEGIN {select:query} END",
                        select=fragment)


@pytest.mark.parametrize(("fragment", "sent"), [
    ("SELECT 1 FROM m;", "SELECT 1 FROM m"),
    ("SELECT 1 FROM m WHERE s = 'a;b' AND t =~ /x;y/", None),
    ('SELECT "a;b" FROM "c;d"', None),
])
def test_one_statement_with_semicolons_inside_quotes_is_one(fragment: str,
                                                            sent: str | None) -> None:
    statement, _ = build_statement("BEGIN {select:query} END", select=fragment)
    assert statement == f"BEGIN {sent or fragment} END"


def test_bind_parameters_take_times_as_rfc3339() -> None:
    import datetime as dt
    import json

    import numpy as np
    import pandas as pd

    from influxkit._core.influxql import encode_params

    encoded = json.loads(encode_params({
        "naive": dt.datetime(2009, 11, 10, 23, 0, 0, 500_000),
        "aware": dt.datetime(2009, 11, 11, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "day": dt.date(2009, 11, 10),
        "stamp": pd.Timestamp("2009-11-10T23:00:00.000000001Z"),
        "numpy": np.datetime64("2009-11-10T23:00:00.25"),
        "plain": "x", "n": 2**62, "f": 0.5, "b": True, "none": None,
        "ident": {"identifier": "cpu"},
    }))
    assert encoded == {
        "naive": "2009-11-10T23:00:00.5Z", "aware": "2009-11-10T23:00:00Z",
        "day": "2009-11-10T00:00:00Z", "stamp": "2009-11-10T23:00:00.000000001Z",
        "numpy": "2009-11-10T23:00:00.25Z", "plain": "x", "n": 2**62, "f": 0.5, "b": True,
        "none": None, "ident": {"identifier": "cpu"},
    }


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"t": object()}, TypeError, "bind parameter 't' is <object object"),
    ({"t": b"x"}, TypeError, "bind parameter 't' is b'x' of type bytes"),
    ({"t": {1, 2}}, TypeError, "of type set"),
    ({"t": float("nan")}, ValueError, "bind parameter 't' is nan"),
    ({1: "x"}, TypeError, "names are strings"),
])
def test_bind_parameters_json_cannot_carry_are_refused(params: dict[Any, Any],
                                                       error: type[Exception],
                                                       match: str) -> None:
    from influxkit._core.influxql import encode_params

    with pytest.raises(error, match=match):
        encode_params(params)


@pytest.mark.parametrize(("query", "count"), [
    ("SELECT 1 FROM m -- a comment; not a statement\nSELECT 2 FROM n", 1),
    ("SELECT 1 FROM m; -- the end; of it", 1),
    ("SELECT 1 /* ; */ FROM m; SELECT 2 FROM n", 2),
    ("SELECT 1 FROM m /* an open comment; to the end", 1),
    ("SELECT a - b FROM m; SELECT 1 / 2 FROM n", 2),
    ("SELECT * FROM m WHERE t =~ /a;b/; SELECT 2 FROM n", 2),
])
def test_comments_hold_no_statement_end(query: str, count: int) -> None:
    assert len(split_statements(query)) == count
