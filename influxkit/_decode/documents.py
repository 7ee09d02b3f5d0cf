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

import json
import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

from influxkit._core.extras import require
from influxkit._core.influxql import split_statements
from influxkit._core.time import rfc3339
from influxkit._errors import IncompleteResponseError, InvalidResponseError, query_error

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


_SCANNER: Final = json.JSONDecoder()


def _back_to_back(text: bytes) -> tuple[list[Any], bytes]:
    """The JSON documents at the start of ``text``, one after another (whitespace
    between them or none), and what follows the last whole one."""
    found: list[Any] = []
    while True:
        try:
            found.append(_json_loads(text))  # the usual case: one whole document
            return found, b""
        except ValueError as exc:
            # orjson says where the first document ends when more follows it.
            end = getattr(exc, "pos", None)
            if not (isinstance(end, int) and 0 < end < len(text)
                    and "after document" in str(exc)):
                break
        try:
            found.append(_json_loads(text[:end]))
        except ValueError:  # a position in characters, not bytes: read it slowly
            break
        text = text[end:]
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return found, text
    at = 0
    while True:
        while at < len(decoded) and decoded[at].isspace():
            at += 1
        if at == len(decoded):
            return found, b""
        try:
            document, at = _SCANNER.raw_decode(decoded, at)
        except ValueError:
            return found, decoded[at:].encode("utf-8")
        found.append(document)


def msgpack_available() -> bool:
    try:
        import msgpack  # noqa: F401
    except ImportError:
        return False
    return True


def _msgpack_ext(code: int, data: bytes) -> Any:
    # InfluxDB sends times as extension type 5 (int64 seconds, uint32 nanoseconds,
    # big-endian) when no epoch is asked for; the JSON answer has RFC 3339 strings.
    if code == 5 and len(data) == 12:
        seconds = int.from_bytes(data[:8], "big", signed=True)
        nanos = int.from_bytes(data[8:], "big")
        return rfc3339(seconds * 1_000_000_000 + nanos)
    import msgpack

    return msgpack.ExtType(code, data)


# The media types read as JSON lines: InfluxDB's, and text/plain, which some versions
# and proxies put on JSON.
_JSON_TYPES: Final = frozenset({JSON, "text/json", "text/plain"})


class ChunkDecoder:
    """Decode a response body, fed in pieces, into result documents.

    ``content_type`` is the response's: MessagePack bodies are a stream of maps,
    JSON bodies one document per line (a plain answer is a single line). The decoder
    knows when the body ended early: :meth:`close` raises rather than let a part of the
    answer pass for the whole.

    Raises:
        InvalidResponseError: for a body of another content type, one that does not
            decode, or documents not of InfluxDB's shape.
        IncompleteResponseError: (from :meth:`close`) for a body that ended inside a
            document, while a statement or series was still partial, before any
            document, or before the last of the query's ``statements`` (when given).
    """

    def __init__(self, content_type: str, *, status: int | None = None,
                 statements: int | None = None, may_be_empty: bool = False) -> None:
        self.content_type = content_type
        self.status = status
        self.statements = statements  # how many the query has, when known
        # InfluxDB 3.7+ sends nothing for a statement without rows, so an answer with
        # no document is whole there (HTTP's framing still tells a cut one).
        self.may_be_empty = may_be_empty
        self._received = 0  # bytes fed
        media = content_type.split(";")[0].strip().lower()
        self.msgpack = media == MSGPACK
        if not self.msgpack and media not in _JSON_TYPES and not media.endswith("+json"):
            raise self._invalid(
                f"the answer is {content_type!r}, not JSON or MessagePack: is there a "
                "proxy or another server at this address?")
        if self.msgpack:
            msgpack = require("msgpack", "reading a MessagePack answer")
            self._unpacker = msgpack.Unpacker(raw=False, ext_hook=_msgpack_ext,
                                              max_buffer_size=0, strict_map_key=False)
        self._pending = b""
        self._documents = 0  # documents decoded
        self._failed = False  # the whole query failed (an answer with only an error)
        self._last_id = -1
        self._last_partial = False  # the last statement, or one of its series, is partial

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Take the next piece of the body; return the documents it completed."""
        self._received += len(data)
        if self.msgpack:
            self._unpacker.feed(data)
            try:
                return [self._normalize(document) for document in self._unpacker]
            except ValueError as exc:  # msgpack's errors are ValueErrors
                raise self._invalid(f"the MessagePack answer does not decode: {exc}") from exc
        self._pending += data
        documents = []
        if b"\n" in self._pending:
            *lines, self._pending = self._pending.split(b"\n")
            for line in lines:
                if line.strip():
                    documents += self._json(line)
        # InfluxDB 3.7 and later send documents back to back, with no newline between
        # them: those complete so far are taken as they come. A document can only have
        # been completed by this piece, so only its bytes are looked at.
        if self._pending and (self._pending[-8:].rstrip().endswith(b"}")
                              or b"}{" in self._pending[-len(data) - 1:]):
            found, self._pending = _back_to_back(self._pending)
            documents += found
        return [self._normalize(document) for document in documents]

    def close(self) -> list[dict[str, Any]]:
        """The body ended: return the last document, if it had no final newline.

        Raises:
            IncompleteResponseError: when the body ended before the answer was whole.
        """
        documents: list[dict[str, Any]] = []
        if self.msgpack:
            left = self._received - self._unpacker.tell()
            if left:
                raise self._incomplete(f"the answer ended inside a MessagePack document "
                                       f"({left} byte(s) of it)")
        else:
            rest, self._pending = self._pending, b""
            if rest.strip():
                found, left = _back_to_back(rest)
                if left.strip():
                    raise self._incomplete(
                        f"the answer ended inside a JSON document ({len(left)} byte(s) of "
                        "it)")
                documents += [self._normalize(document) for document in found]
        if not self._documents and not self.may_be_empty:
            raise self._incomplete("the answer has no result document")
        if (self.statements is not None and not self._failed
                and self._last_id + 1 < self.statements):
            raise self._incomplete(
                f"the answer ended after statement {self._last_id} of the "
                f"{self.statements} the query has")
        if self._last_partial:
            raise self._incomplete(
                f"the answer ended while statement {self._last_id} was still partial: "
                "more of it was to come")
        return documents

    def _json(self, line: bytes) -> list[Any]:
        """The documents of one line: one, or (3.7+) several back to back."""
        found, left = _back_to_back(line)
        if left.strip():
            raise self._invalid(f"the answer is not JSON lines: {_excerpt(line)}")
        return found

    def _invalid(self, message: str) -> InvalidResponseError:
        return InvalidResponseError(message, status=self.status,
                                    content_type=self.content_type, received=self._received)

    def _incomplete(self, message: str) -> IncompleteResponseError:
        return IncompleteResponseError(
            f"{message}; {self._received} byte(s) of {self.content_type} were read",
            status=self.status, content_type=self.content_type, received=self._received)

    def _normalize(self, document: Any) -> dict[str, Any]:
        """Check a decoded document's shape, and give it the JSON answer's exact shape.

        MessagePack answers differ in small ways: an empty ``series`` list where JSON
        has none, and no ``statement_id`` on errors. A result without its number
        belongs to the statement still open (one whose last chunk was partial), or
        else to the next one.
        """
        self._documents += 1
        if not isinstance(document, dict):
            raise self._invalid(f"result document {self._documents} is not a map: "
                                f"{_excerpt(document)}")
        results = document.get("results")
        if results is None:
            if "error" not in document:
                raise self._invalid(f"result document {self._documents} has neither "
                                    f"results nor an error: {_excerpt(document)}")
            self._failed = True
            return document
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise self._invalid(f"the results of document {self._documents} are not a list "
                                f"of maps: {_excerpt(results)}")
        for result in results:
            partial = bool(result.get("partial"))
            if "series" in result:
                series_list = result["series"]
                if not isinstance(series_list, list):
                    raise self._invalid(f"the series of document {self._documents} are not "
                                        f"a list: {_excerpt(series_list)}")
                for series in series_list:
                    self._check_series(series)
                    partial = partial or bool(series.get("partial"))
                if not series_list:
                    del result["series"]
                elif self.msgpack:
                    # MessagePack keeps Go's random map order; JSON sorts tags by key.
                    for series in series_list:
                        if series.get("tags"):
                            series["tags"] = dict(sorted(series["tags"].items()))
            statement_id = result.get("statement_id")
            if statement_id is None:
                statement_id = self._last_id if self._last_partial else self._last_id + 1
                result["statement_id"] = statement_id
            elif not isinstance(statement_id, int) or isinstance(statement_id, bool):
                raise self._invalid(f"a statement_id of document {self._documents} is "
                                    f"{statement_id!r}, not a number")
            self._last_id = statement_id
            self._last_partial = partial
        return document

    def _check_series(self, series: Any) -> None:
        if (not isinstance(series, dict)
                or not isinstance(series.get("columns", []), list)
                or not isinstance(series.get("values", []), list)
                or not isinstance(series.get("tags") or {}, dict)):
            raise self._invalid(f"a series of document {self._documents} is not of "
                                f"InfluxDB's shape: {_excerpt(series)}")


def _excerpt(value: Any, limit: int = 200) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def check_results(document: dict[str, Any], query: str,
                  scrub: Callable[[str], str] = str) -> None:
    """Raise for a failed statement; log the server's warnings.

    ``scrub`` takes the client's credentials out of what the server said, before it
    reaches an error or the log.

    Raises:
        InfluxDBQueryError: for the first statement that failed, naming it (a
            :class:`DatabaseNotFoundError` too when its database does not exist).
    """
    if "error" in document:
        raise query_error(scrub(str(document["error"])), query=query)
    statements: list[str] | None = None
    for result in document.get("results", ()):
        for message in result.get("messages", ()):
            logger.warning("InfluxDB %s (statement %s): %s", message.get("level", "message"),
                           result.get("statement_id"), scrub(str(message.get("text"))))
        error = result.get("error")
        if error is not None:
            statement_id = result.get("statement_id")
            if statements is None:
                statements = split_statements(query)
            text = None
            if statement_id is not None and 0 <= statement_id < len(statements):
                text = statements[statement_id]
            raise query_error(scrub(str(error)), statement_id=statement_id, statement=text,
                              query=query)
