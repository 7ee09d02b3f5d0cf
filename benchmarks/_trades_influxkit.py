"""The ``Trade`` class of the aioinflux docs, decorated by influxkit.

No ``from __future__ import annotations`` here: aioinflux reads the annotations as
objects, and both classes are written the same way.
"""

from typing import NamedTuple

from influxkit import FLOAT, INT, STR, TAG, TIMEINT, lineprotocol


@lineprotocol
class Trade(NamedTuple):
    timestamp: TIMEINT
    instrument: TAG
    source: TAG
    price: FLOAT
    size: INT
    trade_id: STR
