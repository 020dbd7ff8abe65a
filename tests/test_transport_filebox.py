"""The filesystem mailbox: atomic delivery, half-written files never read, moves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aswbridge import pipeline, profiles, samples
from aswbridge.errors import ConfigurationError
from aswbridge.model import Message
from aswbridge.transport.base import Outbound, RemoteRejected, Side
from aswbridge.transport.filebox import FileboxSide

CERTIFICATE = samples.certificate("FORM_AK", "KR", "TH", items=2)


def asw(message: Message) -> bytes:
    return profiles.get("asw").encode_bytes(message)


def outbound(message: Message) -> Outbound:
    return Outbound(
        message_id=message.envelope.message_id,
        kind=message.kind,
        sender=message.envelope.sender.country,
        receiver=message.envelope.receiver.country,
        body=asw(message),
    )


@pytest.fixture
def box(tmp_path: Path) -> FileboxSide:
    return FileboxSide(root=tmp_path / "mailbox", durable=False)


def drop(box: FileboxSide, name: str, data: bytes, *, mtime: int | None = None) -> Path:
    """What the NSW does: write to a temporary name, then rename into in/."""
    temp = box.inbox / f".{name}.part"
    temp.write_bytes(data)
    target = box.inbox / name
    os.replace(temp, target)
    if mtime is not None:
        os.utime(target, ns=(mtime, mtime))
    return target


def test_is_a_side(box: FileboxSide) -> None:
    assert isinstance(box, Side)
    assert sorted(p.name for p in box.root.iterdir()) == ["failed", "in", "out", "processed"]


def test_deliver_writes_the_exact_bytes_and_nothing_else(box: FileboxSide) -> None:
    item = outbound(CERTIFICATE)
    delivered = box.deliver(item)
    assert delivered.duplicate is False
    files = [p for p in box.outbox.iterdir() if p.is_file()]
    assert [p.name for p in files] == [delivered.tracking]
    assert files[0].read_bytes() == item.body
    assert box.track(item.message_id) == "delivered"


def test_repeat_is_recognised_after_the_nsw_took_the_file(box: FileboxSide) -> None:
    item = outbound(CERTIFICATE)
    first = box.deliver(item)
    (box.outbox / first.tracking).unlink()  # the NSW consumed it
    second = box.deliver(item)
    assert (second.duplicate, second.tracking) == (True, first.tracking)
    assert not (box.outbox / first.tracking).exists()  # not written a second time


@pytest.mark.parametrize(
    "message_id",
    [
        pytest.param("../../etc/passwd", id="traversal"),
        pytest.param(".hidden", id="dot"),
        pytest.param("a/b", id="slash"),
    ],
)
def test_odd_message_ids_stay_inside_out(box: FileboxSide, message_id: str) -> None:
    item = Outbound(
        message_id=message_id, kind="certificate", sender="KR", receiver="TH", body=b"<x/>"
    )
    delivered = box.deliver(item)
    assert (box.outbox / delivered.tracking).read_bytes() == b"<x/>"
    assert "/" not in delivered.tracking and not delivered.tracking.startswith(".")
    assert box.deliver(item).duplicate is True


def test_half_written_files_are_never_listed(box: FileboxSide) -> None:
    (box.inbox / ".a.xml.part").write_bytes(b"<half")
    (box.inbox / "b.xml.tmp").write_bytes(b"<half")
    (box.inbox / "c.xml.part").write_bytes(b"<half")
    (box.inbox / "sub").mkdir()
    drop(box, "done.xml", asw(CERTIFICATE))
    assert box.pending() == ["done.xml"]


def test_pending_is_oldest_first_and_limited(box: FileboxSide) -> None:
    for n, mtime in ((1, 3_000_000_000), (2, 1_000_000_000), (3, 2_000_000_000)):
        message = samples.certificate("FORM_AK", "TH", "KR", name=f"f{n}")
        drop(box, f"m{n}.xml", asw(message), mtime=mtime)
    assert box.pending() == ["m2.xml", "m3.xml", "m1.xml"]
    assert box.pending(limit=2) == ["m2.xml", "m3.xml"]


def test_fetch_then_acknowledge(box: FileboxSide) -> None:
    message = samples.certificate("FORM_AK", "TH", "KR")
    drop(box, "co.xml", asw(message))
    inbound = box.fetch("co.xml")
    # a folder carries no metadata and the transport decodes nothing: bytes only
    assert (inbound.ref, inbound.message_id, inbound.kind, inbound.sender) == ("co.xml", "", "", "")
    assert pipeline.read(inbound.body)[1] == message
    assert box.pending() == ["co.xml"]  # still there until acknowledged
    box.acknowledge("co.xml")
    box.acknowledge("co.xml")  # harmless twice
    assert box.pending() == []
    assert (box.processed / "co.xml").read_bytes() == asw(message)


def test_reject_moves_to_failed_with_the_reason(box: FileboxSide) -> None:
    drop(box, "co.xml", asw(samples.certificate("FORM_AK", "TH", "KR")))
    box.reject("co.xml", code="SCHEMA_INVALID", reason="missing ExporterDeclaration")
    assert box.pending() == []
    assert (box.failed / "co.xml").exists()
    reason = json.loads((box.failed / "co.xml.reason.json").read_text())
    assert (reason["code"], reason["reason"]) == ("SCHEMA_INVALID", "missing ExporterDeclaration")


def test_a_name_used_again_does_not_overwrite_processed(box: FileboxSide) -> None:
    first = samples.certificate("FORM_AK", "TH", "KR", name="first")
    second = samples.certificate("FORM_AK", "TH", "KR", name="second")
    drop(box, "co.xml", asw(first))
    box.acknowledge("co.xml")
    drop(box, "co.xml", asw(second))
    box.acknowledge("co.xml")
    assert sorted(p.read_bytes() for p in box.processed.iterdir()) == sorted(
        [asw(first), asw(second)]
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', id="doctype"),
        pytest.param(b"<not-closed>", id="malformed"),
        pytest.param(b"<EFormMessage/>", id="invalid"),
    ],
)
def test_unreadable_file_is_handed_over_for_rejection(box: FileboxSide, body: bytes) -> None:
    drop(box, "bad.xml", body)
    inbound = box.fetch("bad.xml")  # never parsed here: the bridge's pipeline refuses it
    assert (inbound.ref, inbound.message_id, inbound.body) == ("bad.xml", "", body)
    box.reject("bad.xml", code="DTD_FORBIDDEN", reason="refused")
    assert box.pending() == []


@pytest.mark.parametrize("ref", ["../out/x.xml", ".hidden", "missing.xml", ".."])
def test_bad_or_missing_refs_are_not_found(box: FileboxSide, ref: str) -> None:
    with pytest.raises(RemoteRejected) as caught:
        box.fetch(ref)
    assert caught.value.remote_code == "NOT_FOUND"
    with pytest.raises(RemoteRejected):
        box.acknowledge(ref)


def test_missing_folders_are_refused_without_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        FileboxSide(root=tmp_path / "nowhere", create=False)


def test_durable_mode_works(tmp_path: Path) -> None:
    box = FileboxSide(root=tmp_path / "mb", durable=True)
    item = outbound(CERTIFICATE)
    assert box.deliver(item).duplicate is False
    assert box.track(item.message_id) == "delivered"
    assert box.track("other") == "unknown"
