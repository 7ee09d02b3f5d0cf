"""The ``influxkit`` command line: load, query, export and administer InfluxDB.

A thin shell over influxkit's public API (as sqlite-utils is over its ``Database``),
installed with the ``cli`` extra (``pip install 'influxkit[cli]'``: click, rich,
matplotlib and pyarrow; CSV and Parquet loads also need pandas). Run it as
``influxkit`` or ``python -m influxkit``; ``influxkit --help`` lists the commands.

The click group is :data:`cli` (for ``click.testing.CliRunner``); :func:`main` runs it.
Nothing here is imported by ``import influxkit``, and click, rich, pyarrow, pandas and
matplotlib are imported only by the commands that need them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["cli", "main"]

_CLI_LIBRARIES = ("click", "rich")


def _missing(exc: ImportError) -> SystemExit | None:
    """A message naming the extra to install, when a library of the command line is
    missing."""
    if exc.name not in _CLI_LIBRARIES:
        return None
    print(f"influxkit's command line needs {exc.name}: pip install 'influxkit[cli]'",
          file=sys.stderr)
    return SystemExit(1)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line (``argv``: the arguments, by default ``sys.argv[1:]``)."""
    try:
        from ._app import cli as group
    except ImportError as exc:
        missing = _missing(exc)
        if missing is None:
            raise
        raise missing from None
    group.main(args=list(argv) if argv is not None else None, prog_name="influxkit")


def __getattr__(name: str) -> Any:
    if name == "cli":
        from ._app import cli as group

        return group
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
