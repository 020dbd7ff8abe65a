"""The mock services: inspection endpoints, fault injection, protocol strictness, CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import trustme
from lxml import etree

from aswbridge import _xml, pipeline, profiles, samples
from aswbridge.errors import ConfigurationError
from aswbridge.pipeline import SigningKey
from aswbridge.security import TrustStore, pki
from aswbridge.testing.mocks import Faults, MockNsw, MockServer, MockUnipass
from aswbridge.transport._http import HttpPolicy
from aswbridge.transport.base import Outbound, Side
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.unipass import SERVICE_NS, SOAP_NS, UnipassSide

KR_CERT = samples.certificate("FORM_AK", "KR", "TH", items=2)
TH_CERT = samples.certificate("FORM_AK", "TH", "KR", items=2)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False
        yield s


def soap(inner: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    ).encode()


def fault_code(body: bytes) -> str:
    root = _xml.parse(body)
    return root.findtext(f".//{{{SERVICE_NS}}}Code") or ""


@pytest.mark.parametrize(
    ("make", "body"),
    [
        pytest.param(
            lambda: MockUnipass(), profiles.get("unipass").encode_bytes(KR_CERT), id="unipass"
        ),
        pytest.param(
            lambda: MockNsw(country="TH"), profiles.get("asw").encode_bytes(TH_CERT), id="nsw"
        ),
    ],
)
def test_outbound_and_stats_over_http(
    session: requests.Session, make: type[MockServer], body: bytes
) -> None:
    with make() as mock:
        root = mock.root_url
        posted = session.post(f"{root}/_mock/outbound", data=body)
        assert posted.status_code == 201
        again = session.post(f"{root}/_mock/outbound", data=body)  # same id: queued once
        assert again.json()["ref"] == posted.json()["ref"]
        refused = session.post(f"{root}/_mock/outbound", data=b"<nope/>")
        assert refused.status_code == 400 and refused.json()["code"]
        stats = session.get(f"{root}/_mock/stats").json()
        assert {"received", "distinct", "by_kind"} <= set(stats)
        assert (stats["received"], stats["distinct"], stats["by_kind"]) == (0, 0, {})
        assert (stats["queued"], stats["pending"]) == (1, 1)


def test_inspection_is_never_faulted(session: requests.Session) -> None:
    with MockNsw(country="TH", faults=Faults(fail_rate=1.0, drop_rate=1.0)) as mock:
        assert session.get(f"{mock.root_url}/_mock/stats").status_code == 200
        assert session.get(f"{mock.url}/outbox").status_code == 503


def test_seeded_faults_repeat(session: requests.Session) -> None:
    def statuses() -> list[int]:
        with MockNsw(country="TH", faults=Faults(fail_rate=0.5, seed=42)) as mock:
            return [session.get(f"{mock.url}/outbox").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert set(first) == {200, 503}


def test_drop_closes_the_connection_after_processing(session: requests.Session) -> None:
    with MockNsw(country="TH", faults=Faults(drop_rate=1.0)) as mock:
        with pytest.raises(requests.ConnectionError):
            session.post(f"{mock.url}/inbox", data=profiles.get("asw").encode_bytes(KR_CERT))
        stats = mock.stats()
        assert (stats["received"], stats["distinct"], stats["dropped"]) == (1, 1, 1)


def test_no_response_when_disabled(session: requests.Session) -> None:
    with MockNsw(country="TH", respond=False) as mock:
        answer = session.post(f"{mock.url}/inbox", data=profiles.get("asw").encode_bytes(KR_CERT))
        assert answer.status_code == 201
        assert mock.stats()["queued"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b"<x/>", "NOT_AN_OPERATION", id="not-an-envelope"),
        pytest.param(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DTD_FORBIDDEN", id="doctype"),
        pytest.param(b"<soap:Envelope", "XML_MALFORMED", id="malformed"),
        pytest.param(
            soap(f'<s:PullMessage xmlns:s="{SERVICE_NS}"/>'), "SCHEMA_INVALID", id="schema-invalid"
        ),
        pytest.param(
            soap(f'<s:Nope xmlns:s="{SERVICE_NS}"/>'), "SCHEMA_INVALID", id="unknown-operation"
        ),
    ],
)
def test_unipass_mock_refuses_bad_requests_with_client_faults(
    session: requests.Session, body: bytes, code: str
) -> None:
    with MockUnipass() as mock:
        answer = session.post(mock.url, data=body, headers={"Content-Type": "text/xml"})
        assert answer.status_code == 500
        root = _xml.parse(answer.content)
        assert root.findtext(".//faultcode") == "soap:Client"
        assert fault_code(answer.content) == code


def test_unipass_mock_answers_are_schema_valid(session: requests.Session) -> None:
    schema = _xml.load_schema("unipass-service.xsd")
    with MockUnipass() as mock:
        mock.outbound(profiles.get("unipass").encode_bytes(KR_CERT))
        ref = next(iter(mock.mailbox.queued))
        for inner in (
            f'<s:GetPendingHeaders xmlns:s="{SERVICE_NS}"><s:Limit>5</s:Limit>'
            "</s:GetPendingHeaders>",
            f'<s:PullMessage xmlns:s="{SERVICE_NS}"><s:TrackingNumber>{ref}</s:TrackingNumber>'
            "</s:PullMessage>",
            f'<s:GetTrackingInfo xmlns:s="{SERVICE_NS}"><s:MessageId>x</s:MessageId>'
            "</s:GetTrackingInfo>",
            f'<s:Acknowledge xmlns:s="{SERVICE_NS}"><s:TrackingNumber>{ref}</s:TrackingNumber>'
            "</s:Acknowledge>",
        ):
            answer = session.post(mock.url, data=soap(inner))
            assert answer.status_code == 200
            body = _xml.parse(answer.content).find(f"{{{SOAP_NS}}}Body")
            assert body is not None
            assert schema.validate(body[0]), schema.error_log


def test_unipass_mock_503_is_a_transient_server_fault(session: requests.Session) -> None:
    with MockUnipass(faults=Faults(fail_rate=1.0)) as mock:
        answer = session.post(mock.url, data=soap("<x/>"))
        assert answer.status_code == 503
        root = _xml.parse(answer.content)
        assert root.findtext(".//faultcode") == "soap:Server"
        assert root.findtext(f".//{{{SERVICE_NS}}}Transient") == "true"


def test_get_is_not_soap(session: requests.Session) -> None:
    with MockUnipass() as mock:
        assert session.get(mock.url).status_code == 405


def test_chunked_requests_are_refused(session: requests.Session) -> None:
    with MockNsw(country="TH") as mock:
        answer = session.post(f"{mock.url}/inbox", data=iter([b"<a/>"]))
        assert answer.status_code == 411


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"fail_rate": 1.5}, id="fail-rate"),
        pytest.param({"drop_rate": -0.1}, id="drop-rate"),
        pytest.param({"latency_ms": -1}, id="latency"),
    ],
)
def test_bad_fault_settings_are_refused(faults: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        Faults(**faults)  # type: ignore[arg-type]


def test_latency_is_applied(session: requests.Session) -> None:
    with MockNsw(country="TH", faults=Faults(latency_ms=1)) as mock:
        assert session.get(f"{mock.url}/outbox").json() == {"items": []}


# --- command line ------------------------------------------------------------------------


def start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "aswbridge", "mock", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "listening on " in line, process.stderr.read() if process.stderr else ""
    return process, line.split("listening on ", 1)[1].strip()


@pytest.mark.parametrize(
    ("args", "path"),
    [
        pytest.param(
            ("unipass", "--port", "0", "--seed", "1"), "/eco/ExchangeService", id="unipass"
        ),
        pytest.param(("nsw", "--country", "TH", "--port", "0", "--fail-rate", "0"), "", id="nsw"),
    ],
)
def test_cli_serves_until_sigterm(
    session: requests.Session, args: tuple[str, ...], path: str
) -> None:
    process, url = start_cli(*args)
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith(path)
        root = url.removesuffix(path)
        stats = session.get(f"{root}/_mock/stats", timeout=5).json()
        assert stats["received"] == 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("nsw", "--country", "THA"), id="bad-country"),
        pytest.param(("nsw", "--country", "JP", "--profile", "nope"), id="unknown-profile"),
        pytest.param(("unipass", "--fail-rate", "2"), id="bad-rate"),
        pytest.param(("unipass", "--tls-key", "k.pem"), id="key-without-cert"),
        pytest.param(("unipass", "--sign-key", "k.pem"), id="sign-key-without-cert"),
    ],
)
def test_cli_refuses_bad_arguments(args: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aswbridge", "mock", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(("aswbridge: CONFIGURATION: ", "aswbridge: USAGE: ")), done.stderr


def test_pulled_payload_is_the_queued_message(session: requests.Session) -> None:
    body = profiles.get("unipass").encode_bytes(KR_CERT)
    with MockUnipass() as mock:
        mock.outbound(body)
        ref = next(iter(mock.mailbox.queued))
        answer = session.post(
            mock.url,
            data=soap(
                f'<s:PullMessage xmlns:s="{SERVICE_NS}"><s:TrackingNumber>{ref}</s:TrackingNumber>'
                "</s:PullMessage>"
            ),
        )
        payload = _xml.parse(answer.content).find(f".//{{{SERVICE_NS}}}Content")
        assert payload is not None
        assert etree.tostring(payload[0], method="c14n", exclusive=True) == etree.tostring(
            _xml.parse(body), method="c14n", exclusive=True
        )
        assert json.loads(json.dumps(mock.stats()))["pending"] == 1


def signing_key(layout: pki.Pki, country: str) -> SigningKey:
    key, cert, chain = layout.signer(country)
    return SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))


@pytest.mark.parametrize("role", ["nsw", "unipass"])
def test_customs_responses_can_be_signed(country_pki: pki.Pki, role: str) -> None:
    if role == "nsw":
        mock: MockServer = MockNsw(country="TH", signing=signing_key(country_pki, "TH"))
        message, profile, customs = KR_CERT, "asw", "TH"
    else:
        mock = MockUnipass(signing=signing_key(country_pki, "KR"))
        message, profile, customs = TH_CERT, "unipass", "KR"
    with mock:
        side: Side = NswHttpSide(url=mock.url) if role == "nsw" else UnipassSide(url=mock.url)
        side.deliver(
            Outbound(
                message_id=message.envelope.message_id,
                kind="certificate",
                sender=message.envelope.sender.country,
                receiver=customs,
                body=profiles.get(profile).encode_bytes(message),
            )
        )
        (ref,) = side.pending()
        trust = TrustStore.from_paths([country_pki.path])
        _, response = pipeline.read(side.fetch(ref).body, trust=trust)
        assert response.kind == "response"
        assert response.envelope.sender.country == customs


def test_cli_serves_https(tmp_path: Path) -> None:
    ca = trustme.CA()
    server_pem, ca_pem = tmp_path / "server.pem", tmp_path / "ca.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    process, url = start_cli("unipass", "--tls-cert", str(server_pem))
    try:
        assert url.startswith("https://127.0.0.1:")
        side = UnipassSide(url=url, policy=HttpPolicy(ca_bundle=str(ca_pem)))
        assert side.track("never-sent") == "unknown"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
