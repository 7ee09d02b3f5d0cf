"""``influxdb_client.rest``: :class:`ApiException`, the error of an HTTP answer.

An error status answering a write of this layer is raised as a class that is both
:class:`ApiException` and influxkit's error for it (a 404 for a missing bucket is also
an :class:`influxkit.DatabaseNotFoundError` and :class:`influxkit.InfluxDBWriteError`,
a 401 an :class:`influxkit.AuthenticationError`...), with the attributes of both.
"""

from __future__ import annotations

import http
import json
from collections.abc import Mapping
from typing import Any, Final

import influxkit

from .client.exceptions import InfluxDBError

__all__ = ["ApiException"]


class ApiException(InfluxDBError):
    """An HTTP answer with an error status.

    Args:
        status: the HTTP status, when there is no ``http_resp``.
        reason: its reason phrase, when there is no ``http_resp``.
        http_resp: the answer (anything with ``status``, ``reason``, ``data`` and
            ``getheaders()``, as urllib3's).

    Attributes:
        status: the HTTP status.
        reason: its reason phrase (``'Not Found'``).
        body: the answer's body, bytes. On errors of this layer's writes it is the
            server's message in InfluxDB 2.x's shape (``{"code": ..., "message": ...}``),
            rebuilt from what influxkit keeps.
        headers: the answer's headers.
        message: the server's message.
        retry_after: ``Retry-After``; seconds (a float) on errors of this layer's writes.
    """

    status: Any
    reason: Any
    body: Any
    headers: Any

    def __init__(self, status: Any = None, reason: Any = None, http_resp: Any = None) -> None:
        super().__init__(response=http_resp)
        if http_resp:
            self.status = http_resp.status
            self.reason = http_resp.reason
            self.body = http_resp.data
            getheaders = getattr(http_resp, "getheaders", None)
            self.headers = getheaders() if callable(getheaders) else http_resp.headers
        else:
            self.status = status
            self.reason = reason
            self.body = None
            self.headers = None

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.headers:
            text += f"HTTP response headers: {self.headers}\n"
        if self.body:
            text += f"HTTP response body: {self.body!r}\n"
        return text


class HTTPResponse:
    """What ``ApiException.response`` holds for an error of this layer: the answer's
    ``status``, ``reason``, ``data`` (the rebuilt body), ``headers``, as urllib3's."""

    def __init__(self, status: int, reason: str, data: bytes,
                 headers: Mapping[str, str]) -> None:
        self.status = status
        self.reason = reason
        self.data = data
        self.headers = dict(headers)

    def getheader(self, name: str, default: Any = None) -> Any:
        return next((value for key, value in self.headers.items()
                     if key.lower() == name.lower()), default)

    def getheaders(self) -> dict[str, str]:
        return self.headers

    def __repr__(self) -> str:
        return f"<HTTPResponse {self.status} {self.reason}>"


# InfluxDB 2.x's error codes, by status (kit/transport/http/error_handler.go).
_CODES: Final = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not found",
                 405: "method not allowed", 409: "conflict", 413: "request too large",
                 422: "unprocessable entity", 429: "too many requests", 500: "internal error",
                 503: "unavailable"}

_CLASSES: dict[type[influxkit.InfluxDBHTTPError], type[ApiException]] = {}


def api_exception(error: influxkit.InfluxDBHTTPError) -> ApiException:
    """influxkit's HTTP error as an :class:`ApiException` that is also of its class."""
    kind = type(error)
    cls = _CLASSES.get(kind)
    if cls is None:
        cls = type("ApiException", (ApiException, kind), {
            "__module__": __name__, "__qualname__": "ApiException",
            "__doc__": ApiException.__doc__, "__reduce__": _reduce,
        })
        cls = _CLASSES.setdefault(kind, cls)
    converted = cls.__new__(cls, *error.args)
    converted.__dict__.update(vars(error))
    converted.args = error.args
    try:
        reason = http.HTTPStatus(error.status).phrase
    except ValueError:
        reason = "Unknown"
    body = json.dumps({"code": _CODES.get(error.status, "internal error"),
                       "message": error.message}).encode()
    converted.reason = reason
    converted.body = body
    converted.response = HTTPResponse(error.status, reason, body, error.headers)
    converted._influxkit_error = error  # type: ignore[attr-defined]
    return converted


def _reduce(self: ApiException) -> tuple[Any, ...]:
    # Made at run time, the class cannot be pickled by name: it is made again from
    # influxkit's error, which pickles.
    return (api_exception, (self._influxkit_error,))  # type: ignore[attr-defined]
