"""influxdb-python's exceptions, each also an influxkit error.

- :class:`InfluxDBClientError` ``(content, code=None)``: the server refused the request
  (an answer of another status than 2xx and below 500: ``code`` is its status,
  ``content`` its body), or a statement failed (``code`` is None, ``content`` the
  server's message). ``str(error)`` is ``"400: {content}"``, or the content alone
  without a code, as influxdb-python made it.
- :class:`InfluxDBServerError` ``(content)``: the server failed (5xx); ``content`` is
  the body.

What the client raises for a server's answer is at once one of these and the influxkit
error raised for it, with its attributes (``status``, ``message``, ``url``,
``dropped``...): ``except InfluxDBClientError`` and ``except
influxkit.PartialWriteError`` both catch a partial write. influxkit's
``InfluxDBClientError`` and ``InfluxDBServerError`` are bases of this module's, so
``except influxkit.InfluxDBError`` catches both classes.

Data refused before anything is sent (a time finer than the precision, a value line
protocol cannot carry), which influxdb-python sent as it was (the server then stored
it wrong, or refused it), is an :class:`InfluxDBClientError` with no ``code`` and an
:class:`influxkit.LineProtocolError` (a :class:`ValueError`). An argument influxkit
checks before sending, which influxdb-python left to the server to refuse (a duration,
a privilege, a missing database...), is an :class:`InfluxDBClientError` with no
``code`` and a :class:`ValueError`.

A body is what the server sent: InfluxDB's errors are ``{"error": "..."}``, which
``content`` holds as compact JSON (as influxdb-python gave the MessagePack answers it
asked for); any other body (a proxy's page) as its text.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import influxkit
from influxkit.compat._classes import combined

__all__ = ["InfluxDBClientError", "InfluxDBServerError"]


class InfluxDBClientError(influxkit.InfluxDBClientError):
    """Raised when the server refuses a request, or a statement fails.

    Args:
        content: what the server said (the body of its answer, or a failed statement's
            message); ``bytes`` are decoded as UTF-8.
        code: the HTTP status, or None (a failed statement, data refused before
            sending).
    """

    # Plain attributes, in place of the properties of influxkit's class.
    content: str = ""
    code: int | None = None

    def __init__(self, content: str | bytes, code: int | None = None) -> None:
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        super().__init__(f"{code}: {content}" if code is not None else content)
        self.content = content
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        refusal = self.__dict__.get("_refusal")
        if refusal is not None:
            return (refused, (refusal,))
        return _reduce(self, (self.content, self.code))


class InfluxDBServerError(influxkit.InfluxDBServerError):
    """Raised when the server fails (a 5xx answer).

    Args:
        content: the body of the server's answer; ``bytes`` are decoded as UTF-8.
    """

    content: str = ""

    def __init__(self, content: str | bytes) -> None:
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        # An error made by hand has no answer behind it: a 500 stands for its status.
        super().__init__(500, content)
        self.args = (content,)
        self.content = content

    def __reduce__(self) -> tuple[Any, ...]:
        return _reduce(self, (self.content,))


_CLASSES = (InfluxDBClientError, InfluxDBServerError)


def _reduce(error: influxkit.InfluxDBError, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
    # The classes the client raises are made at run time (this module's and influxkit's
    # at once): pickled as the influxkit error they wrap, made again from it.
    wrapped = error.__dict__.get("_influxkit_error")
    if wrapped is not None:
        return (translate, (wrapped,))
    return (type(error), arguments)


def _combined(bases: tuple[type[BaseException], ...]) -> type[influxkit.InfluxDBError]:
    """The class that is each of ``bases`` at once, named after the first; made once."""
    made: type[influxkit.InfluxDBError] = combined(bases, __name__)
    return made


def _body(error: influxkit.InfluxDBHTTPError) -> str:
    """The body of an error answer as influxdb-python's ``content`` had it."""
    content_type = next((value for key, value in error.headers.items()
                         if key.lower() == "content-type"), "")
    if "json" in content_type or "msgpack" in content_type:
        return json.dumps({"error": error.message}, separators=(",", ":"))
    return error.message


def translate(error: influxkit.InfluxDBError) -> influxkit.InfluxDBError:
    """The error influxdb-python's code should see for ``error``: one of this module's
    classes and ``error``'s at once, with ``error``'s attributes; ``error`` itself when
    influxdb-python had no class for it (the server could not be reached, an answer that
    is not InfluxDB's: influxdb-python raised ``requests``' errors there)."""
    if isinstance(error, _CLASSES):
        return error
    base: type[influxkit.InfluxDBError]
    code: int | None = None
    if isinstance(error, influxkit.InfluxDBHTTPError):
        content = _body(error)
        if error.status >= 500:
            base = InfluxDBServerError
            text = content
        else:
            base, code = InfluxDBClientError, error.status
            text = f"{code}: {content}"
    elif isinstance(error, (influxkit.InfluxDBClientError, influxkit.LineProtocolError)):
        # A failed statement (its message is the server's), a command the server has no
        # equivalent of, data refused before sending.
        message = getattr(error, "message", None)
        base = InfluxDBClientError
        content = text = message if isinstance(message, str) else str(error)
    else:
        return error
    bases = (base,) if issubclass(base, type(error)) else (base, type(error))
    wrapped: Any = BaseException.__new__(_combined(bases))
    wrapped.__dict__.update(vars(error))
    wrapped.__dict__["_influxkit_error"] = error
    wrapped.args = (text,)
    wrapped.content = content
    if base is InfluxDBClientError:
        wrapped.code = code
    result: influxkit.InfluxDBError = wrapped
    return result


def refused(error: ValueError) -> InfluxDBClientError:
    """The error influxdb-python's code should see for an argument influxkit refuses
    before sending, where influxdb-python sent it and the server refused it: an
    :class:`InfluxDBClientError` (no ``code``) that is also a :class:`ValueError`."""
    made: Any = BaseException.__new__(_combined((InfluxDBClientError, ValueError)))
    made.args = error.args
    made.content = str(error)
    made.code = None
    made.__dict__["_refusal"] = error
    result: InfluxDBClientError = made
    return result


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Raise the influxkit errors raised in the block as :func:`translate` says, and its
    :class:`ValueError` as :func:`refused` says."""
    try:
        yield
    except influxkit.InfluxDBError as error:
        replacement = translate(error)
        if replacement is error:
            raise
        raise replacement.with_traceback(error.__traceback__) from error.__cause__
    except ValueError as error:
        raise refused(error).with_traceback(error.__traceback__) from error.__cause__
