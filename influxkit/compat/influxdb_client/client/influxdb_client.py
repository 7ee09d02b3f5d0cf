"""``influxdb_client.client.influxdb_client``: :class:`InfluxDBClient`, a blocking-mode
:class:`influxkit.InfluxDBClient` underneath (:attr:`InfluxDBClient.influxkit`)."""

from __future__ import annotations

import threading
import warnings
import weakref
from multiprocessing.pool import ThreadPool
from typing import TYPE_CHECKING, Any, Final, Literal

import influxkit
from influxkit import InfluxDBClient as _KitClient
from influxkit.compat.influxdb_client._translate import (
    config_file_arguments,
    connection,
    env_arguments,
    translated,
)

from ._base import Closable
from .bucket_api import BucketsApi
from .exceptions import NotSupportedError
from .write_api import BATCHING, NO_DEFAULT_TAGS, PointSettings, WriteApi, WriteOptions

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["HealthCheck", "InfluxDBClient", "unsupported"]

_QUERY: Final = (
    "Flux queries are not supported: influxkit speaks InfluxQL. Query with "
    "influxkit.InfluxDBClient.query(\"SELECT ...\"), for instance through the influxkit "
    "client underneath this one: client.influxkit.query('SELECT \"value\" FROM "
    "\"temperature\" WHERE time > now() - 1h', db='my-bucket') (a bucket is an InfluxQL "
    "database, 'db/rp' a database and retention policy)")
_DELETE: Final = (
    "the delete API (a time range and a predicate) is not supported: delete series "
    "with InfluxQL through influxkit: client.influxkit.delete_series(database="
    "'my-bucket', measurement='temperature', tags={'location': 'room1'}), or "
    "client.influxkit.drop_measurement('temperature')")
_MANAGEMENT: Final = (
    "is not supported: influxkit writes and queries InfluxQL. For databases (2.x: "
    "buckets and their DBRP mappings) use buckets_api() or client.influxkit."
    "create_database(...), show_databases(), drop_database(...); for InfluxDB 1.x's users "
    "and privileges, client.influxkit.create_user(...), grant_privilege(...)")


def unsupported(what: str) -> NotSupportedError:
    """The error of an API this layer does not map, saying what to use instead."""
    if what == "query_api()":
        return NotSupportedError(_QUERY)
    if what == "delete_api()":
        return NotSupportedError(_DELETE)
    return NotSupportedError(f"{what} {_MANAGEMENT}")


class HealthCheck:
    """The server's health, as :meth:`InfluxDBClient.health` returns it."""

    def __init__(self, name: str | None = None, message: str | None = None,
                 checks: list[Any] | None = None, status: str | None = None,
                 version: str | None = None, commit: str | None = None) -> None:
        self.name = name
        self.message = message
        self.checks = checks
        self.status = status
        self.version = version
        self.commit = commit

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "message": self.message, "checks": self.checks,
                "status": self.status, "version": self.version, "commit": self.commit}

    def __repr__(self) -> str:
        return f"HealthCheck({self.to_dict()!r})"


def health_check(answer: Any) -> HealthCheck:
    """influxkit's ``health()`` answer (the server's JSON) as a :class:`HealthCheck`."""
    document = answer if isinstance(answer, dict) else {}
    return HealthCheck(name=document.get("name"), message=document.get("message"),
                       checks=document.get("checks"), status=document.get("status"),
                       version=document.get("version"), commit=document.get("commit"))


class InfluxDBClient:
    """influxdb-client's client, on a blocking-mode :class:`influxkit.InfluxDBClient`.

    Args:
        url: the server (``http://localhost:8086``), with any path prefix.
        token: the API token (``Authorization: Token ...``); InfluxDB 1.x's
            ``"username:password"`` is sent as HTTP basic auth, which every 1.x reads.
        debug: log influxkit's requests (the ``influxkit`` logger at DEBUG).
        timeout: milliseconds for a whole request, or a ``(connect, read)`` pair.
        enable_gzip: compress writes and ask for compressed answers.
        org: the organisation: with it, writes to InfluxDB 2.x go to ``/api/v2/write``
            (elsewhere, and without it, to ``/write``: on 1.x a bucket ``db/rp`` is
            database ``db``, retention policy ``rp``).
        default_tags: tags of every point the write APIs write (``"${env.NAME}"``
            reads an environment variable).
        **kwargs: ``verify_ssl``, ``ssl_ca_cert``, ``cert_file``, ``cert_key_file``,
            ``cert_key_password``, ``ssl_context``, ``proxy``, ``retries`` (a
            :class:`WritesRetry`: synchronous writes are retried), ``auth_basic``
            (the token ``user:password`` sent as HTTP basic auth), ``username`` and
            ``password`` (HTTP basic auth, not 2.x's session sign-in);
            ``connection_pool_maxsize`` and ``profilers`` are accepted and not used;
            ``proxy_headers`` raises :class:`NotSupportedError`; any other name is
            refused (``TypeError``).

    Example::

        from influxkit.compat.influxdb_client import InfluxDBClient, Point
        from influxkit.compat.influxdb_client.client.write_api import SYNCHRONOUS

        with InfluxDBClient(url="http://localhost:8086", token="my-token", org="my-org") as client:
            write_api = client.write_api(write_options=SYNCHRONOUS)
            write_api.write(bucket="my-bucket", record=Point("cpu").field("load", 0.5))
    """

    influxkit: _KitClient[Literal["blocking"]]
    """The influxkit client underneath (blocking mode): for InfluxQL queries and the
    administration methods."""

    def __init__(self, url: str, token: str | None = None, debug: Any = None,
                 timeout: Any = 10_000, enable_gzip: bool = False, org: str | None = None,
                 default_tags: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.url = url
        self.token = token
        self.org = org
        self.default_tags = default_tags
        translated_arguments = connection(url, token, org, debug, timeout, enable_gzip,
                                          kwargs, asynchronous=False)
        self._options = translated_arguments.options
        self._retry = translated_arguments.retry
        self.influxkit = _KitClient(mode="blocking", **self._options)
        self._by_org: dict[str | None, _KitClient[Any]] = {}
        # The batching write APIs not closed yet. Held here, not weakly: one dropped
        # unclosed still holds points, which close() (or the exit) delivers.
        self._write_apis: set[Closable] = set()
        self._threads: ThreadPool | None = None
        self._lock = threading.Lock()

    # -- other ways to make one ----------------------------------------------------------

    @classmethod
    def from_config_file(cls, config_file: str = "config.ini", debug: Any = None,
                         enable_gzip: bool = False, **kwargs: Any) -> Self:
        """A client from a configuration file: section ``influx2`` (or ``config_name=``)
        of an INI or TOML file (``url``, ``org``, ``token``, ``timeout``,
        ``verify_ssl``, ``ssl_ca_cert``, ``cert_file``, ``cert_key_file``,
        ``cert_key_password``, ``connection_pool_maxsize``, ``auth_basic``,
        ``profilers``, ``proxy``; default tags in section ``tags``), or a JSON object
        of the same keys. Keyword arguments win over the file."""
        name = kwargs.pop("config_name", "influx2")
        arguments = {**config_file_arguments(config_file, name), **kwargs}
        return cls(debug=debug, enable_gzip=enable_gzip, **arguments)

    @classmethod
    def from_env_properties(cls, debug: Any = None, enable_gzip: bool = False,
                            **kwargs: Any) -> Self:
        """A client from ``INFLUXDB_V2_URL``, ``_TOKEN``, ``_ORG``, ``_TIMEOUT``,
        ``_VERIFY_SSL``, ``_SSL_CA_CERT``, ``_CERT_FILE``, ``_CERT_KEY_FILE``,
        ``_CERT_KEY_PASSWORD``, ``_CONNECTION_POOL_MAXSIZE``, ``_AUTH_BASIC``,
        ``_PROFILERS`` and ``INFLUXDB_V2_TAG_<NAME>`` (default tags), with
        influxdb-client's defaults (``http://localhost:8086``, token ``my-token``, org
        ``my-org``). Keyword arguments win over the environment."""
        return cls(debug=debug, enable_gzip=enable_gzip, **{**env_arguments(), **kwargs})

    # -- the APIs --------------------------------------------------------------------------

    def write_api(self, write_options: WriteOptions = BATCHING,
                  point_settings: PointSettings = NO_DEFAULT_TAGS, **kwargs: Any) -> WriteApi:
        """A :class:`WriteApi`: batching by default, ``SYNCHRONOUS`` or ``ASYNCHRONOUS``.

        ``success_callback``, ``error_callback`` and ``retry_callback`` are batching
        mode's callbacks (see :class:`WriteApi`).
        """
        return WriteApi(influxdb_client=self, write_options=write_options,
                        point_settings=point_settings, **kwargs)

    def buckets_api(self) -> BucketsApi:
        """Buckets as influxkit's databases: ``create_bucket``, ``delete_bucket``,
        ``find_bucket_by_name``, ``find_buckets``."""
        return BucketsApi(self)

    def query_api(self, query_options: Any = None) -> Any:
        """Not supported (Flux): raises :class:`NotSupportedError`, saying to query with
        InfluxQL through :attr:`influxkit`."""
        raise unsupported("query_api()")

    def delete_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`, naming influxkit's ways."""
        raise unsupported("delete_api()")

    def organizations_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`."""
        raise unsupported("organizations_api()")

    def users_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`."""
        raise unsupported("users_api()")

    def tasks_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`."""
        raise unsupported("tasks_api()")

    def labels_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`."""
        raise unsupported("labels_api()")

    def authorizations_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`."""
        raise unsupported("authorizations_api()")

    def invokable_scripts_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`."""
        raise unsupported("invokable_scripts_api()")

    # -- the server ------------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether the server answers ``/ping``."""
        try:
            self.influxkit.ping()
        except Exception:
            return False
        return True

    def version(self) -> str:
        """The server's version (``X-Influxdb-Version``), or ``'unknown'``.

        Raises:
            ApiException: for an error answer.
        """
        with translated():
            headers = self.influxkit.ping()
        return str(headers.get("X-Influxdb-Version") or self.influxkit.version or "unknown")

    def build(self) -> str:
        """The server's build (``X-Influxdb-Build``: ``'OSS'``...), or ``'unknown'``."""
        with translated():
            headers = self.influxkit.ping()
            server = self.influxkit.detect_server()
        return str(headers.get("X-Influxdb-Build") or server.build or "unknown")

    def health(self) -> HealthCheck:
        """The server's health (``/health``: InfluxDB 1.8 and later, 2.x, 3.x); a
        ``HealthCheck`` of status ``'fail'`` when it cannot tell. Deprecated there too:
        use :meth:`ping`."""
        warnings.warn("This method is deprecated. Call 'ping()' instead.", DeprecationWarning,
                      stacklevel=2)
        try:
            return health_check(self.influxkit.health())
        except Exception as exc:
            return HealthCheck(name="influxdb", message=str(exc), status="fail")

    def ready(self) -> Any:
        """Not supported: raises :class:`NotSupportedError` (use :meth:`ping`)."""
        raise NotSupportedError("ready() is not supported: call ping(), or health()")

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the batching write APIs not yet closed (delivering what they hold),
        then the connections.

        Raises:
            WriteApiError: for batches of those write APIs that were not delivered.
        """
        failures: list[tuple[influxkit.Batch, BaseException]] = []
        with self._lock:
            apis = list(self._write_apis)
        for api in apis:
            try:
                api.close()
            except influxkit.WriterError as exc:
                failures += exc.failures
        with self._lock:
            threads, self._threads = self._threads, None
            others, self._by_org = list(self._by_org.values()), {}
        if threads is not None:
            threads.close()
            threads.join()
        for client in (self.influxkit, *others):
            client.close()
        if failures:
            with translated():
                raise influxkit.WriterError(failures)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- for the write APIs --------------------------------------------------------------

    def _influxkit_for(self, org: str | None) -> _KitClient[Any]:
        """The influxkit client of writes to ``org`` (a batching writer sends to the
        organisation of its client)."""
        if org == self.org:
            return self.influxkit
        with self._lock:
            client = self._by_org.get(org)
            if client is None:
                client = self._by_org[org] = _KitClient(
                    mode="blocking", **{**self._options, "org": org})
            return client

    def _opened(self, api: Closable) -> None:
        """A batching write API, closed with the client unless closed before."""
        with self._lock:
            self._write_apis.add(api)

    def _closed(self, api: Closable) -> None:
        with self._lock:
            self._write_apis.discard(api)

    def _pool(self) -> ThreadPool:
        """The threads of ``ASYNCHRONOUS`` writes."""
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPool()
                # Closed with the client, or when it is collected (never left running).
                weakref.finalize(self, self._threads.close)
            return self._threads
