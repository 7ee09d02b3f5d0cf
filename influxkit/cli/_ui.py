"""What the command line shows on stderr: notes, errors, summaries and progress bars
(rich, drawn only when stderr is a terminal)."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["UI", "LoadProgress", "RowProgress"]


class UI:
    """The messages of one command, on stderr.

    ``progress``: True, False, or None to draw progress bars when stderr is a terminal.
    ``quiet``: only errors.
    """

    def __init__(self, *, progress: bool | None = None, quiet: bool = False) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.show_progress = (self.console.is_terminal if progress is None else progress) \
            and not quiet

    def note(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, style="dim", markup=False)

    def summary(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, markup=False)

    def error(self, text: str) -> None:
        self.console.print(text, style="red", markup=False)

    def progress(self, total_bytes: int | None) -> LoadProgress:
        return LoadProgress(self, total_bytes)

    def rows(self, description: str, total: float | None = None) -> RowProgress:
        return RowProgress(self, description, total)


class LoadProgress:
    """The bar of a load: bytes read of the inputs, points written, points/s, retries."""

    def __init__(self, ui: UI, total: int | None) -> None:
        self._ui = ui
        self._progress: Any = None
        self._task: Any = None
        self._total = total
        self._started = time.perf_counter()

    def __enter__(self) -> LoadProgress:
        if not self._ui.show_progress:
            return self
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[points]:>12,} points"),
            TextColumn("{task.fields[rate]:>9,.0f} points/s"),
            TextColumn("{task.fields[retries]:,} retries"),
            TimeElapsedColumn(),
            console=self._ui.console,
            transient=False,
            refresh_per_second=8,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task("writing", total=self._total, points=0,
                                             rate=0.0, retries=0)
        return self

    def start_file(self, name: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=_short(name))

    def update(self, completed: int, stats: Any) -> None:
        if self._progress is None:
            return
        elapsed = time.perf_counter() - self._started
        written = stats.points_written
        self._progress.update(self._task, completed=completed, points=written,
                              rate=written / elapsed if elapsed > 0 else 0.0,
                              retries=stats.retries)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


class RowProgress:
    """The bar of an export: rows written, rows/s, and how far through the time range."""

    def __init__(self, ui: UI, description: str, total: float | None) -> None:
        self._ui = ui
        self._description = description
        self._total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> RowProgress:
        if not self._ui.show_progress:
            return self
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TextColumn("{task.fields[rate]:>9,.0f} rows/s"),
            TimeElapsedColumn(),
            console=self._ui.console,
            refresh_per_second=8,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task(self._description, total=self._total, rows=0,
                                             rate=0.0)
        self._started = time.perf_counter()
        return self

    def update(self, rows: int, completed: float | None = None) -> None:
        if self._progress is None:
            return
        elapsed = time.perf_counter() - self._started
        fields: dict[str, Any] = {"rows": rows, "rate": rows / elapsed if elapsed else 0.0}
        if completed is not None:
            fields["completed"] = completed
        self._progress.update(self._task, **fields)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            if self._total is not None:
                self._progress.update(self._task, completed=self._total)
            self._progress.__exit__(None, None, None)


def _short(name: str, width: int = 30) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3):]
