"""The error tree, the choice of class for an HTTP answer or a failed statement, the
names of other clients, redaction of passwords, and Retry-After."""

from __future__ import annotations

import email.utils
import pickle
import time
from typing import Final

import pytest

import influxkit
from influxkit import (
    AuthenticationError,
    AuthorizationError,
    DatabaseNotFoundError,
    DatabaseNotFoundException,
    ForbiddenException,
    InfluxDBClientError,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBException,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBServerError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
    LineProtocolError,
    PartialWriteError,
    QueryFailedException,
    RequestTooLargeError,
    SchemaError,
    ServerUnavailableError,
    UnauthorizedException,
    WriteFailedException,
)
from influxkit._errors import REDACTED, http_error, query_error, redact

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
        (QueryFailedException, (InfluxDBError,)),
        (InfluxDBClientError, (InfluxDBError,)),
        (InfluxDBQueryError, (InfluxDBClientError, QueryFailedException)),
        (DatabaseNotFoundError, (InfluxDBClientError,)),
        (InfluxDBHTTPError, (InfluxDBError,)),
        (AuthenticationError, (InfluxDBHTTPError, InfluxDBClientError)),
        (AuthorizationError, (InfluxDBHTTPError, InfluxDBClientError)),
        (RequestTooLargeError, (InfluxDBHTTPError, InfluxDBClientError)),
        (ServerUnavailableError, (InfluxDBHTTPError,)),
        (InfluxDBServerError, (ServerUnavailableError,)),
        (InfluxDBWriteError, (InfluxDBHTTPError,)),
        (PartialWriteError, (InfluxDBWriteError,)),
    ],
)
def test_tree(cls: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    for base in bases:
        assert issubclass(cls, base)
    assert issubclass(cls, InfluxDBError)
    assert getattr(influxkit, cls.__name__) is cls


@pytest.mark.parametrize(
    ("cls", "not_bases"),
    [
        (InfluxDBHTTPError, (InfluxDBClientError, QueryFailedException)),
        (InfluxDBQueryError, (InfluxDBHTTPError,)),
        (DatabaseNotFoundError, (InfluxDBQueryError, InfluxDBHTTPError)),
        (ServerUnavailableError, (InfluxDBClientError,)),
        (InfluxDBWriteError, (InfluxDBClientError, QueryFailedException)),
        (InfluxDBClientError, (InfluxDBHTTPError, QueryFailedException)),
    ],
)
def test_tree_keeps_apart_what_is_not_always_together(
        cls: type[Exception], not_bases: tuple[type[Exception], ...]) -> None:
    # These are combined per error, when the answer calls for it (see below).
    for base in not_bases:
        assert not issubclass(cls, base)


@pytest.mark.parametrize(
    ("alias", "cls"),
    [
        (InfluxDBException, InfluxDBError),
        (WriteFailedException, InfluxDBWriteError),
        (DatabaseNotFoundException, DatabaseNotFoundError),
        (UnauthorizedException, AuthenticationError),
        (ForbiddenException, AuthorizationError),
    ],
)
def test_names_of_other_clients_are_the_same_classes(alias: type[Exception],
                                                     cls: type[Exception]) -> None:
    assert alias is cls
    assert getattr(influxkit, alias.__name__) is cls  # the class's own name is public too


def test_error_tree_docstring_draws_every_public_error() -> None:
    from influxkit import _errors

    doc = _errors.__doc__ or ""
    for name in influxkit.__all__:
        value = getattr(influxkit, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert name in doc, name


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
        (InfluxDBClientError, False),
        (QueryFailedException, False),
        (DatabaseNotFoundError, False),
        (InfluxDBServerError, True),
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
    ("status", "cls", "name"),
    [
        (400, InfluxDBClientError, "InfluxDBClientError"),
        (401, AuthenticationError, "AuthenticationError"),
        (403, AuthorizationError, "AuthorizationError"),
        (404, InfluxDBClientError, "InfluxDBClientError"),
        (413, RequestTooLargeError, "RequestTooLargeError"),
        (422, InfluxDBClientError, "InfluxDBClientError"),
        (429, ServerUnavailableError, "ServerUnavailableError"),
        (500, InfluxDBServerError, "InfluxDBServerError"),
        (502, InfluxDBServerError, "InfluxDBServerError"),
        (503, InfluxDBServerError, "InfluxDBServerError"),
        (504, InfluxDBServerError, "InfluxDBServerError"),
    ],
)
def test_http_error_class_for_queries(status: int, cls: type[InfluxDBHTTPError],
                                      name: str) -> None:
    error = http_error(status, "the server's message", method="POST",
                       url="http://h:8086/query?db=x")
    assert isinstance(error, cls)
    assert isinstance(error, InfluxDBHTTPError)
    assert isinstance(error, QueryFailedException)
    assert not isinstance(error, InfluxDBQueryError)
    assert not isinstance(error, InfluxDBWriteError)
    assert not isinstance(error, DatabaseNotFoundError)
    assert isinstance(error, InfluxDBClientError) is (400 <= status < 500)
    assert isinstance(error, InfluxDBServerError) is (status >= 500)
    assert type(error).__name__ == name
    assert error.status == status
    assert error.message == "the server's message"
    assert error.method == "POST"
    assert error.url == "http://h:8086/query?db=x"
    assert str(error) == f"HTTP {status} (POST http://h:8086/query?db=x): the server's message"
    assert error.retryable is (status == 429 or status >= 500)


@pytest.mark.parametrize("status", [400, 404, 500])
def test_http_error_of_another_request_is_not_a_failed_query(status: int) -> None:
    error = http_error(status, "404 page not found", method="GET", url="http://h:8086/ping")
    assert not isinstance(error, QueryFailedException)
    assert isinstance(error, InfluxDBClientError) is (status < 500)
    assert isinstance(http_error(status, "x", query=True), QueryFailedException)
    assert not isinstance(http_error(status, "x", query=False, url="http://h/query"),
                          QueryFailedException)


def test_http_error_without_a_status_class_of_its_own() -> None:
    error = http_error(302, "moved")
    assert type(error) is InfluxDBHTTPError
    assert not isinstance(error, (InfluxDBClientError, ServerUnavailableError))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InfluxDBHTTPError),
        (401, AuthenticationError),
        (403, AuthorizationError),
        (404, InfluxDBHTTPError),
        (413, RequestTooLargeError),
        (429, ServerUnavailableError),
        (500, InfluxDBServerError),
        (503, InfluxDBServerError),
    ],
)
def test_http_error_class_for_writes(status: int, cls: type[InfluxDBHTTPError]) -> None:
    error = http_error(status, "unable to parse 'x': missing fields", write=True,
                       method="POST", url="http://h:8086/write?db=x")
    # Both the status's own class and a write error, so either except clause catches it.
    assert isinstance(error, cls)
    assert isinstance(error, InfluxDBWriteError)
    assert isinstance(error, InfluxDBClientError) is (status < 500)
    assert not isinstance(error, PartialWriteError)
    assert not isinstance(error, QueryFailedException)
    assert error.status == status
    assert error.message == "unable to parse 'x': missing fields"
    assert error.retryable is (status == 429 or status >= 500)
    # The same class every time.
    assert type(http_error(status, "again", write=True)) is type(error)


def test_write_error_without_a_status_class_is_named_a_write_error() -> None:
    assert type(http_error(400, "unable to parse", write=True)).__name__ == "InfluxDBWriteError"


def test_write_401_is_authentication_and_write_error() -> None:
    error = http_error(401, "authorization failed", write=True)
    with pytest.raises(AuthenticationError):
        raise error
    with pytest.raises(InfluxDBWriteError):
        raise error
    with pytest.raises(UnauthorizedException):
        raise error
    assert type(error).__name__ == "AuthenticationError"


def test_partial_write() -> None:
    error = http_error(400, PARTIAL, write=True)
    assert isinstance(error, PartialWriteError)
    assert isinstance(error, InfluxDBClientError)
    assert type(error).__name__ == "PartialWriteError"
    assert error.dropped == 2
    assert error.status == 400
    assert error.message == PARTIAL


def test_partial_write_422_without_a_count() -> None:
    # InfluxDB 2.x's v1 compatibility answers a partial write with 422.
    error = http_error(422, "failure writing points to database: partial write", write=True)
    assert isinstance(error, PartialWriteError)
    assert error.dropped is None


def test_partial_write_text_on_a_query_is_not_a_write_error() -> None:
    error = http_error(400, PARTIAL)
    assert not isinstance(error, InfluxDBWriteError)
    assert type(error).__name__ == "InfluxDBClientError"


# -- DatabaseNotFoundError -----------------------------------------------------------------------


def test_write_to_a_missing_database() -> None:
    # influxd 1.x: 404 and the name quoted as Go's %q does.
    error = http_error(404, 'database not found: "my \"db\""', write=True, method="POST",
                       url="http://h:8086/write?db=x")
    for cls in (DatabaseNotFoundError, InfluxDBWriteError, InfluxDBClientError,
                WriteFailedException, DatabaseNotFoundException):
        assert isinstance(error, cls)
    assert not isinstance(error, InfluxDBQueryError)
    assert type(error).__name__ == "DatabaseNotFoundError"
    assert error.database == 'my "db"'
    assert error.code == error.status == 404
    assert error.content == error.message
    assert not error.retryable


def test_failed_statement_on_a_missing_database() -> None:
    error = query_error("database not found: nope", statement_id=0, statement="SELECT 1",
                        query="SELECT 1")
    for cls in (DatabaseNotFoundError, InfluxDBQueryError, InfluxDBClientError,
                QueryFailedException):
        assert isinstance(error, cls)
    assert not isinstance(error, InfluxDBHTTPError)
    assert type(error).__name__ == "DatabaseNotFoundError"
    assert error.database == "nope"
    assert error.code is None
    assert str(error) == "statement 0 failed (SELECT 1): database not found: nope"


@pytest.mark.parametrize("message", ["database name required", "retention policy not found: x",
                                     "unsupported mean iterator type"])
def test_other_failed_statements_are_plain_query_errors(message: str) -> None:
    error = query_error(message, statement_id=0)
    assert type(error) is InfluxDBQueryError
    assert isinstance(error, InfluxDBClientError)
    assert error.content == message


def test_database_of_a_message_without_a_name() -> None:
    assert query_error("database not found").database is None


# -- redaction -----------------------------------------------------------------------------------


def test_redact_takes_a_password_out_of_message_and_attributes() -> None:
    statement = "SET PASSWORD FOR u = s3cret!"
    error = query_error("found s3cret!, expected identifier", statement_id=0,
                        statement=statement, query=statement)
    try:
        raise ValueError("cause: s3cret!")
    except ValueError as cause:
        error.__cause__ = cause
    redact(error, "s3cret!")
    text = str(error) + repr(error) + repr(vars(error)) + str(error.__cause__)
    assert "s3cret" not in text
    assert REDACTED in error.message
    assert error.statement == f"SET PASSWORD FOR u = {REDACTED}"


def test_redact_takes_a_password_out_of_headers() -> None:
    error = http_error(403, "statement 'SET PASSWORD FOR \"hunter2\"'", method="POST",
                       url="http://h/query", headers={"X-Influxdb-Error": "for hunter2"})
    redact(error, "hunter2")
    assert "hunter2" not in str(error) + repr(vars(error))
    assert error.headers == {"X-Influxdb-Error": f"for {REDACTED}"}
    assert error.status == 403


def test_redact_leaves_words_that_only_contain_a_short_password() -> None:
    error = query_error("user already exists", statement_id=0)
    redact(error, "s")
    assert error.message == "user already exists"
    redact(error, "user")
    assert error.message == f"{REDACTED} already exists"
    redact(error, "")
    assert error.message == f"{REDACTED} already exists"


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
                                                                            write=True),
     http_error(400, "bad", url="http://h/query"), http_error(429, "slow", url="http://h/query"),
     http_error(302, "moved"), http_error(500, "boom"),
     http_error(404, 'database not found: "x"', write=True)],
    ids=["http", "write 401", "partial", "query 400", "query 429", "302", "500",
         "database not found"],
)
def test_errors_pickle(error: InfluxDBHTTPError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.status == error.status
    assert copy.message == error.message
    assert str(copy) == str(error)


@pytest.mark.parametrize(
    "error",
    [query_error("boom", statement_id=1, statement="SELECT 2", query="SELECT 1; SELECT 2"),
     query_error("database not found: x", statement_id=0, statement="SELECT 1")],
    ids=["statement", "database not found"],
)
def test_query_errors_pickle(error: InfluxDBQueryError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.message, copy.statement_id, copy.statement, copy.query) == (
        error.message, error.statement_id, error.statement, error.query)
    assert str(copy) == str(error)


def test_a_partial_write_names_the_lines_the_server_could_not_parse() -> None:
    message = ("partial write: unable to parse 'm v=zz 2': invalid boolean\n"
               "unable to parse 'm,t=a v= 4': missing field value dropped=0")
    error = http_error(400, message, write=True)
    assert isinstance(error, PartialWriteError)
    assert error.unparsed == [("m v=zz 2", "invalid boolean"),
                              ("m,t=a v= 4", "missing field value")]
    assert error.dropped == 2  # influxd's dropped= leaves unparsed lines out
    beyond = http_error(400, "partial write: points beyond retention policy dropped=3",
                        write=True)
    assert isinstance(beyond, PartialWriteError)
    assert (beyond.unparsed, beyond.dropped) == ([], 3)
    assert pickle.loads(pickle.dumps(error)).unparsed == error.unparsed


# Pickles of these errors as influxkit 0.1.0 made them (protocol 4): the form stays, so
# that processes running different versions exchange errors (multiprocessing, Celery).
_PICKLED: Final = [
    b'\x80\x04\x95\xa3\x00\x00\x00\x00\x00\x00\x00\x8c\x11influxkit._errors\x94\x8c\x13_restore'
    b'_http_error\x94\x93\x94(h\x00\x8c\x13InfluxDBServerError\x94\x93\x94h\x00\x8c\x12InfluxDB'
    b'WriteError\x94\x93\x94\x86\x94M\xf7\x01\x8c\x04busy\x94\x8c\x04POST\x94\x8c\x13http://h/w'
    b'rite?db=d\x94}\x94\x8c\x0bRetry-After\x94\x8c\x012\x94st\x94R\x94.',
    b'\x80\x04\x95\x91\x00\x00\x00\x00\x00\x00\x00\x8c\x11influxkit._errors\x94\x8c\x14_restore'
    b'_query_error\x94\x93\x94(h\x00\x8c\x15DatabaseNotFoundError\x94\x93\x94h\x00\x8c\x12Influx'
    b'DBQueryError\x94\x93\x94\x86\x94\x8c\x15database not found: d\x94K\x00\x8c\x08SELECT 1\x94'
    b'h\tt\x94R\x94.',
    b'\x80\x04\x95<\x00\x00\x00\x00\x00\x00\x00\x8c\x11influxkit._errors\x94\x8c\x17InfluxDBConn'
    b'ectionError\x94\x93\x94\x8c\x04down\x94\x85\x94R\x94.',
    b'\x80\x04\x95\x82\x00\x00\x00\x00\x00\x00\x00\x8c\x11influxkit._errors\x94\x8c\x11LineProto'
    b'colError\x94\x93\x94\x8c\x0cpoint 3: bad\x94\x85\x94R\x94}\x94(\x8c\x06reason\x94\x8c\x03b'
    b'ad\x94\x8c\x05point\x94N\x8c\x05index\x94K\x03\x8c\x05field\x94\x8c\x01f\x94\x8c\x05value'
    b'\x94G?\xf8\x00\x00\x00\x00\x00\x00ub.',
]


def test_the_pickled_form_of_errors_stays() -> None:
    made = [
        http_error(503, "busy", write=True, method="POST", url="http://h/write?db=d",
                   headers={"Retry-After": "2"}),
        query_error("database not found: d", statement_id=0, statement="SELECT 1",
                    query="SELECT 1"),
        InfluxDBConnectionError("down"),
        LineProtocolError("bad", index=3, field="f", value=1.5),
    ]
    for error, old in zip(made, _PICKLED, strict=True):
        assert pickle.dumps(error, protocol=4) == old
        loaded = pickle.loads(old)
        assert type(loaded) is type(error)
        assert str(loaded) == str(error)
