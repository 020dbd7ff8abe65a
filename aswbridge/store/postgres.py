"""The multi-node store: PostgreSQL through psycopg 3 (the ``[postgres]`` extra).

The same tables, states, journal and guarantees as the SQLite store. Claims lock the rows
they take with ``FOR UPDATE SKIP LOCKED``, so several relays (on several hosts) can share
one database without ever leasing the same message twice. Every call commits before it
returns; PostgreSQL's default ``synchronous_commit = on`` makes each commit durable, and
the store refuses to run if it is off.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aswbridge.errors import ConfigurationError
from aswbridge.store._sqlstore import SqlStore
from aswbridge.store.base import StoreError, utcnow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    message_id TEXT PRIMARY KEY,
    dest TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BYTEA NOT NULL,
    digest TEXT NOT NULL,
    sender TEXT NOT NULL DEFAULT '',
    receiver TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at DOUBLE PRECISION NOT NULL,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION,
    tracking TEXT,
    last_code TEXT,
    last_error TEXT,
    source TEXT,
    source_message_id TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS inbox (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    reason TEXT,
    received_at DOUBLE PRECISION NOT NULL,
    acknowledged_at DOUBLE PRECISION,
    PRIMARY KEY (sender, message_id)
);
CREATE TABLE IF NOT EXISTS journal (
    seq BIGSERIAL PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    message_id TEXT NOT NULL,
    event TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS journal_message ON journal (message_id);
"""

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresStore(SqlStore):
    """The :class:`~aswbridge.store.base.Store` on a PostgreSQL database.

    Args:
        dsn: a libpq connection string or ``postgresql://`` URL.
        schema: the schema holding the tables (created if missing).
        now: the clock, returning an aware datetime (injected by tests).
    """

    marker = "%s"
    lock_rows = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "aswbridge",
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ConfigurationError(
                "the PostgreSQL store needs psycopg: pip install 'aswbridge[postgres]'"
            ) from exc
        if not _IDENTIFIER.match(schema):
            raise ConfigurationError(f"store schema must be a plain identifier, not {schema!r}")
        self._now = now
        self._lock = threading.RLock()
        try:
            conn: Any = psycopg.connect(dsn, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the PostgreSQL store: {exc}") from exc
        self._conn = conn
        if conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == "off":
            conn.close()
            raise StoreError("synchronous_commit is off: commits would not be durable")
        with conn.transaction():
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            conn.execute(f"SET search_path TO {schema}")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._lock, self._conn.transaction():
            yield self._conn
