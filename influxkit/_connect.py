"""Connecting: clients made from one URL or from the environment, and UDP writes, for
:class:`~influxkit.InfluxDBClient`."""

from __future__ import annotations

__all__ = ["ConnectMixin"]


class ConnectMixin:
    """The constructors from a URL or the environment, and UDP sending, of
    :class:`~influxkit.InfluxDBClient`."""

    async def _send_udp(self, blocks: list[bytes], precision: str) -> None:
        """Send encoded line protocol blocks to the server's UDP listener."""
        raise NotImplementedError("UDP writes are not available yet")
