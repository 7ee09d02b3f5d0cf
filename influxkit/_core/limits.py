"""Numbers fixed by InfluxDB itself, defined once for every module that checks them."""

from __future__ import annotations

from typing import Final

__all__ = ["INT64_MAX", "INT64_MIN", "MAX_REQUEST_BYTES"]

INT64_MIN: Final = -(2**63)
"""The smallest integer field (and duration, in nanoseconds) InfluxDB stores."""

INT64_MAX: Final = 2**63 - 1
"""The largest integer field (and duration, in nanoseconds) InfluxDB stores."""

MAX_REQUEST_BYTES: Final = 8 * 1024 * 1024
"""The default size of a write's request bodies. InfluxDB 1.x refuses bodies over 25 MB
by default (``max-body-size``); a write larger than this is sent as several requests,
split between lines."""
