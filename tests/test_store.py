"""The SQLite store: outbox leases and states, inbox dedup, journal, durability settings."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aswbridge.store import (
    OutboxEntry,
    Outgoing,
    Received,
    SqliteStore,
    Store,
    StoreConflict,
    UnknownMessage,
    digest,
)


class Clock:
    """A hand-driven clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as ``nobody`` then."""
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a Unix socket, for the whole session."""
    pytest.importorskip("psycopg", reason="the [postgres] extra is not installed")
    pg_ctl, initdb = shutil.which("pg_ctl"), shutil.which("initdb")
    if pg_ctl is None or initdb is None:
        pytest.skip("PostgreSQL server binaries (pg_ctl, initdb) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="aswbridge-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody", "nogroup")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "data"
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(
        _as_postgres_user([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"]),
        **run,
    )  # type: ignore[call-overload]
    options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=on"
    subprocess.run(
        _as_postgres_user(
            [pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start"]
        ),
        **run,
    )  # type: ignore[call-overload]
    try:
        yield f"host={folder} port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Store]:
    """Each protocol test runs on both backends."""
    if request.param == "sqlite":
        with SqliteStore(tmp_path / "relay.db", now=clock) as s:
            yield s
        return
    from aswbridge.store.postgres import PostgresStore

    dsn = request.getfixturevalue("postgres_dsn")
    with PostgresStore(dsn, schema=f"t_{uuid.uuid4().hex[:12]}", now=clock) as pg:
        yield pg


@pytest.fixture
def sqlite_store(tmp_path: Path, clock: Clock) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "relay.db", now=clock) as s:
        yield s


def item(n: int = 1, body: bytes | None = None, dest: str = "unipass") -> Outgoing:
    return Outgoing(
        message_id=f"m-{n}", dest=dest, kind="certificate", body=body or f"<x n='{n}'/>".encode()
    )


def test_satisfies_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_durability_settings_at_open(sqlite_store: SqliteStore) -> None:
    conn = sqlite3.connect(sqlite_store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert sqlite_store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_enqueue_is_idempotent_by_message_id(store: Store) -> None:
    assert store.enqueue(item(1)) is True
    assert store.enqueue(item(1)) is False
    assert store.counts()["pending"] == 1


def test_enqueue_same_id_other_bytes_is_a_conflict(store: Store) -> None:
    store.enqueue(item(1))
    with pytest.raises(StoreConflict) as info:
        store.enqueue(item(1, body=b"<other/>"))
    assert info.value.code == "MESSAGE_ID_CONFLICT"
    stored = store.get("m-1")
    assert stored is not None and stored.body == b"<x n='1'/>"


def test_claim_leases_and_counts_an_attempt(store: Store) -> None:
    for n in range(3):
        store.enqueue(item(n))
    rows = store.claim(limit=2, lease_s=30)
    assert [r.message_id for r in rows] == ["m-0", "m-1"]
    assert all(r.state == "in_flight" and r.attempts == 1 for r in rows)
    assert store.claim(limit=10, lease_s=30)[0].message_id == "m-2"
    assert store.claim(limit=10, lease_s=30) == []
    assert store.counts()["in_flight"] == 3


def test_claim_filters_by_destination(store: Store) -> None:
    store.enqueue(item(1, dest="unipass"))
    store.enqueue(item(2, dest="nsw"))
    assert [r.message_id for r in store.claim(limit=10, lease_s=30, dest="nsw")] == ["m-2"]


def test_expired_lease_returns_the_row(store: Store, clock: Clock) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    clock.advance(29)
    assert store.claim(limit=1, lease_s=30) == []
    clock.advance(2)
    again = store.claim(limit=1, lease_s=30)
    assert [(r.message_id, r.attempts) for r in again] == [("m-1", 2)]
    assert "lease_expired_reclaimed" in [e.event for e in store.journal(message_id="m-1")]


def test_resend_is_byte_identical(store: Store, clock: Clock) -> None:
    body = b"<EcoMsg>\n  <a>\xc3\xa9</a>\r\n</EcoMsg>"
    store.enqueue(item(1, body=body))
    first = store.claim(limit=1, lease_s=30)[0]
    store.fail("m-1", code="TIMEOUT", error="read timeout", next_attempt_at=clock.now)
    second = store.claim(limit=1, lease_s=30)[0]
    assert first.body == second.body == body
    assert second.digest == digest(body)


def test_ack_marks_done_with_tracking(store: Store) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    store.ack("m-1", tracking="TRK-1")
    row = store.get("m-1")
    assert row is not None and (row.state, row.tracking) == ("done", "TRK-1")
    with pytest.raises(UnknownMessage):
        store.ack("m-1")


def test_fail_schedules_next_attempt(store: Store, clock: Clock) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    due = clock.now + timedelta(seconds=60)
    assert store.fail("m-1", code="HTTP_503", error="busy", next_attempt_at=due) == "pending"
    assert store.claim(limit=1, lease_s=30) == []
    clock.advance(60)
    assert [r.message_id for r in store.claim(limit=1, lease_s=30)] == ["m-1"]


def test_fail_without_next_attempt_dead_letters(store: Store) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    assert store.fail("m-1", code="E123", error="refused", next_attempt_at=None) == "dead"
    dead = store.dead_letters()
    assert [(d.message_id, d.last_code) for d in dead] == [("m-1", "E123")]
    assert store.claim(limit=1, lease_s=30) == []
    assert store.counts()["dead"] == 1


def test_retry_dead_puts_it_back(store: Store) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    store.fail("m-1", code="E1", error="x", next_attempt_at=None)
    store.retry_dead("m-1")
    rows = store.claim(limit=1, lease_s=30)
    assert [(r.message_id, r.attempts) for r in rows] == [("m-1", 1)]
    with pytest.raises(UnknownMessage):
        store.retry_dead("m-1")


def test_release_does_not_count_the_attempt(store: Store) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    store.release("m-1")
    row = store.get("m-1")
    assert row is not None and (row.state, row.attempts) == ("pending", 0)


def test_record_inbound_dedups_by_sender_and_id(store: Store) -> None:
    args = {"message_id": "in-1", "source": "nsw", "kind": "certificate", "digest": "d"}
    assert store.record_inbound(sender="TH", outgoing=[item(9)], **args) is True
    assert store.record_inbound(sender="TH", outgoing=[item(10)], **args) is False
    assert store.record_inbound(sender="VN", **args) is True
    assert store.get("m-9") is not None and store.get("m-10") is None
    seen = store.get_inbound(sender="TH", message_id="in-1")
    assert seen is not None and seen.outcome == "accepted" and seen.acknowledged_at is None


def test_record_inbound_is_atomic_with_its_outgoing(store: Store) -> None:
    store.enqueue(item(5))
    with pytest.raises(StoreConflict):
        store.record_inbound(
            sender="TH",
            message_id="in-1",
            source="nsw",
            kind="certificate",
            digest="d",
            outgoing=[item(5, body=b"<different/>")],
        )
    assert store.get_inbound(sender="TH", message_id="in-1") is None


def received(n: int, sender: str = "TH", *outgoing: Outgoing) -> Received:
    return Received(
        sender=sender,
        message_id=f"in-{n}",
        source="nsw",
        kind="certificate",
        digest=f"d-{n}",
        outgoing=outgoing,
    )


def test_record_inbound_many_answers_each_in_the_order_given(store: Store) -> None:
    store.record_inbound(
        sender="TH", message_id="in-1", source="nsw", kind="certificate", digest="d"
    )
    batch = [received(2, "TH", item(2)), received(1, "TH", item(1)), received(3, "VN", item(3))]
    assert store.record_inbound_many(batch) == [True, False, True]
    assert store.get("m-1") is None  # seen before: nothing it carries is queued
    assert [store.get(f"m-{n}") is not None for n in (2, 3)] == [True, True]
    seen = store.get_inbound(sender="VN", message_id="in-3")
    assert seen is not None and seen.digest == "d-3" and seen.acknowledged_at is None
    assert store.record_inbound_many([]) == []
    assert store.record_inbound_many(batch) == [False, False, False]


def test_record_inbound_many_leaves_out_a_conflict_alone(store: Store) -> None:
    store.enqueue(item(5))
    batch = [
        received(1, "TH", item(1)),
        received(5, "TH", item(6), item(5, body=b"<different/>")),  # m-5 taken: all of it out
        received(7, "TH", item(7)),
    ]
    first, conflict, last = store.record_inbound_many(batch)
    assert (first, last) == (True, True)
    assert isinstance(conflict, StoreConflict) and "m-5" in conflict.message
    assert store.get_inbound(sender="TH", message_id="in-5") is None
    assert store.get("m-6") is None and store.journal(message_id="in-5") == []
    assert [e.event for e in store.journal(message_id="m-7")] == ["enqueued"]
    assert store.counts()["received"] == 2


def test_rejected_inbound_keeps_its_code(store: Store) -> None:
    store.record_inbound(
        sender="TH",
        message_id="in-2",
        source="nsw",
        kind="certificate",
        digest="d",
        outcome="rejected",
        code="SCHEMA_INVALID",
        reason="bad box 7",
    )
    seen = store.get_inbound(sender="TH", message_id="in-2")
    assert seen is not None and (seen.outcome, seen.code) == ("rejected", "SCHEMA_INVALID")
    assert store.counts()["rejected"] == 1
    assert [(e.message_id, e.reason) for e in store.rejected()] == [("in-2", "bad box 7")]


def test_mark_acknowledged_journals_once(store: Store) -> None:
    store.record_inbound(sender="TH", message_id="in-1", source="nsw", kind="receipt", digest="d")
    store.mark_acknowledged(sender="TH", message_id="in-1")
    store.mark_acknowledged(sender="TH", message_id="in-1")
    events = [e.event for e in store.journal(message_id="in-1")]
    assert events == ["received", "acknowledged"]
    assert store.counts()["ack_unconfirmed"] == 0


def test_journal_tells_the_whole_story(store: Store, clock: Clock) -> None:
    store.enqueue(item(1))
    store.claim(limit=1, lease_s=30)
    clock.advance(1)
    store.fail("m-1", code="HTTP_503", error="busy", next_attempt_at=clock.now)
    store.claim(limit=1, lease_s=30)
    clock.advance(1)
    store.ack("m-1", tracking="T-9")
    journal = store.journal(message_id="m-1")
    assert [(e.event, e.state) for e in journal] == [
        ("enqueued", "pending"),
        ("claimed", "in_flight"),
        ("retry_scheduled", "pending"),
        ("claimed", "in_flight"),
        ("delivered", "done"),
    ]
    assert journal[-1].at == clock.now
    assert "T-9" in str(journal[-1])
    assert len(store.journal(limit=2)) == 2


def test_committed_rows_survive_reopen(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "relay.db"
    first = SqliteStore(path, now=clock)
    first.enqueue(item(1))
    first.claim(limit=1, lease_s=30)
    # no close: as if the process died
    second = SqliteStore(path, now=clock)
    clock.advance(31)
    rows: list[OutboxEntry] = second.claim(limit=5, lease_s=30)
    assert [r.message_id for r in rows] == ["m-1"]
    second.close()
    first.close()


def test_readonly_store_reports_counts(sqlite_store: SqliteStore) -> None:
    sqlite_store.enqueue(item(1))
    reader = SqliteStore(sqlite_store.path, readonly=True)
    assert reader.counts()["pending"] == 1
    reader.close()


def test_ack_many_is_one_commit_for_a_batch(store: Store) -> None:
    for n in range(3):
        store.enqueue(item(n))
    store.claim(limit=3, lease_s=30)
    store.ack_many([("m-0", "T-0"), ("m-1", None)])
    assert store.counts()["done"] == 2 and store.counts()["in_flight"] == 1
    with pytest.raises(UnknownMessage):
        store.ack_many([("m-2", "T-2"), ("m-0", "T-0")])  # m-0 is done already: all or nothing
    row = store.get("m-2")
    assert row is not None and row.state == "in_flight"


def test_mark_acknowledged_many(store: Store) -> None:
    for n in range(2):
        store.record_inbound(
            sender="TH", message_id=f"in-{n}", source="nsw", kind="certificate", digest="d"
        )
    store.mark_acknowledged_many([("TH", "in-0"), ("TH", "in-1"), ("TH", "unknown")])
    assert store.counts()["ack_unconfirmed"] == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_concurrent_claims_never_lease_a_row_twice(
    backend: str, tmp_path: Path, clock: Clock, request: pytest.FixtureRequest
) -> None:
    import threading

    def open_one() -> Store:
        if backend == "sqlite":
            return SqliteStore(tmp_path / "relay.db", now=clock)
        from aswbridge.store.postgres import PostgresStore

        return PostgresStore(request.getfixturevalue("postgres_dsn"), schema=schema, now=clock)

    schema = f"t_{uuid.uuid4().hex[:12]}"
    stores = [open_one() for _ in range(4)]
    for n in range(60):
        stores[0].enqueue(item(n))
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(store: Store) -> None:
        while rows := store.claim(limit=3, lease_s=600):
            with lock:
                claimed.extend(r.message_id for r in rows)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(claimed) == sorted(f"m-{n}" for n in range(60))
    for s in stores:
        s.close()


def test_purge_keeps_what_is_not_settled(store: Store, clock: Clock) -> None:
    for n in range(4):
        store.enqueue(item(n))
    store.record_inbound(sender="TH", message_id="in-old", source="nsw", kind="receipt", digest="d")
    store.claim(limit=2, lease_s=600)
    store.ack("m-0")
    store.fail("m-1", code="E", error="refused", next_attempt_at=None)
    clock.advance(10 * 86_400)
    store.enqueue(item(9))
    store.claim(limit=1, lease_s=600)
    store.ack("m-2")  # delivered now, but queued ten days ago
    purged = store.purge(before=clock.now - timedelta(days=5))
    assert purged == {"done": 2, "received": 1, "journal": 0}
    counts = store.counts()
    assert (counts["done"], counts["dead"], counts["pending"], counts["received"]) == (0, 1, 2, 0)
    assert store.record_inbound(
        sender="TH", message_id="in-old", source="nsw", kind="receipt", digest="d"
    )  # forgotten: new again
    assert store.journal(message_id="m-0")  # the journal stays unless asked
    store.purge(before=clock.now, journal=True)
    assert store.journal(message_id="m-0") == []


def test_one_relay_per_sqlite_store(tmp_path: Path, clock: Clock) -> None:
    from aswbridge.store import StoreError

    path = tmp_path / "relay.db"
    dead = SqliteStore(path, now=clock)  # a relay that claimed, then died
    dead.enqueue(item(1))
    dead.claim(limit=1, lease_s=3600)
    dead.close()
    relay = SqliteStore(path, now=clock, exclusive=True)
    row = relay.get("m-1")
    assert row is not None and (row.state, row.attempts) == ("pending", 1)  # at once
    assert "requeued_at_start" in [e.event for e in relay.journal(message_id="m-1")]
    with pytest.raises(StoreError, match="another relay is running"):
        SqliteStore(path, now=clock, exclusive=True)
    with SqliteStore(path, now=clock) as reader:  # status and dead-letter still open it
        assert reader.counts()["pending"] == 1
    relay.close()
    SqliteStore(path, now=clock, exclusive=True).close()  # the lock went with the relay
