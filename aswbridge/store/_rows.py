"""Rows of the store's tables to the store's records, and times to and from the columns.

Times are stored as seconds since the epoch (UTC), so both backends compare them alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aswbridge.store.base import InboxEntry, JournalEntry, OutboxEntry

OUTBOX_COLUMNS = (
    "message_id, dest, kind, body, state, attempts, created_at, next_attempt_at, lease_until,"
    " tracking, last_code, last_error, sender, receiver, source, source_message_id"
)


def ts(value: datetime) -> float:
    """A time as a column value."""
    return value.timestamp()


def dt(value: float | None) -> datetime | None:
    """A column value as a time (UTC), or None."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def outbox_entry(row: Any) -> OutboxEntry:
    """An outbox row as a record."""
    return OutboxEntry(
        message_id=row["message_id"],
        dest=row["dest"],
        kind=row["kind"],
        body=bytes(row["body"]),
        state=row["state"],
        attempts=row["attempts"],
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
        next_attempt_at=datetime.fromtimestamp(row["next_attempt_at"], UTC),
        lease_until=dt(row["lease_until"]),
        tracking=row["tracking"],
        last_code=row["last_code"],
        last_error=row["last_error"],
        sender=row["sender"],
        receiver=row["receiver"],
        source=row["source"],
        source_message_id=row["source_message_id"],
    )


def inbox_entry(row: Any) -> InboxEntry:
    """An inbox row as a record."""
    return InboxEntry(
        sender=row["sender"],
        message_id=row["message_id"],
        source=row["source"],
        kind=row["kind"],
        digest=row["digest"],
        outcome=row["outcome"],
        code=row["code"],
        reason=row["reason"],
        received_at=datetime.fromtimestamp(row["received_at"], UTC),
        acknowledged_at=dt(row["acknowledged_at"]),
    )


def journal_entry(row: Any) -> JournalEntry:
    """A journal row as a record."""
    return JournalEntry(
        seq=row["seq"],
        at=datetime.fromtimestamp(row["at"], UTC),
        message_id=row["message_id"],
        event=row["event"],
        state=row["state"],
        detail=row["detail"],
    )
