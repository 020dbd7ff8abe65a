"""The tester's kit: scenarios on both UNI-PASS variants and the NSW mock, the test
bridge, the throwaway PKI and the plugin's fixtures."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from aswbridge import samples
from aswbridge.errors import ConfigurationError
from aswbridge.testing import (
    BridgeUnderTest,
    Fault,
    ScriptedNsw,
    ScriptedUnipass,
    ThrowawayPki,
    UnipassResponses,
    accept,
    bridge_between,
    dropped_connection,
    refuse_item,
    reject,
    timeout,
    unavailable,
)
from aswbridge.testing.scenarios import Script

Factory = Callable[..., BridgeUnderTest]


@pytest.fixture(params=["loopback", "in-process"])
def unipass(request: pytest.FixtureRequest) -> ScriptedUnipass | UnipassResponses:
    """UNI-PASS, as a real loopback server or answered in-process (only one is started)."""
    name = "mock_unipass" if request.param == "loopback" else "unipass_responses"
    service: ScriptedUnipass | UnipassResponses = request.getfixturevalue(name)
    return service


@pytest.fixture
def relay(bridge_factory: Factory, mock_nsw: ScriptedNsw, unipass: Any) -> BridgeUnderTest:
    return bridge_factory(nsw=mock_nsw, unipass=unipass)


# --- scenarios as values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(lambda: refuse_item(0, "no item 0"), "item numbers", id="item-0"),
        pytest.param(lambda: refuse_item(2, ""), "with a reason", id="no-reason"),
        pytest.param(lambda: unavailable(times=0), "times", id="zero-times"),
        pytest.param(lambda: timeout(stall=0), "stall", id="no-stall"),
    ],
)
def test_bad_scenarios_are_refused(make: Callable[[], object], expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        make()


def test_faults_hit_in_order_then_the_service_answers_again() -> None:
    script = Script()
    script.play(unavailable(times=2), reject("NO", "no"), timeout(on="any"))
    hits = [script.take(delivery=True) for _ in range(5)]
    assert [f.kind if f else None for f in hits] == [
        "unavailable",
        "unavailable",
        "reject",
        "timeout",
        None,
    ]
    assert script.played == {"unavailable": 2, "timeout": 1, "drop": 0, "reject": 1}


def test_delivery_faults_spare_listing_but_any_faults_do_not() -> None:
    script = Script()
    script.play(dropped_connection(), unavailable(on="any"))
    first = script.take(delivery=False)  # a listing: the delivery fault waits
    assert isinstance(first, Fault) and first.kind == "unavailable"
    assert script.take(delivery=False) is None and script.waiting == 1
    second = script.take(delivery=True)
    assert isinstance(second, Fault) and second.kind == "drop"


def test_a_decision_stays_until_another_replaces_it() -> None:
    script = Script()
    script.play(refuse_item(3, "FOB", (7, "HS code")))
    assert dict(script.decision.refuse) == {3: "FOB", 7: "HS code"}
    script.play(accept())
    assert dict(script.decision.refuse) == {}


# --- scenarios against the bridge, on both UNI-PASS variants -----------------------------


def test_accept_by_default(relay: BridgeUnderTest, mock_nsw: ScriptedNsw, unipass: Any) -> None:
    mock_nsw.send(samples.form_ak_id_kr())
    report = relay.run_until_idle()
    assert (report.delivered, report.retried, report.dead) == (2, 0, 0)
    (response,) = mock_nsw.received("response")
    assert [d.preference for d in response.document.decisions] == ["given"] * 20
    assert unipass.stats()["by_kind"] == {"certificate": 1}


def test_refuse_items_with_reasons(
    relay: BridgeUnderTest, mock_nsw: ScriptedNsw, unipass: Any
) -> None:
    unipass.play(refuse_item(3, "FOB value differs", (25, "not on this certificate")))
    mock_nsw.send(samples.form_ak_id_kr())
    relay.run_until_idle()
    (response,) = mock_nsw.received("response")
    refused = [(d.number, d.reason) for d in response.document.decisions if d.reason]
    assert refused == [(3, "FOB value differs")]


@pytest.mark.parametrize(
    ("scenario", "retried"),
    [
        pytest.param(unavailable(times=3), 3, id="503-then-success"),
        pytest.param(dropped_connection(), 1, id="dropped-after-processing"),
        pytest.param(dropped_connection(processed=False), 1, id="dropped-before-processing"),
        pytest.param(timeout(stall=2.0), 1, id="timeout"),
        pytest.param(timeout(processed=True, stall=2.0), 1, id="late-answer"),
    ],
)
def test_transient_faults_are_ridden_out_with_one_effect(
    relay: BridgeUnderTest,
    mock_nsw: ScriptedNsw,
    unipass: Any,
    scenario: Fault,
    retried: int,
) -> None:
    unipass.play(scenario)
    mock_nsw.send(samples.form_ak_id_kr())
    report = relay.run_until_idle()
    stats = unipass.stats()
    assert report.retried >= retried and report.dead == 0  # more only if the machine stalls
    # one effect: a resend after a lost answer is recognised by its message id
    assert stats["distinct"] == 1 and stats["by_kind"] == {"certificate": 1}
    assert stats["received"] <= (2 if scenario.processed else 1)
    assert stats["scripted"][scenario.kind] == scenario.times
    assert len(mock_nsw.received("response")) == 1  # the customs decision came back


def test_a_rejection_is_dead_lettered_with_the_partner_code(
    relay: BridgeUnderTest, mock_nsw: ScriptedNsw, unipass: Any
) -> None:
    unipass.play(reject("CO_DUPLICATE", "certificate already presented"))
    mock_nsw.send(samples.form_ak_id_kr())
    report = relay.run_until_idle()
    assert (report.delivered, report.dead) == (0, 1)
    (dead,) = relay.store.dead_letters()
    assert (dead.attempts, dead.last_code) == (1, "CO_DUPLICATE")
    assert unipass.stats()["distinct"] == 0


def test_a_fault_on_listing_is_retried_in_place(
    relay: BridgeUnderTest, mock_nsw: ScriptedNsw, unipass: Any
) -> None:
    unipass.send(_kr_to_id())
    unipass.play(unavailable(on="any"))
    report = relay.run_until_idle()
    assert (report.pulled, report.errors) == (2, 0)
    assert unipass.stats()["scripted"]["unavailable"] == 1
    assert len(mock_nsw.received("certificate")) == 1


def _kr_to_id() -> Any:
    return samples.certificate("FORM_AK", "KR", "ID", 2, name="kr-id")


def test_the_nsw_mock_plays_scenarios_too(
    bridge: BridgeUnderTest, mock_nsw: ScriptedNsw, mock_unipass: ScriptedUnipass
) -> None:
    mock_nsw.play(unavailable(), refuse_item(1, "origin criterion not met"))
    mock_unipass.send(_kr_to_id())
    report = bridge.run_until_idle()
    assert (report.retried, report.dead) == (1, 0)
    (response,) = mock_unipass.received("response")
    assert response.document.decisions[0].reason == "origin criterion not met"


def test_the_nsw_mock_rejects_with_a_code(
    bridge: BridgeUnderTest, mock_nsw: ScriptedNsw, mock_unipass: ScriptedUnipass
) -> None:
    mock_nsw.play(reject("UNKNOWN_CONSIGNEE", "no such importer"))
    mock_unipass.send(_kr_to_id())
    bridge.run_until_idle()
    (dead,) = bridge.store.dead_letters()
    assert dead.last_code == "UNKNOWN_CONSIGNEE"


# --- send, received, refusals -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"<not-a-message/>", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'e'>]><x>&e;</x>"],
    ids=["unknown-root", "doctype"],
)
def test_send_refuses_what_the_partner_would_not_send(mock_nsw: ScriptedNsw, body: bytes) -> None:
    with pytest.raises(ConfigurationError, match="refuses to send"):
        mock_nsw.send(body)
    assert mock_nsw.stats()["queued"] == 0


def test_send_takes_bytes_as_they_are(mock_nsw: ScriptedNsw, bridge: BridgeUnderTest) -> None:
    from aswbridge.pipeline import write

    ref = mock_nsw.send(write(samples.form_ak_id_kr(), profile="asw"))
    assert ref in mock_nsw.mailbox.queued
    bridge.run_until_idle()
    assert mock_nsw.mailbox.queued[ref].state == "acknowledged"


def test_signed_round_trip_and_refusals(
    bridge_factory: Factory,
    mock_nsw_factory: Callable[..., ScriptedNsw],
    mock_unipass_factory: Callable[..., ScriptedUnipass],
    test_pki: ThrowawayPki,
) -> None:
    from aswbridge.pipeline import write

    nsw = mock_nsw_factory(country="ID", signing=test_pki.signing_key("ID"))
    unipass = mock_unipass_factory(signing=test_pki.signing_key("KR"))
    bridge = bridge_factory(nsw=nsw, unipass=unipass, pki=test_pki)
    nsw.send(samples.form_ak_id_kr())
    nsw.send(write(samples.certificate(name="unsigned"), profile="asw"))  # bytes: unsigned
    nsw.send(samples.certificate(name="revoked"), signing=test_pki.signing_key("ID", "revoked"))
    bridge.run_until_idle()
    assert len(unipass.received("certificate")) == 1
    assert len(nsw.received("response")) == 1  # Korea's signed decision was verified
    assert sorted(q.code for q in nsw.refusals()) == ["REVOKED", "SIGNATURE_MISSING"]
    assert unipass.refusals() == []


# --- the harness and the plugin ---------------------------------------------------------


def test_pki_trust_can_be_narrowed(test_pki: ThrowawayPki) -> None:
    assert len(test_pki.trust("ID").anchors) == 1
    assert len(test_pki.trust().anchors) > 11  # every country's root and the bridge's
    assert test_pki.signing_key("VN", "exporter").cert.subject.rfc4514_string().endswith("C=VN")


def test_bridge_between_checks_its_country(mock_unipass: ScriptedUnipass, tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="alpha-2"):
        bridge_between(
            nsw="http://127.0.0.1:9", unipass=mock_unipass, store=tmp_path / "s.db", country="IDN"
        )


def test_the_bridge_takes_the_mock_country(
    bridge_factory: Factory, mock_nsw_factory: Callable[..., ScriptedNsw], mock_unipass: Any
) -> None:
    bridge = bridge_factory(nsw=mock_nsw_factory(country="vn"), unipass=mock_unipass)
    assert bridge.country == "VN"


class TestNswCountryOverride:
    @pytest.fixture
    def nsw_country(self) -> str:
        return "TH"

    def test_mock_nsw_follows_nsw_country(self, mock_nsw: ScriptedNsw) -> None:
        assert mock_nsw.country == "TH"


def test_servers_stop_after_the_test(mock_nsw_factory: Callable[..., ScriptedNsw]) -> None:
    mock = mock_nsw_factory(country="ID")
    assert mock.url.startswith("http://127.0.0.1:")
    mock.stop()
    with pytest.raises(ConfigurationError, match="not started"):
        _ = mock.url


def test_every_listed_name_loads() -> None:
    import aswbridge.testing as kit

    loaded = {name: getattr(kit, name) for name in kit.__all__}
    assert loaded["samples"] is samples and loaded["ScriptedNsw"] is ScriptedNsw
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = kit.nothing


def test_the_plugin_loads_little() -> None:
    code = (
        "import sys, aswbridge.testing.plugin\n"
        "heavy = ('aswbridge.relay', 'aswbridge.samples', 'aswbridge.testing.scripted', 'zeep')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_kit_imports_without_responses() -> None:
    code = (
        "import sys; sys.modules['responses'] = None\n"
        "import aswbridge.testing, aswbridge.testing.plugin\n"
        "from aswbridge.errors import ConfigurationError\n"
        "try:\n"
        "    aswbridge.testing.UnipassResponses().start()\n"
        "except ConfigurationError as exc:\n"
        "    print('refused:', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "refused:" in result.stdout and "responses" in result.stdout


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({"fail_rate": 1.0}, {"failed": 1, "dropped": 0}, id="fail-rate"),
        pytest.param({"drop_rate": 1.0, "seed": 3}, {"failed": 0, "dropped": 1}, id="drop-rate"),
    ],
)
def test_factories_take_fault_options(
    mock_nsw_factory: Callable[..., ScriptedNsw], options: dict[str, Any], expected: dict[str, int]
) -> None:
    import requests

    mock = mock_nsw_factory(country="ID", **options)
    with contextlib.suppress(requests.ConnectionError):
        requests.get(f"{mock.url}/outbox", timeout=5)
    stats = mock.stats()
    assert {k: stats[k] for k in expected} == expected and mock.faults.seed == options.get("seed")


def test_fault_options_and_faults_do_not_mix(mock_nsw_factory: Callable[..., ScriptedNsw]) -> None:
    from aswbridge.testing import Faults

    with pytest.raises(TypeError, match="not both"):
        mock_nsw_factory(country="ID", faults=Faults(), fail_rate=0.5)


def test_in_process_calls_are_listed(
    bridge_factory: Factory, mock_nsw: ScriptedNsw, unipass_responses: UnipassResponses
) -> None:
    bridge = bridge_factory(nsw=mock_nsw, unipass=unipass_responses)
    mock_nsw.send(samples.form_ak_id_kr())
    bridge.run_until_idle()
    urls = {call.request.url for call in unipass_responses.calls}
    assert urls == {unipass_responses.url}  # the NSW calls passed through to loopback
    assert len(mock_nsw.received("response")) == 1
