"""influxkit's demo: a day of per-second readings from a dozen sensors, in and out.

With ``INFLUX_URL`` unset it starts a throwaway local InfluxDB (``influxd`` must be
installed; ``make demo`` installs it); with ``INFLUX_URL=http://host:8086`` it uses
that server. It writes the readings twice, once as a pandas DataFrame and once as
``@lineprotocol`` objects, then asks for hourly statistics per sensor with an
InfluxQL aggregation and prints them.

Run it with ``make demo``, or ``.venv/bin/python examples/demo.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import urllib.parse
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd

from influxkit import FLOAT, INT, TAG, TIMEINT, InfluxDBClient, lineprotocol
from influxkit.testing import InfluxDBServer

DATABASE = "influxkit_demo"
SENSORS = [f"sensor-{n:02d}" for n in range(1, 13)]
ROOMS = ["lab", "lab", "lab", "office", "office", "office",
         "hall", "hall", "store", "store", "roof", "roof"]
START = pd.Timestamp("2026-06-21T00:00:00Z")
SECONDS = 86_400


@lineprotocol
class Reading(NamedTuple):
    """One reading, written through the class's generated encoder."""

    time: TIMEINT
    sensor: TAG
    room: TAG
    temperature: FLOAT
    humidity: FLOAT
    battery_mv: INT


def make_readings() -> pd.DataFrame:
    """A day of per-second readings: daily temperature cycles, noise, draining batteries."""
    rng = np.random.default_rng(21)
    index = pd.date_range(START, periods=SECONDS, freq="s")
    hours = np.arange(SECONDS) / 3600
    frames = []
    for number, (sensor, room) in enumerate(zip(SENSORS, ROOMS, strict=True)):
        base = 18 + number * 0.4 + 4 * np.sin((hours - 9) / 24 * 2 * np.pi)
        frames.append(pd.DataFrame({
            "sensor": sensor,
            "room": room,
            "temperature": np.round(base + rng.normal(0, 0.3, SECONDS), 2),
            "humidity": np.round(45 + 10 * np.cos(hours / 24 * 2 * np.pi)
                                 + rng.normal(0, 1.5, SECONDS), 1),
            "battery_mv": (3300 - np.arange(SECONDS) // 900 - number).astype("int64"),
        }, index=index))
    return pd.concat(frames)


def as_objects(frame: pd.DataFrame) -> Iterator[Reading]:
    columns = [frame.index.as_unit("ns").asi8.tolist()]
    columns += [frame[name].tolist() for name in Reading._fields[1:]]
    for values in zip(*columns, strict=True):
        yield Reading(*values)


def client_options(url: str) -> dict[str, object]:
    parts = urllib.parse.urlsplit(url)
    options: dict[str, object] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (443 if parts.scheme == "https" else 8086),
        "ssl": parts.scheme == "https",
    }
    if parts.username:
        options["username"] = urllib.parse.unquote(parts.username)
        options["password"] = urllib.parse.unquote(parts.password or "")
    if os.environ.get("INFLUX_TOKEN"):
        options["token"] = os.environ["INFLUX_TOKEN"]
    return options


async def run(url: str) -> None:
    readings = make_readings()
    print(f"{len(readings):,} readings from {len(SENSORS)} sensors over one day\n")
    async with InfluxDBClient(db=DATABASE, output="dataframe", **client_options(url)) as client:
        await client.create_database()

        started = time.perf_counter()
        await client.write(readings, measurement="climate", tag_columns=["sensor", "room"])
        elapsed = time.perf_counter() - started
        print(f"DataFrame -> 'climate':            {len(readings) / elapsed:>10,.0f} points/s")

        started = time.perf_counter()
        await client.write(as_objects(readings), measurement="Reading")
        elapsed = time.perf_counter() - started
        print(f"@lineprotocol objects -> 'Reading': {len(readings) / elapsed:>10,.0f} points/s\n")

        counts = await client.query('SELECT count("temperature") FROM "climate"; '
                                    'SELECT count("temperature") FROM "Reading"')
        stored = [int(next(iter(statement.values())).iloc[0, 0]) for statement in counts]
        print(f"stored: climate={stored[0]:,} Reading={stored[1]:,}\n")

        hourly = await client.query(
            'SELECT mean("temperature") AS "temperature", max("humidity") AS "humidity", '
            'last("battery_mv") AS "battery_mv" FROM "climate" '
            "WHERE time >= $start AND time < $end GROUP BY time(3h), \"room\"",
            params={"start": START.isoformat(), "end": (START + pd.Timedelta(days=1)).isoformat()},
        )
    print("every 3 hours, per room: mean temperature (°C), max humidity (%), last battery (mV)")
    # One DataFrame per room (keys like 'climate,room=lab'), the tag as a column.
    table = pd.concat(
        {key.split("=", 1)[1]: frame.drop(columns="room") for key, frame in sorted(hourly.items())},
        axis=1,
    )
    table.index = table.index.strftime("%H:%M")
    with pd.option_context("display.width", 200, "display.precision", 1):
        print(table.swaplevel(axis=1).sort_index(axis=1).to_string())


def main() -> int:
    url = os.environ.get("INFLUX_URL")
    if url:
        print(f"using the InfluxDB at {url}")
        asyncio.run(run(url))
        return 0
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(InfluxDBServer())
        print(f"started a throwaway InfluxDB {server.version} at {server.url}")
        asyncio.run(run(server.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
