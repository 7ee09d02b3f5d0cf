"""``influxdb_client.client.exceptions``: :class:`InfluxDBError`, and the classes that are
both influxdb-client's and influxkit's.

Every class here is also an :class:`influxkit.InfluxDBError`, so ``except`` clauses of
either library catch it:

- :class:`InfluxDBError`: influxdb-client's root (``response``, ``message``,
  ``retry_after``), under influxkit's.
- :class:`LineProtocolError`: data influxkit refuses before sending (a time finer than
  its precision, NaN, a point without fields...), where influxdb-client would have
  stored it truncated or dropped it silently: an :class:`InfluxDBError` and
  :class:`influxkit.LineProtocolError` (a ``ValueError``).
- :class:`NotSupportedError`: what this layer does not map (Flux, the management APIs),
  raised before anything is sent: a ``NotImplementedError``.
- :class:`WriteApiError` and :class:`WriteRetryError`: batches a batching write API could
  not deliver, raised by ``flush()`` and ``close()`` when no ``error_callback`` took
  them: also :class:`influxkit.WriterError`, with its ``failures``.

HTTP errors are :class:`influxkit.compat.influxdb_client.rest.ApiException`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import influxkit

__all__ = [
    "InfluxDBError",
    "LineProtocolError",
    "NotSupportedError",
    "WriteApiError",
    "WriteRetryError",
]


class InfluxDBError(influxkit.InfluxDBError):
    """Raised when a server error occurs (influxdb-client's root exception).

    Args:
        response: the HTTP answer (anything with ``data``, ``reason`` and
            ``getheader()``, as urllib3's), or None.
        message: the message, when there is no answer.

    Attributes:
        response: the answer, or None.
        message: the server's message (the ``message`` of its JSON body, else the
            body, an error header or the reason), or ``message``, or ``'no response'``.
        retry_after: the answer's ``Retry-After``, or None. On errors of this layer's
            writes it is influxkit's: seconds, as a float.
    """

    response: Any
    message: str
    retry_after: Any

    def __init__(self, response: Any = None, message: str | None = None) -> None:
        if response is not None:
            self.response = response
            self.message = _message_of(response)
            self.headers = _headers_of(response)
            self.retry_after = _header(response, "Retry-After")
        else:
            self.response = None
            self.message = message or "no response"
            self.retry_after = None
        super().__init__(self.message)


def _message_of(response: Any) -> str:
    data = getattr(response, "data", None)
    if data:
        try:
            return str(json.loads(data)["message"])
        except (ValueError, TypeError, KeyError):
            return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    for name in ("X-Platform-Error-Code", "X-Influx-Error", "X-InfluxDb-Error"):
        value = _header(response, name)
        if value is not None:
            return str(value)
    return str(getattr(response, "reason", "") or "")


def _headers_of(response: Any) -> Any:
    getheaders = getattr(response, "getheaders", None)
    return getheaders() if callable(getheaders) else getattr(response, "headers", None)


def _header(response: Any, name: str) -> Any:
    getheader = getattr(response, "getheader", None)
    if callable(getheader):
        return getheader(name)
    headers = getattr(response, "headers", None)
    if isinstance(headers, Mapping):
        return next((value for key, value in headers.items() if key.lower() == name.lower()),
                    None)
    return None


class LineProtocolError(InfluxDBError, influxkit.LineProtocolError):
    """Data influxkit refuses, before anything is sent, naming the point, field and value.

    influxdb-client would have sent it truncated (a time finer than the precision),
    dropped it silently (NaN, a point without fields) or let the server refuse the
    batch. Both an :class:`InfluxDBError` and an :class:`influxkit.LineProtocolError`
    (so a ``ValueError``); ``message`` is the whole message.
    """

    def __init__(self, reason: str, *, point: Any = None, index: int | None = None,
                 field: str | None = None, value: Any = None) -> None:
        influxkit.LineProtocolError.__init__(self, reason, point=point, index=index,
                                             field=field, value=value)
        self.response = None
        self.retry_after = None
        self.message = str(self)

    def locate(self, index: int | None = None, point: Any = None) -> LineProtocolError:
        super().locate(index, point)
        self.message = str(self)
        return self

    @classmethod
    def of(cls, error: influxkit.LineProtocolError) -> LineProtocolError:
        """The same refusal, as this class."""
        if isinstance(error, cls):
            return error
        return cls(error.reason, point=error.point, index=error.index, field=error.field,
                   value=error.value)


class NotSupportedError(InfluxDBError, influxkit.NotSupportedError):
    """What this layer does not map (Flux queries, the management APIs...), raised
    before anything is sent. The message says what to use instead.

    Both an :class:`InfluxDBError` and an :class:`influxkit.NotSupportedError` (so a
    ``NotImplementedError``).
    """

    def __init__(self, message: str, *, server: str = "") -> None:
        influxkit.NotSupportedError.__init__(self, message, server=server)
        self.response = None
        self.retry_after = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,), self.__dict__)


class WriteApiError(InfluxDBError, influxkit.WriterError):
    """Batches a batching write API could not deliver, raised by its ``flush()`` and
    ``close()`` unless an ``error_callback`` took them (influxdb-client only logs them).

    Also an :class:`influxkit.WriterError`. Attributes: ``failures``, the ``(batch,
    error)`` pairs (each error as this layer raises it: an ``ApiException`` for an HTTP
    error); ``message``.
    """

    def __init__(self, failures: list[tuple[influxkit.Batch, BaseException]]) -> None:
        influxkit.WriterError.__init__(self, failures)
        self.response = None
        self.retry_after = None
        self.message = str(self)


class WriteRetryError(WriteApiError):
    """A :class:`WriteApiError` whose batches all failed with errors worth retrying
    (a connection error, 429, 5xx): they were given up when the retries ran out."""
