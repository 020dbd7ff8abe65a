"""A hostile partner hurts only itself: its listing costs its side one pass, its message
stays waiting, odd entries of a folder mailbox are quarantined, a redirect is not a
refusal, and the code it writes in an answer never becomes ours."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aswbridge.relay import Bridge
from aswbridge.store import SqliteStore
from aswbridge.transport.base import (
    Inbound,
    OutcomeUnknown,
    RemoteRejected,
    RetryableTransportError,
)
from aswbridge.transport.filebox import FileboxSide
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.retry import RetryPolicy, is_retryable
from aswbridge.transport.unipass import UnipassSide
from tests.test_bridge import Clock, FakeSide, fake_translate
from tests.test_transport_http import FAST, ITEM, Script, Scripted, answer, fault

NESTED = b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


def bridge_of(tmp_path: Path, nsw: object, unipass: FakeSide, **kw: object) -> Bridge:
    clock = Clock()
    return Bridge(
        nsw=nsw,  # type: ignore[arg-type]
        unipass=unipass,
        store=SqliteStore(tmp_path / "relay.db", now=clock),
        translate=fake_translate,
        policy=RetryPolicy(max_attempts=4, initial=1, jitter=0),
        now=clock,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], Scripted]]:
    servers: list[Scripted] = []

    def start(script: Script) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# --- one side's listing, one message --------------------------------------------------


def test_a_deeply_nested_listing_costs_that_side_one_pass(
    tmp_path: Path, scripted: Callable[[Script], Scripted]
) -> None:
    server = scripted(answer(200, NESTED, "application/json"))
    unipass = FakeSide("unipass")
    unipass.queue("r-1", kind="response", sender="KR")
    bridge = bridge_of(tmp_path, NswHttpSide(url=server.url, policy=FAST), unipass)
    report = bridge.run_once()
    assert report.errors >= 1 and report.pulled == 1
    assert unipass.acked == ["ref-r-1"]
    bridge.store.close()


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RecursionError("maximum recursion depth exceeded"), id="recursion"),
        pytest.param(MemoryError(), id="memory"),
        pytest.param(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), id="unicode"),
        pytest.param(KeyError("ref"), id="bug"),
    ],
)
def test_whatever_a_listing_raises_the_other_side_is_served(
    tmp_path: Path, error: Exception
) -> None:
    nsw, unipass = FakeSide("nsw"), FakeSide("unipass")
    nsw.queue("c-1")
    unipass.queue("r-1", kind="response", sender="KR")

    def pending(*, limit: int = 100) -> list[str]:
        raise error

    nsw.pending = pending  # type: ignore[method-assign]
    bridge = bridge_of(tmp_path, nsw, unipass)
    report = bridge.run_once()
    assert report.errors == 1 and report.pulled == 1
    assert unipass.acked == ["ref-r-1"] and "ref-c-1" in nsw.waiting
    bridge.store.close()


def test_a_message_that_raises_stays_waiting_and_the_others_go(tmp_path: Path) -> None:
    nsw, unipass = FakeSide("nsw"), FakeSide("unipass")
    for n in range(3):
        nsw.queue(f"c-{n}")
    original = nsw.fetch

    def fetch(ref: str) -> Inbound:
        if ref == "ref-c-1":
            raise RecursionError("maximum recursion depth exceeded")
        return original(ref)

    nsw.fetch = fetch  # type: ignore[method-assign]
    bridge = bridge_of(tmp_path, nsw, unipass)
    report = bridge.run_once()
    assert (report.pulled, report.errors) == (2, 1)
    assert sorted(nsw.acked) == ["ref-c-0", "ref-c-2"] and "ref-c-1" in nsw.waiting
    bridge.store.close()


def test_a_store_failure_on_one_side_does_not_skip_the_other(tmp_path: Path) -> None:
    nsw, unipass = FakeSide("nsw"), FakeSide("unipass")
    nsw.queue("c-1")
    unipass.queue("r-1", kind="response", sender="KR")
    bridge = bridge_of(tmp_path, nsw, unipass)
    original = bridge.store.mark_acknowledged_many
    calls: list[int] = []

    def mark(keys: list[tuple[str, str]]) -> None:
        calls.append(len(keys))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        original(keys)

    bridge.store.mark_acknowledged_many = mark  # type: ignore[method-assign]
    report = bridge.run_once()
    assert report.errors == 1 and calls == [1, 1] and unipass.acked == ["ref-r-1"]
    bridge.store.close()


# --- a folder mailbox -----------------------------------------------------------------


def body(message_id: str) -> bytes:
    return f"certificate|{message_id}|TH".encode()


def hostile_entries(inbox: Path) -> dict[str, str]:
    """Put one of each hostile entry into ``inbox``; name (escaped) -> what it is."""
    os.close(os.open(os.fsencode(inbox) + b"/bad-\xff\xfe.xml", os.O_CREAT | os.O_WRONLY))
    (inbox / "x\nINFO forged line.xml").write_bytes(body("forged"))
    (inbox / "back\\slash.xml").write_bytes(body("slash"))
    (inbox / "link.xml").symlink_to("/etc/passwd")
    os.mkfifo(inbox / "fifo.xml")
    (inbox / "folder.xml").mkdir()
    return {
        "bad-\\udcff\\udcfe.xml": "not UTF-8",
        "x\\x0aINFO forged line.xml": "control character",
        "back\\slash.xml": "backslash",
        "link.xml": "symbolic link",
        "fifo.xml": "FIFO",
        "folder.xml": "folder",
    }


def test_hostile_entries_are_quarantined_with_an_escaped_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    box = FileboxSide(root=tmp_path / "box", durable=False)
    expected = hostile_entries(box.inbox)
    (box.inbox / "good.xml").write_bytes(body("c-1"))
    with caplog.at_level(logging.WARNING, logger="aswbridge.transport.filebox"):
        assert box.pending() == ["good.xml"]
    assert os.listdir(box.inbox) == ["good.xml"]
    records = [
        json.loads(p.read_text()) for p in box.quarantine.iterdir() if p.name.endswith(".json")
    ]
    assert {r["name"]: r["reason"] for r in records}.keys() == expected.keys()
    for record in records:
        assert expected[record["name"]] in record["reason"]
        assert bytes.fromhex(record["name_hex"])  # the exact original name, recoverable
    lines = [r.getMessage() for r in caplog.records if "quarantined" in r.getMessage()]
    assert len(lines) == len(expected) and not any("\n" in line for line in lines)
    assert (box.quarantine / "link.xml").is_symlink()  # the link moved, not its target
    assert Path("/etc/passwd").exists()


def test_an_entry_that_cannot_be_quarantined_is_skipped_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    box = FileboxSide(root=tmp_path / "box", durable=False)
    box.quarantine.write_bytes(b"")  # a file where the folder should be: no move possible
    os.mkfifo(box.inbox / "fifo.xml")
    (box.inbox / "good.xml").write_bytes(body("c-1"))
    with caplog.at_level(logging.WARNING, logger="aswbridge.transport.filebox"):
        assert box.pending() == ["good.xml"]
    assert (box.inbox / "fifo.xml").is_fifo() and "cannot be quarantined" in caplog.text


def test_fifty_undecodable_names_do_not_block_a_valid_file(tmp_path: Path) -> None:
    box = FileboxSide(root=tmp_path / "box", durable=False)
    for n in range(50):
        (box.inbox.parent / "in" / os.fsdecode(b"c-%d-\xff.xml" % n)).write_bytes(body(f"x{n}"))
    (box.inbox / "zz-good.xml").write_bytes(body("c-1"))
    os.utime(box.inbox / "zz-good.xml", (2_000_000_000, 2_000_000_000))  # the newest
    unipass = FakeSide("unipass")
    bridge = bridge_of(tmp_path, box, unipass, batch=50)
    report = bridge.run_once()
    assert report.pulled == 1 and report.errors == 0
    assert [i.message_id for i in unipass.received] == ["c-1"]
    assert os.listdir(box.inbox) == [] and len(os.listdir(box.quarantine)) == 100
    bridge.store.close()


def test_a_link_swapped_in_after_the_listing_is_not_read(tmp_path: Path) -> None:
    box = FileboxSide(root=tmp_path / "box", durable=False)
    (box.inbox / "c.xml").write_bytes(body("c-1"))
    assert box.pending() == ["c.xml"]
    (box.inbox / "c.xml").unlink()
    (box.inbox / "c.xml").symlink_to("/etc/passwd")
    with pytest.raises(RemoteRejected, match="not a regular file") as caught:
        box.fetch("c.xml")
    assert caught.value.remote_code == "NOT_A_FILE"
    assert box.pending() == [] and (box.quarantine / "c.xml").is_symlink()


def test_a_fifo_swapped_in_after_the_listing_does_not_block(tmp_path: Path) -> None:
    box = FileboxSide(root=tmp_path / "box", durable=False)
    (box.inbox / "c.xml").write_bytes(body("c-1"))
    assert box.pending() == ["c.xml"]
    (box.inbox / "c.xml").unlink()
    os.mkfifo(box.inbox / "c.xml")
    with pytest.raises(Exception, match="not a regular file"):
        box.fetch("c.xml")


# --- redirects ------------------------------------------------------------------------


def redirect(status: int) -> Script:
    def script(conn: socket.socket) -> None:
        conn.sendall(
            f"HTTP/1.1 {status} Moved\r\nLocation: https://elsewhere.example/box\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )

    return script


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_kept_and_retried_not_followed(
    scripted: Callable[[Script], Scripted], status: int
) -> None:
    server = scripted(redirect(status))
    side = NswHttpSide(url=server.url, policy=FAST)
    with pytest.raises(RetryableTransportError) as caught:
        side.deliver(ITEM)
    assert is_retryable(caught.value) and caught.value.status == status
    assert caught.value.code == f"HTTP_{status}"
    assert "https://elsewhere.example/box not followed" in caught.value.message
    assert len(server.requests) == 1  # nothing was sent to the new place


def test_a_redirected_delivery_stays_queued(
    tmp_path: Path, scripted: Callable[[Script], Scripted]
) -> None:
    server = scripted(redirect(302))
    unipass = FakeSide("unipass")
    unipass.queue("r-1", kind="response", sender="KR")
    bridge = bridge_of(tmp_path, NswHttpSide(url=server.url, policy=FAST), unipass)
    bridge.run_once()
    assert bridge.store.dead_letters() == []
    row = bridge.store.get("r-1")
    assert row is not None and row.state == "pending" and row.last_code == "HTTP_302"
    bridge.store.close()


# --- a partner's code is never ours ---------------------------------------------------

EVIL = "EVIL\nINJECTED"
ESCAPED = "EVIL\\x0aINJECTED"


def coded(status: int, code: str = EVIL) -> Script:
    """A mailbox answering ``status`` with its own code and text in the JSON body."""
    body = json.dumps({"code": code, "message": "busy\nERROR forged"}).encode()

    def script(conn: socket.socket) -> None:
        conn.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            "Location: https://elsewhere.example/box\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )

    return script


@pytest.mark.parametrize("status", [503, 500, 302, 401, 403, 408, 425, 429])
def test_a_mailbox_code_never_becomes_our_code(
    scripted: Callable[[Script], Scripted], status: int
) -> None:
    server = scripted(coded(status))
    with pytest.raises(RetryableTransportError) as caught:
        NswHttpSide(url=server.url, policy=FAST).deliver(ITEM)
    error = caught.value
    assert (error.code, error.status) == (f"HTTP_{status}", status)
    assert error.remote_code == ESCAPED
    assert "\n" not in error.message


@pytest.mark.parametrize("status", [600, 999])
def test_a_status_http_does_not_define_is_a_bad_answer(
    scripted: Callable[[Script], Scripted], status: int
) -> None:
    """Three digits past 599: the outcome is unknown (the message may have arrived)."""
    server = scripted(coded(status))
    with pytest.raises(OutcomeUnknown) as caught:
        NswHttpSide(url=server.url, policy=FAST).deliver(ITEM)
    assert caught.value.code == "BAD_ANSWER" and f"HTTP {status}" in caught.value.message


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(503, RetryableTransportError, id="503"),
        pytest.param(400, RemoteRejected, id="400"),
    ],
)
def test_a_10_kb_mailbox_code_is_clipped(
    scripted: Callable[[Script], Scripted], status: int, error: type[Exception]
) -> None:
    server = scripted(coded(status, "E" * 10_000))
    with pytest.raises(error) as caught:
        NswHttpSide(url=server.url, policy=FAST).deliver(ITEM)
    remote_code = caught.value.remote_code  # type: ignore[attr-defined]
    assert remote_code.startswith("E" * 100) and remote_code.endswith("9900 more characters cut]")
    assert len(caught.value.message) < 500  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("side", "transient", "error", "code"),
    [
        pytest.param("Server", True, RetryableTransportError, "SOAP_SERVER_FAULT", id="server"),
        pytest.param("Client", False, RemoteRejected, "REMOTE_REJECTED", id="client"),
    ],
)
def test_a_soap_fault_code_never_becomes_our_code(
    scripted: Callable[[Script], Scripted],
    side: str,
    transient: bool,
    error: type[Exception],
    code: str,
) -> None:
    server = scripted(answer(500, fault(side, "EVIL&#10;INJECTED", transient)))
    unipass = UnipassSide(url=server.url, policy=FAST)
    with pytest.raises(error) as caught:
        unipass.deliver(ITEM)
    unipass.close()
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert caught.value.remote_code == ESCAPED  # type: ignore[attr-defined]
    assert "\n" not in caught.value.message  # type: ignore[attr-defined]


def test_a_mailbox_code_never_reaches_the_journal_as_a_code(
    tmp_path: Path,
    scripted: Callable[[Script], Scripted],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aswbridge.cli import main

    server = scripted(coded(503))
    unipass = FakeSide("unipass")
    unipass.queue("r-1", kind="response", sender="KR")
    bridge = bridge_of(tmp_path, NswHttpSide(url=server.url, policy=FAST), unipass)
    bridge.run_once()
    row = bridge.store.get("r-1")
    details = [e.detail for e in bridge.store.journal(message_id="r-1") if e.detail]
    bridge.store.close()
    assert row is not None and row.state == "pending" and row.last_code == "HTTP_503"
    assert ESCAPED in (row.last_error or "") and "\n" not in (row.last_error or "")
    retried = [d for d in details if "next attempt" in d]
    assert retried and all(d.startswith("HTTP_503: ") and "\n" not in d for d in retried)
    assert main(["status", "--store", str(tmp_path / "relay.db"), "--journal"]) == 0
    out = capsys.readouterr().out
    assert "HTTP_503" in out and EVIL not in out
    assert not any(line.lstrip().startswith(("EVIL", "INJECTED")) for line in out.splitlines())


def test_the_command_line_log_keeps_one_record_on_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aswbridge.logs import configure

    configure()
    logging.getLogger("aswbridge.relay").warning("ref %s", "a\nERROR forged\x1b[2J")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a\\x0aERROR forged\\x1b[2J" in err
