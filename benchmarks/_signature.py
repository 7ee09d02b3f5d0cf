"""Checking queries: a compact signature of a query result, comparable across clients.

A result (pandas or polars DataFrame, or columns and rows) is reduced, after sorting by
time, to its row count and, per column, the kind of its values (``float``, ``int``,
``str``, ``bool``, or a mix such as ``float+int``), the number of missing cells and a
digest of the values. Numbers are digested as float64, so an integer column returned as
floats has the same digest and a different kind: the comparison can tell "values
differ" from "types differ". Needs numpy only (the peers' environment has no polars).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

_NULL = "\x00null"


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _number_bytes(values: np.ndarray) -> bytes:
    floats = np.asarray(values, dtype=np.float64).copy()
    floats[np.isnan(floats)] = np.nan  # one NaN bit pattern
    return floats.tobytes()


def _text(values: Sequence[Any]) -> str:
    return "\x1f".join(_NULL if v is None else str(v) for v in values)


def _number_digest(values: np.ndarray) -> str:
    return _digest(_number_bytes(values))


def _text_digest(values: Sequence[Any]) -> str:
    return _digest(_text(values).encode())


def column(kind: str, values: Any, nulls: int) -> dict[str, Any]:
    """The signature of one column, *values* already in time order."""
    if kind in {"float", "int", "float+int", "bool"}:
        digest = _number_digest(values)
    else:
        digest = _text_digest(values)
    return {"kind": kind, "nulls": int(nulls), "digest": digest}


def from_arrays(times: np.ndarray, columns: dict[str, tuple[str, Any, int]]) -> dict[str, Any]:
    """The signature a correct client must produce: *times* (int64 ns, ascending) and,
    per column, ``(kind, values, nulls)``."""
    return {"rows": len(times), "time": _digest(np.asarray(times, dtype=np.int64).tobytes()),
            "columns": {name: column(*spec) for name, spec in columns.items()}}


def _python_kind(values: Sequence[Any]) -> str:
    kinds = {type(value).__name__ for value in values if value is not None}
    if kinds == {"bool"}:
        return "bool"
    return "+".join(sorted(kinds)) or "null"


def from_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Signature of rows of a query answer (the time column first, int ns)."""
    signature: dict[str, Any] = {"rows": len(rows), "columns": {}}
    if not rows:
        return signature
    transposed = list(zip(*rows, strict=True))
    times = np.array(transposed[0], dtype=np.int64)
    order = np.argsort(times, kind="stable")
    signature["time"] = _digest(times[order].tobytes())
    for name, values in zip(columns[1:], transposed[1:], strict=True):
        kind = _python_kind(values)
        nulls = sum(value is None for value in values)
        ordered = [values[i] for i in order.tolist()]
        if kind in {"float", "int", "float+int", "bool"}:
            array = np.array([np.nan if v is None else v for v in ordered], dtype=np.float64)
            signature["columns"][name] = column(kind, array, nulls)
        else:
            signature["columns"][name] = column(kind, ordered, nulls)
    return signature


def _pandas_kind(series: Any) -> str:
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return "float"
    if kind in "iu":
        return "int"
    if kind == "b":
        return "bool"
    return _python_kind(series.dropna().tolist())


def _pandas_parts(frame: Any) -> tuple[np.ndarray, dict[str, tuple[str, Any, int]], str]:
    """A DataFrame's times (int64 ns, ascending) and, per column, ``(kind, values in
    time order, nulls)``, with the type of its times."""
    import pandas as pd

    if isinstance(frame, dict):
        if len(frame) != 1:
            raise ValueError(f"expected one DataFrame, got {len(frame)}: {list(frame)[:5]}")
        frame = next(iter(frame.values()))
    if "time" in frame.columns:
        times = pd.to_datetime(frame["time"], utc=True)
        frame = frame.drop(columns="time")
        nanos = np.asarray(times.astype("datetime64[ns, UTC]").astype("int64"))
    else:
        index = frame.index
        nanos = np.asarray(index.as_unit("ns").asi8 if hasattr(index, "as_unit") else index.asi8)
    order = np.argsort(nanos, kind="stable")
    columns: dict[str, tuple[str, Any, int]] = {}
    for name in frame.columns:
        series = frame[name]
        kind = _pandas_kind(series)
        nulls = int(series.isna().sum())
        if kind in {"float", "int", "float+int", "bool"}:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)[order]
        else:
            values = [None if v is None or v != v else v for v in series.tolist()]
            values = [values[i] for i in order.tolist()]
        columns[str(name)] = (kind, values, nulls)
    return nanos[order], columns, str(getattr(frame.index, "dtype", ""))


def from_pandas(frame: Any) -> dict[str, Any]:
    """Signature of a DataFrame with a DatetimeIndex (or a ``time`` column)."""
    nanos, columns, time_type = _pandas_parts(frame)
    signature = from_arrays(nanos, columns)
    signature["time_type"] = time_type
    return signature


class Pieces:
    """The signature of an answer that comes in pieces (a chunked query's DataFrames),
    in time order, built piece by piece: the same as :func:`from_pandas` gives for the
    pieces joined, without joining them (so a chunk can be dropped once added)."""

    def __init__(self) -> None:
        self.rows = 0
        self.last_time: int | None = None
        self.time = hashlib.blake2b(digest_size=8)
        # Per column: kinds seen, missing cells, digest so far.
        self.columns: dict[str, tuple[set[str], int, Any]] = {}

    def add_pandas(self, frame: Any) -> None:
        nanos, columns, _ = _pandas_parts(frame)
        if not len(nanos):
            return
        if self.last_time is not None and nanos[0] < self.last_time:
            raise ValueError("a piece starts before the previous one ends")
        self.rows += len(nanos)
        self.last_time = int(nanos[-1])
        self.time.update(np.asarray(nanos, dtype=np.int64).tobytes())
        for name, (kind, values, nulls) in columns.items():
            started = name in self.columns
            kinds, missing, digest = self.columns.get(
                name, (set(), 0, hashlib.blake2b(digest_size=8)))
            kinds.add(kind)
            if kind in {"float", "int", "float+int", "bool"}:
                digest.update(_number_bytes(values))
            else:
                digest.update((("\x1f" if started else "") + _text(values)).encode())
            self.columns[name] = (kinds, missing + nulls, digest)

    def signature(self) -> dict[str, Any]:
        return {"rows": self.rows, "time": self.time.hexdigest(),
                "columns": {name: {"kind": "+".join(sorted(kinds)), "nulls": nulls,
                                   "digest": digest.hexdigest()}
                            for name, (kinds, nulls, digest) in self.columns.items()}}


def from_polars(frame: Any) -> dict[str, Any]:
    """Signature of a polars DataFrame with a ``time`` column (Datetime or int ns)."""
    import polars as pl

    time = frame["time"]
    nanos = (time.dt.epoch("ns") if time.dtype.is_temporal() else time).to_numpy()
    nanos = np.asarray(nanos, dtype=np.int64)
    order = np.argsort(nanos, kind="stable")
    signature: dict[str, Any] = {"rows": frame.height, "columns": {},
                                 "time": _digest(nanos[order].tobytes()),
                                 "time_type": str(time.dtype)}
    for name in frame.columns:
        if name == "time":
            continue
        series = frame[name]
        dtype = series.dtype
        nulls = series.null_count()
        if dtype.is_float():
            nulls += int(series.is_nan().sum() or 0)
            kind = "float"
        elif dtype.is_integer():
            kind = "int"
        elif dtype == pl.Boolean:
            kind = "bool"
        elif dtype == pl.String:
            kind = "str"
        else:
            kind = str(dtype)
        if kind in {"float", "int", "bool"}:
            values = series.cast(pl.Float64).fill_null(np.nan).to_numpy()[order]
        else:
            values = [series[i] for i in order.tolist()]
        signature["columns"][name] = column(kind, values, nulls)
    return signature


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """What differs between two signatures, in words; ``[]`` when none."""
    problems: list[str] = []
    if got["rows"] != expected["rows"]:
        problems.append(f"{got['rows']:,} rows instead of {expected['rows']:,}")
        return problems
    if got.get("time") != expected.get("time"):
        problems.append("timestamps differ")
    want, have = expected["columns"], got["columns"]
    if set(have) != set(want):
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        problems.append(f"columns differ: missing {missing}, extra {extra}")
    for name in sorted(set(want) & set(have)):
        a, b = want[name], have[name]
        if a["kind"] != b["kind"]:
            if a["kind"] == "float" and "int" in b["kind"]:
                problems.append(f"{name}: float field comes back as {b['kind']} "
                                f"(whole-number floats lose their type)")
            else:
                problems.append(f"{name}: {a['kind']} field comes back as {b['kind']}")
        if a["nulls"] != b["nulls"]:
            problems.append(f"{name}: {b['nulls']:,} missing cells instead of {a['nulls']:,}")
        elif a["digest"] != b["digest"]:
            problems.append(f"{name}: values differ")
    return problems
