"""The relay's Prometheus metrics and readiness checks (needs the ``[metrics]`` extra).

Counters and the latency histogram are fed by :mod:`aswbridge.monitor.wrap` as messages
pass through the store and the sides; queue depths, certificate expiry and the store's
reachability are read when scraped. Every series is per relay process: sum them across
relays in the dashboard.

========================================================  ===================================
metric                                                    labels
========================================================  ===================================
``aswbridge_messages_received_total``                     partner (source), kind
``aswbridge_messages_refused_total`` (refused on receipt)  partner (source), kind
``aswbridge_messages_delivered_total``                    partner (destination), kind
``aswbridge_messages_dead_total`` (dead-lettered)          partner (destination), kind
``aswbridge_delivery_seconds`` (queued to delivered)       partner
``aswbridge_queue_depth``                                 partner, state
``aswbridge_queue_oldest_age_seconds``                    partner, state
``aswbridge_partner_up`` (last call answered)             partner
``aswbridge_breaker_state`` (1 for the current state)      partner, state
``aswbridge_partner_last_contact_timestamp_seconds``      partner
``aswbridge_store_up``
``aswbridge_certificate_expiry_days``                     role (signing, anchor), subject
``aswbridge_crl_next_update_days``                        issuer
========================================================  ===================================
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aswbridge.store.base import Store, utcnow

if TYPE_CHECKING:
    from cryptography import x509

    from aswbridge.pipeline import SigningKey
    from aswbridge.security import TrustStore

log = logging.getLogger("aswbridge.monitor")

#: Delivery latency buckets, seconds: from a round trip to a day of retries.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 3600, 4 * 3600, 86_400)


def _days(until: datetime, now: datetime) -> float:
    return (until - now).total_seconds() / 86_400


class RelayMetrics:
    """One relay's metrics registry, its counters, and its readiness checks.

    Args:
        store: the store scraped for queue depths (and probed for readiness).
        signing: the relay's signing key and certificate, if it signs.
        trust: the trust anchors and CRLs, if configured.
        now: the clock.
    """

    def __init__(
        self,
        *,
        store: Store,
        signing: SigningKey | None = None,
        trust: TrustStore | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.signing = signing
        self.trust = trust
        #: Each partner's circuit-breaker state (``closed``, ``open``, ``half_open``), read
        #: at scrape time; set by whoever runs the relay (None: not reported).
        self.breakers: Callable[[], Mapping[str, str]] | None = None
        self._now = now
        self.registry = CollectorRegistry()
        r = self.registry
        by_kind = ["partner", "kind"]
        self.received = Counter(
            "aswbridge_messages_received", "Messages taken from a partner.", by_kind, registry=r
        )
        self.refused = Counter(
            "aswbridge_messages_refused",
            "Messages refused on receipt (their source was told).",
            by_kind,
            registry=r,
        )
        self.delivered = Counter(
            "aswbridge_messages_delivered", "Messages a partner accepted.", by_kind, registry=r
        )
        self.dead = Counter(
            "aswbridge_messages_dead", "Messages dead-lettered.", by_kind, registry=r
        )
        self.latency = Histogram(
            "aswbridge_delivery_seconds",
            "Seconds from queued to delivered.",
            ["partner"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.partner_up = Gauge(
            "aswbridge_partner_up",
            "1 when the last call to the partner was answered, 0 when it failed.",
            ["partner"],
            registry=r,
        )
        self.last_contact = Gauge(
            "aswbridge_partner_last_contact_timestamp_seconds",
            "When the partner last answered a call (Unix time).",
            ["partner"],
            registry=r,
        )
        r.register(_Scraped(self))

    # --- fed by the wrappers -------------------------------------------------------------

    def answered(self, partner: str) -> None:
        """The partner answered a call."""
        self.partner_up.labels(partner).set(1)
        self.last_contact.labels(partner).set(time.time())

    def unreachable(self, partner: str) -> None:
        """A call to the partner failed (connection, timeout, 5xx)."""
        self.partner_up.labels(partner).set(0)

    # --- readiness -----------------------------------------------------------------------

    def checks(self) -> dict[str, tuple[bool, str]]:
        """Each readiness check: ``store``, ``signing``, ``partners`` -> (ok, detail)."""
        return {
            "store": self._store_check(),
            "signing": self._signing_check(),
            "partners": self._partners_check(),
        }

    def _store_check(self) -> tuple[bool, str]:
        try:
            self.store.queue_report()
        except Exception as exc:  # any failure of the store means not ready
            return False, f"store unreachable: {type(exc).__name__}: {exc}"[:300]
        return True, "reachable"

    def _signing_check(self) -> tuple[bool, str]:
        if self.signing is None:
            return True, "no signing key configured"
        now = self._now()
        cert = self.signing.cert
        if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
            return False, f"signing certificate not valid now (until {cert.not_valid_after_utc})"
        healthy = getattr(self.signing, "healthy", None)  # a key in a token may be away
        if healthy is not None and not healthy():
            return False, "signing key cannot sign now"
        return True, f"valid for {_days(cert.not_valid_after_utc, now):.0f} days"

    def _partners_check(self) -> tuple[bool, str]:
        up = sorted(
            sample.labels["partner"]
            for metric in self.partner_up.collect()
            for sample in metric.samples
            if sample.value == 1
        )
        if not up:
            return False, "no partner answered the last call"
        return True, f"answering: {', '.join(up)}"


class _Scraped(Collector):
    """The series read at scrape time: the store's queues and the certificates' expiry."""

    def __init__(self, metrics: RelayMetrics) -> None:
        self.m = metrics

    def collect(self) -> Iterator[Any]:
        now = self.m._now()
        store_up = GaugeMetricFamily("aswbridge_store_up", "1 when the store answers.")
        depth = GaugeMetricFamily(
            "aswbridge_queue_depth",
            "Unsettled messages by partner and state (pending, in_flight, dead, ack_unconfirmed).",
            labels=["partner", "state"],
        )
        age = GaugeMetricFamily(
            "aswbridge_queue_oldest_age_seconds",
            "Age of the oldest message in each queue.",
            labels=["partner", "state"],
        )
        try:
            report = self.m.store.queue_report()
        except Exception as exc:
            log.warning("metrics: the store does not answer: %s", exc)
            store_up.add_metric([], 0)
        else:
            store_up.add_metric([], 1)
            for row in report:
                depth.add_metric([row["dest"], row["state"]], row["n"])
                age.add_metric([row["dest"], row["state"]], (now - row["oldest"]).total_seconds())
        yield from (store_up, depth, age)
        if self.m.breakers is not None:
            breakers = GaugeMetricFamily(
                "aswbridge_breaker_state",
                "Each partner's circuit breaker: 1 for its current state.",
                labels=["partner", "state"],
            )
            for partner, current in sorted(self.m.breakers().items()):
                for state in ("closed", "open", "half_open"):
                    breakers.add_metric([partner, state], 1 if state == current else 0)
            yield breakers
        yield from self._expiry(now)

    def _expiry(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        certs = GaugeMetricFamily(
            "aswbridge_certificate_expiry_days",
            "Days until the certificate expires (negative: expired).",
            labels=["role", "subject"],
        )

        def add(role: str, cert: x509.Certificate) -> None:
            certs.add_metric(
                [role, cert.subject.rfc4514_string()], _days(cert.not_valid_after_utc, now)
            )

        if self.m.signing is not None:
            add("signing", self.m.signing.cert)
        crls = GaugeMetricFamily(
            "aswbridge_crl_next_update_days",
            "Days until the CRL's next update (negative: stale).",
            labels=["issuer"],
        )
        if self.m.trust is not None:
            for anchor in self.m.trust.anchors:
                add("anchor", anchor)
            for crl in self.m.trust.crls:
                if crl.next_update_utc is not None:
                    crls.add_metric([crl.issuer.rfc4514_string()], _days(crl.next_update_utc, now))
        yield certs
        yield crls
