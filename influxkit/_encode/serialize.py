"""The one encoder of every write: :func:`serialize`, and its streaming forms.

Every write path (the client, the batching writer, sessions, ``SeriesHelper``) goes
through :func:`iter_serialize` or :func:`iter_blocks`, which hand each input to its
encoder: mappings (:mod:`.mapping`), ``@lineprotocol`` objects and
:class:`~influxkit.Point` (their ``__influxkit_encoder__``), pandas and polars
DataFrames (:mod:`.pandas`, :mod:`.polars`, imported when a frame comes), and line
protocol given as text. To write a new type of input, give its class an
``__influxkit_encoder__`` or add a branch to :func:`_encode_any`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from influxkit._core.time import normalize_precision
from influxkit._errors import LineProtocolError

from .lines import Block
from .mapping import encode_dict, encode_mapping
from .rules import check_extra_tag_names, tag_fragment

__all__ = [
    "EncodedLines",
    "encodes_quickly",
    "frame_kind",
    "iter_blocks",
    "iter_serialize",
    "serialize",
]


class EncodedLines(bytes):
    """Lines this module encoded earlier for a write of ``precision``, with that write's
    extra tags already in them (a session's points, kept until they are sent).

    They are passed on as they are: the extra tags of the write that sends them are not
    added again, and a write of another precision refuses them.
    """

    precision: str

    def __new__(cls, lines: bytes, precision: str) -> EncodedLines:
        self = super().__new__(cls, lines)
        self.precision = precision
        return self


def frame_kind(data: Any) -> str | None:
    """``"pandas"`` or ``"polars"`` for a DataFrame, else None; imports neither library
    (a DataFrame can only exist if its library was imported)."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return "pandas"
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(data, (polars.DataFrame, polars.LazyFrame)):
        return "polars"
    return None


def encodes_quickly(data: Any) -> bool:
    """Whether ``data`` is cheap enough to encode on the event loop (else it is encoded
    in a worker thread): one point, a short list, line protocol as text."""
    if isinstance(data, (Mapping, str, bytes)):
        return True
    if isinstance(data, (list, tuple)):
        return len(data) <= 100
    return frame_kind(data) is None and hasattr(type(data), "__influxkit_encoder__")


def iter_serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    block_lines: int | None = None,
    threads: int | None = None,
    **extra_tags: Any,
) -> Iterator[bytes]:
    """Encode ``data`` as blocks of line protocol (each one or more lines, no final newline).

    This is :func:`serialize` in pieces, for sending large inputs in batches: encoded
    points come in blocks of at most ``block_lines`` lines (line protocol given as
    ``str`` or ``bytes`` is passed on as it is). A DataFrame's blocks hold exactly
    ``block_lines`` lines, but for the last, and it is checked whole before its first
    block. ``threads`` limits the threads encoding a DataFrame (by default up
    to four).
    """
    for block in iter_blocks(data, measurement, tag_columns, precision,
                             block_lines=block_lines, threads=threads, **extra_tags):
        yield block if isinstance(block, bytes) else bytes(block)


def iter_blocks(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    block_lines: int | None = None,
    block_bytes: int | None = None,
    threads: int | None = None,
    **extra_tags: Any,
) -> Iterator[Block]:
    """:func:`iter_serialize`, for a write that sends a DataFrame's blocks as they are:
    they are views of the encoder's buffers (no copy), of ``block_lines`` lines (the
    last one fewer) and at most ``block_bytes`` bytes (a line longer than that is a
    block alone)."""
    unit = normalize_precision(precision)
    if isinstance(tag_columns, str):  # one column's name, not its letters
        tag_columns = [tag_columns]
    columns = list(tag_columns) if tag_columns is not None else None
    if extra_tags:
        # Validate the shared tags once, before any point.
        check_extra_tag_names(extra_tags)
        tag_fragment(extra_tags)
    counter = [0]
    yield from _encode_any(data, measurement, columns, unit, extra_tags, counter, block_lines,
                           threads, block_bytes)


_LINES_PER_BLOCK: Final = 5_000


def _encode_any(data: Any, measurement: Any, tag_columns: list[str] | None, precision: str,
                extra_tags: Mapping[str, Any], counter: list[int],
                block_lines: int | None, threads: int | None = None,
                block_bytes: int | None = None) -> Iterator[Block]:
    if type(data) is EncodedLines:
        if data.precision != precision:
            raise LineProtocolError(
                f"lines encoded with precision {data.precision!r} cannot be written with "
                f"precision {precision!r}", index=counter[0], field="time",
            )
        counter[0] += data.count(b"\n") + 1
        if data:
            yield data
        return
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data).strip(b"\n")
        if extra_tags:
            _refuse_tags_for_raw(counter[0], data)
        counter[0] += 1
        if raw:
            yield raw
        return
    if isinstance(data, str):
        if extra_tags:
            _refuse_tags_for_raw(counter[0], data)
        raw = _utf8([data.strip("\n")], counter[0])
        counter[0] += 1
        if raw:
            yield raw
        return
    if isinstance(data, Mapping):
        try:
            line = encode_mapping(data, measurement, extra_tags, precision)
        except LineProtocolError as exc:
            raise exc.locate(counter[0], data) from None
        yield _utf8([line], counter[0])
        counter[0] += 1
        return
    kind = frame_kind(data)
    if kind is not None:
        if measurement is None:
            raise LineProtocolError("writing a DataFrame needs measurement=",
                                    field="measurement")
        if kind == "pandas":
            from .pandas import iter_pandas_lines

            yield from iter_pandas_lines(data, measurement, tag_columns, precision, extra_tags,
                                         block_rows=block_lines, block_bytes=block_bytes,
                                         threads=threads)
        else:
            from .polars import iter_polars_lines

            yield from iter_polars_lines(data, measurement, tag_columns, precision, extra_tags,
                                         block_rows=block_lines, block_bytes=block_bytes,
                                         threads=threads)
        counter[0] += 1
        return
    encoder = getattr(type(data), "__influxkit_encoder__", None)
    if encoder is not None:
        _check_own_measurement(type(data), measurement, counter[0], data)
        try:
            line = encoder(data, precision, tag_fragment(extra_tags))
        except LineProtocolError as exc:
            raise exc.locate(counter[0], data) from None
        yield _utf8([line], counter[0])
        counter[0] += 1
        return
    to_lineprotocol = getattr(data, "to_lineprotocol", None)
    if to_lineprotocol is not None and callable(to_lineprotocol):
        if extra_tags:
            _refuse_tags_for_raw(counter[0], data)
        counter[0] += 1
        raw = to_lineprotocol()
        yield raw if isinstance(raw, bytes) else str(raw).encode()
        return
    if isinstance(data, Iterable):
        yield from _encode_iterable(data, measurement, tag_columns, precision, extra_tags, counter,
                                    block_lines or _LINES_PER_BLOCK, threads, block_bytes)
        return
    raise LineProtocolError(
        f"cannot write an object of type {type(data).__name__}: write mappings, DataFrames, "
        "@lineprotocol objects, line protocol str/bytes, or iterables of these",
        index=counter[0], value=data,
    )


def _check_own_measurement(kind: type, measurement: Any, index: int, point: Any) -> None:
    # measurement= is the measurement of points that name none. Objects of an
    # @lineprotocol class without a MEASUREMENT attribute are all written to the class
    # name: another measurement= would be silently ignored for them.
    fixed = getattr(kind, "__influxkit_measurement__", None)
    if measurement is not None and fixed is not None and measurement != fixed:
        raise LineProtocolError(
            f"measurement={measurement!r} does not apply to {kind.__qualname__} objects, "
            f"which are written to measurement {fixed!r}, their class's name; leave "
            "measurement= out, or give the class a MEASUREMENT attribute",
            index=index, point=point, field="measurement", value=measurement,
        )


def _encode_iterable(items: Iterable[Any], measurement: Any, tag_columns: list[str] | None,
                     precision: str, extra_tags: Mapping[str, Any],
                     counter: list[int], block_lines: int,
                     threads: int | None, block_bytes: int | None) -> Iterator[Block]:
    # The common case, many dicts or many objects of one class, is batched into blocks
    # so that the per-point cost is one encode call and a list append. The index of a
    # point is ``first + len(lines)``: no counting in the loop.
    lines: list[str] = []
    append = lines.append
    first = counter[0]
    encoders: dict[type, Any] = {}
    extra = tag_fragment(extra_tags)
    mapping_line = encode_mapping  # local names: the loop below is the hot path
    dict_line = encode_dict
    shaped = None  # the generated encoder of the last dict point's shape
    for item in items:
        try:
            if type(item) is dict:
                if extra_tags:
                    append(mapping_line(item, measurement, extra_tags, precision))
                else:
                    line = None if shaped is None else shaped(item, measurement)
                    if line is None:
                        line, shaped = dict_line(item, measurement, precision)
                    append(line)
            else:
                kind = type(item)
                encoder = encoders.get(kind)
                if encoder is None:
                    encoder = getattr(kind, "__influxkit_encoder__", None)
                    if encoder is not None:
                        _check_own_measurement(kind, measurement, first + len(lines), item)
                        encoders[kind] = encoder
                if encoder is not None:
                    append(encoder(item, precision, extra))
                elif isinstance(item, Mapping):
                    append(mapping_line(item, measurement, extra_tags, precision))
                else:
                    if lines:
                        yield _utf8(lines, first)
                        first += len(lines)
                        lines.clear()
                    counter[0] = first
                    yield from _encode_any(item, measurement, tag_columns, precision, extra_tags,
                                           counter, block_lines, threads, block_bytes)
                    first = counter[0]
        except LineProtocolError as exc:
            raise exc.locate(first + len(lines), item) from None
        if len(lines) >= block_lines:
            yield _utf8(lines, first)
            first += len(lines)
            lines.clear()
    counter[0] = first + len(lines)
    if lines:
        yield _utf8(lines, first)


def _utf8(lines: list[str], first_index: int) -> bytes:
    """Encode lines as UTF-8, naming the point, and the part of it, of any text that
    isn't valid Unicode (a lone surrogate)."""
    try:
        return "\n".join(lines).encode()
    except UnicodeEncodeError:
        for offset, line in enumerate(lines):
            try:
                line.encode()
            except UnicodeEncodeError as exc:
                bad = line[exc.start:exc.end]
                field, what = _part_of_line(line, exc.start)
                raise LineProtocolError(
                    f"{what} has {bad!r}, which is not valid Unicode (a lone surrogate) and "
                    "cannot be sent as UTF-8", index=first_index + offset, field=field,
                    value=bad,
                ) from None
        raise


_KEY_UNESCAPE: Final = re.compile(r"\\([,= ])")


def _part_of_line(line: str, at: int) -> tuple[str | None, str]:
    """Which part of a line holds its character ``at``: the ``field`` a refusal names
    (``"measurement"``, ``"tag key"``, ``"field key"``, or the key of a tag or field
    value) and how to describe it. Only on the error path: the line is scanned as the
    server reads it (names escape ``,``, ``=`` and space with a backslash; a string
    field value is quoted, and escapes ``"`` and backslashes)."""
    end = len(line)

    def scan(start: int, stops: str) -> int:
        i = start
        while i < end and line[i] not in stops:
            i += 2 if line[i] == "\\" else 1
        return min(i, end)

    stop = scan(0, ", ")
    if at < stop:
        return "measurement", f"measurement {line[:stop]!r}"
    i = stop
    while i < end and line[i] == ",":  # the tag set
        key_end = scan(i + 1, "=, ")
        value_end = scan(key_end + 1, ", ")
        key = _KEY_UNESCAPE.sub(r"\1", line[i + 1:key_end])
        if at < key_end:
            return "tag key", f"tag key {key!r}"
        if at < value_end:
            return key, f"tag {key!r} value"
        i = value_end
    i += 1
    while i < end:  # the field set
        key_end = scan(i, "= ")
        key = _KEY_UNESCAPE.sub(r"\1", line[i:key_end])
        if at < key_end:
            return "field key", f"field key {key!r}"
        if key_end + 1 < end and line[key_end + 1] == '"':
            value_end = scan(key_end + 2, '"') + 1
        else:
            value_end = scan(key_end + 1, ", ")
        if at < value_end:
            return key, f"field {key!r}"
        if value_end >= end or line[value_end] != ",":
            break
        i = value_end + 1
    return None, f"line {line!r}"


def _refuse_tags_for_raw(index: int, data: Any) -> None:
    raise LineProtocolError(
        "extra tags cannot be added to line protocol that is already encoded "
        "(str, bytes or to_lineprotocol()); add them to the lines themselves",
        index=index, value=data,
    )


def serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> bytes:
    """Encode any supported input as line protocol bytes: the one encoder of every write.

    Args:
        data: a mapping (``measurement``, ``time``, ``tags``, ``fields``), a pandas or
            polars DataFrame, an instance of a :func:`lineprotocol` class, line
            protocol as ``str``/``bytes``, or an iterable of any of these, mixed.
        measurement: the measurement for inputs that don't name their own (mappings
            without one; DataFrames, which need it).
        tag_columns: DataFrame columns to write as tags.
        precision: unit of integer timestamps (``'ns'`` by default, ``'u'``, ``'ms'``,
            ``'s'``, ``'m'``, ``'h'``); datetimes are converted to it exactly. An
            integer time before 1971 in it is refused as one in the wrong unit: give
            earlier times as datetimes.
        **extra_tags: tags added to every point (a point's own tags win).

    Returns:
        Line protocol, one point per line, without a trailing newline.

    Raises:
        LineProtocolError: for data line protocol cannot carry, naming the point.

    Example::

        >>> serialize({"measurement": "cpu", "tags": {"host": "a b"},
        ...            "fields": {"load": 0.5, "n": 3}, "time": 1257894000}, precision="s")
        b'cpu,host=a\\\\ b load=0.5,n=3i 1257894000'
    """
    return b"\n".join(iter_serialize(data, measurement, tag_columns, precision, **extra_tags))
