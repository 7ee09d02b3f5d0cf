"""Result sets: one statement's result, browsed by series and by points.

A :class:`ResultSet` wraps one statement of the internal result model (the JSON
shape, see :mod:`influxkit._results`), the way influxdb-python's does: its series are
keyed by ``(measurement, tags)`` and its points are dicts of their columns. It is what
``query()`` returns with ``output='resultset'``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from influxkit._errors import query_error

__all__ = ["ResultSet"]

SeriesKey = tuple[str | None, dict[str, str] | None]


class ResultSet:
    """The result of one statement: its series and their points.

    Args:
        raw: the statement's result, as in the ``results`` list of the JSON answer
            (``{"statement_id": 0, "series": [...]}``).
        raise_errors: raise at once if the statement failed; with ``False``, the
            server's message is kept in :attr:`error`.

    Raises:
        InfluxDBQueryError: when the statement failed and ``raise_errors`` is true.

    Example::

        client = InfluxDBClient(db="telegraf", output="resultset")
        rs = await client.query('SELECT usage FROM cpu GROUP BY "host"')
        rs.keys()                                  # [('cpu', {'host': 'a'}), ...]
        list(rs.get_points(tags={"host": "a"}))    # [{'time': ..., 'usage': 0.5}, ...]
        list(rs["cpu"])                            # every point of cpu
    """

    def __init__(self, raw: Mapping[str, Any], raise_errors: bool = True) -> None:
        self._raw = raw
        error = raw.get("error")
        self._error = None if error is None else str(error)
        if self._error is not None and raise_errors:
            raise query_error(self._error, statement_id=raw.get("statement_id"))

    @property
    def raw(self) -> Mapping[str, Any]:
        """The statement's result, as the JSON answer has it."""
        return self._raw

    @property
    def error(self) -> str | None:
        """What the server said if the statement failed, else ``None``."""
        return self._error

    def _series(self) -> list[Mapping[str, Any]]:
        return list(self._raw.get("series") or ())

    def keys(self) -> list[SeriesKey]:
        """The keys of the series: ``(measurement, tags)``, where ``tags`` is ``None``
        for a series without tags and the measurement is ``None`` for results that are
        not a measurement's (``SHOW USERS``)."""
        return [(series.get("name"), series.get("tags")) for series in self._series()]

    def items(self) -> list[tuple[SeriesKey, Iterator[dict[str, Any]]]]:
        """Pairs of a series' key and a generator of its points."""
        return [((series.get("name"), series.get("tags")), _points(series))
                for series in self._series()]

    def get_points(self, measurement: str | None = None,
                   tags: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """The points of the series that match, one dict each (``time`` and the columns).

        Args:
            measurement: only the series of this measurement.
            tags: only the points with these tags. A tag is looked up among the tags
                of the point's series (``GROUP BY``), else among its columns (a tag
                selected without ``GROUP BY`` is a column).

        Raises:
            TypeError: for a measurement that is not a string, or tags that are not a
                mapping.
        """
        if measurement is not None and not isinstance(measurement, str):
            raise TypeError(f"measurement must be a string or None, not {measurement!r}")
        if tags is not None and not isinstance(tags, Mapping):
            raise TypeError(f"tags must be a mapping or None, not {tags!r}")
        return self._matching(measurement, tags)

    def _matching(self, measurement: str | None,
                  tags: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
        for series in self._series():
            if measurement is not None and series.get("name") != measurement:
                continue
            series_tags = series.get("tags") or {}
            for point in _points(series):
                if tags is None or all(
                        series_tags[key] == value if key in series_tags
                        else point.get(key, _MISSING) == value
                        for key, value in tags.items()):
                    yield point

    def __getitem__(self, key: str | tuple[str | None, Mapping[str, Any] | None]
                    ) -> Iterator[dict[str, Any]]:
        """The points of a measurement (``rs['cpu']``) or of a measurement and tags
        (``rs['cpu', {'host': 'a'}]``; a measurement of ``None`` matches any)."""
        if isinstance(key, str):
            return self.get_points(key)
        if isinstance(key, tuple) and len(key) == 2:
            return self.get_points(key[0], key[1])
        raise TypeError(f"a result set is indexed by a measurement or a (measurement, tags) "
                        f"pair, not {key!r}")

    def __iter__(self) -> Iterator[Iterator[dict[str, Any]]]:
        """A generator of points for each series, in order."""
        for series in self._series():
            yield _points(series)

    def __len__(self) -> int:
        """The number of series."""
        return len(self._series())

    def __repr__(self) -> str:
        keys = ", ".join(repr(key) for key in self.keys()[:5])
        more = ", ..." if len(self) > 5 else ""
        error = f", error={self._error!r}" if self._error is not None else ""
        return (f"<ResultSet statement {self._raw.get('statement_id')}: "
                f"{len(self)} series [{keys}{more}]{error}>")


_MISSING = object()


def _points(series: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    columns = series.get("columns") or ()
    for values in series.get("values") or ():
        yield dict(zip(columns, values, strict=True))
