"""influxkit: the asynchronous (and blocking) Python client for InfluxDB.

Everything public is importable from here::

    from influxkit import InfluxDBClient, lineprotocol, iterpoints, serialize
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._client import InfluxDBClient
from ._errors import (
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
from ._lineprotocol import serialize
from ._results import iterpoints
from ._usertype import (
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
    "AuthenticationError",
    "AuthorizationError",
    "InfluxDBClient",
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
    "__version__",
    "iterpoints",
    "lineprotocol",
    "serialize",
]
