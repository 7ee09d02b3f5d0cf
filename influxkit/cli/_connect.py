"""Which server a command talks to, and with which credentials.

The server comes from the first of: ``--url``; the profile named by ``--profile`` (or
``$INFLUXKIT_PROFILE``) in the configuration file; the environment, when it names a
server (``$INFLUX_URL``, ``$INFLUX_HOST`` or ``$INFLUXDB_V2_URL``, read by
:meth:`InfluxDBClient.from_env`, with every other variable it reads); the
configuration file's ``[default]`` profile; ``http://localhost:8086``.

Credentials never go on the command line, where every user of the machine can read
them (``ps``): a ``--url`` holding a password or a token is refused. They come from a
prompt (``--ask-password``, ``--ask-token``), the profile (``password``,
``password_file``, ``token``, ``token_file``) or the environment (``$INFLUX_PASSWORD``,
``$INFLUX_TOKEN``); ``--username`` and the URL's user name say who.

The configuration file is TOML, ``$XDG_CONFIG_HOME/influxkit/config.toml`` (by default
``~/.config/influxkit/config.toml``), or ``--config`` / ``$INFLUXKIT_CONFIG``; one table
per profile::

    [default]
    url = "http://localhost:8086/telemetry"

    [prod]
    url = "https://alice@influx.example.com/metrics"
    password_file = "~/.config/influxkit/prod.password"
    timeout = 10
"""

from __future__ import annotations

import importlib
import os
import stat
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from influxkit import InfluxDBClient

from ._errors import EXIT_USAGE, CliError

__all__ = ["ConnectionOptions", "config_path", "connect", "read_profile"]

# The keys of a profile: those passed to the client as they are, and the others.
_CLIENT_KEYS: Final = ("database", "username", "password", "token", "auth_scheme", "org",
                       "timeout", "verify_ssl", "gzip", "server")
_KEYS: Final = frozenset({"url", "password_file", "token_file", *_CLIENT_KEYS})
_SERVER_VARIABLES: Final = ("INFLUX_URL", "INFLUX_HOST", "INFLUXDB_V2_URL")
_SECRETS: Final = ("password", "token")


@dataclass
class ConnectionOptions:
    """The connection options of a command."""

    url: str | None = None
    database: str | None = None
    username: str | None = None
    profile: str | None = None
    config: str | None = None
    ask_password: bool = False
    ask_token: bool = False
    timeout: float | None = None


def config_path(environ: Mapping[str, str], given: str | None = None) -> str:
    """Where the configuration file is."""
    if given:
        return os.path.expanduser(given)
    if environ.get("INFLUXKIT_CONFIG"):
        return os.path.expanduser(environ["INFLUXKIT_CONFIG"])
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "influxkit", "config.toml")


def _load_toml(path: str) -> dict[str, Any]:
    try:
        toml: Any = importlib.import_module("tomllib")
    except ImportError:  # Python 3.10
        try:
            toml = importlib.import_module("tomli")
        except ImportError:
            raise CliError("reading the configuration file needs Python 3.11, or tomli: "
                           "pip install tomli", EXIT_USAGE) from None
    try:
        with open(path, "rb") as file:
            data: dict[str, Any] = toml.load(file)
    except OSError as exc:
        raise CliError(f"cannot read the configuration file {path}: {exc.strerror}",
                       EXIT_USAGE) from None
    except ValueError as exc:  # TOMLDecodeError; its message quotes no value
        raise CliError(f"the configuration file {path} is not valid TOML: {exc}",
                       EXIT_USAGE) from None
    return data


def read_profile(path: str, name: str | None, *, required: bool,
                 warn: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """The profile ``name`` (or ``default``) of the configuration file at ``path``;
    None when there is none and it is not ``required``.

    Raises:
        CliError: for a file that cannot be read, a missing profile that is required,
            or an unknown key (named; its value never shown).
    """
    if not os.path.exists(path):
        if required:
            raise CliError(f"no configuration file {path} (for the profile {name!r})",
                           EXIT_USAGE)
        return None
    data = _load_toml(path)
    chosen = name or "default"
    profile = data.get(chosen)
    if profile is None:
        if required:
            known = ", ".join(sorted(key for key, value in data.items()
                                     if isinstance(value, dict))) or "none"
            raise CliError(f"no profile {chosen!r} in {path} (its profiles: {known})",
                           EXIT_USAGE)
        return None
    if not isinstance(profile, dict):
        raise CliError(f"{path}: [{chosen}] must be a table of settings", EXIT_USAGE)
    unknown = sorted(set(profile) - _KEYS)
    if unknown:
        raise CliError(f"{path}: [{chosen}] has unknown key(s) {', '.join(unknown)} "
                       f"(known: {', '.join(sorted(_KEYS))})", EXIT_USAGE)
    if warn is not None and any(key in profile for key in _SECRETS):
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warn(f"{path} holds credentials and other users can read it: chmod 600 {path}")
    return dict(profile)


def _read_secret_file(path: str, what: str) -> str:
    try:
        with open(os.path.expanduser(path)) as file:
            return file.read().strip()
    except OSError as exc:
        raise CliError(f"cannot read the {what} file {path}: {exc.strerror}",
                       EXIT_USAGE) from None


def _check_url(url: str) -> None:
    """Refuse a URL given on the command line that holds a credential."""
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        return  # from_url says what is wrong, masking it
    query = urllib.parse.parse_qs(parts.query)
    if password is not None or "token" in query:
        what = "a password" if password is not None else "a token"
        raise CliError(
            f"--url holds {what}, which every user of this machine can read in the "
            f"process list: give the URL in $INFLUX_URL or a profile of the "
            f"configuration file, or leave the {what.split()[1]} out and use "
            f"--ask-{what.split()[1]} or ${'INFLUX_PASSWORD' if password else 'INFLUX_TOKEN'}",
            EXIT_USAGE)


def connect(options: ConnectionOptions, *, prompt: Callable[[str], str] | None = None,
            warn: Callable[[str], None] | None = None) -> InfluxDBClient[Any]:
    """A blocking client for a command (the environment is ``os.environ``, which
    :meth:`InfluxDBClient.from_env` reads).

    Raises:
        CliError: for a usage problem (a credential in ``--url``, a missing profile, a
            bad configuration file or URL).
    """
    env = os.environ
    kwargs: dict[str, Any] = {"mode": "blocking"}
    if options.timeout is not None:
        kwargs["timeout"] = options.timeout
    secrets: dict[str, str] = {}
    if options.ask_password or options.ask_token:
        if prompt is None:  # pragma: no cover - the command line passes click's
            raise CliError("cannot prompt here", EXIT_USAGE)
        if options.ask_password:
            secrets["password"] = prompt("Password")
        if options.ask_token:
            secrets["token"] = prompt("Token")
    environment = {"password": env.get("INFLUX_PASSWORD") or None,
                   "token": env.get("INFLUX_TOKEN") or env.get("INFLUXDB_V2_TOKEN") or None,
                   "username": env.get("INFLUX_USERNAME") or None}
    path = config_path(env, options.config)
    profile_name = options.profile or env.get("INFLUXKIT_PROFILE") or None
    profile: dict[str, Any] | None = None
    url: str | None = None
    if options.url is not None:
        _check_url(options.url)
        url = options.url
    elif profile_name is not None:
        profile = read_profile(path, profile_name, required=True, warn=warn)
    elif not any(env.get(name) for name in _SERVER_VARIABLES):
        profile = read_profile(path, None, required=options.config is not None, warn=warn)
    settings: dict[str, Any] = {}
    if profile is not None:
        url = profile.pop("url", None)
        for key, what in (("password_file", "password"), ("token_file", "token")):
            if key in profile:
                settings[what] = _read_secret_file(profile.pop(key), what)
        settings.update(profile)
    # Who and with what: the prompt, the profile, then the environment.
    for key in ("username", "password", "token"):
        value = secrets.get(key) or settings.get(key) or (
            environment[key] if url is not None else None)
        if value:
            settings[key] = value
    if options.username is not None:
        settings["username"] = options.username
    if options.database is not None:
        settings["database"] = options.database
    settings = {key: value for key, value in settings.items() if value is not None}
    if "database" in settings:
        settings["db"] = settings.pop("database")
    try:
        if url is not None:
            return InfluxDBClient.from_url(url, **settings, **kwargs)
        return InfluxDBClient.from_env(**settings, **kwargs)
    except ValueError as exc:  # the message masks credentials
        raise CliError(str(exc), EXIT_USAGE) from None
