"""The relay against the real mock services on loopback, with the real transports.

Threat-model T series: 5xx then success (T5), answers dropped after the request was
processed (T2/T4, outcome unknown), 4xx never retried (T7), duplicate inbound (T10),
restart recovery; every customs response comes back. Each message ends delivered or
dead-lettered with a reason, never vanished, and one effect per message id.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from test_store import postgres_dsn  # noqa: F401  (the throwaway PostgreSQL fixture)

from aswbridge.config import parse_config
from aswbridge.pipeline import read, write
from aswbridge.relay import Bridge
from aswbridge.relay.factory import build_bridge
from aswbridge.samples.builder import certificate
from aswbridge.testing.mocks import Faults, MockNsw, MockServer, MockUnipass

FAST_RETRY = {"initial": 0.02, "maximum": 0.2, "jitter": 0.02, "max_attempts": 30}


def asw_certificates(count: int, prefix: str = "th") -> list[bytes]:
    return [
        write(
            certificate(exporter_country="TH", importing_country="KR", name=f"{prefix}-{i}"),
            profile="asw",
        )
        for i in range(count)
    ]


def unipass_certificates(count: int, prefix: str = "kr") -> list[bytes]:
    return [
        write(
            certificate(exporter_country="KR", importing_country="TH", name=f"{prefix}-{i}"),
            profile="unipass",
        )
        for i in range(count)
    ]


def relay(nsw: MockNsw, unipass: MockUnipass, store: Path | str, **bridge: object) -> Bridge:
    config = parse_config(
        {
            "bridge": {"country": "TH", "store": str(store), "allow_unsigned": True, **bridge},
            "nsw": {"url": nsw.url, "read_timeout": 5, "deadline": 10},
            "unipass": {"url": unipass.url, "read_timeout": 5, "deadline": 10},
            "retry": FAST_RETRY,
        }
    )
    return build_bridge(config)


def drain(bridge: Bridge, done: int, *servers: MockServer, passes: int = 400) -> dict[str, int]:
    """Run passes until ``done`` rows are done, nothing is pending or in flight, and the
    ``servers`` hold nothing more for the bridge (every acknowledgement arrived)."""
    counts = bridge.store.counts()
    for _ in range(passes):
        report = bridge.run_once()
        counts = bridge.store.counts()
        settled = all(server.stats()["pending"] == 0 for server in servers)
        if (
            settled
            and counts["done"] + counts["dead"] >= done
            and not counts["pending"] + counts["in_flight"]
        ):
            return counts
        if not report.busy:
            bridge._stop.wait(0.02)
    return counts


@pytest.fixture
def mocks(request: pytest.FixtureRequest) -> Iterator[tuple[MockNsw, MockUnipass]]:
    faults: Faults = getattr(request, "param", Faults())
    nsw = MockNsw(country="TH", faults=attrs.evolve(faults, seed=11))
    unipass = MockUnipass(faults=attrs.evolve(faults, seed=12))
    with nsw, unipass:
        yield nsw, unipass


@pytest.mark.parametrize(
    "mocks",
    [
        pytest.param(Faults(), id="clean"),
        pytest.param(Faults(fail_rate=0.3), id="503s"),
        pytest.param(Faults(drop_rate=0.3), id="dropped-answers"),
        pytest.param(Faults(fail_rate=0.15, drop_rate=0.15), id="both"),
    ],
    indirect=True,
)
def test_every_message_arrives_once_and_every_response_comes_back(
    mocks: tuple[MockNsw, MockUnipass], tmp_path: Path
) -> None:
    nsw, unipass = mocks
    for body in asw_certificates(12):
        nsw.outbound(body)
    for body in unipass_certificates(6):
        unipass.outbound(body)
    bridge = relay(nsw, unipass, tmp_path / "relay.db")
    counts = drain(bridge, 36, nsw, unipass)
    at_unipass, at_nsw = unipass.stats(), nsw.stats()
    assert at_unipass["by_kind"] == {"certificate": 12, "response": 6}
    assert at_nsw["by_kind"] == {"certificate": 6, "response": 12}
    assert at_unipass["distinct"] == 18 and at_unipass["received"] >= 18
    assert (at_nsw["pending"], at_unipass["pending"]) == (0, 0)
    assert (counts["done"], counts["pending"], counts["in_flight"], counts["dead"]) == (36, 0, 0, 0)
    bridge.store.close()


def test_dropped_answers_are_resolved_under_the_same_id(tmp_path: Path) -> None:
    """An answer lost after UNI-PASS took the message is resolved by a lookup or by a resend
    under the same id: never a second effect. (Which of the two depends on how the seeded
    drops fall on the relay's requests, so the test holds for both.)"""
    with (
        MockNsw(country="TH") as nsw,
        MockUnipass(faults=Faults(drop_rate=0.5, seed=3), respond=False) as unipass,
    ):
        for body in asw_certificates(16):
            nsw.outbound(body)
        bridge = relay(nsw, unipass, tmp_path / "relay.db")
        drain(bridge, done=16)
        stats = unipass.stats()
        assert stats["distinct"] == 16 and stats["by_kind"] == {"certificate": 16}
        assert stats["dropped"] > 0  # answers were lost after the request was processed
        journal = [
            e.event for m in unipass.mailbox.received for e in bridge.store.journal(message_id=m)
        ]
        assert "retry_scheduled" in journal  # ... and the relay did not take them as delivered
        for record in unipass.mailbox.received.values():
            row = bridge.store.get(record.message_id)
            assert row is not None and row.state == "done"
            assert read(row.body)[1] == read(record.body)[1]  # the payload, out of its envelope
        bridge.store.close()


def test_a_refusal_is_dead_lettered_after_one_attempt(tmp_path: Path) -> None:
    # the NSW mock answers for VN: a certificate for TH is refused, never retried, and
    # UNI-PASS is told with a failed receipt
    with MockNsw(country="VN") as nsw, MockUnipass() as unipass:
        (certificate_body,) = unipass_certificates(1)
        unipass.outbound(certificate_body)
        bridge = relay(nsw, unipass, tmp_path / "relay.db")
        counts = drain(bridge, 2, unipass)
        assert counts["dead"] == 1 and nsw.stats()["distinct"] == 0
        (dead,) = bridge.store.dead_letters()
        assert (dead.attempts, dead.last_code) == (1, "WRONG_RECEIVER")
        assert unipass.stats()["acknowledged"] == 1  # it was taken from UNI-PASS all the same
        (told,) = unipass.mailbox.received.values()
        _, receipt = read(told.body)
        assert told.kind == "receipt" and receipt.document.status == "failed"
        assert receipt.document.ref_message_id == read(certificate_body)[1].envelope.message_id
        bridge.store.close()


def test_a_message_offered_twice_is_delivered_once(
    mocks: tuple[MockNsw, MockUnipass], tmp_path: Path
) -> None:
    nsw, unipass = mocks
    nsw.outbound(asw_certificates(1)[0])
    (first,) = nsw.mailbox.queued.values()
    nsw.mailbox.queued["again"] = attrs.evolve(first, ref="again")  # the gateway repeats it
    bridge = relay(nsw, unipass, tmp_path / "relay.db")
    drain(bridge, 2, nsw, unipass)
    assert unipass.stats()["received"] == 1
    assert nsw.stats()["acknowledged"] == 2
    events = [e.event for e in bridge.store.journal(message_id=first.message_id)]
    assert events.count("received") == 1 and events.count("delivered") == 1
    bridge.store.close()


@pytest.mark.parametrize("mocks", [pytest.param(Faults(fail_rate=0.2), id="503s")], indirect=True)
def test_a_restart_picks_up_where_the_last_run_stopped(
    mocks: tuple[MockNsw, MockUnipass], tmp_path: Path
) -> None:
    nsw, unipass = mocks
    for body in asw_certificates(10):
        nsw.outbound(body)
    first = relay(nsw, unipass, tmp_path / "relay.db", batch=4)
    first.run_once()
    first.store.close()  # stopped after one pass: some pulled, few delivered
    second = relay(nsw, unipass, tmp_path / "relay.db", batch=4)
    counts = drain(second, 20, nsw, unipass)
    assert unipass.stats()["by_kind"] == {"certificate": 10}
    assert nsw.stats()["by_kind"] == {"response": 10}
    assert (counts["done"], counts["dead"]) == (20, 0)
    second.store.close()


def test_a_folder_mailbox_nsw(tmp_path: Path) -> None:
    box = tmp_path / "nsw-box"
    (box / "in").mkdir(parents=True)
    for n, body in enumerate(asw_certificates(3, prefix="folder")):
        (box / "in" / f"cert-{n}.xml").write_bytes(body)
    with MockUnipass(faults=Faults(drop_rate=0.3, seed=9)) as unipass:
        config = parse_config(
            {
                "bridge": {
                    "country": "TH",
                    "store": str(tmp_path / "relay.db"),
                    "allow_unsigned": True,
                },
                "nsw": {"mailbox": str(box)},
                "unipass": {"url": unipass.url},
                "retry": FAST_RETRY,
            }
        )
        bridge = build_bridge(config)
        counts = drain(bridge, done=6)
        assert unipass.stats()["by_kind"] == {"certificate": 3}
    assert (counts["done"], counts["dead"]) == (6, 0)
    assert sorted(p.name for p in (box / "processed").iterdir()) == [
        "cert-0.xml",
        "cert-1.xml",
        "cert-2.xml",
    ]
    responses = [read(p.read_bytes())[1] for p in (box / "out").iterdir() if p.is_file()]
    assert sorted(m.kind for m in responses) == ["response"] * 3
    bridge.store.close()


@pytest.mark.parametrize("mocks", [pytest.param(Faults(drop_rate=0.2), id="drops")], indirect=True)
def test_the_relay_on_a_postgresql_store(
    mocks: tuple[MockNsw, MockUnipass], request: pytest.FixtureRequest
) -> None:
    nsw, unipass = mocks
    dsn: str = request.getfixturevalue("postgres_dsn")
    for body in asw_certificates(5, prefix="pg"):
        nsw.outbound(body)
    params = dict(part.split("=", 1) for part in dsn.split())
    url = (
        f"postgresql://{params['user']}@/{params['dbname']}"
        f"?host={params['host']}&port={params['port']}"
    )
    bridge = relay(nsw, unipass, url)
    counts = drain(bridge, 10, nsw, unipass)
    assert unipass.stats()["by_kind"] == {"certificate": 5}
    assert nsw.stats()["by_kind"] == {"response": 5}
    assert (counts["done"], counts["dead"], counts["pending"]) == (10, 0, 0)
    bridge.store.close()
