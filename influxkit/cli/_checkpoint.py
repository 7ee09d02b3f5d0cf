"""How far a load got: the checkpoint of ``influxkit write --spill-dir``.

The spill directory holds the batching writer's batch files (every point handed to the
writer is in one until the server acknowledges it, and a writer started on the
directory sends what is left there first) and this checkpoint: an append-only file of
JSON lines. The first names the load (its files and options); each later one says how
far into which input the writer has taken the points (a byte offset, or a row for
Parquet), with a digest of the bytes before it. A record is appended, and synced, each
time the writer has taken a piece of input, so that after a crash or Ctrl-C the load
goes on from there: what the writer took is in its batch files, what it had not taken
is read again. A record torn by a crash is ignored (the one before it holds).

A hard crash (kill -9, a power cut) between the writer taking a piece and its record
reaching the disk makes the next run send that piece again: InfluxDB stores a point
written twice (same measurement, tags and time) once, but a line without a time twice,
each with the time the server gave it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Checkpoint", "CheckpointError", "Position"]

NAME: Final = "influxkit-write.checkpoint"
LOCK: Final = "influxkit-write.lock"
VERSION: Final = 1


class CheckpointError(Exception):
    """The spill directory cannot be used for this load (a usage problem)."""


@dataclass
class Position:
    """Where a load stands: the input it is in, and how far into it."""

    file: int = 0  # index of the input
    offset: int = 0  # bytes of its text (rows, for Parquet) taken by the writer
    line: int = 1  # the line (row) at the offset
    digest: str | None = None  # of the bytes before the offset
    finished: bool = False


class Checkpoint:
    """The checkpoint of a load in ``directory`` (made if missing), locked for this
    process.

    Raises:
        CheckpointError: when another ``influxkit write`` uses the directory; when it
            holds an unfinished load and ``resume`` is false; when ``resume`` is true
            and there is nothing to resume, or another load than this one.
    """

    def __init__(self, directory: str, load: dict[str, Any], *, resume: bool,
                 fsync: bool = True) -> None:
        self.directory = directory
        self.path = os.path.join(directory, NAME)
        self.fsync = fsync
        os.makedirs(directory, exist_ok=True)
        self._lock = os.open(os.path.join(directory, LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise CheckpointError(f"another influxkit write is using {directory}") from None
        try:
            self.position = self._open(load, resume)
        except BaseException:
            self.close()
            raise

    def _open(self, load: dict[str, Any], resume: bool) -> Position:
        found, position, whole = _read(self.path)
        if found is not None and not position.finished and not resume:
            files = ", ".join(found.get("files", []))
            raise CheckpointError(
                f"{self.directory} holds an unfinished load ({files}): add --resume to go "
                f"on with it, or remove the directory to start over")
        if resume:
            if found is None:
                raise CheckpointError(f"nothing to resume: {self.directory} holds no "
                                      f"checkpoint of a load")
            different = sorted(key for key in {*found, *load}
                               if found.get(key) != load.get(key))
            if different:
                raise CheckpointError(
                    f"the load in {self.directory} is another one: its "
                    f"{', '.join(different)} differ(s) from this command's "
                    f"(it loaded {', '.join(found.get('files', []))})")
            os.truncate(self.path, whole)  # a torn last record goes
            self._file = open(self.path, "a")  # noqa: SIM115 - closed by close()
            return position
        self._file = open(self.path, "w")  # noqa: SIM115 - closed by close()
        self._append({"influxkit-write": VERSION, "load": load})
        return Position()

    def record(self, file: int, offset: int, line: int, digest: str | None) -> None:
        """The writer has taken the points of input ``file`` before ``offset``."""
        self.position = Position(file, offset, line, digest)
        self._append({"file": file, "offset": offset, "line": line, "digest": digest})

    def finish(self) -> None:
        """Every input is taken and delivered (or reported)."""
        self.position.finished = True
        self._append({"finished": True})

    def _append(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self.fsync:
            os.fdatasync(self._file.fileno())

    def close(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()
        with contextlib.suppress(OSError):
            os.close(self._lock)  # closing releases the lock


def _read(path: str) -> tuple[dict[str, Any] | None, Position, int]:
    """The load a checkpoint file names, the position of its last whole record, and
    the size of its whole records."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None, Position(), 0
    load: dict[str, Any] | None = None
    position = Position()
    whole = 0
    for line in data.splitlines(keepends=True):
        try:
            record = json.loads(line)
        except ValueError:
            break  # torn by a crash: the record before holds
        if not isinstance(record, dict) or not line.endswith(b"\n"):
            break
        whole += len(line)
        if "influxkit-write" in record:
            load = record.get("load", {})
        elif record.get("finished"):
            position.finished = True
        elif "file" in record:
            position = Position(record["file"], record["offset"], record["line"],
                                record.get("digest"))
    if load is None:
        raise CheckpointError(f"{path} is not a checkpoint of influxkit write")
    return load, position, whole
