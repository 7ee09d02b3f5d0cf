"""The ``Trade`` class of the aioinflux docs, decorated by aioinflux.

No ``from __future__ import annotations`` here: aioinflux 0.9.0 reads the annotations
as objects and refuses strings.
"""

from typing import NamedTuple

from aioinflux import FLOAT, INT, STR, TAG, TIMEINT, lineprotocol


@lineprotocol
class Trade(NamedTuple):
    timestamp: TIMEINT
    instrument: TAG
    source: TAG
    price: FLOAT
    size: INT
    trade_id: STR
