"""The durable store's protocol: an outbox, an inbox and a journal.

Delivery is at-least-once with an idempotent receiver:

* the **outbox** row of a message is committed before any send; a resend sends the stored
  bytes, byte-identical, under the message id assigned once;
* the **inbox** row of a received message is committed before its acknowledgement is sent,
  in the same transaction as the outbox rows it gave rise to, so a crash at any point either
  re-fetches the message (nothing was kept) or recognises it as a duplicate (all was kept);
* the **journal** keeps every state change with its time: an audit trail an official can read.

Outbox states: ``pending`` → ``in_flight`` (claimed under a lease) → ``done``, or back to
``pending`` with a next-attempt time, or ``dead`` (dead-lettered: never silently dropped).
An expired lease (the worker died) makes the row claimable again.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from aswbridge.errors import StoreConflict
from aswbridge.store.states import OutboxState

InboxOutcome = Literal["accepted", "rejected"]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default clock of every store)."""
    return datetime.now(UTC)


def lessee() -> str:
    """This process as a lessee of outbox rows: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def digest(body: bytes) -> str:
    """The SHA-256 of a message body, hex: what proves a resend is byte-identical."""
    return hashlib.sha256(body).hexdigest()


@attrs.frozen(kw_only=True)
class Outgoing:
    """A message to put in the outbox: its id, destination side, kind and exact bytes."""

    message_id: str
    dest: str
    kind: str
    body: bytes
    sender: str = ""
    receiver: str = ""
    source: str | None = None
    source_message_id: str | None = None


@attrs.frozen(kw_only=True)
class Received:
    """A received message to record, with what it gives rise to (see
    :meth:`RelayStore.record_inbound_many`; the fields are those of
    :meth:`RelayStore.record_inbound`)."""

    sender: str
    message_id: str
    source: str
    kind: str
    digest: str
    outcome: InboxOutcome = "accepted"
    code: str | None = None
    reason: str | None = None
    outgoing: tuple[Outgoing, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """What identifies it in the inbox: ``(sender, message_id)``."""
        return (self.sender, self.message_id)


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """One outbox row as stored."""

    message_id: str
    dest: str
    kind: str
    body: bytes
    state: OutboxState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    lease_until: datetime | None = None
    tracking: str | None = None
    last_code: str | None = None
    last_error: str | None = None
    sender: str = ""
    receiver: str = ""
    source: str | None = None
    source_message_id: str | None = None

    @property
    def digest(self) -> str:
        """SHA-256 of the stored bytes."""
        return digest(self.body)


@attrs.frozen(kw_only=True)
class InboxEntry:
    """One received message as recorded (before it was acknowledged)."""

    sender: str
    message_id: str
    source: str
    kind: str
    digest: str
    outcome: InboxOutcome
    received_at: datetime
    code: str | None = None
    reason: str | None = None
    acknowledged_at: datetime | None = None


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One state change: when, which message, what happened, the state after, details."""

    seq: int
    at: datetime
    message_id: str
    event: str
    state: str
    detail: str = ""

    def __str__(self) -> str:
        at = self.at.isoformat(timespec="seconds")
        text = f"{at} {self.message_id} {self.event} -> {self.state}"
        return f"{text} ({self.detail})" if self.detail else text


@runtime_checkable
class RelayStore(Protocol):
    """What a running relay needs from durable storage. Every method commits before returning."""

    def record_inbound(
        self,
        *,
        sender: str,
        message_id: str,
        source: str,
        kind: str,
        digest: str,
        outcome: InboxOutcome = "accepted",
        code: str | None = None,
        reason: str | None = None,
        outgoing: Sequence[Outgoing] = (),
    ) -> bool:
        """Record a received message and enqueue what it gave rise to, in one transaction.

        ``digest`` identifies the content (a resend with the same digest is a duplicate);
        ``reason`` is the refusal's reason, or an accepted message's warnings; both go to
        the journal. Returns False (and changes nothing) when ``(sender, message_id)`` was
        seen before.
        """
        ...

    def record_inbound_many(self, received: Sequence[Received]) -> list[bool | StoreConflict]:
        """:meth:`record_inbound` for several messages in one commit (the messages of one
        pull), each with its outgoing messages.

        Returns, in the order given, True for a message recorded now, False for one seen
        before (nothing changed), and a :class:`~aswbridge.errors.StoreConflict` for one
        whose outgoing message id is stored with other bytes: that message is left out
        entirely, the others are recorded.
        """
        ...

    def get_inbound(self, *, sender: str, message_id: str) -> InboxEntry | None:
        """The inbox row of a received message, if it was seen."""
        ...

    def mark_acknowledged_many(self, received: Sequence[tuple[str, str]]) -> None:
        """:meth:`mark_acknowledged` for several ``(sender, message_id)`` in one commit."""
        ...

    def claim(
        self,
        *,
        limit: int,
        lease_s: float,
        dest: str | None = None,
        max_wait: float | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to ``limit`` due rows (pending and due, or with an expired lease).

        Times are wall-clock, so that a schedule survives a restart. If the clock goes
        back, a pending row due further ahead than ``max_wait`` seconds (the longest wait
        the retry policy ever schedules) is due now, and a lease ending more than
        ``lease_s`` ahead has expired: no message waits out the clock's jump.
        """
        ...

    def ack_many(self, delivered: Sequence[tuple[str, str | None]]) -> None:
        """:meth:`ack` for several ``(message_id, tracking)`` pairs in one commit."""
        ...

    def fail(
        self,
        message_id: str,
        *,
        code: str,
        error: str,
        next_attempt_at: datetime | None,
        notify: Sequence[Outgoing] = (),
    ) -> OutboxState:
        """Record a failed attempt: back to ``pending`` at ``next_attempt_at``, or ``dead``
        when it is None (the horizon is over or the fault is permanent). Returns the state.
        When dead-lettering, ``notify`` is queued in the same transaction."""
        ...

    def note(self, subject: str, *, event: str, state: str, detail: str = "") -> None:
        """Write one journal line about something other than a message (a side's
        breaker opening, say): ``subject`` stands where a message id would."""
        ...

    def release(self, message_id: str) -> None:
        """Give a claimed row back (shutdown before sending); the attempt is not counted."""
        ...

    def close(self) -> None:
        """Close the store."""
        ...


@runtime_checkable
class AdminStore(Protocol):
    """What the operator's commands (status, dead letters, purge) and tests need."""

    def enqueue(self, outgoing: Outgoing) -> bool:
        """Store a message to send; True if new, False if the same bytes were already stored.

        Raises:
            StoreConflict: the id is stored with different bytes (never silently replaced).
        """
        ...

    def ack(self, message_id: str, *, tracking: str | None = None) -> None:
        """Mark a message delivered (``done``), with the receiver's tracking number."""
        ...

    def get(self, message_id: str) -> OutboxEntry | None:
        """The outbox row of a message id, if any."""
        ...

    def dead_letters(self) -> list[OutboxEntry]:
        """Every dead-lettered outbox row, oldest first."""
        ...

    def retry_dead(self, message_id: str) -> None:
        """Put a dead-lettered row back to ``pending`` now, attempts reset."""
        ...

    def rejected(self) -> list[InboxEntry]:
        """Every message refused on receipt (its source was told), oldest first."""
        ...

    def mark_acknowledged(self, *, sender: str, message_id: str) -> None:
        """Note that the acknowledgement (or rejection) of an inbound message was sent."""
        ...

    def purge(self, *, before: datetime, journal: bool = False) -> dict[str, int]:
        """Delete delivered outbox rows and inbox rows older than ``before`` (and, with
        ``journal``, the journal up to then); returns how many of each."""
        ...

    def counts_by_side(self) -> dict[str, dict[str, int]]:
        """Outbox rows by destination side and state (every state, zeros included)."""
        ...

    def counts(self) -> dict[str, int]:
        """Outbox rows by state (``pending``, ``in_flight``, ``done``, ``dead``) and inbox
        totals (``received``, ``rejected``, ``ack_unconfirmed``)."""
        ...

    def journal(
        self, *, message_id: str | None = None, limit: int | None = None
    ) -> list[JournalEntry]:
        """The journal, oldest first, of one message or of all."""
        ...

    def queue_report(self) -> list[dict[str, Any]]:
        """What is unsettled, for monitoring: ``dest``, ``state``, ``n`` and ``oldest`` (a
        time) by destination and state, and ``ack_unconfirmed`` by source."""
        ...

    def close(self) -> None:
        """Close the store."""
        ...


@runtime_checkable
class Store(RelayStore, AdminStore, Protocol):
    """A whole store: what the relay needs and what the admin commands need."""
