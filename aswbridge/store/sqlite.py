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

from aswbridge.errors import StoreError
from aswbridge.store._rows import ts
from aswbridge.store._schema import SQLITE, migrate, version
from aswbridge.store._sqlstore import SqlStore
from aswbridge.store.base import lessee, utcnow


def _hold_relay_lock(path: Path) -> IO[bytes]:
    """Lock the database file itself for this process (released when closed or we die).

    The lock is on the file, not on a name: a symbolic or hard link to the same store
    meets the same lock. It is an ``flock``, which SQLite's own (``fcntl``) locks do not
    see; the handle stays open until the connection is closed.
    """
    handle = open(path, "ab")  # noqa: SIM115 (held for the store's lifetime)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(f"{path}: another relay is running on this store") from None
    return handle


def _unusable(path: Path, exc: BaseException) -> StoreError:
    text = str(exc)
    if "not a database" in text:
        return StoreError(f"{path} is not an aswbridge store (not an SQLite database)")
    return StoreError(f"{path}: the store cannot be used: {text}")


class SqliteStore(SqlStore):
    """The :class:`~aswbridge.store.base.Store` on one SQLite file.

    Args:
        path: the database file (created with its tables if missing).
        now: the clock, returning an aware datetime (injected by tests).
        busy_timeout_ms: how long to wait for another writer's lock.
        readonly: open for reading only (status, audits); no table is created.
        exclusive: this process is the store's only relay: lock the database file while
            open (whatever name or link it is opened by), refuse to open if another relay
            holds it, and put what a dead predecessor left in flight back in the queue at
            once.
        owner: who takes the leases, for the journal (default: host name and process id).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], datetime] = utcnow,
        busy_timeout_ms: int = 10_000,
        readonly: bool = False,
        exclusive: bool = False,
        owner: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.owner = owner or lessee()
        self._now = now
        self._lock = threading.RLock()
        self._relay_lock: IO[bytes] | None = None
        if not readonly:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store's folder: {exc}") from None
        if exclusive:
            try:
                self._relay_lock = _hold_relay_lock(self.path)
            except OSError as exc:
                raise _unusable(self.path, exc) from None
        try:
            if readonly:
                if not self.path.exists():
                    raise StoreError(f"no store at {self.path}")
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(
                    str(self.path), isolation_level=None, check_same_thread=False
                )
        except sqlite3.Error as exc:
            self._close_lock()
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        self._conn = conn
        try:
            self._start(readonly=readonly, busy_timeout_ms=busy_timeout_ms)
        except (sqlite3.Error, OSError) as exc:  # not a database, read-only, disk full
            self.close()
            raise _unusable(self.path, exc) from None
        except StoreError:
            self.close()
            raise
        if exclusive:
            self.requeue_in_flight()

    def _start(self, *, readonly: bool, busy_timeout_ms: int) -> None:
        """Check the store at open: an aswbridge store (or a new one), durable, and, unless
        read-only, writable now (one write is committed), not first when a message fails."""
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        found = version(conn.execute, self._has_table)
        if found == 0 and conn.execute("SELECT 1 FROM sqlite_master").fetchone():
            raise StoreError(f"{self.path} is not an aswbridge store (it holds other tables)")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            sync = conn.execute("PRAGMA synchronous").fetchone()[0]
            if str(mode).lower() != "wal" or sync != 2:
                raise StoreError(
                    f"{self.path}: durability settings not applied (journal_mode={mode},"
                    f" synchronous={sync}); a file on a local disk is required"
                )
            with self._write():
                self.schema_version = migrate(
                    conn.execute, has_table=self._has_table, dialect=SQLITE, at=ts(self._now())
                )
                conn.execute("CREATE TABLE write_probe (x)")  # a read-only or full store
                conn.execute("DROP TABLE write_probe")  # fails here, at start
        else:
            self.schema_version = found

    def _has_table(self, name: str) -> bool:
        return (
            self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            is not None
        )

    def close(self) -> None:
        """Close the connection and give up the relay lock."""
        super().close()
        self._close_lock()

    def _close_lock(self) -> None:
        """Give up the relay lock (after the connection is closed)."""
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
