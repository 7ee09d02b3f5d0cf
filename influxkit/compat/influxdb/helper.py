"""influxdb-python's ``SeriesHelper``: influxkit's, with influxdb-python's refusals.

A subclass's ``Meta`` gives ``series_name``, ``fields``, ``tags``, and optionally
``client`` (this package's client, or influxkit's in blocking mode), ``bulk_size``,
``autocommit``, ``time_precision`` and ``retention_policy``, as in influxdb-python.
"""

from __future__ import annotations

from typing import Any

import influxkit

from .client import InfluxDBClient
from .exceptions import translated

__all__ = ["SeriesHelper"]


class MetaError(AttributeError, TypeError):
    """A ``Meta`` without what it needs (influxdb-python raised ``AttributeError``;
    influxkit's helper a ``TypeError``)."""


class NameMismatchError(NameError, TypeError):
    """Arguments of a point that are not its tags and fields, or that leave a tag out
    (influxdb-python raised ``NameError``; influxkit's helper a ``TypeError``)."""


def _check(cls: type[SeriesHelper], values: dict[str, Any]) -> None:
    """Raise what influxdb-python raised for this class and these arguments."""
    name = cls.__name__
    meta = getattr(cls, "Meta", None)
    if meta is None:
        raise MetaError(f"{name} has no Meta class")
    for attribute in ("series_name", "fields", "tags"):
        if not hasattr(meta, attribute):
            raise MetaError(f"{name}.Meta has no {attribute}")
    if getattr(meta, "autocommit", False) and not getattr(meta, "client", None):
        raise MetaError(f"{name}.Meta.autocommit needs Meta.client")
    tags, fields = list(meta.tags), list(meta.fields)
    missing = [tag for tag in tags if tag not in values]
    if missing:
        raise NameMismatchError(f"{name} needs every tag {tags}; missing {missing}")
    unknown = sorted(set(values) - {*tags, *fields, "time"})
    if unknown:
        raise NameMismatchError(f"{name} got {unknown}, which are not tags or fields of it")


class SeriesHelper(influxkit.SeriesHelper):
    """Record points by instantiating a subclass; write them in bulk.

    Its ``Meta``: ``series_name`` (a :meth:`str.format` template of tags and fields),
    ``fields``, ``tags``; optionally ``client``, ``bulk_size``, ``autocommit``,
    ``time_precision``, ``retention_policy``. Each instantiation records a point; with
    ``autocommit``, the one that brings the points to ``bulk_size`` writes them.

    Raises:
        AttributeError: for a ``Meta`` without ``series_name``, ``fields`` or ``tags``,
            or ``autocommit`` without a ``client`` (also a ``TypeError``).
        NameError: for an argument that is not a tag, a field or ``time``, or a tag
            left out (also a ``TypeError``).
        InfluxDBClientError: for a point line protocol cannot carry (also a
            ``LineProtocolError``), or a write the server refuses.
    """

    def __init__(self, **kw: Any) -> None:
        _check(type(self), kw)
        with translated():
            super().__init__(**kw)

    @classmethod
    def commit(cls, client: Any = None) -> Any:
        """Write the recorded points (through ``client``, else ``Meta.client``) and
        forget them once written.

        Returns:
            True.

        Raises:
            InfluxDBClientError, InfluxDBServerError: when the write fails; the points
                stay recorded for the next commit.
        """
        chosen = client if client is not None else getattr(getattr(cls, "Meta", None),
                                                           "client", None)
        if isinstance(chosen, InfluxDBClient):
            chosen = chosen.influxkit_client
        with translated():
            return super().commit(chosen)
