"""The error tree, the choice of class for an HTTP answer, and Retry-After."""

from __future__ import annotations

import email.utils
import pickle
import time

import pytest

import influxkit
from influxkit import (
    AuthenticationError,
    AuthorizationError,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
    LineProtocolError,
    PartialWriteError,
    RequestTooLargeError,
    SchemaError,
    ServerUnavailableError,
)
from influxkit._errors import http_error

PARTIAL = ('partial write: field type conflict: input field "f" on measurement "m" is type '
           "integer, already exists as type float dropped=2")


# -- the tree ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (LineProtocolError, (InfluxDBError, ValueError)),
        (SchemaError, (InfluxDBError, TypeError)),
        (InfluxDBConnectionError, (InfluxDBError,)),
        (InfluxDBTimeoutError, (InfluxDBConnectionError, TimeoutError)),
        (InfluxDBQueryError, (InfluxDBError,)),
        (InfluxDBHTTPError, (InfluxDBError,)),
        (AuthenticationError, (InfluxDBHTTPError,)),
        (AuthorizationError, (InfluxDBHTTPError,)),
        (RequestTooLargeError, (InfluxDBHTTPError,)),
        (ServerUnavailableError, (InfluxDBHTTPError,)),
        (InfluxDBWriteError, (InfluxDBHTTPError,)),
        (PartialWriteError, (InfluxDBWriteError,)),
    ],
)
def test_tree(cls: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    for base in bases:
        assert issubclass(cls, base)
    assert issubclass(cls, InfluxDBError)
    assert getattr(influxkit, cls.__name__) is cls


def test_no_builtin_is_shadowed() -> None:
    import builtins

    assert not set(influxkit.__all__) & set(dir(builtins))


@pytest.mark.parametrize(
    ("cls", "retryable"),
    [
        (InfluxDBError, False),
        (LineProtocolError, False),
        (InfluxDBQueryError, False),
        (InfluxDBConnectionError, True),
        (InfluxDBTimeoutError, True),
        (InfluxDBHTTPError, False),
        (AuthenticationError, False),
        (AuthorizationError, False),
        (RequestTooLargeError, False),
        (ServerUnavailableError, True),
        (InfluxDBWriteError, False),
        (PartialWriteError, False),
    ],
)
def test_retryable(cls: type[InfluxDBError], retryable: bool) -> None:
    assert cls.retryable is retryable


# -- LineProtocolError --------------------------------------------------------------------------


def test_line_protocol_error_message_and_locate() -> None:
    error = LineProtocolError("field 'f' is nan", field="f", value=float("nan"))
    assert str(error) == "field 'f' is nan"
    point = {"measurement": "m", "fields": {"f": float("nan")}}
    assert error.locate(3, point) is error
    assert error.index == 3
    assert error.point is point
    assert str(error).startswith("point 3 {'measurement': 'm'")
    assert str(error).endswith(": field 'f' is nan")
    # The innermost location wins.
    error.locate(9, "other")
    assert error.index == 3
    assert error.point is point


def test_line_protocol_error_shortens_huge_points() -> None:
    error = LineProtocolError("bad", index=0, point={"fields": {"f": "x" * 10_000}})
    assert len(str(error)) < 300


# -- InfluxDBQueryError ----------------------------------------------------------------------


def test_query_error_message() -> None:
    error = InfluxDBQueryError("boom", statement_id=1, statement="SELECT 2",
                               query="SELECT 1; SELECT 2")
    assert str(error) == "statement 1 failed (SELECT 2): boom"
    assert (error.message, error.statement_id, error.statement) == ("boom", 1, "SELECT 2")
    error = InfluxDBQueryError("database not found: x", query="SELECT 1")
    assert str(error) == "query failed (SELECT 1): database not found: x"


def test_query_error_shortens_long_statements() -> None:
    statement = "SELECT " + ", ".join(f"f{i}" for i in range(500)) + " FROM m"
    error = InfluxDBQueryError("boom", statement_id=0, statement=statement)
    assert len(str(error)) < 300
    assert error.statement == statement


# -- http_error ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InfluxDBHTTPError),
        (401, AuthenticationError),
        (403, AuthorizationError),
        (404, InfluxDBHTTPError),
        (413, RequestTooLargeError),
        (422, InfluxDBHTTPError),
        (429, ServerUnavailableError),
        (500, ServerUnavailableError),
        (502, ServerUnavailableError),
        (503, ServerUnavailableError),
        (504, ServerUnavailableError),
    ],
)
def test_http_error_class_for_queries(status: int, cls: type[InfluxDBHTTPError]) -> None:
    error = http_error(status, "the server's message", method="POST",
                       url="http://h:8086/query?db=x")
    assert type(error) is cls
    assert not isinstance(error, InfluxDBWriteError)
    assert error.status == status
    assert error.message == "the server's message"
    assert error.method == "POST"
    assert error.url == "http://h:8086/query?db=x"
    assert str(error) == f"HTTP {status} (POST http://h:8086/query?db=x): the server's message"
    assert error.retryable is (status == 429 or status >= 500)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InfluxDBHTTPError),
        (401, AuthenticationError),
        (403, AuthorizationError),
        (404, InfluxDBHTTPError),
        (413, RequestTooLargeError),
        (429, ServerUnavailableError),
        (500, ServerUnavailableError),
        (503, ServerUnavailableError),
    ],
)
def test_http_error_class_for_writes(status: int, cls: type[InfluxDBHTTPError]) -> None:
    error = http_error(status, "unable to parse 'x': missing fields", write=True)
    # Both the status's own class and a write error, so either except clause catches it.
    assert isinstance(error, cls)
    assert isinstance(error, InfluxDBWriteError)
    assert not isinstance(error, PartialWriteError)
    assert error.status == status
    assert error.message == "unable to parse 'x': missing fields"
    assert error.retryable is (status == 429 or status >= 500)
    # The same class every time.
    assert type(http_error(status, "again", write=True)) is type(error)


def test_write_401_is_authentication_and_write_error() -> None:
    error = http_error(401, "authorization failed", write=True)
    with pytest.raises(AuthenticationError):
        raise error
    with pytest.raises(InfluxDBWriteError):
        raise error
    assert type(error).__name__ == "AuthenticationError"


def test_partial_write() -> None:
    error = http_error(400, PARTIAL, write=True)
    assert type(error) is PartialWriteError
    assert error.dropped == 2
    assert error.status == 400
    assert error.message == PARTIAL


def test_partial_write_422_without_a_count() -> None:
    # InfluxDB 2.x's v1 compatibility answers a partial write with 422.
    error = http_error(422, "failure writing points to database: partial write", write=True)
    assert type(error) is PartialWriteError
    assert error.dropped is None


def test_partial_write_text_on_a_query_is_not_a_write_error() -> None:
    error = http_error(400, PARTIAL)
    assert type(error) is InfluxDBHTTPError


# -- Retry-After --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "120"}, 120.0),
        ({"retry-after": "0"}, 0.0),
        ({"RETRY-AFTER": "1.5"}, 1.5),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # in the past
        ({"X-Other": "5"}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = http_error(503, "unavailable", headers=headers)
    assert error.retry_after == expected
    assert error.headers == headers


def test_retry_after_http_date() -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    error = http_error(429, "slow down", headers={"Retry-After": when})
    assert error.retry_after is not None
    assert 110 <= error.retry_after <= 121


@pytest.mark.parametrize(
    "error",
    [http_error(400, "bad"), http_error(401, "no", write=True), http_error(400, PARTIAL,
                                                                            write=True)],
    ids=["http", "write 401", "partial"],
)
def test_errors_pickle(error: InfluxDBHTTPError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.status == error.status
    assert copy.message == error.message
