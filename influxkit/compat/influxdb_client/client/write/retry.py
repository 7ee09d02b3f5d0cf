"""``influxdb_client.client.write.retry``: :class:`WritesRetry`, a retry strategy in
influxdb-client's terms (seconds), carried out by an :class:`influxkit.RetryPolicy`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import influxkit

__all__ = ["WritesRetry"]


class WritesRetry:
    """When and how often a write is sent again (seconds, as in influxdb-client).

    Args:
        jitter_interval: accepted; influxkit's waits are random already ("full
            jitter": each between 0 and the exponential ceiling).
        max_retry_delay: the longest wait between two attempts.
        exponential_base: the growth of the ceiling from one retry to the next.
        max_retry_time: no retry is started after this many seconds from the first
            attempt.
        total: the number of retries (0: none).
        retry_interval: the ceiling of the first wait.
        retry_callback: accepted for compatibility; the write APIs' ``retry_callback``
            is called on each retry of a batch.
        **kw: urllib3's ``Retry`` options, accepted and not used.

    It is given to ``InfluxDBClient(retries=...)`` (its synchronous and asynchronous
    writes) and ``InfluxDBClientAsync(retries=...)``, and made by
    ``WriteOptions.to_retry_strategy()``. What is retried is influxkit's rule:
    connection errors, timeouts, 429 and 5xx, waiting at least ``Retry-After``.
    """

    def __init__(self, jitter_interval: float = 0, max_retry_delay: float = 125,
                 exponential_base: float = 2, max_retry_time: float = 180, total: int = 5,
                 retry_interval: float = 5,
                 retry_callback: Callable[[Exception], Any] | None = None,
                 **kw: Any) -> None:
        self.jitter_interval = jitter_interval
        self.max_retry_delay = max_retry_delay
        self.exponential_base = exponential_base
        self.max_retry_time = max_retry_time
        self.total = total
        self.retry_interval = retry_interval
        self.retry_callback = retry_callback
        self.options = kw

    def new(self, **kw: Any) -> WritesRetry:
        """A copy, with ``kw`` changed."""
        options: dict[str, Any] = {
            "jitter_interval": self.jitter_interval, "max_retry_delay": self.max_retry_delay,
            "exponential_base": self.exponential_base, "max_retry_time": self.max_retry_time,
            "total": self.total, "retry_interval": self.retry_interval,
            "retry_callback": self.retry_callback, **self.options}
        options.update(kw)
        return WritesRetry(**options)

    def to_retry_policy(self) -> influxkit.RetryPolicy:
        """The :class:`influxkit.RetryPolicy` that carries it out."""
        return influxkit.RetryPolicy(
            retry_interval=float(self.retry_interval), max_retries=int(self.total or 0),
            max_retry_delay=float(self.max_retry_delay),
            exponential_base=float(self.exponential_base),
            max_retry_time=float(self.max_retry_time))

    def __repr__(self) -> str:
        return (f"WritesRetry(total={self.total!r}, retry_interval={self.retry_interval!r}, "
                f"max_retry_delay={self.max_retry_delay!r}, "
                f"exponential_base={self.exponential_base!r}, "
                f"max_retry_time={self.max_retry_time!r})")
