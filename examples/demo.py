"""influxkit's demo: a day of per-second readings from a dozen sensors, in and out.

With ``INFLUX_URL`` unset it starts a throwaway local InfluxDB (``influxd`` must be
installed; ``make demo`` installs it). With ``INFLUX_URL`` set it uses that server, read
the way :meth:`influxkit.InfluxDBClient.from_url` reads it: credentials, options and the
database (``http://user:pass@host:8086/mydb``; ``influxkit_demo`` when the URL names
none, created if missing). It writes the readings twice, once as a pandas DataFrame
into ``influxkit_demo_climate`` and once as ``@lineprotocol`` objects into
``influxkit_demo_reading``, asks for statistics every three hours per room with an
InfluxQL aggregation and prints them.

On a server of yours it leaves nothing behind: the two measurements are dropped at the
end, and the database too when the demo created it. ``--keep`` (or
``INFLUX_DEMO_KEEP=1``) keeps them. Measurements of those names that are there already
are not touched: the demo stops first and says so.

Run it with ``make demo``, or ``.venv/bin/python examples/demo.py [--keep]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd

from influxkit import FLOAT, INT, MEASUREMENT, TAG, TIMEINT, InfluxDBClient, lineprotocol
from influxkit.testing import InfluxDBServer

DATABASE = "influxkit_demo"  # when INFLUX_URL names no database
CLIMATE = "influxkit_demo_climate"
READING = "influxkit_demo_reading"
COLUMNS = ["temperature", "humidity", "battery_mv"]  # the order of the table's header
SENSORS = [f"sensor-{n:02d}" for n in range(1, 13)]
ROOMS = ["lab", "lab", "lab", "office", "office", "office",
         "hall", "hall", "store", "store", "roof", "roof"]
START = pd.Timestamp("2026-06-21T00:00:00Z")
SECONDS = 86_400


@lineprotocol
class Reading(NamedTuple):
    """One reading, written through the class's generated encoder."""

    measurement: MEASUREMENT
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
    columns += [frame[name].tolist() for name in Reading._fields[2:]]
    for values in zip(*columns, strict=True):
        yield Reading(READING, *values)


class Kept(Exception):
    """The demo's measurements are on the server already: it stops before writing."""


async def run(client: InfluxDBClient[object], *, keep: bool) -> None:
    database = client.db
    created = database not in {row["name"] for row in await client.get_list_database()}
    if created:
        await client.create_database()
    else:
        there = {row["name"] for row in await client.get_list_measurements()}
        if there & {CLIMATE, READING}:
            raise Kept(f"database {database!r} already has "
                       f"{' and '.join(sorted(there & {CLIMATE, READING}))}; the demo "
                       "does not touch measurements it did not write")
    try:
        await demonstrate(client)
    finally:
        if keep:
            print(f"\nkept: {CLIMATE} and {READING} in database {database!r}")
        elif created:
            await client.drop_database()
            print(f"\nremoved: database {database!r}, which the demo created")
        else:
            await client.drop_measurement(CLIMATE)
            await client.drop_measurement(READING)
            print(f"\nremoved: {CLIMATE} and {READING} from database {database!r}")


async def demonstrate(client: InfluxDBClient[object]) -> None:
    readings = make_readings()
    print(f"{len(readings):,} readings from {len(SENSORS)} sensors over one day\n")

    started = time.perf_counter()
    await client.write(readings, measurement=CLIMATE, tag_columns=["sensor", "room"])
    elapsed = time.perf_counter() - started
    print(f"DataFrame -> {CLIMATE}:            {len(readings) / elapsed:>10,.0f} points/s")

    started = time.perf_counter()
    await client.write(as_objects(readings))
    elapsed = time.perf_counter() - started
    print(f"@lineprotocol objects -> {READING}: {len(readings) / elapsed:>10,.0f} points/s\n")

    counts = await client.query(f'SELECT count("temperature") FROM "{CLIMATE}"; '
                                f'SELECT count("temperature") FROM "{READING}"')
    stored = [int(next(iter(statement.values())).iloc[0, 0]) for statement in counts]
    print(f"stored: {CLIMATE}={stored[0]:,} {READING}={stored[1]:,}\n")

    hourly = await client.query(
        'SELECT mean("temperature") AS "temperature", max("humidity") AS "humidity", '
        f'last("battery_mv") AS "battery_mv" FROM "{CLIMATE}" '
        "WHERE time >= $start AND time < $end GROUP BY time(3h), \"room\"",
        params={"start": START.isoformat(), "end": (START + pd.Timedelta(days=1)).isoformat()},
    )
    print(f"every 3 hours, per room: {COLUMNS[0]} (mean, °C), {COLUMNS[1]} (max, %), "
          f"{COLUMNS[2]} (last, mV)")
    print(hourly_table(hourly).to_string())


def hourly_table(hourly: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One column group per room, its columns in the header's order, rows by time of day."""
    # One DataFrame per room (keys like 'influxkit_demo_climate,room=lab'), the tag a column.
    rooms = {key.split("=", 1)[1]: frame[COLUMNS] for key, frame in sorted(hourly.items())}
    table = pd.concat(rooms, axis=1).round({(room, "temperature"): 1 for room in rooms})
    table.index = table.index.strftime("%H:%M")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        default=os.environ.get("INFLUX_DEMO_KEEP", "") not in ("", "0"),
                        help="keep what the demo wrote on the server")
    keep = parser.parse_args(argv).keep
    url = os.environ.get("INFLUX_URL")
    with contextlib.ExitStack() as stack:
        if url:
            client = InfluxDBClient.from_url(url, output="dataframe")
            client.db = client.db or DATABASE
            print(f"using {client!r}")
        else:
            server = stack.enter_context(InfluxDBServer())
            print(f"started a throwaway InfluxDB {server.version} at {server.url}")
            client = InfluxDBClient.from_url(server.url, db=DATABASE, output="dataframe")
        try:
            asyncio.run(session(client, keep=keep))
        except Kept as exc:
            print(f"stopped: {exc}", file=sys.stderr)
            return 1
    return 0


async def session(client: InfluxDBClient[object], *, keep: bool) -> None:
    async with client:
        await run(client, keep=keep)


if __name__ == "__main__":
    sys.exit(main())
