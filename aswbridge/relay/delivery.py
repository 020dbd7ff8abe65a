"""Delivery of claimed outbox rows: send, then record delivered, retry or dead letter.

A success is recorded for a chunk of rows in one commit. A retryable fault (connection,
timeout, 5xx, outcome unknown, an answer we refuse to read) schedules the next attempt in
the row, from the retry policy; a rejection, or the end of the retry horizon, dead-letters
the row and, in the same transaction, queues a failed receipt for the producer. After an
unknown outcome the next attempt first asks the receiver (``track``) and resends the same
bytes only if it does not have them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Literal

import attrs

from aswbridge.relay.checkpoints import checkpoint
from aswbridge.relay.notify import Notifier
from aswbridge.store.base import OutboxEntry, Outgoing, Store
from aswbridge.transport.base import (
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
    Side,
    TransportError,
)
from aswbridge.transport.retry import RetryPolicy

log = logging.getLogger("aswbridge.relay")

Outcome = Literal["delivered", "retry", "dead", "released"]


@attrs.define
class PassReport:
    """What one pass did, for logs and tests."""

    pulled: int = 0
    duplicates: int = 0
    rejected: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: int = 0
    skipped: int = 0

    def add(self, other: PassReport) -> None:
        """Add ``other``'s counts to these."""
        for field in attrs.fields(PassReport):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    @property
    def busy(self) -> bool:
        """True if the pass moved anything (the relay polls again at once)."""
        return bool(
            self.pulled or self.duplicates or self.rejected or self.delivered or self.retried
        )


class Delivery:
    """Sends claimed rows to their side and records each outcome in the store."""

    def __init__(
        self,
        *,
        sides: Mapping[str, Side],
        store: Store,
        policy: RetryPolicy,
        notify: Notifier | None,
        now: Callable[[], datetime],
        stopping: Callable[[], bool],
    ) -> None:
        self.sides = sides
        self.store = store
        self.policy = policy
        self._notify = notify
        self._now = now
        self._stopping = stopping

    def chunk(
        self, pool: ThreadPoolExecutor, rows: list[OutboxEntry], report: PassReport
    ) -> list[Outcome]:
        """Send ``rows`` in parallel, then record the successes in one commit; returns
        each row's outcome."""
        outcomes = list(pool.map(self._one, rows))
        # one commit for the chunk: a crash before it only means resends the receiver knows
        delivered = [
            (row.message_id, tracking)
            for row, (outcome, tracking) in zip(rows, outcomes, strict=True)
            if outcome == "delivered"
        ]
        checkpoint("after_send_before_ack")
        self.store.ack_many(delivered)
        for outcome, _ in outcomes:
            if outcome in ("delivered", "dead"):
                setattr(report, outcome, getattr(report, outcome) + 1)
            elif outcome == "retry":
                report.retried += 1
        return [outcome for outcome, _ in outcomes]

    def _one(self, row: OutboxEntry) -> tuple[Outcome, str | None]:
        """Send one claimed row; a success is recorded by the caller, with the batch."""
        if self._stopping():
            self.store.release(row.message_id)
            return "released", None
        checkpoint("after_claim_before_send")
        side = self.sides.get(row.dest)
        if side is None:  # the side was removed by a reload: its queue is held
            self.store.release(row.message_id)
            return "released", None
        try:
            if row.last_code == OutcomeUnknown.code and self._arrived(side, row):
                log.info("%s: %s found delivered on lookup", row.dest, row.message_id)
                return "delivered", None
            result = side.deliver(
                Outbound(
                    message_id=row.message_id,
                    kind=row.kind,
                    sender=row.sender,
                    receiver=row.receiver,
                    body=row.body,
                )
            )
        except RemoteRejected as exc:
            # the partner's own code is what an operator and the producer need to see
            code = exc.remote_code or exc.code
            self._dead(row, code, f"{exc.message} {exc.remote_text}".strip())
            log.error("%s: %s rejected (%s), dead-lettered", row.dest, row.message_id, code)
            return "dead", None
        except (RetryableTransportError, ResponseRefused) as exc:
            # Whatever the way the answer was lost (connection, timeout, deadline, a
            # refused answer), the row says OUTCOME_UNKNOWN, so that the next attempt
            # asks the receiver before sending again; the specific code stays in the text.
            unknown = isinstance(exc, OutcomeUnknown | ResponseRefused)
            code = OutcomeUnknown.code if unknown else exc.code
            error = f"{exc.code}: {exc.message}" if unknown and exc.code != code else exc.message
            retry_after = getattr(exc, "retry_after", None)
            return self._reschedule(row, code, error, retry_after), None
        except TransportError as exc:
            self._dead(row, exc.code, exc.message)
            log.error("%s: %s failed for good (%s)", row.dest, row.message_id, exc.code)
            return "dead", None
        except Exception as exc:  # a bug must not lose the message: keep it scheduled
            log.exception("%s: unexpected error delivering %s", row.dest, row.message_id)
            return self._reschedule(row, "INTERNAL_ERROR", repr(exc), None), None
        log.info(
            "%s: %s %s delivered%s (tracking %s)",
            row.dest,
            row.kind,
            row.message_id,
            " again" if result.duplicate else "",
            result.tracking,
        )
        return "delivered", result.tracking

    def _arrived(self, side: Side, row: OutboxEntry) -> bool:
        try:
            return side.track(row.message_id) in ("delivered", "pending")
        except TransportError:
            return False

    def _reschedule(
        self, row: OutboxEntry, code: str, error: str, retry_after: float | None
    ) -> Outcome:
        due = self.policy.next_attempt_at(
            attempts=row.attempts,
            first_at=row.created_at,
            now=self._now(),
            retry_after=retry_after,
        )
        if due is None:
            self._dead(row, code, error)
            state = "dead"
        else:
            state = self.store.fail(row.message_id, code=code, error=error, next_attempt_at=due)
        if state == "dead":
            log.error(
                "%s: %s dead-lettered after %d attempts (%s)",
                row.dest,
                row.message_id,
                row.attempts,
                code,
            )
            return "dead"
        log.info(
            "%s: %s attempt %d failed (%s), next at %s",
            row.dest,
            row.message_id,
            row.attempts,
            code,
            due,
        )
        return "retry"

    def _dead(self, row: OutboxEntry, code: str, error: str) -> None:
        """Dead-letter a row and, in the same transaction, queue the producer's receipt."""
        notice: tuple[Outgoing, ...] = ()
        if self._notify is not None:
            try:
                built = self._notify(row, code=code, reason=error, now=self._now())
            except Exception:  # the dead letter matters more than the receipt
                log.exception(
                    "%s: no failed receipt could be built for %s", row.dest, row.message_id
                )
            else:
                notice = (built,) if built is not None else ()
        self.store.fail(row.message_id, code=code, error=error, next_attempt_at=None, notify=notice)
        if notice:
            log.warning(
                "%s: %s dead-lettered; %s told with a failed receipt",
                row.dest,
                row.message_id,
                row.source,
            )
