"""Classes for test_usertype, defined under postponed evaluation of annotations."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional

from influxkit._encode.usertype import FLOAT, INT, MEASUREMENT, TAG, TIMEINT, lineprotocol


@lineprotocol
class FutureTuple(NamedTuple):
    timestamp: TIMEINT
    host: TAG
    load: FLOAT


@lineprotocol(rm_none=False)
@dataclasses.dataclass
class FutureDataclass:
    name: MEASUREMENT
    timestamp: Optional[TIMEINT]  # noqa: UP045  (Optional spelled out, as a string)
    count: INT | None
    ratio: FLOAT
