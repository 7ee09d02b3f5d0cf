"""Fixtures shared by influxkit's tests: real ``influxd`` servers.

The servers come from influxkit's own pytest plugin (:mod:`influxkit.testing.pytest_plugin`,
loaded through its ``pytest11`` entry point): ``influxdb_server`` (session) runs on free
loopback ports with a temporary data directory, or is the server of ``--influxdb-url`` /
``$INFLUXKIT_TEST_URL``; then the fixtures that need a private server skip. Here, the
names the suite's tests use:

- ``database`` (function): ``influxdb_database``, a fresh database on ``influxdb_server``,
  dropped after the test.
- ``influxdb_auth_server``, ``influxdb_udp_server``, ``influxdb_unix_server``,
  ``influxdb_tls_server`` (session, started on first use): with ``auth=True``,
  ``udp=True``, ``unix_socket=True``, ``tls=True``.
- ``influxdb_private_server`` (function): a server of the test's own, to
  restart, pause or stop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from influxkit.testing import InfluxDBServer
from influxkit.testing.pytest_plugin import InfluxDBServerFactory

# pytester runs the plugin's tests (tests/integration/test_pytest_plugin.py) in pytest
# processes of their own; pytest_plugins is only allowed in this, the top conftest.
pytest_plugins = ["pytester"]

# Property tests explore new examples on every run of a developer's machine (and keep
# the failures they find in .hypothesis/); in CI they run a fixed, seeded set, so that a
# submission's verdict does not depend on the draw.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def database(influxdb_database: str) -> str:
    """The name of a fresh database on ``influxdb_server``, dropped after the test."""
    return influxdb_database


@pytest.fixture(scope="session")
def influxdb_auth_server(influxdb_server_factory: InfluxDBServerFactory) -> InfluxDBServer:
    """A server with auth enabled and an admin user (``admin_username``/``admin_password``)."""
    return influxdb_server_factory(auth=True)


@pytest.fixture(scope="session")
def influxdb_udp_server(influxdb_server_factory: InfluxDBServerFactory) -> InfluxDBServer:
    """A server with a UDP listener on ``udp_port`` writing into ``udp_database``."""
    return influxdb_server_factory(udp=True)


@pytest.fixture(scope="session")
def influxdb_unix_server(influxdb_server_factory: InfluxDBServerFactory) -> InfluxDBServer:
    """A server that also serves HTTP on the unix socket ``unix_socket``."""
    return influxdb_server_factory(unix_socket=True)


@pytest.fixture(scope="session")
def influxdb_tls_server(influxdb_server_factory: InfluxDBServerFactory) -> InfluxDBServer:
    """A server on HTTPS only, with a certificate trusted through ``ca_file``."""
    return influxdb_server_factory(tls=True)


@pytest.fixture
def influxdb_private_server(
    influxdb_server_factory: InfluxDBServerFactory,
) -> Iterator[InfluxDBServer]:
    """A server for this test alone, which it may restart, pause or stop."""
    server = influxdb_server_factory(private=True)
    yield server
    server.stop()
