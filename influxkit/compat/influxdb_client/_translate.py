"""What the influxdb-client layer shares: its arguments as influxkit's, its records as
influxkit's inputs, and influxkit's errors as its classes. No I/O here."""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import difflib
import json
import logging
import os
import ssl
import sys
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import influxkit
from influxkit._core.time import INT_TIME_BOUNDS, int_time_problem, normalize_precision
from influxkit._encode.serialize import frame_kind

from .client.exceptions import (
    InfluxDBError,
    LineProtocolError,
    NotSupportedError,
    WriteApiError,
    WriteRetryError,
)
from .client.write.point import Point
from .client.write.retry import WritesRetry
from .rest import api_exception

__all__ = [
    "Connection",
    "Write",
    "check_tags",
    "config_file_arguments",
    "connection",
    "convert",
    "env_arguments",
    "org_name",
    "plan",
    "split_bucket",
    "translated",
    "writer_error",
]

# -- errors ---------------------------------------------------------------------------


def convert(error: BaseException) -> BaseException:
    """influxkit's error as this layer raises it: a refusal as its
    :class:`LineProtocolError`, an HTTP error as an ``ApiException`` of the same
    influxkit class, ``NotSupportedError`` as its; anything else as it is."""
    if isinstance(error, InfluxDBError):
        return error
    if isinstance(error, influxkit.LineProtocolError):
        return LineProtocolError.of(error)
    if isinstance(error, influxkit.InfluxDBHTTPError):
        return api_exception(error)
    if isinstance(error, influxkit.NotSupportedError):
        return NotSupportedError(error.message, server=error.server)
    if isinstance(error, influxkit.WriterError):
        return writer_error(error)
    return error


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Raise influxkit's errors as :func:`convert` makes them."""
    try:
        yield
    except influxkit.InfluxDBError as exc:
        converted = convert(exc)
        if converted is exc:
            raise
        raise converted.with_traceback(exc.__traceback__) from None


def writer_error(error: influxkit.WriterError) -> WriteApiError:
    """A writer's undelivered batches as :class:`WriteApiError` (:class:`WriteRetryError`
    when each failed with an error worth retrying: its retries ran out)."""
    if isinstance(error, WriteApiError):
        return error
    failures = [(batch, convert(cause)) for batch, cause in error.failures]
    exhausted = all(getattr(cause, "retryable", False) for _, cause in error.failures)
    return (WriteRetryError if exhausted else WriteApiError)(failures)


# -- the client's arguments ---------------------------------------------------------------

_OPTIONS: Final = ("verify_ssl", "ssl_ca_cert", "cert_file", "cert_key_file",
                   "cert_key_password", "ssl_context", "proxy", "proxy_headers",
                   "connection_pool_maxsize", "retries", "auth_basic", "username",
                   "password", "profilers")
_ASYNC_OPTIONS: Final = ("allow_redirects", "max_redirects", "client_session_kwargs",
                         "client_session_type")


@dataclasses.dataclass
class Connection:
    """A client's arguments, translated: ``options`` for :class:`influxkit.InfluxDBClient`
    and the retry policy of synchronous writes (``retries=``)."""

    options: dict[str, Any]
    retry: influxkit.RetryPolicy | None


def connection(url: Any, token: str | None, org: str | None, debug: Any, timeout: Any,
               enable_gzip: bool, kwargs: Mapping[str, Any], *,
               asynchronous: bool) -> Connection:
    """Translate influxdb-client's constructor arguments.

    Raises:
        ValueError: for a ``url`` that is not an http(s) URL (influxdb-client raises it
            for a ``url`` that is not a ``str``).
        TypeError: for an unknown keyword argument, naming the closest.
        NotSupportedError: for ``proxy_headers``, ``client_session_type`` or
            ``allow_redirects=False``.
    """
    known = _OPTIONS + (_ASYNC_OPTIONS if asynchronous else ())
    for name in kwargs:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"got an unexpected keyword argument {name!r}{hint}")
    if not isinstance(url, str):
        raise ValueError('"url" attribute is not str instance')
    parts = urllib.parse.urlsplit(url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be http:// or https:// with a host, not {url!r}")
    secure = parts.scheme == "https"
    options: dict[str, Any] = {
        "host": parts.hostname, "port": parts.port or (443 if secure else 80),
        "path": parts.path or "/", "org": org, "gzip": bool(enable_gzip),
    }
    if secure:
        options["ssl"] = _ssl(kwargs)
    if kwargs.get("verify_ssl", True) is False:
        options["verify_ssl"] = False
    username, password = kwargs.get("username"), kwargs.get("password")
    if token and (kwargs.get("auth_basic") or ":" in token):
        # InfluxDB 1.8's way for this client: the token "user:password", which 1.8
        # also reads from "Authorization: Token"; earlier 1.x servers only from basic
        # auth, which 1.8 reads too. 2.x and 3.x tokens have no colon.
        username, _, password = token.partition(":")
    if username and password:
        # influxdb-client prefers the username and password to the token too.
        options.update(username=username, password=password)
    elif token:
        options["token"] = token
    options["timeout"] = _timeout(timeout)
    if kwargs.get("proxy"):
        options["proxy"] = kwargs["proxy"]
    if kwargs.get("proxy_headers"):
        raise NotSupportedError("proxy_headers is not supported: give the proxy's "
                                "credentials in its URL (proxy='http://user:pass@host:3128')")
    if asynchronous:
        if kwargs.get("client_session_type") is not None:
            raise NotSupportedError("client_session_type is not supported: influxkit makes "
                                    "its own aiohttp sessions (override create_session of "
                                    "influxkit.InfluxDBClient instead)")
        if kwargs.get("allow_redirects", True) is False:
            raise NotSupportedError("allow_redirects=False is not supported")
        options.update(kwargs.get("client_session_kwargs") or {})
    if debug:
        logging.getLogger("influxkit").setLevel(logging.DEBUG)
    return Connection(options, _retry_policy(kwargs.get("retries")))


def _ssl(kwargs: Mapping[str, Any]) -> bool | ssl.SSLContext:
    context: ssl.SSLContext | None = kwargs.get("ssl_context")
    if context is None and (kwargs.get("ssl_ca_cert") or kwargs.get("cert_file")):
        context = ssl.create_default_context(cafile=kwargs.get("ssl_ca_cert"))
        if kwargs.get("cert_file"):
            password = kwargs.get("cert_key_password")
            context.load_cert_chain(kwargs["cert_file"], kwargs.get("cert_key_file"),
                                    password() if callable(password) else password)
        if kwargs.get("verify_ssl", True) is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    return context if context is not None else True


def _timeout(timeout: Any) -> Any:
    """Milliseconds (the whole request), a ``(connect, read)`` pair of them, or an
    ``aiohttp.ClientTimeout`` (passed on)."""
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        from influxkit._transport import ClientTimeout

        connect, read = timeout
        return ClientTimeout(sock_connect=connect / 1000, sock_read=read / 1000)
    if isinstance(timeout, (int, float)):
        return timeout / 1000
    return timeout


def _retry_policy(retries: Any) -> influxkit.RetryPolicy | None:
    if not retries:
        return None
    if isinstance(retries, WritesRetry):
        return retries.to_retry_policy()
    if isinstance(retries, influxkit.RetryPolicy):
        return retries
    total = getattr(retries, "total", None)
    if isinstance(retries, int) or isinstance(total, int):
        return influxkit.RetryPolicy(max_retries=int(retries if total is None else total))
    raise TypeError(f"retries must be a WritesRetry, not {retries!r}")


def env_arguments() -> dict[str, Any]:
    """``from_env_properties``: the ``INFLUXDB_V2_*`` variables, with influxdb-client's
    defaults (``my-token`` and ``my-org`` too)."""
    env = os.environ.get
    profilers = env("INFLUXDB_V2_PROFILERS")
    return {
        "url": env("INFLUXDB_V2_URL", "http://localhost:8086"),
        "token": env("INFLUXDB_V2_TOKEN", "my-token"),
        "timeout": _to_int(env("INFLUXDB_V2_TIMEOUT", "10000")),
        "org": env("INFLUXDB_V2_ORG", "my-org"),
        "default_tags": {key[16:].lower(): value for key, value in os.environ.items()
                         if key.startswith("INFLUXDB_V2_TAG_")},
        "verify_ssl": _to_bool(env("INFLUXDB_V2_VERIFY_SSL", "True")),
        "ssl_ca_cert": env("INFLUXDB_V2_SSL_CA_CERT"),
        "cert_file": env("INFLUXDB_V2_CERT_FILE"),
        "cert_key_file": env("INFLUXDB_V2_CERT_KEY_FILE"),
        "cert_key_password": env("INFLUXDB_V2_CERT_KEY_PASSWORD"),
        "connection_pool_maxsize": _to_int(env("INFLUXDB_V2_CONNECTION_POOL_MAXSIZE")),
        "auth_basic": _to_bool(env("INFLUXDB_V2_AUTH_BASIC", "False")),
        "profilers": [p.strip() for p in profilers.split(",")] if profilers else None,
    }


def config_file_arguments(config_file: str, config_name: str = "influx2") -> dict[str, Any]:
    """``from_config_file``: section ``config_name`` of an INI (or TOML of the same
    shape) file, or a JSON object, and its ``tags``."""
    config = configparser.ConfigParser()
    is_json = False
    try:
        config.read(config_file)
        document: Any = config
    except configparser.ParsingError:
        with open(config_file) as file:
            document = json.load(file)
        is_json = True

    def has(key: str) -> bool:
        return key in document if is_json else config.has_option(config_name, key)

    def value(key: str) -> str:
        text = str(document[key]) if is_json else config[config_name][key]
        return text.strip('"')

    arguments: dict[str, Any] = {"url": value("url"), "token": value("token")}
    for key in ("org", "ssl_ca_cert", "cert_file", "cert_key_file", "cert_key_password",
                "proxy"):
        if has(key):
            arguments[key] = value(key)
    if has("timeout"):
        arguments["timeout"] = _to_int(value("timeout"))
    if has("connection_pool_maxsize"):
        arguments["connection_pool_maxsize"] = _to_int(value("connection_pool_maxsize"))
    for key in ("verify_ssl", "auth_basic"):
        if has(key):
            arguments[key] = _to_bool(value(key))
    if has("profilers"):
        arguments["profilers"] = [p.strip() for p in value("profilers").split(",")]
    if is_json:
        if "tags" in document:
            arguments["default_tags"] = dict(document["tags"])
    elif config.has_section("tags"):
        arguments["default_tags"] = {k: v.strip('"') for k, v in config.items("tags")}
    return arguments


def _to_bool(value: Any) -> bool:
    return str(value).lower() in ("yes", "true")


def _to_int(value: Any) -> int | None:
    return int(value) if value is not None else None


# -- a write's target -----------------------------------------------------------------------


def split_bucket(bucket: Any) -> tuple[str, str | None]:
    """The database and retention policy of a bucket: ``db/rp``, or ``db`` (its default
    policy), as InfluxDB 1.8's ``/api/v2/write`` reads it. influxkit joins them again
    for InfluxDB 2.x's ``/api/v2/write``: the bucket is sent as given."""
    name = getattr(bucket, "name", bucket)
    if not isinstance(name, str) or not name:
        raise TypeError(f"bucket must be a bucket's name, not {bucket!r}")
    database, _, policy = name.partition("/")
    return database, policy or None


def org_name(org: Any, default: str | None) -> str | None:
    """The organisation of a write: a name or ID, an ``Organization`` (its ``id``), or
    the client's."""
    if org is None:
        return default
    return org if isinstance(org, str) else str(getattr(org, "id", org))


# -- records ----------------------------------------------------------------------------------

_FRAME_OPTIONS: Final = ("data_frame_measurement_name", "data_frame_tag_columns",
                         "data_frame_timestamp_column", "data_frame_timestamp_timezone")
_RECORD_OPTIONS: Final = ("record_measurement_key", "record_measurement_name",
                          "record_time_key", "record_tag_keys", "record_field_keys",
                          "field_types")
# Arguments of influxkit's write() and writer.write(): no extra tag can have their names.
_WRITE_ARGUMENTS: Final = frozenset({"data", "measurement", "db", "precision", "rp",
                                     "tag_columns", "batch_size", "concurrency", "timeout",
                                     "retry", "bucket", "org"})
_PANDAS_UNITS: Final = {"ns": "ns", "u": "us", "ms": "ms", "s": "s", "m": "m", "h": "h"}


@dataclasses.dataclass
class Write:
    """One call of influxkit's ``write``: its data, and whether the default tags go with
    it (they cannot be added to line protocol text, which influxdb-client also sends
    without them)."""

    data: Any
    measurement: str | None = None
    tag_columns: list[str] | None = None
    tagged: bool = True


@dataclasses.dataclass
class _Group:
    raw: list[Any] = dataclasses.field(default_factory=list)
    points: list[Any] = dataclasses.field(default_factory=list)
    frames: list[Write] = dataclasses.field(default_factory=list)

    def writes(self, tags: bool) -> list[Write]:
        found = list(self.frames)
        if self.points and self.raw and tags:
            found += [Write(self.points), Write(self.raw, tagged=False)]
        elif self.points or self.raw:
            found.append(Write(self.points + self.raw, tagged=not self.raw))
        return found


def prepare(bucket: Any, org: Any, default_org: str | None, record: Any,
            write_precision: Any, options: Mapping[str, Any], tags: Mapping[str, Any]
            ) -> tuple[str | None, str, str | None, dict[str, list[Write]]]:
    """A write call's organisation, database, retention policy and influxkit writes by
    precision: everything checked, before anything is sent."""
    target = org_name(org, default_org)
    database, policy = split_bucket(bucket)
    with translated():
        check_tags(tags)
        groups = plan(record, write_precision, options, tags=bool(tags))
    return target, database, policy, groups


def plan(record: Any, write_precision: Any, options: Mapping[str, Any], *,
         tags: bool) -> dict[str, list[Write]]:
    """The influxkit writes of a record, by precision (influxkit's names).

    As in influxdb-client, a :class:`Point` is written in its own precision, everything
    else in ``write_precision``; line protocol (``str``, ``bytes``) is sent as it is;
    a mapping is a point (through :meth:`Point.from_dict` with the ``record_*``
    options); named tuples and dataclasses are mappings of their fields; DataFrames
    take the ``data_frame_*`` options; iterables of any of these are walked.

    Raises:
        TypeError: for an unknown keyword argument.
        LineProtocolError: for an object of another type, or a DataFrame whose times
            cannot be written.
    """
    for name in options:
        if name not in _FRAME_OPTIONS and name not in _RECORD_OPTIONS:
            choices = _FRAME_OPTIONS + _RECORD_OPTIONS
            close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"write() got an unexpected keyword argument {name!r}{hint}")
    precision = normalize_precision(write_precision)
    record_options = {key: options[key] for key in _RECORD_OPTIONS if key in options}
    groups: dict[str, _Group] = {}

    def group(unit: str) -> _Group:
        found = groups.get(unit)
        if found is None:
            found = groups[unit] = _Group()
        return found

    def visit(item: Any) -> None:
        if item is None:
            return
        if isinstance(item, (str, bytes, bytearray, memoryview)):
            group(precision).raw.append(item)
        elif isinstance(item, influxkit.Point):
            group(normalize_precision(item.write_precision)).points.append(item)
        elif isinstance(item, Mapping):
            if record_options or "field_types" in item:
                item = Point.from_dict(item, write_precision, **record_options)
            group(precision).points.append(item)
        elif (kind := frame_kind(item)) is not None:
            group(precision).frames.append(_frame(item, kind, precision, options))
        elif hasattr(type(item), "__influxkit_encoder__"):
            group(precision).points.append(item)
        elif hasattr(item, "_asdict"):
            visit(item._asdict())
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            visit(dataclasses.asdict(item))
        elif isinstance(item, Iterable):
            for each in item:
                visit(each)
        else:
            raise LineProtocolError(
                f"cannot write an object of type {type(item).__name__}: write a Point, line "
                "protocol (str, bytes), a dict, a NamedTuple, a dataclass, a DataFrame, or "
                "an iterable of these", value=item)

    visit(record)
    return {unit: found.writes(tags) for unit, found in groups.items()}


def check_tags(tags: Mapping[str, Any]) -> None:
    """Refuse default tags named like an argument of influxkit's write, which takes
    extra tags as keyword arguments."""
    for key in tags:
        if key in _WRITE_ARGUMENTS:
            raise LineProtocolError(
                f"a default tag cannot be named {key!r} here: influxkit's write() has an "
                "argument of that name; add it to the points themselves", field=key)


def _frame(frame: Any, kind: str, precision: str, options: Mapping[str, Any]) -> Write:
    """A DataFrame's write: its measurement, tag columns, and times as influxkit takes
    them (a ``DatetimeIndex``), from its index or ``data_frame_timestamp_column``."""
    measurement = options.get("data_frame_measurement_name")
    if measurement is None:
        raise TypeError('"data_frame_measurement_name" is a Required Argument')
    columns = options.get("data_frame_tag_columns")
    tag_columns = None if columns is None else list(columns)
    column = options.get("data_frame_timestamp_column")
    zone = options.get("data_frame_timestamp_timezone")
    if kind == "polars":
        if column is not None or zone is not None:
            raise NotSupportedError("polars frames take their times from the column named "
                                    "'time' (or their only Datetime column): rename it")
        return Write(frame, measurement, tag_columns)
    pd = sys.modules["pandas"]
    times = frame.index if column is None else pd.Index(frame[column])
    if column is not None:
        frame = frame.drop(columns=[column])
    if isinstance(times, pd.PeriodIndex):
        times = times.to_timestamp()
    elif not isinstance(times, pd.DatetimeIndex):
        if pd.api.types.is_integer_dtype(times.dtype) and len(times):
            # Integers are in the write's precision; one before 1971 there is refused as
            # influxkit refuses it in every other input (most likely another unit).
            first, last = INT_TIME_BOUNDS[precision]
            for number in (int(times.min()), int(times.max())):
                if not first <= number <= last:
                    raise LineProtocolError(int_time_problem(number, precision),
                                            field="time", value=number)
            times = pd.DatetimeIndex(pd.to_datetime(times, unit=_PANDAS_UNITS[precision]))
        else:
            times = pd.DatetimeIndex(pd.to_datetime(times))
    if zone and times.tz is None:
        times = times.tz_localize(zone)
    if times is not frame.index:
        frame = frame.set_axis(times, axis=0)
    return Write(frame, measurement, tag_columns)
