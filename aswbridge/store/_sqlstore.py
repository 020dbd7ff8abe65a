"""The SQL store: :class:`SqlCore` plus reporting (counts, journal) and retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aswbridge.store._rows import dt, journal_entry, ts
from aswbridge.store._sql import SqlCore
from aswbridge.store.base import JournalEntry
from aswbridge.store.states import STATES, TRANSITIONS


class SqlStore(SqlCore):
    """The whole :class:`~aswbridge.store.base.Store` in portable SQL; backends subclass it."""

    # --- recovery ------------------------------------------------------------------------

    def requeue_in_flight(self) -> int:
        """Put every leased row back to pending now (its lessee is known to be gone).

        Only for a store with one relay, at that relay's start: whatever is in flight was
        claimed by a process that died. The attempt stays counted.
        """
        now = ts(self._now())
        requeue = TRANSITIONS["requeued_at_start"]
        with self._write() as conn:
            rows = self._x(
                conn, "SELECT message_id FROM outbox WHERE state = ?", requeue.sources
            ).fetchall()
            for row in rows:
                self._move(
                    conn,
                    now,
                    row["message_id"],
                    requeue.event,
                    "lease_until = NULL, next_attempt_at = ?",
                    (now,),
                    "the relay that claimed it stopped",
                )
        return len(rows)

    # --- retention -----------------------------------------------------------------------

    def purge(self, *, before: datetime, journal: bool = False) -> dict[str, int]:
        """Delete delivered outbox rows and inbox rows older than ``before`` (and, with
        ``journal``, the journal up to then). Pending, in-flight and dead rows stay.

        The inbox is the memory of which message ids were seen: purge it only past every
        partner's retry horizon, or a late repeat would be taken as new.
        """
        cut = ts(before)
        with self._write() as conn:
            done = self._x(
                conn, "DELETE FROM outbox WHERE state = 'done' AND created_at < ?", (cut,)
            ).rowcount
            inbox = self._x(conn, "DELETE FROM inbox WHERE received_at < ?", (cut,)).rowcount
            entries = (
                self._x(conn, "DELETE FROM journal WHERE at < ?", (cut,)).rowcount if journal else 0
            )
            when = before.isoformat(timespec="seconds")
            self._log(
                conn,
                ts(self._now()),
                "-",
                "purged",
                "-",
                f"before {when}: {done} delivered, {inbox} received, {entries} journal",
            )
        return {"done": done, "received": inbox, "journal": entries}

    # --- reporting -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Outbox rows by state; inbox totals ``received``, ``rejected``, ``ack_unconfirmed``."""
        result: dict[str, int] = dict.fromkeys(STATES, 0)
        for row in self._read("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state"):
            result[row["state"]] = row["n"]
        inbox = self._read(
            "SELECT COUNT(*) AS n,"
            " COALESCE(SUM(CASE WHEN outcome = 'rejected' THEN 1 ELSE 0 END), 0) AS r,"
            " COALESCE(SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END), 0) AS u"
            " FROM inbox"
        )[0]
        result["received"] = inbox["n"]
        result["rejected"] = inbox["r"]
        result["ack_unconfirmed"] = inbox["u"]
        return result

    def counts_by_side(self) -> dict[str, dict[str, int]]:
        """Outbox rows by destination side and state (every state, zeros included)."""
        result: dict[str, dict[str, int]] = {}
        for row in self._read("SELECT dest, state, COUNT(*) AS n FROM outbox GROUP BY dest, state"):
            result.setdefault(row["dest"], dict.fromkeys(STATES, 0))[row["state"]] = row["n"]
        return result

    def queue_report(self) -> list[dict[str, Any]]:
        """What is unsettled, for monitoring: the outbox by destination and state (``dest``,
        ``state``, ``n``, ``oldest``: when the oldest was queued), and the received messages
        whose acknowledgement is unconfirmed (``dest`` is their source, ``state``
        ``ack_unconfirmed``). Settled rows are not read (the indexes lead to the others), so
        a scrape costs the same however many the store keeps."""
        rows = self._read(
            "SELECT dest, state, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"
            " WHERE state IN ('pending', 'in_flight', 'dead') GROUP BY dest, state"
            " UNION ALL SELECT source, 'ack_unconfirmed', COUNT(*), MIN(received_at) FROM inbox"
            " WHERE acknowledged_at IS NULL GROUP BY source"
        )
        return [
            {"dest": r["dest"], "state": r["state"], "n": r["n"], "oldest": dt(r["oldest"])}
            for r in rows
        ]

    def journal(
        self, *, message_id: str | None = None, limit: int | None = None
    ) -> list[JournalEntry]:
        """The journal, oldest first, of one message or of all (the last ``limit`` rows)."""
        where, params = ("WHERE message_id = ?", [message_id]) if message_id else ("", [])
        sql = f"SELECT * FROM journal {where} ORDER BY seq"
        if limit is not None:
            sql = (
                f"SELECT * FROM ({sql.replace('ORDER BY seq', 'ORDER BY seq DESC')}"
                f" LIMIT {int(limit)}) AS recent ORDER BY seq"
            )
        return [journal_entry(row) for row in self._read(sql, params)]
