"""influxdb-python's line protocol helpers, on influxkit's encoder and InfluxQL quoting.

- :func:`make_lines` ``(data, precision=None)``: the line protocol of
  ``{"points": [...], "tags": {...}, "measurement": ...}`` as text, each line ended by
  a newline; ``tags`` are shared by every point (a point's own win), ``measurement``
  names the points that do not name their own.
- :func:`make_line` ``(measurement, tags=None, fields=None, time=None,
  precision=None)``: the line of one point, without a newline.
- :func:`quote_ident` and :func:`quote_literal`: a name or a string for an InfluxQL
  statement.

They check what they encode as influxkit does: what line protocol cannot carry, or a
datetime finer than ``precision`` (influxdb-python truncated it), raises
:class:`influxkit.LineProtocolError` (a :class:`ValueError`), naming the point. A raw
newline in a quoted literal is escaped (InfluxQL cannot parse it raw); a name or
literal with a carriage return or NUL, and an empty name, raise :class:`ValueError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import influxkit
from influxkit._core import influxql

__all__ = ["make_line", "make_lines", "quote_ident", "quote_literal"]


def make_lines(data: Mapping[str, Any], precision: str | None = None) -> str:
    """The line protocol of the points of ``data``, one line each, as text.

    Args:
        data: ``{"points": [point dicts], "tags": {shared tags}, "measurement": name}``
            (``tags`` and ``measurement`` optional).
        precision: the unit of the times written: ``'n'`` (or None), ``'u'``, ``'ms'``,
            ``'s'``, ``'m'``, ``'h'``; integer times are taken to be in it.

    Raises:
        LineProtocolError: for a point line protocol cannot carry, naming it.
    """
    shared = data.get("tags") or {}
    # Shared tags are merged here rather than passed as extra tags: a shared tag may be
    # named like an argument of serialize().
    points = [_sorted_point(point, shared) for point in data["points"]]
    encoded = influxkit.serialize(points, data.get("measurement"), precision=precision)
    return encoded.decode("utf-8") + "\n"


def make_line(measurement: str, tags: Mapping[str, Any] | None = None,
              fields: Mapping[str, Any] | None = None, time: Any = None,
              precision: str | None = None) -> str:
    """The line protocol of one point, as text without a newline.

    Raises:
        LineProtocolError: for a point line protocol cannot carry (one without fields
            among them), naming it.
    """
    point = _sorted_point({"measurement": measurement, "tags": tags, "fields": fields,
                           "time": time}, {})
    return influxkit.serialize(point, precision=precision).decode("utf-8")


def _sorted_point(point: Any, shared: Mapping[str, Any]) -> Any:
    """A point dict with the shared tags, its tags and fields in key order, as
    influxdb-python wrote them (InfluxDB's advice: sorted tags are cheaper to index)."""
    if not isinstance(point, Mapping):
        return point
    sorted_point = dict(point)
    tags = {**shared, **(point.get("tags") or {})}
    if tags or "tags" in point:
        sorted_point["tags"] = dict(sorted(tags.items(), key=lambda item: str(item[0])))
    fields = point.get("fields")
    if isinstance(fields, Mapping):
        sorted_point["fields"] = dict(sorted(fields.items(), key=lambda item: str(item[0])))
    return sorted_point


def quote_ident(value: str) -> str:
    """A name (a database, a measurement, a user...) in double quotes, escaped for
    InfluxQL."""
    return influxql.quote_ident(value)


def quote_literal(value: str) -> str:
    """A string in single quotes, escaped for InfluxQL."""
    return influxql.quote_literal(value)
