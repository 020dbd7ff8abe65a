"""The SQL core shared by the SQLite and PostgreSQL stores (portable SQL, ``?`` markers).

A backend supplies the connection, the transaction (:meth:`SqlStore._write`), the
parameter marker and the row-locking clause of claims; everything else is here, so both
backends keep the same states, journal and guarantees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self

from aswbridge.errors import StoreConflict, UnknownMessage, clip
from aswbridge.store._rows import (
    OUTBOX_COLUMNS,
    inbox_entry,
    outbox_entry,
    ts,
)
from aswbridge.store.base import (
    InboxEntry,
    InboxOutcome,
    OutboxEntry,
    Outgoing,
    Received,
    digest,
)
from aswbridge.store.states import TRANSITIONS, OutboxState

CLAIMED, RECLAIMED = TRANSITIONS["claimed"], TRANSITIONS["lease_expired_reclaimed"]


class SqlCore:
    """The store's outbox and inbox on a DB-API connection (reports in :class:`SqlStore`).

    Subclasses set ``_conn``, ``_now``, ``_lock``, ``owner`` and ``marker``, and implement
    :meth:`_write` (one transaction holding the write lock) and :meth:`close`; a backend
    with a connection per thread overrides :meth:`_read` as well.
    """

    #: The backend's parameter marker (``?`` for sqlite3, ``%s`` for psycopg).
    marker = "?"
    #: Appended to the claim's SELECT to lock the rows it takes.
    lock_rows = ""
    _conn: Any
    _now: Callable[[], datetime]
    _lock: threading.RLock
    #: Who takes this store's leases (journalled with each claim): host and process id.
    owner: str
    #: The schema version of the tables (see :mod:`aswbridge.store._schema`).
    schema_version: int

    # --- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    def _x(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute with the backend's parameter marker; returns the cursor."""
        if self.marker != "?":
            sql = sql.replace("?", self.marker)
        return conn.execute(sql, params)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return list(self._x(self._conn, sql, params).fetchall())

    def _log(
        self,
        conn: Any,
        at: float,
        message_id: str,
        event: str,
        state: str,
        detail: str = "",
    ) -> None:
        self._x(
            conn,
            "INSERT INTO journal (at, message_id, event, state, detail) VALUES (?, ?, ?, ?, ?)",
            (at, message_id, event, state, clip(detail)),
        )

    def _insert(self, conn: Any, at: float, item: Outgoing) -> bool:
        body_digest = digest(item.body)
        added = self._x(
            conn,
            "INSERT INTO outbox (message_id, dest, kind, body, digest, sender, receiver, state,"
            " attempts, created_at, next_attempt_at, source, source_message_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)"
            " ON CONFLICT (message_id) DO NOTHING",
            (
                item.message_id,
                item.dest,
                item.kind,
                item.body,
                body_digest,
                item.sender,
                item.receiver,
                TRANSITIONS["enqueued"].target,
                at,
                at,
                item.source,
                item.source_message_id,
            ),
        ).rowcount
        if added != 1:  # stored before (perhaps by another relay a moment ago)
            row = self._x(
                conn, "SELECT digest FROM outbox WHERE message_id = ?", (item.message_id,)
            ).fetchone()
            if row["digest"] != body_digest:
                raise StoreConflict(
                    f"message id {item.message_id} is already stored with different bytes"
                )
            return False
        origin = f" from {item.source} {item.source_message_id}" if item.source else ""
        self._log(
            conn,
            at,
            item.message_id,
            "enqueued",
            TRANSITIONS["enqueued"].target,
            f"{item.kind} to {item.dest}{origin}, sha256 {body_digest[:16]}",
        )
        return True

    # --- outbox --------------------------------------------------------------------------

    def enqueue(self, outgoing: Outgoing) -> bool:
        """Store a message to send; True if new, False if already stored with these bytes."""
        with self._write() as conn:
            return self._insert(conn, ts(self._now()), outgoing)

    def claim(
        self,
        *,
        limit: int,
        lease_s: float,
        dest: str | None = None,
        max_wait: float | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to ``limit`` due rows; each claim counts one attempt (see Store.claim)."""
        now = ts(self._now())
        latest_due = now + (max_wait if max_wait is not None else 1e12)  # None: never
        (due,), (leased,) = CLAIMED.sources, RECLAIMED.sources
        where = (
            "((state = ? AND (next_attempt_at <= ? OR next_attempt_at > ?))"
            " OR (state = ? AND (lease_until <= ? OR lease_until > ?)))"
        )
        params: list[Any] = [due, now, latest_due, leased, now, now + lease_s]
        if dest is not None:
            where += " AND dest = ?"
            params.append(dest)
        with self._write() as conn:
            rows = self._x(
                conn,
                f"SELECT message_id, state, claimed_by FROM outbox WHERE {where}"
                f" ORDER BY next_attempt_at, created_at LIMIT ?{self.lock_rows}",
                (*params, limit),
            ).fetchall()
            for row in rows:
                if row["state"] == leased:  # its relay died or stalled past the lease
                    holder = row["claimed_by"] or "an earlier release"
                    move, detail = RECLAIMED, f"from {holder} "
                else:
                    move, detail = CLAIMED, ""
                self._x(
                    conn,
                    "UPDATE outbox SET state = ?, attempts = attempts + 1,"
                    " lease_until = ?, claimed_by = ? WHERE message_id = ?",
                    (move.target, now + lease_s, self.owner, row["message_id"]),
                )
                self._log(
                    conn,
                    now,
                    row["message_id"],
                    move.event,
                    move.target,
                    f"{detail}by {self.owner}",
                )
            ids = [row["message_id"] for row in rows]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            found = self._x(
                conn, f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE message_id IN ({marks})", ids
            ).fetchall()
        by_id = {row["message_id"]: outbox_entry(row) for row in found}
        return [by_id[i] for i in ids]

    def _move(
        self,
        conn: Any,
        at: float,
        message_id: str,
        event: str,
        sql: str = "",
        params: Sequence[Any] = (),
        detail: str = "",
    ) -> None:
        """Make the transition ``event`` of the state machine (states.py) and journal it."""
        move = TRANSITIONS[event]
        marks = ",".join("?" * len(move.sources))
        cur = self._x(
            conn,
            f"UPDATE outbox SET state = ?{', ' if sql else ''}{sql}"
            f" WHERE message_id = ? AND state IN ({marks})",
            (move.target, *params, message_id, *move.sources),
        )
        if cur.rowcount != 1:
            raise UnknownMessage(
                f"no outbox row {message_id} in state {'/'.join(move.sources)} for {event}"
            )
        self._log(conn, at, message_id, event, move.target, detail)

    def ack(self, message_id: str, *, tracking: str | None = None) -> None:
        """Mark a claimed (or pending) message delivered, with the receiver's tracking."""
        self.ack_many([(message_id, tracking)])

    def ack_many(self, delivered: Sequence[tuple[str, str | None]]) -> None:
        """Mark several messages delivered in one commit: ``(message_id, tracking)`` pairs."""
        if not delivered:
            return
        now = ts(self._now())
        with self._write() as conn:
            for message_id, tracking in sorted(delivered, key=lambda d: d[0]):  # one lock order
                detail = f"tracking {tracking}" if tracking else ""
                self._move(
                    conn,
                    now,
                    message_id,
                    "delivered",
                    "lease_until = NULL, tracking = ?",
                    (tracking,),
                    detail,
                )

    def fail(
        self,
        message_id: str,
        *,
        code: str,
        error: str,
        next_attempt_at: datetime | None,
        notify: Sequence[Outgoing] = (),
    ) -> OutboxState:
        """Record a failed attempt: pending again at ``next_attempt_at``, or dead if None.

        ``notify`` (a failed receipt for the producer) is queued in the same transaction
        when the message is dead-lettered.
        """
        now = ts(self._now())
        due = ts(next_attempt_at) if next_attempt_at is not None else now
        event = "retry_scheduled" if next_attempt_at is not None else "dead_lettered"
        if next_attempt_at is None:
            detail = f"{code}: {error}"
        else:
            when = datetime.fromtimestamp(due, UTC).isoformat(timespec="seconds")
            detail = f"{code}: {error}; next attempt {when}"
        with self._write() as conn:
            self._move(
                conn,
                now,
                message_id,
                event,
                "lease_until = NULL, next_attempt_at = ?, last_code = ?, last_error = ?",
                (due, code, clip(error)),
                detail,
            )
            if event == "dead_lettered":
                for item in notify:
                    self._insert(conn, now, item)
        return TRANSITIONS[event].target

    def release(self, message_id: str) -> None:
        """Give a claimed row back unsent; its attempt is not counted."""
        now = ts(self._now())
        with self._write() as conn:
            self._move(
                conn,
                now,
                message_id,
                "released",
                "lease_until = NULL, attempts = attempts - 1, next_attempt_at = ?",
                (now,),
                "shutdown before sending",
            )

    def dead_letters(self) -> list[OutboxEntry]:
        """Every dead-lettered row, oldest first."""
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'dead' ORDER BY created_at"
        )
        return [outbox_entry(row) for row in rows]

    def retry_dead(self, message_id: str) -> None:
        """Put a dead-lettered row back to pending now, attempts reset to zero."""
        now = ts(self._now())
        with self._write() as conn:
            self._move(
                conn,
                now,
                message_id,
                "dead_letter_retried",
                "attempts = 0, next_attempt_at = ?, created_at = ?",
                (now, now),
            )

    def get(self, message_id: str) -> OutboxEntry | None:
        """The outbox row of a message id, if any."""
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE message_id = ?", (message_id,)
        )
        return outbox_entry(rows[0]) if rows else None

    # --- inbox ---------------------------------------------------------------------------

    def note(self, subject: str, *, event: str, state: str, detail: str = "") -> None:
        """Write one journal line about ``subject`` (not a message: a side, say)."""
        with self._write() as conn:
            self._log(conn, ts(self._now()), subject, event, state, detail)

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
        received = Received(
            sender=sender,
            message_id=message_id,
            source=source,
            kind=kind,
            digest=digest,
            outcome=outcome,
            code=code,
            reason=reason,
            outgoing=tuple(outgoing),
        )
        with self._write() as conn:
            return self._record(conn, ts(self._now()), received)

    def record_inbound_many(self, received: Sequence[Received]) -> list[bool | StoreConflict]:
        """:meth:`record_inbound` for several messages in one commit; a message whose
        outgoing id is taken by other bytes is left out (its StoreConflict is returned)."""
        results: list[bool | StoreConflict] = [False] * len(received)
        if not received:
            return results
        now = ts(self._now())
        # one lock order for every relay: by message id first, which is also the key of
        # the outbox rows each one adds (a translation keeps its message's id)
        order = sorted(range(len(received)), key=lambda i: received[i].key[::-1])
        with self._write() as conn:
            for i in order:
                self._x(conn, "SAVEPOINT received")
                try:
                    results[i] = self._record(conn, now, received[i])
                except StoreConflict as exc:
                    self._x(conn, "ROLLBACK TO SAVEPOINT received")
                    results[i] = exc
                self._x(conn, "RELEASE SAVEPOINT received")
        return results

    def _record(self, conn: Any, now: float, received: Received) -> bool:
        """Insert one inbox row, journal it and enqueue its outgoing messages; False if
        ``(sender, message_id)`` was seen before."""
        r = received
        # relays racing for the same message: the first to commit has it, the others
        # wait for that commit here and change nothing (an expected event, not an error)
        added = self._x(
            conn,
            "INSERT INTO inbox (sender, message_id, source, kind, digest, outcome, code,"
            " reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (sender, message_id) DO NOTHING",
            (
                r.sender,
                r.message_id,
                r.source,
                r.kind,
                r.digest,
                r.outcome,
                r.code,
                None if r.reason is None else clip(r.reason),
                now,
            ),
        ).rowcount
        if added != 1:
            return False
        detail = f"{r.kind} from {r.sender} via {r.source}"
        if r.outcome == "rejected":
            detail += f"; rejected {r.code}: {r.reason}"
        elif r.reason:
            detail += f"; {r.reason}"
        self._log(conn, now, r.message_id, "received", r.outcome, detail)
        for item in r.outgoing:
            self._insert(conn, now, item)
        return True

    def get_inbound(self, *, sender: str, message_id: str) -> InboxEntry | None:
        """The inbox row of a received message, if seen."""
        rows = self._read(
            "SELECT * FROM inbox WHERE sender = ? AND message_id = ?", (sender, message_id)
        )
        return inbox_entry(rows[0]) if rows else None

    def rejected(self) -> list[InboxEntry]:
        """Every message refused on receipt (its source was told), oldest first."""
        rows = self._read("SELECT * FROM inbox WHERE outcome = 'rejected' ORDER BY received_at")
        return [inbox_entry(row) for row in rows]

    def mark_acknowledged(self, *, sender: str, message_id: str) -> None:
        """Note that the acknowledgement of an inbound message was sent (first time only)."""
        self.mark_acknowledged_many([(sender, message_id)])

    def mark_acknowledged_many(self, received: Sequence[tuple[str, str]]) -> None:
        """:meth:`mark_acknowledged` for several ``(sender, message_id)`` in one commit."""
        if not received:
            return
        now = ts(self._now())
        with self._write() as conn:
            for sender, message_id in sorted(received):  # one lock order for every relay
                cur = self._x(
                    conn,
                    "UPDATE inbox SET acknowledged_at = ? WHERE sender = ? AND message_id = ?"
                    " AND acknowledged_at IS NULL",
                    (now, sender, message_id),
                )
                if cur.rowcount != 1:
                    continue
                row = self._x(
                    conn,
                    "SELECT outcome, source FROM inbox WHERE sender = ? AND message_id = ?",
                    (sender, message_id),
                ).fetchone()
                event = "acknowledged" if row["outcome"] == "accepted" else "rejection_sent"
                self._log(conn, now, message_id, event, row["outcome"], f"to {row['source']}")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
