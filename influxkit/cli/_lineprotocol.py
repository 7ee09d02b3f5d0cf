"""Line protocol files, checked before anything is sent.

influxkit sends line protocol given as text as it is; a file loaded by ``influxkit
write`` is checked first, so that a bad line is reported with its file and line number
instead of failing a whole batch at the server (or, worse, being stored in part).

A line passes if influxd would store it: the grammar influxd parses (measurement, tags,
fields, an optional time; escapes; quoted strings, which may hold newlines), integers
within int64, floats that stay finite, times within influxd's range in the write's
precision, no ``time`` tag or field key, and valid UTF-8 (influxd would store other
bytes, which no query gives back). Blank lines and comments (``#`` first) are left out,
as influxd leaves them out. Duplicate tag keys are the one refusal left to the server
(its answer is reported with the line, too).

Speed: a block of lines is checked with one regular expression in pyarrow's RE2 (no
Python per line); only blocks with an unusual line (a string holding a newline, a
comment, a number near a limit) take the slow path, which reads them line by line and
says what is wrong with a bad one.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Final

__all__ = ["BadLine", "CheckedBlock", "LineChecker"]

# The grammar, written once for both engines (Python's re on bytes, RE2 on str): only
# classes, groups, alternation and counted repeats, which mean the same in both.
_NAME_CHAR: Final = r"(?:[^\\ ,\n]|\\[^\n])"
_KEY: Final = r"(?:[^\\ ,=\n]|\\[^\n])+"
_BOOLEAN: Final = r"(?:t|T|true|True|TRUE|f|F|false|False|FALSE)"
_STRING: Final = r'"(?:[^"\\]|\\[\s\S])*"'

_FIRST: Final = 9_223_372_036_854_775_806  # influxd's latest time, in nanoseconds
_UNITS: Final = {"ns": 1, "u": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
                 "m": 60_000_000_000, "h": 3_600_000_000_000}
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _value(integer: str = "[0-9]+", exponent: str = "[0-9]+") -> str:
    """A field's value, with these patterns for an integer's digits and a float's
    exponent digits."""
    number = rf"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?{exponent})?"
    return rf"(?:{number}|-?{integer}i|{_STRING}|{_BOOLEAN})"


def _grammar(integer: str, exponent: str, timestamp: str, key: str = _KEY) -> str:
    """A line of line protocol, with these patterns for an integer's digits, a float's
    exponent digits, a time and a tag or field key."""
    field = rf"{key}={_value(integer, exponent)}"
    first = r"(?:[^#\\ \t,\n]|\\[^\n])"  # a measurement's first character: no comment
    return (rf"[ \t]*{first}{_NAME_CHAR}*(?:,{key}={_KEY})* +{field}(?:,{field})*"
            rf"(?: +{timestamp})? *")


def _not(char: str) -> str:
    """A key's character other than ``char``."""
    return rf"(?:[^{char}\\ ,=\n]|\\[^\n])"


# A key other than ``time`` (which influxd refuses as a tag or field key), written
# without a lookahead, which RE2 lacks.
_KEY_CHAR: Final = r"(?:[^\\ ,=\n]|\\[^\n])"
_KEY_NOT_TIME: Final = (rf"(?:{_not('t')}{_KEY_CHAR}*|t(?:{_not('i')}{_KEY_CHAR}*)?"
                        rf"|ti(?:{_not('m')}{_KEY_CHAR}*)?|tim(?:{_not('e')}{_KEY_CHAR}*)?"
                        rf"|time{_KEY_CHAR}+)")


def _bounded_time(precision: str) -> str:
    """RE2: a time that is surely within influxd's range in ``precision`` (fewer digits
    than its limit, or as many with a smaller first digit)."""
    latest = str(_FIRST // _UNITS[precision])
    shorter = rf"[0-9]{{1,{len(latest) - 1}}}" if len(latest) > 1 else "0"
    if latest[0] in "01":
        return rf"-?{shorter}"
    return rf"-?(?:{shorter}|[1-{int(latest[0]) - 1}][0-9]{{{len(latest) - 1}}})"


# Python: a point from where a line starts to a newline (its strings may hold newlines).
_POINT: Final = re.compile(_grammar("[0-9]+", "[0-9]+", "-?[0-9]+").encode()
                           + rb"(?=\n|\Z)")
_VALUE: Final = re.compile(_value().encode())
# An unescaped double quote.
_QUOTE: Final = re.compile(rb'(?<!\\)"')


def _fast_line(precision: str) -> str:
    """RE2: one line of a block (its newline included) that needs no closer look: the
    grammar, with integers of at most 18 digits, exponents of at most 2, times surely
    in range and no ``time`` key. A line it does not take goes the slow way."""
    grammar = _grammar("[0-9]{1,18}", "[0-9]{1,2}", _bounded_time(precision), _KEY_NOT_TIME)
    return rf"^{grammar}\n?$"


@dataclass
class BadLine:
    """A line that cannot be sent: where it is, what is wrong, and its text."""

    line: int  # the number of its first line in the file, from 1
    reason: str
    text: str

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}: {self.text}"


@dataclass
class CheckedBlock:
    """The good lines of a block, ready to send, and what was left out."""

    # The points in parts of at most ``part_points``: each part's lines joined by
    # newlines (no final newline), and its number of points.
    parts: list[tuple[bytes, int]]
    points: int
    lines: int  # the physical lines settled (good, bad, blank or comments)
    size: int  # the bytes of the block settled; the rest is to be read again
    bad: list[BadLine] = field(default_factory=list)
    # The line number of each point, when they are not the lines from the block's
    # first in order (comments, blank or bad lines, strings with newlines were found).
    line_numbers: list[int] | None = None


# A string left open at the end of a block may be closed in the next one; past this
# size it is a bad line.
MAX_POINT_BYTES: Final = 16 * 1024 * 1024


class LineChecker:
    """Checks blocks of line protocol for writes of ``precision``."""

    def __init__(self, precision: str = "ns", part_points: int = 5_000) -> None:
        self.part_points = part_points
        self._pa: Any = importlib.import_module("pyarrow")
        self._pc: Any = importlib.import_module("pyarrow.compute")
        self._np: Any = importlib.import_module("numpy")
        self.precision = precision
        self._unit = _UNITS[precision]
        self._fast_line = _fast_line(precision)
        self._keys_seen: set[bytes] = set()  # series keys checked for repeated tags

    def check(self, block: bytes, first_line: int, *, final: bool,
              stop_at_bad: bool = False) -> CheckedBlock:
        """The points of ``block`` (whole lines; its first is line ``first_line`` of the
        file), every line checked.

        Lines are cut where influxd cuts them: a string field may hold a newline. A
        point whose string is still open at the end of the block is left unsettled
        (``size`` stops before it) unless the block is the ``final`` one. With
        ``stop_at_bad``, the block is settled up to its first bad line (which is in
        ``bad``), else every bad line is in ``bad`` and left out.
        """
        if not block:
            return CheckedBlock([], 0, 0, 0)
        fast = self._fast(block)
        if fast is not None:
            return fast
        return self._slow(block, first_line, final, stop_at_bad)

    # -- the fast path: RE2 over the block ------------------------------------------

    def _fast(self, block: bytes) -> CheckedBlock | None:
        np, pa, pc = self._np, self._pa, self._pc
        if len(block) >= 2**31 - 1:
            return None
        data = np.frombuffer(block, np.uint8)
        newlines = np.flatnonzero(data == 10)
        count = len(newlines) + (0 if block.endswith(b"\n") else 1)
        offsets = np.empty(count + 1, np.int32)
        offsets[0] = 0
        offsets[1:len(newlines) + 1] = newlines + 1
        offsets[count] = len(block)
        lines = pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(block))
        try:
            lines.validate(full=True)  # UTF-8
        except pa.ArrowInvalid:
            return None
        if not pc.all(pc.match_substring_regex(lines, self._fast_line)).as_py():
            return None
        if self._repeats_a_tag(block, data, offsets[:count]):
            return None
        step = self.part_points
        starts = offsets[::step].tolist()
        if starts[-1] != len(block):
            starts.append(len(block))
        parts = [(block[a:b - 1] if block[b - 1:b] == b"\n" else block[a:b],
                  min(step, count - index * step))
                 for index, (a, b) in enumerate(pairwise(starts))]
        return CheckedBlock(parts, count, count, len(block))

    def _repeats_a_tag(self, block: bytes, data: Any, starts: Any) -> bool:
        """Whether a line of the block (each a line the grammar takes) may name a tag
        twice, which influxd refuses, and, in a request with another refusal, does
        not report.

        Only each series key (the text before a line's first space) not seen before is
        looked at: they are found with numpy and pyarrow's hashing, through a string
        view of each line's key in the block, without copying them.
        """
        np, pa, pc = self._np, self._pa, self._pc
        starts = starts.astype(np.int64)
        size = len(data)
        heads = data[np.minimum(starts, size - 1)]
        backslashes = np.flatnonzero(data == 92)
        if np.any((heads == 32) | (heads == 9)) or np.any(
                data[np.minimum(backslashes + 1, size - 1)] == 32):
            return True  # a leading or an escaped blank: the slow path reads the keys
        spaces = np.flatnonzero(data == 32)
        ends = spaces[np.searchsorted(spaces, starts)]
        lengths = ends - starts
        views = np.zeros((len(starts), 4), np.int32)
        views[:, 0] = lengths
        views[:, 3] = starts
        padded = np.concatenate([data, np.zeros(16, np.uint8)])
        head = padded[starts[:, None] + np.arange(4)]  # a view's prefix: the first 4 bytes
        views[:, 1] = head.copy().view(np.int32).ravel()
        short = lengths <= 12
        if short.any():  # a view holds a key of at most 12 bytes itself
            inline = padded[starts[short][:, None] + np.arange(12)]
            inline[np.arange(12)[None, :] >= lengths[short][:, None]] = 0
            views[short, 1:] = inline.view(np.int32)
        keys = pa.Array.from_buffers(pa.binary_view(), len(starts),
                                     [None, pa.py_buffer(views), pa.py_buffer(block)])
        new = set(pc.unique(keys).to_pylist()) - self._keys_seen
        if len(self._keys_seen) > 100_000:
            self._keys_seen.clear()
        self._keys_seen |= new
        return any(_tag_keys_repeat(key) for key in new if key.count(b",") > 1)

    # -- the slow path: line by line ------------------------------------------------

    def _slow(self, block: bytes, first_line: int, final: bool,
              stop_at_bad: bool) -> CheckedBlock:
        good: list[bytes] = []
        numbers: list[int] = []
        bad: list[BadLine] = []
        line = first_line
        at = 0
        size = len(block)
        while at < size:
            end = block.find(b"\n", at)
            if end < 0:
                end = size
            text = block[at:end]
            stripped = text.strip(b" \t")
            if not stripped or stripped.startswith(b"#"):
                at = end + 1
                line += 1
                continue
            match = _POINT.match(block, at)
            if match is not None:
                point = block[at:match.end()]
                problem = self._semantics(point)
                if problem is None:
                    good.append(point)
                    numbers.append(line)
                else:
                    bad.append(BadLine(line, problem, _show(point)))
                    if stop_at_bad:
                        size = at
                        break
                line += point.count(b"\n") + 1
                at = match.end() + 1
                continue
            if not final and _open_to_the_end(block, at, end) and size - at < MAX_POINT_BYTES:
                # A string that the next block may close: settle what comes before.
                size = at
                break
            bad.append(BadLine(line, explain(text), _show(text)))
            if stop_at_bad:
                size = at
                break
            at = end + 1
            line += 1
        in_order = not bad and (not numbers or numbers[-1] - first_line + 1 == len(numbers))
        step = self.part_points
        parts = [(b"\n".join(good[at:at + step]), len(good[at:at + step]))
                 for at in range(0, len(good), step)]
        return CheckedBlock(parts, len(good), line - first_line, min(at, size), bad,
                            None if in_order else numbers)

    def _semantics(self, point: bytes) -> str | None:
        """What influxd refuses, or influxkit does, in a line the grammar takes (None:
        nothing)."""
        try:
            point.decode()
        except UnicodeDecodeError as exc:
            return f"not valid UTF-8 (byte {exc.start + 1} of the line)"
        measurement, tags, fields, timestamp = parse(point)
        if b"time" in tags:
            return "'time' cannot be a tag key"
        if len(set(tags)) < len(tags):
            twice = next(key for key in tags if tags.count(key) > 1)
            return f"tag {_text(twice)!r} appears twice"
        for key, value in fields:
            if key == b"time":
                return "'time' cannot be a field key"
            if value.startswith(b'"') or not value[:1] or value[:1] not in b"-.0123456789":
                continue
            if value.endswith(b"i"):
                if not _INT64_MIN <= int(value[:-1]) <= _INT64_MAX:
                    return f"integer field {_text(key)!r} is {_text(value)}, outside int64"
            elif abs(float(value)) == float("inf"):
                return f"float field {_text(key)!r} is {_text(value)}, beyond float64"
        if timestamp is not None and abs(int(timestamp)) > _FIRST // self._unit:
            return (f"time {timestamp.decode()} is outside influxd's range "
                    f"(±{_FIRST // self._unit} in precision {self.precision!r})")
        del measurement
        return None


def _tag_keys_repeat(key: bytes) -> bool:
    """Whether a series key (no backslash or blank in it) names a tag twice."""
    names = [pair.split(b"=", 1)[0] for pair in key.split(b",")[1:]]
    return len(set(names)) < len(names)


def _open_to_the_end(block: bytes, start: int, end: int) -> bool:
    """Whether the line from ``start`` to ``end`` opens a string that is still open at
    the end of ``block`` (a quote in the line, and an odd number of them from there)."""
    quotes = _QUOTE.findall(block, start)
    return bool(quotes) and _QUOTE.search(block, start, end) is not None and len(quotes) % 2 == 1


def _text(raw: bytes) -> str:
    return raw.decode(errors="backslashreplace")


def _show(line: bytes, limit: int = 200) -> str:
    text = _text(line)
    return text if len(text) <= limit else text[:limit] + "..."


def _unescaped(data: bytes, start: int, stops: bytes) -> int:
    """The index of the first byte of ``stops`` from ``start`` that no backslash
    escapes (or the length)."""
    at = start
    size = len(data)
    while at < size:
        byte = data[at]
        if byte == 0x5C and at + 1 < size and data[at + 1] != 0x0A:
            at += 2
            continue
        if byte in stops:
            return at
        at += 1
    return size


def parse(point: bytes) -> tuple[bytes, list[bytes], list[tuple[bytes, bytes]], bytes | None]:
    """A line the grammar takes, in parts: measurement, tag keys, fields (key, raw
    value) and time (or None)."""
    at = len(point) - len(point.lstrip(b" \t"))
    end = _unescaped(point, at, b", ")
    measurement = point[at:end]
    tags: list[bytes] = []
    while end < len(point) and point[end] == 0x2C:  # ,key=value
        equals = _unescaped(point, end + 1, b"=, ")
        stop = _unescaped(point, equals + 1, b", ")
        tags.append(point[end + 1:equals])
        end = stop
    while end < len(point) and point[end] == 0x20:
        end += 1
    fields: list[tuple[bytes, bytes]] = []
    while True:
        equals = _unescaped(point, end, b"=")
        key = point[end:equals]
        at = equals + 1
        if point[at:at + 1] == b'"':
            at += 1
            while point[at] != 0x22:
                at += 2 if point[at] == 0x5C else 1
            at += 1
        else:
            at = _unescaped(point, at, b", ")
        fields.append((key, point[equals + 1:at]))
        if at < len(point) and point[at] == 0x2C:
            end = at + 1
            continue
        break
    rest = point[at:].strip(b" ")
    return measurement, tags, fields, rest or None


def explain(line: bytes) -> str:
    """Why influxd would refuse ``line``, which the grammar does not take (a phrase)."""
    try:
        line.decode()
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 (byte {exc.start + 1} of the line)"
    if line.rstrip(b" ").endswith(b"\r"):
        return "the line ends with a carriage return (a file with Windows line endings?)"
    if line.count(b'"') % 2 and b'\\"' not in line:
        return "a string field is not closed (unbalanced quotes)"
    body = line.lstrip(b" \t")
    head_end = _unescaped(body, 0, b" ")
    head = body[:head_end]
    name_end = _unescaped(head, 0, b",")
    if name_end == 0:
        return "no measurement"
    tags = head[name_end:]
    at = 0
    while at < len(tags):
        stop = _unescaped(tags, at + 1, b",")
        pair = tags[at + 1:stop]
        equals = _unescaped(pair, 0, b"=")
        if not pair or equals == 0:
            return "a tag has no key"
        if equals >= len(pair) - 1 and not pair[equals + 1:]:
            return f"tag {_text(pair[:equals])!r} has no value"
        if _unescaped(pair, equals + 1, b"=") < len(pair):
            return f"tag {_text(pair[:equals])!r}: '=' in a tag value must be escaped"
        at = stop
    rest = body[head_end:].lstrip(b" ")
    if not rest:
        return "no fields (a point needs at least one)"
    # The fields end at the first space outside quotes and escapes; the time follows.
    fields = next(_split_unquoted(rest, 0x20))
    timestamp = rest[len(fields):].strip(b" ")
    for item in _split_unquoted(fields, 0x2C):
        equals = _unescaped(item, 0, b"=")
        key, value = item[:equals], item[equals + 1:]
        if not item:
            return "an empty field (a stray comma?)"
        if equals >= len(item):
            return f"field {_text(item)!r} has no value"
        if not key:
            return "a field has no key"
        if not _VALUE.fullmatch(value):
            return (f"field {_text(key)!r} has an invalid value {_text(value)!r} (a number, "
                    "an integer with 'i', a quoted string or a boolean)")
    if timestamp and not re.fullmatch(rb"-?[0-9]+", timestamp):
        return f"invalid time {_text(timestamp)!r} (an integer is needed)"
    return "not line protocol"


def _split_unquoted(data: bytes, separator: int) -> Iterator[bytes]:
    """``data`` split at each ``separator`` byte outside quotes and escapes."""
    at = start = 0
    quoted = False
    while at < len(data):
        byte = data[at]
        if byte == 0x5C:
            at += 2
            continue
        if byte == 0x22:
            quoted = not quoted
        elif byte == separator and not quoted:
            yield data[start:at]
            start = at + 1
        at += 1
    yield data[start:]
