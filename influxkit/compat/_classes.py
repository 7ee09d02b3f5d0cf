"""The exception classes the compat modules make at run time: one class that is an old
client's class and influxkit's at once, so that either ``except`` clause catches it."""

from __future__ import annotations

from typing import Any

_MADE: dict[tuple[str, tuple[type[BaseException], ...]], type[Any]] = {}


def combined(bases: tuple[type[BaseException], ...], module: str) -> type[Any]:
    """The class that is each of ``bases`` at once, named after the first and placed in
    ``module``; made once for each module and bases."""
    key = (module, bases)
    cls = _MADE.get(key)
    if cls is None:
        first = bases[0]
        cls = type(first.__name__, bases, {"__module__": module,
                                          "__qualname__": first.__qualname__,
                                          "__doc__": first.__doc__})
        cls = _MADE.setdefault(key, cls)
    return cls
