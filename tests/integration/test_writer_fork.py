"""A blocking writer made before ``os.fork()``, used in the child and in the parent,
against the real server.

The child starts with none of the parent's points (they are the parent's to
deliver) and sends its own through the client's own loop thread, made afresh in the
child; a writer on a spill directory refuses to work in the child (the directory is
the parent's writer's) and says what to do instead. Each child reports through its
exit code, and never returns into pytest (``os._exit``); the parent checks the
server.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from influxkit import InfluxDBClient
from influxkit.testing import InfluxDBServer

T0 = 1_600_000_000_000_000_000  # 2020-09-13, in nanoseconds

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork()")


def points(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"measurement": "m", "fields": {"v": i}, "time": T0 + i}
            for i in range(start, start + n)]


def values(server: InfluxDBServer, db: str) -> list[int]:
    answer = server.query('SELECT v FROM "m"', db=db)
    series = answer["results"][0].get("series")
    return [row[1] for row in series[0]["values"]] if series else []


def in_child(child: Callable[[], int]) -> int:
    """Fork; the child runs ``child()``, whose result is its exit code (0: all went as
    it should), and leaves with ``os._exit``; the parent gets that exit code."""
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            signal.alarm(60)  # a child that hangs dies, and its parent's test fails
            code = child()
        except BaseException:  # reported through the exit code
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_blocking_writer_inherited_by_a_child_sends_the_child_s_points_only(
        influxdb_server: InfluxDBServer, database: str) -> None:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        writer = client.writer(batch_size=1_000, flush_interval=3600)
        writer.write(points(5, 0))
        writer.flush()  # the parent's loop thread and connections are in use
        writer.write(points(5, 5))  # held by the parent at the fork

        def child() -> int:
            if writer.stats.buffered_points or writer.stats.points_written:
                return 2  # not empty
            writer.write(points(5, 100))
            writer.flush()
            if writer.stats.points_written != 5:
                return 3  # it sent the parent's points too, or not its own
            writer.close()
            return 0

        assert in_child(child) == 0
        assert writer.stats.buffered_points == 5
        writer.close()
        assert writer.stats.points_written == 10
    assert values(influxdb_server, database) == [*range(10), *range(100, 105)]


def test_a_spill_directory_stays_the_parent_s_after_a_fork(
        influxdb_server: InfluxDBServer, database: str, tmp_path: Path) -> None:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client:
        writer = client.writer(spill_dir=tmp_path / "parent", flush_interval=3600)
        writer.write(points(5, 0))

        def child() -> int:
            try:
                writer.write(points(1, 100))
            except RuntimeError as exc:
                if "spill_dir of its own" not in str(exc):
                    raise
            else:
                return 2
            writer.close()  # closing the child's copy lets go nothing of the parent's
            # What the error says to do works.
            with client.writer(spill_dir=tmp_path / "child") as own:
                own.write(points(5, 100))
            return 0

        assert in_child(child) == 0
        with pytest.raises(RuntimeError, match="in use"):  # still the parent's
            client.writer(spill_dir=tmp_path / "parent")
        writer.close()
        assert writer.stats.points_written == 5
    assert values(influxdb_server, database) == [*range(5), *range(100, 105)]
    assert not list((tmp_path / "parent").glob("*.lp"))
