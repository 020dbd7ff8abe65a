"""The embedded store: one SQLite file in WAL mode with ``synchronous=FULL``.

WAL with ``NORMAL`` stays consistent but may lose the last commits on power loss; only
``FULL`` makes each commit durable, so the store checks both settings at open and refuses
to run otherwise. Writes take the write lock up front (``BEGIN IMMEDIATE``), so two
claims never lease the same row. One process writes; its threads share the connection.
Other processes (``aswbridge status``) may read at the same time.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from aswbridge.store._sqlstore import SqlStore
from aswbridge.store.base import StoreError, utcnow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    message_id TEXT PRIMARY KEY,
    dest TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    digest TEXT NOT NULL,
    sender TEXT NOT NULL DEFAULT '',
    receiver TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
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
    received_at REAL NOT NULL,
    acknowledged_at REAL,
    PRIMARY KEY (sender, message_id)
);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    message_id TEXT NOT NULL,
    event TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS journal_message ON journal (message_id);
"""


def _hold_relay_lock(path: Path) -> IO[bytes]:
    """Take ``<path>.lock`` for this process (released when the file is closed or we die)."""
    handle = open(f"{path}.lock", "ab")  # noqa: SIM115 (held for the store's lifetime)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(f"{path}: another relay is running on this store") from None
    return handle


class SqliteStore(SqlStore):
    """The :class:`~aswbridge.store.base.Store` on one SQLite file.

    Args:
        path: the database file (created with its tables if missing).
        now: the clock, returning an aware datetime (injected by tests).
        busy_timeout_ms: how long to wait for another writer's lock.
        readonly: open for reading only (status, audits); no table is created.
        exclusive: this process is the store's only relay: hold a lock file
            (``<path>.lock``) while open, refuse to open if another relay holds it, and put
            what a dead predecessor left in flight back in the queue at once.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], datetime] = utcnow,
        busy_timeout_ms: int = 10_000,
        readonly: bool = False,
        exclusive: bool = False,
    ) -> None:
        self.path = Path(path)
        self._now = now
        self._lock = threading.RLock()
        self._relay_lock: IO[bytes] | None = None
        if not readonly:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store's folder: {exc}") from None
        if exclusive:
            self._relay_lock = _hold_relay_lock(self.path)
        try:
            if readonly:
                if not self.path.exists():
                    raise StoreError(f"no store at {self.path}")
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                       check_same_thread=False)
            else:
                conn = sqlite3.connect(str(self.path), isolation_level=None,
                                       check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        self._conn = conn
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            sync = conn.execute("PRAGMA synchronous").fetchone()[0]
            if str(mode).lower() != "wal" or sync != 2:
                conn.close()
                raise StoreError(
                    f"{self.path}: durability settings not applied (journal_mode={mode},"
                    f" synchronous={sync}); a file on a local disk is required"
                )
            conn.executescript(_SCHEMA)
        if exclusive:
            self.requeue_in_flight()

    def close(self) -> None:
        """Close the connection and give up the relay lock."""
        super().close()
        if self._relay_lock is not None:
            self._relay_lock.close()
            self._relay_lock = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
