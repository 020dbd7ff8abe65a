"""The retry policy: what is retried, how the schedule grows, when it gives up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aswbridge.errors import ConfigurationError
from aswbridge.transport.base import OutcomeUnknown, RemoteRejected, RetryableTransportError
from aswbridge.transport.retry import RetryPolicy, is_retryable

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(RetryableTransportError("503", status=503), True, id="5xx"),
        pytest.param(OutcomeUnknown("reset after send"), True, id="outcome-unknown"),
        pytest.param(RemoteRejected("no", remote_code="E400"), False, id="rejected"),
        pytest.param(ValueError("bug"), False, id="other"),
    ],
)
def test_only_retryable_faults_are_retried(error: Exception, expected: bool) -> None:
    assert is_retryable(error) is expected


def test_backoff_grows_exponentially_within_jitter() -> None:
    policy = RetryPolicy(initial=1, maximum=100, jitter=0.5)
    for attempts, base in [(1, 1), (2, 2), (3, 4), (4, 8), (10, 100)]:
        assert base <= policy.backoff(attempts) <= base + 0.5


def test_next_attempt_stops_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0)
    assert policy.next_attempt_at(attempts=2, first_at=T0, now=T0) == T0 + timedelta(seconds=2)
    assert policy.next_attempt_at(attempts=3, first_at=T0, now=T0) is None


def test_next_attempt_stops_at_the_horizon() -> None:
    policy = RetryPolicy(max_attempts=100, initial=10, jitter=0, horizon=60)
    assert policy.next_attempt_at(attempts=1, first_at=T0, now=T0 + timedelta(seconds=45))
    assert policy.next_attempt_at(attempts=1, first_at=T0, now=T0 + timedelta(seconds=55)) is None


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(initial=1, jitter=0, retry_after_cap=30)
    assert policy.next_attempt_at(attempts=1, first_at=T0, now=T0, retry_after=20) == (
        T0 + timedelta(seconds=20)
    )
    assert policy.next_attempt_at(attempts=1, first_at=T0, now=T0, retry_after=3600) == (
        T0 + timedelta(seconds=30)
    )


def test_in_place_retry_then_success() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetryableTransportError("503", status=503)
        return "ok"

    assert RetryPolicy(jitter=0).call(flaky, sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and sleeps == [1.0, 2.0]


def test_rejection_is_never_retried_in_place() -> None:
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise RemoteRejected("bad", remote_code="E400")

    with pytest.raises(RemoteRejected):
        RetryPolicy().call(refuse, sleep=lambda _: None)
    assert calls == [1]


def test_in_place_retry_is_bounded() -> None:
    calls: list[int] = []

    def down() -> None:
        calls.append(1)
        raise RetryableTransportError("refused")

    with pytest.raises(RetryableTransportError):
        RetryPolicy().call(down, sleep=lambda _: None, max_attempts=4)
    assert len(calls) == 4


@pytest.mark.parametrize("field", ["max_attempts", "initial", "maximum", "horizon"])
def test_policy_refuses_non_positive_values(field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"retry.{field}"):
        RetryPolicy(**{field: 0})


@pytest.mark.parametrize("jitter", [0.0, 1.0], ids=["no-jitter", "default-jitter"])
def test_the_default_attempts_last_the_whole_horizon(jitter: float) -> None:
    """A partner down for a day: attempts go on until the horizon, not run out before."""
    policy = RetryPolicy(jitter=jitter)
    first = now = datetime(2026, 1, 1, tzinfo=UTC)
    attempts = 1
    while (due := policy.next_attempt_at(attempts=attempts, first_at=first, now=now)) is not None:
        now, attempts = due, attempts + 1
    assert attempts < policy.max_attempts  # the horizon ended it, not the count
    assert (now - first).total_seconds() > policy.horizon - policy.longest_wait
    assert policy.horizon >= 86_400
