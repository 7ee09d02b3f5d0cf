"""Real InfluxDB 1.x servers for test suites.

:class:`InfluxDBServer` runs a private ``influxd`` on free loopback ports with a
temporary data directory, the way asyncpg's test cluster runs PostgreSQL, so a
test suite needs no InfluxDB service and never touches a developer's data::

    from influxkit.testing import InfluxDBServer

    with InfluxDBServer() as server:
        server.create_database("db")
        server.write("cpu,host=a value=1 1700000000000000000", db="db")
        print(server.url, server.version)
        print(server.query('SELECT * FROM "cpu"', db="db"))

When the environment variable ``INFLUXKIT_TEST_URL`` names a running server
(``http://127.0.0.1:8086``, or ``http://user:password@host:8086`` with
credentials), ``InfluxDBServer()`` is that *external* server instead: nothing is
started or stopped. What needs a private server raises
:class:`ExternalServerError`, which a pytest fixture turns into a skip: the
options ``auth``, ``udp``, ``unix_socket``, ``tls`` and ``extra_config`` (at
construction), :meth:`~InfluxDBServer.restart`, :meth:`~InfluxDBServer.pause`
and :meth:`~InfluxDBServer.resume`. :meth:`InfluxDBServer.from_url` wraps a
given URL, whatever the environment says.

For pytest, ``pip install 'influxkit[testing]'`` adds fixtures built on it
(``influxdb_server``, ``influxdb_database``, ``influxdb_blocking_client``...):
see :mod:`influxkit.testing.pytest_plugin`.

This module uses the standard library only (plus ``trustme`` when it is
installed, for ``tls=True``; otherwise the ``openssl`` command) and imports
nothing else from influxkit: it checks the client without relying on it.

``influxd`` runs in the caller's process group, so killing the group (a CI
timeout, Ctrl-C) ends it too; a leftover server is also stopped at interpreter
exit. A process killed on its own with SIGKILL leaves ``influxd`` running.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final, TypeAlias, TypeVar

__all__ = [
    "INFLUXD_ENV",
    "TEST_URL_ENV",
    "ConfigValue",
    "ExternalServerError",
    "InfluxDBServer",
    "InfluxDBServerError",
    "ServerStartError",
    "server_from_env",
]

TEST_URL_ENV: Final = "INFLUXKIT_TEST_URL"
"""Name of the environment variable that makes :func:`server_from_env` reuse a server."""

INFLUXD_ENV: Final = "INFLUXKIT_INFLUXD"
"""Name of the environment variable giving the ``influxd`` executable to run."""

ConfigValue: TypeAlias = "str | int | float | bool"
"""A value in the influxd configuration file."""

_T = TypeVar("_T")

_LOOPBACK: Final = "127.0.0.1"
_ADMIN_USERNAME: Final = "admin"
_LOG_NAME: Final = "influxd.log"
_SOCKET_NAME: Final = "influxd.sock"
# sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, NUL included.
_MAX_SOCKET_PATH: Final = 103
_PORT_ATTEMPTS: Final = 5
# influxd logs this once every service is open, i.e. once every port is bound.
_READY_MARKER: Final = "Listening for signals"
# If a future influxd stops logging the marker, a server that has answered /ping
# and stayed alive for this long is taken as ready: a bind failure kills influxd
# within milliseconds.
_READY_GRACE: Final = 1.0
_LOG_TAIL_LINES: Final = 40
_LOG_TAIL_CHARS: Final = 6000


class InfluxDBServerError(RuntimeError):
    """Root of the errors raised by :mod:`influxkit.testing`."""


class ServerStartError(InfluxDBServerError):
    """``influxd`` could not be found, did not start, or did not answer in time.

    The message includes the end of ``influxd``'s log.
    """


class ExternalServerError(InfluxDBServerError):
    """The operation needs a private server, but ``INFLUXKIT_TEST_URL`` (or pytest's
    ``--influxdb-url``) names an external one."""


class _PortInUseError(ServerStartError):
    """influxd lost the race for one of the free ports picked for it."""


class InfluxDBServer:
    """A private ``influxd`` for tests, or a handle on an external server.

    :meth:`start` writes a configuration into a fresh temporary directory (which
    also holds the ``meta``, ``data`` and ``wal`` directories and ``influxd.log``,
    where influxd's output goes), runs ``influxd`` on free loopback ports, and
    returns once ``GET /ping`` answers. Usage reporting, the ``_internal``
    monitor database, the query log and the HTTP access log are off.
    :meth:`stop` ends the process and removes the directory.

    All parameters are keyword-only.

    :param auth: enable authentication and create an admin user with a random
        password (:attr:`admin_username`, :attr:`admin_password`).
    :param udp: listen for line protocol on a free loopback UDP port
        (:attr:`udp_port`), writing into *udp_database*, which is created at start.
        Points are flushed in batches of 1 or every 10 ms.
    :param udp_database: database of the UDP listener.
    :param unix_socket: also serve HTTP on a unix socket (:attr:`unix_socket`).
    :param tls: serve HTTPS with a certificate for ``127.0.0.1`` and
        ``localhost``, made on the fly; trust :attr:`ca_file` to verify it.
    :param extra_config: more configuration: ``{"max-body-size": 1000}`` sets
        ``[http]`` options, and a nested mapping sets another section, as in
        ``{"coordinator": {"query-timeout": "1s"}}``. Overrides the defaults.
    :param influxd: the ``influxd`` executable. By default, ``$INFLUXKIT_INFLUXD``,
        then ``influxd`` on ``PATH``, then ``/usr/bin/influxd``.
    :param startup_timeout: seconds to wait for ``/ping`` to answer.
    :param stop_timeout: seconds to wait after SIGTERM before SIGKILL.
    :raises ExternalServerError: if ``$INFLUXKIT_TEST_URL`` is set, and *auth*,
        *udp*, *unix_socket*, *tls* or *extra_config* asks for what only a private
        server can do. Without them the server is the external one the variable
        names (:attr:`external`), and *influxd* and the timeouts do not apply.
    :raises ValueError: if ``$INFLUXKIT_TEST_URL`` is not an ``http`` or ``https`` URL.

    Example::

        with InfluxDBServer(auth=True) as server:
            server.create_database("db")
            client = InfluxDBClient(
                host=server.host,
                port=server.port,
                username=server.admin_username,
                password=server.admin_password,
            )
    """

    def __init__(
        self,
        *,
        auth: bool = False,
        udp: bool = False,
        udp_database: str = "udp",
        unix_socket: bool = False,
        tls: bool = False,
        extra_config: Mapping[str, ConfigValue | Mapping[str, ConfigValue]] | None = None,
        influxd: str | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self._configure(
            auth=auth,
            udp=udp,
            udp_database=udp_database,
            unix_socket=unix_socket,
            tls=tls,
            extra_config=extra_config,
            influxd=influxd,
            startup_timeout=startup_timeout,
            stop_timeout=stop_timeout,
        )
        url = os.environ.get(TEST_URL_ENV)
        if url:
            _refuse_private_options(
                f"${TEST_URL_ENV} is set to use an external one",
                auth=auth,
                udp=udp,
                unix_socket=unix_socket,
                tls=tls,
                extra_config=extra_config,
            )
            try:
                self._adopt(url)
            except ValueError as exc:
                raise ValueError(f"${TEST_URL_ENV}: {exc}") from None

    def _configure(
        self,
        *,
        auth: bool = False,
        udp: bool = False,
        udp_database: str = "udp",
        unix_socket: bool = False,
        tls: bool = False,
        extra_config: Mapping[str, ConfigValue | Mapping[str, ConfigValue]] | None = None,
        influxd: str | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self._auth = auth
        self._udp = udp
        self._udp_database = udp_database
        self._unix = unix_socket
        self._tls = tls
        self._extra_config = dict(extra_config or {})
        self._influxd = influxd
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout

        self._external_url: str | None = None
        self._scheme = "https" if tls else "http"
        self._host = _LOOPBACK
        self._base_path = ""
        self._port: int | None = None
        self._rpc_port: int | None = None
        self._udp_port: int | None = None
        self._directory: str | None = None
        self._ca_file: str | None = None
        self._username: str | None = _ADMIN_USERNAME if auth else None
        self._password: str | None = secrets.token_urlsafe(18) if auth else None
        self._version: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._paused = False

    # -- construction from a URL ------------------------------------------------

    @classmethod
    def from_url(cls, url: str) -> InfluxDBServer:
        """Wrap an already running server at *url*; nothing is started or stopped.

        Credentials in the URL (``http://user:password@host:8086``) are used by
        :meth:`query` and exposed as :attr:`admin_username` / :attr:`admin_password`.
        :meth:`restart`, :meth:`pause` and :meth:`resume` raise
        :class:`ExternalServerError`.

        :raises ValueError: if *url* is not an ``http`` or ``https`` URL.
        """
        # Not cls(), which would read $INFLUXKIT_TEST_URL: the URL given wins.
        server = cls.__new__(cls)
        server._configure()
        server._adopt(url)
        return server

    def _adopt(self, url: str) -> None:
        """Become a handle on the external server at *url*."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL of an InfluxDB server: {url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._base_path = parts.path.rstrip("/")
        if parts.username is not None:
            self._username = urllib.parse.unquote(parts.username)
            self._password = urllib.parse.unquote(parts.password or "")
        netloc = parts.netloc.rpartition("@")[2]
        self._external_url = urllib.parse.urlunsplit(
            (parts.scheme, netloc, self._base_path, "", "")
        )

    # -- properties -------------------------------------------------------------

    @property
    def external(self) -> bool:
        """Whether this wraps a server that this object did not start."""
        return self._external_url is not None

    @property
    def host(self) -> str:
        """The server's host: ``"127.0.0.1"`` for a private server."""
        return self._host

    @property
    def port(self) -> int:
        """The HTTP port.

        :raises InfluxDBServerError: if the server was never started.
        """
        if self._port is None:
            raise InfluxDBServerError("the server has not been started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL, such as ``http://127.0.0.1:41234`` (``https://`` with *tls*)."""
        if self._external_url is not None:
            return self._external_url
        return f"{self._scheme}://{self._host}:{self.port}"

    @property
    def version(self) -> str:
        """The server version, from the ``X-Influxdb-Version`` header of ``/ping``."""
        if self._version is None:
            self._version = self.ping()
        return self._version

    @property
    def pid(self) -> int | None:
        """The process id of ``influxd``, or None when not running or external."""
        return self._proc.pid if self._proc is not None else None

    @property
    def rpc_port(self) -> int:
        """The port of the RPC service (``bind-address``), used by ``influxd backup``."""
        return self._require(self._rpc_port, "a private server that has been started")

    @property
    def directory(self) -> str | None:
        """The temporary directory (config, data, ``influxd.log``); None when not running."""
        return self._directory

    @property
    def admin_username(self) -> str | None:
        """The admin user created with ``auth=True`` (or given in the URL), else None."""
        return self._username

    @property
    def admin_password(self) -> str | None:
        """The admin user's password, random per server; None without auth."""
        return self._password

    @property
    def udp_port(self) -> int:
        """The UDP port of the line protocol listener (``udp=True``)."""
        return self._require(self._udp_port, "udp=True")

    @property
    def udp_database(self) -> str:
        """The database the UDP listener writes into (``udp=True``)."""
        self._require(self._udp_port, "udp=True")
        return self._udp_database

    @property
    def unix_socket(self) -> str:
        """The path of the unix socket serving HTTP (``unix_socket=True``)."""
        if not self._unix or self._directory is None:
            raise InfluxDBServerError("no unix socket: pass unix_socket=True and start the server")
        return os.path.join(self._directory, _SOCKET_NAME)

    @property
    def ca_file(self) -> str:
        """A PEM file to trust the server's certificate (``tls=True``).

        Example: ``ssl.create_default_context(cafile=server.ca_file)``.
        """
        return self._require(self._ca_file, "tls=True")

    def _require(self, value: _T | None, what: str) -> _T:
        if value is None:
            raise InfluxDBServerError(f"not available: needs {what}")
        return value

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Start ``influxd`` and wait until it answers ``/ping``.

        For an external server, only check that it answers.

        :raises ServerStartError: if influxd is missing, exits, or does not answer
            within *startup_timeout*; the message ends with influxd's log.
        :raises InfluxDBServerError: if the server is already running.
        """
        if self.external:
            try:
                self._version = self.ping()
            except (OSError, http.client.HTTPException, InfluxDBServerError) as exc:
                raise ServerStartError(
                    f"the external InfluxDB server at {self.url} does not answer /ping: {exc}"
                ) from exc
            return
        if self._proc is not None:
            raise InfluxDBServerError(f"{self!r} is already running")
        executable = self._find_influxd()
        self._directory = self._make_directory()
        try:
            if self._tls:
                self._ca_file = _make_certificate(self._directory)
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                self._pick_ports()
                try:
                    self._launch(executable)
                    break
                except _PortInUseError:
                    if attempt == _PORT_ATTEMPTS:
                        raise
            self._set_up()
        except BaseException:
            self._discard()
            raise

    def stop(self) -> None:
        """Stop ``influxd`` (SIGTERM, then SIGKILL after *stop_timeout*) and remove
        its temporary directory. Idempotent; a no-op for an external server.

        A later :meth:`start` starts a fresh, empty server on new ports.
        """
        self._discard()

    def restart(self) -> None:
        """Stop ``influxd`` and start it again on the same ports and data.

        Useful for fault tests: clients see their connections drop, and every
        database, user and point written before is still there.

        :raises ExternalServerError: for an external server.
        :raises InfluxDBServerError: if the server is not running.
        :raises ServerStartError: if influxd does not come back.
        """
        self._check_private("restart()")
        if self._directory is None:
            raise InfluxDBServerError(f"{self!r} is not running")
        if self._proc is not None:
            self._terminate(self._proc)
        try:
            self._launch(self._find_influxd())
        except BaseException:
            self._discard()
            raise

    def pause(self) -> None:
        """Freeze ``influxd`` with SIGSTOP: connections are accepted by the kernel
        but nothing answers, so requests time out. Undo with :meth:`resume`.

        :raises ExternalServerError: for an external server.
        :raises InfluxDBServerError: if the server is not running.
        """
        proc = self._running_process("pause()")
        if sys.platform == "win32":
            raise InfluxDBServerError("pause() needs POSIX signals")
        proc.send_signal(signal.SIGSTOP)
        # The signal is delivered asynchronously: a request sent right after kill()
        # could still be answered. Wait until every thread of the process is stopped.
        _wait_for_state(proc.pid, stopped=True)
        self._paused = True

    def resume(self) -> None:
        """Let a server frozen by :meth:`pause` run again (SIGCONT).

        :raises ExternalServerError: for an external server.
        :raises InfluxDBServerError: if the server is not running.
        """
        proc = self._running_process("resume()")
        if sys.platform == "win32":
            raise InfluxDBServerError("resume() needs POSIX signals")
        proc.send_signal(signal.SIGCONT)
        _wait_for_state(proc.pid, stopped=False)
        self._paused = False

    def is_running(self) -> bool:
        """Whether the ``influxd`` process is alive (a paused one is).

        For an external server, whether it answers ``/ping``.
        """
        if self.external:
            try:
                self.ping(timeout=2.0)
            except (OSError, http.client.HTTPException, InfluxDBServerError):
                return False
            return True
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> InfluxDBServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self, _warn: Any = warnings.warn) -> None:
        # Only warn: killing a process and removing files are I/O, and the
        # atexit hook below still ends influxd when the interpreter exits.
        if getattr(self, "_proc", None) is not None:
            _warn(f"unstopped {self!r}", ResourceWarning, source=self, stacklevel=2)

    def __repr__(self) -> str:
        if self.external:
            return f"<InfluxDBServer external {self.url}>"
        if self._proc is None:
            return "<InfluxDBServer stopped>"
        state = "paused" if self._paused else "running"
        return f"<InfluxDBServer {self.url} {state} pid={self._proc.pid}>"

    # -- HTTP helpers -----------------------------------------------------------

    def ping(self, *, timeout: float = 10.0) -> str:
        """``GET /ping`` and return the ``X-Influxdb-Version`` header.

        :raises InfluxDBServerError: if the answer is not 204.
        :raises OSError: if the server cannot be reached (``TimeoutError`` on timeout).
        """
        status, headers, body = self._request("GET", "/ping", timeout=timeout)
        if status != 204:
            raise InfluxDBServerError(f"GET /ping answered {status}: {_text(body)}")
        return headers.get("x-influxdb-version", "")

    def query(self, q: str, db: str | None = None, *, timeout: float = 30.0) -> dict[str, Any]:
        """Run InfluxQL with ``POST /query`` and return the decoded JSON answer.

        Uses the admin credentials when there are any. Meant for setting up and
        checking tests independently of the client under test.

        :param q: one or more statements, separated by ``;``.
        :param db: the default database.
        :param timeout: seconds to wait for the answer.
        :raises InfluxDBServerError: on an HTTP error status or if a statement failed.
        :raises OSError: if the server cannot be reached (``TimeoutError`` on timeout).

        Example::

            result = server.query('SELECT count(*) FROM "cpu"', db="db")
            series = result["results"][0].get("series", [])
        """
        form = {"q": q}
        if db is not None:
            form["db"] = db
        status, _, body = self._request(
            "POST",
            "/query",
            body=urllib.parse.urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            timeout=timeout,
        )
        if status != 200:
            raise InfluxDBServerError(f"query {q!r} failed with HTTP {status}: {_text(body)}")
        answer: dict[str, Any] = json.loads(body)
        for result in answer.get("results", []):
            if "error" in result:
                raise InfluxDBServerError(f"query {q!r} failed: {result['error']}")
        return answer

    def write(
        self,
        data: str | bytes,
        db: str,
        *,
        precision: str | None = None,
        rp: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Write line protocol with ``POST /write``.

        :param data: one or more lines of line protocol.
        :param db: the database.
        :param precision: the timestamps' unit (``n``, ``u``, ``ms``, ``s``, ...);
            nanoseconds by default.
        :param rp: the retention policy.
        :param timeout: seconds to wait for the answer.
        :raises InfluxDBServerError: unless the server answers 204.
        """
        params = {"db": db}
        if precision is not None:
            params["precision"] = precision
        if rp is not None:
            params["rp"] = rp
        status, _, body = self._request(
            "POST",
            "/write",
            params=params,
            body=data.encode() if isinstance(data, str) else data,
            content_type="text/plain; charset=utf-8",
            timeout=timeout,
        )
        if status != 204:
            raise InfluxDBServerError(f"write failed with HTTP {status}: {_text(body)}")

    def create_database(self, name: str) -> None:
        """``CREATE DATABASE`` *name* (quoted; an existing database is kept)."""
        self.query(f"CREATE DATABASE {_quote_identifier(name)}")

    def drop_database(self, name: str) -> None:
        """``DROP DATABASE`` *name* (quoted; a missing database is not an error)."""
        self.query(f"DROP DATABASE {_quote_identifier(name)}")

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        query = dict(params or {})
        if self._username is not None and path != "/ping":
            # InfluxDB 1.x reads u and p from the query string only, not from a form body.
            query["u"] = self._username
            query["p"] = self._password or ""
        target = self._base_path + path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        headers = {"Content-Type": content_type} if content_type else {}
        conn: http.client.HTTPConnection
        if self._scheme == "https":
            context = ssl.create_default_context(cafile=self._ca_file)
            conn = http.client.HTTPSConnection(
                self._host, self.port, timeout=timeout, context=context
            )
        else:
            conn = http.client.HTTPConnection(self._host, self.port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    # -- internals --------------------------------------------------------------

    def _check_private(self, operation: str) -> None:
        if self.external:
            raise ExternalServerError(
                f"{operation} is not possible with an external server ({self.url}); "
                f"it needs a server started by InfluxDBServer"
            )

    def _running_process(self, operation: str) -> subprocess.Popen[bytes]:
        self._check_private(operation)
        if self._proc is None:
            raise InfluxDBServerError(f"{operation}: {self!r} is not running")
        return self._proc

    def _find_influxd(self) -> str:
        candidate = self._influxd or os.environ.get(INFLUXD_ENV)
        if candidate:
            found = shutil.which(candidate)
            if found is None:
                raise ServerStartError(f"influxd executable not found: {candidate!r}")
            return found
        found = shutil.which("influxd")
        if found is None and os.access("/usr/bin/influxd", os.X_OK):
            found = "/usr/bin/influxd"
        if found is None:
            raise ServerStartError(
                "influxd (InfluxDB 1.x) is not installed: install it, e.g. with "
                "`apt-get install influxdb`, put it on PATH, or pass its path as "
                f"InfluxDBServer(influxd=...) or in ${INFLUXD_ENV}; or point "
                f"${TEST_URL_ENV} at a running server"
            )
        return found

    def _make_directory(self) -> str:
        directory = tempfile.mkdtemp(prefix="influxkit-")
        if self._unix and len(os.path.join(directory, _SOCKET_NAME)) > _MAX_SOCKET_PATH:
            # $TMPDIR can be too long for a socket path (macOS's /var/folders/...).
            os.rmdir(directory)
            directory = tempfile.mkdtemp(prefix="influxkit-", dir="/tmp")
        for name in ("meta", "data", "wal"):
            os.mkdir(os.path.join(directory, name))
        return directory

    def _pick_ports(self) -> None:
        udp_count = 1 if self._udp else 0
        tcp_ports, udp_ports = _free_ports(tcp=2, udp=udp_count)
        self._port, self._rpc_port = tcp_ports
        self._udp_port = udp_ports[0] if udp_ports else None

    def _config(self) -> str:
        assert self._directory is not None
        directory = self._directory
        sections: dict[str, dict[str, ConfigValue]] = {
            "": {
                "reporting-enabled": False,
                "bind-address": f"{_LOOPBACK}:{self._rpc_port}",
            },
            "meta": {
                "dir": os.path.join(directory, "meta"),
                "logging-enabled": False,
            },
            "data": {
                "dir": os.path.join(directory, "data"),
                "wal-dir": os.path.join(directory, "wal"),
                "query-log-enabled": False,
            },
            "monitor": {"store-enabled": False},
            "continuous_queries": {"log-enabled": False},
            "http": {
                "bind-address": f"{_LOOPBACK}:{self._port}",
                "log-enabled": False,
                "auth-enabled": self._auth,
            },
            # The readiness check reads the info-level "Listening for signals".
            "logging": {"format": "logfmt", "level": "info", "suppress-logo": True},
        }
        http_section = sections["http"]
        if self._tls:
            assert self._ca_file is not None
            http_section["https-enabled"] = True
            http_section["https-certificate"] = os.path.join(directory, "server.pem")
            http_section["https-private-key"] = os.path.join(directory, "server.key")
        if self._unix:
            http_section["unix-socket-enabled"] = True
            http_section["bind-socket"] = os.path.join(directory, _SOCKET_NAME)
        for key, value in self._extra_config.items():
            if isinstance(value, Mapping):
                sections.setdefault(key, {}).update(value)
            else:
                http_section[key] = value
        lines: list[str] = []
        for name, options in sections.items():
            if name:
                lines += ["", f"[{name}]"]
            lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in options.items()]
        if self._udp:
            udp: dict[str, ConfigValue] = {
                "enabled": True,
                "bind-address": f"{_LOOPBACK}:{self._udp_port}",
                "database": self._udp_database,
                "batch-size": 1,
                "batch-timeout": "10ms",
            }
            lines += ["", "[[udp]]"]
            lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in udp.items()]
        return "\n".join(lines) + "\n"

    def _launch(self, executable: str) -> None:
        """Run influxd with the current ports and wait until it is ready."""
        assert self._directory is not None
        config_path = os.path.join(self._directory, "influxd.conf")
        with open(config_path, "w", encoding="utf-8") as file:
            file.write(self._config())
        # influxd lets INFLUXDB_* variables override its config file.
        env = {key: value for key, value in os.environ.items() if not key.startswith("INFLUXDB_")}
        log_path = os.path.join(self._directory, _LOG_NAME)
        with open(log_path, "ab") as log:
            offset = log.tell()
            proc = subprocess.Popen(
                [executable, "run", "-config", config_path],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._directory,
                env=env,
                # Stays in our process group, so that killing the group (CI
                # timeouts, Ctrl-C) also ends influxd when stop() cannot run.
            )
        self._proc = proc
        self._paused = False
        _live_processes[proc.pid] = proc
        self._wait_until_ready(proc, log_path, offset)

    def _wait_until_ready(self, proc: subprocess.Popen[bytes], log_path: str, offset: int) -> None:
        deadline = time.monotonic() + self._startup_timeout
        answered_since: float | None = None
        while True:
            returncode = proc.poll()
            if returncode is not None:
                self._forget(proc)
                log = _read_log(log_path, offset)
                message = (
                    f"influxd exited with status {returncode} while starting on port "
                    f"{self._port}; end of its log:\n{_tail(log)}"
                )
                if "address already in use" in log:
                    raise _PortInUseError(message)
                raise ServerStartError(message)
            try:
                version = self.ping(timeout=0.25)
            except (OSError, http.client.HTTPException, InfluxDBServerError):
                answered_since = None
            else:
                # Another server may hold the port influxd is about to fail to
                # bind, and answer the ping: only trust it once influxd says all
                # its services are listening, or has survived for a while.
                now = time.monotonic()
                answered_since = answered_since or now
                if (
                    _READY_MARKER in _read_log(log_path, offset)
                    or now - answered_since >= _READY_GRACE
                ):
                    self._version = version
                    return
            if time.monotonic() > deadline:
                self._terminate(proc)
                raise ServerStartError(
                    f"influxd did not answer {self.url}/ping within {self._startup_timeout} s; "
                    f"end of its log:\n{_tail(_read_log(log_path, offset))}"
                )
            time.sleep(0.02)

    def _set_up(self) -> None:
        """First start only: create the admin user and the UDP database."""
        if self._auth:
            # InfluxDB 1.x lets anyone create the first user, if it is an admin.
            assert self._password is not None
            self.query(
                f"CREATE USER {_quote_identifier(_ADMIN_USERNAME)} "
                f"WITH PASSWORD '{self._password}' WITH ALL PRIVILEGES"
            )
        if self._udp:
            self.create_database(self._udp_database)

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        _terminate(proc, self._stop_timeout)
        self._forget(proc)

    def _forget(self, proc: subprocess.Popen[bytes]) -> None:
        _live_processes.pop(proc.pid, None)
        if self._proc is proc:
            self._proc = None
            self._paused = False

    def _discard(self) -> None:
        if self._proc is not None:
            self._terminate(self._proc)
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
            self._ca_file = None


def server_from_env(
    *,
    auth: bool = False,
    udp: bool = False,
    udp_database: str = "udp",
    unix_socket: bool = False,
    tls: bool = False,
    extra_config: Mapping[str, ConfigValue | Mapping[str, ConfigValue]] | None = None,
    influxd: str | None = None,
) -> InfluxDBServer:
    """Return the external server named by ``$INFLUXKIT_TEST_URL``, if set, or a
    new private :class:`InfluxDBServer` with these options (not yet started).

    The same as ``InfluxDBServer(...)`` with these options, which reads
    ``$INFLUXKIT_TEST_URL`` itself; kept for the code that calls it. *auth*, *udp*,
    *udp_database*, *unix_socket*, *tls*, *extra_config* and *influxd* are the
    parameters of :class:`InfluxDBServer`.

    :raises ExternalServerError: if ``$INFLUXKIT_TEST_URL`` is set and an option
        asks for something only a private server can do (*auth*, *udp*,
        *unix_socket*, *tls*, *extra_config*); a fixture can skip on it.

    Example::

        with server_from_env() as server:
            server.create_database("db")
    """
    return InfluxDBServer(
        auth=auth,
        udp=udp,
        udp_database=udp_database,
        unix_socket=unix_socket,
        tls=tls,
        extra_config=extra_config,
        influxd=influxd,
    )


def _refuse_private_options(
    why: str,
    *,
    auth: bool = False,
    udp: bool = False,
    unix_socket: bool = False,
    tls: bool = False,
    extra_config: Mapping[str, object] | None = None,
) -> None:
    """Raise :class:`ExternalServerError` if an option needs a private server.

    *why* ends the message: what names the external server instead.
    """
    wanted = [
        name
        for name, value in [
            ("auth", auth),
            ("udp", udp),
            ("unix_socket", unix_socket),
            ("tls", tls),
            ("extra_config", extra_config),
        ]
        if value
    ]
    if wanted:
        raise ExternalServerError(f"{', '.join(wanted)} needs a private server, but {why}")


# -- helpers ----------------------------------------------------------------------

# Processes still running, so that they die with the interpreter even if their
# InfluxDBServer was never stopped (its __del__ only warns).
_live_processes: dict[int, subprocess.Popen[bytes]] = {}


@atexit.register
def _stop_leftovers() -> None:
    for proc in list(_live_processes.values()):
        _terminate(proc, 5.0)
    _live_processes.clear()


def _terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is None:
        proc.terminate()
        if sys.platform != "win32":
            # A paused (SIGSTOPped) process only acts on SIGTERM once continued.
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGCONT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def _free_ports(*, tcp: int, udp: int = 0) -> tuple[list[int], list[int]]:
    """Ask the kernel for distinct free loopback ports.

    The sockets stay open until all ports are picked, so the ports differ; they
    are closed before influxd binds them, so another process may take one in
    between, hence the retries in :meth:`InfluxDBServer.start`.
    """
    with contextlib.ExitStack() as stack:
        ports: tuple[list[int], list[int]] = ([], [])
        for count, kind, picked in [
            (tcp, socket.SOCK_STREAM, ports[0]),
            (udp, socket.SOCK_DGRAM, ports[1]),
        ]:
            for _ in range(count):
                sock = stack.enter_context(socket.socket(socket.AF_INET, kind))
                sock.bind((_LOOPBACK, 0))
                picked.append(sock.getsockname()[1])
        return ports


def _make_certificate(directory: str) -> str:
    """Write server.pem and server.key for 127.0.0.1 and localhost; return the CA file."""
    cert_path = os.path.join(directory, "server.pem")
    key_path = os.path.join(directory, "server.key")
    try:
        import trustme
    except ImportError:
        pass
    else:
        ca = trustme.CA()
        cert = ca.issue_cert(_LOOPBACK, "localhost")
        ca_path = os.path.join(directory, "ca.pem")
        ca.cert_pem.write_to_path(ca_path)
        cert.private_key_pem.write_to_path(key_path)
        with open(cert_path, "wb") as file:
            for blob in cert.cert_chain_pems:
                file.write(blob.bytes())
        return ca_path
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ServerStartError("tls=True needs the trustme package or the openssl command")
    # A self-signed certificate is its own trust root.
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        f"subjectAltName=IP:{_LOOPBACK},DNS:localhost",
        "-addext",
        "keyUsage=critical,digitalSignature,keyCertSign",
        "-addext",
        "extendedKeyUsage=serverAuth",
        "-keyout",
        key_path,
        "-out",
        cert_path,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServerStartError(f"openssl could not make a certificate:\n{result.stderr}")
    return cert_path


def _read_log(path: str, offset: int) -> str:
    try:
        with open(path, "rb") as file:
            file.seek(offset)
            return file.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _tail(log: str) -> str:
    lines = log.rstrip().splitlines()[-_LOG_TAIL_LINES:]
    tail = "\n".join(lines)[-_LOG_TAIL_CHARS:]
    return tail or "(empty)"


def _text(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace").strip()[:500]


def _quote_identifier(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _toml_value(value: ConfigValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # A JSON string is a valid TOML basic string.
    return json.dumps(value)


def _wait_for_state(pid: int, *, stopped: bool, timeout: float = 5.0) -> None:
    """Wait until all threads of ``pid`` are stopped (state T), or none is (Linux)."""
    task_dir = f"/proc/{pid}/task"
    if not os.path.isdir(task_dir):  # not Linux: give the signal a moment
        time.sleep(0.1)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for task in os.listdir(task_dir):
            try:
                with open(f"{task_dir}/{task}/stat") as stat:
                    # The state follows the command name, which is in parentheses.
                    states.append(stat.read().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                continue
        if states and all((state in "Tt") == stopped for state in states):
            return
        time.sleep(0.005)
    raise InfluxDBServerError(
        f"influxd (pid {pid}) did not {'stop' if stopped else 'continue'} within {timeout} s"
    )
