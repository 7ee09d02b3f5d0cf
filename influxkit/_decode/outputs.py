"""Every output of a query, made from the one result model (:mod:`.documents`).

An output is a collector: result documents go in as they arrive (one per chunk), and
the result comes out at the end. A chunk of a chunked query is one document through a
collector of its own. To add an output, name it in :data:`OUTPUTS`, say in
:func:`check_output` what it needs, and make its collector in :func:`collector`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, Protocol, TypeVar

from influxkit._core.extras import require

from .documents import ResultBuilder
from .points import series_key
from .resultset import ResultSet

__all__ = [
    "OUTPUTS",
    "Collector",
    "FrameCollector",
    "check_output",
    "collector",
    "convert",
    "result_sets",
]

F = TypeVar("F")

OUTPUTS: Final = ("json", "dataframe", "polars", "resultset")
"""The outputs of a query: the JSON dict, a pandas DataFrame, a polars DataFrame, a
:class:`~influxkit.ResultSet`."""

# The optional library each output needs.
_LIBRARIES: Final = {"dataframe": "pandas", "polars": "polars"}


def check_output(output: str) -> str:
    """Return ``output`` if it is one of :data:`OUTPUTS` whose library is installed.

    Raises:
        ValueError: for an unknown output.
        ImportError: for a missing library, with the ``pip install`` line that brings it.
    """
    if output not in OUTPUTS:
        raise ValueError(f"invalid output {output!r}: use one of {', '.join(OUTPUTS)}")
    library = _LIBRARIES.get(output)
    if library is not None:
        require(library, f"output={output!r}")
    return output


class Collector(Protocol):
    """Builds one output from the result documents of one query."""

    def add(self, document: dict[str, Any]) -> None:
        """Take the next result document (as :class:`~.documents.ChunkDecoder` gives it)."""

    def result(self) -> Any:
        """The output of every document taken."""


class _JSONCollector:
    """The JSON dict of the whole answer: the documents stitched together."""

    def __init__(self) -> None:
        self._builder = ResultBuilder()

    def add(self, document: dict[str, Any]) -> None:
        self._builder.add(document)

    def result(self) -> dict[str, Any]:
        return self._builder.result()


class _ResultSetCollector:
    """The result sets of the whole answer (see :func:`result_sets`)."""

    def __init__(self) -> None:
        self._builder = ResultBuilder()

    def add(self, document: dict[str, Any]) -> None:
        self._builder.add(document)

    def result(self) -> ResultSet | list[ResultSet]:
        return result_sets(self._builder.result())


def result_sets(document: Mapping[str, Any]) -> ResultSet | list[ResultSet]:
    """The result sets of an answer (the JSON shape): one :class:`ResultSet` for one
    statement, a list of them for several, as influxdb-python returns them."""
    sets = [ResultSet(statement) for statement in document.get("results") or ()]
    return sets[0] if len(sets) == 1 else sets


def collector(output: str, epoch: str | None) -> Collector:
    """A collector of ``output`` (checked by :func:`check_output`); integer times are
    in ``epoch``, or RFC 3339 strings when it is None."""
    if output == "json":
        return _JSONCollector()
    if output == "resultset":
        return _ResultSetCollector()
    if output == "polars":
        from .polars import concat_frames, frame_from_series
    else:
        from .pandas import concat_frames, frame_from_series  # type: ignore[assignment]
    return FrameCollector(lambda series: frame_from_series(series, epoch), concat_frames)


def convert(document: dict[str, Any], output: str, epoch: str | None) -> Any:
    """The output of one result document on its own (a chunk of a chunked query): in
    JSON the document itself, in result sets those of the document as the server sent
    it (its ``partial`` marks kept)."""
    if output == "json":
        return document
    if output == "resultset":
        return result_sets(document)
    chunk = collector(output, epoch)
    chunk.add(document)
    return chunk.result()


class FrameCollector(Generic[F]):
    """Build aioinflux's DataFrame shapes from result documents, as they arrive.

    Each piece of a series is made into a frame when its document arrives (while the
    server is still producing the next), and the pieces of a series are joined once
    at the end. ``build`` makes the frame of a series; ``concat`` joins a series'
    pieces, in order.
    """

    def __init__(self, build: Callable[[Mapping[str, Any]], F],
                 concat: Callable[[list[F]], F]) -> None:
        self._build = build
        self._concat = concat
        self._statements: dict[int, dict[str, list[F]]] = {}

    def add(self, document: Mapping[str, Any]) -> None:
        """Add one result document (as :class:`ChunkDecoder` gives it)."""
        for position, result in enumerate(document.get("results", ())):
            statement_id = result.get("statement_id")
            frames = self._statements.setdefault(
                position if statement_id is None else statement_id, {})
            for series in result.get("series") or ():
                frames.setdefault(series_key(series), []).append(self._build(series))

    def result(self) -> F | dict[str, F] | list[dict[str, F]]:
        """One statement with one series gives its frame; one statement with zero or
        several series, a dict of frames keyed by :func:`series_key`; several
        statements, a list of such dicts."""
        statements = [
            {key: pieces[0] if len(pieces) == 1 else self._concat(pieces)
             for key, pieces in self._statements[statement_id].items()}
            for statement_id in sorted(self._statements)
        ]
        if len(statements) == 1:
            only = statements[0]
            return next(iter(only.values())) if len(only) == 1 else only
        return statements
