"""Administration: databases, retention policies, users and privileges, continuous
queries, measurements and series, as methods of :class:`~influxkit.InfluxDBClient`."""

from __future__ import annotations

__all__ = ["AdminMixin"]


class AdminMixin:
    """The administration methods of :class:`~influxkit.InfluxDBClient`."""
