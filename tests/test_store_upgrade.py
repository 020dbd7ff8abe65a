"""A store written by the previous layout (schema 1, no version table) opened by this release.

The old layout is built here from its DDL text as the earlier releases shipped it, with a
message in each state that matters; the store migrates it in place, keeps every row, and
goes on working. A store from a newer release is refused, not damaged.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_store import postgres_dsn  # noqa: F401  (the throwaway PostgreSQL fixture)

from aswbridge.store import SqliteStore, Store, StoreError
from aswbridge.store._schema import CURRENT

#: The tables of releases before the schema carried a version (SQLite spelling).
PREVIOUS_LAYOUT = """
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

#: The same tables as the PostgreSQL store created them.
PREVIOUS_LAYOUT_PG = (
    PREVIOUS_LAYOUT.replace("BLOB", "BYTEA")
    .replace("REAL", "DOUBLE PRECISION")
    .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
)

#: Rows an old relay left: one pending, one in flight, one delivered, one received.
OLD_ROWS = [
    "INSERT INTO outbox (message_id, dest, kind, body, digest, state, attempts, created_at,"
    " next_attempt_at) VALUES ('m-pending', 'unipass', 'certificate', ?, 'd1', 'pending', 1,"
    " 1000, 1000)",
    "INSERT INTO outbox (message_id, dest, kind, body, digest, state, attempts, created_at,"
    " next_attempt_at, lease_until) VALUES ('m-flight', 'nsw', 'response', ?, 'd2',"
    " 'in_flight', 1, 1000, 1000, 1100)",
    "INSERT INTO outbox (message_id, dest, kind, body, digest, state, attempts, created_at,"
    " next_attempt_at, tracking) VALUES ('m-done', 'unipass', 'certificate', ?, 'd3', 'done',"
    " 1, 1000, 1000, 'T-1')",
    "INSERT INTO inbox (sender, message_id, source, kind, digest, outcome, received_at)"
    " VALUES ('TH', 'in-1', 'nsw', 'certificate', 'd0', 'accepted', 1000)",
    "INSERT INTO journal (at, message_id, event, state) VALUES (1000, 'm-pending', 'enqueued',"
    " 'pending')",
]


def _old_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(PREVIOUS_LAYOUT)
    for statement in OLD_ROWS:
        conn.execute(statement, (b"<old/>",) if "?" in statement else ())
    conn.commit()
    conn.close()


def _old_postgres(dsn: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        for statement in filter(str.strip, PREVIOUS_LAYOUT_PG.split(";")):
            conn.execute(statement)
        for statement in OLD_ROWS:
            conn.execute(statement.replace("?", "%s"), (b"<old/>",) if "?" in statement else ())


@pytest.fixture(params=["sqlite", "postgres"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Builds the previous layout; yields a function opening it with this release."""
    if request.param == "sqlite":
        path = tmp_path / "relay.db"
        _old_sqlite(path)
        yield lambda **kw: SqliteStore(path, **kw)
        return
    from aswbridge.store.postgres import PostgresStore

    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"old_{uuid.uuid4().hex[:10]}"
    _old_postgres(dsn, schema)
    yield lambda **kw: PostgresStore(dsn, schema=schema, **kw)


def test_a_store_of_the_previous_layout_is_migrated_and_keeps_its_rows(
    old_store: Callable[..., Any],
) -> None:
    store: Store = old_store(owner="new-relay")
    assert store.schema_version == CURRENT  # type: ignore[attr-defined]
    counts = store.counts()
    assert (counts["pending"], counts["in_flight"], counts["done"], counts["received"]) == (
        1,
        1,
        1,
        1,
    )
    done = store.get("m-done")
    assert done is not None and (done.tracking, done.body) == ("T-1", b"<old/>")
    assert [e.event for e in store.journal(message_id="-")] == ["migrated"]
    assert store.journal(message_id="-")[0].detail == f"store schema 1 -> {CURRENT}"
    # the old relay's lease ran out long ago: the new one takes both rows, and names itself
    assert sorted(r.message_id for r in store.claim(limit=5, lease_s=60)) == [
        "m-flight",
        "m-pending",
    ]
    assert store.journal(message_id="m-flight")[-1].detail == "from an earlier release by new-relay"
    store.ack("m-pending", tracking="T-2")
    assert (
        store.record_inbound(
            sender="TH", message_id="in-1", source="nsw", kind="certificate", digest="d0"
        )
        is False
    )  # still remembered after the upgrade
    store.close()
    again: Store = old_store()  # opening again migrates nothing more
    assert [e.event for e in again.journal(message_id="-")] == ["migrated"]
    again.close()


def test_a_store_from_a_newer_release_is_refused(old_store: Callable[..., Any]) -> None:
    old_store().close()  # migrated to this release's version
    store = old_store()
    with store._write() as conn:
        store._x(
            conn, "INSERT INTO schema_version (version, applied_at) VALUES (?, 0)", (CURRENT + 1,)
        )
    store.close()
    with pytest.raises(StoreError, match=f"version {CURRENT + 1}, newer than this release's"):
        old_store()


def test_status_reads_an_old_sqlite_store_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    _old_sqlite(path)
    with SqliteStore(path, readonly=True) as reader:
        assert reader.schema_version == 1
        assert reader.counts()["pending"] == 1
    with SqliteStore(path) as store:
        assert store.schema_version == CURRENT


#: A relay of this release opening the store, started at the same moment as others.
OPENER = """
import sys, time
from pathlib import Path
from aswbridge.store.postgres import PostgresStore

go = Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
PostgresStore(sys.argv[1], schema=sys.argv[2]).close()
"""


def test_several_relays_upgrading_together_migrate_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"old_{uuid.uuid4().hex[:10]}"
    _old_postgres(dsn, schema)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, dsn, schema, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    go.touch()
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], errors
    assert sum("migrated from version 1" in err for err in errors) == 1
    from aswbridge.store.postgres import PostgresStore

    with PostgresStore(dsn, schema=schema) as store:
        assert [e.event for e in store.journal(message_id="-")] == ["migrated"]
        assert store.counts()["pending"] == 1
