"""A bridge wired for tests, and a throwaway PKI with the keys and trust it needs.

:func:`bridge_between` builds a real :class:`~aswbridge.relay.Bridge` (the real NSW and
UNI-PASS transports, the real pipeline, a SQLite store) with settings for tests: short
timeouts and a retry schedule of milliseconds, so a test can run a pass, see a fault,
and run the next pass to see it ridden out. :class:`ThrowawayPki` wraps
:func:`aswbridge.security.pki.create` with the loaded signing keys and trust anchors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.relay import Bridge, PassReport, pipeline_translator
from aswbridge.transport._http import HttpPolicy
from aswbridge.transport.base import Side
from aswbridge.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from aswbridge.pipeline import SigningKey
    from aswbridge.security import TrustStore
    from aswbridge.security.pki import Pki
    from aswbridge.store import Store

__all__ = [
    "FAST_HTTP",
    "FAST_RETRY",
    "BridgeUnderTest",
    "ThrowawayPki",
    "bridge_between",
]

#: Retries after a millisecond or so, ten attempts in all: a fault is ridden out
#: within a few passes.
FAST_RETRY = RetryPolicy(max_attempts=10, initial=0.001, maximum=0.01, jitter=0.0, horizon=300)
#: Timeouts for loopback partners: an answer held back is a timeout within a second.
FAST_HTTP = HttpPolicy(connect_timeout=1.0, read_timeout=1.0, deadline=5.0)


class HasUrl(Protocol):
    """A mock service (anything with a ``url``)."""

    @property
    def url(self) -> str: ...


@attrs.frozen(kw_only=True)
class ThrowawayPki:
    """A TEST-ONLY PKI on disk, with its keys loaded for signing and its roots as trust.

    Attributes:
        pki: the layout written by :func:`aswbridge.security.pki.create`.
    """

    pki: Pki

    @classmethod
    def create(cls, path: str | Path, **options: Any) -> ThrowawayPki:
        """Write a new PKI under ``path`` (options as for ``pki.create``)."""
        from aswbridge.security import pki

        return cls(pki=pki.create(path, **options))

    @property
    def path(self) -> Path:
        """The PKI's folder."""
        return self.pki.path

    def signing_key(self, country: str, name: str = "authority") -> SigningKey:
        """A signer of ``country``: ``authority`` (the issuing authority or customs),
        ``exporter``, or a deliberately bad one (``expired``, ``revoked``, ...)."""
        from aswbridge.pipeline import SigningKey

        key, cert, chain = self.pki.signer(country, name)
        return SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))

    @property
    def bridge_key(self) -> SigningKey:
        """The bridge's own signer (it signs what it delivers)."""
        from aswbridge.pipeline import SigningKey

        key, cert = self.pki.bridge
        return SigningKey.from_files(key=str(key), cert=str(cert))

    def trust(self, *countries: str) -> TrustStore:
        """Trust anchors: the roots of ``countries`` (default: every country)."""
        from aswbridge.security import TrustStore

        paths = [self.pki.country(cc) for cc in countries] or [self.path]
        return TrustStore.from_paths(paths)


class BridgeUnderTest(Bridge):
    """A :class:`Bridge` with the helpers tests want: run until idle, close everything."""

    def run_until_idle(self, *, max_passes: int = 50, settle: float = 0.005) -> PassReport:
        """Run passes until nothing moves and no outbox row waits; returns the sum.

        Rows scheduled for a retry are waited for (the test schedule is milliseconds).
        Stops after ``max_passes`` whatever the state, so a stuck test still ends.
        """
        total = PassReport()
        for _ in range(max_passes):
            report = self.run_once()
            for field in attrs.fields(PassReport):
                setattr(total, field.name, getattr(total, field.name) + getattr(report, field.name))
            counts = self.store.counts()
            waiting = counts.get("pending", 0) + counts.get("in_flight", 0)
            if not report.busy and not report.errors and not waiting:
                break
            if not report.busy:
                time.sleep(settle)
        return total

    def close(self) -> None:
        """Close the store and the transports' connections."""
        for side in self.sides.values():
            closer: Callable[[], None] | None = getattr(side, "close", None)
            if closer is not None:
                closer()
        self.store.close()


def _url(partner: str | HasUrl) -> str:
    return partner if isinstance(partner, str) else partner.url


def bridge_between(
    *,
    nsw: str | HasUrl | Side,
    unipass: str | HasUrl | Side,
    store: str | Path | Store,
    country: str | None = None,
    trust: TrustStore | None = None,
    signing: SigningKey | None = None,
    policy: RetryPolicy = FAST_RETRY,
    http: HttpPolicy = FAST_HTTP,
    workers: int = 2,
    batch: int = 50,
) -> BridgeUnderTest:
    """A bridge between an NSW mailbox and UNI-PASS, set up for tests.

    Args:
        nsw: the NSW mailbox: a URL, a mock (its ``url``), or a ready
            :class:`~aswbridge.transport.base.Side` (a folder mailbox, say).
        unipass: UNI-PASS: a URL, a mock, or a ready side.
        store: a SQLite file path, or a ready store.
        country: the NSW's country (default: the mock's ``country``, else ``ID``).
        trust: verify incoming signatures against these anchors; without it messages
            pass unverified (``allow_unsigned``), which only a test may do.
        signing: the key the bridge signs what it delivers with.
        policy, http: the retry schedule and the HTTP timeouts (fast ones by default).
    """
    from aswbridge.store import open_store
    from aswbridge.transport.base import Side
    from aswbridge.transport.nsw import NswHttpSide
    from aswbridge.transport.unipass import UnipassSide

    nsw_side = nsw if isinstance(nsw, Side) else NswHttpSide(url=_url(nsw), policy=http)
    unipass_side = (
        unipass if isinstance(unipass, Side) else UnipassSide(url=_url(unipass), policy=http)
    )
    opened = open_store(str(store)) if isinstance(store, str | Path) else store
    country = (country or getattr(nsw, "country", None) or "ID").upper()
    if len(country) != 2 or not country.isalpha():
        raise ConfigurationError(f"country must be ISO 3166 alpha-2, got {country!r}")
    translate = pipeline_translator(trust=trust, signing=signing, allow_unsigned=trust is None)
    return BridgeUnderTest(
        nsw=nsw_side,
        unipass=unipass_side,
        store=opened,
        translate=translate,
        country=country,
        policy=policy,
        batch=batch,
        workers=workers,
    )
