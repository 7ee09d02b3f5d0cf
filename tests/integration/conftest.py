"""Clients of the suite's server, on a fresh database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from influxkit import InfluxDBClient
from influxkit.testing import InfluxDBServer


@pytest.fixture
async def client(influxdb_server: InfluxDBServer, database: str) -> AsyncIterator[InfluxDBClient]:
    """An async client of ``influxdb_server`` on the test's database."""
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database) as client:
        yield client


@pytest.fixture
def blocking(influxdb_server: InfluxDBServer, database: str) -> Iterator[InfluxDBClient]:
    """The same in blocking mode."""
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        yield client
