"""Clients of the suite's server, on a fresh database per test.

A test marked ``every_server`` (a module's ``pytestmark``) that takes the ``client`` or
``blocking`` fixture runs once per server: the real influxd 1.6.7, then each flavour of
:mod:`influxkit.testing.flavours` (2.7, 3.0, 3.6, 3.9) in front of it. The test's
database is made on the flavour (a 2.x bucket and its DBRP mapping, a 3.x database)
and is the influxd database of the same name, where the test reads what was stored.
A test of what 1.x alone does is marked ``influxdb1``, with the reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from influxkit import InfluxDBClient
from influxkit.testing import InfluxDBServer
from influxkit.testing.flavours import FLAVOURS, ServerFlavour
from influxkit.testing.pytest_plugin import _client_options

REAL = "1.6.7"
EVERY_SERVER = (REAL, *FLAVOURS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker("every_server") is not None
    alone = metafunc.definition.get_closest_marker("influxdb1") is not None
    if marked and not alone and {"client", "blocking"} & set(metafunc.fixturenames):
        metafunc.fixturenames.append("flavour")
        metafunc.parametrize("flavour", EVERY_SERVER, indirect=True, scope="module")


@pytest.fixture(scope="module")
def flavour(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer
            ) -> Iterator[ServerFlavour | None]:
    """The flavour of the test's server (None: the real influxd)."""
    name = getattr(request, "param", REAL)
    if name == REAL:
        yield None
        return
    with ServerFlavour(influxdb_server.url, name) as proxy:
        yield proxy


@pytest.fixture
def served_database(database: str, flavour: ServerFlavour | None) -> str:
    """``database``, made on the flavour too (a 2.x bucket and mapping, a 3.x database)."""
    if flavour is not None:
        flavour.create_database(database)
    return database


@pytest.fixture
async def client(influxdb_server: InfluxDBServer, served_database: str,
                 flavour: ServerFlavour | None) -> AsyncIterator[InfluxDBClient]:
    """An async client of ``influxdb_server`` (or of its flavour) on the test's database."""
    async with InfluxDBClient(db=served_database,
                              **_client_options(influxdb_server, flavour)) as client:
        yield client


@pytest.fixture
def blocking(influxdb_server: InfluxDBServer, served_database: str,
             flavour: ServerFlavour | None) -> Iterator[InfluxDBClient]:
    """The same in blocking mode."""
    with InfluxDBClient(db=served_database, mode="blocking",
                        **_client_options(influxdb_server, flavour)) as client:
        yield client
