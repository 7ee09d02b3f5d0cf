"""Helpers of the tests that watch a client's connections and a held-back answer."""

from __future__ import annotations

from typing import Any

from influxkit import InfluxDBClient

POINTS = 20_000


def lines() -> str:
    """Line protocol of POINTS points, enough for an answer the proxy can hold back."""
    return "\n".join(f"m v={i}i {i}" for i in range(POINTS))


def connections_in_use(client: InfluxDBClient[Any]) -> int:
    """The connections of the client's one session that are taken by a request."""
    (session,) = client._transport._sessions.values()
    connector: Any = session.connector
    return len(connector._acquired)
