"""Retry policy: bounded attempts, exponential backoff with jitter, a total horizon.

Only :class:`~aswbridge.transport.base.RetryableTransportError` is retried (connection
errors, timeouts, 5xx, transient SOAP faults, and :class:`OutcomeUnknown`, which is
resolved by resending the same message id). A :class:`RemoteRejected` is never retried.

The relay does not sleep between delivery attempts: :meth:`RetryPolicy.next_attempt_at`
gives the time of the next attempt, which the store persists in the outbox row, so a
restart keeps the schedule. Calls that have no row to persist (listing, fetching,
acknowledging) retry in place with :meth:`RetryPolicy.retrying`.

Both use tenacity's strategies, so the schedule is the same either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs
import tenacity

from aswbridge._settings import Range
from aswbridge.transport.base import RemoteRejected, RetryableTransportError

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """True for faults worth another attempt; never for a rejection."""
    return isinstance(exc, RetryableTransportError) and not isinstance(exc, RemoteRejected)


def _in(range_: Range) -> Callable[[object, attrs.Attribute[Any], float], None]:
    def validator(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
        range_.validate(f"retry.{attribute.name}", value)

    return validator


_DAY = 86_400.0
_positive = _in(Range(0, _DAY, low_open=True))
_not_negative = _in(Range(0, _DAY))


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When to try again, and when to give up (then the message is dead-lettered).

    Attributes:
        max_attempts: attempts in all, the first included. The default is enough, at the
            ``maximum`` backoff, for the attempts to last the whole ``horizon`` (about 297
            attempts fill 24 hours): a partner may be down for a day before its messages
            are dead-lettered.
        initial: the first backoff, in seconds; it doubles each attempt.
        maximum: the largest single backoff, in seconds.
        jitter: up to this many random seconds are added to each backoff.
        horizon: seconds after the first attempt past which no attempt is scheduled.
        retry_after_cap: a server's ``Retry-After`` is honoured up to this many seconds.
    """

    max_attempts: int = attrs.field(default=320, validator=_in(Range(1, 1_000_000, integer=True)))
    initial: float = attrs.field(default=1.0, validator=_positive)
    maximum: float = attrs.field(default=300.0, validator=_positive)
    jitter: float = attrs.field(default=1.0, validator=_not_negative)
    horizon: float = attrs.field(
        default=86_400.0, validator=_in(Range(0, 366 * _DAY, low_open=True))
    )
    retry_after_cap: float = attrs.field(default=300.0, validator=_not_negative)

    @property
    def longest_wait(self) -> float:
        """The longest wait :meth:`next_attempt_at` ever schedules, in seconds."""
        return max(self.maximum, self.retry_after_cap) + self.jitter

    def _wait(self) -> tenacity.wait.wait_base:
        return tenacity.wait_exponential_jitter(
            multiplier=self.initial, max=self.maximum, jitter=self.jitter
        )

    def _stop(self) -> tenacity.stop.stop_base:
        return tenacity.stop_after_attempt(self.max_attempts) | tenacity.stop_after_delay(
            self.horizon
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (jitter included)."""
        state = tenacity.RetryCallState(
            retry_object=tenacity.Retrying(), fn=None, args=(), kwargs={}
        )
        state.attempt_number = max(1, attempts)
        return float(self._wait()(state))

    def next_attempt_at(
        self,
        *,
        attempts: int,
        first_at: datetime,
        now: datetime,
        retry_after: float | None = None,
    ) -> datetime | None:
        """When to try again after ``attempts`` failed attempts, or None to give up.

        ``first_at`` is when the message was first queued: no attempt is scheduled past
        ``first_at + horizon``. A server's ``retry_after`` (seconds) lengthens the wait,
        up to ``retry_after_cap``.
        """
        if attempts >= self.max_attempts:
            return None
        wait = self.backoff(attempts)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.retry_after_cap))
        due = now + timedelta(seconds=wait)
        if due > first_at + timedelta(seconds=self.horizon):
            return None
        return due

    def retrying(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int | None = None,
    ) -> tenacity.Retrying:
        """A tenacity ``Retrying`` for in-place retries (re-raises the last error)."""
        stop = (
            self._stop()
            if max_attempts is None
            else tenacity.stop_after_attempt(max_attempts) | tenacity.stop_after_delay(self.horizon)
        )
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_retryable),
            stop=stop,
            wait=self._wait(),
            sleep=sleep,
            reraise=True,
        )

    def call(
        self,
        fn: Callable[[], T],
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int | None = None,
    ) -> T:
        """Call ``fn`` with in-place retries of retryable faults only."""
        return self.retrying(sleep=sleep, max_attempts=max_attempts)(fn)
