"""The NSW HTTP mailbox side against the NSW mock, over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import attrs
import pytest

from aswbridge import pipeline, profiles, samples
from aswbridge.model import Message
from aswbridge.testing.mocks import Faults, MockNsw
from aswbridge.transport._http import HttpPolicy
from aswbridge.transport.base import (
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    RetryableTransportError,
    Side,
)
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.retry import RetryPolicy

CERTIFICATE = samples.certificate("FORM_AK", "KR", "TH", items=2)


def outbound(message: Message) -> Outbound:
    return Outbound(
        message_id=message.envelope.message_id,
        kind=message.kind,
        sender=message.envelope.sender.country,
        receiver=message.envelope.receiver.country,
        body=profiles.get("asw").encode_bytes(message),
    )


@pytest.fixture
def mock() -> Iterator[MockNsw]:
    with MockNsw(country="TH") as server:
        yield server


@pytest.fixture
def side(mock: MockNsw) -> Iterator[NswHttpSide]:
    client = NswHttpSide(url=mock.url)
    yield client
    client.close()


def test_is_a_side(side: NswHttpSide) -> None:
    assert isinstance(side, Side)


def test_deliver_and_repeat(mock: MockNsw, side: NswHttpSide) -> None:
    item = outbound(CERTIFICATE)
    first, second = side.deliver(item), side.deliver(item)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.tracking == second.tracking and first.tracking.startswith("TH-")
    stats = mock.stats()
    assert (stats["received"], stats["distinct"], stats["by_kind"], stats["pending"]) == (
        2,
        1,
        {"certificate": 1},
        1,
    )


def test_response_is_fetched_then_acknowledged(mock: MockNsw, side: NswHttpSide) -> None:
    side.deliver(outbound(CERTIFICATE))
    (ref,) = side.pending()
    inbound = side.fetch(ref)
    assert (inbound.kind, inbound.sender) == ("response", "TH")
    name, message = pipeline.read(inbound.body)
    assert name == "asw"
    assert message.envelope.correlation_id == CERTIFICATE.envelope.message_id
    assert message.envelope.receiver.country == "KR"
    side.acknowledge(ref)
    assert side.pending() == []
    assert mock.mailbox.queued[ref].state == "acknowledged"


def test_reject_carries_code_and_reason(mock: MockNsw, side: NswHttpSide) -> None:
    side.deliver(outbound(CERTIFICATE))
    (ref,) = side.pending()
    side.reject(ref, code="DIGEST_MISMATCH", reason="the signed content changed")
    queued = mock.mailbox.queued[ref]
    assert (queued.state, queued.code, queued.reason) == (
        "rejected",
        "DIGEST_MISMATCH",
        "the signed content changed",
    )


def test_nsw_outbound_is_pulled_in_order(mock: MockNsw, side: NswHttpSide) -> None:
    messages = [samples.certificate("FORM_AK", "TH", "KR", name=f"o{n}") for n in range(3)]
    for message in messages:
        mock.outbound(profiles.get("asw").encode_bytes(message))
    refs = side.pending()
    assert [side.fetch(r).message_id for r in refs] == [m.envelope.message_id for m in messages]
    assert side.pending(limit=1) == refs[:1]


def test_tracking(side: NswHttpSide) -> None:
    item = outbound(CERTIFICATE)
    assert side.track(item.message_id) == "unknown"
    side.deliver(item)
    assert side.track(item.message_id) == "delivered"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param({"body": b"<EFormMessage/>"}, None, id="not-the-profile"),
        pytest.param(
            {"body": b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'}, "DTD_FORBIDDEN", id="doctype"
        ),
    ],
)
def test_refused_message_is_a_rejection(
    mock: MockNsw, side: NswHttpSide, change: dict[str, object], code: str | None
) -> None:
    with pytest.raises(RemoteRejected) as caught:
        side.deliver(attrs.evolve(outbound(CERTIFICATE), **change))
    assert caught.value.status == 400
    if code:
        assert caught.value.remote_code == code
    assert mock.stats()["received"] == 0


def test_message_for_another_country_is_refused(side: NswHttpSide) -> None:
    message = samples.certificate("FORM_AK", "KR", "VN")
    with pytest.raises(RemoteRejected) as caught:
        side.deliver(outbound(message))
    assert caught.value.remote_code == "WRONG_RECEIVER"


def test_fetch_unknown_ref_is_not_found(side: NswHttpSide) -> None:
    with pytest.raises(RemoteRejected) as caught:
        side.fetch("TH-404")
    assert (caught.value.remote_code, caught.value.status) == ("NOT_FOUND", 404)


def test_bearer_token() -> None:
    with MockNsw(country="TH", token="s3cret") as mock:
        with pytest.raises(RetryableTransportError) as caught:  # kept: our credentials
            NswHttpSide(url=mock.url).pending()
        assert (caught.value.code, caught.value.remote_code) == ("HTTP_401", "UNAUTHORISED")
        assert caught.value.status == 401
        policy = HttpPolicy(headers={"Authorization": "Bearer s3cret"})
        assert NswHttpSide(url=mock.url, policy=policy).pending() == []


def test_injected_faults_then_success_under_the_retry_policy() -> None:
    with MockNsw(country="TH", faults=Faults(fail_rate=0.4, drop_rate=0.3, seed=11)) as mock:
        side = NswHttpSide(url=mock.url)
        policy = RetryPolicy(max_attempts=40, initial=0.001, maximum=0.002, jitter=0.0)
        items = [
            outbound(samples.certificate("FORM_AK", "KR", "TH", name=f"n{n}")) for n in range(10)
        ]
        for item in items:
            policy.call(lambda i=item: side.deliver(i))
        stats = mock.stats()
        assert stats["failed"] > 0 and stats["dropped"] > 0
        assert stats["distinct"] == 10
        assert stats["received"] >= 10
        # every customs response comes back, exactly once each, despite the faults
        seen: set[str] = set()
        while refs := policy.call(side.pending):
            for ref in refs:
                seen.add(policy.call(lambda r=ref: side.fetch(r)).message_id)
                policy.call(lambda r=ref: side.acknowledge(r))
        assert len(seen) == 10


def test_dropped_answer_then_resend() -> None:
    with MockNsw(country="TH", faults=Faults(drop_rate=1.0)) as mock:
        side = NswHttpSide(url=mock.url)
        with pytest.raises(OutcomeUnknown):
            side.deliver(outbound(CERTIFICATE))
        mock.faults = Faults()
        assert side.deliver(outbound(CERTIFICATE)).duplicate is True
        assert mock.stats()["distinct"] == 1


def test_503_is_retryable_json_error() -> None:
    with MockNsw(country="TH", faults=Faults(fail_rate=1.0)) as mock:
        with pytest.raises(RetryableTransportError) as caught:
            NswHttpSide(url=mock.url).deliver(outbound(CERTIFICATE))
        assert (caught.value.code, caught.value.status) == ("HTTP_503", 503)
        assert caught.value.remote_code == "SERVICE_UNAVAILABLE"
        stats = json.loads(json.dumps(mock.stats()))
        assert (stats["received"], stats["failed"]) == (0, 1)


def test_a_refused_message_is_refused_again_when_resent(mock: MockNsw, side: NswHttpSide) -> None:
    """Threat-model T12: an identical resend of a refused message never gets a positive ack."""
    item = attrs.evolve(outbound(CERTIFICATE), body=b"<EFormMessage/>")
    codes = []
    for _ in range(2):
        with pytest.raises(RemoteRejected) as caught:
            side.deliver(item)
        codes.append(caught.value.remote_code)
    assert codes[0] == codes[1]
    assert side.track(item.message_id) == "unknown"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(profiles.get("asw").encode_bytes(CERTIFICATE), id="a-certificate"),
        pytest.param(b"<not-closed>", id="unreadable"),
    ],
)
def test_gateway_without_routing_headers(body: bytes) -> None:
    """A gateway that sends only the message: the transport passes the bytes on as they
    are, claiming nothing (the bridge reads identity from the verified message)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Bare(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bare)
    Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        side = NswHttpSide(url=f"http://127.0.0.1:{server.server_address[1]}")
        inbound = side.fetch("r1")
        assert (inbound.ref, inbound.message_id, inbound.kind, inbound.sender) == ("r1", "", "", "")
        assert inbound.body == body
    finally:
        server.shutdown()
        server.server_close()
