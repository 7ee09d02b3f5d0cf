"""influxdb-python's ``InfluxDBClient``, over influxkit's blocking client.

Each method takes influxdb-python's arguments, in its order and with its defaults, and
returns what it returned; the work is done by an :class:`influxkit.InfluxDBClient` in
blocking mode (``client.influxkit_client``): its encoder and checks, its decoder, its
administration commands. See the package's docstring for what differs.
"""

from __future__ import annotations

import json
import math
import ssl as ssl_module
import sys
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import influxkit
from influxkit._compat import write_points_call
from influxkit._core.influxql import split_statements
from influxkit._decode.documents import ResultBuilder
from influxkit._transport import ClientSession, ClientTimeout

from .exceptions import InfluxDBClientError, translated
from .resultset import ResultSet

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["InfluxDBClient"]

_CONSISTENCIES: Final = ("any", "one", "quorum", "all", None)
_METHODS: Final = ("GET", "POST")
# The query string parameters of /query and /write that have an argument of influxkit's:
# 'q' and 'db' of a query are the query's and the database's, as influxdb-python had
# them (it wrote over the caller's).
_QUERY_PARAMS: Final = frozenset({"params", "epoch", "q", "db"})
_WRITE_PARAMS: Final = frozenset({"db", "rp", "precision", "consistency"})
# Headers influxkit sets itself, per request: a session-wide one would override its
# choice (a Content-Type of JSON on a query's form would make it unreadable).
_OWN_HEADERS: Final = frozenset(
    {"content-type", "accept", "accept-encoding", "content-encoding", "content-length"})


def _integer(value: Any, what: str) -> int:
    """``int(value)``, as influxdb-python converted ports, without the value in the
    message (a password passed in the wrong place must not show)."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what} must be an integer (got a {type(value).__name__} that is "
                        "not one)") from None


def _retry_policy(retries: int) -> influxkit.RetryPolicy | None:
    """influxdb-python's ``retries`` (attempts in all, 0 for "until it works") as an
    influxkit policy: connection errors and timeouts are tried again, quickly."""
    if retries == 1 or retries < 0:
        return None
    return influxkit.RetryPolicy(
        retry_interval=0.02, max_retries=sys.maxsize if retries == 0 else retries - 1,
        max_retry_delay=10.0, exponential_base=2.0, max_retry_time=math.inf,
        retry_server_errors=False)


def _tls(ssl: Any, verify_ssl: Any, cert: Any) -> bool | ssl_module.SSLContext:
    """The ``ssl`` of influxkit's client: True or False, or a context for what a bool
    cannot say (a CA bundle given as ``verify_ssl``, a client certificate)."""
    if ssl is not True:
        return False
    if cert is None and not isinstance(verify_ssl, str):
        return True
    context = ssl_module.create_default_context(
        cafile=verify_ssl if isinstance(verify_ssl, str) else None)
    if not verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    elif cert is not None:
        certificate, key = cert
        context.load_cert_chain(certificate, key)
    return context


def _timeout(timeout: Any) -> ClientTimeout | None:
    """``requests``' timeout (seconds to connect and between bytes read, or a pair of
    them) as aiohttp's."""
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout
    return ClientTimeout(total=None, sock_connect=connect, sock_read=read)


def _proxy(proxies: Mapping[str, str] | None, scheme: str) -> str | None:
    """The proxy of ``requests``' ``proxies`` for the client's scheme."""
    proxies = proxies or {}
    return proxies.get(scheme) or proxies.get("all")


def _expected(code: Any, default: int, what: str) -> None:
    if code != default:
        raise ValueError(f"expected_response_code={code!r}: influxkit reads the answer of "
                         f"{what} itself, and {default} is the only code it takes for "
                         "success; leave it out")


def _query_options(params: Mapping[str, Any] | None, bind_params: Mapping[str, Any] | None,
                   epoch: str | None, method: str) -> tuple[dict[str, Any] | None, str | None]:
    """The bind parameters and the epoch of influxdb-python's query arguments."""
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise ValueError(f"method={method!r}: use 'GET' or 'POST' (influxkit sends every "
                         "query as a POST)")
    params = dict(params or {})
    unknown = sorted(set(params) - _QUERY_PARAMS)
    if unknown:
        raise ValueError(f"query() params {', '.join(map(repr, unknown))}: influxkit takes "
                         "only 'params' (bind parameters, or use bind_params=) and 'epoch' "
                         "there; use the arguments chunked=, chunk_size= and database=")
    bound: dict[str, Any] = {}
    if "params" in params:
        given = params["params"]
        bound.update(json.loads(given) if isinstance(given, (str, bytes)) else given)
    if bind_params:
        bound.update(bind_params)
    if epoch is None:
        epoch = params.get("epoch")
    return bound or None, epoch


class _Connection(influxkit.InfluxDBClient[Any]):
    """influxkit's client, adding influxdb-python's ``headers`` to its sessions."""

    extra_headers: Mapping[str, str] = {}

    async def create_session(self, **kwargs: Any) -> ClientSession:
        session = await super().create_session(**kwargs)
        session.headers.update(self.extra_headers)
        return session


class InfluxDBClient:
    """influxdb-python's client, over influxkit's blocking client.

    Args:
        host: the server's host name, ``'localhost'`` by default.
        port: its port (8086); anything ``int()`` takes.
        username, password: HTTP basic authentication (``'root'`` and ``'root'``);
            either of them None sends none.
        database: the default database.
        ssl: ``True`` for HTTPS.
        verify_ssl: verify the server's certificate (not by default, as in
            influxdb-python), or the path of a CA bundle to verify it with.
        timeout: seconds to connect and to wait between bytes of an answer, or a
            ``(connect, read)`` pair.
        retries: attempts in all for a query or a write that cannot reach the server
            (0: until it does).
        use_udp, udp_port: send ``write_points`` to the server's UDP listener.
        proxies: ``{'http': url, 'https': url}``: the proxy for the client's scheme.
        pool_size: accepted; influxkit sizes its connection pool itself.
        path: the path of the API on the server (behind a reverse proxy).
        cert: a client certificate for HTTPS: the path of a file with the certificate
            and its key, or a ``(certificate, key)`` pair of paths.
        gzip: compress requests and ask for compressed answers.
        session: only None (influxkit keeps its own connections, not ``requests``').
        headers: headers for every request (but those influxkit sets itself:
            ``Content-Type``, ``Accept`` and the encodings). With ``Authorization``,
            no basic authentication is sent.
        socket_options: only None.

    Raises:
        ValueError, TypeError: for a port, a UDP port or a pool size that ``int()``
            refuses (the value is not shown), a certificate without ``ssl``, or a
            ``session`` or ``socket_options``.
    """

    def __init__(self, host: str = "localhost", port: int = 8086, username: str | None = "root",
                 password: str | None = "root", database: str | None = None,
                 ssl: bool = False, verify_ssl: bool | str = False,
                 timeout: float | tuple[float, float] | None = None, retries: int = 3,
                 use_udp: bool = False, udp_port: int = 4444,
                 proxies: Mapping[str, str] | None = None, pool_size: int = 10,
                 path: str = "", cert: str | tuple[str, str] | None = None,
                 gzip: bool = False, session: Any = None,
                 headers: Mapping[str, str] | None = None, socket_options: Any = None,
                 ) -> None:
        self._host = host
        self._port = _integer(port, "port")
        self._udp_port = _integer(udp_port, "udp_port")
        _integer(pool_size, "pool_size")
        if session is not None:
            raise TypeError("session= takes a requests.Session, which influxkit does not "
                            "use (it keeps its own connections): leave it out")
        if socket_options is not None:
            raise TypeError("socket_options= are not supported by influxkit: leave them out")
        if cert and ssl is not True:
            raise ValueError("a client certificate (cert=) needs ssl=True")
        self._use_udp = bool(use_udp)
        self._retries = _integer(retries, "retries")
        self._path = "" if not path else path if path.startswith("/") else "/" + path
        self._scheme = "https" if ssl is True else "http"
        self._baseurl = f"{self._scheme}://{host}:{self._port}{self._path}"
        headers = dict(headers or {})
        given_authorization = any(name.lower() == "authorization" for name in headers)
        # influxdb-python sent basic authentication unless a header gave another, or
        # either credential was None.
        basic = not given_authorization and username is not None and password is not None
        tls = _tls(ssl, verify_ssl, cert)
        options: dict[str, Any] = {}
        proxy = _proxy(proxies, self._scheme)
        if proxy:
            options["proxy"] = proxy
        # trust_env: the proxies of the environment, as requests used them.
        connection = _Connection(
            host, self._port, self._path or "/", mode="blocking", output="json",
            db=database, ssl=tls, verify_ssl=bool(verify_ssl), timeout=_timeout(timeout),
            gzip=bool(gzip), username=username if basic else None,
            password=password if basic else None, trust_env=True, **options)
        connection.extra_headers = {
            name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS}
        self._client: influxkit.InfluxDBClient[Any] = connection
        self._retry = _retry_policy(self._retries)
        self._udp: influxkit.InfluxDBClient[Any] | None = None

    # -- influxdb-python's attributes ----------------------------------------------------

    @property
    def influxkit_client(self) -> influxkit.InfluxDBClient[Any]:
        """The influxkit client underneath (blocking), for what this API lacks:
        ``client.influxkit_client.writer(...)``, ``output='dataframe'``..."""
        return self._client

    @property
    def mode(self) -> str:
        """``'blocking'``: every method returns its result (read by influxkit's
        :class:`~influxkit.SeriesHelper`)."""
        return "blocking"

    @property
    def _database(self) -> str | None:
        return self._client.db

    @_database.setter
    def _database(self, database: str | None) -> None:
        self._client.db = database

    @property
    def _username(self) -> str | None:
        return self._client.username

    @property
    def use_udp(self) -> bool:
        """Whether ``write_points`` goes to the server's UDP listener."""
        return self._use_udp

    @property
    def udp_port(self) -> int:
        """The port of the server's UDP listener."""
        return self._udp_port

    def __repr__(self) -> str:
        # The password is never shown.
        return (f"<{type(self).__module__}.{type(self).__qualname__} {self._baseurl} "
                f"username={self._username!r} database={self._database!r} "
                f"use_udp={self._use_udp!r}>")

    # -- other ways to make one ------------------------------------------------------------

    @classmethod
    def from_dsn(cls, dsn: str, **kwargs: Any) -> Self:
        """Make a client from a data source name:
        ``influxdb://[username:password@]host[:port][/database]``, with ``https+influxdb``
        for HTTPS or ``udp+influxdb`` for UDP writes (the port is still the HTTP port:
        give ``udp_port=``). Several ``host:port`` separated by commas are accepted; the
        first is used. Keyword arguments are the constructor's, and win over the DSN.

        Raises:
            ValueError: for another scheme or modifier, or a port that is not a number.
        """
        parsed = urllib.parse.urlparse(dsn)
        modifier, _, scheme = parsed.scheme.rpartition("+")
        if scheme != "influxdb":
            raise ValueError(f"unknown scheme {scheme!r}: use influxdb://, "
                             "https+influxdb:// or udp+influxdb://")
        arguments: dict[str, Any] = {}
        if modifier == "udp":
            arguments["use_udp"] = True
        elif modifier == "https":
            arguments["ssl"] = True
        elif modifier:
            raise ValueError(f"unknown modifier {modifier!r}: use https+influxdb:// or "
                             "udp+influxdb://")
        first = urllib.parse.urlparse("http://" + parsed.netloc.split(",")[0])
        arguments.update(host=first.hostname or "localhost", port=first.port or 8086,
                         username=first.username or None, password=first.password or None)
        if len(parsed.path) > 1:
            arguments["database"] = parsed.path[1:]
        return cls(**{**arguments, **kwargs})

    # -- the client's database and user ----------------------------------------------------

    def switch_database(self, database: str) -> None:
        """Make ``database`` the client's database."""
        self._client.switch_database(database)

    def switch_user(self, username: str, password: str) -> None:
        """Send the requests from now on as this user."""
        self._client.switch_user(username, password)

    # -- requests ---------------------------------------------------------------------------

    def request(self, url: str, method: str = "GET", params: Mapping[str, Any] | None = None,
                data: Any = None, stream: bool = False, expected_response_code: int = 200,
                headers: Mapping[str, str] | None = None) -> Any:
        """Not provided: influxkit makes no raw HTTP request for its callers.

        Raises:
            NotImplementedError: always; use :meth:`query`, :meth:`write`, :meth:`ping`.
        """
        raise NotImplementedError(
            "request() is not provided by influxkit's influxdb-python API: use query(), "
            "write(), write_points() or ping()")

    def write(self, data: Any, params: Mapping[str, Any] | None = None,
              expected_response_code: int = 204, protocol: str = "json") -> bool:
        """Write data over HTTP.

        Args:
            data: with ``protocol='json'``, ``{"points": [point dicts], "tags": {shared
                tags}, "measurement": default measurement}``; with ``protocol='line'``,
                line protocol as a string or a sequence of lines.
            params: the query string of ``/write``: ``db`` (the client's database by
                default), ``rp``, ``precision``.
            expected_response_code: 204 only.
            protocol: ``'json'`` or ``'line'``.

        Returns:
            True.

        Raises:
            InfluxDBClientError: when the server refuses the write, or for data line
                protocol cannot carry (before anything is sent).
            InfluxDBServerError: when the server fails.
        """
        _expected(expected_response_code, 204, "a write")
        params = dict(params or {})
        unknown = sorted(set(params) - _WRITE_PARAMS)
        if unknown:
            raise ValueError(f"write() params {', '.join(map(repr, unknown))}: influxkit "
                             "takes 'db', 'rp' and 'precision' there")
        tags = None
        if protocol == "json":
            points = data["points"]
            tags = data.get("tags")
            measurement = data.get("measurement")
            if measurement is not None:
                points = [point if "measurement" in point else {**point, "measurement": measurement}
                          for point in points]
        elif protocol == "line":
            points = [data] if isinstance(data, (str, bytes)) else data
        else:
            raise ValueError(f"invalid protocol {protocol!r}: use 'json' or 'line'")
        self._send(self._client, points, time_precision=params.get("precision"),
                   database=params.get("db"), retention_policy=params.get("rp"), tags=tags,
                   protocol=protocol, consistency=params.get("consistency"))
        return True

    def write_points(self, points: Iterable[Any], time_precision: str | None = None,
                     database: str | None = None, retention_policy: str | None = None,
                     tags: Mapping[str, Any] | None = None, batch_size: int | None = None,
                     protocol: str = "json", consistency: str | None = None) -> bool:
        """Write points: over HTTP, or to the UDP listener with ``use_udp``.

        Args:
            points: point dicts (``measurement``, ``tags``, ``fields``, ``time``), or
                lines of line protocol.
            time_precision: the unit of integer times (``'n'``, ``'u'``, ``'ms'``,
                ``'s'``, ``'m'``, ``'h'``); datetimes are converted to it exactly.
            database: the database (the client's by default).
            retention_policy: the retention policy (the database's default by default).
            tags: tags of every point (a point's own win).
            batch_size: points per request (by default, requests of about 8 MB).
            protocol: ``'json'`` or ``'line'``; both are sent as line protocol.
            consistency: only None (a setting of InfluxDB Enterprise).

        Returns:
            True.

        Raises:
            InfluxDBClientError: when the server refuses the write, or for data line
                protocol cannot carry (before anything is sent).
            InfluxDBServerError: when the server fails.
            ValueError: for an invalid precision or consistency, or ``database`` or
                ``retention_policy`` with UDP (the listener's own apply).
        """
        if consistency not in _CONSISTENCIES:
            raise ValueError(f"invalid consistency {consistency!r}: use one of "
                             "'any', 'one', 'quorum', 'all' (or None)")
        self._send(self._target(), points, time_precision=time_precision,
                   database=database, retention_policy=retention_policy, tags=tags,
                   batch_size=batch_size, protocol=protocol, consistency=consistency)
        return True

    def _target(self) -> influxkit.InfluxDBClient[Any]:
        """The client of ``write_points``: HTTP, or UDP with ``use_udp``."""
        return self._udp_connection() if self._use_udp else self._client

    def _send(self, target: influxkit.InfluxDBClient[Any], points: Any, *args: Any,
              **arguments: Any) -> None:
        """Write ``points`` with ``write_points``' arguments (either form), through
        influxkit's translation of them; an empty database is the client's, and a batch
        size below 1 means one request, as influxdb-python read them."""
        arguments["database"] = arguments.get("database") or None
        batch_size = arguments.get("batch_size")
        arguments["batch_size"] = batch_size if batch_size and batch_size > 0 else None
        call, kwargs = write_points_call(points, *args, **arguments)
        if not target.use_udp:
            kwargs["retry"] = self._retry
        with translated():
            target.write(*call, **kwargs)

    def _udp_connection(self) -> influxkit.InfluxDBClient[Any]:
        if self._udp is None:
            self._udp = influxkit.InfluxDBClient(self._host, self._port, mode="blocking",
                                                 use_udp=True, udp_port=self._udp_port)
        return self._udp

    def send_packet(self, packet: Any, protocol: str = "json",
                    time_precision: str | None = None) -> None:
        """Send points to the server's UDP listener.

        Args:
            packet: with ``protocol='json'``, ``{"points": [...], "tags": {...}}`` (as
                :meth:`write` takes it); with ``protocol='line'``, lines of line
                protocol.
            time_precision: the unit of the times, which must be the listener's.
        """
        tags = None
        if protocol == "json":
            points = packet["points"]
            tags = packet.get("tags")
        else:
            points = [packet] if isinstance(packet, (str, bytes)) else packet
        self._send(self._udp_connection(), points, time_precision=time_precision, tags=tags,
                   protocol=protocol)

    def query(self, query: str, params: Mapping[str, Any] | None = None,
              bind_params: Mapping[str, Any] | None = None, epoch: str | None = None,
              expected_response_code: int = 200, database: str | None = None,
              raise_errors: bool = True, chunked: bool = False, chunk_size: int = 0,
              method: str = "GET") -> Any:
        """Run an InfluxQL query.

        Args:
            query: the query; statements are separated by ``;``.
            params: the query string's ``params`` (bind parameters as JSON) and
                ``epoch``.
            bind_params: bind parameters: ``$name`` in the query is replaced by the
                value of ``name``, sent apart from the query text.
            epoch: the unit of the times returned (``'h'``, ``'m'``, ``'s'``, ``'ms'``,
                ``'u'``, ``'ns'``); None for RFC 3339 strings (to the nanosecond).
            expected_response_code: 200 only.
            database: the database (the client's by default).
            raise_errors: with False, a failed statement is returned as a ResultSet whose
                ``error`` says why (those after it: ``'not executed'``).
            chunked: return a generator of one ResultSet per chunk of the answer (the
                series of all statements of the chunk in one).
            chunk_size: rows per chunk (the server's default when 0).
            method: ``'GET'`` or ``'POST'``, accepted: influxkit sends a POST.

        Returns:
            A :class:`ResultSet`, a list of them for several statements (or none), or a
            generator of them with ``chunked``.

        Raises:
            InfluxDBClientError: for a failed statement (with ``raise_errors``) or a
                query the server refuses.
            InfluxDBServerError: when the server fails.
        """
        if chunked:
            return self._chunks(query, params, bind_params, epoch, expected_response_code,
                                database, raise_errors, chunk_size, method)
        results = self._results(query, params, bind_params, epoch, expected_response_code,
                                database, raise_errors, chunk_size, method)
        sets = [ResultSet(result, raise_errors=raise_errors) for result in results]
        return sets[0] if len(sets) == 1 else sets

    def _options(self, params: Mapping[str, Any] | None, bind_params: Mapping[str, Any] | None,
                 epoch: str | None, expected_response_code: int, database: str | None,
                 chunk_size: int, method: str) -> dict[str, Any]:
        """The arguments of influxkit's ``query`` for influxdb-python's."""
        _expected(expected_response_code, 200, "a query")
        bound, epoch = _query_options(params, bind_params, epoch, method)
        return {"epoch": epoch, "db": database or None, "params": bound,
                "chunk_size": chunk_size if chunk_size and chunk_size > 0 else None,
                "output": "json", "retry": self._retry}

    def _results(self, query: str, params: Mapping[str, Any] | None,
                 bind_params: Mapping[str, Any] | None, epoch: str | None,
                 expected_response_code: int, database: str | None, raise_errors: bool,
                 chunk_size: int, method: str) -> list[dict[str, Any]]:
        """The results of the statements of a query, in the JSON shape."""
        options = self._options(params, bind_params, epoch, expected_response_code,
                                database, chunk_size, method)
        with translated():
            if raise_errors is True:
                answer = self._client.query(query, **options)
                results: list[dict[str, Any]] = answer.get("results") or []
                return results
            return self._tolerant(query, options)

    def _tolerant(self, query: str, options: dict[str, Any]) -> list[dict[str, Any]]:
        """The results of a query whose failed statement is returned, not raised.

        influxkit raises at the first failed statement: the answer is read as it comes
        (chunked), so that the results before it are kept. The server runs no statement
        after a failed one, and says so ("not executed") for each.
        """
        builder = ResultBuilder()
        failed: influxkit.InfluxDBQueryError | None = None
        try:
            for document in self._client.query(query, chunked=True, **options):
                builder.add(document)
        except influxkit.InfluxDBQueryError as error:
            failed = error
        results: list[dict[str, Any]] = builder.result().get("results") or []
        if failed is not None:
            index = len(results) if failed.statement_id is None else failed.statement_id
            results.append({"statement_id": index, "error": failed.message})
            results.extend({"statement_id": later, "error": "not executed"}
                           for later in range(index + 1, len(split_statements(query))))
        return results

    def _chunks(self, query: str, params: Mapping[str, Any] | None,
                bind_params: Mapping[str, Any] | None, epoch: str | None,
                expected_response_code: int, database: str | None, raise_errors: bool,
                chunk_size: int, method: str) -> Iterator[ResultSet]:
        """A ResultSet per chunk of the answer; the query is sent before returning."""
        options = self._options(params, bind_params, epoch, expected_response_code,
                                database, chunk_size, method)
        with translated():
            stream = self._client.query(query, chunked=True, **options)
        return self._chunk_sets(stream, raise_errors)

    @staticmethod
    def _chunk_sets(stream: Iterable[dict[str, Any]], raise_errors: bool
                    ) -> Iterator[ResultSet]:
        with translated():
            try:
                for document in stream:
                    merged: dict[str, Any] = {}
                    for result in document.get("results") or ():
                        for key, value in result.items():
                            if isinstance(value, list):
                                merged.setdefault(key, []).extend(value)
                    yield ResultSet(merged, raise_errors=raise_errors)
            except influxkit.InfluxDBQueryError as error:
                if raise_errors is True:
                    raise
                yield ResultSet({"error": error.message}, raise_errors=False)

    def ping(self) -> str:
        """The version of the server (``'1.8.10'``), from its answer to ``/ping``."""
        with translated():
            headers = self._client.ping()
        version = next((value for name, value in headers.items()
                        if name.lower() == "x-influxdb-version"), None)
        return version if version is not None else self._client.version or ""

    # -- administration ---------------------------------------------------------------------

    def get_list_database(self) -> list[dict[str, Any]]:
        """The databases: ``[{'name': 'db1'}, ...]``."""
        with translated():
            databases: list[dict[str, Any]] = self._client.get_list_database()
        return databases

    def create_database(self, dbname: str) -> None:
        """Create a database (no error if it exists)."""
        with translated():
            self._client.create_database(dbname)

    def drop_database(self, dbname: str) -> None:
        """Drop a database and its data (no error if it does not exist)."""
        with translated():
            self._client.drop_database(dbname)

    def get_list_measurements(self) -> list[dict[str, Any]]:
        """The measurements of the client's database: ``[{'name': 'cpu'}, ...]``."""
        with translated():
            measurements: list[dict[str, Any]] = self._client.get_list_measurements()
        return measurements

    def drop_measurement(self, measurement: str) -> None:
        """Drop a measurement of the client's database, and its data."""
        with translated():
            self._client.drop_measurement(measurement)

    def create_retention_policy(self, name: str, duration: str, replication: int,
                                database: str | None = None, default: bool = False,
                                shard_duration: str = "0s") -> None:
        """Create a retention policy (on the client's database by default); a
        ``shard_duration`` of ``'0s'`` leaves it to the server."""
        shard = None if shard_duration in (None, "", "0", "0s") else shard_duration
        with translated():
            self._client.create_retention_policy(
                name, duration, _replication(replication), database=database or None,
                default=default is True, shard_duration=shard)

    def alter_retention_policy(self, name: str, database: str | None = None,
                               duration: str | None = None, replication: int | None = None,
                               default: bool | None = None,
                               shard_duration: str | None = None) -> None:
        """Change a retention policy: the duration, replication, shard duration and
        default that are given."""
        with translated():
            self._client.alter_retention_policy(
                name, database=database or None, duration=duration or None,
                replication=_replication(replication) if replication else None,
                default=True if default is True else None,
                shard_duration=shard_duration or None)

    def drop_retention_policy(self, name: str, database: str | None = None) -> None:
        """Drop a retention policy and its data."""
        with translated():
            self._client.drop_retention_policy(name, database=database or None)

    def get_list_retention_policies(self, database: str | None = None
                                    ) -> list[dict[str, Any]]:
        """The retention policies of a database (the client's by default):
        ``[{'name': 'autogen', 'duration': '0s', 'shardGroupDuration': '168h0m0s',
        'replicaN': 1, 'default': True}]``.

        Raises:
            InfluxDBClientError: when neither ``database`` nor the client's database is
                given.
        """
        if not (database or self._database):
            raise InfluxDBClientError("get_list_retention_policies() needs a database: pass "
                                      "one, or give the client one")
        with translated():
            policies: list[dict[str, Any]] = self._client.get_list_retention_policies(
                database or None)
        return policies

    def get_list_users(self) -> list[dict[str, Any]]:
        """The users: ``[{'user': 'admin', 'admin': True}, ...]``."""
        with translated():
            users: list[dict[str, Any]] = self._client.get_list_users()
        return users

    def create_user(self, username: str, password: str, admin: bool = False) -> None:
        """Create a user (an admin with ``admin``); the password is never shown in an
        error."""
        with translated():
            self._client.create_user(username, password, admin=admin)

    def drop_user(self, username: str) -> None:
        """Drop a user."""
        with translated():
            self._client.drop_user(username)

    def set_user_password(self, username: str, password: str) -> None:
        """Change a user's password."""
        with translated():
            self._client.set_user_password(username, password)

    def delete_series(self, database: str | None = None, measurement: str | None = None,
                      tags: Mapping[str, str] | None = None) -> None:
        """Drop the series of a measurement, with these tags, or both, and their data."""
        with translated():
            self._client.delete_series(database=database or None, measurement=measurement,
                                       tags=tags)

    def grant_admin_privileges(self, username: str) -> None:
        """Make a user an admin."""
        with translated():
            self._client.grant_admin_privileges(username)

    def revoke_admin_privileges(self, username: str) -> None:
        """Make an admin a plain user."""
        with translated():
            self._client.revoke_admin_privileges(username)

    def grant_privilege(self, privilege: str, database: str, username: str) -> None:
        """Grant ``'read'``, ``'write'`` or ``'all'`` on a database to a user."""
        with translated():
            self._client.grant_privilege(privilege, database, username)

    def revoke_privilege(self, privilege: str, database: str, username: str) -> None:
        """Revoke ``'read'``, ``'write'`` or ``'all'`` on a database from a user."""
        with translated():
            self._client.revoke_privilege(privilege, database, username)

    def get_list_privileges(self, username: str) -> list[dict[str, Any]]:
        """A user's privileges: ``[{'database': 'db1', 'privilege': 'WRITE'}, ...]``."""
        with translated():
            privileges: list[dict[str, Any]] = self._client.get_list_privileges(username)
        return privileges

    def get_list_continuous_queries(self) -> list[dict[str, list[dict[str, Any]]]]:
        """The continuous queries by database: ``[{'db1': [{'name': ..., 'query':
        ...}]}, {'db2': []}]``."""
        with translated():
            queries: list[dict[str, list[dict[str, Any]]]] = (
                self._client.get_list_continuous_queries())
        return queries

    def create_continuous_query(self, name: str, select: str, database: str | None = None,
                                resample_opts: str | None = None) -> None:
        """Create a continuous query of ``select`` (on the client's database by default),
        with ``resample_opts`` such as ``'EVERY 10s FOR 2m'``."""
        with translated():
            self._client.create_continuous_query(name, select, database=database or None,
                                                 resample_opts=resample_opts or None)

    def drop_continuous_query(self, name: str, database: str | None = None) -> None:
        """Drop a continuous query."""
        with translated():
            self._client.drop_continuous_query(name, database=database or None)

    def get_list_series(self, database: str | None = None, measurement: str | None = None,
                        tags: Mapping[str, str] | None = None) -> list[str]:
        """The keys of the series (``'cpu,host=a'``), of a measurement and with these
        tags if given."""
        with translated():
            series: list[str] = self._client.get_list_series(
                database=database or None, measurement=measurement or None, tags=tags)
        return series

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client's connections (it opens new ones if used again)."""
        self._client.close()
        if self._udp is not None:
            self._udp.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _replication(value: Any) -> Any:
    # influxdb-python formatted the replication into the statement: '3' was 3.
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value
