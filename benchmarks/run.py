"""influxkit's benchmark against the other Python InfluxDB clients, on the same data.

Run with influxkit's interpreter (``make bench`` does)::

    .venv/bin/python benchmarks/run.py [--quick] [--only WORKLOAD ...] [--rounds N]

It installs the other clients into ``benchmarks/.env`` (never into influxkit's
``.venv``), generates the data once into ``benchmarks/.data``, starts a throwaway
``influxd`` on loopback, and runs every workload for influxkit, each peer and the
references in interleaved rounds (round 1: every contender once, then round 2, ...),
each measurement in a fresh process. It prints a table of medians, points/s, peak
memory, ratios and correctness, checks the targets, and writes the report to
``benchmarks/results/<date>.md`` (``--quick`` runs write ``.data/quick-results.md``).
See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import _data  # noqa: E402
import _lpcheck  # noqa: E402
import _references  # noqa: E402
import _signature  # noqa: E402

PEER_ENV = os.path.join(HERE, ".env")
PEER_PYTHON = os.path.join(PEER_ENV, "bin", "python")
REQUIREMENTS = os.path.join(HERE, "requirements-peers.txt")
DATA_ROOT = os.path.join(HERE, ".data")
WORKER = os.path.join(HERE, "_worker.py")
WRITE_DB = "bench"
QUERY_DB = "query"
WORKER_TIMEOUT = 900.0

HINTS = [
    ("rack 1,row 2", "tag value 'rack 1,row 2' not escaped"),
    ("BRK B,1", "tag value 'BRK B,1' not escaped"),
    ("=nan", "NaN written as 'nan'"),
    ("=NaN", "NaN written as 'NaN'"),
    ("=inf", "infinity written as 'inf'"),
]


# -- what runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    name: str
    role: str  # "influxkit", "peer" or "reference"
    label: str

    @property
    def python(self) -> str:
        return PEER_PYTHON if self.role == "peer" else sys.executable


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    kind: str  # "encode", "write" or "query"
    size: str  # key of the sizes: dicts, frame, trades, big
    contenders: tuple[Contender, ...]
    peers_from: str = ""  # workload whose peers give "best peer" (default: this one)
    references_from: str = ""  # workload whose references give "best reference"
    rounds: int | None = None  # a fixed number of rounds, whatever --rounds says
    extra_rounds: int = 0  # rounds on top of --rounds
    not_applicable: tuple[str, ...] = ()

    @property
    def peer_pool(self) -> str:
        return self.peers_from or self.name

    @property
    def reference_pool(self) -> str:
        return self.references_from or self.name


KIT = "influxkit"
# A write's time depends on the server's CPU, which varies most from run to run: the
# write workload takes this many rounds more than the others for a steadier median.
WRITE_EXTRA_ROUNDS = 2
V2_ONLY = ("influxdb_client 1.50: n/a, its write and query APIs speak the 2.x API "
           "(/api/v2), which InfluxDB 1.6.7 lacks")

WORKLOADS = [
    Workload("dicts", "dict points -> line protocol", "encode", "dicts", (
        Contender("influxkit", KIT, "influxkit serialize(points)"),
        Contender("aioinflux", "peer", "aioinflux 0.9.0 serialization.serialize (mapping)"),
        Contender("influxdb", "peer", "influxdb 5.3.2 line_protocol.make_lines"),
        Contender("influxdb-client", "peer",
                  "influxdb_client 1.50 Point.from_dict (serializer only)"),
        Contender("ref-fstring", "reference", "reference: specialized f-string encoder"),
        Contender("ref-polars", "reference", "reference: polars concat_str"),
    )),
    Workload("pandas", "pandas DataFrame -> line protocol", "encode", "frame", (
        Contender("influxkit", KIT, "influxkit serialize(df)"),
        Contender("aioinflux", "peer", "aioinflux 0.9.0 serialization.dataframe"),
        Contender("influxdb", "peer", "influxdb 5.3.2 _convert_dataframe_to_lines"),
        Contender("influxdb-client", "peer",
                  "influxdb_client 1.50 DataframeSerializer (serializer only)"),
        Contender("ref-polars", "reference", "reference: pl.from_pandas + concat_str"),
    )),
    Workload("polars", "polars DataFrame -> line protocol", "encode", "frame", (
        Contender("influxkit", KIT, "influxkit serialize(polars_df)"),
        Contender("ref-polars", "reference", "reference: polars concat_str"),
    ), peers_from="pandas"),
    Workload("objects", "@lineprotocol NamedTuples -> line protocol", "encode", "trades", (
        Contender("influxkit", KIT, "influxkit @lineprotocol, serialize(objects)"),
        Contender("aioinflux", "peer", "aioinflux 0.9.0 @lineprotocol"),
    )),
    Workload("write", "write the DataFrame, 10,000-line batches", "write", "frame", (
        Contender("influxkit", KIT, "influxkit write(df, batch_size=10_000)"),
        Contender("influxkit-c4", KIT,
                  "influxkit write(df, batch_size=10_000, concurrency=4)"),
        Contender("aioinflux", "peer", "aioinflux 0.9.0 write, 10,000-row slices"),
        Contender("influxdb", "peer", "influxdb 5.3.2 DataFrameClient.write_points"),
        Contender("ref-aiohttp-1", "reference", "reference: pre-built bytes, aiohttp, 1 in flight"),
        Contender("ref-aiohttp-4", "reference", "reference: pre-built bytes, aiohttp, 4 in flight"),
        Contender("ref-curl-1", "reference", "reference: pre-built bytes, curl keep-alive"),
    ), extra_rounds=WRITE_EXTRA_ROUNDS, not_applicable=(V2_ONLY,)),
    Workload("bigwrite", "write a large DataFrame (memory)", "write", "big", (
        Contender("influxkit", KIT, "influxkit write(df, batch_size=10_000)"),
    ), rounds=1),
    Workload("qpandas", "SELECT * -> pandas DataFrame", "query", "frame", (
        Contender("influxkit", KIT, "influxkit output='dataframe'"),
        Contender("influxkit-chunked", KIT,
                  "influxkit output='dataframe', chunked=True, chunk_size=10_000 (memory)"),
        Contender("aioinflux", "peer", "aioinflux 0.9.0 output='dataframe' (JSON)"),
        Contender("influxdb", "peer", "influxdb 5.3.2 DataFrameClient.query (MessagePack)"),
        Contender("ref-msgpack", "reference", "reference: http.client + msgpack -> pandas"),
    ), references_from="qrows", not_applicable=(V2_ONLY,)),
    Workload("qpolars", "SELECT * -> polars DataFrame", "query", "frame", (
        Contender("influxkit", KIT, "influxkit output='polars'"),
    ), peers_from="qpandas", references_from="qrows"),
    Workload("qrows", "SELECT * -> rows", "query", "frame", (
        Contender("influxkit", KIT, "influxkit output='json' (rows)"),
        Contender("aioinflux", "peer", "aioinflux 0.9.0 output='json' (JSON)"),
        Contender("influxdb", "peer", "influxdb 5.3.2 InfluxDBClient.query (MessagePack)"),
        Contender("ref-msgpack", "reference", "reference: http.client + msgpack.unpackb"),
        Contender("ref-msgpack-chunked", "reference",
                  "reference: http.client + msgpack.Unpacker, chunked"),
    ), not_applicable=(V2_ONLY,)),
]
BY_NAME = {workload.name: workload for workload in WORKLOADS}
GROUPS = {
    "encode": ["dicts", "pandas", "polars", "objects"],
    "write": ["write", "bigwrite"],
    "query": ["qpandas", "qpolars", "qrows"],
}


# -- set-up -----------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, flush=True)


def ensure_peer_env() -> None:
    """Create ``benchmarks/.env`` with the pinned peers, unless it is up to date."""
    with open(REQUIREMENTS) as file:
        wanted = file.read()
    stamp = os.path.join(PEER_ENV, ".requirements")
    if os.path.exists(PEER_PYTHON) and os.path.exists(stamp):
        with open(stamp) as file:
            if file.read() == wanted:
                return
    log(f"installing the other clients into {os.path.relpath(PEER_ENV, REPO)} ...")
    if not os.path.exists(PEER_PYTHON):
        subprocess.run([sys.executable, "-m", "venv", PEER_ENV], check=True)
    subprocess.run([PEER_PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-r", REQUIREMENTS], check=True, timeout=1800)
    with open(stamp, "w") as file:
        file.write(wanted)


_VERSIONS = """
import importlib.metadata as m, json, platform
names = %r
out = {"python": platform.python_version()}
for name in names:
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        pass
print(json.dumps(out))
"""


def versions(python: str, names: Sequence[str]) -> dict[str, str]:
    done = subprocess.run([python, "-c", _VERSIONS % (list(names),)], capture_output=True,
                          text=True, timeout=120, check=False)
    return json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-300:]}


def _load() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def machine_facts(server_version: str) -> dict[str, Any]:
    cpu = "?"
    memory = "?"
    try:
        with open("/proc/cpuinfo") as file:
            cpu = next((line.split(":", 1)[1].strip() for line in file
                        if line.startswith("model name")), "?")
        with open("/proc/meminfo") as file:
            kb = int(next(line for line in file if line.startswith("MemTotal")).split()[1])
            memory = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "influxkit"],
                           capture_output=True, text=True, check=False).stdout.strip()
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True,
                          check=False).stdout.split("\n")[0].split(" (")[0]
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "kernel": f"{platform.system()} {platform.release()}",
        "influxd": server_version,
        "influxkit": f"{commit}{' + uncommitted changes in influxkit/' if dirty else ''}",
        "curl": curl,
        "kit": versions(sys.executable, ["influxkit", "pandas", "polars", "numpy", "pyarrow",
                                         "aiohttp", "msgpack", "orjson"]),
        "peer": versions(PEER_PYTHON, ["aioinflux", "influxdb", "influxdb-client", "pandas",
                                       "numpy", "aiohttp", "msgpack"]),
    }


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float | None = None
    peak_mb: float | None = None
    cpu_s: float | None = None
    server_cpu_s: float | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def run_worker(workload: Workload, contender: Contender, data_dir: str, *, url: str = "",
               db: str = "", rows: int = 0, save: str | None = None,
               server_pid: int | None = None) -> Run:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = handle.name
    command = [contender.python, WORKER, workload.name, contender.name, "--data", data_dir,
               "--result", result_path]
    if url:
        command += ["--url", url, "--db", db]
    if server_pid:
        command += ["--server-pid", str(server_pid)]
    if rows:
        command += ["--rows", str(rows)]
    if save:
        command += ["--save", save]
    timeout = WORKER_TIMEOUT * (2 if workload.name == "bigwrite" else 1)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
        try:
            with open(result_path) as file:
                result = json.load(file)
        except (OSError, ValueError):
            return Run(error=f"worker exited {done.returncode}: {done.stderr.strip()[-300:]}")
    except subprocess.TimeoutExpired:
        return Run(error=f"timed out after {timeout:.0f} s")
    finally:
        os.unlink(result_path)
    run = Run(seconds=result.pop("seconds"), peak_mb=result.pop("peak_mb"),
              cpu_s=result.pop("cpu_s", None), server_cpu_s=result.pop("server_cpu_s", None),
              error=result.pop("error", ""), notes=result.pop("notes", []), extra=result)
    if run.error:
        run.seconds = None
    return run


def stored_counts(server: Any, db: str) -> dict[str, int]:
    answer = server.query('SELECT count(*) FROM "m"', db=db, timeout=600)
    series = answer["results"][0].get("series", [])
    if not series:
        return {}
    columns, values = series[0]["columns"], series[0]["values"][0]
    return {name.removeprefix("count_"): value
            for name, value in zip(columns, values, strict=True) if name != "time"}


def check_counts(got: dict[str, int], want: dict[str, int]) -> list[str]:
    if got == want:
        return []
    stored = got.get("f1", 0)
    return [f"server holds {stored:,} of {want['f1']:,} points "
            f"(per field: {got} instead of {want})"]


def fresh_database(server: Any, name: str) -> None:
    server.drop_database(name)
    server.create_database(name)
    settle(server)


def settle(server: Any, *, idle: float = 0.1, limit: float = 30.0) -> None:
    """Wait until the server is quiet (under ``idle`` of a CPU over a quarter second):
    the work left over from the previous write (WAL snapshots, compactions, the drop)
    must not be timed as part of the next contender's."""
    pid = server.pid
    if pid is None:
        return
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    deadline = time.monotonic() + limit
    before = cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_seconds()
        if now - before < idle * 0.25:
            return
        before = now


# -- expected results -------------------------------------------------------------------------


def expected_frame(arrays: dict[str, Any]) -> dict[Any, Any]:
    names = _data.FIELD_COLUMNS
    columns = [[(name, "int" if name in _data.INT_COLUMNS else "float", value)
                for value in arrays[name].tolist()] for name in names]
    tags = [(("t1", a), ("t2", b))
            for a, b in zip(arrays["t1"].tolist(), arrays["t2"].tolist(), strict=True)]
    return {(_data.MEASUREMENT, tag, time): tuple(item for item in items if item[2] == item[2])
            for tag, time, *items in zip(tags, arrays["time"].tolist(), *columns, strict=True)}


def expected_dicts(points: list[dict[str, Any]]) -> dict[Any, Any]:
    return dict(_lpcheck.point(p["measurement"], p["tags"].items(), p["time"],
                               p["fields"].items()) for p in points)


def expected_trades(rows: list[tuple[Any, ...]]) -> dict[Any, Any]:
    return dict(_lpcheck.point("Trade", [("instrument", r[1]), ("source", r[2])], r[0],
                               [("price", r[3]), ("size", r[4]), ("trade_id", r[5])])
                for r in rows)


def expected_signature(arrays: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    columns: dict[str, tuple[str, Any, int]] = {}
    for name in _data.FLOAT_COLUMNS:
        columns[name] = ("float", arrays[name], int(np.isnan(arrays[name]).sum()))
    for name in _data.INT_COLUMNS:
        columns[name] = ("int", arrays[name].astype(np.float64), 0)
    for name in _data.TAG_COLUMNS:
        columns[name] = ("str", arrays[name].tolist(), 0)
    return _signature.from_arrays(arrays["time"], columns)


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: bool = False

    @property
    def error(self) -> str:
        return next((run.error for run in self.runs if run.error), "")

    @property
    def median(self) -> float | None:
        times = [run.seconds for run in self.runs if run.seconds is not None]
        if not times or self.error:
            return None
        return statistics.median(times)

    def _median(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.runs]
        measured = [value for value in values if value is not None]
        return statistics.median(measured) if measured else None

    @property
    def peak(self) -> float | None:
        return self._median("peak_mb")

    @property
    def cpu(self) -> float | None:
        return self._median("cpu_s")

    @property
    def server_cpu(self) -> float | None:
        return self._median("server_cpu_s")

    @property
    def notes(self) -> list[str]:
        seen: list[str] = []
        for run in self.runs:
            seen += [note for note in run.notes if note not in seen]
        return seen


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = _data.QUICK_SIZES if args.quick else _data.FULL_SIZES
        self.data_dir = os.path.join(DATA_ROOT, "quick" if args.quick else "full")
        self.out_dir = os.path.join(DATA_ROOT, "out")
        self.outcomes: dict[str, dict[str, Outcome]] = {}
        self.server: Any = None
        self._arrays: dict[str, Any] | None = None
        self._checkers: dict[str, _lpcheck.Checker] = {}

    @property
    def arrays(self) -> dict[str, Any]:
        if self._arrays is None:
            self._arrays = _data.load_arrays(self.data_dir)
        return self._arrays

    def rows(self, workload: Workload) -> int:
        return self.sizes[workload.size]

    def measure(self, workload: Workload) -> None:
        rounds = workload.rounds or self.args.rounds + workload.extra_rounds
        outcomes = self.outcomes.setdefault(workload.name, {})
        contenders = list(workload.contenders)
        url = self.server.url if workload.kind != "encode" else ""
        server_pid = self.server.pid if url else None
        big = self.rows(workload) if workload.size == "big" else 0
        if rounds > 1:
            # One untimed run first: whoever runs first in a workload is often slower
            # (a new database's first writes, cold caches), which would weigh on the
            # median of few rounds.
            run = run_worker(workload, contenders[0], self.data_dir, url=url,
                             db=self.prepare(workload), rows=big)
            log(f"  [{workload.name} warm-up] {contenders[0].name:<20} "
                f"{'ERROR ' + run.error if run.error else 'done'}")
        for number in range(rounds):
            # Each round starts with another contender, so none always runs first.
            shift = number % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                outcome = outcomes.setdefault(contender.name, Outcome())
                save = None
                if workload.kind == "encode" and number == 0:
                    os.makedirs(self.out_dir, exist_ok=True)
                    save = os.path.join(self.out_dir, f"{workload.name}-{contender.name}.lp")
                run = run_worker(workload, contender, self.data_dir, url=url,
                                 db=self.prepare(workload), rows=big, save=save,
                                 server_pid=server_pid)
                if workload.kind == "write" and not run.error:
                    self.check_write(workload, contender, run, outcome, first=number == 0)
                if workload.kind == "query" and not run.error and not outcome.checked:
                    outcome.problems = _signature.compare(
                        expected_signature(self.arrays), run.extra["signature"])
                    outcome.checked = True
                outcome.runs.append(run)
                shown = (f"{run.seconds:8.3f} s  {run.peak_mb:8.1f} MB  CPU {run.cpu_s:6.2f} s"
                         + (f" (server {run.server_cpu_s:.2f} s)" if run.server_cpu_s else "")
                         if not run.error
                         else f"ERROR {run.error}")
                log(f"  [{workload.name} {number + 1}/{rounds}] {contender.name:<20} {shown}")
        if workload.name == "bigwrite":
            self.server.drop_database(WRITE_DB)

    def prepare(self, workload: Workload) -> str:
        """The database of a run of ``workload`` (fresh for a write), once the server is
        quiet."""
        if workload.kind == "write":
            fresh_database(self.server, WRITE_DB)
            return WRITE_DB
        if workload.kind == "query":
            settle(self.server)
            return QUERY_DB
        return ""

    def check_write(self, workload: Workload, contender: Contender, run: Run,
                    outcome: Outcome, first: bool) -> None:
        want = run.extra.get("expected_counts") or _data.field_count(self.arrays)
        problems = check_counts(stored_counts(self.server, WRITE_DB), want)
        if first and workload.name == "write" and contender.role != "reference" and \
                not problems:
            # What was written reads back as the data (read as MessagePack, exact types).
            columns, rows = _references.query_msgpack(
                self.server.host, self.server.port, WRITE_DB, 'SELECT * FROM "m"')
            problems = _signature.compare(expected_signature(self.arrays),
                                          _signature.from_rows(columns, rows))
            del rows
        for problem in problems:
            if problem not in outcome.problems:
                outcome.problems.append(problem)
        outcome.checked = True

    def check_encodings(self, workload: Workload) -> None:
        """Parse each contender's saved output and compare it with the data."""
        log(f"  checking {workload.name} outputs ...")
        started = time.perf_counter()
        # Millions of small tuples and no cycles: the cyclic collector would only keep
        # rescanning them (it doubles the time of a check).
        gc.disable()
        try:
            self._check_encodings(workload)
        finally:
            gc.enable()
        log(f"  checked in {time.perf_counter() - started:.1f} s")

    def _check_encodings(self, workload: Workload) -> None:
        # The pandas and polars workloads share the data, hence the checker and the
        # lines it already knows to be right.
        if workload.size not in self._checkers:
            if workload.size == "dicts":
                expected = expected_dicts(_data.load_pickle(self.data_dir, "dicts"))
            elif workload.size == "trades":
                expected = expected_trades(_data.load_pickle(self.data_dir, "trades"))
            else:
                expected = expected_frame(self.arrays)
            self._checkers = {workload.size: _lpcheck.Checker(expected)}
        checker = self._checkers[workload.size]
        verdicts: dict[str, list[str]] = {}
        for contender in workload.contenders:
            outcome = self.outcomes[workload.name][contender.name]
            path = os.path.join(self.out_dir, f"{workload.name}-{contender.name}.lp")
            if not os.path.exists(path):
                continue
            with open(path, "rb") as file:
                output = file.read()
            os.unlink(path)
            digest = hashlib.blake2b(output, digest_size=16).hexdigest()
            if digest not in verdicts:
                verdicts[digest] = checker.compare(output, HINTS)
            outcome.problems = verdicts[digest]
            outcome.checked = True

    def load_query_database(self) -> None:
        fresh_database(self.server, QUERY_DB)
        loader = Contender("ref-aiohttp-4", "reference", "")
        run = run_worker(BY_NAME["write"], loader, self.data_dir, url=self.server.url,
                         db=QUERY_DB)
        if run.error:
            raise SystemExit(f"could not load the query database: {run.error}")
        problems = check_counts(stored_counts(self.server, QUERY_DB),
                                _data.field_count(self.arrays))
        if problems:
            raise SystemExit(f"the query database is wrong: {problems}")
        log(f"  loaded {self.sizes['frame']:,} points into {QUERY_DB!r} in {run.seconds:.1f} s")


# -- the report -------------------------------------------------------------------------------


def rate(bench: Bench, workload: Workload, outcome: Outcome) -> float | None:
    median = outcome.median
    return bench.rows(workload) / median if median else None


def best(bench: Bench, pool: str, role: str) -> tuple[str, float] | None:
    workload = BY_NAME[pool]
    outcomes = bench.outcomes.get(pool, {})
    rates = [(c.name, rate(bench, workload, outcomes[c.name])) for c in workload.contenders
             if c.role == role and c.name in outcomes]
    rates = [(name, value) for name, value in rates if value]
    return max(rates, key=lambda pair: pair[1]) if rates else None


def correctness(outcome: Outcome) -> str:
    if outcome.error:
        return "not run"
    if not outcome.checked:
        return "unchecked"
    return _lpcheck.summarize(outcome.problems)


def table(bench: Bench) -> list[str]:
    lines = ["| workload | contender | median s | points/s | peak MB | CPU s | server CPU s "
             "| vs best peer | vs best ref | correctness |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for workload in WORKLOADS:
        outcomes = bench.outcomes.get(workload.name)
        if not outcomes:
            continue
        title = f"{workload.name}: {bench.rows(workload):,} {workload.title}"
        peer = best(bench, workload.peer_pool, "peer")
        reference = best(bench, workload.reference_pool, "reference")
        for index, contender in enumerate(workload.contenders):
            outcome = outcomes.get(contender.name)
            if outcome is None:
                continue
            value = rate(bench, workload, outcome)
            median = outcome.median
            cells = [
                title if index == 0 else "",
                contender.label,
                f"{median:.3f}" if median else "-",
                f"{value:,.0f}" if value else f"error: {outcome.error[:120]}",
                f"{outcome.peak:,.1f}" if outcome.peak is not None else "-",
                f"{outcome.cpu:.2f}" if outcome.cpu is not None else "-",
                f"{outcome.server_cpu:.2f}" if outcome.server_cpu is not None else "-",
                f"{value / peer[1]:.2f}x" if value and peer else "-",
                f"{value / reference[1]:.2f}x" if value and reference else "-",
                correctness(outcome),
            ]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        for text in workload.not_applicable:
            lines.append(f"| | {text} | - | - | - | - | - | - | - | - |")
    return lines


@dataclass
class Target:
    text: str
    value: float | None
    threshold: float
    detail: str
    higher_is_better: bool = True

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.threshold if self.higher_is_better else \
            self.value <= self.threshold


def targets(bench: Bench) -> list[Target]:
    found: list[Target] = []

    def kit(workload: str, contender: str = "influxkit") -> tuple[Workload, Outcome] | None:
        outcome = bench.outcomes.get(workload, {}).get(contender)
        return (BY_NAME[workload], outcome) if outcome else None

    def ratio(workload: str, pool: str, role: str, text: str, threshold: float,
              name: str | None = None, contender: str = "influxkit") -> None:
        pair = kit(workload, contender)
        if pair is None:
            return
        value = rate(bench, *pair)
        if name is not None:
            other_outcome = bench.outcomes.get(pool, {}).get(name)
            other = (name, rate(bench, BY_NAME[pool], other_outcome)) if other_outcome else None
            other = other if other and other[1] else None
        else:
            other = best(bench, pool, role)
        if value is None or other is None:
            detail = f"influxkit: {pair[1].error or 'no result'}" if value is None else \
                "no result to compare with"
            found.append(Target(text, None, threshold, detail))
            return
        found.append(Target(text, value / other[1], threshold,
                            f"{value:,.0f} vs {other[1]:,.0f} points/s ({other[0]})"))

    def correct(workload: str, text: str, contender: str = "influxkit") -> None:
        pair = kit(workload, contender)
        if pair is None:
            return
        outcome = pair[1]
        ok = outcome.checked and not outcome.problems and not outcome.error
        found.append(Target(text, 1.0 if ok else 0.0, 1.0, correctness(outcome)))

    ratio("pandas", "pandas", "peer", "pandas DataFrame: >= 5x the fastest other client", 5)
    ratio("pandas", "pandas", "reference", "pandas DataFrame: >= 1x the polars reference", 1)
    correct("pandas", "pandas DataFrame: output carries exactly the data's points")
    ratio("polars", "pandas", "peer",
          "polars DataFrame: >= 5x the fastest other client (pandas input)", 5)
    ratio("polars", "polars", "reference", "polars DataFrame: >= 1x the polars reference", 1)
    correct("polars", "polars DataFrame: output carries exactly the data's points")
    ratio("dicts", "dicts", "peer", "dict points: >= 2x the fastest other client", 2)
    correct("dicts", "dict points: output carries exactly the data's points")
    ratio("objects", "objects", "peer", "@lineprotocol objects: >= 1.5x aioinflux", 1.5,
          name="aioinflux")
    correct("objects", "@lineprotocol objects: output carries exactly the data's points")
    # The target: writing with several requests in flight (the table also shows the
    # default, one at a time, which keeps the input's order on the server) against
    # posting pre-built bodies of the same size one at a time, the server's rate for
    # one client; and, stricter, against posting them with as many in flight.
    for reference in ("ref-aiohttp-1", "ref-curl-1"):
        ratio("write", "write", "reference",
              f"write DataFrame, concurrency=4: >= 0.9x posting pre-built bytes one at a "
              f"time ({reference})", 0.9, name=reference, contender="influxkit-c4")
    ratio("write", "write", "reference",
          "write DataFrame, concurrency=4: >= 0.9x posting pre-built bytes 4 in flight "
          "(stricter: the same concurrency)", 0.9, name="ref-aiohttp-4",
          contender="influxkit-c4")
    correct("write", "write DataFrame: the server holds exactly the data")
    pair = kit("bigwrite")
    if pair is not None:
        run = next((r for r in pair[1].runs if not r.error), None)
        if run is None or run.peak_mb is None or not run.extra.get("frame_mb"):
            found.append(Target("large DataFrame write: peak memory growth <= 0.5x the "
                                "frame's size", None, 0.5, pair[1].error or "no result",
                                higher_is_better=False))
        else:
            frame_mb = run.extra["frame_mb"]
            found.append(Target(
                f"{bench.sizes['big']:,}-row DataFrame write: peak memory growth <= 0.5x "
                f"the frame's size", run.peak_mb / frame_mb, 0.5,
                f"{run.peak_mb:,.0f} MB growth, frame {frame_mb:,.0f} MB",
                higher_is_better=False))
        correct("bigwrite", "large DataFrame write: the server holds every point")
    chunked, whole = kit("qpandas", "influxkit-chunked"), kit("qpandas")
    if chunked is not None and whole is not None:
        text = ("chunked query -> pandas (10,000-row chunks): peak memory growth <= 0.25x "
                "the whole answer's")
        if chunked[1].peak is None or not whole[1].peak:
            found.append(Target(text, None, 0.25,
                                chunked[1].error or whole[1].error or "no result",
                                higher_is_better=False))
        else:
            found.append(Target(text, chunked[1].peak / whole[1].peak, 0.25,
                                f"{chunked[1].peak:,.0f} MB vs {whole[1].peak:,.0f} MB",
                                higher_is_better=False))
        correct("qpandas", "chunked query -> pandas: exact values and types in the chunks",
                contender="influxkit-chunked")
    for name, what in (("qpandas", "pandas"), ("qpolars", "polars"), ("qrows", "rows")):
        ratio(name, "qrows", "reference",
              f"query -> {what}: within 1.1x of the MessagePack reference (ratio >= 0.909)",
              1 / 1.1)
        correct(name, f"query -> {what}: exact values and types")
    return found


def target_lines(bench: Bench) -> list[str]:
    lines = ["| target | value | needed | met | measured |", "|---|---:|---:|---|---|"]
    for target in targets(bench):
        is_check = "exact" in target.text or "carries" in target.text or "holds" in target.text
        if target.value is None:
            value = "-"
        elif is_check:
            value = "yes" if target.value else "no"
        else:
            value = f"{target.value:.2f}x" if target.higher_is_better else f"{target.value:.2f}"
        needed = "yes" if is_check else (
            f">= {target.threshold:.2f}x" if target.higher_is_better
            else f"<= {target.threshold:.2f}")
        met = {True: "**met**", False: "**missed**", None: "n/a"}[target.met]
        lines.append(f"| {target.text} | {value} | {needed} | {met} | "
                     f"{target.detail.replace('|', '/')} |")
    return lines


def details(bench: Bench) -> list[str]:
    lines: list[str] = []
    for workload in WORKLOADS:
        for contender in workload.contenders:
            outcome = bench.outcomes.get(workload.name, {}).get(contender.name)
            if outcome is None:
                continue
            items = [f"wrong: {p}" for p in outcome.problems]
            if outcome.error:
                items.append(f"error: {outcome.error}")
            items += [f"note: {n}" for n in outcome.notes]
            if items:
                lines.append(f"- **{workload.name} / {contender.label}**")
                lines += [f"  - {item}" for item in items]
    return lines


METHOD = """\
How to read this: each contender runs in a fresh process per measurement, in {rounds}
interleaved rounds ({write_rounds} for the write workload, whose times vary most with
the server's CPU; one for bigwrite), every contender once per round, the starting
contender rotating; the table gives the median. points/s = rows (points) / median
seconds. Peak MB is the growth of the process's peak resident set (VmHWM, reset through
/proc/self/clear_refs when the timer starts) over its resident set at that moment: what
the timed work allocated on top of the loaded data (for curl, only the Python process
that runs it; the server's memory is never counted). CPU s is the CPU time (user and
system, every thread) the contender's process and its children (curl) took in the timed
work; server CPU s is influxd's over the same time, for writes and queries. On this
2-core machine a write contends with the server for the CPUs: every client CPU second
is taken from the server. "vs best peer" divides by the
fastest of aioinflux, influxdb and influxdb_client in the workload (for polars input:
the fastest peer on the pandas frame, as the peers take no polars frames), whether or
not that peer's output is right; "vs best ref" divides by the fastest reference (for
queries: the fastest MessagePack rows reference). Each workload starts with one untimed
run of its first contender (the first run of a workload is often slower, whoever makes
it), and encoders get one untimed warm-up on the first 100 rows (influxkit's pandas and
write contenders import polars, which influxkit imports lazily, before the timer too,
as the other clients import their libraries when imported). Writes (into a fresh
database) and queries start once the server is quiet (under a tenth of a CPU), so no
contender is timed with the server still busy with the previous one's points.
Correctness: every encoder's output is parsed and compared point by point with the data
(not with another encoder); every write is checked with SELECT count(*) and, in round 1,
by reading everything back as MessagePack; every query answer is compared column by
column (values and types) with the data."""


def report(bench: Bench, facts: dict[str, Any], command: str, elapsed: float) -> str:
    kit, peer = facts["kit"], facts["peer"]
    lines = [
        f"# influxkit benchmark, {facts['date'][:10]}",
        "",
        f"Command: `{command}` ({elapsed / 60:.1f} minutes in all, set-up and checks "
        f"included)",
        "",
        f"- machine: {facts['nproc']} CPUs ({facts['cpu']}), {facts['memory']} RAM, "
        f"{facts['kernel']}",
        f"- server: influxd {facts['influxd']} on loopback (throwaway, max-body-size = 0)",
        f"- influxkit {kit.get('influxkit', '?')} at {facts['influxkit']}; Python "
        f"{kit.get('python')}, pandas {kit.get('pandas')}, polars {kit.get('polars')}, "
        f"numpy {kit.get('numpy')}, pyarrow {kit.get('pyarrow')}, aiohttp "
        f"{kit.get('aiohttp')}, msgpack {kit.get('msgpack')}, orjson {kit.get('orjson')}",
        f"- peers (benchmarks/.env): aioinflux {peer.get('aioinflux')}, influxdb "
        f"{peer.get('influxdb')}, influxdb-client {peer.get('influxdb-client')}; Python "
        f"{peer.get('python')}, pandas {peer.get('pandas')}, numpy {peer.get('numpy')}, "
        f"aiohttp {peer.get('aiohttp')}, msgpack {peer.get('msgpack')}",
        f"- {facts['curl']}",
        f"- load average (1, 5, 15 min) at the start: {facts['load_start']}, at the end: "
        f"{facts['load_end']} (other work on the machine shows here and makes the run noisy)",
        f"- data: seed {_data.SEED}; sizes {bench.sizes}",
        "",
        "## Results",
        "",
        *table(bench),
        "",
        METHOD.format(rounds=bench.args.rounds,
                      write_rounds=bench.args.rounds + WRITE_EXTRA_ROUNDS),
        "",
        "## Targets",
        "",
        *target_lines(bench),
        "",
        "## Correctness problems, errors and notes",
        "",
        *(details(bench) or ["None."]),
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a smoke run (about 3 minutes)")
    parser.add_argument("--only", action="append", default=[], metavar="WORKLOAD",
                        help="run only these workloads (repeatable, or comma-separated): "
                             f"{', '.join(BY_NAME)}, or the groups {', '.join(GROUPS)}, "
                             "or cli (bench_cli.py: the command line against influx)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (3; 2 with --quick)")
    parser.add_argument("--output", help="where to write the report (default: "
                        "benchmarks/results/<date>.md; .data/quick-results.md with --quick)")
    args = parser.parse_args(argv)
    selected: list[str] = []
    args.cli = not "".join(args.only).strip()  # bench_cli.py, in a full run or --only cli
    for item in ",".join(args.only).split(","):
        item = item.strip()
        if not item:
            continue
        if item == "cli":
            args.cli = True
            continue
        names = GROUPS.get(item, [item])
        for name in names:
            if name not in BY_NAME:
                parser.error(f"unknown workload {name!r}: choose from {', '.join(BY_NAME)}")
            if name not in selected:
                selected.append(name)
    args.workloads = [w for w in WORKLOADS if w.name in selected or not args.only]
    if args.rounds is None:
        args.rounds = 2 if args.quick else 3
    if args.rounds < 1 or args.rounds > 9:
        parser.error("--rounds must be between 1 and 9")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.workloads:  # --only cli
        return run_cli_bench(args)
    started = time.perf_counter()
    try:
        import influxkit  # noqa: F401
        from influxkit.testing import InfluxDBServer
    except ImportError as exc:
        raise SystemExit(f"run this with influxkit's interpreter (.venv/bin/python): "
                         f"{exc}") from exc
    load_start = _load()
    ensure_peer_env()
    bench = Bench(args)
    log(f"data in {os.path.relpath(bench.data_dir, REPO)} (sizes {bench.sizes}) ...")
    _data.generate(bench.data_dir, bench.sizes)
    server = InfluxDBServer(extra_config={
        "max-body-size": 0,
        "data": {"cache-max-memory-size": 4 * 2**30},
    })
    with server:
        bench.server = server
        facts = machine_facts(server.version)
        facts["load_start"] = load_start
        log(f"influxd {server.version} at {server.url}")
        queries_loaded = False
        for workload in args.workloads:
            log(f"{workload.name}: {bench.rows(workload):,} {workload.title}")
            if workload.kind == "query" and not queries_loaded:
                bench.load_query_database()
                queries_loaded = True
            bench.measure(workload)
            if workload.kind == "encode":
                bench.check_encodings(workload)
    facts["load_end"] = _load()
    elapsed = time.perf_counter() - started
    command = " ".join(["python benchmarks/run.py", *(argv if argv is not None else
                                                       sys.argv[1:])])
    if os.environ.get("MAKELEVEL"):
        command = f"make bench  # {command}"
    text = report(bench, facts, command, elapsed)
    output = args.output or (os.path.join(DATA_ROOT, "quick-results.md") if args.quick else
                             os.path.join(HERE, "results", f"{facts['date'][:10]}.md"))
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as file:
        file.write(text)
    log("")
    log("\n".join(table(bench)))
    log("")
    log("\n".join(target_lines(bench)))
    problems = details(bench)
    if problems:
        log("")
        log("\n".join(problems))
    log(f"\nreport written to {os.path.relpath(output, REPO)} "
        f"({elapsed / 60:.1f} minutes)")
    return run_cli_bench(args)


def run_cli_bench(args: argparse.Namespace) -> int:
    """The command line against influx (benchmarks/bench_cli.py, its own report)."""
    if not args.cli:
        return 0
    extra = ["--quick"] if args.quick else []
    return subprocess.call([sys.executable, os.path.join(HERE, "bench_cli.py"), *extra,
                            "--rounds", str(args.rounds)])


if __name__ == "__main__":
    sys.exit(main())
