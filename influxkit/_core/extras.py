"""Optional libraries: the one place that imports them by name and says which extra
brings a missing one."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

__all__ = ["EXTRAS", "require"]

EXTRAS: Final = {
    "pandas": "pandas",
    "numpy": "pandas",
    "pyarrow": "pandas",
    "pyarrow.compute": "pandas",
    "polars": "polars",
    "msgpack": "msgpack",
    "orjson": "fast",
}
"""The extra of ``pip install 'influxkit[...]'`` that installs each optional library."""


def require(module: str, purpose: str | None = None) -> ModuleType:
    """Import an optional library, or say how to install it.

    Args:
        module: the library's module name, one of :data:`EXTRAS`.
        purpose: what needs it, for the message (``"output='polars'"``).

    Raises:
        ImportError: naming the exact ``pip install 'influxkit[extra]'`` line.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        need = f"{purpose} needs {module}" if purpose else f"this needs {module}"
        error = ImportError(f"{need}: pip install 'influxkit[{EXTRAS[module]}]'")
        error.name = module
        raise error from None
