"""A client across processes: forked children, Ctrl-C, interpreter exit.

A blocking client made before ``fork()`` works in the child, with a loop thread and
connections of its own, and the parent's stay as they were. Ctrl-C interrupts a
blocking call at once, its work cancelled on the loop. A blocking client never closed
says nothing at exit, even under ``python -W error``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from influxkit import InfluxDBClient
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy

# A child that hangs is killed by this alarm (its exit status then says so), so that a
# regression fails the test instead of hanging it. A guard, not a measure.
CHILD_ALARM = 60


def count(result: dict[str, Any]) -> int:
    series = result["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def fork(child: Callable[[], int]) -> int:
    """Fork; in the child run ``child`` and leave with its exit code (1 if it raised),
    without running anything of the parent's (pytest's) on the way out. Returns the
    child's exit code, once it has ended."""
    # Python 3.12 warns about forking a process with threads: that is the point here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.alarm(CHILD_ALARM)
            code = child()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def idle_connections(client: InfluxDBClient) -> list[Any]:
    """The connections the client's session keeps open for its next requests (their
    aiohttp protocols)."""
    (session,) = client._transport._sessions.values()
    connector: Any = session.connector
    return [protocol for pool in connector._conns.values() for protocol, _ in pool]


# -- fork ---------------------------------------------------------------------------------------


def test_a_forked_child_uses_a_blocking_client_of_its_parent(influxdb_server: InfluxDBServer,
                                                             database: str) -> None:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        client.write("m,who=parent v=1i 1")
        loop = client._modes.runner.loop
        (connection,) = idle_connections(client)

        def child() -> int:
            # The parent's loop thread does not exist here: without a loop of its own,
            # the child would wait for ever.
            client.write("m,who=child v=2i 2")
            points = count(client.query("SELECT count(v) FROM m"))
            assert client._modes.runner.loop is not loop
            client.close()
            return 0 if points == 2 else 2

        assert fork(child) == 0
        # The parent's loop and connection are as they were: the child neither used nor
        # closed them, and the parent's next request goes over the same connection.
        assert client._modes.runner.loop is loop
        assert not connection.transport.is_closing()
        assert count(client.query("SELECT count(v) FROM m WHERE who = 'child'")) == 1
        assert idle_connections(client) == [connection]


def test_a_forked_child_uses_an_async_client_of_its_parent(influxdb_server: InfluxDBServer,
                                                           database: str) -> None:
    client = InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(client.write("m,who=parent v=1i 1"))
        (connection,) = idle_connections(client)

        def child() -> int:
            async def main() -> int:
                await client.write("m,who=child v=2i 2")
                points = count(await client.query("SELECT count(v) FROM m"))
                # Closes the child's session, not the parent's (which belongs to a loop
                # the child cannot run, and whose connections are the parent's).
                await client.close()
                return points

            return 0 if asyncio.run(main()) == 2 else 2

        assert fork(child) == 0
        assert not connection.transport.is_closing()
        assert count(loop.run_until_complete(
            client.query("SELECT count(v) FROM m WHERE who = 'child'"))) == 1
        assert idle_connections(client) == [connection]
    finally:
        loop.run_until_complete(client.close())
        loop.close()


def _write_from_a_worker(client: Any) -> None:
    # Runs in a worker forked by multiprocessing: the client is the parent's.
    client.write(f"m,who=worker{os.getpid()} v=1i")
    assert count(client.query("SELECT count(v) FROM m")) >= 2


def test_multiprocessing_workers_forked_from_a_parent_with_a_blocking_client(
        influxdb_server: InfluxDBServer, database: str) -> None:
    context = multiprocessing.get_context("fork")
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        client.write("m,who=parent v=1i")
        workers: list[Any] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12: see fork()
            for _ in range(2):
                worker = context.Process(target=_write_from_a_worker, args=(client,))
                worker.start()
                workers.append(worker)
        for worker in workers:
            # A guard against a worker left hanging, not a measure.
            worker.join(CHILD_ALARM)
            if worker.exitcode is None:
                worker.kill()
                worker.join()
        assert [worker.exitcode for worker in workers] == [0, 0]
        assert count(client.query("SELECT count(v) FROM m")) == 3


# -- Ctrl-C -------------------------------------------------------------------------------------

# The child writes a DataFrame in requests of 1,000 rows. The proxy holds back the answer
# of the fourth request, and of all after it: the write waits, three requests stored
# (the fourth, stored by the server too, unacknowledged), when the test sends SIGINT.
INTERRUPTED_WRITE = """
import asyncio, json, sys
import numpy as np
import pandas as pd
from influxkit import InfluxDBClient

host, port, database = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = 200_000
frame = pd.DataFrame({"v": np.arange(rows)},
                     index=pd.date_range("2020-01-01", periods=rows, freq="s"))
client = InfluxDBClient(host=host, port=port, db=database, mode="blocking")
report = {}
try:
    client.write(frame, measurement="m", batch_size=1_000)
except KeyboardInterrupt as exc:
    report["raised"] = "KeyboardInterrupt"
    report["notes"] = getattr(exc, "__notes__", [])
else:
    report["raised"] = None

async def left() -> int:
    (session,) = client._transport._sessions.values()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    return len(tasks) + len(session.connector._acquired)

# Right after the interruption: nothing of the write is left on the loop, no request,
# no connection in use.
report["left"] = asyncio.run_coroutine_threadsafe(left(), client._modes.runner.loop).result()
client.close()
print(json.dumps(report))
"""


def test_ctrl_c_interrupts_a_blocking_write_at_once(influxdb_server: InfluxDBServer,
                                                    database: str) -> None:
    pytest.importorskip("pandas")
    with FaultProxy(influxdb_server.url) as proxy:
        proxy.delay(3600, skip=3, count=None)
        child = subprocess.Popen(
            [sys.executable, "-c", INTERRUPTED_WRITE, proxy.host, str(proxy.port), database],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # The child waits for the answer of its fourth request.
            proxy.wait_for_requests(4, path="/write", timeout=60)
            child.send_signal(signal.SIGINT)
            interrupted = time.monotonic()
            out, err = child.communicate(timeout=60)
            ended = time.monotonic() - interrupted
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert child.returncode == 0, err
    report = json.loads(out)
    assert report["raised"] == "KeyboardInterrupt"
    assert report["notes"] == ["write interrupted after 3 request(s) of it had been stored; "
                               "any cut off in flight may have been stored too"]
    assert report["left"] == 0
    assert "write interrupted after 3 request(s)" in err
    # Not a measure of speed: the write held waits for an hour, and a call that could
    # not be interrupted would keep the child that long.
    assert ended < 10


# -- exit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [["-W", "error"], ["-X", "dev"]])
def test_a_blocking_client_never_closed_says_nothing_at_exit(
        influxdb_server: InfluxDBServer, database: str, options: list[str]) -> None:
    script = textwrap.dedent(f"""
        from influxkit import InfluxDBClient

        client = InfluxDBClient(host={influxdb_server.host!r}, port={influxdb_server.port},
                                db={database!r}, mode="blocking")
        client.write("m v=1i")
        chunks = client.query("SELECT v FROM m", chunked=True)
        assert client.query("SELECT count(v) FROM m")["results"][0]["series"]
    """)
    done = subprocess.run([sys.executable, *options, "-c", script], capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_forked_child_says_nothing_at_exit(influxdb_server: InfluxDBServer,
                                             database: str) -> None:
    # The child inherits the parent's open session, opens its own, and exits without
    # closing either: the interpreter's exit closes its own, and leaves the parent's
    # alone. (Under -W error, the child's copies of the parent's sockets, closed by
    # their finalisers, would each be a ResourceWarning, ignored by default.)
    script = textwrap.dedent(f"""
        import os, sys, warnings
        from influxkit import InfluxDBClient

        client = InfluxDBClient(host={influxdb_server.host!r}, port={influxdb_server.port},
                                db={database!r}, mode="blocking")
        client.write("m,who=parent v=1i")
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
        if pid == 0:
            client.write("m,who=child v=1i")
            sys.exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        result = client.query("SELECT count(v) FROM m")
        assert result["results"][0]["series"][0]["values"][0][1] == 2, result
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
