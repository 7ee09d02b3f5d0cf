"""influxkit's exceptions: one tree with one root.

::

    InfluxDBError
     ├── LineProtocolError (ValueError)       bad data, refused before anything is sent
     ├── SchemaError (TypeError)              bad @lineprotocol schema
     ├── InfluxDBConnectionError              the server could not be reached     retryable
     │    ├── InfluxDBTimeoutError (TimeoutError)                                 retryable
     │    └── IncompleteResponseError         the answer was cut short            retryable
     ├── InvalidResponseError                 an answer that is not a whole InfluxDB answer
     │    └── IncompleteResponseError         (the same class, under both)
     ├── WriterError                          batches the batching writer could not deliver
     ├── QueryFailedException                 a query was refused, whole or in part  (1)
     ├── InfluxDBClientError                  refused as sent: 4xx, failed statement (2)
     │    ├── InfluxDBQueryError              a statement of a query failed          (1)
     │    ├── DatabaseNotFoundError           the database does not exist            (3)
     │    └── NotSupportedError (NotImplementedError)  the server has no way to do it,
     │                                        refused before anything is sent
     └── InfluxDBHTTPError                    the server answered with an error status
          ├── AuthenticationError             401                                    (2)
          ├── AuthorizationError              403                                    (2)
          ├── RequestTooLargeError            413                                    (2)
          ├── ServerUnavailableError          429 and 5xx                          retryable
          │    └── InfluxDBServerError        5xx                                  retryable
          └── InfluxDBWriteError              the server refused a write             (4)
               └── PartialWriteError          some points stored, some dropped

Some errors are more than one of these, so that every ``except`` clause that should
catch one does:

1. A failed statement, and an error status answering a query (``/query``, such as a
   syntax error's 400), are both a :class:`QueryFailedException`.
2. Every 4xx answer is also an :class:`InfluxDBClientError` (a 429 is a
   :class:`ServerUnavailableError` and a client error), and so is every failed
   statement.
3. A :class:`DatabaseNotFoundError` comes from a query as an :class:`InfluxDBQueryError`
   (the statement failed), and from a write as an :class:`InfluxDBWriteError` (404,
   2.x's "no dbrp mapping found"), on every server.
4. An error raised by :meth:`InfluxDBClient.write` for a server answer is always an
   :class:`InfluxDBWriteError`: ``except AuthenticationError`` and ``except
   InfluxDBWriteError`` both catch a refused login on write.

Such an error's class is made at run time and named after the most telling of its
bases.

The names of other clients, for code moving over::

    influxdb-python   InfluxDBClientError        InfluxDBClientError (4xx, failed statements)
                      InfluxDBServerError        InfluxDBServerError (5xx)
    inflow            InfluxDBException          InfluxDBError
                      QueryFailedException       QueryFailedException
                      WriteFailedException       InfluxDBWriteError
                      DatabaseNotFoundException  DatabaseNotFoundError
                      UnauthorizedException      AuthenticationError
                      ForbiddenException         AuthorizationError

Every error knows whether retrying the same request may succeed (``retryable``).
Messages never contain credentials: a password a statement carried is taken out of
the errors it raises (:func:`redact`).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final, cast

__all__ = [
    "REDACTED",
    "AuthenticationError",
    "AuthorizationError",
    "DatabaseNotFoundError",
    "DatabaseNotFoundException",
    "ForbiddenException",
    "IncompleteResponseError",
    "InfluxDBClientError",
    "InfluxDBConnectionError",
    "InfluxDBError",
    "InfluxDBException",
    "InfluxDBHTTPError",
    "InfluxDBQueryError",
    "InfluxDBServerError",
    "InfluxDBTimeoutError",
    "InfluxDBWriteError",
    "InvalidResponseError",
    "LineProtocolError",
    "NotSupportedError",
    "PartialWriteError",
    "QueryFailedException",
    "RequestTooLargeError",
    "SchemaError",
    "ServerUnavailableError",
    "UnauthorizedException",
    "WriteFailedException",
    "http_error",
    "query_error",
    "redact",
    "secret_pattern",
]

_DATABASE_NOT_FOUND: Final = "database not found"
# How each server says a database does not exist: 1.x and 2.x's /query and 3.x's
# ("query error: database not found: db", "Cannot retrieve database: External error:
# database not found: db"), 2.x's /write ("no dbrp mapping found") and 2.x's
# /api/v2/write ('bucket "db" not found', tenant.ErrBucketNotFoundByName).
_BUCKET_NOT_FOUND: Final = re.compile(r'^bucket (?:("(?:[^"\\]|\\.)*") )?not found$')
_NOT_FOUND: Final = re.compile(r'(?:^|: )database not found\b|^no dbrp mapping found|'
                               + _BUCKET_NOT_FOUND.pattern)


def _names_missing_database(message: str) -> bool:
    return _NOT_FOUND.search(message) is not None


class InfluxDBError(Exception):
    """Root of every error influxkit raises."""

    retryable: bool = False


class LineProtocolError(InfluxDBError, ValueError):
    """Data that line protocol cannot carry, refused before anything is sent.

    Its message is ``reason``, after the point's position and a short form of it.

    Args:
        reason: what is wrong, in words.
        point: the offending point (or a short description of it), if known.
        index: its position in the input, counting from 0, if known.
        field: the name of the offending tag, field or part (``"measurement"``,
            ``"time"``), if known.
        value: the offending value.

    Attributes:
        reason: what is wrong, in words.
        point: the offending point (or a short description of it), if known.
        index: its position in the input, counting from 0, if known.
        field: the name of the offending tag, field or part (``"measurement"``,
            ``"time"``), if known.
        value: the offending value.
    """

    def __init__(
        self,
        reason: str,
        *,
        point: Any = None,
        index: int | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        self.reason = reason
        self.point = point
        self.index = index
        self.field = field
        self.value = value
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"point {self.index}")
        if self.point is not None:
            where.append(_short_repr(self.point))
        prefix = " ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def locate(self, index: int | None = None, point: Any = None) -> LineProtocolError:
        """Return the same error, told where the offending point is.

        Args:
            index: the point's position in the input, if not known already.
            point: the point, if not known already.
        """
        if index is not None and self.index is None:
            self.index = index
        if point is not None and self.point is None:
            self.point = point
        self.args = (self._message(),)
        return self


class SchemaError(InfluxDBError, TypeError):
    """An invalid schema was given to :func:`lineprotocol`."""


class InfluxDBConnectionError(InfluxDBError):
    """The server could not be reached, or the connection broke mid-request."""

    retryable = True


class InfluxDBTimeoutError(InfluxDBConnectionError, TimeoutError):
    """The request took longer than the client's timeout."""


class InvalidResponseError(InfluxDBError):
    """The server's answer is not a whole InfluxDB answer: of another content type (a
    proxy's page), not of InfluxDB's shape, or not decodable. Nothing of it is returned.

    Args:
        message: what is wrong with the answer.
        status: the HTTP status of the answer, when known.
        content_type: its ``Content-Type``, when known.
        received: the bytes of its body read before the problem, when known.

    Attributes:
        status: the HTTP status of the answer, when known.
        content_type: its ``Content-Type``, when known.
        received: the bytes of its body read before the problem, when known.
    """

    status: int | None = None
    content_type: str | None = None
    received: int | None = None

    def __init__(self, message: str, *, status: int | None = None,
                 content_type: str | None = None, received: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.content_type = content_type
        self.received = received


class IncompleteResponseError(InvalidResponseError, InfluxDBConnectionError):
    """The answer ended before it was whole: in the middle of a document, while a
    statement or a series was still marked ``partial``, or with no document at all.
    What was read is not returned; asking again may succeed."""


class QueryFailedException(InfluxDBError):
    """A query was refused: the whole request (an error status answering ``/query``, such
    as a syntax error's 400) or one of its statements (:class:`InfluxDBQueryError`).

    inflow's name, with inflow's meaning.
    """


class InfluxDBClientError(InfluxDBError):
    """The server refused the request as it was sent: a 4xx answer, or a failed statement.

    influxdb-python's name, which it raised for these same cases, so that code written
    for it catches them. Attributes ``code`` and ``content`` are there under its names.
    """

    @property
    def code(self) -> int | None:
        """The HTTP status, or ``None`` for a failed statement (answered with 200)."""
        status = getattr(self, "status", None)
        return status if isinstance(status, int) else None

    @property
    def content(self) -> str:
        """What the server said (the same as ``message``)."""
        return str(getattr(self, "message", self))


class NotSupportedError(InfluxDBClientError, NotImplementedError):
    """The server has no way to do this (InfluxQL administration on InfluxDB 2.x or 3.x,
    several statements in one query on 3.0–3.6...); raised before anything is sent.

    Args:
        message: what the server cannot do, and what to use instead.
        server: the server's name and version, as :attr:`InfluxDBClient.server` says.

    Attributes:
        message: what the server cannot do, and what to use instead.
        server: the server's name and version, as :attr:`InfluxDBClient.server` says.
    """

    def __init__(self, message: str, *, server: str = "") -> None:
        self.server = server
        self.message = message
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_not_supported, (self.message, self.server))


def _restore_not_supported(message: str, server: str) -> NotSupportedError:
    return NotSupportedError(message, server=server)


class InfluxDBQueryError(InfluxDBClientError, QueryFailedException):
    """A statement of a query failed (the server answered 200 with an ``error``).

    Attributes:
        statement_id: index of the failed statement, from 0.
        statement: its text, when the query could be split into statements.
        message: what the server said.
    """

    def __init__(self, message: str, *, statement_id: int | None = None,
                 statement: str | None = None, query: str | None = None) -> None:
        self.message = message
        self.statement_id = statement_id
        self.statement = statement
        self.query = query
        what = "query failed"
        if statement_id is not None:
            what = f"statement {statement_id} failed"
            if statement:
                what += f" ({_short(statement, 200)})"
        elif query:
            what += f" ({_short(query, 200)})"
        super().__init__(f"{what}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_query_error,
                (_bases(type(self)), self.message, self.statement_id, self.statement,
                 self.query))


class DatabaseNotFoundError(InfluxDBClientError):
    """The database of a query or a write does not exist.

    A query raises it as an :class:`InfluxDBQueryError` as well, and a write as an
    :class:`InfluxDBWriteError` (HTTP 404), so that the clauses that caught those before
    still do.

    Attributes:
        database: the name of the database, as the server gave it (``None`` if it
            did not).
    """

    @property
    def database(self) -> str | None:
        """The missing database's name, from the server's message."""
        message = str(getattr(self, "message", ""))
        match = re.search(rf"(?:^|: ){_DATABASE_NOT_FOUND}: (.+)", message, re.DOTALL)
        if match is None:
            match = _BUCKET_NOT_FOUND.match(message)
        if match is None or match.group(1) is None:
            return None
        name = match.group(1).strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            # A write's message quotes the name as Go's %q does.
            try:
                return str(json.loads(name))
            except ValueError:
                return name[1:-1]
        return name


class InfluxDBHTTPError(InfluxDBError):
    """The server answered with an error status.

    Attributes:
        status: the HTTP status code.
        message: the server's error message (its ``error`` or ``message`` field,
            or the body as text).
        method: the request's method.
        url: the request's URL, with credentials removed.
        headers: the response headers.
        retry_after: seconds from a ``Retry-After`` header, if any.
    """

    def __init__(self, status: int, message: str, *, method: str = "", url: str = "",
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        self.headers = dict(headers or {})
        self.retry_after = _retry_after(self.headers)
        request = f" ({method} {url})" if method else ""
        super().__init__(f"HTTP {status}{request}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (to cross process boundaries) even for the classes made at run time
        # by _flavour, which can't be found by name: they are made again from their bases.
        return (_restore_http_error,
                (_bases(type(self)), self.status, self.message, self.method, self.url,
                 self.headers))


class AuthenticationError(InfluxDBClientError, InfluxDBHTTPError):
    """401: the credentials are missing or wrong."""


class AuthorizationError(InfluxDBClientError, InfluxDBHTTPError):
    """403: the user may not do this."""


class RequestTooLargeError(InfluxDBClientError, InfluxDBHTTPError):
    """413: the request body is larger than the server accepts."""


class ServerUnavailableError(InfluxDBHTTPError):
    """429 or 5xx: the server is overloaded or unavailable; worth retrying later."""

    retryable = True


class InfluxDBServerError(ServerUnavailableError):
    """5xx: the server failed (influxdb-python's name)."""


class InfluxDBWriteError(InfluxDBHTTPError):
    """The server refused a write (aioinflux's name)."""


class PartialWriteError(InfluxDBWriteError):
    """The server stored some points of a write and dropped others.

    Args:
        status: the HTTP status code.
        message: the server's error message, from which the dropped points and the
            lines it could not parse are read.
        **kwargs: :class:`InfluxDBHTTPError`'s ``method``, ``url`` and ``headers``.

    Attributes:
        dropped: how many points the server dropped, when it said: the lines it could
            not parse and the points it dropped for other reasons (beyond the
            retention policy, a field of another type...).
        unparsed: ``(line, reason)`` of each line the server could not parse or
            store, as it quoted them (1.x's ``unable to parse``, 3.x's per-line
            details).
    """

    def __init__(self, status: int, message: str, **kwargs: Any) -> None:
        details = _detailed_lines(message)
        self.unparsed: list[tuple[str, str]] = details or _unparsed_lines(message)
        match = re.search(r"dropped=(\d+)", message)
        counted = int(match.group(1)) if match else None
        if details:
            # 3.x names every line it did not store, one point each.
            self.dropped: int | None = len(details)
        elif counted is None and not self.unparsed:
            self.dropped = None
        else:
            # influxd counts in dropped= the points it parsed but would not store; the
            # lines it could not parse are only named.
            self.dropped = (counted or 0) + len(self.unparsed)
        super().__init__(status, message, **kwargs)


_UNPARSED: Final = "unable to parse '"
# A line of 3.x's details, as line_details() writes it.
_DETAIL: Final = re.compile(r"^line (\d+) (\".*\"): (.*)$", re.MULTILINE)


def line_details(error: str, data: Any) -> str:
    """The message of 3.x's write errors: its ``error``, then one line per refused line
    of its ``data`` (one object, or a list): its number, the line as the server quoted
    it (a JSON string) and the reason."""
    items = data if isinstance(data, list) else [data]
    lines = [error]
    for item in items:
        if isinstance(item, dict):
            reason = str(item.get("error_message", ""))
            if "\n" in reason:  # kept on one line, as a JSON string
                reason = json.dumps(reason)
            lines.append(f"line {item.get('line_number', '?')} "
                         f"{json.dumps(str(item.get('original_line', '')))}: {reason}")
    return "\n".join(lines)


def _unparsed_lines(message: str) -> list[tuple[str, str]]:
    """The ``(line, reason)`` pairs of influxd's "unable to parse 'LINE': REASON"."""
    found = []
    for piece in message.split(_UNPARSED)[1:]:
        piece = re.sub(r"\s*dropped=\d+\s*$", "", piece).rstrip("\n")
        line, separator, reason = piece.rpartition("': ")
        if separator:
            found.append((line, reason.strip()))
    return found


def _detailed_lines(message: str) -> list[tuple[str, str]]:
    """The ``(line, reason)`` pairs of 3.x's details (see :func:`line_details`)."""
    found = []
    for match in _DETAIL.finditer(message):
        reason = match.group(3).strip()
        try:
            line = str(json.loads(match.group(2)))
            if reason.startswith('"'):
                reason = str(json.loads(reason))
        except ValueError:
            continue
        found.append((line, reason))
    return found


# The names of other clients, for code moving over: the same classes.
InfluxDBException = InfluxDBError
WriteFailedException = InfluxDBWriteError
DatabaseNotFoundException = DatabaseNotFoundError
UnauthorizedException = AuthenticationError
ForbiddenException = AuthorizationError


_STATUS_CLASSES: dict[int, type[InfluxDBHTTPError]] = {
    401: AuthenticationError,
    403: AuthorizationError,
    413: RequestTooLargeError,
    429: ServerUnavailableError,
}

_FLAVOURS: dict[tuple[type[InfluxDBError], ...], type[InfluxDBError]] = {}


def _flavour(*bases: type[InfluxDBError]) -> type[Any]:
    """The class that is each of ``bases`` at once, named after the first; made once.

    Bases another base already implies are left out; a single base is returned as is.
    """
    kept: list[type[InfluxDBError]] = []
    for base in bases:
        implied = any(other is not base and issubclass(other, base) for other in bases)
        if not implied and base not in kept:
            kept.append(base)
    if len(kept) == 1:
        return kept[0]
    key = tuple(kept)
    flavour = _FLAVOURS.get(key)
    if flavour is None:
        first = kept[0]
        flavour = type(first.__name__, key, {
            "__module__": __name__, "__qualname__": first.__qualname__,
            "__doc__": first.__doc__, "_flavour_of": key,
        })
        # Two threads may make one at once: both keep the first stored.
        flavour = _FLAVOURS.setdefault(key, flavour)
    return flavour


def _bases(cls: type[InfluxDBError]) -> tuple[type[InfluxDBError], ...]:
    flavour_of: tuple[type[InfluxDBError], ...] | None = cls.__dict__.get("_flavour_of")
    return flavour_of or (cls,)


def http_error(status: int, message: str, *, write: bool = False, query: bool | None = None,
               **kwargs: Any) -> InfluxDBHTTPError:
    """Build the error for an HTTP answer with an error status.

    Args:
        status, message: the answer's status and the server's message.
        write: the request was a write.
        query: the request was a query; by default, whether ``url`` is ``/query``'s.
        **kwargs: ``method``, ``url`` and ``headers``, for :class:`InfluxDBHTTPError`.
    """
    if query is None:
        query = urllib.parse.urlsplit(str(kwargs.get("url", ""))).path.endswith("/query")
    client = 400 <= status < 500
    # 1.x: 400 "partial write: ..."; 2.x: 422; 3.x: "partial write of line protocol
    # occurred" (the lines it could not store are named, the others stored).
    if write and (status == 422 or "partial write" in message):
        cls: type[InfluxDBHTTPError] = PartialWriteError
    else:
        cls = _STATUS_CLASSES.get(status) or (
            InfluxDBServerError if status >= 500 else InfluxDBHTTPError)
    # The class the error is named after comes first: the most telling one.
    bases: list[type[InfluxDBError]] = []
    if _names_missing_database(message):
        bases.append(DatabaseNotFoundError)
    if cls is InfluxDBHTTPError and write:
        bases.append(InfluxDBWriteError)
    elif cls is InfluxDBHTTPError and client:
        bases.append(InfluxDBClientError)
    bases.append(cls)
    if write:
        bases.append(InfluxDBWriteError)
    if client:
        bases.append(InfluxDBClientError)
    if query:
        bases.append(QueryFailedException)
    return cast(InfluxDBHTTPError, _flavour(*bases)(status, message, **kwargs))


def query_error(message: str, *, statement_id: int | None = None, statement: str | None = None,
                query: str | None = None) -> InfluxDBQueryError:
    """Build the error for a failed statement (a :class:`DatabaseNotFoundError` as well
    when the server says the database does not exist)."""
    cls: type[Any] = InfluxDBQueryError
    if _names_missing_database(message):
        cls = _flavour(DatabaseNotFoundError, InfluxDBQueryError)
    error = cls(message, statement_id=statement_id, statement=statement, query=query)
    return cast(InfluxDBQueryError, error)


REDACTED: Final = "[REDACTED]"


def secret_pattern(*secrets: str) -> re.Pattern[str] | None:
    """A pattern of the whole occurrences of ``secrets`` (not the same letters inside a
    longer word, so that a short password does not hide the rest of a message); None
    when there is no secret."""
    alternatives = []
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        left = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
        right = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
        alternatives.append(left + re.escape(secret) + right)
    return re.compile("|".join(alternatives)) if alternatives else None


def redact(error: BaseException, *secrets: str) -> None:
    """Take ``secrets`` (a password, and the forms it takes) out of an error, in place:
    out of its message, its attributes (headers included), and the errors it was
    raised from. Only whole occurrences are replaced (see :func:`secret_pattern`).
    """
    pattern = secret_pattern(*secrets)
    if pattern is None:
        return

    def scrub(value: Any) -> Any:
        # Text, and the containers errors keep it in (args, headers).
        if isinstance(value, str):
            return pattern.sub(REDACTED, value)
        if isinstance(value, (list, tuple)):
            return type(value)(scrub(item) for item in value)
        if isinstance(value, dict):
            return {scrub(key): scrub(item) for key, item in value.items()}
        return value

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = scrub(current.args)
        for name, value in list(vars(current).items()):
            setattr(current, name, scrub(value))
        current = current.__cause__ or current.__context__


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return _http_date_delay(value)
    return None


def _http_date_delay(value: str) -> float | None:
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_repr(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _restore_http_error(bases: tuple[type[InfluxDBHTTPError], ...], status: int, message: str,
                        method: str, url: str, headers: dict[str, str]) -> InfluxDBHTTPError:
    error = _flavour(*bases)(status, message, method=method, url=url, headers=headers)
    return cast(InfluxDBHTTPError, error)


def _restore_query_error(bases: tuple[type[InfluxDBQueryError], ...], message: str,
                         statement_id: int | None, statement: str | None,
                         query: str | None) -> InfluxDBQueryError:
    error = _flavour(*bases)(message, statement_id=statement_id, statement=statement,
                             query=query)
    return cast(InfluxDBQueryError, error)
