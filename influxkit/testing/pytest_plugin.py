"""pytest fixtures: a real InfluxDB server for the session, a fresh database for each test.

``pip install 'influxkit[testing]'`` is all it takes: pytest loads this plugin by
itself through its ``pytest11`` entry point (``-p no:influxkit`` turns it off; with
``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, ``-p influxkit`` turns it on). Nothing starts
until a test asks for a fixture. The first one that needs a server starts ``influxd``
(InfluxDB 1.x, which must be installed: on ``PATH``, at ``/usr/bin/influxd`` or named
by ``$INFLUXKIT_INFLUXD``) on free loopback ports with a temporary data directory, as
:class:`~influxkit.testing.InfluxDBServer` does; the end of the session stops it and
removes the directory. Under pytest-xdist, each worker has a server of its own::

    def test_write_then_query(influxdb_blocking_client):
        influxdb_blocking_client.write("cpu,host=a load=0.5 1700000000000000000")
        answer = influxdb_blocking_client.query('SELECT "load" FROM "cpu"')
        assert answer["results"][0]["series"][0]["values"] == [[1700000000000000000, 0.5]]

Fixtures
--------

============================ ======== ==================================================
fixture                      scope    what it gives
============================ ======== ==================================================
``influxdb_server``          session  the :class:`~influxkit.testing.InfluxDBServer`
                                      the other fixtures use (the process fixture)
``influxdb_database``        function the name of a fresh database on it, dropped after
                                      the test: ``test_<test's name>_<random hex>``
``influxdb_blocking_client`` function an :class:`~influxkit.InfluxDBClient` in blocking
                                      mode, bound to ``influxdb_database``
``influxdb_client``          function the same in async mode (needs pytest-asyncio)
``influxdb_flavour``         function None: the real influxd; parametrized, a
                                      :class:`~influxkit.testing.flavours.ServerFlavour`
                                      (InfluxDB 2.7, 3.0, 3.6 or 3.9) that the database
                                      and the clients then go through
``influxdb_server_factory``  session  an :class:`InfluxDBServerFactory`: call it for a
                                      server of your own configuration
``influxdb_flavour_factory`` session  a :class:`ServerFlavourFactory`: call it for a
                                      flavour of your own (token, org, server)
============================ ======== ==================================================

The clients log in as the server's admin when it has one (``auth=True``, or
credentials in ``--influxdb-url``), trust its own certificate authority when it is
a ``tls=True`` server, and send the flavour's token through a flavour.

Every server flavour; another server for every fixture; servers of your own (each
call of the factory starts one, and all are stopped at the end of the session)::

    @pytest.mark.parametrize("influxdb_flavour", [None, "2.7", "3.9"], indirect=True)
    def test_on_every_server(influxdb_blocking_client):
        influxdb_blocking_client.write({"measurement": "cpu", "fields": {"load": 0.5}})

    @pytest.fixture(scope="session")          # in conftest.py: overrides the plugin's
    def influxdb_server(influxdb_server_factory):
        return influxdb_server_factory(auth=True)

    @pytest.fixture(scope="session")
    def udp_server(influxdb_server_factory):
        return influxdb_server_factory(udp=True, extra_config={"http": {"max-body-size": 1000}})

    @pytest.fixture                           # one to restart, pause or stop
    def own_server(influxdb_server_factory):
        server = influxdb_server_factory(private=True)
        yield server
        server.stop()

The async client
----------------

pytest runs async fixtures only through a plugin. ``influxdb_client`` is made with
``pytest_asyncio.fixture``: install pytest-asyncio (``pip install 'influxkit[testing]'
pytest-asyncio``), in strict mode (mark the tests ``@pytest.mark.asyncio``) or auto
mode. It runs on the event loop of your ``asyncio_default_fixture_loop_scope``, the
test's by default. Without pytest-asyncio, a test that asks for it fails and says
so. ``influxdb_blocking_client`` needs no plugin, and works in async tests too (it
runs on a thread of its own); with anyio, open an ``InfluxDBClient`` of
``influxdb_server`` on ``influxdb_database`` in an anyio fixture of your own.

An existing server instead: ``--influxdb-url``
----------------------------------------------

``--influxdb-url URL``, or the environment variable ``INFLUXKIT_TEST_URL`` (the option
wins), runs the same tests against the server at *URL*: ``http://host:8086``, or
``https://user:password@host:8086/influx`` with credentials and a reverse proxy's
path. Then no ``influxd`` is started, and none is stopped:

- ``influxdb_server`` is that server (``influxdb_server.external`` is true);
- each test still gets a fresh database, dropped after it;
- ``influxdb_server_factory()`` without options gives that server too, and the tests
  that ask it for what only a server of the run's own can do (``auth``, ``udp``,
  ``unix_socket``, ``tls``, ``extra_config``, ``private=True``) are skipped;
- the flavours work in front of it if it needs no authentication, and skip if it does.

The run's header then names the server (``influxdb: the server at ... (from
--influxdb-url); no influxd is started``).
"""
from __future__ import annotations

import os
import re
import secrets
import ssl
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn

import pytest

from influxkit.testing import (
    TEST_URL_ENV,
    ConfigValue,
    ExternalServerError,
    InfluxDBServer,
    _refuse_private_options,
)

try:
    import pytest_asyncio
except ImportError:  # influxdb_client then fails, saying why
    _HAVE_PYTEST_ASYNCIO = False
else:
    _HAVE_PYTEST_ASYNCIO = True

if TYPE_CHECKING:
    from influxkit import InfluxDBClient
    from influxkit.testing.flavours import ServerFlavour

__all__ = ["InfluxDBServerFactory", "ServerFlavourFactory"]

_NEEDS_PYTEST_ASYNCIO: Final = (
    "influxdb_client is an async fixture, which needs pytest-asyncio: "
    "`pip install pytest-asyncio`, or use influxdb_blocking_client"
)


# -- where the server is -------------------------------------------------------------


@dataclass(frozen=True)
class _External:
    """The server named by ``--influxdb-url`` or ``$INFLUXKIT_TEST_URL``."""

    url: str
    source: str  # "--influxdb-url" or "$INFLUXKIT_TEST_URL"

    @property
    def why(self) -> str:
        """The end of the messages of what it cannot do."""
        return f"{self.source} names an external one"

    def server(self) -> InfluxDBServer:
        """A handle on it, not started."""
        try:
            return InfluxDBServer.from_url(self.url)
        except ValueError as exc:
            raise ValueError(f"{self.source}: {exc}") from None


_EXTERNAL: Final = pytest.StashKey["_External | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("influxdb", "InfluxDB servers (influxkit)")
    group.addoption(
        "--influxdb-url",
        dest="influxdb_url",
        metavar="URL",
        default=None,
        help=(
            "run the tests against the InfluxDB server at URL "
            "(http://[user:password@]host:8086) instead of starting influxd; "
            f"default: ${TEST_URL_ENV}"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    option = config.getoption("influxdb_url")
    external: _External | None = None
    if option:
        external = _External(option, "--influxdb-url")
        try:
            external.server()
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    elif os.environ.get(TEST_URL_ENV):
        # Read once, at the start: a test that sets the variable changes nothing here.
        # Checked when a fixture uses it rather than now: this plugin is loaded in
        # every run, of projects that have nothing to do with InfluxDB too.
        external = _External(os.environ[TEST_URL_ENV], f"${TEST_URL_ENV}")
    config.stash[_EXTERNAL] = external


def pytest_report_header(config: pytest.Config) -> str | None:
    external = config.stash.get(_EXTERNAL, None)
    if external is None:
        return None
    try:
        url = external.server().url  # without the credentials
    except ValueError:
        url = "(not an http(s) URL)"
    return f"influxdb: the server at {url} (from {external.source}); no influxd is started"


# -- factories -----------------------------------------------------------------------


class InfluxDBServerFactory:
    """What the ``influxdb_server_factory`` fixture gives: call it to start a server.

    Each call starts a new server, running when returned; every one is stopped at
    the end of the session, and :meth:`~influxkit.testing.InfluxDBServer.stop`
    stops one sooner. With ``--influxdb-url`` (or ``$INFLUXKIT_TEST_URL``), a call
    without options returns that external server instead, and a call with options
    that need a private server skips the test.
    """

    def __init__(self, external: _External | None) -> None:
        self._external = external
        self._servers: list[InfluxDBServer] = []

    def __call__(
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
        private: bool = False,
    ) -> InfluxDBServer:
        """Start a server, as ``InfluxDBServer(...).start()`` does, and return it.

        The parameters are those of :class:`~influxkit.testing.InfluxDBServer`, and:

        :param private: a server of the caller's own even with ``--influxdb-url``,
            one it may restart, pause or stop: the test skips then.
        :raises influxkit.testing.ServerStartError: if influxd did not start, or the
            external server does not answer.

        Example::

            @pytest.fixture(scope="session")
            def auth_server(influxdb_server_factory):
                return influxdb_server_factory(auth=True)
        """
        external = self._external
        if external is None:
            server = InfluxDBServer(
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
        else:
            try:
                if private:
                    raise ExternalServerError(
                        f"the test needs a private server, but {external.why}"
                    )
                _refuse_private_options(
                    external.why,
                    auth=auth,
                    udp=udp,
                    unix_socket=unix_socket,
                    tls=tls,
                    extra_config=extra_config,
                )
            except ExternalServerError as exc:
                pytest.skip(str(exc))
            server = external.server()
        server.start()
        self._servers.append(server)
        return server

    def _stop(self) -> None:
        while self._servers:
            self._servers.pop().stop()


class ServerFlavourFactory:
    """What the ``influxdb_flavour_factory`` fixture gives: call it to start a flavour.

    Each call starts a new :class:`~influxkit.testing.flavours.ServerFlavour`, in
    front of ``influxdb_server`` unless told otherwise; every one is stopped at the
    end of the session, and its ``stop()`` stops one sooner.
    """

    def __init__(self, server: InfluxDBServer) -> None:
        self._server = server
        self._flavours: list[ServerFlavour] = []

    def __call__(
        self,
        name: str,
        *,
        server: InfluxDBServer | None = None,
        token: str | None = None,
        org: str | None = None,
    ) -> ServerFlavour:
        """Start the flavour *name* and return it.

        :param name: ``"2.7"``, ``"3.0"``, ``"3.6"`` or ``"3.9"``.
        :param server: the influxd behind it, which must need no authentication;
            by default ``influxdb_server``.
        :param token: the API token it asks for; by default
            :data:`~influxkit.testing.flavours.DEFAULT_TOKEN`.
        :param org: 2.x: its organisation; by default
            :data:`~influxkit.testing.flavours.DEFAULT_ORG`.
        :raises ValueError: for an unknown *name*, or a *server* with authentication.

        Example::

            def test_v2_write(influxdb_flavour_factory, influxdb_database):
                flavour = influxdb_flavour_factory("2.7", token="secret")
                flavour.create_database(influxdb_database)
        """
        flavour = _flavour(server or self._server, name, token=token, org=org)
        flavour.start()
        self._flavours.append(flavour)
        return flavour

    def _stop(self) -> None:
        while self._flavours:
            self._flavours.pop().stop()


def _flavour(
    server: InfluxDBServer, name: str, *, token: str | None = None, org: str | None = None
) -> ServerFlavour:
    """A ServerFlavour in front of *server*, not started."""
    from influxkit.testing.flavours import ServerFlavour

    if server.admin_username is not None:
        message = (
            f"the server flavours need an influxd without authentication, and the one at "
            f"{server.url} has it"
        )
        if server.external:
            pytest.skip(message)
        raise ValueError(message)
    options: dict[str, Any] = {"ssl_context": _ssl_context(server)}
    if token is not None:
        options["token"] = token
    if org is not None:
        options["org"] = org
    return ServerFlavour(server.url, name, **options)


def _ssl_context(server: InfluxDBServer) -> ssl.SSLContext | None:
    """What verifies the server's certificate: its own CA for a ``tls=True`` server."""
    if server.url.startswith("https:") and not server.external:
        return ssl.create_default_context(cafile=server.ca_file)
    return None


def _client_options(server: InfluxDBServer, flavour: ServerFlavour | None) -> dict[str, Any]:
    """The arguments of an InfluxDBClient of *server*, or of *flavour* in front of it."""
    if flavour is not None:
        return {"host": flavour.host, "port": flavour.port, "token": flavour.token}
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "path": urllib.parse.urlsplit(server.url).path or "/",
    }
    if server.url.startswith("https:"):
        options["ssl"] = _ssl_context(server) or True
    if server.admin_username is not None:
        options["username"] = server.admin_username
        options["password"] = server.admin_password
    return options


def _database_name(item: pytest.Item) -> str:
    """``test_<the test's name>_<10 hex digits>``: easy to trace back to its test on a
    shared server, ASCII letters, digits and ``_`` only (no quoting needed in
    InfluxQL), and 40 characters at most, which leaves room under InfluxDB 3's limit
    of 64 for a suffix (``f"{database}_other"``)."""
    name = getattr(item, "originalname", item.name).lower().removeprefix("test")
    stem = re.sub(r"[^a-z0-9]+", "_", name).strip("_")[:23].rstrip("_")
    return "_".join(part for part in ("test", stem, secrets.token_hex(5)) if part)


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def influxdb_server_factory(request: pytest.FixtureRequest) -> Iterator[InfluxDBServerFactory]:
    """Start InfluxDB servers of your own configuration: ``influxdb_server_factory(auth=True)``.

    Takes the options of :class:`~influxkit.testing.InfluxDBServer`, and
    ``private=True`` for a server the test may restart, pause or stop. The servers
    it started are stopped at the end of the session. With ``--influxdb-url``, a call
    without options gives that server, and one with options skips the test.
    """
    factory = InfluxDBServerFactory(request.config.stash.get(_EXTERNAL, None))
    yield factory
    factory._stop()


@pytest.fixture(scope="session")
def influxdb_server(influxdb_server_factory: InfluxDBServerFactory) -> InfluxDBServer:
    """The session's InfluxDB server: a private ``influxd`` (plain HTTP, no auth),
    started on first use and stopped at the end of the session; or, with
    ``--influxdb-url`` or ``$INFLUXKIT_TEST_URL``, the server there.

    Override it in a ``conftest.py`` to give every fixture another server.
    """
    return influxdb_server_factory()


@pytest.fixture(scope="session")
def influxdb_flavour_factory(influxdb_server: InfluxDBServer) -> Iterator[ServerFlavourFactory]:
    """Start server flavours of your own: ``influxdb_flavour_factory("2.7", token="t")``.

    Each is a :class:`~influxkit.testing.flavours.ServerFlavour` in front of
    ``influxdb_server`` (or of ``server=``), stopped at the end of the session.
    """
    factory = ServerFlavourFactory(influxdb_server)
    yield factory
    factory._stop()


@pytest.fixture
def influxdb_flavour(
    request: pytest.FixtureRequest, influxdb_server: InfluxDBServer
) -> Iterator[ServerFlavour | None]:
    """The flavour of the test's server: None for the real influxd, unless the fixture
    is parametrized, ``indirect=True``, with ``None`` or flavour names (``"2.7"``,
    ``"3.0"``, ``"3.6"``, ``"3.9"``). A flavour is a
    :class:`~influxkit.testing.flavours.ServerFlavour` in front of ``influxdb_server``,
    for this test alone; ``influxdb_database`` is made on it too, and the clients
    talk to it.
    """
    name = getattr(request, "param", None)
    if name is None:
        yield None
        return
    with _flavour(influxdb_server, name) as flavour:
        yield flavour


@pytest.fixture
def influxdb_database(
    request: pytest.FixtureRequest,
    influxdb_server: InfluxDBServer,
    influxdb_flavour: ServerFlavour | None,
) -> Iterator[str]:
    """The name of a database made for this test on ``influxdb_server`` (and on
    ``influxdb_flavour``: a 2.x bucket and its mapping, a 3.x database), dropped
    after the test: ``test_<the test's name>_<10 random hex digits>``.
    """
    name = _database_name(request.node)
    influxdb_server.create_database(name)
    try:
        if influxdb_flavour is not None:
            influxdb_flavour.create_database(name)
        yield name
    finally:
        influxdb_server.drop_database(name)


@pytest.fixture
def influxdb_blocking_client(
    influxdb_server: InfluxDBServer,
    influxdb_database: str,
    influxdb_flavour: ServerFlavour | None,
) -> Iterator[InfluxDBClient[Literal["blocking"]]]:
    """An :class:`~influxkit.InfluxDBClient` in blocking mode, of ``influxdb_server``
    (or of ``influxdb_flavour``), on ``influxdb_database``; closed after the test.
    """
    from influxkit import InfluxDBClient

    options = _client_options(influxdb_server, influxdb_flavour)
    with InfluxDBClient(db=influxdb_database, mode="blocking", **options) as client:
        yield client


if _HAVE_PYTEST_ASYNCIO:

    @pytest_asyncio.fixture
    async def influxdb_client(
        influxdb_server: InfluxDBServer,
        influxdb_database: str,
        influxdb_flavour: ServerFlavour | None,
    ) -> AsyncIterator[InfluxDBClient[Literal["async"]]]:
        """An async :class:`~influxkit.InfluxDBClient` of ``influxdb_server`` (or of
        ``influxdb_flavour``), on ``influxdb_database``; closed after the test.
        Needs pytest-asyncio.
        """
        from influxkit import InfluxDBClient

        options = _client_options(influxdb_server, influxdb_flavour)
        async with InfluxDBClient(db=influxdb_database, **options) as client:
            yield client

else:

    @pytest.fixture
    def influxdb_client() -> NoReturn:
        """An async :class:`~influxkit.InfluxDBClient`, which needs pytest-asyncio:
        without it, the test fails and says so."""
        pytest.fail(_NEEDS_PYTEST_ASYNCIO, pytrace=False)
