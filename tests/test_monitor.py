"""Metrics and health: a relay process on PostgreSQL scraped over HTTP, and the parts alone.

The relay runs as ``aswbridge run`` with ``[metrics] listen``; its ``/metrics`` counts what
the mock partners saw, ``/readyz`` is ready once a partner answered and turns unready when
the store's connection is cut (ready again when it reconnects), while ``/healthz`` stays
up.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from test_relay_integration import asw_certificates, unipass_certificates
from test_store import postgres_dsn  # noqa: F401  (the throwaway PostgreSQL fixture)
from test_store_many import fresh_db  # noqa: F401

from aswbridge.config import parse_config
from aswbridge.errors import ConfigurationError
from aswbridge.monitor import MetricsServer, RelayMetrics, metered_store, parse_listen
from aswbridge.store import Outgoing, Received, SqliteStore
from aswbridge.testing.mocks import MockNsw, MockUnipass

CONFIG = """
[bridge]
country = "TH"
store = "{store}"
allow_unsigned = true
poll_interval = 0.05

[nsw]
url = "{nsw}"

[unipass]
url = "{unipass}"

[metrics]
listen = "127.0.0.1:{port}"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def samples(text: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def value(scrape: dict[Any, float], name: str, **labels: str) -> float | None:
    return scrape.get((name, frozenset(labels.items())))


def pg_url(dsn: str) -> str:
    params = dict(part.split("=", 1) for part in dsn.split())
    return (
        f"postgresql://{params['user']}@/{params['dbname']}"
        f"?host={params['host']}&port={params['port']}"
    )


@pytest.fixture
def relay_with_metrics(
    fresh_db: str,  # noqa: F811
    tmp_path: Path,
) -> Iterator[tuple[str, MockNsw, MockUnipass, str]]:
    port = free_port()
    with MockNsw(country="TH") as nsw, MockUnipass() as unipass:
        config = tmp_path / "bridge.toml"
        config.write_text(
            CONFIG.format(store=pg_url(fresh_db), nsw=nsw.url, unipass=unipass.url, port=port)
        )
        log = (tmp_path / "relay.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "aswbridge", "run", "--config", str(config)],
            stdout=log,
            stderr=log,
        )
        try:
            yield f"http://127.0.0.1:{port}", nsw, unipass, fresh_db
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0
            log.close()


def wait_for(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except (OSError, urllib.error.URLError):
            pass  # not listening yet
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_metrics_count_per_partner_and_readyz_follows_the_store(
    relay_with_metrics: tuple[str, MockNsw, MockUnipass, str],
) -> None:
    base, nsw, unipass, dsn = relay_with_metrics
    for body in asw_certificates(6, prefix="metrics-th"):
        nsw.outbound(body)
    for body in unipass_certificates(3, prefix="metrics-kr"):
        unipass.outbound(body)

    def settled() -> dict[Any, float] | None:
        scrape = samples(get(f"{base}/metrics")[1])
        delivered = value(scrape, "aswbridge_delivery_seconds_count", partner="nsw") or 0
        return scrape if delivered >= 9 else None  # 6 responses and 3 certificates

    scrape = wait_for(settled)
    assert (
        value(scrape, "aswbridge_messages_received_total", partner="nsw", kind="certificate") == 6
    )
    assert (
        value(scrape, "aswbridge_messages_received_total", partner="unipass", kind="response") == 6
    )
    assert (
        value(scrape, "aswbridge_messages_delivered_total", partner="unipass", kind="certificate")
        == 6
    )
    assert (
        value(scrape, "aswbridge_messages_delivered_total", partner="nsw", kind="certificate") == 3
    )
    assert value(scrape, "aswbridge_messages_delivered_total", partner="nsw", kind="response") == 6
    assert value(scrape, "aswbridge_partner_up", partner="unipass") == 1
    assert (
        value(scrape, "aswbridge_partner_last_contact_timestamp_seconds", partner="nsw") or 0
    ) > time.time() - 60
    assert value(scrape, "aswbridge_store_up") == 1
    assert value(scrape, "aswbridge_breaker_state", partner="unipass", state="closed") == 1
    assert value(scrape, "aswbridge_breaker_state", partner="unipass", state="open") == 0
    assert unipass.stats()["by_kind"] == {"certificate": 6, "response": 3}  # as counted
    status, body = get(f"{base}/readyz")
    assert status == 200, body
    assert json.loads(body)["checks"]["store"]["ok"] is True

    import psycopg  # the store goes away: its connection is cut from the server's side

    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    status, body = get(f"{base}/readyz")
    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "not ready" and answer["checks"]["store"]["ok"] is False
    assert get(f"{base}/healthz") == (200, b'{"status": "ok"}')
    # the store reconnects on its next call: ready again, and the relay goes on
    wait_for(lambda: get(f"{base}/readyz")[0] == 200)
    nsw.outbound(asw_certificates(1, prefix="metrics-after")[0])
    wait_for(lambda: unipass.stats()["by_kind"]["certificate"] == 7)
    assert get(f"{base}/nothing")[0] == 404


def test_refused_and_dead_are_counted_by_partner_and_kind(tmp_path: Path) -> None:
    inner = SqliteStore(tmp_path / "relay.db")
    metrics = RelayMetrics(store=inner)
    store = metered_store(inner, metrics)
    out = Outgoing(message_id="out-1", dest="nsw", kind="certificate", body=b"<c/>")
    store.record_inbound(
        sender="KR",
        message_id="in-1",
        source="unipass",
        kind="certificate",
        digest="d",
        outgoing=(out,),
    )
    store.record_inbound(
        sender="KR",
        message_id="in-2",
        source="unipass",
        kind="certificate",
        digest="d",
        outcome="rejected",
        code="SCHEMA",
        reason="bad",
    )
    store.record_inbound(
        sender="KR", message_id="in-2", source="unipass", kind="certificate", digest="d"
    )  # a repeat counts nothing
    many = [
        Received(sender="KR", message_id=m, source="unipass", kind="response", digest="d")
        for m in ("in-3", "in-1", "in-3")
    ]
    assert store.record_inbound_many(many) == [True, False, False]  # a pull's new one counts
    (row,) = store.claim(limit=5, lease_s=60)
    assert (
        store.fail(row.message_id, code="WRONG_RECEIVER", error="no", next_attempt_at=None)
        == "dead"
    )
    scrape = samples(generate_latest(metrics.registry))
    assert (
        value(scrape, "aswbridge_messages_received_total", partner="unipass", kind="certificate")
        == 2
    )
    assert (
        value(scrape, "aswbridge_messages_refused_total", partner="unipass", kind="certificate")
        == 1
    )
    assert (
        value(scrape, "aswbridge_messages_received_total", partner="unipass", kind="response") == 1
    )
    assert value(scrape, "aswbridge_messages_dead_total", partner="nsw", kind="certificate") == 1
    assert value(scrape, "aswbridge_queue_depth", partner="nsw", state="dead") == 1
    assert value(scrape, "aswbridge_queue_depth", partner="unipass", state="ack_unconfirmed") == 3
    inner.close()


class _Signing:
    """A signing key and certificate, with the token readiness a PKCS#11 key reports."""

    def __init__(self, cert: Any, *, healthy: bool = True) -> None:
        self.cert = cert
        self._healthy = healthy

    def healthy(self) -> bool:
        return self._healthy


def _certificate(days_left: float) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bridge TH")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=400))
        .not_valid_after(now + timedelta(days=days_left))
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("days_left", "healthy", "ready"),
    [(30, True, True), (-1, True, False), (30, False, False)],
    ids=["valid", "expired", "token-away"],
)
def test_readiness_of_the_signing_key(
    tmp_path: Path, days_left: float, healthy: bool, ready: bool
) -> None:
    with SqliteStore(tmp_path / "relay.db") as store:
        signing: Any = _Signing(_certificate(days_left), healthy=healthy)
        metrics = RelayMetrics(store=store, signing=signing)
        metrics.answered("nsw")
        assert metrics.checks()["signing"][0] is ready
        assert metrics.checks()["store"] == (True, "reachable")
        scrape = samples(generate_latest(metrics.registry))
        expiry = value(
            scrape, "aswbridge_certificate_expiry_days", role="signing", subject="CN=bridge TH"
        )
        assert expiry is not None and abs(expiry - days_left) < 0.01


def test_not_ready_until_a_partner_answers(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "relay.db") as store:
        metrics = RelayMetrics(store=store)
        server = MetricsServer(metrics, listen="127.0.0.1:0")
        try:
            url = f"http://127.0.0.1:{server.port}/readyz"
            status, body = get(url)
            assert status == 503 and not json.loads(body)["checks"]["partners"]["ok"]
            metrics.answered("unipass")
            assert get(url)[0] == 200
            metrics.unreachable("unipass")
            assert get(url)[0] == 503
        finally:
            server.close()


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("[::1]:9464", ("::1", 9464)),
        ("localhost:0", ("localhost", 0)),
    ],
    ids=["ipv4", "ipv6", "name"],
)
def test_listen_addresses(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize(
    "listen",
    ["9464", "127.0.0.1", "host:port", "1.2.3.4:70000"],
    ids=["port-only", "host-only", "words", "port-too-big"],
)
def test_a_bad_listen_address_names_the_key(listen: str) -> None:
    with pytest.raises(ConfigurationError, match=r"metrics\.listen: expected host:port"):
        parse_listen(listen)


def test_the_metrics_section_is_read_from_the_configuration() -> None:
    data = {
        "bridge": {"country": "TH", "store": "r.db"},
        "nsw": {"url": "http://127.0.0.1:1"},
        "unipass": {"url": "http://127.0.0.1:2"},
        "metrics": {"listen": "127.0.0.1:9464"},
    }
    assert parse_config(data).metrics_listen == "127.0.0.1:9464"
    data["metrics"] = {"port": 9464}
    with pytest.raises(ConfigurationError, match=r"metrics\.port: unknown key"):
        parse_config(data)


def test_breaker_states_are_reported_one_hot(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "relay.db") as store:
        metrics = RelayMetrics(store=store)
        assert not any(
            k[0] == "aswbridge_breaker_state" for k in samples(generate_latest(metrics.registry))
        )  # not wired
        metrics.breakers = lambda: {"nsw": "closed", "unipass": "half_open"}
        scrape = samples(generate_latest(metrics.registry))
        states = {
            (dict(k[1])["partner"], dict(k[1])["state"]): v
            for k, v in scrape.items()
            if k[0] == "aswbridge_breaker_state"
        }
        assert states == {
            ("nsw", "closed"): 1,
            ("nsw", "open"): 0,
            ("nsw", "half_open"): 0,
            ("unipass", "closed"): 0,
            ("unipass", "open"): 0,
            ("unipass", "half_open"): 1,
        }


def test_a_closed_store_is_down_and_not_ready(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "relay.db")
    metrics = RelayMetrics(store=store)
    metrics.answered("nsw")
    store.close()
    scrape = samples(generate_latest(metrics.registry))
    assert value(scrape, "aswbridge_store_up") == 0
    ok, detail = metrics.checks()["store"]
    assert not ok and detail.startswith("store unreachable: ProgrammingError")


def test_the_grafana_dashboard_uses_only_series_the_relay_serves(tmp_path: Path) -> None:
    import re

    dashboard = json.loads(
        (Path(__file__).resolve().parent.parent / "examples" / "grafana-dashboard.json").read_text()
    )
    with SqliteStore(tmp_path / "relay.db") as store:
        served: set[str] = set()
        metrics = RelayMetrics(store=store)
        metrics.breakers = lambda: {"nsw": "closed"}
        for family in metrics.registry.collect():
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
            served.update(family.name + s for s in suffixes.get(family.type, [""]))
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"aswbridge_[a-z_]+", target["expr"])
    }
    assert len(dashboard["panels"]) >= 10
    assert used and used <= served, used - served
    assert {
        "aswbridge_messages_delivered_total",
        "aswbridge_queue_depth",
        "aswbridge_delivery_seconds_bucket",
    } <= used
