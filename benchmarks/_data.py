"""The benchmark's data: generated once, from a fixed seed, loaded by every contender.

Generation runs in influxkit's environment (:func:`generate`); loading runs in both
environments, so the files are plain ``.npz`` arrays (no pandas pickles, which do not
travel between pandas 2 and 3) and pickled lists of builtins.

The data carries what tells correct encoders from the others: a tag value with a space
and a comma (``rack 1,row 2``), a few NaN cells in two float columns, a float column of
whole numbers (``f4``: ``3.0`` must stay a float), a string field with a double quote,
and ``None`` fields in a few mappings.
"""

from __future__ import annotations

import json
import os
import pickle
from typing import Any

import numpy as np

SEED = 20240601
START_NS = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z
MEASUREMENT = "m"
TAG_COLUMNS = ["t1", "t2"]
FLOAT_COLUMNS = ["f1", "f2", "f3", "f4"]
INT_COLUMNS = ["i1"]
FIELD_COLUMNS = FLOAT_COLUMNS + INT_COLUMNS
HOSTS = [f"server{i:02d}" for i in range(19)] + ["rack 1,row 2"]
REGIONS = ["us-east", "eu-west", "ap-south"]
INSTRUMENTS = ["AAPL", "GOOG", "MSFT", "AMZN", "BRK B,1"]
SOURCES = ["NASDAQ", "NYSE", "BATS"]

FULL_SIZES = {"dicts": 200_000, "frame": 1_000_000, "trades": 200_000, "big": 10_000_000}
QUICK_SIZES = {"dicts": 20_000, "frame": 50_000, "trades": 20_000, "big": 200_000}


def frame_arrays(rows: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Columns of the DataFrame workloads: ``time`` (int64 ns), f1-f4, i1, t1, t2."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {
        "time": START_NS + np.arange(rows, dtype=np.int64) * 1_000_000,
        "f1": rng.standard_normal(rows),
        "f2": rng.standard_normal(rows) * 100,
        "f3": rng.random(rows),
        # Whole numbers in a float column: JSON answers them as ints.
        "f4": rng.integers(0, 1000, rows).astype(np.float64),
        "i1": rng.integers(-10**12, 10**12, rows, dtype=np.int64),
        "t1": np.array(HOSTS)[rng.integers(0, len(HOSTS), rows)],
        "t2": np.array(REGIONS)[rng.integers(0, len(REGIONS), rows)],
    }
    # A few missing cells (about 1 row in 500 for f2, 1 in 2000 for f3); f1 is always
    # present, so no row is empty.
    arrays["f2"][rng.random(rows) < 0.002] = np.nan
    arrays["f3"][rng.random(rows) < 0.0005] = np.nan
    return arrays


def dict_points(rows: int, seed: int = SEED + 1) -> list[dict[str, Any]]:
    """Mappings in aioinflux's shape: measurement, 2 tags, float/int/bool fields, int time."""
    rng = np.random.default_rng(seed)
    hosts = np.array(HOSTS)[rng.integers(0, len(HOSTS), rows)].tolist()
    regions = np.array(REGIONS)[rng.integers(0, len(REGIONS), rows)].tolist()
    values = (rng.standard_normal(rows) * 50).tolist()
    whole = rng.random(rows) < 0.1
    counts = rng.integers(0, 1_000_000, rows).tolist()
    flags = (rng.random(rows) < 0.5).tolist()
    missing = (rng.random(rows) < 0.001).tolist()
    points = []
    for i in range(rows):
        value: float | None = float(round(values[i])) if whole[i] else values[i]
        if missing[i]:
            value = None
        points.append({
            "measurement": MEASUREMENT,
            "tags": {"t1": hosts[i], "t2": regions[i]},
            "fields": {"f": value, "n": counts[i], "b": flags[i]},
            "time": START_NS + i * 1_000_000,
        })
    return points


def trade_rows(rows: int, seed: int = SEED + 2) -> list[tuple[Any, ...]]:
    """Field values of the ``Trade`` objects: (timestamp, instrument, source, price,
    size, trade_id)."""
    rng = np.random.default_rng(seed)
    instruments = np.array(INSTRUMENTS)[rng.integers(0, len(INSTRUMENTS), rows)].tolist()
    sources = np.array(SOURCES)[rng.integers(0, len(SOURCES), rows)].tolist()
    prices = np.round(rng.random(rows) * 500, 2).tolist()
    sizes = rng.integers(1, 10_000, rows).tolist()
    ids = rng.integers(0, 2**63 - 1, rows, dtype=np.int64).tolist()
    out = []
    for i in range(rows):
        price = float(round(prices[i])) if i % 7 == 0 else prices[i]
        trade_id = f"{ids[i]:016x}"
        if i % 1000 == 0:
            trade_id = f'id "{trade_id}"'
        out.append((START_NS + i * 1000, instruments[i], sources[i], price, sizes[i], trade_id))
    return out


# -- the cache --------------------------------------------------------------------------------


def generate(directory: str, sizes: dict[str, int]) -> None:
    """Write the data files into *directory* unless they are there for these sizes."""
    meta_path = os.path.join(directory, "meta.json")
    meta = {"seed": SEED, "sizes": sizes, "version": 1}
    if os.path.exists(meta_path):
        with open(meta_path) as file:
            if json.load(file) == meta:
                return
    os.makedirs(directory, exist_ok=True)
    np.savez(os.path.join(directory, "frame.npz"), **frame_arrays(sizes["frame"]))
    with open(os.path.join(directory, "dicts.pickle"), "wb") as file:
        pickle.dump(dict_points(sizes["dicts"]), file, protocol=4)
    with open(os.path.join(directory, "trades.pickle"), "wb") as file:
        pickle.dump(trade_rows(sizes["trades"]), file, protocol=4)
    with open(meta_path, "w") as file:
        json.dump(meta, file)


def load_arrays(directory: str) -> dict[str, np.ndarray]:
    with np.load(os.path.join(directory, "frame.npz"), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def load_pickle(directory: str, name: str) -> Any:
    with open(os.path.join(directory, f"{name}.pickle"), "rb") as file:
        return pickle.load(file)


def pandas_frame(arrays: dict[str, np.ndarray]) -> Any:
    """The pandas DataFrame: DatetimeIndex (ns, UTC), f1-f4, i1, t1, t2 (the installed
    pandas' default string dtype)."""
    import pandas as pd

    index = pd.DatetimeIndex(pd.to_datetime(arrays["time"], unit="ns", utc=True))
    columns = {name: arrays[name] for name in FIELD_COLUMNS}
    columns.update({name: arrays[name].tolist() for name in TAG_COLUMNS})
    return pd.DataFrame(columns, index=index)


def polars_frame(arrays: dict[str, np.ndarray]) -> Any:
    """The polars DataFrame: a ``time`` column (Datetime ns, UTC) and the same columns;
    NaN cells are nulls, as polars users keep missing values."""
    import polars as pl

    columns: dict[str, Any] = {
        "time": pl.Series("time", arrays["time"]).cast(pl.Datetime("ns", "UTC")),
    }
    for name in FLOAT_COLUMNS:
        columns[name] = pl.Series(name, arrays[name], nan_to_null=True)
    for name in INT_COLUMNS:
        columns[name] = pl.Series(name, arrays[name])
    for name in TAG_COLUMNS:
        columns[name] = pl.Series(name, arrays[name].tolist(), dtype=pl.String)
    return pl.DataFrame(columns)


def field_count(arrays: dict[str, np.ndarray]) -> dict[str, int]:
    """Non-missing cells per field column: what ``SELECT count(*)`` must answer."""
    counts = {name: int(np.count_nonzero(~np.isnan(arrays[name]))) for name in FLOAT_COLUMNS}
    counts.update({name: len(arrays[name]) for name in INT_COLUMNS})
    return counts
