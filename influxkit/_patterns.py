"""Query patterns: aioinflux's methods made from InfluxQL templates.

A query pattern is a method of the client that fills a template and runs it with
:meth:`~influxkit.InfluxDBClient.query`, in the client's mode and output::

    client.select_all("cpu")                         # SELECT * FROM "cpu"
    client.show_tag_values_from("cpu", key="host")   # SHOW TAG VALUES FROM "cpu" WITH KEY = "host"

    InfluxDBClient.set_query_pattern(
        "host_load", "SELECT mean(load) FROM cpu WHERE host = '{host}' AND time > now() - {days}d")
    client.host_load(host="server01", days=7)

Each pattern method also takes the query's ``epoch``, ``chunked``, ``chunk_size`` and
``db``. The built-in patterns quote their values as InfluxQL names
(:func:`~influxkit._core.influxql.build_statement`). A pattern of the user's own is
filled as ``str.format`` fills it, as aioinflux documents: the template says where
quotes go, and a value is put in as it is. So a value that is not the program's own
(user input) must not reach one unchecked; bind it instead: a template with ``$name``
takes ``params={"name": value}``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any, Final

from ._core.influxql import build_statement

__all__ = ["BUILT_IN", "RESERVED", "check_pattern", "pattern_method"]

RESERVED: Final = ("q", "epoch", "chunked", "chunk_size", "db", "params", "output",
                   "timeout", "retry", "parser")
"""Names a placeholder may not have: the query's own arguments."""

BUILT_IN: Final = {
    "select_all": "SELECT * FROM {measurement}",
    "show_tag_keys_from": "SHOW TAG KEYS FROM {measurement}",
    "show_tag_values_from": "SHOW TAG VALUES FROM {measurement} WITH KEY = {key}",
    "show_field_keys_from": "SHOW FIELD KEYS FROM {measurement}",
    "show_series_from": "SHOW SERIES FROM {measurement}",
}
"""aioinflux's built-in patterns that influxkit has no method for already (its others,
``show_databases``, ``create_database``, ``show_tag_values``..., are the client's
administration methods)."""

_NAME: Final = re.compile(r"\{(\w+)")


def check_pattern(name: str, template: str, taken: Callable[[str], bool]) -> None:
    """Check a pattern of the user's own before it becomes a method.

    Raises:
        ValueError: for a name that is not an identifier, or one ``taken`` (a method
            or attribute of the client that is not a pattern), or a template whose
            placeholders are not ``str.format``'s or are named like the query's own
            arguments.
    """
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"query pattern name {name!r} must be a public Python identifier")
    if taken(name):
        raise ValueError(f"query pattern name {name!r} is already a method or attribute of "
                         "the client: choose another")
    if not isinstance(template, str) or not template.strip():
        raise ValueError(f"query pattern {name!r} must be a non-empty string of InfluxQL")
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    except ValueError as exc:
        raise ValueError(f"query pattern {name!r} is not a str.format template: {exc}") from None
    reserved = sorted({match for field in fields for match in _NAME.findall("{" + field)}
                      & set(RESERVED))
    if reserved:
        raise ValueError(f"query pattern {name!r} has placeholders {reserved} named like "
                         "the query's own arguments: rename them")


def pattern_method(name: str, template: str, *, quoted: bool) -> Callable[..., Any]:
    """The client method of a pattern: it fills ``template`` with its arguments and
    runs it with the client's ``query`` (``quoted``: the values are InfluxQL names, and
    quoted as such; else ``str.format`` fills them in as they are)."""

    def run(self: Any, /, *args: Any, epoch: str | None = "ns", chunked: bool = False,
            chunk_size: int | None = None, db: str | None = None,
            params: Mapping[str, Any] | None = None, **values: Any) -> Any:
        if quoted:
            names = _NAME.findall(template)
            if len(args) > len(names):
                raise TypeError(f"{name}() takes {len(names)} positional argument(s) but "
                                f"{len(args)} were given")
            values = {**dict(zip(names, args, strict=False)), **values}
            missing = [key for key in names if key not in values]
            if missing:
                raise TypeError(f"{name}() missing argument(s): {', '.join(missing)}")
            statement, bound = build_statement(template, **values)
            params = {**bound, **(params or {})}
        else:
            try:
                statement = template.format(*args, **values)
            except (IndexError, KeyError) as exc:
                raise TypeError(f"{name}() missing argument {exc} of its pattern "
                                f"{template!r}") from None
        return self.query(statement, epoch=epoch, chunked=chunked, chunk_size=chunk_size,
                          db=db, params=params or None)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = (f"The query pattern ``{template}``, run with :meth:`query` in the "
                   "client's mode and output.\n\n"
                   "Args:\n"
                   "    *args: the values of the pattern's placeholders, in order.\n"
                   "    **values: the values of the pattern's placeholders, by name.\n"
                   "    epoch, chunked, chunk_size, db, params: as :meth:`query` takes "
                   "them.\n")
    run._query_pattern = template  # type: ignore[attr-defined]
    return run
