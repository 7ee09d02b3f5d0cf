"""A small line protocol parser for the DataFrame encoders' tests (pandas and polars).

Lines are split into their raw (still escaped) parts, field values typed and floats
kept as their float64 bits, so that two encoders' lines compare by meaning.
"""

from __future__ import annotations

import struct
from typing import Any

Parsed = tuple[str, list[tuple[str, str]], list[tuple[str, Any]], "int | None"]


def _scan(line: str, i: int, stops: str) -> int:
    # InfluxDB 1.x: a separator is escaped when the byte before it is a backslash.
    while i < len(line) and not (line[i] in stops and line[i - 1] != "\\"):
        i += 1
    return i


def parse_line(line: str) -> Parsed:
    (parsed,) = parse_lines(line)
    return parsed


def parse_lines(body: str) -> list[Parsed]:
    """Split line protocol into lines of raw (still escaped) parts, field values typed
    (floats as their float64 bits)."""
    lines = []
    i = 0
    while i < len(body):
        parsed, i = _parse_one(body, i)
        lines.append(parsed)
    return lines


def _parse_one(line: str, i: int) -> tuple[Parsed, int]:
    end = _scan(line, i, ", ")
    measurement = line[i:end]
    i = end
    tags = []
    while line[i] == ",":
        key_end = _scan(line, i + 1, "=")
        value_end = _scan(line, key_end + 1, ", ")
        tags.append((line[i + 1:key_end], line[key_end + 1:value_end]))
        i = value_end
    assert line[i] == " "
    i += 1
    fields: list[tuple[str, Any]] = []
    while True:
        key_end = _scan(line, i, "=")
        key = line[i:key_end]
        i = key_end + 1
        if line[i] == '"':
            j = i + 1
            while line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            fields.append((key, ("str", line[i:j + 1])))
            i = j + 1
        else:
            j = i
            while j < len(line) and line[j] not in ", \n":
                j += 1
            raw = line[i:j]
            if raw in ("true", "false"):
                fields.append((key, ("bool", raw)))
            elif raw.endswith("i"):
                fields.append((key, ("int", int(raw[:-1]))))
            else:
                fields.append((key, ("float", struct.pack("<d", float(raw)))))
            i = j
        if i >= len(line) or line[i] in " \n":
            break
        i += 1
    when = None
    if i < len(line) and line[i] == " ":
        end = line.find("\n", i)
        end = len(line) if end < 0 else end
        when = int(line[i + 1:end])
        i = end
    return (measurement, tags, fields, when), i + 1


def assert_same_lines(mine: str, expected: str) -> None:
    ours, theirs = parse_lines(mine), parse_lines(expected)
    assert len(ours) == len(theirs), (mine, expected)
    for position, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, (position, a, b)
