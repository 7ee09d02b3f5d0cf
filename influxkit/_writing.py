"""Writing conveniences: ``write_points``, one-measurement writes and sessions, as
methods of :class:`~influxkit.InfluxDBClient`."""

from __future__ import annotations

__all__ = ["WritingMixin"]


class WritingMixin:
    """The writing conveniences of :class:`~influxkit.InfluxDBClient`."""
