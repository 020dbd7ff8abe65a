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
