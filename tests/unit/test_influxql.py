"""InfluxQL quoting and statement splitting.

``unquote`` below is InfluxQL's own reading of a quoted string (``ScanString`` in
influxql/scanner.go): ``\\n``, ``\\\\``, ``\\"`` and ``\\'`` are the only escapes, and a
raw newline ends the string with an error. What the server makes of ``\\r`` and NUL
is checked against the real server in ``tests/integration/test_roundtrip.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit._influxql import build_statement, quote_ident, quote_literal, split_statements

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
