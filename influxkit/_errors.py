"""influxkit's exceptions: one tree with one root.

::

    InfluxDBError
     ├── LineProtocolError (ValueError)       bad data, refused before anything is sent
     ├── SchemaError (TypeError)              bad @lineprotocol schema
     ├── InfluxDBConnectionError              the server could not be reached     retryable
     │    └── InfluxDBTimeoutError (TimeoutError)                                 retryable
     ├── InfluxDBQueryError                   a statement of a query failed
     └── InfluxDBHTTPError                    the server answered with an error status
          ├── AuthenticationError             401
          ├── AuthorizationError              403
          ├── RequestTooLargeError            413
          ├── ServerUnavailableError          429 and 5xx                          retryable
          └── InfluxDBWriteError              the server refused a write
               └── PartialWriteError          some points stored, some dropped

An error raised by :meth:`InfluxDBClient.write` for a server answer is always an
:class:`InfluxDBWriteError`; when the status also has a class of its own (401, 403,
413, 5xx) the error is an instance of both, so ``except AuthenticationError`` and
``except InfluxDBWriteError`` both catch a refused login on write.

Every error knows whether retrying the same request may succeed (``retryable``).
Messages never contain credentials.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "InfluxDBConnectionError",
    "InfluxDBError",
    "InfluxDBHTTPError",
    "InfluxDBQueryError",
    "InfluxDBTimeoutError",
    "InfluxDBWriteError",
    "LineProtocolError",
    "PartialWriteError",
    "RequestTooLargeError",
    "SchemaError",
    "ServerUnavailableError",
]


class InfluxDBError(Exception):
    """Root of every error influxkit raises."""

    retryable: bool = False


class LineProtocolError(InfluxDBError, ValueError):
    """Data that line protocol cannot carry, refused before anything is sent.

    Attributes:
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
        """Return the same error, told where the offending point is."""
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


class InfluxDBQueryError(InfluxDBError):
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
                (type(self), self.message, self.statement_id, self.statement, self.query))


class InfluxDBHTTPError(InfluxDBError):
    """The server answered with an error status.

    Attributes:
        status: the HTTP status code.
        message: the server's error message (its ``error`` or ``message`` field,
            or the body as text).
        method, url: the request, with credentials removed.
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
        # Picklable (to cross process boundaries) even for the write flavours, which are
        # made at run time and can't be found by name.
        return (_restore_http_error,
                (type(self).__name__, isinstance(self, InfluxDBWriteError), self.status,
                 self.message, self.method, self.url, self.headers))


class AuthenticationError(InfluxDBHTTPError):
    """401: the credentials are missing or wrong."""


class AuthorizationError(InfluxDBHTTPError):
    """403: the user may not do this."""


class RequestTooLargeError(InfluxDBHTTPError):
    """413: the request body is larger than the server accepts."""


class ServerUnavailableError(InfluxDBHTTPError):
    """429 or 5xx: the server is overloaded or unavailable; worth retrying later."""

    retryable = True


class InfluxDBWriteError(InfluxDBHTTPError):
    """The server refused a write (aioinflux's name)."""


class PartialWriteError(InfluxDBWriteError):
    """The server stored some points of a write and dropped others.

    Attributes:
        dropped: how many points the server dropped, when it said.
    """

    def __init__(self, status: int, message: str, **kwargs: Any) -> None:
        match = re.search(r"dropped=(\d+)", message)
        self.dropped: int | None = int(match.group(1)) if match else None
        super().__init__(status, message, **kwargs)


_STATUS_CLASSES: dict[int, type[InfluxDBHTTPError]] = {
    401: AuthenticationError,
    403: AuthorizationError,
    413: RequestTooLargeError,
    429: ServerUnavailableError,
}


_WRITE_FLAVOURS: dict[type[InfluxDBHTTPError], type[InfluxDBHTTPError]] = {
    InfluxDBHTTPError: InfluxDBWriteError,
}


def _write_flavour(cls: type[InfluxDBHTTPError]) -> type[InfluxDBHTTPError]:
    """The class that is both ``cls`` and an :class:`InfluxDBWriteError`."""
    if issubclass(cls, InfluxDBWriteError):
        return cls
    flavour = _WRITE_FLAVOURS.get(cls)
    if flavour is None:
        flavour = type(cls.__name__, (cls, InfluxDBWriteError), {"__module__": cls.__module__})
        _WRITE_FLAVOURS[cls] = flavour
    return flavour


def http_error(status: int, message: str, *, write: bool = False,
               **kwargs: Any) -> InfluxDBHTTPError:
    """Build the error for an HTTP answer with an error status."""
    if write and (status == 422 or "partial write" in message):
        return PartialWriteError(status, message, **kwargs)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerUnavailableError if status >= 500 else InfluxDBHTTPError
    if write:
        cls = _write_flavour(cls)
    return cls(status, message, **kwargs)


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


def _restore_http_error(name: str, write: bool, status: int, message: str, method: str,
                        url: str, headers: dict[str, str]) -> InfluxDBHTTPError:
    cls = globals()[name]
    if write:
        cls = _write_flavour(cls)
    error: InfluxDBHTTPError = cls(status, message, method=method, url=url, headers=headers)
    return error


def _restore_query_error(cls: type[InfluxDBQueryError], message: str, statement_id: int | None,
                         statement: str | None, query: str | None) -> InfluxDBQueryError:
    return cls(message, statement_id=statement_id, statement=statement, query=query)
