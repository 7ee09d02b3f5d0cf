"""Query answers as the server's documents have them, for the decoding tests."""

from __future__ import annotations

from typing import Any


def result(*statements: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The ``results`` of a query: one statement per argument, its series or none."""
    out = []
    for i, series in enumerate(statements):
        statement: dict[str, Any] = {"statement_id": i}
        if series is not None:
            statement["series"] = series
        out.append(statement)
    return out
