"""Fixtures shared by influxkit's tests: real ``influxd`` servers.

Each server runs on free loopback ports with a temporary data directory (see
:mod:`influxkit.testing`). With ``INFLUXKIT_TEST_URL`` set, ``influxdb_server``
reuses that server instead, and the fixtures that need a private server skip.

- ``influxdb_server`` (session): plain HTTP, no auth.
- ``database`` (function): a fresh database on ``influxdb_server``, dropped after.
- ``influxdb_auth_server``, ``influxdb_udp_server``, ``influxdb_unix_server``,
  ``influxdb_tls_server`` (session, started on first use): with ``auth=True``,
  ``udp=True``, ``unix_socket=True``, ``tls=True``.
- ``influxdb_private_server`` (function): a server of the test's own, to
  restart, pause or stop.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

from influxkit.testing import TEST_URL_ENV, ExternalServerError, InfluxDBServer, server_from_env

# Property tests explore new examples on every run of a developer's machine (and keep
# the failures they find in .hypothesis/); in CI they run a fixed, seeded set, so that a
# submission's verdict does not depend on the draw.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _serve(
    *, auth: bool = False, udp: bool = False, unix_socket: bool = False, tls: bool = False
) -> Iterator[InfluxDBServer]:
    try:
        server = server_from_env(auth=auth, udp=udp, unix_socket=unix_socket, tls=tls)
    except ExternalServerError as exc:
        pytest.skip(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def influxdb_server() -> Iterator[InfluxDBServer]:
    """The suite's InfluxDB server: plain HTTP, no auth; ``$INFLUXKIT_TEST_URL`` if set."""
    yield from _serve()


@pytest.fixture
def database(influxdb_server: InfluxDBServer) -> Iterator[str]:
    """The name of a fresh database on ``influxdb_server``, dropped after the test."""
    name = f"test_{uuid.uuid4().hex}"
    influxdb_server.create_database(name)
    yield name
    influxdb_server.drop_database(name)


@pytest.fixture(scope="session")
def influxdb_auth_server() -> Iterator[InfluxDBServer]:
    """A server with auth enabled and an admin user (``admin_username``/``admin_password``)."""
    yield from _serve(auth=True)


@pytest.fixture(scope="session")
def influxdb_udp_server() -> Iterator[InfluxDBServer]:
    """A server with a UDP listener on ``udp_port`` writing into ``udp_database``."""
    yield from _serve(udp=True)


@pytest.fixture(scope="session")
def influxdb_unix_server() -> Iterator[InfluxDBServer]:
    """A server that also serves HTTP on the unix socket ``unix_socket``."""
    yield from _serve(unix_socket=True)


@pytest.fixture(scope="session")
def influxdb_tls_server() -> Iterator[InfluxDBServer]:
    """A server on HTTPS only, with a certificate trusted through ``ca_file``."""
    yield from _serve(tls=True)


@pytest.fixture
def influxdb_private_server() -> Iterator[InfluxDBServer]:
    """A server for this test alone, which it may restart, pause or stop."""
    if os.environ.get(TEST_URL_ENV):
        pytest.skip(f"needs a private server, but ${TEST_URL_ENV} is set")
    with InfluxDBServer() as server:
        yield server
