"""influxkit's command line against ``influx``, the InfluxDB 1.x shell (Debian's
``influxdb-client`` package), on the same server and the same data.

Run with influxkit's interpreter (``make bench`` runs it after the client workloads)::

    .venv/bin/python benchmarks/bench_cli.py [--quick] [--rounds N] [--lines N]

Two workloads, each contender in a fresh process per measurement, in interleaved rounds
(round 1: every contender once, then round 2, ...; the first contender rotating):

- **load**: a line protocol file of 1,000,000 lines into a fresh database:
  ``influx -import -path=FILE -precision=ns`` (the file with the DML header ``influx``
  needs: ``# DML`` and ``# CONTEXT-DATABASE: db``) against ``influxkit write FILE``
  (the plain file; its defaults: every line checked, batches of 5,000, 4 in flight).
  Each load is checked: every field's count and sum equal the file's.
- **export**: those 1,000,000 rows to a CSV file: ``influx -execute 'SELECT * FROM cpu'
  -format csv -precision ns`` (stdout to the file) against ``influxkit query 'SELECT *
  FROM cpu' --format csv --epoch ns -o FILE`` (the same integer times), and with its
  default RFC 3339 times. Each file is checked, row by row, against ``influx``'s.

For each: the median wall time, the peak resident memory of the contender's process
(``getrusage(RUSAGE_CHILDREN)`` in a fresh wrapper process per run), its CPU time and
influxd's over the same time, and the ratio of ``influx``'s time to each contender's.
Two reference lines say where the floor is: the same bytes posted by influxkit's
client from memory (5,000-line requests, 4 in flight: what the server can take), and
the interpreter with the command line's libraries loaded (the memory any run starts
from). The server is a throwaway ``influxd`` (influxkit.testing), quiet before each run.

``influx`` comes from Debian's ``influxdb-client`` package: it is installed with
apt-get when missing (as root), else the run stops saying how to install it.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA_DIR = os.path.join(HERE, ".data", "cli")
T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
FIELDS = ("usage_user", "usage_system", "idle", "procs", "ok", "status")

# Runs a command, and prints its wall time, peak memory and CPU time as JSON: a fresh
# wrapper per run, so that RUSAGE_CHILDREN is this run's child alone.
WRAPPER = """\
import json, resource, subprocess, sys, time
out = open(sys.argv[1], "wb") if sys.argv[1] != "-" else subprocess.DEVNULL
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024,
                  "cpu_s": usage.ru_utime + usage.ru_stime, "status": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-2000:]}))
"""

# The floor of a load: the file's bytes, read before the timer, posted by influxkit's
# client in 5,000-line requests, 4 in flight.
REFERENCE = """\
import json, sys, time
from influxkit import InfluxDBClient
data = open(sys.argv[2], "rb").read()
with InfluxDBClient.from_url(sys.argv[1], mode="blocking") as client:
    client.ping()
    started = time.perf_counter()
    client.write(data, batch_size=5000, concurrency=4)
    print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_influx() -> str:
    """The path of ``influx``, installed from Debian's influxdb-client when missing."""
    found = shutil.which("influx")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's influxdb-client (the influx shell) ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "influxdb-client"], env=env,
                       check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("influx")
        if found:
            return found
    raise SystemExit("bench_cli: `influx` is missing, and this benchmark compares with it: "
                     "install Debian's influxdb-client (apt-get install -y influxdb-client) "
                     "and run it again. Nothing was measured.")


def make_data(lines: int) -> tuple[str, str, dict[str, float]]:
    """The line protocol file (and its DML twin for ``influx -import``), made once per
    size, and what each field sums to."""
    os.makedirs(DATA_DIR, exist_ok=True)
    plain = os.path.join(DATA_DIR, f"cpu-{lines}.lp")
    dml = os.path.join(DATA_DIR, f"cpu-{lines}.dml")
    sums_path = os.path.join(DATA_DIR, f"cpu-{lines}.json")
    if all(os.path.exists(path) for path in (plain, dml, sums_path)):
        with open(sums_path) as file:
            return plain, dml, json.load(file)
    log(f"making {lines:,} lines of line protocol in {os.path.relpath(DATA_DIR, REPO)} ...")
    rng = random.Random(20261207)
    sums = dict.fromkeys(("usage_user", "usage_system", "idle", "procs"), 0.0)
    with open(plain, "w") as file:
        for i in range(lines):
            user = round(rng.random() * 100, 4)
            system = round(rng.random() * 20, 4)
            idle = round(rng.random(), 6)
            procs = rng.randrange(50, 500)
            status = "ok" if i % 10 else "degraded mode"
            sums["usage_user"] += user
            sums["usage_system"] += system
            sums["idle"] += idle
            sums["procs"] += procs
            file.write(f"cpu,host=server{i % 500:03d},region=r{i % 7},dc=dc{i % 3} "
                       f"usage_user={user},usage_system={system},idle={idle},"
                       f"procs={procs}i,ok={'true' if i % 3 else 'false'},"
                       f'status="{status}" {T0 + i * 1_000_000}\n')
    with open(dml, "wb") as out, open(plain, "rb") as source:
        out.write(b"# DML\n# CONTEXT-DATABASE: load\n")
        shutil.copyfileobj(source, out)
    with open(sums_path, "w") as file:
        json.dump(sums, file)
    return plain, dml, sums


def settle(pid: int | None, *, idle: float = 0.1, limit: float = 60.0) -> None:
    """Wait until the server is quiet (under ``idle`` of a CPU over a quarter second)."""
    if pid is None:
        return
    before = server_cpu(pid)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server_cpu(pid)
        if now - before < idle * 0.25:
            return
        before = now


def server_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    seconds: float
    peak_mb: float | None = None
    cpu_s: float | None = None
    server_cpu_s: float | None = None


@dataclass
class Contender:
    name: str
    label: str
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.runs
                  if getattr(run, attribute) is not None]
        return statistics.median(values) if values else None


def measure(command: list[str], output: str, pid: int | None) -> Run:
    before = server_cpu(pid)
    done = subprocess.run([sys.executable, "-c", WRAPPER, output, *command],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    if result["status"] != 0:
        raise RuntimeError(f"{command[0]} failed ({result['status']}): {result['stderr']}")
    return Run(result["seconds"], result["peak_mb"], result["cpu_s"],
               server_cpu(pid) - before)


class Bench:
    def __init__(self, args: argparse.Namespace, influx: str, server: Any) -> None:
        self.args = args
        self.influx = influx
        self.server = server
        self.pid = server.pid
        self.kit = [sys.executable, "-m", "influxkit"]
        self.work = tempfile.mkdtemp(prefix="bench-cli-")

    def client(self, db: str | None = None) -> Any:
        from influxkit import InfluxDBClient

        return InfluxDBClient(host=self.server.host, port=self.server.port, db=db,
                              mode="blocking")

    def fresh(self, db: str) -> None:
        self.server.drop_database(db)
        self.server.create_database(db)
        settle(self.pid)

    # -- load ---------------------------------------------------------------------------

    def load(self, plain: str, dml: str, sums: dict[str, float]) -> list[Contender]:
        port = str(self.server.port)
        contenders = [
            Contender("influx", "influx -import -path=FILE -precision=ns"),
            Contender("influxkit", "influxkit write FILE (defaults: checked, 4 in flight)"),
            Contender("reference", "reference: the bytes posted from memory, 4 in flight"),
        ]
        commands = {
            "influx": [self.influx, "-port", port, "-import", f"-path={dml}",
                       "-precision=ns"],
            "influxkit": [*self.kit, "write", plain, "--url", f"{self.server.url}/load",
                          "--no-progress"],
        }
        for round_ in range(self.args.rounds):
            order = contenders[round_ % len(contenders):] + contenders[:round_ % len(contenders)]
            for contender in order:
                self.fresh("load")
                log(f"load, round {round_ + 1}: {contender.name} ...")
                if contender.name == "reference":
                    before = server_cpu(self.pid)
                    done = subprocess.run([sys.executable, "-c", REFERENCE,
                                           f"{self.server.url}/load", plain],
                                          capture_output=True, text=True, check=True)
                    run = Run(json.loads(done.stdout)["seconds"],
                              server_cpu_s=server_cpu(self.pid) - before)
                else:
                    run = measure(commands[contender.name], "-", self.pid)
                contender.runs.append(run)
                problem = self.check_load(sums)
                if problem:
                    contender.problems.append(f"round {round_ + 1}: {problem}")
        return contenders

    def check_load(self, sums: dict[str, float]) -> str | None:
        with self.client("load") as client:
            sums_asked = ", ".join(f"sum({name}) AS sum_{name}" for name in sums)
            answer = client.query(f"SELECT count(*), {sums_asked} FROM cpu")
        series = answer["results"][0].get("series")
        if not series:
            return "nothing stored"
        row = dict(zip(series[0]["columns"], series[0]["values"][0], strict=True))
        wrong = [f"count_{name} = {row[f'count_{name}']}" for name in FIELDS
                 if row[f"count_{name}"] != self.args.lines]
        wrong += [f"sum_{name} = {row[f'sum_{name}']} (not {total})"
                  for name, total in sums.items()
                  if abs(row[f"sum_{name}"] - total) > 1e-6 * max(1.0, abs(total))]
        return "; ".join(wrong) or None

    # -- export -------------------------------------------------------------------------

    def export(self, plain: str) -> list[Contender]:
        log("loading the data to export ...")
        self.fresh("export")
        with open(plain, "rb") as file, self.client("export") as client:
            client.write(file.read(), batch_size=5_000, concurrency=4)
        settle(self.pid)
        query = "SELECT * FROM cpu"
        contenders = [
            Contender("influx", "influx -execute 'SELECT * FROM cpu' -format csv "
                                "-precision ns > FILE"),
            Contender("influxkit", "influxkit query 'SELECT * FROM cpu' --format csv "
                                   "--epoch ns -o FILE"),
            Contender("influxkit-rfc3339", "influxkit query 'SELECT * FROM cpu' "
                                           "--format csv -o FILE (RFC 3339 times)"),
        ]
        outputs = {contender.name: os.path.join(self.work, f"{contender.name}.csv")
                   for contender in contenders}
        commands = {
            "influx": [self.influx, "-port", str(self.server.port), "-database", "export",
                       "-execute", query, "-format", "csv", "-precision", "ns"],
            "influxkit": [*self.kit, "query", query, "--url", f"{self.server.url}/export",
                          "--format", "csv", "--epoch", "ns", "-o", outputs["influxkit"]],
            "influxkit-rfc3339": [*self.kit, "query", query, "--url",
                                  f"{self.server.url}/export", "--format", "csv", "-o",
                                  outputs["influxkit-rfc3339"]],
        }
        for round_ in range(self.args.rounds):
            order = contenders[round_ % len(contenders):] + contenders[:round_ % len(contenders)]
            for contender in order:
                settle(self.pid)
                log(f"export, round {round_ + 1}: {contender.name} ...")
                target = outputs[contender.name] if contender.name == "influx" else "-"
                contender.runs.append(measure(commands[contender.name], target, self.pid))
            if round_ == 0:
                for contender in contenders[1:]:
                    problem = compare_csv(outputs["influx"], outputs[contender.name],
                                          self.args.lines)
                    if problem:
                        contender.problems.append(problem)
        return contenders


def _number(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def _time(text: str) -> int:
    if text.isdigit():
        return int(text)
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    _, _, fraction = text.rstrip("Z").partition(".")
    seconds = int(moment.replace(microsecond=0).timestamp())
    return seconds * 10**9 + int((fraction or "0").ljust(9, "0"))


def compare_csv(expected_path: str, found_path: str, rows: int) -> str | None:
    """Whether a CSV file holds the rows of ``influx``'s, value for value (numbers as
    numbers, times as nanoseconds); the first difference if not."""
    with open(expected_path, newline="") as expected, open(found_path, newline="") as found:
        left, right = csv.reader(expected), csv.reader(found)
        header, other = next(left), next(right)
        if header != other:
            return f"header {other} is not {header}"
        at = header.index("time")
        count = 0
        for count, (a, b) in enumerate(zip(left, right, strict=False), 1):
            a_values = [_time(v) if i == at else _number(v) for i, v in enumerate(a)]
            b_values = [_time(v) if i == at else _number(v) for i, v in enumerate(b)]
            if a_values != b_values:
                return f"row {count}: {b} is not {a}"
        if count != rows or next(left, None) is not None or next(right, None) is not None:
            return f"{count:,} rows compared, {rows:,} expected"
    return None


def table(title: str, contenders: list[Contender], rows: int,
          baseline: str = "influx") -> list[str]:
    base = next(c for c in contenders if c.name == baseline).median("seconds")
    lines = [f"### {title}", "",
             "| contender | median s | rows/s | vs influx | peak MB | CPU s | influxd CPU s "
             "| correct |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for contender in contenders:
        seconds = contender.median("seconds")
        peak, cpu, server = (contender.median(name) for name in
                             ("peak_mb", "cpu_s", "server_cpu_s"))
        ratio = f"{base / seconds:.2f}x" if base and seconds else "-"
        lines.append(
            f"| {contender.label} | {seconds:.2f} | {rows / seconds:,.0f} | {ratio} | "
            f"{'-' if peak is None else f'{peak:,.0f}'} | "
            f"{'-' if cpu is None else f'{cpu:.2f}'} | "
            f"{'-' if server is None else f'{server:.2f}'} | "
            f"{'; '.join(contender.problems) or 'ok'} |")
    return lines


def summary(load: list[Contender], export: list[Contender], cpus: int) -> list[str]:
    """The ratios, and the floor the server sets."""
    by = {(name, c.name): c for name, group in (("load", load), ("export", export))
          for c in group}

    def get(workload: str, name: str, attribute: str) -> float:
        value = by[(workload, name)].median(attribute)
        return float("nan") if value is None else value

    lines = ["## Summary", ""]
    for workload, contender in (("load", "influxkit"), ("export", "influxkit"),
                                ("export", "influxkit-rfc3339")):
        ratio = get(workload, "influx", "seconds") / get(workload, contender, "seconds")
        lines.append(f"- {workload}, {by[(workload, contender)].label}: {ratio:.2f}x as "
                     f"fast as influx; peak memory "
                     f"{get(workload, contender, 'peak_mb'):,.0f} MB against influx's "
                     f"{get(workload, 'influx', 'peak_mb'):,.0f} MB")
    floor = min(get("load", name, "server_cpu_s") for name in ("influx", "influxkit",
                                                                "reference")) / cpus
    lines += [
        f"- the load's floor: influxd alone took {floor * cpus:.1f} CPU seconds or more for "
        f"these points, at least {floor:.1f} s on {cpus} CPUs, whatever the client; "
        f"influx's own CPU time was {get('load', 'influx', 'cpu_s'):.2f} s, so no client "
        f"can be much faster than it here (the reference, posting the bytes from memory, "
        f"took {get('load', 'reference', 'seconds'):.2f} s)",
        "",
    ]
    return lines


def baseline_memory() -> float:
    code = ("import influxkit.cli._app, influxkit.cli._write, influxkit.cli._output, "
            "pyarrow.compute, numpy, rich.progress")
    done = subprocess.run([sys.executable, "-c", WRAPPER, "-", sys.executable, "-c", code],
                          capture_output=True, text=True, check=True)
    peak: float = json.loads(done.stdout)["peak_mb"]
    return peak


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100,000 lines and 2 rounds (a smoke run)")
    parser.add_argument("--lines", type=int, help="lines of the file (1,000,000)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (3; 2 with --quick)")
    parser.add_argument("--output", help="the report (benchmarks/results/<date>-cli.md; "
                                         "--quick: benchmarks/.data/cli/quick-results.md)")
    args = parser.parse_args(argv)
    args.lines = args.lines or (100_000 if args.quick else 1_000_000)
    args.rounds = args.rounds or (2 if args.quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from influxkit.testing import InfluxDBServer

    influx = ensure_influx()
    version = subprocess.run([influx, "-version"], capture_output=True, text=True).stdout
    plain, dml, sums = make_data(args.lines)
    started = time.perf_counter()
    with InfluxDBServer(extra_config={"data": {"cache-max-memory-size": 4 * 2**30}}) as server:
        bench = Bench(args, influx, server)
        try:
            load = bench.load(plain, dml, sums)
            export = bench.export(plain)
        finally:
            shutil.rmtree(bench.work, ignore_errors=True)
        server_version = server.version
    base = baseline_memory()
    elapsed = time.perf_counter() - started
    date = datetime.date.today().isoformat()
    size = os.path.getsize(plain) / 1e6
    report = [
        f"# influxkit's command line against influx, {date}", "",
        "Command: `" + " ".join(["python benchmarks/bench_cli.py", *(argv or sys.argv[1:])])
        + f"` ({elapsed / 60:.1f} minutes)", "",
        f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}",
        f"- server: influxd {server_version} on loopback (throwaway, quiet before each run)",
        f"- influx: {version.strip()} (Debian's influxdb-client)",
        f"- data: {args.lines:,} lines of line protocol ({size:,.0f} MB): 3 tags "
        f"({min(args.lines, 10_500):,} series), 6 fields (2 floats, a float in [0, 1), "
        f"an integer, a boolean, a string with a space in 10 % of the lines), times 1 ms "
        f"apart",
        f"- {args.rounds} interleaved rounds, each run in a fresh process; medians", "",
        *table(f"Load {args.lines:,} lines into a fresh database", load, args.lines), "",
        *table(f"Export {args.lines:,} rows to CSV", export, args.lines), "",
        f"Peak MB is the contender's process at its peak (getrusage of the child). The "
        f"interpreter with the command line's libraries loaded (Python, aiohttp, pyarrow, "
        f"numpy, rich, click), before any point, takes {base:,.0f} MB. influxd CPU s is "
        f"the server's CPU time over the run: on {os.cpu_count()} CPUs a load shares them "
        f"with the server, whose work is the floor of any client's time (the reference "
        f"line). The loads are checked (every field's count and sum); the exports are "
        f"compared row by row with influx's file (numbers as numbers, times as "
        f"nanoseconds).", "",
    ]
    report += summary(load, export, os.cpu_count() or 1)
    text = "\n".join(report)
    output = args.output or (os.path.join(DATA_DIR, "quick-results.md") if args.quick else
                             os.path.join(HERE, "results", f"{date}-cli.md"))
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as file:
        file.write(text)
    print(text)
    log(f"report written to {os.path.relpath(output, REPO)}")
    problems = [problem for contender in [*load, *export] for problem in contender.problems]
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
