"""Micro benchmark of influxkit's DataFrame encoder and decoder (no server).

Run: ``python benchmarks/bench_dataframe_micro.py [rows ...]``. Prints rows per second
for encoding a frame with a tz-aware DatetimeIndex, 4 float, 1 int and 2 tag columns
(aioinflux writes about 192,000 rows/s of it), on one thread and on the encoder's
default threads, and for decoding query results of six columns (time, 3 floats, an
int, a string) given as Python lists.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from influxkit._decode.outputs import collector
from influxkit._encode.lines import THREADS
from influxkit._encode.pandas import iter_pandas_lines


def frames_from_results(results: list[dict[str, Any]], epoch: str) -> Any:
    """The DataFrames of a whole answer's ``results``, as ``query()`` builds them."""
    frames = collector("dataframe", epoch)
    frames.add({"results": results})
    return frames.result()


def make_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    index = pd.date_range("2024-01-01", periods=rows, freq="ms", tz="Europe/Berlin")
    return pd.DataFrame(
        {
            "a": rng.standard_normal(rows),
            "b": rng.standard_normal(rows) * 100,
            "c": rng.random(rows),
            "d": rng.standard_normal(rows) * 1e6,
            "n": rng.integers(0, 1_000_000, rows),
            "host": rng.choice([f"server{i:02d}" for i in range(20)], rows),
            "region": rng.choice(["us-east", "eu-west", "ap-south"], rows),
        },
        index=index,
    )


def make_results(rows: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(7)
    times = (1_700_000_000_000_000_000 + np.arange(rows) * 1_000_000).tolist()
    a = rng.standard_normal(rows).tolist()
    b = rng.standard_normal(rows).tolist()
    c = rng.standard_normal(rows).tolist()
    n = rng.integers(0, 1_000_000, rows).tolist()
    host = rng.choice(["server01", "server02"], rows).tolist()
    values = [list(row) for row in zip(times, a, b, c, n, host, strict=True)]
    series = {"name": "cpu", "columns": ["time", "a", "b", "c", "n", "host"], "values": values}
    return [{"statement_id": 0, "series": [series]}]


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main(sizes: list[int]) -> None:
    for rows in sizes:
        frame = make_frame(rows)

        def encode(threads: int, frame: pd.DataFrame = frame) -> int:
            return sum(len(b) for b in iter_pandas_lines(frame, "cpu", ["host", "region"],
                                                         "ns", {}, threads=threads))

        for label, count in (("1 thread", 1), (f"{THREADS} threads", THREADS)):
            seconds = best_of(3, lambda count=count: encode(count))
            print(f"encode {rows:>9,} rows, {label:>9}: {seconds * 1000:8.1f} ms "
                  f"{rows / seconds:12,.0f} rows/s  "
                  f"({rows / seconds / 192_000:.1f}x aioinflux's 192k rows/s)")
        results = make_results(rows)
        seconds = best_of(3, lambda results=results: frames_from_results(results, "ns"))
        print(f"decode {rows:>9,} rows, 6 columns:  {seconds * 1000:8.1f} ms "
              f"{rows / seconds:12,.0f} rows/s")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100_000, 1_000_000])
