"""The store's tables, their version, and the migrations from each older layout.

Version 1 is the layout of the first releases (no version table). Every later version is a
list of statements applied in one transaction, then recorded in ``schema_version``; a new
database is built as version 1 and migrated, so a fresh store and an upgraded one go the
same way. The backend serialises the migration (PostgreSQL: an advisory lock taken before
anything is read; SQLite: the write lock), so with several relays starting at once one
migrates and the others wait, then find the schema current.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs

from aswbridge.errors import StoreError

log = logging.getLogger("aswbridge.store")


@attrs.frozen(kw_only=True)
class Dialect:
    """What differs between the backends' DDL."""

    blob: str
    real: str
    serial: str


SQLITE = Dialect(blob="BLOB", real="REAL", serial="INTEGER PRIMARY KEY AUTOINCREMENT")
POSTGRES = Dialect(blob="BYTEA", real="DOUBLE PRECISION", serial="BIGSERIAL PRIMARY KEY")

_V1 = """
CREATE TABLE outbox (
    message_id TEXT PRIMARY KEY,
    dest TEXT NOT NULL,
    kind TEXT NOT NULL,
    body {blob} NOT NULL,
    digest TEXT NOT NULL,
    sender TEXT NOT NULL DEFAULT '',
    receiver TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at {real} NOT NULL,
    next_attempt_at {real} NOT NULL,
    lease_until {real},
    tracking TEXT,
    last_code TEXT,
    last_error TEXT,
    source TEXT,
    source_message_id TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE TABLE inbox (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    reason TEXT,
    received_at {real} NOT NULL,
    acknowledged_at {real},
    PRIMARY KEY (sender, message_id)
);
CREATE TABLE journal (
    seq {serial},
    at {real} NOT NULL,
    message_id TEXT NOT NULL,
    event TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_message ON journal (message_id)
"""

#: Version N+1 is reached from version N by ``MIGRATIONS[N - 1]``.
MIGRATIONS: tuple[str, ...] = (
    # 2: the relay holding each lease is named; purge and monitoring find their rows by
    # index (not by reading the whole table); versions are kept
    """
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    CREATE INDEX inbox_received ON inbox (received_at);
    CREATE INDEX inbox_unacknowledged ON inbox (received_at) WHERE acknowledged_at IS NULL;
    CREATE INDEX journal_at ON journal (at);
    CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at {real} NOT NULL)
    """,
)

#: The schema version this release reads and writes.
CURRENT = len(MIGRATIONS) + 1


def _statements(text: str, dialect: Dialect) -> list[str]:
    return [s.strip() for s in text.format(**attrs.asdict(dialect)).split(";") if s.strip()]


def version(execute: Callable[[str], Any], has_table: Callable[[str], bool]) -> int:
    """The schema version of the tables (0: no tables yet)."""
    if has_table("schema_version"):
        return int(execute("SELECT MAX(version) AS v FROM schema_version").fetchone()["v"])
    return 1 if has_table("outbox") else 0


def migrate(
    execute: Callable[[str], Any],
    *,
    has_table: Callable[[str], bool],
    dialect: Dialect,
    at: float,
) -> int:
    """Bring the tables to :data:`CURRENT`, inside the caller's transaction; returns it.

    ``execute`` runs one statement (returning a cursor), ``has_table`` says whether a table
    exists.

    Raises:
        StoreError: the store was written by a newer release.
    """
    found = version(execute, has_table)
    if found > CURRENT:
        raise StoreError(
            f"the store's schema is version {found}, newer than this release's {CURRENT}:"
            " run a release at least as new as the one that wrote it"
        )
    if found == 0:
        for statement in _statements(_V1, dialect):
            execute(statement)
    for step in range(max(found, 1) + 1, CURRENT + 1):
        for statement in _statements(MIGRATIONS[step - 2], dialect):
            execute(statement)
        execute(f"INSERT INTO schema_version (version, applied_at) VALUES ({step}, {at!r})")
        if found:
            execute(
                "INSERT INTO journal (at, message_id, event, state, detail) VALUES"
                f" ({at!r}, '-', 'migrated', '-', 'store schema {step - 1} -> {step}')"
            )
    if found and found < CURRENT:
        log.warning("store schema migrated from version %d to %d", found, CURRENT)
    return CURRENT
