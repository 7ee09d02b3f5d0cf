"""inflow's exception classes, each also under influxkit's root :class:`influxkit.InfluxDBError`.

inflow's tree::

    InfluxDBException                 every error of a request the server refused
     ├── QueryFailedException         a query was refused (also influxkit's QueryFailedException)
     ├── WriteFailedException         a write was refused, or its data refused before sending
     ├── DatabaseNotFoundException    the database does not exist (also DatabaseNotFoundError)
     ├── UnauthorizedException        401: wrong or missing credentials
     └── ForbiddenException           403: the user may not do this

What the client raises for an answer of the server is at once one of these and the
error influxkit raised for it, with its attributes (``status``, ``message``, ``url``,
``dropped``...): ``except WriteFailedException`` and ``except influxkit.InfluxDBWriteError``
both catch a refused write. Its message (``str(error)``, ``error.args[0]``) is the
server's own, as in inflow. Data refused before anything is sent (a time finer than the
precision, a field no line protocol can carry) is a :class:`WriteFailedException` and
an :class:`influxkit.LineProtocolError`, so a :class:`ValueError` too.

These classes can be raised as inflow's were (``raise WriteFailedException("...")``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast

from influxkit import (
    AuthenticationError,
    AuthorizationError,
    DatabaseNotFoundError,
    InfluxDBError,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBWriteError,
    LineProtocolError,
)
from influxkit import QueryFailedException as _QueryFailed
from influxkit.compat._classes import combined

__all__ = [
    "DatabaseNotFoundException",
    "ForbiddenException",
    "InfluxDBException",
    "QueryFailedException",
    "UnauthorizedException",
    "WriteFailedException",
]


class InfluxDBException(InfluxDBError):
    """Generic exception for errors of the InfluxDB HTTP API; every other one of
    inflow's is one of these. Its message is what the server said."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The classes the client raises are made at run time (inflow's class and
        # influxkit's at once): pickled as the influxkit error they wrap, made again.
        wrapped: BaseException | None = self.__dict__.get("_influxkit_error")
        if wrapped is None:
            return cast("tuple[Any, ...]", super().__reduce__())
        return (_rewrap, (_inflow_bases(type(self)), wrapped))


class QueryFailedException(InfluxDBException, _QueryFailed):
    """A query was refused: a syntax error, a statement that failed, an error status."""


class WriteFailedException(InfluxDBException):
    """A write was refused by the server, or its data before anything was sent."""


class DatabaseNotFoundException(InfluxDBException, DatabaseNotFoundError):
    """The database of a write (or a query) does not exist."""


class UnauthorizedException(InfluxDBException):
    """401: the credentials are missing or wrong."""


class ForbiddenException(InfluxDBException):
    """403: the user is logged in but may not do this query or write."""


_INFLOW_CLASSES = (QueryFailedException, WriteFailedException, DatabaseNotFoundException,
                   UnauthorizedException, ForbiddenException, InfluxDBException)


def _inflow_bases(cls: type[BaseException]) -> tuple[type[InfluxDBException], ...]:
    return tuple(base for base in cls.__bases__ if base in _INFLOW_CLASSES)


def inflow_classes(error: InfluxDBError, *, write: bool) -> tuple[type[InfluxDBException], ...]:
    """The inflow classes of an error influxkit raised; empty for errors inflow had no
    class for (the server could not be reached, an answer that is not InfluxDB's).

    One class for each error, as inflow raised it, except that a query that meets a
    missing database is both a :class:`DatabaseNotFoundException` and a
    :class:`QueryFailedException` (inflow returned an empty list).
    """
    if isinstance(error, InfluxDBException):
        return ()
    if isinstance(error, LineProtocolError):
        return (WriteFailedException,)
    if isinstance(error, AuthenticationError):
        return (UnauthorizedException,)
    if isinstance(error, AuthorizationError):
        return (ForbiddenException,)
    if isinstance(error, DatabaseNotFoundError):
        return (DatabaseNotFoundException,) if write else (DatabaseNotFoundException,
                                                            QueryFailedException)
    if write and isinstance(error, InfluxDBWriteError):
        return (WriteFailedException,)
    if not write and isinstance(error, _QueryFailed):
        return (QueryFailedException,)
    if isinstance(error, InfluxDBHTTPError):
        return (InfluxDBException,)
    return ()


def _rewrap(bases: tuple[type[InfluxDBException], ...], error: InfluxDBError
            ) -> InfluxDBException:
    cls = _combined((*bases, type(error)))
    wrapped: InfluxDBException = BaseException.__new__(cls)
    wrapped.__dict__.update(vars(error))
    wrapped.__dict__["_influxkit_error"] = error
    # inflow's message is the server's raw message (influxkit's says the status and URL).
    message = getattr(error, "message", None)
    server_said = isinstance(error, (InfluxDBHTTPError, InfluxDBQueryError))
    wrapped.args = (message,) if server_said and isinstance(message, str) else error.args
    return wrapped


def _combined(bases: tuple[type[BaseException], ...]) -> type[InfluxDBException]:
    """The class that is each of ``bases`` at once, named after the first; made once."""
    made: type[InfluxDBException] = combined(bases, __name__)
    return made


def translate(error: InfluxDBError, *, write: bool) -> InfluxDBError:
    """The error inflow's code should see for ``error``: one of inflow's classes and
    ``error``'s at once, with its attributes (``error`` itself when inflow had no class
    for it)."""
    bases = inflow_classes(error, write=write)
    return _rewrap(bases, error) if bases else error


@contextlib.contextmanager
def translated(*, write: bool) -> Iterator[None]:
    """Raise the errors of influxkit raised in the block as :func:`translate` says."""
    try:
        yield
    except InfluxDBError as error:
        replacement = translate(error, write=write)
        if replacement is error:
            raise
        raise replacement.with_traceback(error.__traceback__) from error.__cause__
