"""Opening a SQLite store: its folder is made; a bad path is a typed error."""

from __future__ import annotations

from pathlib import Path

import pytest

from aswbridge.store import StoreError, open_store


def test_a_store_in_a_new_folder_is_created_and_a_bad_path_is_a_store_error(
    tmp_path: Path,
) -> None:
    store = open_store(str(tmp_path / "new" / "folder" / "relay.db"))
    assert store.counts()["pending"] == 0
    store.close()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError):
        open_store(str(blocker / "relay.db"))


def test_a_clock_going_back_does_not_hold_messages(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from aswbridge.store import Outgoing, SqliteStore

    now = [datetime(2026, 11, 29, 12, 0, tzinfo=UTC)]
    with SqliteStore(tmp_path / "relay.db", now=lambda: now[0]) as store:
        for n in (1, 2):
            store.enqueue(
                Outgoing(
                    message_id=f"m-{n}",
                    dest="unipass",
                    kind="certificate",
                    body=b"<x/>",
                    sender="TH",
                    receiver="KR",
                )
            )
        assert [r.message_id for r in store.claim(limit=1, lease_s=30)] == ["m-1"]
        store.fail(
            "m-2", code="HTTP_503", error="busy", next_attempt_at=now[0] + timedelta(seconds=60)
        )
        now[0] -= timedelta(hours=2)  # the system clock is set back two hours
        # the lease now ends 2 h 30 s ahead, longer than any lease: it has expired
        assert [r.message_id for r in store.claim(limit=5, lease_s=30)] == ["m-1"]
        # the retry is due 2 h 1 min ahead, longer than the policy ever waits: due now
        claimed = store.claim(limit=5, lease_s=30, max_wait=300)
        assert [r.message_id for r in claimed] == ["m-2"]
