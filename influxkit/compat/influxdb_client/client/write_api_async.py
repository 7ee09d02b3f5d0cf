"""``influxdb_client.client.write_api_async``: :class:`WriteApiAsync`, each write awaited
through an async-mode :class:`influxkit.InfluxDBClient`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from influxkit.compat.influxdb_client._translate import (
    prepare,
    translated,
)

from .write.point import DEFAULT_WRITE_PRECISION
from .write_api import NO_DEFAULT_TAGS, PointSettings

if TYPE_CHECKING:
    from ._base import AsyncClient

__all__ = ["WriteApiAsync"]


class WriteApiAsync:
    """Writes to a bucket, awaited: ``await write_api.write(bucket="b", record=point)``.

    Args:
        influxdb_client: the :class:`InfluxDBClientAsync`.
        point_settings: default tags (the client's ``default_tags`` are added).
    """

    def __init__(self, influxdb_client: AsyncClient,
                 point_settings: PointSettings = NO_DEFAULT_TAGS) -> None:
        self._influxdb_client = influxdb_client
        settings = PointSettings(**point_settings.defaultTags)
        for key, value in (influxdb_client.default_tags or {}).items():
            settings.add_default_tag(key, value)
        self._point_settings = settings

    async def write(self, bucket: str, org: str | None = None, record: Any = None,
                    write_precision: str = DEFAULT_WRITE_PRECISION, **kwargs: Any) -> bool:
        """Write a record to ``bucket``, as :meth:`WriteApi.write` does synchronously.

        Returns:
            ``True`` once the server has taken every point.

        Raises:
            LineProtocolError: for data influxkit refuses, before anything is sent.
            ApiException: for an error answer (also influxkit's class for it).
            influxkit.InfluxDBConnectionError: the server could not be reached.
        """
        tags = self._point_settings.defaultTags
        target, database, policy, groups = prepare(
            bucket, org, self._influxdb_client.org, record, write_precision, kwargs, tags)
        client = self._influxdb_client.influxkit
        for precision, writes in groups.items():
            for each in writes:
                with translated():
                    await client.write(each.data, each.measurement, db=database,
                                       precision=precision, rp=policy,
                                       tag_columns=each.tag_columns, org=target,
                                       retry=self._influxdb_client._retry,
                                       **(tags if each.tagged else {}))
        return True

    async def close(self) -> None:
        """Nothing to release: the client's connections are closed with the client."""
