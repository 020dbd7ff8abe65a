"""The UNI-PASS side (zeep client) against the UNI-PASS mock, over real loopback HTTP."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
import trustme

from aswbridge import pipeline, profiles, samples
from aswbridge.model import Message
from aswbridge.testing.mocks import Faults, MockUnipass
from aswbridge.transport.base import (
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    RetryableTransportError,
    Side,
)
from aswbridge.transport.retry import RetryPolicy
from aswbridge.transport.unipass import UnipassSide

CERTIFICATE = samples.certificate("FORM_AK", "TH", "KR", items=3)

MESSAGES: dict[str, Callable[[], Message]] = {
    "certificate": lambda: CERTIFICATE,
    "response": lambda: samples.response_for(samples.certificate("FORM_AK", "KR", "TH")),
    "receipt": lambda: samples.receipt_for(samples.certificate("FORM_AK", "KR", "TH")),
    "verification_request": lambda: samples.verification_request_for(
        samples.certificate("FORM_AK", "KR", "TH")
    ),
    "verification_reply": lambda: samples.verification_reply_for(
        samples.verification_request_for(CERTIFICATE)
    ),
}


def outbound(message: Message) -> Outbound:
    return Outbound(
        message_id=message.envelope.message_id,
        kind=message.kind,
        sender=message.envelope.sender.country,
        receiver=message.envelope.receiver.country,
        body=profiles.get("unipass").encode_bytes(message),
    )


@pytest.fixture
def mock() -> Iterator[MockUnipass]:
    with MockUnipass() as server:
        yield server


@pytest.fixture
def side(mock: MockUnipass) -> Iterator[UnipassSide]:
    client = UnipassSide(url=mock.url)
    yield client
    client.close()


def test_is_a_side(side: UnipassSide) -> None:
    assert isinstance(side, Side)


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_each_kind_is_submitted_with_its_operation(
    mock: MockUnipass, side: UnipassSide, kind: str
) -> None:
    item = outbound(MESSAGES[kind]())
    assert item.kind == kind
    delivered = side.deliver(item)
    assert (delivered.message_id, delivered.duplicate) == (item.message_id, False)
    assert delivered.tracking.startswith("KCS")
    assert mock.stats()["by_kind"] == {kind: 1}


def test_repeat_is_recognised(mock: MockUnipass, side: UnipassSide) -> None:
    item = outbound(CERTIFICATE)
    first, second = side.deliver(item), side.deliver(item)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.tracking == second.tracking
    stats = mock.stats()
    assert (stats["received"], stats["distinct"], stats["pending"]) == (2, 1, 1)


def test_concurrent_repeats_count_once(mock: MockUnipass, side: UnipassSide) -> None:
    item = outbound(CERTIFICATE)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(side.deliver(item))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False] + [True] * 7
    assert len({r.tracking for r in results}) == 1
    assert (mock.stats()["received"], mock.stats()["distinct"]) == (8, 1)


def test_certificate_is_answered_and_the_answer_pulled(
    mock: MockUnipass, side: UnipassSide
) -> None:
    side.deliver(outbound(CERTIFICATE))
    (ref,) = side.pending()
    inbound = side.fetch(ref)
    assert (inbound.kind, inbound.sender) == ("response", "KR")
    name, message = pipeline.read(inbound.body)
    assert name == "unipass"
    assert message.envelope.correlation_id == CERTIFICATE.envelope.message_id
    assert message.envelope.message_id == inbound.message_id
    assert {d.preference for d in message.document.decisions} == {"given"}
    assert side.pending() == [ref]  # fetched, not yet acknowledged
    side.acknowledge(ref)
    side.acknowledge(ref)  # a second acknowledgement is harmless
    assert side.pending() == []
    assert mock.mailbox.queued[ref].state == "acknowledged"


def test_reject_sends_code_and_reason(mock: MockUnipass, side: UnipassSide) -> None:
    side.deliver(outbound(CERTIFICATE))
    (ref,) = side.pending()
    side.reject(ref, code="SIGNATURE_MISSING", reason="unsigned " * 400)
    queued = mock.mailbox.queued[ref]
    assert (queued.state, queued.code) == ("rejected", "SIGNATURE_MISSING")
    assert len(queued.reason) == 2000
    assert side.pending() == []


def test_pending_honours_the_limit(mock: MockUnipass, side: UnipassSide) -> None:
    for n in range(3):
        side.deliver(outbound(samples.certificate("FORM_AK", "TH", "KR", name=f"c{n}")))
    assert len(side.pending(limit=2)) == 2
    assert len(side.pending()) == 3


def test_tracking(side: UnipassSide) -> None:
    item = outbound(CERTIFICATE)
    assert side.track(item.message_id) == "unknown"
    side.deliver(item)
    assert side.track(item.message_id) == "delivered"


def test_outbound_from_korea_is_pulled(mock: MockUnipass, side: UnipassSide) -> None:
    message = samples.certificate("FORM_AK", "KR", "TH")
    mock.outbound(profiles.get("unipass").encode_bytes(message))
    (ref,) = side.pending()
    inbound = side.fetch(ref)
    assert (inbound.message_id, inbound.kind, inbound.sender) == (
        message.envelope.message_id,
        "certificate",
        "KR",
    )
    assert pipeline.read(inbound.body)[1] == message


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param({"message_id": "another-id"}, "HEADER_MISMATCH", id="header-mismatch"),
        pytest.param({"kind": "response"}, "HEADER_MISMATCH", id="kind-mismatch"),
        pytest.param(
            {"body": b'<u:EcoMsg xmlns:u="urn:aswbridge:reference:unipass:1"/>'},
            None,
            id="payload-not-schema-valid",
        ),
    ],
)
def test_refused_submission_is_a_rejection(
    mock: MockUnipass, side: UnipassSide, change: dict[str, object], code: str | None
) -> None:
    item = attrs.evolve(outbound(CERTIFICATE), **change)
    with pytest.raises(RemoteRejected) as caught:
        side.deliver(item)
    if code:
        assert caught.value.remote_code == code
    assert caught.value.remote_text
    assert mock.stats()["distinct"] == 0


def test_unknown_tracking_number_is_not_found(side: UnipassSide) -> None:
    with pytest.raises(RemoteRejected) as caught:
        side.fetch("KCS999")
    assert caught.value.remote_code == "NOT_FOUND"


def test_injected_503_is_retryable_and_not_processed() -> None:
    with MockUnipass(faults=Faults(fail_rate=1.0)) as mock:
        with pytest.raises(RetryableTransportError) as caught:
            UnipassSide(url=mock.url).deliver(outbound(CERTIFICATE))
        assert (caught.value.code, caught.value.remote_code) == (
            "SOAP_SERVER_FAULT",
            "SERVICE_UNAVAILABLE",
        )
        assert caught.value.status == 503
        assert mock.stats()["received"] == 0


def test_dropped_answer_is_resolved_by_resending_the_same_id() -> None:
    with MockUnipass(faults=Faults(drop_rate=1.0)) as mock:
        side = UnipassSide(url=mock.url)
        item = outbound(CERTIFICATE)
        with pytest.raises(OutcomeUnknown):
            side.deliver(item)
        assert mock.stats()["distinct"] == 1  # it went through; only the answer was lost
        mock.faults = Faults()
        assert side.track(item.message_id) == "delivered"
        assert side.deliver(item).duplicate is True
        assert (mock.stats()["distinct"], mock.stats()["pending"]) == (1, 1)


def test_503s_then_success_under_the_retry_policy() -> None:
    with MockUnipass(faults=Faults(fail_rate=0.5, drop_rate=0.2, seed=4)) as mock:
        side = UnipassSide(url=mock.url)
        policy = RetryPolicy(max_attempts=30, initial=0.001, maximum=0.002, jitter=0.0)
        for n in range(10):
            item = outbound(samples.certificate("FORM_AK", "TH", "KR", name=f"r{n}"))
            assert policy.call(lambda i=item: side.deliver(i)).message_id == item.message_id
        stats = mock.stats()
        assert stats["failed"] > 0 and stats["dropped"] > 0
        assert (stats["distinct"], stats["by_kind"]) == (10, {"certificate": 10})


def test_rejection_is_not_retried(mock: MockUnipass, side: UnipassSide) -> None:
    item = attrs.evolve(outbound(CERTIFICATE), message_id="another-id")
    policy = RetryPolicy(max_attempts=5, initial=0.001, maximum=0.002, jitter=0.0)
    with pytest.raises(RemoteRejected):
        policy.call(lambda: side.deliver(item))
    assert mock.stats()["requests"] == 1


# --- mutual TLS ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("bridge.example")
    paths = {
        "ca": folder / "ca.pem",
        "other_ca": folder / "other.pem",
        "server": folder / "server.pem",
        "client": folder / "client.pem",
    }
    ca.cert_pem.write_to_path(str(paths["ca"]))
    other.cert_pem.write_to_path(str(paths["other_ca"]))
    server.private_key_and_cert_chain_pem.write_to_path(str(paths["server"]))
    client.private_key_and_cert_chain_pem.write_to_path(str(paths["client"]))
    return paths


@pytest.fixture
def tls_mock(pki: dict[str, Path]) -> Iterator[MockUnipass]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki["server"]))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(str(pki["ca"]))
    with MockUnipass(ssl_context=context) as server:
        yield server


def test_mutual_tls(tls_mock: MockUnipass, pki: dict[str, Path]) -> None:
    from aswbridge.transport._http import HttpPolicy

    policy = HttpPolicy(ca_bundle=str(pki["ca"]), client_cert=str(pki["client"]))
    side = UnipassSide(url=tls_mock.url, policy=policy)
    assert tls_mock.url.startswith("https://")
    assert side.deliver(outbound(CERTIFICATE)).duplicate is False


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param({"ca_bundle": "ca"}, id="no-client-certificate"),
        pytest.param({"ca_bundle": "other_ca", "client_cert": "client"}, id="unknown-server-ca"),
    ],
)
def test_tls_failure_fails_closed(
    tls_mock: MockUnipass, pki: dict[str, Path], setting: dict[str, str]
) -> None:
    from aswbridge.transport._http import HttpPolicy

    policy = HttpPolicy(**{k: str(pki[v]) for k, v in setting.items()}, deadline=5.0)
    side = UnipassSide(url=tls_mock.url, policy=policy)
    with pytest.raises((RemoteRejected, OutcomeUnknown)) as caught:
        side.deliver(outbound(CERTIFICATE))
    assert tls_mock.stats()["received"] == 0
    if setting.get("client_cert"):
        assert isinstance(caught.value, RemoteRejected)
        assert caught.value.remote_code == "TLS_FAILED"


def _serving(leaf: trustme.LeafCert, folder: Path) -> ssl.SSLContext:
    path = folder / "leaf.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(path))
    return context


@pytest.mark.parametrize(
    "issue",
    [
        pytest.param(lambda ca: ca.issue_cert("unipass.example"), id="wrong-host-name"),
        pytest.param(
            lambda ca: ca.issue_cert(
                "127.0.0.1",
                not_before=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
                not_after=datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC),
            ),
            id="expired",
        ),
    ],
)
def test_bad_server_certificate_fails_closed(
    tmp_path: Path, issue: Callable[[trustme.CA], trustme.LeafCert]
) -> None:
    from aswbridge.transport._http import HttpPolicy

    ca = trustme.CA()
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    context = _serving(issue(ca), tmp_path)
    with MockUnipass(ssl_context=context) as mock:
        side = UnipassSide(url=mock.url, policy=HttpPolicy(ca_bundle=str(ca_path)))
        with pytest.raises(RemoteRejected) as caught:
            side.deliver(outbound(CERTIFICATE))
        assert caught.value.remote_code == "TLS_FAILED"
        assert mock.stats()["requests"] == 0


def test_the_wsdl_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    from aswbridge.errors import ConfigurationError
    from aswbridge.transport import unipass

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the WSDL must come from the package")

    monkeypatch.setattr(requests.Session, "get", no_network)
    unipass._wsdl_document.cache_clear()
    side = UnipassSide(url="http://127.0.0.1:9/eco")
    assert side.name == "unipass"
    loader = unipass._LocalFiles()
    with pytest.raises(ConfigurationError):
        loader.load("http://127.0.0.1:9/evil.xsd")
    with pytest.raises(ConfigurationError):
        loader.load("/etc/hostname")
    assert b"UnipassEcoService" in loader.load(str(unipass._xml.package_file(unipass.WSDL_FILE)))


@pytest.mark.parametrize("url", ["ftp://unipass.example/eco", "unipass.example/eco", ""])
def test_only_http_urls(url: str) -> None:
    from aswbridge.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        UnipassSide(url=url)


def test_a_signed_payload_survives_the_envelope(tmp_path: Path) -> None:
    """zeep moves the payload into its envelope; the receiver's copy still verifies."""
    from aswbridge.pipeline import SigningKey, write
    from aswbridge.security import TrustStore, pki

    layout = pki.create(tmp_path / "pki", countries=("TH",))
    key, cert, chain = layout.signer("TH")
    signing = SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))
    body = write(CERTIFICATE, profile="unipass", signing=signing)
    with MockUnipass() as mock:
        side = UnipassSide(url=mock.url)
        side.deliver(attrs.evolve(outbound(CERTIFICATE), body=body))
        received = mock.mailbox.received[CERTIFICATE.envelope.message_id].body
    trust = TrustStore.from_paths([layout.path])
    assert pipeline.read(received, trust=trust)[1].document == CERTIFICATE.document
