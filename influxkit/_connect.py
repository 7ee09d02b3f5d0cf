"""Connecting: clients made from one URL or from the environment, and UDP writes, for
:class:`~influxkit.InfluxDBClient`.

The URL forms are listed in :meth:`ConnectMixin.from_url`. Reading a URL is a pure
function, :func:`parse_url`, from the URL to the constructor's arguments; the
environment is read the same way, by :func:`environment_options`. Where the path
is concerned, the rule is the one of database URLs (the last segment names the
database), and what comes before it is the API's prefix, for a server behind a
reverse proxy. Error messages show URLs without their credentials and options.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from ._errors import InfluxDBConnectionError
from ._udp import BURST_BYTES, BURST_PAUSE, MAX_DATAGRAM_BYTES, datagrams

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "URL_OPTIONS",
    "ConnectMixin",
    "environment_options",
    "parse_url",
]

logger = logging.getLogger("influxkit")

_C = TypeVar("_C", bound="ConnectMixin")

# Scheme: (HTTPS, the HTTP port when the URL gives none).
_SCHEMES: Final[dict[str, tuple[bool, int | None]]] = {
    "http": (False, 80),
    "https": (True, 443),
    "influxdb": (False, 8086),
    "https+influxdb": (True, 8086),
    # The URL's port is the UDP port; the HTTP port is the constructor's.
    "udp+influxdb": (False, None),
    "unix": (False, None),
}

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def _text(name: str, value: str) -> str:
    if not value:
        raise ValueError(f"the URL option {name!r} is empty")
    return value


def _boolean(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"the URL option {name!r} is {value!r}: use true or false")


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"the URL option {name!r} is {value!r}: use a number of seconds above 0")
    return seconds


URL_OPTIONS: Final[dict[str, Callable[[str, str], Any]]] = {
    "db": _text,
    "gzip": _boolean,
    "mode": _text,
    "output": _text,
    "timeout": _seconds,
    "token": _text,
    "verify_ssl": _boolean,
}
"""The query options of a URL, each the constructor argument of the same name."""

# Unknown options that are easy to reach for, with where they belong.
_HINTS: Final = {
    "u": "credentials go before the host: http://user:password@host",
    "p": "credentials go before the host: http://user:password@host",
    "username": "credentials go before the host: http://user:password@host",
    "password": "credentials go before the host: http://user:password@host",
    "precision": "the precision is an argument of write()",
    "rp": "the retention policy is an argument of write()",
    "database": "the database is the option db, or the last segment of the path",
    "ssl_verify": "the option is verify_ssl",
    "udp_port": "the port of a udp+influxdb:// URL is the UDP port",
}

ENVIRONMENT_VARIABLES: Final = {
    "INFLUX_USERNAME": "username",
    "INFLUX_PASSWORD": "password",
    "INFLUX_TOKEN": "token",
    "INFLUX_DATABASE": "db",
}
"""The variables read by :meth:`ConnectMixin.from_env` besides ``INFLUX_URL``, and the
argument each one sets."""


def _shown(url: str) -> str:
    """The URL as error messages show it: without credentials or options."""
    head, separator, rest = url.partition("://")
    if not separator:
        head, rest = "", url
    else:
        head += separator
    # The last @ ends the credentials even when a password holds an unencoded @, / or #.
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    for mark in "?#":
        if mark in rest:
            rest = rest.partition(mark)[0] + mark + "..."
    return head + rest


def _decode(text: str, what: str, shown: str) -> str:
    try:
        return urllib.parse.unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"the {what} in URL {shown!r} is not percent-encoded UTF-8") from None


def _query_options(query: str, shown: str) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((_decode(name, "option name", shown), value))
    unknown = sorted({name for name, _ in pairs if name not in URL_OPTIONS})
    if unknown:
        hints = "".join(f"; {_HINTS[name]}" for name in unknown if name in _HINTS)
        raise ValueError(
            f"unknown URL option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))} in {shown!r}: the options are "
            f"{', '.join(URL_OPTIONS)}{hints}"
        )
    options: dict[str, Any] = {}
    for name, value in pairs:
        if name in options:
            raise ValueError(f"the URL option {name!r} is given twice in {shown!r}")
        # The token's value is never shown: it is a secret.
        what = "token" if name == "token" else f"value of {name!r}"
        options[name] = URL_OPTIONS[name](name, _decode(value, what, shown))
    return options


def parse_url(url: str) -> dict[str, Any]:
    """Read a URL into the arguments of :class:`~influxkit.InfluxDBClient`.

    The forms are in this module's docstring.

    Raises:
        ValueError: for a URL that is not one of the forms, naming what is wrong
            (and never showing the credentials).
    """
    if not isinstance(url, str):
        raise TypeError(f"the URL must be a str, not {type(url).__name__}")
    url = url.strip()
    shown = _shown(url)
    if "://" not in url:
        raise ValueError(f"URL {shown!r} has no scheme: start it with one of "
                         + ", ".join(f"{scheme}://" for scheme in _SCHEMES))
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        # Some of urllib's messages quote the whole network location, password included.
        detail = "" if "@" in url else f" ({exc})"
        raise ValueError(f"URL {shown!r} cannot be read{detail}") from None
    scheme = parts.scheme
    if scheme not in _SCHEMES:
        raise ValueError(f"unsupported scheme {scheme!r} in URL {shown!r}: use one of "
                         + ", ".join(f"{known}://" for known in _SCHEMES))
    if parts.fragment or url.endswith("#"):
        raise ValueError(f"URL {shown!r} has a '#', which ends a URL: write a '#' in a "
                         "password or a database as %23")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"URL {shown!r} has an invalid port") from None
    if port == 0:
        raise ValueError(f"URL {shown!r} has port 0")
    options = _query_options(parts.query, shown)
    if parts.username is not None:
        options["username"] = _decode(parts.username, "user name", shown)
        options["password"] = _decode(parts.password or "", "password", shown)
    https, default_port = _SCHEMES[scheme]
    if scheme == "unix":
        if parts.hostname or port is not None:
            raise ValueError(
                f"URL {shown!r}: a unix socket URL has no host; write the socket's absolute "
                "path after unix:// (three slashes), as in unix:///var/run/influxdb.sock?db=mydb"
            )
        socket_path = _decode(parts.path, "socket path", shown)
        if not socket_path.strip("/"):
            raise ValueError(f"URL {shown!r} names no socket: write unix:///path/to/socket")
        options["unix_socket"] = socket_path
        return options
    if not parts.hostname:
        raise ValueError(f"URL {shown!r} has no host")
    options["host"] = parts.hostname
    if scheme == "udp+influxdb":
        options["use_udp"] = True
        if port is not None:
            options["udp_port"] = port
    else:
        options["port"] = port or default_port
    if https:
        options["ssl"] = True
    prefix = parts.path
    if "db" not in options:
        prefix, _, last = prefix.rpartition("/")
        if last:
            options["db"] = _decode(last, "database", shown)
    if prefix.strip("/"):
        options["path"] = prefix
    return options


def environment_options(environ: Mapping[str, str]) -> dict[str, Any]:
    """The arguments of :class:`~influxkit.InfluxDBClient` that the environment gives.

    ``INFLUX_URL`` is read as by :func:`parse_url`; each variable of
    :data:`ENVIRONMENT_VARIABLES` replaces its own part of it. Empty variables count
    as unset.
    """
    options: dict[str, Any] = {}
    url = environ.get("INFLUX_URL")
    if url:
        try:
            options = parse_url(url)
        except ValueError as exc:
            raise ValueError(f"$INFLUX_URL: {exc}") from None
    for variable, keyword in ENVIRONMENT_VARIABLES.items():
        value = environ.get(variable)
        if value:
            options[keyword] = value
    return options


def _merge(options: dict[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if "database" in kwargs:
        # The constructor takes db before database: a database given here must win
        # over the URL's db.
        options.pop("db", None)
    return {**options, **kwargs}


class ConnectMixin:
    """The constructors from a URL or the environment, and UDP sending, of
    :class:`~influxkit.InfluxDBClient`."""

    host: str
    udp_port: int

    max_datagram_bytes: int = MAX_DATAGRAM_BYTES
    """The size limit of the UDP datagrams of writes with ``use_udp``: 1,400 bytes
    unless set, which Ethernet carries unfragmented, tunnel headers included; at most
    65,507. Lines are never cut: a longer line is refused before anything is sent.
    Datagrams go out in bursts of 16 kB, 1 ms apart (at most about 16 MB/s), so as not
    to overrun the listener's socket buffer: UDP has no flow control."""

    @classmethod
    def from_url(cls: type[_C], url: str, **kwargs: Any) -> _C:
        """Make a client from one URL.

        Args:
            url: the server, credentials, database and options, in one of these forms
                (``[...]`` is optional)::

                    http://[user[:password]@]host[:port][/prefix...][/database][?options]
                    https://...             (HTTPS)
                    influxdb://...          (http; port 8086 unless given)
                    https+influxdb://...    (https; port 8086 unless given)
                    udp+influxdb://host[:udp_port][/database][?options]
                    unix:///path/to/influxdb.sock[?db=database&options]
                    unix://user:password@/path/to/influxdb.sock[?options]

                ``http://`` and ``https://`` without a port mean 80 and 443.
                ``udp+influxdb://`` sends writes as UDP datagrams to its port (4444
                unless given) and queries over HTTP on port 8086 (or ``port=...``).
                The last segment of the path names the database, what comes before it
                is the API's path prefix; with the ``db`` option the whole path is the
                prefix. Credentials and values are percent-decoded (``%40`` for ``@``,
                ``%3A`` for ``:``, ``%2F`` for ``/``, ``%25`` for ``%``, ``%23`` for
                ``#``); ``+`` is a plus sign. The options: ``db``, ``token``,
                ``timeout`` (seconds), ``verify_ssl``, ``gzip`` (``true``/``false``),
                ``mode``, ``output``.
            **kwargs: arguments of :class:`~influxkit.InfluxDBClient`; they win over
                the URL.

        Returns:
            The client.

        Raises:
            ValueError: for a URL not of these forms, or an unknown or invalid option,
                naming it. Messages never show the password or the token.

        Example::

            client = InfluxDBClient.from_url(
                "https://alice:s3cr%40t@influx.example.com/influx/metrics?timeout=10")
        """
        return _construct(cls, _merge(parse_url(url), kwargs))

    @classmethod
    def from_dsn(cls: type[_C], dsn: str, **kwargs: Any) -> _C:
        """:meth:`from_url` under influxdb-python's name.

        One difference: the port of a ``udp+influxdb://`` URL is the UDP port here
        (influxdb-python reads it as the HTTP port and takes ``udp_port=`` for UDP);
        ``udp_port=`` still wins, and the HTTP port is ``port=`` (8086 by default).
        """
        return _construct(cls, _merge(parse_url(dsn), kwargs))

    @classmethod
    def from_env(cls: type[_C], **kwargs: Any) -> _C:
        """Make a client from environment variables.

        ``INFLUX_URL`` gives the server as for :meth:`from_url` (by default the
        constructor's, ``http://localhost:8086``); ``INFLUX_USERNAME``,
        ``INFLUX_PASSWORD``, ``INFLUX_TOKEN`` and ``INFLUX_DATABASE`` each replace
        their part of it. Empty variables count as unset.

        Args:
            **kwargs: arguments of :class:`~influxkit.InfluxDBClient`; they win over
                the environment.

        Raises:
            ValueError: for an invalid ``INFLUX_URL``, naming the variable.

        Example::

            # INFLUX_URL=https://influx.example.com:8086/metrics INFLUX_PASSWORD=...
            client = InfluxDBClient.from_env(mode="blocking")
        """
        return _construct(cls, _merge(environment_options(os.environ), kwargs))

    async def _send_udp(self, blocks: list[bytes], precision: str) -> None:
        """Send encoded line protocol blocks to the server's UDP listener.

        The listener answers nothing, so the server never reports an error (a point
        it cannot parse or store is dropped), and it writes into the database and
        retention policy of its own configuration, reading timestamps in its own
        ``precision`` (nanoseconds unless configured): a write's ``precision`` must be
        that one, and its ``db`` and ``rp`` do not apply. Datagrams go out in bursts
        (see :data:`~influxkit._udp.BURST_BYTES`); this returns once every one is
        handed to the operating system.

        Raises:
            LineProtocolError: for a line longer than :attr:`max_datagram_bytes`,
                before anything is sent.
            InfluxDBConnectionError: when the host cannot be resolved, or the
                operating system reports a datagram lost (no listener on the port).
        """
        del precision  # timestamps were encoded in it; the listener has its own setting
        packets = await asyncio.to_thread(datagrams, blocks, self.max_datagram_bytes)
        if not packets:
            logger.debug("write: no points to send")
            return
        await _send_datagrams(self.host, self.udp_port, packets)
        logger.debug("UDP %s:%d <- %d datagram(s), %d bytes", self.host, self.udp_port,
                     len(packets), sum(map(len, packets)))


def _construct(cls: type[_C], options: dict[str, Any]) -> _C:
    # The mixin itself takes no arguments; the client class it is part of does.
    factory: Callable[..., _C] = cls
    return factory(**options)


class _Sender(asyncio.DatagramProtocol):
    """Notes the errors the operating system reports and when the transport is done."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.errors: list[Exception] = []
        self.closed = loop.create_future()

    def error_received(self, exc: Exception) -> None:
        self.errors.append(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.errors.append(exc)
        if not self.closed.done():
            self.closed.set_result(None)


async def _send_datagrams(host: str, port: int, packets: list[bytes]) -> None:
    loop = asyncio.get_running_loop()
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        transport, sender = await loop.create_datagram_endpoint(
            lambda: _Sender(loop), remote_addr=(host, port))
    except OSError as exc:
        raise InfluxDBConnectionError(
            f"UDP {where}: {exc.__class__.__name__}: {exc}") from exc
    try:
        burst = 0
        for packet in packets:
            if burst + len(packet) > BURST_BYTES:
                await asyncio.sleep(BURST_PAUSE)
                burst = 0
            transport.sendto(packet)
            burst += len(packet)
    finally:
        # Datagrams the socket could not take at once are sent before it closes.
        transport.close()
    await sender.closed
    if sender.errors:
        error = sender.errors[0]
        raise InfluxDBConnectionError(
            f"UDP {where}: datagrams were lost: {error.__class__.__name__}: {error} "
            "(is the server's UDP listener on this port?)"
        ) from error
