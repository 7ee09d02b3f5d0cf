"""The other clients' ways of writing, as the arguments of one write.

influxdb-python's ``write_points`` (points or a DataFrame) and inflow's
``write_measurement`` become the arguments of :meth:`InfluxDBClient.write`: pure
translations, unit-testable, which the client sends through its one write.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ._encode.point import Point, measurement_point
from ._encode.serialize import frame_kind

__all__ = ["write_measurement_call", "write_points_call"]

PROTOCOLS: Final = ("json", "line")


def _points_form(points: Any, time_precision: str | None = None, database: str | None = None,
                 retention_policy: str | None = None, tags: Mapping[str, Any] | None = None,
                 batch_size: int | None = None, protocol: str = "json",
                 consistency: str | None = None) -> None:
    """The arguments of ``write_points`` for points (influxdb-python's order)."""


def _frame_form(dataframe: Any, measurement: str, tags: Mapping[str, Any] | None = None,
                tag_columns: Iterable[str] | None = None,
                field_columns: Iterable[str] | None = None, time_precision: str | None = None,
                database: str | None = None, retention_policy: str | None = None,
                batch_size: int | None = None, protocol: str = "line") -> None:
    """The arguments of ``write_points`` for a DataFrame (influxdb-python's
    ``DataFrameClient`` order)."""


_POINTS_FORM: Final = inspect.signature(_points_form)
_FRAME_FORM: Final = inspect.signature(_frame_form)

# The parameters of write(): shared tags of these names can't be passed on to it.
_WRITE_PARAMETERS: Final = frozenset(
    {"data", "measurement", "db", "precision", "rp", "tag_columns", "batch_size",
     "concurrency", "timeout", "retry"})


def write_points_call(points: Any, *args: Any, **kwargs: Any
                      ) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments of :meth:`InfluxDBClient.write` for influxdb-python's
    ``write_points(points, ...)`` (see the client's ``write_points`` for its two forms).

    Raises:
        TypeError, ValueError: for arguments of neither form, or that write() cannot
            honour (a consistency, shared tags named like write()'s parameters).
    """
    frame = frame_kind(points) is not None
    form = _FRAME_FORM if frame else _POINTS_FORM
    try:
        bound = form.bind(points, *args, **kwargs)
    except TypeError as exc:
        what = "a DataFrame" if frame else "points"
        raise TypeError(f"write_points() of {what}: {exc}") from None
    bound.apply_defaults()
    arguments = bound.arguments
    protocol = arguments["protocol"]
    if protocol not in PROTOCOLS:
        raise ValueError(f"invalid protocol {protocol!r}: use 'json' or 'line' (or "
                         "leave it out; every input is sent as line protocol)")
    if not frame and arguments["consistency"] is not None:
        raise ValueError("consistency= is a setting of InfluxDB Enterprise clusters, "
                         "which influxkit does not send: leave it out")
    tags = dict(arguments["tags"] or {})
    clashes = sorted(set(tags) & _WRITE_PARAMETERS)
    if clashes:
        raise ValueError(
            f"shared tags named {', '.join(map(repr, clashes))} cannot be passed to "
            "write(), whose parameters have these names: put them in the points' own "
            "tags (or a DataFrame's tag columns)")
    options = {"db": arguments["database"], "precision": arguments["time_precision"],
               "rp": arguments["retention_policy"], "batch_size": arguments["batch_size"]}
    if not frame:
        return (points,), {**options, **tags}
    data, tag_columns = _frame_columns(points, arguments["tag_columns"],
                                       arguments["field_columns"])
    return (data, arguments["measurement"]), {"tag_columns": tag_columns, **options, **tags}


def write_measurement_call(name: str, tags: Mapping[str, Any] | None, timestamp: Any,
                           precision: str | None, value: Any, fields: Mapping[str, Any],
                           ) -> tuple[Point, str]:
    """The point of inflow's ``write_measurement(name, ...)`` and the precision to
    write it with."""
    point = measurement_point(name, tags, timestamp, precision, value, dict(fields))
    return point, point.write_precision


def _frame_columns(frame: Any, tag_columns: Iterable[str] | None,
                   field_columns: Iterable[str] | None) -> tuple[Any, list[str] | None]:
    """The frame to write, its columns selected and named by strings, and its tag columns."""
    tags = None if tag_columns is None else (
        [tag_columns] if isinstance(tag_columns, str) else list(tag_columns))
    if frame_kind(frame) == "pandas":
        names = list(frame.columns)
        if not all(isinstance(name, str) for name in names):
            # DataFrameClient writes column names as str() writes them.
            as_text = [str(name) for name in names]
            if len(set(as_text)) < len(as_text):
                raise ValueError(f"the DataFrame's column names {names!r} are not distinct "
                                 "as strings")
            frame = frame.set_axis(as_text, axis="columns")
            if tags is not None:
                tags = [str(name) for name in tags]
            if field_columns is not None:
                field_columns = [str(name) for name in field_columns]
    if field_columns is None:
        return frame, tags
    fields = [field_columns] if isinstance(field_columns, str) else list(field_columns)
    selected = [*(tags or []), *fields]
    if frame_kind(frame) == "pandas":
        return frame[selected], tags
    # A polars frame's times are a column: its column 'time', or else its only Datetime
    # column, which stays.
    import polars as pl

    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    times = ["time"] if "time" in schema else [
        name for name, dtype in schema.items()
        if isinstance(dtype, pl.Datetime) and name not in selected]
    return frame.select([*times, *selected]), tags
