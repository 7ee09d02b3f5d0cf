"""influxkit: the asynchronous (and blocking) Python client for InfluxDB.

Everything public is importable from here::

    from influxkit import InfluxDBClient, lineprotocol, iterpoints, serialize
"""

from __future__ import annotations

from ._client import InfluxDBClient
from ._core.backoff import RetryPolicy
from ._core.servers import Server
from ._decode.points import iterpoints
from ._decode.resultset import ResultSet
from ._encode.point import Measurement, Point
from ._encode.serialize import serialize
from ._encode.usertype import (
    BOOL,
    DECIMAL,
    ENUM,
    FLOAT,
    INT,
    MEASUREMENT,
    STR,
    TAG,
    TAGENUM,
    TIMEDT,
    TIMEINT,
    TIMESTR,
    lineprotocol,
)
from ._errors import (
    AuthenticationError,
    AuthorizationError,
    DatabaseNotFoundError,
    DatabaseNotFoundException,
    ForbiddenException,
    IncompleteResponseError,
    InfluxDBClientError,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBException,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBServerError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
    InvalidResponseError,
    LineProtocolError,
    NotSupportedError,
    PartialWriteError,
    QueryFailedException,
    RequestTooLargeError,
    SchemaError,
    ServerUnavailableError,
    UnauthorizedException,
    WriteFailedException,
)
from ._serieshelper import SeriesHelper
from ._session import Session
from ._version import __version__
from ._writer import AsyncWriter, Batch, BlockingWriter, WriterError, WriterStats

__all__ = [
    "BOOL",
    "DECIMAL",
    "ENUM",
    "FLOAT",
    "INT",
    "MEASUREMENT",
    "STR",
    "TAG",
    "TAGENUM",
    "TIMEDT",
    "TIMEINT",
    "TIMESTR",
    "AsyncWriter",
    "AuthenticationError",
    "AuthorizationError",
    "Batch",
    "BlockingWriter",
    "DatabaseNotFoundError",
    "DatabaseNotFoundException",
    "ForbiddenException",
    "IncompleteResponseError",
    "InfluxDBClient",
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
    "Measurement",
    "NotSupportedError",
    "PartialWriteError",
    "Point",
    "QueryFailedException",
    "RequestTooLargeError",
    "ResultSet",
    "RetryPolicy",
    "SchemaError",
    "SeriesHelper",
    "Server",
    "ServerUnavailableError",
    "Session",
    "UnauthorizedException",
    "WriteFailedException",
    "WriterError",
    "WriterStats",
    "__version__",
    "iterpoints",
    "lineprotocol",
    "serialize",
]
