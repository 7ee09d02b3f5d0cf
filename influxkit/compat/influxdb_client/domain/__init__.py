"""``influxdb_client.domain``: the one model of it that writing needs, :class:`WritePrecision`."""

from __future__ import annotations

from .write_precision import WritePrecision

__all__ = ["WritePrecision"]
