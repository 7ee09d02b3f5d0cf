"""One measurement: one workload, one contender, one fresh process.

Run by ``run.py`` (never by hand, though it can be) with influxkit's interpreter for
influxkit and the references, and with ``benchmarks/.env``'s for the other clients::

    python benchmarks/_worker.py WORKLOAD CONTENDER --data DIR --result FILE
        [--save FILE] [--url http://127.0.0.1:PORT --db NAME --server-pid PID] [--rows N]

The contender loads its data and builds its inputs (DataFrame, objects, request
bodies, client) first; then the timer starts. Peak memory is the growth of the
process's peak resident set (``VmHWM``) over its resident set when the timer started:
the peak is reset then through ``/proc/self/clear_refs``, so what loading the data
took does not count. (Where that file cannot be written, ``ru_maxrss`` growth over the
same baseline is used, which under-counts when loading peaked higher.) CPU time is
counted over the same block: this process's (every thread, and children such as curl)
and, given ``--server-pid``, the server's.

The result (seconds, peak MB, CPU seconds, points, notes, an error) goes to
``--result`` as JSON.
Encoded line protocol goes to ``--save`` when given, and a query's answer is reduced
to a signature (``_signature``) for the correctness check.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _data
import _references
import _signature

BATCH = 10_000
CHUNK = 10_000
QUERY = 'SELECT * FROM "m"'


def _status_kb(name: str) -> int | None:
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _own_cpu() -> float:
    """CPU seconds (user and system) of this process, all its threads, and its children
    that have been waited for (curl)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user and system) of another process (the server), or None."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timer:
    """Times one block and measures its peak memory growth and the CPU time it took, in
    this process and (given its pid) in the server."""

    def __init__(self, server_pid: int | None = None) -> None:
        self.seconds: float | None = None
        self.peak_mb: float | None = None
        self.cpu_s: float | None = None
        self.server_cpu_s: float | None = None
        self.method = ""
        self._start = 0.0
        self._baseline_kb = 0
        self._server_pid = server_pid
        self._cpu = 0.0
        self._server_cpu: float | None = None

    def __enter__(self) -> Timer:
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as file:
                file.write("5")
            self.method = "VmHWM"
            self._baseline_kb = _status_kb("VmRSS") or 0
        except OSError:
            self.method = "ru_maxrss"
            self._baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self._server_pid:
            self._server_cpu = _process_cpu(self._server_pid)
        self._cpu = _own_cpu()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu_s = _own_cpu() - self._cpu
        if self._server_pid and self._server_cpu is not None:
            server_cpu = _process_cpu(self._server_pid)
            if server_cpu is not None:
                self.server_cpu_s = server_cpu - self._server_cpu
        if self.method == "VmHWM":
            peak = _status_kb("VmHWM") or 0
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.peak_mb = max(0, peak - self._baseline_kb) / 1024


@dataclass
class Context:
    data: str
    url: str = ""
    db: str = ""
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port or 8086

    def arrays(self) -> dict[str, Any]:
        return _data.load_arrays(self.data)

    def pandas(self) -> Any:
        return _data.pandas_frame(self.arrays())


TAGS = _data.TAG_COLUMNS


# -- a: mappings ------------------------------------------------------------------------------


WARM_UP = 100


def _timed(timer: Timer, encode: Callable[[Any], bytes], data: Any) -> bytes:
    """Encode the first rows once untimed (lazy imports, first-call set-up: every
    contender gets the same warm-up), then all of *data* under the timer."""
    encode(data[:WARM_UP])
    with timer:
        return encode(data)


def dicts_influxkit(ctx: Context, timer: Timer) -> bytes:
    from influxkit import serialize

    return _timed(timer, serialize, _data.load_pickle(ctx.data, "dicts"))


def dicts_aioinflux(ctx: Context, timer: Timer) -> bytes:
    from aioinflux import serialization

    return _timed(timer, serialization.serialize, _data.load_pickle(ctx.data, "dicts"))


def dicts_influxdb(ctx: Context, timer: Timer) -> bytes:
    from influxdb.line_protocol import make_lines

    def encode(points: list[dict[str, Any]]) -> bytes:
        # The client sends make_lines' text encoded as UTF-8.
        return make_lines({"points": points}).encode("utf-8")

    return _timed(timer, encode, _data.load_pickle(ctx.data, "dicts"))


def dicts_influxdb_client(ctx: Context, timer: Timer) -> bytes:
    from influxdb_client import Point, WritePrecision

    def encode(points: list[dict[str, Any]]) -> bytes:
        # What WriteApi._serialize does with a dict: Point.from_dict, to_line_protocol,
        # UTF-8, lines joined by b"\n".
        return b"\n".join(
            Point.from_dict(point, write_precision=WritePrecision.NS)
            .to_line_protocol().encode("utf-8")
            for point in points)

    return _timed(timer, encode, _data.load_pickle(ctx.data, "dicts"))


def dicts_ref_fstring(ctx: Context, timer: Timer) -> bytes:
    return _timed(timer, _references.dicts_fstring, _data.load_pickle(ctx.data, "dicts"))


def dicts_ref_polars(ctx: Context, timer: Timer) -> bytes:
    return _timed(timer, _references.dicts_polars, _data.load_pickle(ctx.data, "dicts"))


# -- b, c: DataFrames -------------------------------------------------------------------------


class _Rows:
    """Slicing by rows for pandas (``iloc``) and polars frames alike."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def __getitem__(self, rows: slice) -> Any:
        return self.frame.iloc[rows] if hasattr(self.frame, "iloc") else self.frame[rows]


def _timed_frame(timer: Timer, encode: Callable[[Any], bytes], frame: Any) -> bytes:
    encode(_Rows(frame)[:WARM_UP])
    with timer:
        return encode(frame)


def _import_polars() -> None:
    """Import polars, if installed, before the timer starts: influxkit imports it only
    when it first encodes a large pandas frame (about 0.1 s of CPU, once per process),
    where the other clients import their libraries when they are imported, and the
    references theirs before the timer."""
    with contextlib.suppress(ImportError):
        importlib.import_module("polars")


def pandas_influxkit(ctx: Context, timer: Timer) -> bytes:
    from influxkit import serialize

    _import_polars()
    return _timed_frame(timer, lambda df: serialize(df, measurement="m", tag_columns=TAGS),
                        ctx.pandas())


def pandas_aioinflux(ctx: Context, timer: Timer) -> bytes:
    from aioinflux.serialization import dataframe

    return _timed_frame(timer, lambda df: dataframe.serialize(df, "m", tag_columns=TAGS),
                        ctx.pandas())


def pandas_influxdb(ctx: Context, timer: Timer) -> bytes:
    from influxdb import DataFrameClient

    client = DataFrameClient()  # no connection is made

    def encode(frame: Any) -> bytes:
        lines = client._convert_dataframe_to_lines(frame, "m", tag_columns=list(TAGS))
        # write_points joins the lines and encodes them the same way.
        return ("\n".join(lines) + "\n").encode("utf-8")

    return _timed_frame(timer, encode, ctx.pandas())


def pandas_influxdb_client(ctx: Context, timer: Timer) -> bytes:
    from influxdb_client import WritePrecision
    from influxdb_client.client.write.dataframe_serializer import DataframeSerializer
    from influxdb_client.client.write_api import PointSettings

    def encode(frame: Any) -> bytes:
        lines = DataframeSerializer(frame, PointSettings(), WritePrecision.NS,
                                    data_frame_measurement_name="m",
                                    data_frame_tag_columns=TAGS).serialize()
        # WriteApi encodes each line and joins them with b"\n".
        return b"\n".join(line.encode("utf-8") for line in lines)

    return _timed_frame(timer, encode, ctx.pandas())


def pandas_ref_polars(ctx: Context, timer: Timer) -> bytes:
    return _timed_frame(timer, lambda df: _references.pandas_polars(df, "m", TAGS),
                        ctx.pandas())


def polars_influxkit(ctx: Context, timer: Timer) -> bytes:
    from influxkit import serialize

    return _timed_frame(timer, lambda df: serialize(df, measurement="m", tag_columns=TAGS),
                        _data.polars_frame(ctx.arrays()))


def polars_ref_polars(ctx: Context, timer: Timer) -> bytes:
    return _timed_frame(timer, lambda df: _references.polars_frame_lines(df, "m", TAGS),
                        _data.polars_frame(ctx.arrays()))


# -- d: @lineprotocol objects -----------------------------------------------------------------


def objects_influxkit(ctx: Context, timer: Timer) -> bytes:
    from _trades_influxkit import Trade

    from influxkit import serialize

    trades = [Trade(*row) for row in _data.load_pickle(ctx.data, "trades")]
    return _timed(timer, serialize, trades)


def objects_aioinflux(ctx: Context, timer: Timer) -> bytes:
    from _trades_aioinflux import Trade
    from aioinflux import serialization

    trades = [Trade(*row) for row in _data.load_pickle(ctx.data, "trades")]
    # What aioinflux's write does with an iterable of objects.
    return _timed(timer, serialization.serialize, trades)


# -- e: writing -------------------------------------------------------------------------------


def _big_frame(ctx: Context) -> Any:
    arrays = _data.frame_arrays(ctx.rows)
    ctx.extra["expected_counts"] = _data.field_count(arrays)
    frame = _data.pandas_frame(arrays)
    del arrays
    ctx.extra["frame_mb"] = frame.memory_usage(deep=True).sum() / 2**20
    return frame


async def _write_influxkit(ctx: Context, timer: Timer, frame: Any,
                           concurrency: int | None = None) -> None:
    from influxkit import InfluxDBClient

    _import_polars()
    async with InfluxDBClient(host=ctx.host, port=ctx.port, db=ctx.db) as client:
        await client.ping()
        parameters = inspect.signature(client.write).parameters
        options: dict[str, Any] = {}
        if "batch_size" in parameters:
            options["batch_size"] = BATCH
        else:
            ctx.notes.append("write() takes no batch_size yet: plain write")
        if concurrency is not None:
            if "concurrency" not in parameters:
                raise TypeError("write() takes no concurrency yet")
            options["concurrency"] = concurrency
        elif "concurrency" in parameters:
            default = parameters["concurrency"].default
            ctx.notes.append(f"concurrency={default!r} (the default)")
        with timer:
            await client.write(frame, measurement="m", tag_columns=TAGS, **options)


async def write_influxkit(ctx: Context, timer: Timer) -> None:
    await _write_influxkit(ctx, timer, ctx.pandas())


async def write_influxkit_c4(ctx: Context, timer: Timer) -> None:
    await _write_influxkit(ctx, timer, ctx.pandas(), concurrency=4)


async def bigwrite_influxkit(ctx: Context, timer: Timer) -> None:
    await _write_influxkit(ctx, timer, _big_frame(ctx))


async def write_aioinflux(ctx: Context, timer: Timer) -> None:
    from aioinflux import InfluxDBClient

    frame = ctx.pandas()
    client = InfluxDBClient(host=ctx.host, port=ctx.port, db=ctx.db)
    await client.ping()
    refused: list[str] = []
    batches = 0
    try:
        with timer:
            # aioinflux has no batching: the frame is written in 10,000-row slices. A
            # refused slice is counted and the next one written.
            for start in range(0, len(frame), BATCH):
                batches += 1
                try:
                    await client.write(frame.iloc[start:start + BATCH], measurement="m",
                                       tag_columns=TAGS)
                except Exception as exc:
                    refused.append(f"{type(exc).__name__}: {exc}"[:300])
    finally:
        await client.close()
    if refused:
        ctx.notes.append(f"server refused {len(refused)} of {batches} batches, e.g. "
                         f"{refused[0]}")


def write_influxdb(ctx: Context, timer: Timer) -> None:
    from influxdb import DataFrameClient

    frame = ctx.pandas()
    client = DataFrameClient(host=ctx.host, port=ctx.port, database=ctx.db)
    client.ping()
    try:
        with timer:
            client.write_points(frame, "m", tag_columns=list(TAGS), batch_size=BATCH)
    finally:
        client.close()


def _bodies(ctx: Context) -> list[bytes]:
    """Correct line protocol for the frame (the polars reference), in 10,000-line
    request bodies, built before the timer starts."""
    payload = _references.polars_frame_lines(_data.polars_frame(ctx.arrays()), "m", TAGS)
    lines = payload.split(b"\n")
    return [b"\n".join(lines[i:i + BATCH]) for i in range(0, len(lines), BATCH)]


async def _post_aiohttp(ctx: Context, timer: Timer, in_flight: int) -> None:
    import aiohttp

    bodies = _bodies(ctx)
    url = f"{ctx.url}/write"
    params = {"db": ctx.db, "precision": "ns"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{ctx.url}/ping") as response:
            await response.read()
        pending = iter(bodies)

        async def post_all() -> None:
            for body in pending:
                async with session.post(url, params=params, data=body) as response:
                    answer = await response.read()
                    if response.status != 204:
                        raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")

        with timer:
            await asyncio.gather(*(post_all() for _ in range(in_flight)))


async def write_ref_aiohttp_1(ctx: Context, timer: Timer) -> None:
    await _post_aiohttp(ctx, timer, 1)


async def write_ref_aiohttp_4(ctx: Context, timer: Timer) -> None:
    await _post_aiohttp(ctx, timer, 4)


def write_ref_curl_1(ctx: Context, timer: Timer) -> None:
    """One curl process posting every body in turn on one keep-alive connection."""
    bodies = _bodies(ctx)
    url = f"{ctx.url}/write?db={urllib.parse.quote(ctx.db)}&precision=ns"
    with tempfile.TemporaryDirectory(prefix="influxkit-bench-") as directory:
        config = []
        for number, body in enumerate(bodies):
            path = os.path.join(directory, f"batch{number:05d}.lp")
            with open(path, "wb") as file:
                file.write(body)
            if number:
                config.append("next")
            # "Expect:" turns off curl's 100-continue round trip for bodies over 1 kB.
            config += [f'url = "{url}"', f'data-binary = "@{path}"', 'output = "/dev/null"',
                       'header = "Expect:"', 'header = "Content-Type: text/plain"',
                       'write-out = "%{http_code} %{num_connects}\\n"']
        config_path = os.path.join(directory, "curl.cfg")
        with open(config_path, "w") as file:
            file.write("\n".join(config) + "\n")
        command = ["curl", "-sS", "-K", config_path]
        with timer:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                                  check=False)
    answers = [line.split() for line in done.stdout.splitlines() if line.strip()]
    codes = [answer[0] for answer in answers]
    if done.returncode or codes.count("204") != len(bodies):
        raise RuntimeError(f"curl exit {done.returncode}, answers {sorted(set(codes))}, "
                           f"{done.stderr[:300]}")
    connects = sum(int(answer[1]) for answer in answers if len(answer) > 1)
    ctx.notes.append(f"curl opened {connects} connection(s) for {len(bodies)} requests")


# -- f: queries -------------------------------------------------------------------------------


async def _query_influxkit(ctx: Context, timer: Timer, output: str) -> Any:
    from influxkit import InfluxDBClient

    async with InfluxDBClient(host=ctx.host, port=ctx.port, db=ctx.db, output=output) as client:
        await client.ping()
        with timer:
            return await client.query(QUERY)


def _json_rows(result: dict[str, Any]) -> tuple[list[str], list[Any]]:
    columns: list[str] = []
    rows: list[Any] = []
    for statement in result.get("results", []):
        for series in statement.get("series", []):
            columns = series["columns"]
            rows.extend(series["values"])
    return columns, rows


async def qpandas_influxkit(ctx: Context, timer: Timer) -> dict[str, Any]:
    return _signature.from_pandas(await _query_influxkit(ctx, timer, "dataframe"))


async def qpandas_influxkit_chunked(ctx: Context, timer: Timer) -> dict[str, Any]:
    """The answer as DataFrames of CHUNK rows, each dropped once its signature is
    taken: the peak memory is what streaming takes."""
    from influxkit import InfluxDBClient

    pieces = _signature.Pieces()
    async with InfluxDBClient(host=ctx.host, port=ctx.port, db=ctx.db,
                              output="dataframe") as client:
        await client.ping()
        with timer:
            async for frame in await client.query(QUERY, chunked=True, chunk_size=CHUNK):
                pieces.add_pandas(frame)
    return pieces.signature()


async def qpolars_influxkit(ctx: Context, timer: Timer) -> dict[str, Any]:
    return _signature.from_polars(await _query_influxkit(ctx, timer, "polars"))


async def qrows_influxkit(ctx: Context, timer: Timer) -> dict[str, Any]:
    return _signature.from_rows(*_json_rows(await _query_influxkit(ctx, timer, "json")))


async def _query_aioinflux(ctx: Context, timer: Timer, output: str) -> Any:
    from aioinflux import InfluxDBClient

    client = InfluxDBClient(host=ctx.host, port=ctx.port, db=ctx.db, output=output)
    try:
        await client.ping()
        with timer:
            return await client.query(QUERY)
    finally:
        await client.close()


async def qpandas_aioinflux(ctx: Context, timer: Timer) -> dict[str, Any]:
    return _signature.from_pandas(await _query_aioinflux(ctx, timer, "dataframe"))


async def qrows_aioinflux(ctx: Context, timer: Timer) -> dict[str, Any]:
    return _signature.from_rows(*_json_rows(await _query_aioinflux(ctx, timer, "json")))


def qpandas_influxdb(ctx: Context, timer: Timer) -> dict[str, Any]:
    from influxdb import DataFrameClient

    client = DataFrameClient(host=ctx.host, port=ctx.port, database=ctx.db)
    client.ping()
    with timer:
        result = client.query(QUERY, epoch="ns")
    return _signature.from_pandas(result)


def qrows_influxdb(ctx: Context, timer: Timer) -> dict[str, Any]:
    from influxdb import InfluxDBClient

    client = InfluxDBClient(host=ctx.host, port=ctx.port, database=ctx.db)
    client.ping()
    with timer:
        result = client.query(QUERY, epoch="ns")
    return _signature.from_rows(*_json_rows({"results": [result.raw]}))


def qrows_ref_msgpack(ctx: Context, timer: Timer) -> dict[str, Any]:
    import msgpack  # noqa: F401 - imported before the timer starts

    with timer:
        columns, rows = _references.query_msgpack(ctx.host, ctx.port, ctx.db, QUERY)
    return _signature.from_rows(columns, rows)


def qrows_ref_msgpack_chunked(ctx: Context, timer: Timer) -> dict[str, Any]:
    import msgpack  # noqa: F401

    with timer:
        columns, rows = _references.query_msgpack(ctx.host, ctx.port, ctx.db, QUERY,
                                                  chunked=True)
    return _signature.from_rows(columns, rows)


def qpandas_ref_msgpack(ctx: Context, timer: Timer) -> dict[str, Any]:
    import msgpack  # noqa: F401
    import pandas  # noqa: F401

    with timer:
        columns, rows = _references.query_msgpack(ctx.host, ctx.port, ctx.db, QUERY)
        frame = _references.rows_to_pandas(columns, rows)
    return _signature.from_pandas(frame)


JOBS: dict[tuple[str, str], Callable[[Context, Timer], Any]] = {}
for _name, _function in list(globals().items()):
    if callable(_function) and "_" in _name and not _name.startswith("_"):
        _workload, _, _contender = _name.partition("_")
        if _workload in {"dicts", "pandas", "polars", "objects", "write", "bigwrite",
                         "qpandas", "qpolars", "qrows"}:
            JOBS[_workload, _contender.replace("_", "-")] = _function


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload")
    parser.add_argument("contender")
    parser.add_argument("--data", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--save")
    parser.add_argument("--url", default="")
    parser.add_argument("--db", default="")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--server-pid", type=int, default=0)
    args = parser.parse_args(argv)
    ctx = Context(data=args.data, url=args.url, db=args.db, rows=args.rows)
    timer = Timer(args.server_pid or None)
    result: dict[str, Any] = {}
    try:
        job = JOBS[args.workload, args.contender]
        output = asyncio.run(job(ctx, timer)) if inspect.iscoroutinefunction(job) else \
            job(ctx, timer)
        if timer.seconds is None:
            raise RuntimeError("the job never started its timer")
        if isinstance(output, bytes):
            result["bytes"] = len(output)
            if args.save:
                with open(args.save, "wb") as file:
                    file.write(output)
        elif isinstance(output, dict):
            result["signature"] = output
    except Exception as exc:  # reported, not raised
        detail = f"{type(exc).__name__}: {exc}".strip()
        result["error"] = detail.splitlines()[0][:400] if detail else type(exc).__name__
        result["traceback"] = traceback.format_exc()[-3000:]
    result.update(seconds=timer.seconds, peak_mb=timer.peak_mb, cpu_s=timer.cpu_s,
                  server_cpu_s=timer.server_cpu_s, peak_method=timer.method,
                  notes=ctx.notes, **ctx.extra)
    with open(args.result, "w") as file:
        json.dump(result, file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
