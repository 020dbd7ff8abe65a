"""Durable storage for the relay: outbox, inbox, journal.

:class:`SqliteStore` (one file, the default) and :class:`~aswbridge.store.postgres.PostgresStore`
(``postgresql://`` URLs, several relays on one database; needs the ``[postgres]`` extra).
"""

from __future__ import annotations

from aswbridge.errors import StoreConflict, StoreError, UnknownMessage
from aswbridge.store.base import (
    AdminStore,
    InboxEntry,
    JournalEntry,
    OutboxEntry,
    Outgoing,
    Received,
    RelayStore,
    Store,
    digest,
    utcnow,
)
from aswbridge.store.sqlite import SqliteStore
from aswbridge.store.states import STATES, TRANSITIONS, OutboxState, Transition

__all__ = [
    "STATES",
    "TRANSITIONS",
    "AdminStore",
    "InboxEntry",
    "JournalEntry",
    "OutboxEntry",
    "OutboxState",
    "Outgoing",
    "Received",
    "RelayStore",
    "SqliteStore",
    "Store",
    "StoreConflict",
    "StoreError",
    "Transition",
    "UnknownMessage",
    "digest",
    "open_store",
    "utcnow",
]


def open_store(location: str, *, readonly: bool = False, relay: bool = False) -> Store:
    """Open the store at ``location``: a SQLite file path, or a ``postgresql://`` URL.

    ``relay``: opened by a running relay. A SQLite store then admits one relay only, and
    what a dead predecessor left in flight is requeued at once (PostgreSQL, shared by
    several relays, waits for the leases to expire).
    """
    if location.startswith(("postgres://", "postgresql://")):
        from aswbridge.store.postgres import PostgresStore

        return PostgresStore(location)
    return SqliteStore(location, readonly=readonly, exclusive=relay)
