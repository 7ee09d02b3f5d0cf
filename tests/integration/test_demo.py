"""``make demo``'s program against a server of the user's: INFLUX_URL with a database."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from influxkit.testing import InfluxDBServer
from influxkit.testing.pytest_plugin import InfluxDBServerFactory

DEMO = pathlib.Path(__file__).parents[2] / "examples" / "demo.py"
READINGS = 12 * 86_400


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("influxkit_demo_program", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclass-like classes look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_server(influxdb_server_factory: InfluxDBServerFactory) -> Iterator[InfluxDBServer]:
    """A server of this module's own: the demo's two million points, and their removal,
    keep an influxd busy for a while after, which the suite's shared server is spared."""
    server = influxdb_server_factory(private=True)
    yield server
    server.stop()


@pytest.fixture
def demo_database(demo_server: InfluxDBServer) -> Iterator[str]:
    name = f"demo_{uuid.uuid4().hex}"
    demo_server.create_database(name)
    yield name
    demo_server.drop_database(name)


def measurements(server: InfluxDBServer, db: str) -> list[str]:
    series = server.query("SHOW MEASUREMENTS", db=db)["results"][0].get("series", [])
    return [row[0] for s in series for row in s["values"]]


def count(server: InfluxDBServer, db: str, measurement: str) -> int:
    answer: dict[str, Any] = server.query(f'SELECT count("temperature") FROM "{measurement}"',
                                          db=db)
    return int(answer["results"][0]["series"][0]["values"][0][1])


def databases(server: InfluxDBServer) -> list[str]:
    series = server.query("SHOW DATABASES")["results"][0]["series"][0]
    return [row[0] for row in series.get("values", [])]


def url_of(server: InfluxDBServer, db: str) -> str:
    return f"http://{server.host}:{server.port}/{db}"


def test_the_demo_uses_the_database_of_the_url_and_keeps_only_when_asked(
        demo: ModuleType, demo_server: InfluxDBServer, demo_database: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    influxdb_server, database = demo_server, demo_database
    influxdb_server.write("mine value=1", db=database)  # the user's own data
    monkeypatch.setenv("INFLUX_URL", url_of(influxdb_server, database))

    assert demo.main(["--keep"]) == 0
    out = capsys.readouterr().out
    assert f"db='{database}'" in out
    assert sorted(measurements(influxdb_server, database)) == [
        "influxkit_demo_climate", "influxkit_demo_reading", "mine"]
    assert count(influxdb_server, database, "influxkit_demo_climate") == READINGS
    assert count(influxdb_server, database, "influxkit_demo_reading") == READINGS
    # The table's columns come in the order its header names them, in every room.
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("every 3 hours"))
    assert header.index("temperature") < header.index("humidity") < header.index("battery_mv")
    columns = lines[lines.index(header) + 2].split()
    assert columns == ["temperature", "humidity", "battery_mv"] * 5
    assert f"kept: influxkit_demo_climate and influxkit_demo_reading in database " \
           f"'{database}'" in out

    # Measurements of the demo's names are there now: it stops before writing anything.
    influxdb_server.write("influxkit_demo_climate temperature=1 1", db=database)
    assert demo.main([]) == 1
    assert "does not touch measurements it did not write" in capsys.readouterr().err
    assert count(influxdb_server, database, "influxkit_demo_climate") == READINGS + 1

    # Without --keep, what the demo wrote is removed and the user's data stays.
    influxdb_server.query('DROP MEASUREMENT "influxkit_demo_climate"', db=database)
    influxdb_server.query('DROP MEASUREMENT "influxkit_demo_reading"', db=database)
    assert demo.main([]) == 0
    assert "removed: influxkit_demo_climate and influxkit_demo_reading" in \
        capsys.readouterr().out
    assert measurements(influxdb_server, database) == ["mine"]


def test_a_database_the_demo_creates_is_dropped(
        demo: ModuleType, demo_server: InfluxDBServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    influxdb_server = demo_server
    # The URL names no database: the demo makes influxkit_demo, and drops it at the end.
    names = databases(influxdb_server)
    assert "influxkit_demo" not in names
    monkeypatch.setenv("INFLUX_URL", f"http://{influxdb_server.host}:{influxdb_server.port}")
    with monkeypatch.context() as patched:
        # Written as the demo writes, without the day of readings.
        patched.setattr(demo, "demonstrate", _written_once)
        assert demo.main([]) == 0
    assert "removed: database 'influxkit_demo', which the demo created" in \
        capsys.readouterr().out
    names = databases(influxdb_server)
    assert "influxkit_demo" not in names


async def _written_once(client: Any) -> None:
    await client.write({"measurement": "influxkit_demo_climate", "fields": {"temperature": 1.0}})
    assert await client.query('SELECT * FROM "influxkit_demo_climate"') is not None
