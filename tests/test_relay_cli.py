"""``aswbridge status`` and ``aswbridge dead-letter`` on a prepared store; ``run`` refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aswbridge import cli
from aswbridge.store import Outgoing, SqliteStore


@pytest.fixture(autouse=True)
def _only_relay_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("relay",))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "relay.db"
    with SqliteStore(path) as store:
        for n in range(4):
            store.enqueue(
                Outgoing(
                    message_id=f"m-{n}",
                    dest="unipass",
                    kind="certificate",
                    body=b"<x/>" + bytes([n]),
                )
            )
        store.claim(limit=3, lease_s=600)
        store.ack("m-0", tracking="T-0")
        store.fail("m-1", code="E_REFUSED", error="duplicate CO number", next_attempt_at=None)
        store.record_inbound(
            sender="TH",
            message_id="in-9",
            source="nsw",
            kind="certificate",
            digest="d",
            outcome="rejected",
            code="SCHEMA_INVALID",
            reason="box 7 missing",
        )
    return path


def test_status_json_counts_by_state(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", "--store", str(db), "--format", "json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert {k: counts[k] for k in ("pending", "in_flight", "done", "dead")} == {
        "pending": 1,
        "in_flight": 1,
        "done": 1,
        "dead": 1,
    }


def test_status_journal_of_one_message(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", "--store", str(db), "--journal", "--message", "m-0"]) == 0
    out = capsys.readouterr().out
    assert "m-0 enqueued -> pending" in out and "m-0 delivered -> done (tracking T-0)" in out


def test_status_reads_the_store_named_in_the_config(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(
        '[bridge]\ncountry = "TH"\nstore = "relay.db"\n[nsw]\nurl = "http://127.0.0.1:1"\n'
        '[unipass]\nurl = "http://127.0.0.1:2"\n'
    )
    assert cli.main(["status", "--config", str(config), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["done"] == 1


def test_status_of_a_missing_store_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", "--store", str(tmp_path / "none.db")]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_dead_letter_list_and_retry(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dead-letter", "list", "--store", str(db), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["stage"], d["message_id"], d["code"]) for d in listed] == [
        ("delivery", "m-1", "E_REFUSED"),
        ("receipt", "in-9", "SCHEMA_INVALID"),
    ]
    assert cli.main(["dead-letter", "retry", "--store", str(db), "m-1"]) == 0
    assert "m-1  queued again" in capsys.readouterr().out
    with SqliteStore(db) as store:
        row = store.get("m-1")
        assert row is not None and (row.state, row.attempts) == ("pending", 0)


def test_a_message_refused_on_receipt_cannot_be_retried_here(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dead-letter", "retry", "--store", str(db), "in-9"]) == 2
    assert "refused on receipt (SCHEMA_INVALID)" in capsys.readouterr().err


def test_dead_letter_retry_of_an_unknown_id_fails(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dead-letter", "retry", "--store", str(db), "m-0"]) == 1
    assert "UNKNOWN_MESSAGE" in capsys.readouterr().err


def test_run_without_config_names_the_missing_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--side", "TH", "--store", str(tmp_path / "r.db")]) == 2
    err = capsys.readouterr().err
    assert "--unipass-url" in err and "--nsw-url" in err


def test_run_with_a_bad_config_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text('[bridge]\ncountry = "TH"\nstore = "r.db"\nbatch = "many"\n')
    assert cli.main(["run", "--config", str(config)]) == 2
    assert "bridge.batch: expected an integer" in capsys.readouterr().err


def test_run_once_with_quick_start_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_relay_integration import asw_certificates

    from aswbridge.testing.mocks import MockNsw, MockUnipass

    with MockNsw(country="TH") as nsw, MockUnipass() as unipass:
        for body in asw_certificates(2, prefix="cli"):
            nsw.outbound(body)
        argv = [
            "run",
            "--side",
            "TH",
            "--nsw-url",
            nsw.url,
            "--unipass-url",
            unipass.url,
            "--store",
            str(tmp_path / "relay.db"),
            "--allow-unsigned",
            "--once",
        ]
        assert cli.main(argv) == 0
        assert unipass.stats()["by_kind"] == {"certificate": 2}
    assert "allow_unsigned is set: messages are NOT verified" in capsys.readouterr().err


def test_run_without_trust_refuses_unsigned(tmp_path: Path) -> None:
    from test_relay_integration import asw_certificates

    from aswbridge.testing.mocks import MockNsw, MockUnipass

    with MockNsw(country="TH") as nsw, MockUnipass() as unipass:
        nsw.outbound(asw_certificates(1, prefix="cli-unsigned")[0])
        argv = [
            "run",
            "--side",
            "TH",
            "--nsw-url",
            nsw.url,
            "--unipass-url",
            unipass.url,
            "--store",
            str(tmp_path / "relay.db"),
            "--once",
        ]
        assert cli.main(argv) == 0
        assert nsw.stats()["rejected"] == 1 and unipass.stats()["received"] == 0
        (item,) = nsw.mailbox.queued.values()
        assert item.code == "SIGNATURE_MISSING"


def test_run_refuses_config_and_quick_flags_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text('[bridge]\ncountry = "TH"\nstore = "r.db"\n')
    assert cli.main(["run", "--config", str(config), "--store", "other.db"]) == 2
    assert "--store: not with --config" in capsys.readouterr().err


def test_purge_refuses_less_than_the_retry_horizon(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["purge", "--store", str(db), "--older-than-days", "0.5"]) == 2
    assert "shorter than the retry horizon" in capsys.readouterr().err
    assert cli.main(["purge", "--store", str(db), "--older-than-days", "30"]) == 0
    assert capsys.readouterr().out.strip() == "0 done, 0 received, 0 journal purged"
