"""The Bridge with the real pipeline: trust, signing, refusals, responses carried back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bridge import Clock, FakeSide

from aswbridge.pipeline import SigningKey, read, write
from aswbridge.relay import Bridge, pipeline_translator
from aswbridge.samples.builder import certificate
from aswbridge.security import TrustStore, pki
from aswbridge.store import SqliteStore
from aswbridge.transport.base import Inbound

DS = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def queue(side: FakeSide, body: bytes) -> str:
    _, message = read(body)
    message_id = message.envelope.message_id
    side.waiting[message_id] = Inbound(
        ref=message_id,
        message_id=message_id,
        kind=message.kind,
        sender=message.envelope.sender.country,
        body=body,
    )
    return message_id


def signed_asw(country_pki: pki.Pki, country: str, name: str) -> bytes:
    key, cert, chain = country_pki.load(country)
    message = certificate(exporter_country=country, importing_country="KR", name=name)
    return write(message, profile="asw", signing=SigningKey(key=key, cert=cert, chain=tuple(chain)))


@pytest.fixture
def sides() -> tuple[FakeSide, FakeSide]:
    return FakeSide("nsw"), FakeSide("unipass")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "relay.db", now=Clock()) as s:
        yield s


def bridge_with(sides: tuple[FakeSide, FakeSide], store: SqliteStore, **options: object) -> Bridge:
    return Bridge(
        nsw=sides[0],
        unipass=sides[1],
        store=store,
        translate=pipeline_translator(**options),
        country="TH",
    )  # type: ignore[arg-type]


def test_unsigned_is_refused_without_trust(
    sides: tuple[FakeSide, FakeSide], store: SqliteStore
) -> None:
    nsw, unipass = sides
    queue(nsw, write(certificate(exporter_country="TH", importing_country="KR"), profile="asw"))
    bridge_with(sides, store).run_once()
    assert [code for _, code in nsw.rejected] == ["SIGNATURE_MISSING"]
    assert unipass.received == []


def test_signed_is_refused_without_trust(
    sides: tuple[FakeSide, FakeSide], store: SqliteStore, country_pki: pki.Pki
) -> None:
    nsw, unipass = sides
    queue(nsw, signed_asw(country_pki, "TH", "signed-no-trust"))
    bridge_with(sides, store).run_once()
    assert [code for _, code in nsw.rejected] == ["UNTRUSTED_SIGNER"]
    assert unipass.received == []


def test_allow_unsigned_translates_and_keeps_the_message_id(
    sides: tuple[FakeSide, FakeSide], store: SqliteStore
) -> None:
    nsw, unipass = sides
    message_id = queue(
        nsw, write(certificate(exporter_country="TH", importing_country="KR"), profile="asw")
    )
    bridge_with(sides, store, allow_unsigned=True).run_once()
    assert nsw.acked == [message_id]
    profile, message = read(unipass.received[0].body)
    assert (profile, message.envelope.message_id, message.kind) == (
        "unipass",
        message_id,
        "certificate",
    )
    assert unipass.received[0].receiver == "KR"


def test_trusted_signature_is_verified_and_output_signed(
    sides: tuple[FakeSide, FakeSide], store: SqliteStore, country_pki: pki.Pki
) -> None:
    nsw, unipass = sides
    good = queue(nsw, signed_asw(country_pki, "TH", "trusted"))
    foreign = queue(nsw, signed_asw(country_pki, "VN", "not-trusted"))
    key, cert = country_pki.bridge
    bridge_with(
        sides,
        store,
        trust=TrustStore.from_paths([country_pki.country("TH")]),
        signing=SigningKey.from_files(key=str(key), cert=str(cert)),
    ).run_once()
    assert nsw.acked == [good]
    assert [ref for ref, _ in nsw.rejected] == [foreign]
    body = unipass.received[0].body
    _, message = read(body)
    assert message.envelope.original_signer is not None
    assert body.rstrip().endswith(b"</ds:Signature></EcoMsg>")


def test_every_kind_of_message_is_carried_both_ways(
    sides: tuple[FakeSide, FakeSide], store: SqliteStore
) -> None:
    from aswbridge import samples

    nsw, unipass = sides
    th_cert = certificate(exporter_country="TH", importing_country="KR", name="kinds-th")
    kr_cert = certificate(exporter_country="KR", importing_country="TH", name="kinds-kr")
    from_korea = [
        samples.response_for(th_cert),
        samples.receipt_for(th_cert),
        samples.verification_request_for(th_cert),
        kr_cert,
    ]
    from_thailand = [
        samples.verification_reply_for(samples.verification_request_for(th_cert)),
        samples.receipt_for(kr_cert),
    ]
    for message in from_korea:
        queue(unipass, write(message, profile="unipass"))
    for message in from_thailand:
        queue(nsw, write(message, profile="asw"))
    bridge_with(sides, store, allow_unsigned=True).run_once()
    carried_to_nsw = sorted(read(o.body)[1].kind for o in nsw.received)
    carried_to_unipass = sorted(read(o.body)[1].kind for o in unipass.received)
    assert carried_to_nsw == sorted(m.kind for m in from_korea)
    assert carried_to_unipass == sorted(m.kind for m in from_thailand)
    assert nsw.rejected == [] and unipass.rejected == []


def test_a_dead_letter_is_reported_to_its_producer(
    sides: tuple[FakeSide, FakeSide], store: SqliteStore
) -> None:
    from aswbridge.model import Receipt
    from aswbridge.relay import failure_receipt
    from aswbridge.transport.base import RemoteRejected

    nsw, unipass = sides
    message_id = queue(
        nsw,
        write(
            certificate(exporter_country="TH", importing_country="KR", name="refused-by-kcs"),
            profile="asw",
        ),
    )
    unipass.faults.append(RemoteRejected("refused", remote_code="CO_DUPLICATE", status=400))
    bridge = Bridge(
        nsw=nsw,
        unipass=unipass,
        store=store,
        country="TH",
        translate=pipeline_translator(allow_unsigned=True),
        notify=failure_receipt,
    )
    bridge.run_once()
    bridge.run_once()
    assert [d.message_id for d in store.dead_letters()] == [message_id]
    (told,) = nsw.received
    profile, receipt = read(told.body)
    assert profile == "asw" and isinstance(receipt.document, Receipt)
    assert (receipt.document.status, receipt.document.reason_code) == ("failed", "CO_DUPLICATE")
    assert receipt.document.ref_message_id == message_id
    assert (receipt.envelope.sender.country, receipt.envelope.receiver.country) == ("KR", "TH")
    events = [e.event for e in store.journal(message_id=message_id)]
    assert events[-1] == "dead_lettered"
