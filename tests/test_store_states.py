"""The outbox state machine is one table: the SQL moves rows only as it says; docs show it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aswbridge.store import TRANSITIONS, Outgoing, SqliteStore, UnknownMessage
from aswbridge.store.states import markdown

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "relay.db") as s:
        yield s


def queued(store: SqliteStore, n: int) -> str:
    store.enqueue(Outgoing(message_id=f"m-{n}", dest="unipass", kind="certificate", body=b"<x/>"))
    return f"m-{n}"


def moves(store: SqliteStore, message_id: str) -> list[tuple[str, str]]:
    return [(e.event, e.state) for e in store.journal(message_id=message_id)]


def test_the_docs_show_the_table() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- transitions[^>]*-->\n(.*?)<!-- /transitions -->", text, re.S)
    assert shown is not None and shown[1] == markdown()


def test_no_store_sets_a_state_outside_the_table() -> None:
    for path in (ROOT / "aswbridge" / "store").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"SET\s+state\s*=\s*'", text), path.name


def test_every_journaled_move_is_the_tables(store: SqliteStore) -> None:
    a, b, c = queued(store, 1), queued(store, 2), queued(store, 3)
    store.claim(limit=3, lease_s=60)
    store.ack(a, tracking="T-1")
    store.fail(b, code="HTTP_503", error="busy", next_attempt_at=datetime.now(UTC))
    store.claim(limit=1, lease_s=60, dest="unipass")
    store.fail(b, code="HTTP_400", error="refused", next_attempt_at=None)
    store.retry_dead(b)
    store.release(c)
    seen = {event: state for m in (a, b, c) for event, state in moves(store, m)}
    for event, state in seen.items():
        assert TRANSITIONS[event].target == state, event
    assert set(seen) == {
        "enqueued",
        "claimed",
        "delivered",
        "retry_scheduled",
        "dead_lettered",
        "dead_letter_retried",
        "released",
    }


@pytest.mark.parametrize(
    ("event", "act"),
    [
        pytest.param("dead_letter_retried", lambda s, m: s.retry_dead(m), id="retry-a-live-row"),
        pytest.param("released", lambda s, m: s.release(m), id="release-unclaimed"),
    ],
)
def test_a_move_from_a_state_the_table_does_not_allow_is_refused(
    store: SqliteStore, event: str, act: object
) -> None:
    message_id = queued(store, 1)  # pending: neither dead nor in flight
    assert "pending" not in TRANSITIONS[event].sources
    with pytest.raises(UnknownMessage, match=event):
        act(store, message_id)  # type: ignore[operator]
    assert store.get(message_id).state == "pending"  # type: ignore[union-attr]


def test_delivered_rows_cannot_move_again(store: SqliteStore) -> None:
    message_id = queued(store, 1)
    store.claim(limit=1, lease_s=60)
    store.ack(message_id)
    assert not any("done" in t.sources for t in TRANSITIONS.values())
    with pytest.raises(UnknownMessage):
        store.fail(message_id, code="X", error="late", next_attempt_at=None)
    with pytest.raises(UnknownMessage):
        store.ack(message_id)


def test_a_lease_taken_over_is_journaled_as_such(tmp_path: Path) -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    with SqliteStore(tmp_path / "relay.db", now=lambda: now[0]) as store:
        message_id = queued(store, 1)
        store.claim(limit=1, lease_s=30)
        now[0] += timedelta(seconds=31)
        store.claim(limit=1, lease_s=30)
        assert moves(store, message_id)[-1] == ("lease_expired_reclaimed", "in_flight")


def test_the_protocol_is_split_by_who_uses_it(store: SqliteStore) -> None:
    from aswbridge.store import AdminStore, RelayStore, Store

    relay = {n for n in vars(RelayStore) if not n.startswith("_")}
    admin = {n for n in vars(AdminStore) if not n.startswith("_")}
    assert relay & admin == {"close"}
    assert {"claim", "fail", "record_inbound"} <= relay
    assert {"dead_letters", "purge", "journal"} <= admin
    assert isinstance(store, RelayStore) and isinstance(store, AdminStore)
    assert isinstance(store, Store)
    # the relay's own code calls nothing outside what RelayStore offers
    used = set()
    for path in (ROOT / "aswbridge" / "relay").glob("*.py"):
        used |= set(re.findall(r"\bstore\.(\w+)\(", path.read_text(encoding="utf-8")))
    assert used <= relay, used - relay
