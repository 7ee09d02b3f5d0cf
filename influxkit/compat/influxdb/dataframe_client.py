"""influxdb-python's ``DataFrameClient``: pandas DataFrames in and out.

Made as :class:`~influxkit.compat.influxdb.InfluxDBClient` is. pandas is imported when
a DataFrame is first written or read, not with this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from influxkit._core.extras import require

from .client import InfluxDBClient

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DataFrameClient"]

_PURPOSE = "DataFrameClient"


class DataFrameClient(InfluxDBClient):
    """influxdb-python's client of DataFrames; its other methods are
    :class:`InfluxDBClient`'s."""

    def write_points(self, dataframe: Any, measurement: str,  # type: ignore[override]
                     tags: Mapping[str, Any] | None = None,
                     tag_columns: Iterable[Any] | None = None,
                     field_columns: Iterable[Any] | None = None,
                     time_precision: str | None = None, database: str | None = None,
                     retention_policy: str | None = None, batch_size: int | None = None,
                     protocol: str = "line", numeric_precision: Any = None) -> bool:
        """Write a DataFrame, a point per row.

        Args:
            dataframe: a pandas DataFrame with a DatetimeIndex (or a PeriodIndex: its
                periods' start times); a polars DataFrame works too.
            measurement: the measurement.
            tags: tags of every point; they win over tag columns of the same name.
            tag_columns: the columns written as tags.
            field_columns: the columns written as fields (by default, every column that
                is not a tag). With ``protocol='line'`` and no ``tag_columns``, the
                columns that are not fields are tags; with ``'json'`` they are left out.
            time_precision: the unit of the times written (``'n'``, ``'u'``, ``'ms'``,
                ``'s'``, ``'m'``, ``'h'``); a time that is not a whole number of it is
                refused, never truncated.
            database, retention_policy, batch_size: as :meth:`InfluxDBClient.write_points`.
            protocol: ``'line'`` or ``'json'``; both are sent as line protocol.
            numeric_precision: None or ``'full'`` (floats are written exactly), or the
                number of decimals to round float columns to.

        Returns:
            True.

        Raises:
            InfluxDBClientError: when the server refuses the write, or for data line
                protocol cannot carry (before anything is sent).
            ValueError: for another ``numeric_precision``.
        """
        tag_columns = None if tag_columns is None else list(tag_columns)
        field_columns = None if field_columns is None else list(field_columns)
        if numeric_precision not in (None, "full") and (
                isinstance(numeric_precision, bool) or not isinstance(numeric_precision, int)):
            raise ValueError(f"invalid numeric_precision {numeric_precision!r}: use None, "
                             "'full' or a number of decimals")
        frame = dataframe
        if type(frame).__module__.split(".")[0] == "pandas":
            pandas = require("pandas", _PURPOSE)
            if isinstance(frame.index, pandas.PeriodIndex):
                frame = frame.set_axis(frame.index.to_timestamp(), axis=0)
            if isinstance(numeric_precision, int):
                floats = frame.select_dtypes("floating").columns
                frame = frame.round(dict.fromkeys(floats, numeric_precision))
            if protocol == "line" and field_columns and not tag_columns:
                # influxdb-python wrote the other columns as tags.
                tag_columns = [name for name in frame.columns if name not in field_columns]
            if tags and tag_columns:
                # Its shared tags replaced the tag columns of the same name.
                replaced = [name for name in tag_columns if str(name) in tags]
                if replaced:
                    frame = frame.drop(columns=replaced)
                    tag_columns = [name for name in tag_columns if name not in replaced]
        self._send(self._target(), frame, measurement, tags=tags, tag_columns=tag_columns,
                   field_columns=field_columns, time_precision=time_precision,
                   database=database, retention_policy=retention_policy,
                   batch_size=batch_size, protocol=protocol)
        return True

    def query(self, query: str, params: Mapping[str, Any] | None = None,
              bind_params: Mapping[str, Any] | None = None, epoch: str | None = None,
              expected_response_code: int = 200, database: str | None = None,
              raise_errors: bool = True, chunked: bool = False, chunk_size: int = 0,
              method: str = "GET", dropna: bool = True,
              data_frame_index: list[str] | None = None) -> Any:
        """Run a query; a ``SELECT``'s series come back as DataFrames.

        Args:
            query, params, bind_params, epoch, expected_response_code, database,
                raise_errors, chunk_size, method: as :meth:`InfluxDBClient.query`.
            chunked: for a ``SELECT``, the answer is read in chunks and its DataFrames
                are whole; for another statement, as :meth:`InfluxDBClient.query`.
            dropna: leave out the columns without any value.
            data_frame_index: the columns to index the DataFrames by, instead of the
                time (which is then a column).

        Returns:
            For a query starting with ``SELECT``: a dict of DataFrames, keyed by
            measurement, or by ``(measurement, ((tag, value), ...))`` for a series with
            tags (``GROUP BY``); a list of such dicts for several statements. The index
            is the UTC time. For other queries, what :meth:`InfluxDBClient.query`
            returns.
        """
        if not query.strip().upper().startswith("SELECT"):
            return super().query(query, params, bind_params, epoch, expected_response_code,
                                 database, raise_errors, chunked, chunk_size, method)
        require("pandas", _PURPOSE)
        results = self._results(query, params, bind_params, epoch, expected_response_code,
                                database, raise_errors, chunk_size, method)
        frames = [_frames(result, epoch, dropna, data_frame_index) for result in results]
        if not frames:
            return {}
        return frames[0] if len(frames) == 1 else frames


def _frames(result: Mapping[str, Any], epoch: str | None, dropna: bool,
            index: list[str] | None) -> dict[Any, pd.DataFrame]:
    """The DataFrames of one statement's series, keyed as influxdb-python keyed them."""
    import pandas as pd

    from influxkit._decode.pandas import frame_from_series

    pieces: dict[Any, list[pd.DataFrame]] = {}
    for series in result.get("series") or ():
        name = series.get("name", "results")
        tags = series.get("tags")
        key = name if tags is None else (name, tuple(sorted(tags.items())))
        # Without its tags: influxdb-python's frames have the series' columns only.
        frame = frame_from_series({"columns": series.get("columns") or [],
                                   "values": series.get("values") or []}, epoch)
        if index:
            frame = frame.rename_axis("time").reset_index().set_index(index)
        pieces.setdefault(key, []).append(frame)
    frames = {}
    for key, parts in pieces.items():
        frame = pd.concat(parts) if len(parts) > 1 else parts[0]
        # In time order, as influxdb-python sorted them (ORDER BY time DESC included).
        frame = frame.sort_index()
        if dropna:
            frame = frame.dropna(how="all", axis=1)
        frames[key] = frame
    return frames
