"""The batching writer's pure part: retry decisions and waits."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit._core.backoff import RetryPolicy
from influxkit._errors import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBTimeoutError,
    LineProtocolError,
    http_error,
)


def error(status: int, message: str = "", retry_after: str | None = None, *,
          write: bool = True) -> InfluxDBError:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return http_error(status, message or f"status {status}", write=write, headers=headers)


@pytest.mark.parametrize(("failure", "retried"), [
    (InfluxDBConnectionError("refused"), True),
    (InfluxDBTimeoutError("timed out"), True),
    (error(429), True),
    (error(503), True),
    (error(500), True),
    (error(502), True),
    (error(504), True),
    (error(400, 'unable to parse "x"'), False),
    (error(401), False),
    (error(403), False),
    (error(404, "database not found"), False),
    (error(400, "partial write: points beyond retention policy dropped=2"), False),
    (error(413), False),  # split, not retried as it is
    (LineProtocolError("bad"), False),
    (ValueError("a bug"), False),
])
def test_what_is_retried(failure: Exception, retried: bool) -> None:
    assert RetryPolicy().retryable(failure) is retried


def test_other_server_errors_can_be_left_alone() -> None:
    policy = RetryPolicy(retry_server_errors=False)
    assert not policy.retryable(error(500))
    assert not policy.retryable(error(502))
    assert policy.retryable(error(503))  # unavailable: always worth waiting for
    assert policy.retryable(error(429))


ANSWERS = [error(status, message, write=write)
           for status in (400, 401, 403, 404, 408, 413, 422, 429, 500, 501, 502, 503, 504)
           for message in ("x", "database not found: \"db\"", "partial write: dropped=1")
           for write in (False, True)]


@pytest.mark.parametrize("failure", [*ANSWERS, InfluxDBConnectionError("down"),
                                     InfluxDBTimeoutError("slow"), LineProtocolError("bad")],
                         ids=repr)
def test_the_policy_reads_the_error_and_only_narrows_it(failure: InfluxDBError) -> None:
    # One decision: by default the policy retries exactly what the error says is worth
    # retrying; leaving server errors alone never retries what the error says is not.
    assert RetryPolicy().retryable(failure) is failure.retryable
    if RetryPolicy(retry_server_errors=False).retryable(failure):
        assert failure.retryable


def test_the_ceiling_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(retry_interval=2.0, exponential_base=3.0, max_retry_delay=50.0)
    assert [policy.ceiling(n) for n in range(1, 6)] == [2.0, 6.0, 18.0, 50.0, 50.0]
    assert policy.ceiling(10_000) == 50.0  # no overflow


@given(st.integers(1, 60), st.integers(0, 2**32))
def test_full_jitter_stays_within_the_ceiling(retry: int, seed: int) -> None:
    policy = RetryPolicy(retry_interval=0.5, max_retry_delay=30.0)
    wait = policy.delay(retry, rng=random.Random(seed))
    assert 0.0 <= wait <= policy.ceiling(retry)


def test_jitter_spreads_the_waits() -> None:
    policy = RetryPolicy(retry_interval=1.0)
    rng = random.Random(7)
    waits = [policy.delay(3, rng=rng) for _ in range(1_000)]
    assert min(waits) < 0.5  # spread over [0, 4]
    assert max(waits) > 3.5
    assert 1.7 < sum(waits) / len(waits) < 2.3


def test_retry_after_is_a_lower_bound() -> None:
    policy = RetryPolicy(retry_interval=0.01, max_retry_delay=0.01, max_retry_time=100)
    assert policy.next_delay(error(429, retry_after="7"), 1, 0.0) == 7.0
    assert policy.next_delay(error(503, retry_after="0"), 1, 0.0) <= 0.01


def test_giving_up_after_max_retries_or_max_retry_time() -> None:
    policy = RetryPolicy(retry_interval=1.0, max_retries=3, max_retry_time=10.0)
    failure = InfluxDBConnectionError("refused")
    rng = random.Random(1)
    assert policy.next_delay(failure, 3, 0.0, rng=rng) is not None
    assert policy.next_delay(failure, 4, 0.0, rng=rng) is None
    assert policy.next_delay(failure, 1, 10.5, rng=rng) is None  # past max_retry_time
    assert RetryPolicy(retry_interval=0.0, max_retry_time=10.0).next_delay(
        failure, 1, 9.999) == 0.0
    # A Retry-After beyond the deadline ends it.
    assert policy.next_delay(error(503, retry_after="60"), 1, 0.0) is None
    assert policy.next_delay(error(400), 1, 0.0) is None


@pytest.mark.parametrize("options", [
    {"retry_interval": -1}, {"max_retries": -1}, {"exponential_base": 0.5},
    {"max_retry_time": -0.1}, {"max_retry_delay": -2},
])
def test_bad_policies_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        RetryPolicy(**options)  # type: ignore[arg-type]
