"""influxdb-python's ``ResultSet``: one statement's result, browsed by series and points.

Its series are keyed by ``(name, tags)``, where a series without a name (``SHOW
USERS``) is named ``'results'`` and a series without tags has ``None``; iterating it
gives a list of points per series. It differs from :class:`influxkit.ResultSet` in just
these ways, which code written for influxdb-python reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import influxkit

from .exceptions import translate

__all__ = ["ResultSet"]

_SENTINEL = object()


def _series_name(series: Mapping[str, Any]) -> Any:
    return series.get("measurement", series.get("name", "results"))


class ResultSet:
    """The result of one statement of a query.

    Args:
        series: the statement's result, as in the ``results`` list of the JSON answer
            (``{"statement_id": 0, "series": [...]}``).
        raise_errors: with ``True``, a failed statement raises at once; otherwise its
            message is kept in :attr:`error`.

    Raises:
        InfluxDBClientError: when the statement failed and ``raise_errors`` is True (also
            an :class:`influxkit.InfluxDBQueryError`).
    """

    def __init__(self, series: Mapping[str, Any], raise_errors: bool = True) -> None:
        self._raw = series
        self._error = self._raw.get("error", None)
        if self._error is not None and raise_errors is True:
            raise translate(influxkit.InfluxDBQueryError(
                str(self._error), statement_id=self._raw.get("statement_id")))

    @property
    def raw(self) -> Mapping[str, Any]:
        """The statement's result, as the JSON answer has it."""
        return self._raw

    @raw.setter
    def raw(self, value: Mapping[str, Any]) -> None:
        self._raw = value

    @property
    def error(self) -> Any:
        """What the server said if the statement failed, else None."""
        return self._error

    def __getitem__(self, key: Any) -> Iterator[dict[str, Any]]:
        """The points of a series name (``rs['cpu']``), of tags (``rs[{'host': 'a'}]``)
        or of both (``rs['cpu', {'host': 'a'}]``; a name of None matches any)."""
        if isinstance(key, tuple):
            if len(key) != 2:
                raise TypeError("only 2-tuples allowed")
            name, tags = key
            if not isinstance(tags, dict) and tags is not None:
                raise TypeError("tags should be a dict")
        elif isinstance(key, dict):
            name, tags = None, key
        else:
            name, tags = key, None
        return self.get_points(name, tags)

    def get_points(self, measurement: str | None = None,
                   tags: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """A generator of the points that match: those of the series named
        ``measurement`` (any, when None) whose points, or whose series' tags, have every
        one of ``tags``.

        Raises:
            TypeError: for a measurement that is neither a string nor None.
        """
        if not isinstance(measurement, (str, bytes, type(None))):
            raise TypeError("measurement must be an str or None")
        return self._matching(measurement, tags)

    def _matching(self, measurement: str | bytes | None,
                  tags: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
        for series in self._all_series():
            name = _series_name(series)
            if name is None:
                # A series named None is matched by no measurement and no tags.
                if tags is None:
                    yield from self._rows(series)
                continue
            if measurement is not None and measurement != name:
                continue
            own_tags = series.get("tags", {})
            for point in self._rows(series):
                # Tags match in the point's columns, or else in its series' tags.
                if tags is None or self._has_tags(point, tags) or self._has_tags(own_tags, tags):
                    yield point

    def __repr__(self) -> str:
        items = [f"'{key}': {list(points)}" for key, points in self.items()]
        return "ResultSet({" + ", ".join(items) + "})"

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        """A list of points for each series (those its key matches)."""
        for name, tags in self.keys():
            yield list(self.get_points(name, tags))

    @staticmethod
    def _has_tags(tags: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
        return all(tags.get(name, _SENTINEL) == value for name, value in wanted.items())

    def _all_series(self) -> list[Mapping[str, Any]]:
        series: list[Mapping[str, Any]] = self._raw.get("series", [])
        return series

    def __len__(self) -> int:
        """The number of series."""
        return len(self.keys())

    def keys(self) -> list[tuple[Any, dict[str, Any] | None]]:
        """The keys of the series: ``(name, tags)``; ``tags`` is None for a series
        without tags, ``name`` is ``'results'`` for one without a name."""
        return [(_series_name(series), series.get("tags", None))
                for series in self._all_series()]

    def items(self) -> list[tuple[tuple[Any, dict[str, Any] | None],
                                  Iterator[dict[str, Any]]]]:
        """Pairs of a series' key and a generator of its points."""
        return [((_series_name(series), series.get("tags", None)),
                 self._rows(series)) for series in self._all_series()]

    def _rows(self, series: Mapping[str, Any]
                               ) -> Iterator[dict[str, Any]]:
        columns = series.get("columns") or ()
        for point in series.get("values", []):
            yield self.point_from_cols_vals(columns, point)

    @staticmethod
    def point_from_cols_vals(cols: Sequence[str], vals: Sequence[Any]) -> dict[str, Any]:
        """A point as a dict: each of ``cols`` with its value in ``vals``."""
        return {name: vals[index] for index, name in enumerate(cols)}
