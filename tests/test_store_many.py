"""Several relays on one PostgreSQL store, as separate processes.

Started together on a fresh database they create the schema once and all run; racing to
record the same incoming message, one has it and the others change nothing, quietly; a
relay killed while holding leases loses them when they expire, to a relay still running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_store import postgres_dsn  # noqa: F401  (the throwaway PostgreSQL fixture)

from aswbridge.store import Outgoing
from aswbridge.store._schema import CURRENT

#: One relay's store work, started in its own process: wait for the start signal, open
#: the store, record the same inbound messages the other relays record, report.
RACER = """
import json, sys, time
from pathlib import Path
from aswbridge.store import Outgoing
from aswbridge.store.postgres import PostgresStore

dsn, go, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
store = PostgresStore(dsn)
won = 0
for i in range(n):
    out = Outgoing(message_id=f"out-{i}", dest="unipass", kind="certificate", body=b"<c/>")
    won += store.record_inbound(sender="TH", message_id=f"in-{i}", source="nsw",
                                kind="certificate", digest="d", outgoing=(out,))
print(json.dumps({"won": won, "version": store.schema_version}))
store.close()
"""

#: A relay that claims what is due, then hangs until it is killed.
HOLDER = """
import sys, time
from aswbridge.store.postgres import PostgresStore

store = PostgresStore(sys.argv[1], owner="relay-a")
rows = store.claim(limit=100, lease_s=float(sys.argv[2]))
print(len(rows), flush=True)
time.sleep(600)
"""


@pytest.fixture
def fresh_db(postgres_dsn: str) -> Iterator[str]:  # noqa: F811
    """A new, empty database on the throwaway cluster."""
    import psycopg

    name = f"fresh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_dsn.replace("dbname=postgres", f"dbname={name}")
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("relays", [2, 3, 5], ids=["2-relays", "3-relays", "5-relays"])
def test_relays_started_together_on_a_fresh_database(
    fresh_db: str, relays: int, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [_python(RACER, fresh_db, str(go), "150") for _ in range(relays)]
    time.sleep(1.0)  # every process imported and waiting
    go.touch()
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert err == ""  # no traceback, no warning: a race is an expected event
    reports = [json.loads(out) for out, _ in results]
    assert sum(r["won"] for r in reports) == 150  # each message recorded by one relay
    assert {r["version"] for r in reports} == {CURRENT}
    from aswbridge.store.postgres import PostgresStore

    with PostgresStore(fresh_db) as store:
        counts = store.counts()
        assert (counts["received"], counts["pending"]) == (150, 150)
        versions = store._read("SELECT version FROM schema_version ORDER BY version")
        assert [v["version"] for v in versions] == list(range(2, CURRENT + 1))  # once each


def test_a_killed_relays_leases_are_taken_over(fresh_db: str) -> None:
    from aswbridge.store.postgres import PostgresStore

    with PostgresStore(fresh_db, owner="relay-b") as survivor:
        for n in range(5):
            survivor.enqueue(
                Outgoing(message_id=f"m-{n}", dest="nsw", kind="response", body=b"<r/>")
            )
        holder = _python(HOLDER, fresh_db, "2.0")
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "5"
        os.kill(holder.pid, signal.SIGKILL)
        assert holder.wait(timeout=10) == -signal.SIGKILL
        holder.communicate()
        assert survivor.claim(limit=10, lease_s=30) == []  # the dead relay's leases still run
        deadline = time.monotonic() + 10
        taken: list[str] = []
        while not taken and time.monotonic() < deadline:
            time.sleep(0.2)
            taken = [row.message_id for row in survivor.claim(limit=10, lease_s=30)]
        assert sorted(taken) == [f"m-{n}" for n in range(5)]
        story = survivor.journal(message_id="m-3")
        assert [(e.event, e.detail) for e in story[1:]] == [
            ("claimed", "by relay-a"),
            ("lease_expired_reclaimed", "from relay-a by relay-b"),
        ]
        survivor.ack_many([(m, f"t-{m}") for m in taken])
        row = survivor.get("m-3")
        assert row is not None and (row.state, row.attempts) == ("done", 2)
