"""Micro benchmark: encoding the seed's ``Trade`` NamedTuple with ``@lineprotocol``.

Run: ``.venv/bin/python benchmarks/bench_usertype_micro.py``. Prints objects per
second (best of several rounds) for the class encoder, ``to_lineprotocol()`` and
``serialize()`` of a list, and, for scale, ``serialize()`` of equivalent mappings.
aioinflux's generated ``to_lineprotocol`` did about 313,000 objects/s on the
machine this was written on.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from typing import NamedTuple

from influxkit import FLOAT, INT, STR, TAG, TAGENUM, TIMEINT, lineprotocol, serialize

N = 100_000
ROUNDS = 7


@lineprotocol
class Trade(NamedTuple):
    timestamp: TIMEINT
    instrument: TAGENUM
    source: TAG
    side: TAG
    price: FLOAT
    size: INT
    trade_id: STR


@lineprotocol(rm_none=True)
@dataclasses.dataclass
class TradeDataclass:
    timestamp: TIMEINT
    instrument: TAGENUM
    source: TAG
    side: TAG
    price: FLOAT
    size: INT
    trade_id: STR


def make_trades(n: int) -> list[Trade]:
    instruments = ["AAPL", "GOOG", "MSFT", "AMZN", "FB"]
    return [
        Trade(
            timestamp=1540184368785116000 + i,
            instrument=instruments[i % 5],
            source="NASDAQ",
            side="BUY" if i % 2 else "SELL",
            price=219.23 + i / 100,
            size=100 + i,
            trade_id=str(uuid.UUID(int=i)),
        )
        for i in range(n)
    ]


def best_rate(run: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    trades = make_trades(N)
    encode = Trade.__influxkit_encoder__  # type: ignore[attr-defined]
    mappings = [
        {"measurement": "Trade", "time": t.timestamp,
         "tags": {"instrument": t.instrument, "source": t.source, "side": t.side},
         "fields": {"price": t.price, "size": t.size, "trade_id": t.trade_id}}
        for t in trades
    ]
    assert serialize(trades) == serialize(mappings)
    objects = [TradeDataclass(*t) for t in trades]
    in_ms = [t._replace(timestamp=t.timestamp // 1_000_000) for t in trades]
    encode_dataclass = TradeDataclass.__influxkit_encoder__  # type: ignore[attr-defined]
    results = {
        "__influxkit_encoder__(obj, 'ns', '')": best_rate(
            lambda: [encode(t, "ns", "") for t in trades], N),
        "same, precision='ms'": best_rate(lambda: [encode(t, "ms", "") for t in in_ms], N),
        "same, write extra tags": best_rate(
            lambda: [encode(t, "ns", ",app=x") for t in trades], N),
        "dataclass with rm_none=True": best_rate(
            lambda: [encode_dataclass(t, "ns", "") for t in objects], N),
        "obj.to_lineprotocol()": best_rate(lambda: [t.to_lineprotocol() for t in trades], N),
        "serialize(list_of_objects)": best_rate(lambda: serialize(trades), N),
        "serialize(list_of_mappings)": best_rate(lambda: serialize(mappings), N),
    }
    for name, rate in results.items():
        print(f"{name:40s} {rate:>12,.0f} objects/s  ({rate / 313_000:.2f}x aioinflux's 313k)")


if __name__ == "__main__":
    main()
