"""InfluxDB's limits, defined once."""

from __future__ import annotations

import numpy as np

from influxkit._core.limits import INT64_MAX, INT64_MIN, MAX_REQUEST_BYTES


def test_integer_bounds_are_int64s() -> None:
    assert (int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)) == (INT64_MIN, INT64_MAX)


def test_request_bodies_stay_well_under_the_servers_default_limit() -> None:
    # InfluxDB 1.x refuses bodies over max-body-size, 25,000,000 bytes by default.
    assert MAX_REQUEST_BYTES * 2 < 25_000_000
