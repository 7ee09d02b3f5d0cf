"""The pure part of the batching writer: when to retry, and how long to wait.

No I/O here: :class:`RetryPolicy` decides from an error and the attempts so far.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from influxkit._errors import InfluxDBError, InfluxDBHTTPError

__all__ = ["RetryPolicy"]

# Answers worth another try even with ``retry_server_errors=False``: the server says
# it is overloaded or briefly unavailable.
_ALWAYS_RETRIED: Final = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often a batch is sent again.

    The n-th retry waits a random time between 0 and ``min(max_retry_delay,
    retry_interval * exponential_base ** (n - 1))`` ("full jitter": writers that
    failed together do not come back together), or the server's ``Retry-After`` if
    that is longer. A batch is given up after ``max_retries`` retries, or when the next
    wait would end more than ``max_retry_time`` seconds after its first attempt.

    Retried: what the error itself says is worth retrying (its ``retryable``):
    connection errors and timeouts, 429 and 5xx; with ``retry_server_errors=False``
    only 429 and 503 of the answers. Never retried: anything the server refused (400,
    401, 403, 404, a missing database or retention policy), partial writes (the stored
    points must not be sent twice for nothing), and input errors.
    """

    retry_interval: float = 5.0
    max_retries: int = 5
    max_retry_delay: float = 125.0
    exponential_base: float = 2.0
    max_retry_time: float = 180.0
    retry_server_errors: bool = True

    def __post_init__(self) -> None:
        for name in ("retry_interval", "max_retry_delay", "max_retry_time"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)!r}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must not be negative, not {self.max_retries!r}")
        if self.exponential_base < 1:
            raise ValueError(
                f"exponential_base must be at least 1, not {self.exponential_base!r}")

    def retryable(self, error: BaseException) -> bool:
        """Whether to send the same batch again after ``error``.

        The error decides whether retrying may succeed (its ``retryable``); the policy
        only narrows that: with ``retry_server_errors=False``, a 5xx other than 503 is
        not retried. So the two never disagree the other way round.
        """
        if not isinstance(error, InfluxDBError) or not error.retryable:
            return False
        if isinstance(error, InfluxDBHTTPError) and error.status not in _ALWAYS_RETRIED:
            return self.retry_server_errors or error.status < 500
        return True

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 for the first)."""
        try:
            grown = self.retry_interval * self.exponential_base ** (retry - 1)
        except OverflowError:
            return self.max_retry_delay
        return min(self.max_retry_delay, grown)

    def delay(self, retry: int, *, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry``: a random time between 0 and
        :meth:`ceiling`, or ``retry_after`` if that is longer.

        Args:
            retry: the number of the retry, 1 for the first.
            retry_after: the server's ``Retry-After``, in seconds, if it gave one.
            rng: the random number generator to draw with (the ``random`` module's
                by default).
        """
        wait = (rng or random).uniform(0.0, self.ceiling(retry))
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def next_delay(self, error: BaseException, retry: int, elapsed: float, *,
                   rng: random.Random | None = None) -> float | None:
        """The wait before retry number ``retry`` after ``error``, ``elapsed`` seconds
        after the first attempt; None when the batch should be given up.

        Args:
            error: what the attempt raised.
            retry: the number of the retry, 1 for the first.
            elapsed: seconds since the first attempt.
            rng: the random number generator to draw with (the ``random`` module's
                by default).

        Returns:
            Seconds to wait (at least the server's ``Retry-After``), or None when the
            error is not worth retrying, the retries are used up, or the wait would end
            more than ``max_retry_time`` seconds after the first attempt.
        """
        if not self.retryable(error) or retry > self.max_retries:
            return None
        retry_after = error.retry_after if isinstance(error, InfluxDBHTTPError) else None
        wait = self.delay(retry, retry_after=retry_after, rng=rng)
        if elapsed + wait > self.max_retry_time:
            return None
        return wait
