"""The embedded store: one SQLite file in WAL mode with ``synchronous=FULL``.

WAL with ``NORMAL`` stays consistent but may lose the last commits on power loss; only
``FULL`` makes each commit durable, so the store checks both settings at open and refuses
to run otherwise. Writes take the write lock up front (``BEGIN IMMEDIATE``), so two
claims never lease the same row. One process writes; its threads share the connection.
Other processes (``aswbridge status``) may read at the same time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aswbridge.store.base import (
    STATES,
    InboxEntry,
    InboxOutcome,
    JournalEntry,
    OutboxEntry,
    OutboxState,
    Outgoing,
    StoreConflict,
    StoreError,
    UnknownMessage,
    digest,
    utcnow,
)

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

_OUTBOX_COLUMNS = (
    "message_id, dest, kind, body, state, attempts, created_at, next_attempt_at, lease_until,"
    " tracking, last_code, last_error, sender, receiver, source, source_message_id"
)


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _outbox(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        message_id=row["message_id"],
        dest=row["dest"],
        kind=row["kind"],
        body=bytes(row["body"]),
        state=row["state"],
        attempts=row["attempts"],
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
        next_attempt_at=datetime.fromtimestamp(row["next_attempt_at"], UTC),
        lease_until=_dt(row["lease_until"]),
        tracking=row["tracking"],
        last_code=row["last_code"],
        last_error=row["last_error"],
        sender=row["sender"],
        receiver=row["receiver"],
        source=row["source"],
        source_message_id=row["source_message_id"],
    )


class SqliteStore:
    """The :class:`~aswbridge.store.base.Store` on one SQLite file.

    Args:
        path: the database file (created with its tables if missing).
        now: the clock, returning an aware datetime (injected by tests).
        busy_timeout_ms: how long to wait for another writer's lock.
        readonly: open for reading only (status, audits); no table is created.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], datetime] = utcnow,
        busy_timeout_ms: int = 10_000,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self._now = now
        self._lock = threading.RLock()
        if readonly:
            if not self.path.exists():
                raise StoreError(f"no store at {self.path}")
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
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

    # --- plumbing ------------------------------------------------------------------------

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

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def _log(
        self,
        conn: sqlite3.Connection,
        at: float,
        message_id: str,
        event: str,
        state: str,
        detail: str = "",
    ) -> None:
        conn.execute(
            "INSERT INTO journal (at, message_id, event, state, detail) VALUES (?, ?, ?, ?, ?)",
            (at, message_id, event, state, detail),
        )

    def _insert(self, conn: sqlite3.Connection, at: float, item: Outgoing) -> bool:
        body_digest = digest(item.body)
        row = conn.execute(
            "SELECT digest FROM outbox WHERE message_id = ?", (item.message_id,)
        ).fetchone()
        if row is not None:
            if row["digest"] != body_digest:
                raise StoreConflict(
                    f"message id {item.message_id} is already stored with different bytes"
                )
            return False
        conn.execute(
            "INSERT INTO outbox (message_id, dest, kind, body, digest, sender, receiver, state,"
            " attempts, created_at, next_attempt_at, source, source_message_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)",
            (
                item.message_id,
                item.dest,
                item.kind,
                item.body,
                body_digest,
                item.sender,
                item.receiver,
                at,
                at,
                item.source,
                item.source_message_id,
            ),
        )
        origin = f" from {item.source} {item.source_message_id}" if item.source else ""
        self._log(
            conn,
            at,
            item.message_id,
            "enqueued",
            "pending",
            f"{item.kind} to {item.dest}{origin}, sha256 {body_digest[:16]}",
        )
        return True

    # --- outbox --------------------------------------------------------------------------

    def enqueue(self, outgoing: Outgoing) -> bool:
        """Store a message to send; True if new, False if already stored with these bytes."""
        with self._write() as conn:
            return self._insert(conn, _ts(self._now()), outgoing)

    def claim(self, *, limit: int, lease_s: float, dest: str | None = None) -> list[OutboxEntry]:
        """Lease up to ``limit`` due rows; each claim counts one attempt."""
        now = _ts(self._now())
        where = (
            "((state = 'pending' AND next_attempt_at <= :now)"
            " OR (state = 'in_flight' AND lease_until <= :now))"
        )
        if dest is not None:
            where += " AND dest = :dest"
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT message_id, state FROM outbox WHERE {where}"
                " ORDER BY next_attempt_at, created_at LIMIT :limit",
                {"now": now, "dest": dest, "limit": limit},
            ).fetchall()
            for row in rows:
                conn.execute(
                    "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1,"
                    " lease_until = ? WHERE message_id = ?",
                    (now + lease_s, row["message_id"]),
                )
                event = "lease_expired_reclaimed" if row["state"] == "in_flight" else "claimed"
                self._log(conn, now, row["message_id"], event, "in_flight")
            ids = [row["message_id"] for row in rows]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            found = conn.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE message_id IN ({marks})", ids
            ).fetchall()
        by_id = {row["message_id"]: _outbox(row) for row in found}
        return [by_id[i] for i in ids]

    def _update(
        self,
        conn: sqlite3.Connection,
        message_id: str,
        sql: str,
        params: Sequence[Any],
        states: tuple[str, ...] = ("in_flight",),
    ) -> None:
        marks = ",".join("?" * len(states))
        cur = conn.execute(
            f"UPDATE outbox SET {sql} WHERE message_id = ? AND state IN ({marks})",
            (*params, message_id, *states),
        )
        if cur.rowcount != 1:
            raise UnknownMessage(f"no outbox row {message_id} in state {'/'.join(states)}")

    def ack(self, message_id: str, *, tracking: str | None = None) -> None:
        """Mark a claimed (or pending) message delivered, with the receiver's tracking."""
        self.ack_many([(message_id, tracking)])

    def ack_many(self, delivered: Sequence[tuple[str, str | None]]) -> None:
        """Mark several messages delivered in one commit: ``(message_id, tracking)`` pairs."""
        if not delivered:
            return
        now = _ts(self._now())
        with self._write() as conn:
            for message_id, tracking in delivered:
                self._update(
                    conn,
                    message_id,
                    "state = 'done', lease_until = NULL, tracking = ?",
                    (tracking,),
                    ("in_flight", "pending"),
                )
                detail = f"tracking {tracking}" if tracking else ""
                self._log(conn, now, message_id, "delivered", "done", detail)

    def fail(
        self,
        message_id: str,
        *,
        code: str,
        error: str,
        next_attempt_at: datetime | None,
    ) -> OutboxState:
        """Record a failed attempt: pending again at ``next_attempt_at``, or dead if None."""
        now = _ts(self._now())
        state: OutboxState = "pending" if next_attempt_at is not None else "dead"
        due = _ts(next_attempt_at) if next_attempt_at is not None else now
        with self._write() as conn:
            self._update(
                conn,
                message_id,
                "state = ?, lease_until = NULL, next_attempt_at = ?, last_code = ?, last_error = ?",
                (state, due, code, error[:2000]),
                ("in_flight", "pending"),
            )
            if state == "dead":
                self._log(conn, now, message_id, "dead_lettered", "dead", f"{code}: {error}")
            else:
                when = datetime.fromtimestamp(due, UTC).isoformat(timespec="seconds")
                self._log(
                    conn,
                    now,
                    message_id,
                    "retry_scheduled",
                    "pending",
                    f"{code}: {error}; next attempt {when}",
                )
        return state

    def release(self, message_id: str) -> None:
        """Give a claimed row back unsent; its attempt is not counted."""
        now = _ts(self._now())
        with self._write() as conn:
            self._update(
                conn,
                message_id,
                "state = 'pending', lease_until = NULL, attempts = attempts - 1,"
                " next_attempt_at = ?",
                (now,),
            )
            self._log(conn, now, message_id, "released", "pending", "shutdown before sending")

    def dead_letters(self) -> list[OutboxEntry]:
        """Every dead-lettered row, oldest first."""
        rows = self._read(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE state = 'dead' ORDER BY created_at"
        )
        return [_outbox(row) for row in rows]

    def retry_dead(self, message_id: str) -> None:
        """Put a dead-lettered row back to pending now, attempts reset to zero."""
        now = _ts(self._now())
        with self._write() as conn:
            self._update(
                conn,
                message_id,
                "state = 'pending', attempts = 0, next_attempt_at = ?, created_at = ?",
                (now, now),
                ("dead",),
            )
            self._log(conn, now, message_id, "dead_letter_retried", "pending")

    def get(self, message_id: str) -> OutboxEntry | None:
        """The outbox row of a message id, if any."""
        rows = self._read(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE message_id = ?", (message_id,)
        )
        return _outbox(rows[0]) if rows else None

    # --- inbox ---------------------------------------------------------------------------

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
        """Record a received message and enqueue its outgoing messages atomically.

        Returns False, changing nothing, when ``(sender, message_id)`` was seen before.
        """
        now = _ts(self._now())
        with self._write() as conn:
            seen = conn.execute(
                "SELECT 1 FROM inbox WHERE sender = ? AND message_id = ?", (sender, message_id)
            ).fetchone()
            if seen is not None:
                return False
            conn.execute(
                "INSERT INTO inbox (sender, message_id, source, kind, digest, outcome, code,"
                " reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sender, message_id, source, kind, digest, outcome, code, reason, now),
            )
            detail = f"{kind} from {sender} via {source}"
            if outcome == "rejected":
                detail += f"; rejected {code}: {reason}"
            self._log(conn, now, message_id, "received", outcome, detail)
            for item in outgoing:
                self._insert(conn, now, item)
        return True

    def get_inbound(self, *, sender: str, message_id: str) -> InboxEntry | None:
        """The inbox row of a received message, if seen."""
        rows = self._read(
            "SELECT * FROM inbox WHERE sender = ? AND message_id = ?", (sender, message_id)
        )
        if not rows:
            return None
        row = rows[0]
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
            acknowledged_at=_dt(row["acknowledged_at"]),
        )

    def mark_acknowledged(self, *, sender: str, message_id: str) -> None:
        """Note that the acknowledgement of an inbound message was sent (first time only)."""
        self.mark_acknowledged_many([(sender, message_id)])

    def mark_acknowledged_many(self, received: Sequence[tuple[str, str]]) -> None:
        """:meth:`mark_acknowledged` for several ``(sender, message_id)`` in one commit."""
        if not received:
            return
        now = _ts(self._now())
        with self._write() as conn:
            for sender, message_id in received:
                cur = conn.execute(
                    "UPDATE inbox SET acknowledged_at = ? WHERE sender = ? AND message_id = ?"
                    " AND acknowledged_at IS NULL",
                    (now, sender, message_id),
                )
                if cur.rowcount != 1:
                    continue
                row = conn.execute(
                    "SELECT outcome, source FROM inbox WHERE sender = ? AND message_id = ?",
                    (sender, message_id),
                ).fetchone()
                event = "acknowledged" if row["outcome"] == "accepted" else "rejection_sent"
                self._log(conn, now, message_id, event, row["outcome"], f"to {row['source']}")

    # --- reporting -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Outbox rows by state, and inbox totals ``received`` and ``rejected``."""
        result: dict[str, int] = dict.fromkeys(STATES, 0)
        for row in self._read("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state"):
            result[row["state"]] = row["n"]
        inbox = self._read(
            "SELECT COUNT(*) AS n, COALESCE(SUM(outcome = 'rejected'), 0) AS r,"
            " COALESCE(SUM(acknowledged_at IS NULL), 0) AS u FROM inbox"
        )[0]
        result["received"] = inbox["n"]
        result["rejected"] = inbox["r"]
        result["unacknowledged"] = inbox["u"]
        return result

    def journal(
        self, *, message_id: str | None = None, limit: int | None = None
    ) -> list[JournalEntry]:
        """The journal, oldest first, of one message or of all (the last ``limit`` rows)."""
        where, params = ("WHERE message_id = ?", [message_id]) if message_id else ("", [])
        sql = f"SELECT * FROM journal {where} ORDER BY seq"
        if limit is not None:
            sql = (
                f"SELECT * FROM ({sql.replace('ORDER BY seq', 'ORDER BY seq DESC')}"
                f" LIMIT {int(limit)}) ORDER BY seq"
            )
        return [
            JournalEntry(
                seq=row["seq"],
                at=datetime.fromtimestamp(row["at"], UTC),
                message_id=row["message_id"],
                event=row["event"],
                state=row["state"],
                detail=row["detail"],
            )
            for row in self._read(sql, params)
        ]

    def close(self) -> None:
        """Close the connection (a checkpoint of the WAL happens on the last close)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
