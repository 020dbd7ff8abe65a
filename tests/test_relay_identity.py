"""Identity after verification: a forged or reused message id cannot suppress or replace a
genuine certificate (the attacks replayed against a real folder mailbox, a real HTTP
mailbox, the real pipeline with a throwaway PKI and a real SQLite store)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from test_bridge import FakeSide

from aswbridge import cli
from aswbridge.model import Message, Receipt
from aswbridge.pipeline import SigningKey, read, write
from aswbridge.relay import Bridge, failure_receipt, pipeline_translator
from aswbridge.samples.builder import certificate
from aswbridge.security import TrustStore, pki
from aswbridge.store import SqliteStore
from aswbridge.testing.mocks import MockNsw
from aswbridge.testing.mocks.mailbox import Queued
from aswbridge.transport.filebox import FileboxSide
from aswbridge.transport.nsw import NswHttpSide


def authority(country_pki: pki.Pki, country: str = "TH") -> SigningKey:
    key, cert, chain = country_pki.load(country)
    return SigningKey(key=key, cert=cert, chain=tuple(chain))


def message(name: str, *, message_id: str | None = None, **overrides: object) -> Message:
    built = certificate(exporter_country="TH", importing_country="KR", name=name, **overrides)
    if message_id is None:
        return built
    return attrs.evolve(built, envelope=attrs.evolve(built.envelope, message_id=message_id))


def signed(country_pki: pki.Pki, msg: Message, country: str = "TH") -> bytes:
    return write(msg, profile="asw", signing=authority(country_pki, country))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "relay.db") as s:
        yield s


def bridge_on(
    nsw: FileboxSide | NswHttpSide, unipass: FakeSide, store: SqliteStore, country_pki: pki.Pki
) -> Bridge:
    key, cert = country_pki.bridge
    signing = SigningKey.from_files(key=str(key), cert=str(cert))
    return Bridge(
        nsw=nsw,
        unipass=unipass,
        store=store,
        translate=pipeline_translator(
            trust=TrustStore.from_paths([country_pki.country("TH")]), signing=signing
        ),
        notify=functools.partial(failure_receipt, signing=signing),
        country="TH",
    )


@pytest.fixture
def box(tmp_path: Path) -> FileboxSide:
    return FileboxSide(root=tmp_path / "box", durable=False)


def drop(box: FileboxSide, name: str, body: bytes) -> None:
    (box.inbox / name).write_bytes(body)


def failed_code(box: FileboxSide, name: str) -> str:
    return str(json.loads((box.failed / f"{name}.reason.json").read_text())["code"])


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda p, m: write(m, profile="asw"), id="unsigned"),
        pytest.param(lambda p, m: signed(p, m, "VN"), id="signed-by-an-untrusted-country"),
        pytest.param(lambda p, m: signed(p, m)[:-300] + b"</EcoMsg>", id="broken"),
    ],
)
def test_a_forgery_sent_first_does_not_take_the_genuine_id(
    forge: object, box: FileboxSide, store: SqliteStore, country_pki: pki.Pki
) -> None:
    genuine = message("genuine")
    forged = message("forged", message_id=genuine.envelope.message_id)
    assert forged != genuine
    unipass = FakeSide("unipass")
    bridge = bridge_on(box, unipass, store, country_pki)
    drop(box, "1-forged.xml", forge(country_pki, forged))  # type: ignore[operator]
    assert bridge.run_once().rejected == 1
    drop(box, "2-genuine.xml", signed(country_pki, genuine))
    report = bridge.run_once()
    assert (report.pulled, report.delivered, report.rejected) == (1, 1, 0)
    (delivered,) = unipass.received
    assert read(delivered.body)[1].document == genuine.document
    assert (box.processed / "2-genuine.xml").exists() and (box.failed / "1-forged.xml").exists()
    assert failed_code(box, "1-forged.xml") != "ID_REUSED"
    # the refusal is on record, under its content, not under the id it claimed
    (refused,) = store.rejected()
    assert refused.sender != "TH" and refused.code == failed_code(box, "1-forged.xml")
    assert store.get_inbound(sender="TH", message_id=genuine.envelope.message_id) is not None


def test_a_reused_id_with_other_content_is_refused_journaled_listed_and_told(
    box: FileboxSide,
    store: SqliteStore,
    country_pki: pki.Pki,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = message("first")
    message_id = first.envelope.message_id
    other = message("second", message_id=message_id)
    unipass = FakeSide("unipass")
    bridge = bridge_on(box, unipass, store, country_pki)
    drop(box, "1-first.xml", signed(country_pki, first))
    bridge.run_once()
    drop(box, "2-other.xml", signed(country_pki, other))  # validly signed, same id
    report = bridge.run_once()
    assert (report.rejected, report.duplicates) == (1, 0)
    # never acknowledged as a duplicate: refused at its source, with its own code
    assert not (box.processed / "2-other.xml").exists()
    assert failed_code(box, "2-other.xml") == "ID_REUSED"
    assert [read(o.body)[1].document for o in unipass.received] == [first.document]
    # journaled under the message id
    details = [e.detail for e in store.journal(message_id=message_id)]
    assert any("ID_REUSED" in d for d in details), details
    # listed by `aswbridge dead-letter list`
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("relay",))
    assert cli.main(["dead-letter", "list", "--store", str(store.path), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["message_id"], e["code"]) for e in listed] == [(message_id, "ID_REUSED")]
    # the producer is told with a failed receipt, delivered to its mailbox
    (told,) = [read(p.read_bytes())[1] for p in box.outbox.glob("*.xml")]
    assert isinstance(told.document, Receipt)
    assert (told.document.status, told.document.reason_code) == ("failed", "ID_REUSED")
    assert told.document.ref_message_id == message_id
    assert told.envelope.receiver.country == "TH"


@pytest.mark.parametrize("same_bytes", [True, False], ids=["same-bytes", "signed-again"])
def test_an_identical_resend_is_a_duplicate(
    same_bytes: bool, box: FileboxSide, store: SqliteStore, country_pki: pki.Pki
) -> None:
    msg = message("resent")
    body = signed(country_pki, msg)
    again = body if same_bytes else signed(country_pki, msg)
    assert (again == body) is same_bytes  # ECDSA: a new signature is new bytes
    unipass = FakeSide("unipass")
    bridge = bridge_on(box, unipass, store, country_pki)
    drop(box, "1.xml", body)
    bridge.run_once()
    drop(box, "2.xml", again)
    report = bridge.run_once()
    assert (report.duplicates, report.rejected, report.delivered) == (1, 0, 0)
    assert (box.processed / "2.xml").exists() and len(unipass.received) == 1
    assert store.rejected() == []


def put(mock: MockNsw, *, message_id: str, body: bytes) -> str:
    """Queue ``body`` at the mock under a header id of our choice (the attacker's)."""
    with mock.mailbox.lock:
        ref = mock.mailbox.next_number()
        mock.mailbox.queued[ref] = Queued(
            ref=ref,
            message_id=message_id,
            kind="certificate",
            sender="TH",
            receiver="KR",
            body=body,
        )
    return ref


def test_an_x_message_id_header_is_checked_against_the_body(
    store: SqliteStore, country_pki: pki.Pki
) -> None:
    victim = message("victim")
    decoy = message("decoy")
    unipass = FakeSide("unipass")
    with MockNsw(country="TH", respond=False) as mock:
        bridge = bridge_on(NswHttpSide(url=mock.url), unipass, store, country_pki)
        # a genuine signed message under the victim's id in the header
        forged_ref = put(
            mock, message_id=victim.envelope.message_id, body=signed(country_pki, decoy)
        )
        assert bridge.run_once().rejected == 1
        forged = mock.mailbox.queued[forged_ref]
        assert (forged.state, forged.code) == ("rejected", "MESSAGE_ID_MISMATCH")
        assert unipass.received == []
        # neither id was claimed: both genuine messages go through
        put(mock, message_id=victim.envelope.message_id, body=signed(country_pki, victim))
        put(mock, message_id=decoy.envelope.message_id, body=signed(country_pki, decoy))
        report = bridge.run_once()
        assert (report.pulled, report.delivered) == (2, 2)
    assert sorted(o.message_id for o in unipass.received) == sorted(
        [victim.envelope.message_id, decoy.envelope.message_id]
    )


def test_warnings_reach_the_journal(
    box: FileboxSide, store: SqliteStore, country_pki: pki.Pki
) -> None:
    base = message("warned")
    cert = base.document
    odd = attrs.evolve(cert, consignee=attrs.evolve(cert.consignee, country="VN"))  # type: ignore[misc]
    msg = attrs.evolve(base, document=odd)
    bridge = bridge_on(box, FakeSide("unipass"), store, country_pki)
    drop(box, "w.xml", signed(country_pki, msg))
    assert bridge.run_once().delivered == 1
    details = " ".join(e.detail for e in store.journal(message_id=msg.envelope.message_id))
    assert "CONSIGNEE_COUNTRY" in details
