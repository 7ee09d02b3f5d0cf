"""The batching writer against the real server: batching, flushing, failures that are
reported, backpressure, the spill directory, restarts and pauses of the server.

After each scenario the server is asked for ``count(*)``: it must equal the number of
points handed over (or, where points are reported as dropped, exactly that many
fewer), and no point may appear that was not written.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from influxkit import InfluxDBClient, LineProtocolError
from influxkit._core.backoff import RetryPolicy
from influxkit._writer import Batch, WriterError
from influxkit.testing import InfluxDBServer
from influxkit.testing.pytest_plugin import InfluxDBServerFactory

pytestmark = pytest.mark.every_server

FAST = RetryPolicy(retry_interval=0.05, max_retry_delay=0.5, max_retries=1000,
                   max_retry_time=120)


# The points' times: nanoseconds from 2020-09-13 (integers before 1971 are refused as
# times in the wrong unit).
T0 = 1_600_000_000_000_000_000


def points(n: int, start: int = 0, measurement: str = "m", t0: int = T0
           ) -> list[dict[str, Any]]:
    """Points ``start`` to ``start + n - 1``: point ``i`` has ``v=i`` at ``t0 + i``."""
    return [{"measurement": measurement, "tags": {"k": f"s{i % 7}"},
             "fields": {"v": i}, "time": t0 + i} for i in range(start, start + n)]


def count(server: InfluxDBServer, db: str, measurement: str = "m",
          rp: str | None = None) -> int:
    source = f'"{rp}"."{measurement}"' if rp else f'"{measurement}"'
    answer = server.query(f"SELECT count(v) FROM {source}", db=db)
    series = answer["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def values(server: InfluxDBServer, db: str) -> list[int]:
    answer = server.query('SELECT v FROM "m"', db=db)
    series = answer["results"][0].get("series")
    return [row[1] for row in series[0]["values"]] if series else []


async def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def client(influxdb_server: InfluxDBServer, database: str
                 ) -> AsyncIterator[InfluxDBClient]:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database) as client:
        yield client


# -- batching -------------------------------------------------------------------------------


async def test_points_are_sent_in_batches_of_batch_size(
        client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    sent: list[Batch] = []
    async with client.writer(batch_size=100, on_success=sent.append) as writer:
        for point in points(1_000):
            await writer.write(point)
        await writer.flush()
        assert writer.stats.points_written == 1_000  # acknowledged by the server
        # (Under a loaded machine, influxd may take a moment to show what it acknowledged.)
        await eventually(lambda: count(influxdb_server, database) == 1_000, timeout=5)
    assert [batch.points for batch in sent] == [100] * 10
    assert writer.stats.points_written == 1_000
    assert writer.stats.batches_written == 10
    assert writer.stats.buffered_points == 0


async def test_batches_are_also_cut_by_bytes(client: InfluxDBClient,
                                             influxdb_server: InfluxDBServer,
                                             database: str) -> None:
    sent: list[Batch] = []
    async with client.writer(batch_size=10_000, batch_bytes=2_000,
                             on_success=sent.append) as writer:
        await writer.write(points(500))
    # (Right after a shard is made, influxd may take a moment to show what it stored.)
    await eventually(lambda: count(influxdb_server, database) == 500, timeout=5)
    assert len(sent) >= 5
    assert all(batch.size <= 2_000 for batch in sent)


async def test_a_partial_batch_is_sent_after_the_flush_interval(
        client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    async with client.writer(batch_size=1_000, flush_interval=0.2,
                             jitter_interval=0.1) as writer:
        started = time.monotonic()
        await writer.write(points(3))
        await eventually(lambda: count(influxdb_server, database) == 3, timeout=5)
        assert time.monotonic() - started >= 0.2


async def test_flush_returns_once_everything_before_it_is_stored(
        client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    async with client.writer(batch_size=50, flush_interval=60) as writer:
        for start in range(0, 1_000, 100):
            await writer.write(points(100, start))
            await writer.flush()
            assert count(influxdb_server, database) == start + 100


async def test_targets_are_kept_apart(client: InfluxDBClient, influxdb_server: InfluxDBServer,
                                      database: str) -> None:
    other = f"{database}_other"
    influxdb_server.create_database(other)
    influxdb_server.query(f'CREATE RETENTION POLICY "week" ON "{database}" DURATION 7d '
                          "REPLICATION 1")
    try:
        async with client.writer() as writer:
            await writer.write(points(10))
            await writer.write(points(20), db=other)
            await writer.write(points(30, t0=time.time_ns() - 10**12), rp="week")
            await writer.write({"measurement": "s", "fields": {"v": 1}, "time": T0 // 10**9},
                               precision="s")
        assert count(influxdb_server, database) == 10
        assert count(influxdb_server, other) == 20
        assert count(influxdb_server, database, rp="week") == 30
        answer = influxdb_server.query('SELECT v FROM "s"', db=database)
        assert answer["results"][0]["series"][0]["values"] == [["2020-09-13T12:26:40Z", 1]]
    finally:
        influxdb_server.drop_database(other)


async def test_dataframes_stream_through_the_writer(client: InfluxDBClient,
                                                    influxdb_server: InfluxDBServer,
                                                    database: str) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"v": range(20_000), "k": ["a", "b"] * 10_000},
                         index=pd.date_range("2020", periods=20_000, freq="s", tz="UTC"))
    async with client.writer(batch_size=1_000, max_buffer_points=3_000) as writer:
        await writer.write(frame, "m", tag_columns=["k"])
    assert count(influxdb_server, database) == 20_000
    assert writer.stats.batches_written == 20


async def test_a_bad_point_fails_its_write_and_nothing_of_it_is_taken(
        client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    async with client.writer() as writer:
        await writer.write(points(5))
        bad = [*points(3, 100), {"measurement": "m", "fields": {"v": float("nan")}}]
        with pytest.raises(LineProtocolError, match="point 3") as info:
            await writer.write(bad)
        assert info.value.field == "v"
    assert count(influxdb_server, database) == 5


async def test_default_tags_of_the_client_are_added(influxdb_server: InfluxDBServer,
                                                    database: str) -> None:
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database, default_tags={"site": "x"}) as client, \
            client.writer() as writer:
        await writer.write(points(4))
    answer = influxdb_server.query('SELECT count(v) FROM "m" WHERE "site" = \'x\'', db=database)
    assert answer["results"][0]["series"][0]["values"][0][1] == 4


# -- failures that are not worth retrying -----------------------------------------------------


async def test_a_refused_batch_is_raised_by_flush(client: InfluxDBClient,
                                                  influxdb_server: InfluxDBServer,
                                                  database: str) -> None:
    async with client.writer(retry=FAST) as writer:
        await writer.write(points(10), db="no_such_database")
        await writer.write(points(10))
        with pytest.raises(WriterError, match="database not found") as info:
            await writer.flush()
        assert [batch.points for batch, _ in info.value.failures] == [10]
        await writer.flush()  # reported once
    assert writer.stats.points_failed == 10
    assert writer.stats.retries == 0  # a 404 is not retried
    assert count(influxdb_server, database) == 10


async def test_an_error_callback_takes_the_failures(client: InfluxDBClient) -> None:
    failures: list[tuple[Batch, BaseException]] = []
    async with client.writer(on_error=lambda b, e: failures.append((b, e))) as writer:
        await writer.write(points(3), db="no_such_database")
        await writer.flush()
    assert len(failures) == 1
    batch, failure = failures[0]
    assert (batch.db, batch.points) == ("no_such_database", 3)
    assert "database not found" in str(failure)


async def test_a_partial_write_is_reported_and_not_sent_again(
        client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    influxdb_server.query(f'CREATE RETENTION POLICY "hour" ON "{database}" DURATION 1h '
                          "REPLICATION 1 DEFAULT")
    now = time.time_ns()
    failures: list[BaseException] = []
    async with client.writer(on_error=lambda b, e: failures.append(e)) as writer:
        await writer.write([*points(2), *points(3, t0=now)])  # 2020 is beyond the policy
    assert count(influxdb_server, database) == 3
    assert writer.stats.points_dropped == 2
    assert writer.stats.points_written == 3
    assert writer.stats.retries == 0
    assert "dropped=2" in str(failures[0])


def test_a_batch_too_large_for_the_server_is_sent_in_halves(
        tmp_path: Path, influxdb_server_factory: InfluxDBServerFactory) -> None:
    server = influxdb_server_factory(extra_config={"http": {"max-body-size": 3_000}},
                                     private=True)
    try:
        server.create_database("db")
        with InfluxDBClient(host=server.host, port=server.port, db="db",
                            mode="blocking") as client:
            sent: list[Batch] = []
            with client.writer(batch_size=1_000, on_success=sent.append) as writer:
                writer.write(points(600))
            assert count(server, "db") == 600
            assert sum(batch.points for batch in sent) == 600
            # About 20 kB in one batch: refused, then halves and quarters, refused,
            # then eighths of about 2.5 kB, stored.
            assert len(sent) == 8
            assert all(batch.size <= 3_000 for batch in sent)
            with client.writer() as writer:
                huge = {"measurement": "m", "fields": {"v": 1, "s": "x" * 5_000}}
                writer.write(huge)
                with pytest.raises(WriterError, match=r"Request Entity Too Large|413"):
                    writer.flush()
    finally:
        server.stop()  # now, not at the end of the session


# -- a server that goes away ------------------------------------------------------------------


async def test_points_written_across_server_restarts_all_arrive(
        influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    retries: list[float] = []
    async with InfluxDBClient(host=server.host, port=server.port, db="db") as client, \
            client.writer(batch_size=200, flush_interval=0.05, retry=FAST,
                          on_retry=lambda b, e, wait: retries.append(wait)) as writer:
        for round_ in range(3):
            for start in range(0, 2_000, 100):
                await writer.write(points(100, round_ * 2_000 + start))
                await asyncio.sleep(0)
            await asyncio.to_thread(server.restart)
    assert count(server, "db") == 6_000
    assert values(server, "db") == list(range(6_000))
    assert writer.stats.points_written >= 6_000  # more if a batch was stored, then resent


async def test_a_paused_server_past_the_timeout_loses_nothing(
        influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    async with InfluxDBClient(host=server.host, port=server.port, db="db",
                              timeout=0.5) as client, \
            client.writer(batch_size=100, retry=FAST) as writer:
        await writer.write(points(500))
        await writer.flush()
        await asyncio.to_thread(server.pause)
        try:
            await writer.write(points(500, 500))
            # Until requests have timed out and been retried.
            await eventually(lambda: writer.stats.retries > 0, timeout=60)
            assert writer.stats.retries > 0
        finally:
            await asyncio.to_thread(server.resume)
    assert count(server, "db") == 1_000
    assert writer.stats.points_failed == 0


async def test_without_retries_left_points_are_reported(
        influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    policy = RetryPolicy(retry_interval=0.01, max_retries=2)
    async with InfluxDBClient(host=server.host, port=server.port, db="db",
                              timeout=0.3) as client:
        writer = client.writer(retry=policy)
        await writer.write(points(10))
        await asyncio.to_thread(server.pause)
        try:
            with pytest.raises(WriterError, match="timed out") as info:
                await writer.flush()
        finally:
            await asyncio.to_thread(server.resume)
        await writer.close()
    assert writer.stats.retries == 2
    assert writer.stats.points_failed == 10
    assert info.value.failures[0][0].points == 10


# -- backpressure ---------------------------------------------------------------------------


async def test_a_full_buffer_makes_writes_wait(influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    async with InfluxDBClient(host=server.host, port=server.port, db="db",
                              timeout=0.3) as client, \
            client.writer(batch_size=100, max_buffer_points=300,
                                 retry=FAST) as writer:
        await asyncio.to_thread(server.pause)
        try:
            await writer.write(points(300))
            blocked = asyncio.ensure_future(writer.write(points(100, 300)))
            # While the senders time out and retry, again and again, the write waits.
            await eventually(lambda: writer.stats.retries >= 2, timeout=60)
            assert not blocked.done()
            assert writer.stats.buffered_points <= 300
        finally:
            await asyncio.to_thread(server.resume)
        await asyncio.wait_for(blocked, 30)
    assert count(server, "db") == 400


async def test_drop_oldest_counts_and_reports_what_it_drops(
        influxdb_private_server: InfluxDBServer) -> None:
    server = influxdb_private_server
    server.create_database("db")
    dropped: list[Batch] = []
    async with InfluxDBClient(host=server.host, port=server.port, db="db",
                              timeout=0.3) as client:
        writer = client.writer(batch_size=100, max_buffer_points=300, concurrency=1,
                               when_full="drop_oldest", retry=FAST,
                               on_error=lambda batch, error: dropped.append(batch))
        await asyncio.to_thread(server.pause)
        try:
            for start in range(0, 1_000, 100):
                await writer.write(points(100, start))
        finally:
            await asyncio.to_thread(server.resume)
        await writer.close()
    lost = sum(batch.points for batch in dropped)
    assert lost > 0
    assert writer.stats.points_dropped == lost
    assert count(server, "db") == 1_000 - lost
    kept = set(values(server, "db"))
    for batch in dropped:
        assert not kept & {int(line.split(b"v=")[1].split(b"i")[0]) for line in batch.lines()}


# -- the spill directory --------------------------------------------------------------------


async def test_spilled_batches_are_delivered_by_the_next_writer(
        influxdb_server: InfluxDBServer, database: str, tmp_path: Path) -> None:
    closed_port = _closed_port()
    async with InfluxDBClient(port=closed_port, db=database) as unreachable:
        writer = unreachable.writer(batch_size=100, spill_dir=tmp_path, when_full="spill",
                                    max_buffer_points=200, retry=FAST)
        for start in range(0, 1_000, 100):
            await writer.write(points(100, start))  # never waits: spilled to disk
        assert writer.stats.points_spilled > 0
        await writer.close(timeout=0.5)
    assert len(list(tmp_path.glob("*.lp"))) == 10
    assert count(influxdb_server, database) == 0
    async with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port,
                              db=database) as client, client.writer(spill_dir=tmp_path) as writer:
        await writer.flush()
    assert count(influxdb_server, database) == 1_000
    assert values(influxdb_server, database) == list(range(1_000))
    assert not list(tmp_path.glob("*.lp"))


async def test_a_spill_directory_has_one_writer_at_a_time(client: InfluxDBClient,
                                                          tmp_path: Path) -> None:
    async with client.writer(spill_dir=tmp_path):
        with pytest.raises(RuntimeError, match="in use"):
            await client.writer(spill_dir=tmp_path).start()


# A writer with a spill directory, in a process of its own, sending to a closed port:
# each write() hands over 20 points; once it returned, the process says how many
# points were handed over in all (written atomically, so the test never reads it half
# made). The test kills it with SIGKILL wherever it is: writing a batch file,
# syncing, recovering the files of the process killed before it, parking batches.
KILLED_WRITER = textwrap.dedent("""
    import asyncio, os, sys
    from influxkit import InfluxDBClient
    from influxkit._core.backoff import RetryPolicy

    port, database, spill, progress, first = sys.argv[1:]
    T0 = {T0}

    async def main():
        async with InfluxDBClient(port=int(port), db=database) as client:
            writer = client.writer(batch_size=50, spill_dir=spill,
                                   retry=RetryPolicy(retry_interval=0.01, max_retries=1))
            await writer.start()
            for start in range(int(first), int(first) + 10**6, 20):
                await writer.write([{"measurement": "m", "fields": {"v": i},
                                     "time": T0 + i} for i in range(start, start + 20)])
                with open(progress + ".part", "w") as file:
                    file.write(str(start + 20 - int(first)))
                os.replace(progress + ".part", progress)

    asyncio.run(main())
""").replace("{T0}", str(T0))


def _rfc3339(v: int) -> str:
    """The time the server gives back for point ``v`` (at ``T0 + v``, v < 10**9)."""
    fraction = f"{v:09d}".rstrip("0")
    return f"2020-09-13T12:26:40{'.' + fraction if fraction else ''}Z"


def test_a_killed_application_loses_nothing_it_handed_over(
        influxdb_server: InfluxDBServer, database: str, tmp_path: Path) -> None:
    """SIGKILL in the middle of writes, twice (the second process recovers what the
    first left, and is killed in turn), while the server is unreachable: the next
    writer on the directory delivers every point whose write() had returned, each
    point once, each at its own time (a torn line would be stored at the server's
    time, or not at all)."""
    spill = tmp_path / "spill"
    handed_over: list[range] = []
    attempted: list[range] = []
    for first in (0, 10_000_000):
        progress = tmp_path / f"progress{first}"
        process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(_closed_port()),
                                    database, str(spill), str(progress), str(first)])
        try:
            deadline = time.monotonic() + 60  # only turns a hang into a failure
            while not progress.exists() or int(progress.read_text() or 0) < 1_000:
                assert process.poll() is None, "the writing process ended early"
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        done = int(progress.read_text())
        handed_over.append(range(first, first + done))
        attempted.append(range(first, first + done + 20))  # the write() it was in

    sent: list[bytes] = []
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client, \
            client.writer(spill_dir=spill, on_success=lambda b: sent.extend(b.lines())
                          ) as writer:
        writer.flush()
    assert len(sent) == len(set(sent))  # each point sent once
    answer = influxdb_server.query('SELECT v FROM "m"', db=database)
    rows = answer["results"][0]["series"][0]["values"]
    stored = {v for _, v in rows}
    assert len(rows) == len(stored) == len(sent) == writer.stats.points_written
    assert all(when == _rfc3339(v) for when, v in rows)  # no point at a wrong time
    for whole in handed_over:
        assert stored.issuperset(whole)
    assert all(any(v in span for span in attempted) for v in stored)
    assert writer.stats.files_damaged == 0
    assert not list(spill.glob("*.lp"))


@pytest.mark.parametrize("on_error", [False, True], ids=["raised", "on_error"])
async def test_a_close_that_times_out_with_the_server_down_reports_every_point(
        database: str, on_error: bool) -> None:
    """The server cannot be reached and the retry policy would go on for minutes: a
    close(timeout=...) reports every point not delivered (raised, or to on_error), the
    batch in flight too, and counts them as failed."""
    reported: list[Batch] = []
    async with InfluxDBClient(port=_closed_port(), db=database) as client:
        writer = client.writer(
            batch_size=100, concurrency=2,
            **({"on_error": lambda batch, error: reported.append(batch)} if on_error else {}))
        await writer.write(points(250))
        if on_error:
            await writer.close(timeout=0.5)
        else:
            with pytest.raises(WriterError, match="250 point") as caught:
                await writer.close(timeout=0.5)
            reported = [batch for batch, _ in caught.value.failures]
    values_reported = sorted(int(line.split(b"v=")[1].split(b"i")[0])
                             for batch in reported for line in batch.lines())
    assert values_reported == list(range(250))
    assert writer.stats.points_failed == 250
    assert writer.stats.buffered_points == 0
    assert writer.stats.points_written == 0


# -- blocking mode, threads, shutdown -------------------------------------------------------


def test_a_blocking_writer_shared_by_threads(influxdb_server: InfluxDBServer,
                                             database: str) -> None:
    with InfluxDBClient(host=influxdb_server.host, port=influxdb_server.port, db=database,
                        mode="blocking") as client, client.writer(batch_size=250) as writer:
        def produce(offset: int) -> None:
            for start in range(0, 1_000, 50):
                writer.write(points(50, offset + start))

        threads = [threading.Thread(target=produce, args=(n * 1_000,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert values(influxdb_server, database) == list(range(8_000))


def test_a_blocking_writer_still_open_at_exit_is_flushed(influxdb_server: InfluxDBServer,
                                                         database: str) -> None:
    script = textwrap.dedent(f"""
        from influxkit import InfluxDBClient
        client = InfluxDBClient(port={influxdb_server.port}, db={database!r}, mode="blocking")
        writer = client.writer(batch_size=10_000, flush_interval=3600)
        for i in range(1_234):
            writer.write({{"measurement": "m", "fields": {{"v": i}}, "time": {T0} + i}})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert count(influxdb_server, database) == 1_234


def test_a_writer_dropped_without_close_warns(influxdb_server: InfluxDBServer,
                                              database: str) -> None:
    script = textwrap.dedent(f"""
        import asyncio, gc, warnings
        from influxkit import InfluxDBClient

        warnings.simplefilter("always")

        async def main():
            async with InfluxDBClient(port={influxdb_server.port}, db={database!r}) as client:
                writer = client.writer(flush_interval=3600)
                await writer.write([{{"measurement": "m", "fields": {{"v": i}}}}
                                    for i in range(3)])
                return writer

        writer = asyncio.run(main())
        del writer
        gc.collect()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "ResourceWarning: a writer was dropped without close() holding 3 point(s), " \
        "now lost" in done.stderr


async def test_counters_are_logged_at_close(client: InfluxDBClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="influxkit.writer"):
        async with client.writer() as writer:
            await writer.write(points(7))
    assert "'points_written': 7" in caplog.text


async def test_closing_twice_and_writing_after_close(client: InfluxDBClient) -> None:
    writer = client.writer()
    await writer.write(points(1))
    await writer.close()
    await writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        await writer.write(points(1))


@pytest.mark.parametrize("options", [
    {"batch_size": 0}, {"concurrency": 0}, {"flush_interval": 0},
    {"when_full": "later"}, {"when_full": "spill"},
])
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    client = InfluxDBClient(db="x")
    with pytest.raises(ValueError):
        client.writer(**options)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])




async def test_a_partial_write_counts_the_lines_the_server_could_not_parse(
        client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    failures: list[BaseException] = []
    async with client.writer(on_error=lambda batch, error: failures.append(error)) as writer:
        await writer.write(b"m v=1i 1\nm v=zz 2\nm v=3i 3")  # already encoded: not checked
    assert values(influxdb_server, database) == [1, 3]
    assert (writer.stats.points_written, writer.stats.points_dropped) == (2, 1)
    assert failures[0].unparsed == [("m v=zz 2", "invalid boolean")]  # type: ignore[attr-defined]
