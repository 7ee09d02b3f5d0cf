"""What a durable spill directory costs: points per second through the batching writer
with ``spill_dir``, ``fsync=True`` (the default) and ``fsync=False``, and without a
spill directory for reference, by the number of points each ``write()`` hands over.

Run: ``python benchmarks/bench_spill.py [--dir DIR] [--seconds S] [--rounds N]``.

The writer sends to an engine in this process that takes every request at once, so
what is measured is the writer and the disk (encoding, each write's record in its
batch file, syncing, deleting the files once acknowledged), not a server. ``DIR``
(by default a fresh temporary directory) decides which disk is measured: give one on
the disk your spill directory will be on. Each case writes for ``S`` seconds (then
closes the writer: that time counts too); the table gives the median of ``N`` rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from influxkit._writer import AsyncWriter

T0 = 1_700_000_000_000_000_000  # 2023-11-14, in nanoseconds
PER_WRITE = (1, 10, 100, 5_000)


class InstantEngine:
    """A ``WriteEngine`` that takes every request at once."""

    default_tags: Mapping[str, Any] = {}
    max_request_bytes = 1 << 30

    def target(self, db: str | None) -> str:
        return db or "bench"

    async def post_lines(self, body: bytes, params: Mapping[str, str]) -> None:
        await asyncio.sleep(0)


def make_points(count: int) -> list[dict[str, Any]]:
    return [{"measurement": "cpu", "tags": {"host": f"server{i % 20:02d}", "region": "eu"},
             "fields": {"usage": i * 0.25, "count": i}, "time": T0 + i} for i in range(count)]


async def points_per_second(per_write: int, seconds: float, spill_dir: str | None,
                            fsync: bool) -> float:
    pool = make_points(max(per_write, 5_000))
    calls = ([pool[i] for i in range(len(pool))] if per_write == 1 else
             [pool[i:i + per_write] for i in range(0, len(pool) - per_write + 1, per_write)])
    writer = AsyncWriter(InstantEngine(), spill_dir=spill_dir, fsync=fsync,
                         batch_size=5_000, flush_interval=3600)
    written = 0
    start = time.perf_counter()
    async with writer:
        while time.perf_counter() - start < seconds:
            for data in calls[:max(1, 1_000 // per_write)]:
                await writer.write(data)
                written += per_write
    elapsed = time.perf_counter() - start
    assert writer.stats.points_written == written, writer.stats
    return written / elapsed


def filesystem(path: str) -> str:
    try:
        done = subprocess.run(["df", "-T", path], capture_output=True, text=True, check=True)
        device, kind = done.stdout.splitlines()[1].split()[:2]
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return "unknown"
    return f"{kind} on {device}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="where the spill directories are made")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    base = tempfile.mkdtemp(prefix="influxkit-spill-", dir=options.dir)
    print(f"{platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s); spill directories in {base} ({filesystem(base)})\n")
    cases = [("no spill_dir", False, False), ("fsync=False", True, False),
             ("fsync=True", True, True)]
    print("| points per write() | " + " | ".join(name for name, _, _ in cases) + " |")
    print("| ---: |" + " ---: |" * len(cases))
    try:
        for per_write in PER_WRITE:
            cells = []
            for _name, spill, fsync in cases:
                rates = []
                for number in range(options.rounds):
                    directory = os.path.join(base, f"{per_write}-{spill}-{fsync}-{number}")
                    rates.append(asyncio.run(points_per_second(
                        per_write, options.seconds, directory if spill else None, fsync)))
                    if spill:
                        shutil.rmtree(directory)
                cells.append(f"{statistics.median(rates):,.0f}")
            print(f"| {per_write:,} | " + " | ".join(cells) + " |", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("\npoints/s, median of", options.rounds, "rounds of", options.seconds, "s each",
          file=sys.stderr)


if __name__ == "__main__":
    main()
