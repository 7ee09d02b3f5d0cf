"""The result model: answers decoded (MessagePack or JSON), chunks stitched, errors found.

Every query is read the same way: the body is a stream of result documents (one for
a plain query, one per chunk for a chunked one), each decoded by
:class:`ChunkDecoder` and normalised to the JSON shape::

    {"results": [{"statement_id": 0,
                  "series": [{"name": ..., "tags": {...}, "columns": [...],
                              "values": [[...], ...], "partial": True}],
                  "messages": [...], "error": "..."}]}

:class:`ResultBuilder` stitches the documents of one query back into whole
statements and series. From that one model come the JSON dicts, the DataFrames,
the result sets and :func:`~influxkit.iterpoints` (:mod:`.outputs`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

from influxkit._core.extras import require
from influxkit._core.influxql import split_statements
from influxkit._errors import query_error

__all__ = [
    "JSON",
    "MSGPACK",
    "ChunkDecoder",
    "ResultBuilder",
    "check_results",
    "msgpack_available",
]

logger = logging.getLogger("influxkit")

F = TypeVar("F")

MSGPACK: Final = "application/x-msgpack"
JSON: Final = "application/json"

try:  # orjson is several times faster than the standard library on large results
    import orjson

    _json_loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the installed extras
    _json_loads = json.loads


def msgpack_available() -> bool:
    try:
        import msgpack  # noqa: F401
    except ImportError:
        return False
    return True


def _rfc3339(seconds: int, nanos: int) -> str:
    """Format a time as the server's JSON does (RFC 3339, trailing zeros trimmed)."""
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def _msgpack_ext(code: int, data: bytes) -> Any:
    # InfluxDB sends times as extension type 5 (int64 seconds, uint32 nanoseconds,
    # big-endian) when no epoch is asked for; the JSON answer has RFC 3339 strings.
    if code == 5 and len(data) == 12:
        seconds = int.from_bytes(data[:8], "big", signed=True)
        nanos = int.from_bytes(data[8:], "big")
        return _rfc3339(seconds, nanos)
    import msgpack

    return msgpack.ExtType(code, data)


class ChunkDecoder:
    """Decode a response body, fed in pieces, into result documents.

    ``content_type`` is the response's: MessagePack bodies are a stream of maps,
    JSON bodies one document per line (a plain answer is a single line).
    """

    def __init__(self, content_type: str) -> None:
        self.msgpack = content_type.split(";")[0].strip().lower() == MSGPACK
        if self.msgpack:
            msgpack = require("msgpack", "reading a MessagePack answer")
            self._unpacker = msgpack.Unpacker(raw=False, ext_hook=_msgpack_ext,
                                              max_buffer_size=0, strict_map_key=False)
        self._pending = b""
        self._last_id = -1
        self._last_partial = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Take the next piece of the body; return the documents it completed."""
        if self.msgpack:
            self._unpacker.feed(data)
            return [self._normalize(document) for document in self._unpacker]
        self._pending += data
        if b"\n" not in self._pending:
            return []
        *lines, self._pending = self._pending.split(b"\n")
        return [self._normalize(_json_loads(line)) for line in lines if line.strip()]

    def close(self) -> list[dict[str, Any]]:
        """The body ended: return the last document, if it had no final newline."""
        if self.msgpack:
            return []
        rest, self._pending = self._pending, b""
        return [self._normalize(_json_loads(rest))] if rest.strip() else []

    def _normalize(self, document: dict[str, Any]) -> dict[str, Any]:
        """Give a decoded document the JSON answer's exact shape.

        MessagePack answers differ in small ways: an empty ``series`` list where JSON
        has none, and no ``statement_id`` on errors. A result without its number
        belongs to the statement still open (one whose last chunk was partial), or
        else to the next one.
        """
        results = document.get("results")
        if not isinstance(results, list):
            return document
        for result in results:
            if "series" in result:
                if not result["series"]:
                    del result["series"]
                elif self.msgpack:
                    # MessagePack keeps Go's random map order; JSON sorts tags by key.
                    for series in result["series"]:
                        if series.get("tags"):
                            series["tags"] = dict(sorted(series["tags"].items()))
            statement_id = result.get("statement_id")
            if statement_id is None:
                statement_id = self._last_id if self._last_partial else self._last_id + 1
                result["statement_id"] = statement_id
            self._last_id = statement_id
            self._last_partial = bool(result.get("partial"))
        return document


class ResultBuilder:
    """Stitch the documents of one query into whole statements and series."""

    def __init__(self) -> None:
        self._statements: dict[int, dict[str, Any]] = {}
        self._series: dict[tuple[int, Any, Any], dict[str, Any]] = {}
        self.error: str | None = None

    def add(self, document: dict[str, Any]) -> None:
        """Add one result document, as :class:`ChunkDecoder` gives it."""
        if "error" in document and "results" not in document:
            self.error = str(document["error"])
            return
        for result in document.get("results", ()):
            statement_id = result["statement_id"]
            statement = self._statements.get(statement_id)
            if statement is None:
                statement = self._statements[statement_id] = {"statement_id": statement_id}
            for series in result.get("series", ()):
                key = (statement_id, series.get("name"), _tags_key(series.get("tags")))
                known = self._series.get(key)
                if known is None:
                    stored = {k: v for k, v in series.items() if k != "partial"}
                    # The first piece's list is kept (and extended): no copy.
                    stored["values"] = series.get("values") or []
                    self._series[key] = stored
                    statement.setdefault("series", []).append(stored)
                else:
                    known["values"].extend(series.get("values", ()))
            if "messages" in result:
                statement.setdefault("messages", []).extend(result["messages"])
            if "error" in result:
                # The first error of a statement is the real one; later ones are the
                # server's "not executed" for the statements after it.
                statement.setdefault("error", result["error"])

    def result(self) -> dict[str, Any]:
        """The whole answer, in the JSON shape."""
        if self.error is not None and not self._statements:
            return {"error": self.error}
        document: dict[str, Any] = {
            "results": [self._statements[i] for i in sorted(self._statements)]
        }
        if self.error is not None:
            document["error"] = self.error
        return document


def _tags_key(tags: Any) -> Any:
    return tuple(sorted(tags.items())) if tags else None


def check_results(document: dict[str, Any], query: str) -> None:
    """Raise for a failed statement; log the server's warnings.

    Raises:
        InfluxDBQueryError: for the first statement that failed, naming it (a
            :class:`DatabaseNotFoundError` too when its database does not exist).
    """
    if "error" in document:
        raise query_error(str(document["error"]), query=query)
    statements: list[str] | None = None
    for result in document.get("results", ()):
        for message in result.get("messages", ()):
            logger.warning("InfluxDB %s (statement %s): %s", message.get("level", "message"),
                           result.get("statement_id"), message.get("text"))
        error = result.get("error")
        if error is not None:
            statement_id = result.get("statement_id")
            if statements is None:
                statements = split_statements(query)
            text = None
            if statement_id is not None and 0 <= statement_id < len(statements):
                text = statements[statement_id]
            raise query_error(str(error), statement_id=statement_id, statement=text,
                              query=query)
