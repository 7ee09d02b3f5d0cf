"""URLs: the client's options read from one URL or from the environment, and URLs shown
without their credentials.

The URL forms are listed in :meth:`InfluxDBClient.from_url`. Reading a URL is a pure
function, :func:`parse_url`, from the URL to the constructor's arguments; the
environment is read the same way, by :func:`environment_options`. Where the path
is concerned, the rule is the one of database URLs (the last segment names the
database), and what comes before it is the API's prefix, for a server behind a
reverse proxy. Error messages show URLs without their credentials and options.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "URL_OPTIONS",
    "URL_VARIABLES",
    "environment_options",
    "merge_options",
    "parse_url",
    "safe_url",
    "without_userinfo",
]

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


def _positive(value: str) -> float | None:
    """A finite number above 0, or None."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _seconds(name: str, value: str) -> float:
    seconds = _positive(value)
    if seconds is None:
        raise ValueError(f"the URL option {name!r} is {value!r}: use a number of seconds above 0")
    return seconds


def _milliseconds(name: str, value: str) -> float:
    milliseconds = _positive(value)
    if milliseconds is None:
        raise ValueError(f"{value!r} is not a number of milliseconds above 0")
    return milliseconds / 1000


URL_OPTIONS: Final[dict[str, Callable[[str, str], Any]]] = {
    "auth_scheme": _text,
    "bucket": _text,
    "db": _text,
    "gzip": _boolean,
    "mode": _text,
    "org": _text,
    "output": _text,
    "server": _text,
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

#: The port InfluxDB 3.x listens on unless told otherwise.
INFLUXDB3_PORT: Final = 8181

# The server's URL, by the first of these set: influxkit's own, the official 3.x
# client's (a URL, or a host name) and the official 2.x client's.
URL_VARIABLES: Final = ("INFLUX_URL", "INFLUX_HOST", "INFLUXDB_V2_URL")

ENVIRONMENT_VARIABLES: Final[dict[str, tuple[str, Callable[[str, str], Any]]]] = {
    # The official 2.x client's, read first: influxkit's own win over them.
    "INFLUXDB_V2_ORG": ("org", _text),
    "INFLUXDB_V2_TOKEN": ("token", _text),
    "INFLUXDB_V2_TIMEOUT": ("timeout", lambda name, value: _milliseconds(name, value)),
    "INFLUXDB_V2_VERIFY_SSL": ("verify_ssl", _boolean),
    "INFLUX_USERNAME": ("username", _text),
    "INFLUX_PASSWORD": ("password", _text),
    "INFLUX_TOKEN": ("token", _text),
    "INFLUX_AUTH_SCHEME": ("auth_scheme", _text),
    "INFLUX_DATABASE": ("db", _text),
    "INFLUX_ORG": ("org", _text),
    "INFLUX_SERVER": ("server", _text),
}
"""The variables read by :meth:`InfluxDBClient.from_env` besides those of
:data:`URL_VARIABLES`, with the argument each one sets (``INFLUXDB_V2_TIMEOUT`` is in
milliseconds, as the official 2.x client reads it)."""


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
    for variable in URL_VARIABLES:
        url = environ.get(variable)
        if not url:
            continue
        bare = "://" not in url and variable == "INFLUX_HOST"
        if bare:
            url = f"http://{url}"  # a host name, perhaps with a port
        try:
            options = parse_url(url)
        except ValueError as exc:
            raise ValueError(f"${variable}: {exc}") from None
        if bare and not urllib.parse.urlsplit(url).port:
            options["port"] = INFLUXDB3_PORT  # the official 3.x client's servers
        break
    for variable, (keyword, read) in ENVIRONMENT_VARIABLES.items():
        value = environ.get(variable)
        if value:
            try:
                options[keyword] = read(variable, value)
            except ValueError as exc:
                raise ValueError(f"${variable}: {exc}") from None
    return options


def merge_options(options: dict[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a URL (or the environment), overridden by ``kwargs``."""
    if "database" in kwargs:
        # The constructor takes db before database: a database given here must win
        # over the URL's db.
        options.pop("db", None)
    return {**options, **kwargs}


# The user and password of a URL (``scheme://user:password@``), up to the last @ of
# its network location.
_USERINFO: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")

# Query parameters that carry credentials (InfluxDB's u and p, and tokens).
_SECRET_PARAMS: Final = frozenset({"u", "p", "token"})


def without_userinfo(text: str) -> str:
    """``text`` with the credentials of every URL in it left out."""
    return _USERINFO.sub(r"\1", text)


def safe_url(url: str, params: Mapping[str, str] | None) -> str:
    """The URL of a request as messages show it: without credentials."""
    url = without_userinfo(url)
    if not params:
        return url
    shown = "&".join(f"{k}={v}" for k, v in params.items() if k not in _SECRET_PARAMS)
    return f"{url}?{shown}" if shown else url
