"""Soak test of the batching writer: millions of points while the server restarts.

Run: ``.venv/bin/python benchmarks/soak.py [--points 3000000]`` (or ``make soak``).

A producer hands ``--points`` points (dicts, in lists of 10,000) to
``client.writer()`` while another thread restarts the throwaway server twice, at a
third and at two thirds of the way. At the end the server is asked for ``count(*)``,
which must equal the points handed over. Printed: points per second end to end, the
writer's counters, and the peak growth of the process's resident memory, next to the
bound the writer's buffer options set.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time

from influxkit import InfluxDBClient, RetryPolicy
from influxkit.testing import InfluxDBServer

CHUNK = 10_000


def status_kb(key: str) -> int:
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


async def soak(server: InfluxDBServer, total: int, buffer_points: int) -> dict[str, float]:
    restarts: list[float] = []
    progress = [0]

    def restarter() -> None:
        for fraction in (1 / 3, 2 / 3):
            while progress[0] < total * fraction:
                time.sleep(0.01)
            started = time.monotonic()
            server.restart()
            restarts.append(time.monotonic() - started)

    thread = threading.Thread(target=restarter, daemon=True)
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")
    baseline = status_kb("VmRSS")
    started = time.perf_counter()
    async with InfluxDBClient(host=server.host, port=server.port, db="soak") as client:
        writer = client.writer(batch_size=5_000, concurrency=2, max_buffer_points=buffer_points,
                               retry=RetryPolicy(retry_interval=0.1, max_retry_delay=2.0,
                                                 max_retry_time=120))
        async with writer:
            thread.start()
            for start in range(0, total, CHUNK):
                await writer.write([{"measurement": "m", "tags": {"k": f"s{i % 100}"},
                                     "fields": {"v": i, "f": i * 0.5}, "time": i}
                                    for i in range(start, min(total, start + CHUNK))])
                progress[0] = start + CHUNK
    elapsed = time.perf_counter() - started
    thread.join()
    answer = server.query('SELECT count(v) FROM "m"', db="soak", timeout=600)
    stored = answer["results"][0]["series"][0]["values"][0][1]
    return {"elapsed": elapsed, "stored": stored, "peak_mb": (status_kb("VmHWM") - baseline) / 1024,
            "restarts": len(restarts), **writer.stats.as_dict()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=3_000_000)
    parser.add_argument("--buffer-points", type=int, default=200_000)
    args = parser.parse_args()
    with InfluxDBServer() as server:
        server.create_database("soak")
        result = asyncio.run(soak(server, args.points, args.buffer_points))
    rate = args.points / result["elapsed"]
    print(f"points handed over: {args.points:,}; stored: {result['stored']:,} "
          f"({'ok' if result['stored'] == args.points else 'MISSING POINTS'})")
    print(f"server restarts: {result['restarts']}; {rate:,.0f} points/s end to end "
          f"({result['elapsed']:.1f} s)")
    print(f"peak memory growth: {result['peak_mb']:.0f} MB (buffer bound: "
          f"{args.buffer_points:,} points; one list of {CHUNK:,} dicts at a time)")
    print("writer counters:", {k: v for k, v in result.items()
                               if k not in ("elapsed", "stored", "peak_mb", "restarts")})
    return 0 if result["stored"] == args.points else 1


if __name__ == "__main__":
    sys.exit(main())
