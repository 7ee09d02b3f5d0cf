"""The batching writer's spill directory under faults: torn and damaged batch files,
a full disk, a file-size limit, fsync, and a writer inherited by a forked process.

The engine is the in-memory :class:`FakeEngine` of ``test_writer``; the faults are
real: files cut at every byte, bytes flipped, a tmpfs filled up (when this machine
lets the test mount one), ``RLIMIT_FSIZE`` in a subprocess, ``os.fork()``. The
oracle of what a writer on a directory must send is kept by the test itself: the size
of the batch file after each ``write()`` returned, and the lines of each point.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_writer import PATIENCE, T0, FakeEngine, line, lines, no_wait, points, refused

from influxkit._writer import AsyncWriter

pytestmark = pytest.mark.timeout(60)


def batch_files(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".lp"))


def leftovers(directory: Path) -> list[str]:
    """Files a writer should never leave behind: half-made batch files."""
    return sorted(name for name in os.listdir(directory) if name.endswith(".part"))


async def deliver_directory(directory: Path, engine: FakeEngine | None = None,
                            **options: Any) -> tuple[FakeEngine, AsyncWriter]:
    """What a new writer on ``directory`` sends (by default to an engine that takes
    everything)."""
    engine = engine or FakeEngine()
    writer = AsyncWriter(engine, spill_dir=directory, **options)
    async with writer:
        await asyncio.wait_for(writer.flush(), PATIENCE)
    return engine, writer


# A point whose string field holds newlines and the text of the batch file's framing:
# a reader that looks for lines or markers instead of lengths is misled by it.
HOSTILE = {"measurement": "m", "fields": {"s": "x\n#influxkit-block 5 00000000\nm v=9 9\n"},
           "time": T0 + 100}


async def spilled_file(directory: Path, data: list[Any]) -> tuple[bytes, list[int]]:
    """A batch file as a writer leaves it (one write() per item of ``data``, all in one
    batch, not delivered), and its size after each write() returned."""
    writer = AsyncWriter(FakeEngine(fail_with=refused), spill_dir=directory,
                         batch_size=1_000, flush_interval=3600, retry=no_wait(0))
    sizes = []
    async with writer:
        for item in data:
            await writer.write(item)
            [name] = batch_files(directory)
            sizes.append(os.path.getsize(directory / name))
    assert writer.stats.points_parked == len(data)
    [name] = batch_files(directory)
    return (directory / name).read_bytes(), sizes


# -- torn and damaged files -----------------------------------------------------------------


async def test_a_torn_tail_is_never_sent(tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """A batch file cut at any byte (a crash, a full disk, a power cut in the middle of a
    write): the next writer sends exactly the points of the writes that had returned
    before the cut, never a torn line; the rest is dropped, logged and counted."""
    data = [*points(3), HOSTILE, *points(2, 3)]
    content, sizes = await spilled_file(tmp_path / "source", data)
    everything, _ = await deliver_directory(tmp_path / "source")
    expected = everything.accepted_lines
    assert len(expected) == len(data)
    assert b"x\n#influxkit-block" in expected[3]

    for cut in range(len(content) + 1):
        directory = tmp_path / f"cut{cut}"
        directory.mkdir()
        (directory / "00000000000000000001-1-000001.lp").write_bytes(content[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="influxkit.writer"):
            engine, writer = await deliver_directory(directory)
        complete = sum(1 for size in sizes if size <= cut)
        assert engine.accepted_lines == expected[:complete], f"cut at byte {cut}"
        torn = cut not in (0, content.index(b"\n") + 1, *sizes)  # not at a boundary
        assert writer.stats.torn_tails == int(torn), f"cut at byte {cut}"
        assert ("did not complete" in caplog.text) is torn, f"cut at byte {cut}"
        assert batch_files(directory) == [], f"cut at byte {cut}"
        assert not (directory / "damaged").exists(), f"cut at byte {cut}"


LEGACY_HEADER = b'#influxkit {"db": "db0", "rp": null, "precision": "ns"}\n'
LEGACY_LINES = [b"m v=0i 0", b'm s="a\nb",t="q\\"\nr" 1', b"m v=2i 2", b'm s="\n" 3']


async def test_files_of_the_previous_format_are_sent_and_a_torn_line_never(
        tmp_path: Path) -> None:
    """A batch file of the previous format (the header, then plain line protocol, each
    write ending with a newline) is still read; cut at any byte, only its complete
    lines (as influxd reads them: newlines in strings do not end one) are sent."""
    content = LEGACY_HEADER + b"".join(text + b"\n" for text in LEGACY_LINES)
    ends = []
    offset = len(LEGACY_HEADER)
    for text in LEGACY_LINES:
        offset += len(text) + 1
        ends.append(offset)
    for cut in range(len(LEGACY_HEADER), len(content) + 1):
        directory = tmp_path / f"cut{cut}"
        directory.mkdir()
        (directory / "00000000000000000001-1-000001.lp").write_bytes(content[:cut])
        engine, writer = await deliver_directory(directory)
        complete = sum(1 for end in ends if end <= cut)
        assert engine.accepted_lines == LEGACY_LINES[:complete], f"cut at byte {cut}"
        assert engine.requests == [] or engine.requests[0].params == {
            "db": "db0", "precision": "ns"}
        assert writer.stats.torn_tails == int(cut not in (len(LEGACY_HEADER), *ends))
        assert batch_files(directory) == []


@pytest.mark.parametrize("header", [
    b"not a batch file\n",
    b"#influxkit {not json\n",
    b'#influxkit {"db": 5, "rp": null, "precision": "ns"}\n',
    b'#influxkit ["db0"]\n',
    b"\x00" * 40 + b"\n",
], ids=["text", "bad-json", "bad-db", "not-an-object", "zeros"])
async def test_a_file_with_a_damaged_header_is_set_aside_and_the_rest_is_sent(
        tmp_path: Path, header: bytes, caplog: pytest.LogCaptureFixture) -> None:
    """A file the writer cannot read does not stop it: it is moved to ``damaged/``,
    logged at ERROR and counted; the other files of the directory are sent."""
    good, _ = await spilled_file(tmp_path / "source", points(2))
    directory = tmp_path / "spill"
    directory.mkdir()
    (directory / "00000000000000000001-1-000001.lp").write_bytes(header + b"m v=5i 5\n")
    (directory / "00000000000000000002-1-000001.lp").write_bytes(good)
    with caplog.at_level(logging.ERROR, logger="influxkit.writer"):
        engine, writer = await deliver_directory(directory)
    assert engine.accepted_lines == lines(2)
    assert writer.stats.files_damaged == 1
    assert os.listdir(directory / "damaged") == ["00000000000000000001-1-000001.lp"]
    assert (directory / "damaged" / "00000000000000000001-1-000001.lp").read_bytes() == \
        header + b"m v=5i 5\n"
    assert "damaged" in caplog.text
    assert batch_files(directory) == []
    # Set aside for good: the next writer neither sends it nor counts it again.
    engine, writer = await deliver_directory(directory)
    assert engine.requests == []
    assert writer.stats.files_damaged == 0


async def test_a_record_damaged_in_the_middle_sets_the_file_aside(tmp_path: Path) -> None:
    """A record whose bytes do not match its checksum, with more records after it, is
    not a torn tail but damage (a bad disk, an edit): nothing of the file is sent, it
    moves to ``damaged/``."""
    content, sizes = await spilled_file(tmp_path / "source", points(3))
    directory = tmp_path / "spill"
    directory.mkdir()
    damaged = bytearray(content)
    damaged[sizes[1] - 3] ^= 0x01  # in the second write's point
    (directory / "00000000000000000001-1-000001.lp").write_bytes(bytes(damaged))
    engine, writer = await deliver_directory(directory)
    assert engine.requests == []
    assert writer.stats.files_damaged == 1
    assert writer.stats.torn_tails == 0
    assert os.listdir(directory / "damaged") == ["00000000000000000001-1-000001.lp"]


async def test_a_file_damaged_after_it_was_spilled_is_set_aside_and_reported(
        tmp_path: Path) -> None:
    """A batch that left memory (when_full='spill') is read back from its file when
    sent; a file damaged meanwhile is set aside and its points reported, and the
    writer goes on."""
    engine = FakeEngine()
    engine.hold()
    errors: list[tuple[Any, BaseException]] = []
    async with AsyncWriter(engine, batch_size=2, concurrency=1, max_buffer_points=4,
                           when_full="spill", spill_dir=tmp_path, retry=no_wait(),
                           on_error=lambda batch, error: errors.append((batch, error))
                           ) as writer:
        await writer.write(points(2, 0))
        await engine.until(lambda: engine.held == 1)
        await writer.write(points(2, 2))  # queued, then spilled to make room for:
        await asyncio.wait_for(writer.write(points(2, 4)), PATIENCE)
        assert writer.stats.points_spilled == 2
        second = batch_files(tmp_path)[1]
        content = bytearray((tmp_path / second).read_bytes())
        content[len(content) // 2 + 10] ^= 0x01
        content += b"#influxkit-block 1 00000000\nx\n"  # so that it is not a torn tail
        (tmp_path / second).write_bytes(bytes(content))
        engine.release()
        await asyncio.wait_for(writer.flush(), PATIENCE)
        assert writer.stats.points_failed == 2
        assert writer.stats.files_damaged == 1
    assert engine.accepted_lines == [*lines(2), *lines(2, 4)]
    [(batch, error)] = errors
    assert batch.points == 2
    assert isinstance(error, ValueError)
    assert os.listdir(tmp_path / "damaged") == [second]


# -- I/O errors while a batch file is written -------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 128 KiB, mounted for the test (needs root and the right to mount)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full disk is made with a small tmpfs, which needs root and mount(8); "
                    "test_a_file_size_limit_* covers the same on any machine")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,nr_inodes=1k", "tmpfs",
                           str(mount_point)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); "
                    "test_a_file_size_limit_* covers the same on any machine")
    try:
        yield mount_point
    finally:
        # Lazily: a file a failed test left open must not keep the mount for ever.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


async def test_a_full_disk_fails_the_write_and_nothing_else(small_disk: Path) -> None:
    """The disk fills up while batch files are written (appended to, and made): each
    write() that cannot be kept raises ENOSPC and none of its points is taken; flush()
    and close() still return; no torn bytes and no half-made files are left; the lock is
    let go; the next writer sends exactly the points whose write() returned, once."""
    spill = small_disk / "spill"
    writer = AsyncWriter(FakeEngine(fail_with=refused), spill_dir=spill, batch_size=200,
                         flush_interval=3600, retry=no_wait(0))
    taken: list[int] = []
    failures = 0
    number = 0
    errors: set[int | None] = set()
    while failures < 20:
        try:
            # Two points a write: one write must not leave one of them behind.
            await writer.write(points(2, number))
        except OSError as exc:
            errors.add(exc.errno)
            failures += 1
            # A flush after the error settles: parked on disk (the server is down).
            await asyncio.wait_for(writer.flush(), PATIENCE)
        else:
            taken += [number, number + 1]
        number += 2
        if number % 100 == 0:
            await asyncio.wait_for(writer.flush(), PATIENCE)
    assert taken  # the disk took some before it was full
    assert errors == {errno.ENOSPC}
    await asyncio.wait_for(writer.close(), PATIENCE)
    assert writer.stats.points_parked == len(taken)
    assert leftovers(spill) == []

    engine, second = await deliver_directory(spill)
    assert engine.accepted_lines == [line(i) for i in taken]
    assert second.stats.torn_tails == second.stats.files_damaged == 0
    assert batch_files(spill) == []


async def test_a_full_disk_before_a_batch_file_is_made(small_disk: Path) -> None:
    """No room for even a new batch file's first line: write() raises, and the writer
    is left as it was: flush() returns, close() returns, nothing is left on disk."""
    spill = small_disk / "spill"
    spill.mkdir()
    with open(small_disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError as exc:
            full = exc
    assert full.errno == errno.ENOSPC
    writer = AsyncWriter(FakeEngine(), spill_dir=spill, flush_interval=3600)
    for _ in range(3):
        with pytest.raises(OSError) as caught:
            await writer.write(points(1))
        assert caught.value.errno == errno.ENOSPC
        await asyncio.wait_for(writer.flush(), PATIENCE)
    await asyncio.wait_for(writer.close(), PATIENCE)
    assert writer.stats.buffered_points == 0
    assert batch_files(spill) == leftovers(spill) == []
    os.unlink(small_disk / "filler")
    engine, _ = await deliver_directory(spill)  # the lock was let go
    assert engine.requests == []


async def test_halves_that_find_the_disk_full_keep_their_batch_on_disk(
        small_disk: Path) -> None:
    """A 413 on a batch kept on disk, with no room for the files of its halves: the
    senders go on, the batch stays on disk whole (parked, not reported), and once there
    is room again it is delivered in halves."""
    spill = small_disk / "spill"
    engine = FakeEngine(refuse_over=2)
    errors: list[Any] = []
    writer = AsyncWriter(engine, spill_dir=spill, batch_size=4, flush_interval=3600,
                         retry=no_wait(0), on_error=lambda batch, error: errors.append(error))
    await writer.write(points(3))
    with open(small_disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
    await asyncio.wait_for(writer.flush(), PATIENCE)
    assert writer.stats.points_parked == 3
    assert errors == []
    assert leftovers(spill) == []
    assert len(batch_files(spill)) == 1
    await asyncio.wait_for(writer.close(), PATIENCE)
    os.unlink(small_disk / "filler")
    engine, _ = await deliver_directory(spill, FakeEngine(refuse_over=2))
    assert engine.accepted_lines == lines(3)
    assert [len(request.lines) for request in engine.requests] == [3, 1, 2]


async def test_writes_while_the_writer_starts_come_after_what_it_recovers(
        tmp_path: Path) -> None:
    """Writes made while the first one starts the writer (recovering the directory)
    wait for it: what was left on disk is sent first, then the writes, in order."""
    content, _ = await spilled_file(tmp_path / "source", points(2))
    spill = tmp_path / "spill"
    spill.mkdir()
    (spill / "00000000000000000001-1-000001.lp").write_bytes(content)
    engine = FakeEngine()
    writer = AsyncWriter(engine, spill_dir=spill, flush_interval=3600)  # not started
    await asyncio.gather(*(writer.write(points(1, i)) for i in range(2, 6)))
    await writer.close()
    assert engine.accepted_lines == lines(6)


# RLIMIT_FSIZE makes a write that would pass the limit write what fits, then fail with
# EFBIG (SIGXFSZ ignored): a file-system-level fault on any machine, in a process of
# its own so that the limit binds nothing else.
FILE_SIZE_LIMIT = textwrap.dedent("""
    import asyncio, json, os, resource, signal, sys
    sys.path.insert(0, {tests!r})
    from test_writer import FakeEngine, no_wait, points, refused
    from influxkit._writer import AsyncWriter

    async def main():
        writer = AsyncWriter(FakeEngine(fail_with=refused), spill_dir={spill!r},
                             batch_size=10**6, batch_bytes=10**8, flush_interval=3600,
                             retry=no_wait(0))
        await writer.start()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))
        taken, errors = [], []
        for number in range(0, {count}, 3):
            try:
                await writer.write(points(3, number))
            except OSError as exc:
                errors.append(exc.errno)
                await asyncio.wait_for(writer.flush(), 5)
            else:
                taken += [number, number + 1, number + 2]
        await asyncio.wait_for(writer.close(), 5)
        print(json.dumps({{"taken": taken, "errors": errors,
                          "parked": writer.stats.points_parked}}))

    asyncio.run(main())
""")


@pytest.mark.parametrize(("limit", "count"), [(2_000, 600), (40, 30)],
                         ids=["appending", "making-a-file"])
async def test_a_file_size_limit_fails_the_write_and_nothing_else(
        tmp_path: Path, limit: int, count: int) -> None:
    """A batch file that reaches the process's file-size limit (part of a write
    written, then EFBIG; or no room for the first line of a new file): the write()
    raises EFBIG and none of its points is taken, no torn bytes stay, flush() and
    close() return, and the next writer sends exactly the points taken, once."""
    spill = tmp_path / "spill"
    script = FILE_SIZE_LIMIT.format(tests=str(Path(__file__).parent), spill=str(spill),
                                    limit=limit, count=count)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["errors"]
    assert set(report["errors"]) == {errno.EFBIG}
    assert report["parked"] == len(report["taken"])
    assert leftovers(spill) == []
    assert all(os.path.getsize(spill / name) <= limit for name in batch_files(spill))
    engine, writer = await deliver_directory(spill)
    assert engine.accepted_lines == [line(i) for i in report["taken"]]
    assert writer.stats.torn_tails == writer.stats.files_damaged == 0
    if limit > 100:
        assert report["taken"]


async def test_a_failed_start_lets_the_spill_directory_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A start() that fails after taking the directory's lock (here: the directory
    cannot be listed) lets it go: another writer can start on it."""
    def unreadable(path: Any) -> list[str]:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    writer = AsyncWriter(FakeEngine(), spill_dir=tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(os, "listdir", unreadable)
        with pytest.raises(PermissionError):
            await writer.start()
    engine, _ = await deliver_directory(tmp_path)
    assert engine.requests == []
    # And the writer that failed to start can try again.
    await writer.start()
    await writer.close()


# -- fsync ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fsync", [True, False])
async def test_fsync_makes_each_write_durable_before_it_returns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool) -> None:
    """With fsync=True (the default), each write() returns only once its record is
    synced, and a new batch file's directory entry is synced once it is made; with
    fsync=False, nothing is synced."""
    synced: list[str] = []
    real_fsync, real_fdatasync = os.fsync, os.fdatasync

    def record(real: Any) -> Any:
        def sync(fd: int) -> None:
            synced.append(os.readlink(f"/proc/self/fd/{fd}"))
            real(fd)
        return sync

    monkeypatch.setattr(os, "fsync", record(real_fsync))
    monkeypatch.setattr(os, "fdatasync", record(real_fdatasync))
    engine = FakeEngine()
    async with AsyncWriter(engine, spill_dir=tmp_path, batch_size=2, flush_interval=3600,
                           fsync=fsync) as writer:
        await writer.write(points(1, 0))
        [name] = batch_files(tmp_path)
        if fsync:
            assert str(tmp_path / name) in synced  # its record
            assert str(tmp_path) in synced  # its name, in the directory
        before = len(synced)
        await writer.write(points(1, 1))
        if fsync:
            assert synced[before:] == [str(tmp_path / name)]
        await writer.flush()
    assert engine.accepted_lines == lines(2)
    if not fsync:
        assert synced == []


# -- fork -------------------------------------------------------------------------------------


def run_in_child(child: Any) -> int:
    """Fork; in the child, run ``child()`` (its result is the exit code: 0 for success)
    and leave with ``os._exit``; in the parent, return the child's exit code."""
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        code = 70
        try:
            signal.alarm(30)  # a child that hangs dies, and its parent's test fails
            code = child()
        except BaseException as exc:  # reported through the exit code
            print(f"child: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_writer_inherited_by_a_forked_process_starts_empty(tmp_path: Path) -> None:
    """A writer made and used before os.fork() works in the child, which starts with
    none of the parent's points (they are the parent's to deliver); the parent's writer
    is untouched and delivers its own."""
    engine = FakeEngine()
    loop = asyncio.new_event_loop()
    writer = AsyncWriter(engine, batch_size=100, flush_interval=3600)
    try:
        loop.run_until_complete(writer.write(points(3, 0)))
        assert writer.stats.buffered_points == 3

        def child() -> int:
            async def main() -> int:
                if writer.stats.buffered_points != 0 or writer.stats.points_written:
                    return 3
                before = len(engine.requests)
                await writer.write(points(2, 10))
                await writer.flush()
                sent = [lp for request in engine.requests[before:] for lp in request.lines]
                await writer.close()
                return 0 if sent == lines(2, 10) else 4
            return asyncio.run(main())

        assert run_in_child(child) == 0
        assert writer.stats.buffered_points == 3
        loop.run_until_complete(writer.flush())
        assert engine.accepted_lines == lines(3)
        loop.run_until_complete(writer.close())
    finally:
        loop.close()


def test_a_forked_process_leaves_the_parent_s_spill_directory_alone(tmp_path: Path) -> None:
    """A writer on a spill directory, inherited by a child: the child cannot use it
    (it would need the parent's directory) and says what to do instead; closing it in
    the child neither takes nor lets go the parent's lock, and the parent's writer
    still delivers what it kept there."""
    engine = FakeEngine()
    loop = asyncio.new_event_loop()
    writer = AsyncWriter(engine, spill_dir=tmp_path, batch_size=100, flush_interval=3600)
    try:
        loop.run_until_complete(writer.write(points(3, 0)))

        def child() -> int:
            async def main() -> int:
                try:
                    await writer.write(points(1, 10))
                except RuntimeError as exc:
                    if "spill_dir of its own" not in str(exc):
                        print(exc, file=sys.stderr)
                        return 3
                else:
                    return 4
                await writer.close()
                # The parent's lock still holds the directory.
                other = AsyncWriter(FakeEngine(), spill_dir=tmp_path)
                try:
                    await other.start()
                except RuntimeError as exc:
                    return 0 if "in use" in str(exc) else 5
                return 6
            return asyncio.run(main())

        assert run_in_child(child) == 0
        other = AsyncWriter(FakeEngine(), spill_dir=tmp_path)
        with pytest.raises(RuntimeError, match="in use"):
            loop.run_until_complete(other.start())
        loop.run_until_complete(other.close())
        loop.run_until_complete(writer.flush())
        assert engine.accepted_lines == lines(3)
        loop.run_until_complete(writer.close())
        assert batch_files(tmp_path) == []
    finally:
        loop.close()
