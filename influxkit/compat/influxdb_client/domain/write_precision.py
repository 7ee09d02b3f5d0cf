"""``influxdb_client.domain.write_precision``: :class:`WritePrecision`."""

from __future__ import annotations

from typing import Final

__all__ = ["WritePrecision"]


class WritePrecision:
    """The precisions of influxdb-client: plain strings, as there (not an ``Enum``).

    influxkit reads them all, and also ``'m'`` and ``'h'``.
    """

    MS: Final = "ms"
    S: Final = "s"
    US: Final = "us"
    NS: Final = "ns"
