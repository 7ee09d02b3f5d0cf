"""Checking encoders: a small line protocol parser and a comparison of point sets.

Every contender's output is parsed into canonical points (measurement, sorted tags,
time -> sorted typed fields) and compared with the points the data *should* give,
built straight from the data, not by any encoder. The comparison says what is wrong in
words: lines that are not line protocol, points missing or extra, floats written as
integers, values that changed, missing cells written out.

Canonical values are ``(kind, value)``: ``("float", 3.0)``, ``("int", 3)``,
``("bool", True)``, ``("str", "x")``. A number without a suffix is a float in line
protocol, so ``f=3`` and ``f=3.0`` are the same point; ``f=3i`` is not.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

Key = tuple[str, tuple[tuple[str, str], ...], "int | None"]
Fields = tuple[tuple[str, str, Any], ...]

_DIGITS = frozenset("0123456789.")
_NUMBER_START = frozenset("0123456789.-+")
_INT = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"t", "T", "true", "True", "TRUE"})
_FALSE = frozenset({"f", "F", "false", "False", "FALSE"})
_UNESCAPE = re.compile(r"\\([\\, =])")
_UNESCAPE_STRING = re.compile(r'\\([\\"])')


class LineError(ValueError):
    """A line that is not valid line protocol."""


def _value(text: str) -> tuple[str, Any]:
    if not text or "_" in text:
        raise LineError(f"invalid field value {text!r}")
    last = text[-1]
    try:
        if last in _DIGITS:
            if text[0] in _NUMBER_START:
                return "float", float(text)
        elif last == "i" or last == "u":
            if text[0] in _NUMBER_START and "." not in text:
                return "int", int(text[:-1])
        elif last == '"':
            if len(text) >= 2 and text[0] == '"':
                return "str", _UNESCAPE_STRING.sub(r"\1", text[1:-1])
        elif text in _TRUE:
            return "bool", True
        elif text in _FALSE:
            return "bool", False
    except ValueError:
        pass
    raise LineError(f"invalid field value {text[:40]!r}")


def _split(text: str, separator: str, quotes: bool) -> list[str]:
    """Split at unescaped *separator*s outside double quotes (quotes only count in field
    values, so only when *quotes*)."""
    pieces: list[str] = []
    start = 0
    i = 0
    n = len(text)
    in_quotes = False
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            i += 2
            continue
        if quotes and char == '"':
            in_quotes = not in_quotes
        elif char == separator and not in_quotes:
            pieces.append(text[start:i])
            start = i + 1
        i += 1
    if in_quotes:
        raise LineError("unterminated string")
    pieces.append(text[start:])
    return pieces


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


def _pair(text: str, quotes: bool) -> tuple[str, str]:
    parts = _split(text, "=", quotes)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    if quotes and len(parts) > 2 and parts[0]:
        # '=' inside a string value.
        return parts[0], text[len(parts[0]) + 1:]
    raise LineError(f"not key=value: {text[:40]!r}")


def parse_line(line: str) -> tuple[Key, Fields]:
    """One line of line protocol as ``((measurement, tags, time), fields)``."""
    if "\\" in line or '"' in line:
        return _parse_escaped(line)
    sections = line.split(" ")
    if len(sections) == 3:
        head, body, stamp = sections
        if not stamp.isdigit() and not (stamp[:1] == "-" and stamp[1:].isdigit()):
            raise LineError(f"bad timestamp {stamp[:30]!r}")
        time: int | None = int(stamp)
    elif len(sections) == 2:
        head, body = sections
        time = None
    else:
        raise LineError(f"{len(sections)} space-separated sections (unescaped space?)")
    measurement, *tag_pieces = head.split(",")
    if not measurement:
        raise LineError("empty measurement")
    tags = []
    for piece in tag_pieces:
        key, sep, value = piece.partition("=")
        if not sep or not key or not value or "=" in value:
            raise LineError(f"bad tag {piece[:40]!r}")
        tags.append((key, value))
    if len(tags) > 1:
        tags.sort()
    fields = []
    for piece in body.split(","):
        key, sep, value = piece.partition("=")
        if not sep or not key:
            raise LineError(f"bad field {piece[:40]!r}")
        # The common case inline (a plain float): this loop is the checker's hot path.
        if value and value[-1] in _DIGITS and value[0] in _NUMBER_START and "_" not in value:
            try:
                fields.append((key, "float", float(value)))
                continue
            except ValueError:
                pass
        fields.append((key, *_value(value)))
    fields.sort()
    return (measurement, tuple(tags), time), tuple(fields)


def _parse_escaped(line: str) -> tuple[Key, Fields]:
    # The head has no quotes (a '"' there is a plain character); fields do.
    head, *rest = _split(line, " ", False)
    sections = [head, *_split(" ".join(rest), " ", True)] if rest else [head]
    if len(sections) not in (2, 3):
        raise LineError(f"{len(sections)} space-separated sections (unescaped space?)")
    head_pieces = _split(head, ",", False)
    measurement = _unescape(head_pieces[0])
    if not measurement:
        raise LineError("empty measurement")
    tags = []
    for piece in head_pieces[1:]:
        key, value = _pair(piece, False)
        tags.append((_unescape(key), _unescape(value)))
    tags.sort()
    fields = []
    for piece in _split(sections[1], ",", True):
        key, value = _pair(piece, True)
        fields.append((_unescape(key), *_value(value)))
    fields.sort()
    time = None
    if len(sections) == 3:
        if not _INT.fullmatch(sections[2]):
            raise LineError(f"bad timestamp {sections[2][:30]!r}")
        time = int(sections[2])
    return (measurement, tuple(tags), time), tuple(fields)


def field(key: str, value: Any) -> tuple[str, str, Any] | None:
    """The canonical field of a Python value (``None`` for a missing one)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return key, "bool", value
    if isinstance(value, int):
        return key, "int", value
    if isinstance(value, float):
        return None if math.isnan(value) else (key, "float", value)
    return key, "str", str(value)


def point(measurement: str, tags: Iterable[tuple[str, str]], time: int | None,
          fields: Iterable[tuple[str, Any]]) -> tuple[Key, Fields]:
    """A canonical point from Python values; missing values are left out."""
    canonical = [item for key, value in fields if (item := field(key, value)) is not None]
    return ((measurement, tuple(sorted((k, v) for k, v in tags if v)), time),
            tuple(sorted(canonical)))


# -- comparison -------------------------------------------------------------------------------


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Checker:
    """Compares outputs with the *expected* points. Lines already seen to be right (in
    an earlier output) are not parsed again: outputs of the same data share most lines."""

    def __init__(self, expected: dict[Key, Fields]) -> None:
        self.expected = expected
        self._known: dict[str, Key] = {}

    def compare(self, output: bytes, hints: Sequence[tuple[str, str]] = ()) -> list[str]:
        return compare(self.expected, output, hints, self._known)


def compare(expected: dict[Key, Fields], output: bytes,
            hints: Sequence[tuple[str, str]] = (), known: dict[str, Key] | None = None,
            ) -> list[str]:
    """What is wrong with *output* given the *expected* points; ``[]`` when it carries
    exactly them. *hints* pair a raw substring with the explanation to give when a line
    that is not line protocol contains it (e.g. an unescaped tag value). *known* maps
    lines already found right to their point, and learns the new right ones."""
    problems: list[str] = []
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"output is not UTF-8: {exc}"]
    if known is None:
        known = {}
    got: dict[Key, Fields] = {}
    bad: Counter[str] = Counter()
    bad_example: dict[str, str] = {}
    duplicates = 0
    for line in text.split("\n"):
        key = known.get(line)
        if key is not None:
            if key in got:
                duplicates += 1
            got[key] = expected[key]
            continue
        if not line or line.startswith("#"):
            continue
        try:
            key, fields = parse_line(line)
        except LineError as exc:
            reason = next((why for raw, why in hints if raw in line), str(exc).split(":")[0])
            bad[reason] += 1
            bad_example.setdefault(reason, f"{_short(line)} ({exc})")
            continue
        if key in got:
            duplicates += 1
        got[key] = fields
        if expected.get(key) == fields:
            known[line] = key
    del text
    for reason, count in bad.most_common():
        problems.append(f"{count:,} lines are not line protocol: {reason}; "
                        f"e.g. `{bad_example[reason]}`")
    if duplicates:
        problems.append(f"{duplicates:,} duplicate points")

    missing = [key for key in expected if key not in got]
    extra = [key for key in got if key not in expected]
    if extra:
        by_time = {key[2]: key for key in missing}
        retagged = [(by_time[key[2]], key) for key in extra if key[2] in by_time]
        if retagged:
            want, have = retagged[0]
            problems.append(f"{len(retagged):,} points carry other tags or measurement than "
                            f"the data, e.g. {have[0]!r} {dict(have[1])} instead of "
                            f"{want[0]!r} {dict(want[1])}")
            moved = {pair[0] for pair in retagged}
            missing = [key for key in missing if key not in moved]
            extra_left = len(extra) - len(retagged)
        else:
            extra_left = len(extra)
        if extra_left:
            problems.append(f"{extra_left:,} points that are not in the data")
    if missing and not bad:
        problems.append(f"{len(missing):,} of {len(expected):,} points missing")
    elif missing:
        unexplained = len(missing) - sum(bad.values())
        if unexplained > 0:
            problems.append(f"{unexplained:,} points missing besides the invalid lines")

    issues: Counter[str] = Counter()
    examples: dict[str, str] = {}

    def note(kind: str, example: str) -> None:
        issues[kind] += 1
        examples.setdefault(kind, example)

    for key, want in expected.items():
        have = got.get(key)
        if have is None or have is want or have == want:
            continue
        want_map = {name: (kind, value) for name, kind, value in want}
        have_map = {name: (kind, value) for name, kind, value in have}
        for name, (kind, value) in want_map.items():
            if name not in have_map:
                note(f"field {name} dropped", f"{name}={value!r} missing at time {key[2]}")
                continue
            have_kind, have_value = have_map[name]
            if (have_kind, have_value) == (kind, value):
                continue
            if kind == "float" and have_kind == "int":
                note("floats written as integers", f"{name}: {value!r} -> {have_value}i")
            elif kind != have_kind:
                note(f"{kind} field {name} written as {have_kind}",
                     f"{value!r} -> {have_value!r}")
            elif kind == "float":
                note("float values changed (precision lost?)",
                     f"{name}: {value!r} -> {have_value!r}")
            else:
                note(f"{kind} values changed", f"{name}: {value!r} -> {have_value!r}")
        for name, (_kind, value) in have_map.items():
            if name not in want_map:
                note("missing cells written as values", f"{name}={value!r} at time {key[2]}")
    for kind, count in issues.most_common():
        problems.append(f"{count:,} points: {kind}, e.g. {examples[kind]}")
    return problems


def summarize(problems: Sequence[str]) -> str:
    """A short cell for the results table."""
    if not problems:
        return "ok"
    first = problems[0]
    first = first.split("; e.g.")[0].split(", e.g.")[0]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"WRONG: {first}{more}"
