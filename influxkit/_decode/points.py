"""Points out of the result model: :func:`iterpoints` and the keys of series."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["iterpoints", "series_key"]


def _wants_meta(parser: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(parser).parameters
    except (TypeError, ValueError):
        return False
    return "meta" in parameters


def iterpoints(resp: dict[str, Any], parser: Callable[..., Any] | None = None) -> Iterator[Any]:
    """Iterate a JSON query result point by point, over every statement and series.

    Args:
        resp: a result dict, as returned by ``query()`` with ``output='json'`` (or one
            chunk of a chunked query).
        parser: called with each point's values as positional arguments; if it takes a
            ``meta`` keyword it also gets ``{'columns', 'name', 'tags', 'statement_id'}``
            of the point's series. Without a parser, each point is a plain list.

    Example::

        for point in iterpoints(resp, lambda *x, meta: dict(zip(meta["columns"], x))):
            print(point)
    """
    with_meta = parser is not None and _wants_meta(parser)
    for statement in resp.get("results", ()):
        for series in statement.get("series", ()):
            values = series.get("values", ())
            if parser is None:
                yield from values
            elif with_meta:
                meta = {"columns": series.get("columns"), "name": series.get("name"),
                        "tags": series.get("tags"),
                        "statement_id": statement.get("statement_id")}
                meta = {key: value for key, value in meta.items() if value is not None}
                for row in values:
                    yield parser(*row, meta=meta)
            else:
                for row in values:
                    yield parser(*row)


def series_key(series: Mapping[str, Any]) -> str:
    """The key of a series in aioinflux's dicts: ``'name'`` plus ``',tag=value'`` each."""
    tags = series.get("tags") or {}
    return ",".join(filter(None, [series.get("name"), *[f"{k}={v}" for k, v in tags.items()]]))
