"""Metered views of a store and of a side: each call is passed on, and what it did counted.

The relay is given these instead of the originals, so it needs no metrics code of its own:
a message recorded new is *received* (and *refused* if recorded rejected); a claimed row
acknowledged is *delivered* (its latency is from queued to now); a failure that returns
``dead`` is *dead*. A side's call that returns is an answer from that partner; one that
fails with a retryable fault marks the partner down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, cast

from aswbridge.errors import StoreConflict
from aswbridge.monitor.metrics import RelayMetrics
from aswbridge.store.base import OutboxEntry, Received, Store
from aswbridge.store.states import OutboxState
from aswbridge.transport.base import Side, TransportError
from aswbridge.transport.retry import is_retryable

#: Claimed rows remembered for their latency; beyond this the oldest are forgotten.
_CLAIMED_MAX = 10_000


class MeteredStore:
    """A :class:`~aswbridge.store.base.Store` that counts what passes through it."""

    def __init__(self, store: Store, metrics: RelayMetrics) -> None:
        self._store = store
        self._m = metrics
        self._claimed: dict[str, tuple[str, str, float]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def record_inbound(self, **kwargs: Any) -> bool:
        new = self._store.record_inbound(**kwargs)
        if new:
            self._count(kwargs["source"], kwargs["kind"], kwargs.get("outcome", "accepted"))
        return new

    def record_inbound_many(self, received: Sequence[Received]) -> list[bool | StoreConflict]:
        results = self._store.record_inbound_many(received)
        for item, result in zip(received, results, strict=True):
            if result is True:
                self._count(item.source, item.kind, item.outcome)
        return results

    def _count(self, source: str, kind: str, outcome: str) -> None:
        self._m.received.labels(source, kind).inc()
        if outcome == "rejected":
            self._m.refused.labels(source, kind).inc()

    def claim(self, **kwargs: Any) -> list[OutboxEntry]:
        rows = self._store.claim(**kwargs)
        with self._lock:
            for row in rows:
                self._claimed[row.message_id] = (row.dest, row.kind, row.created_at.timestamp())
            while len(self._claimed) > _CLAIMED_MAX:
                del self._claimed[next(iter(self._claimed))]
        return rows

    def _settled(self, message_id: str) -> tuple[str, str, float] | None:
        with self._lock:
            return self._claimed.pop(message_id, None)

    def ack(self, message_id: str, *, tracking: str | None = None) -> None:
        self.ack_many([(message_id, tracking)])

    def ack_many(self, delivered: Sequence[tuple[str, str | None]]) -> None:
        self._store.ack_many(delivered)
        now = time.time()
        for message_id, _ in delivered:
            if (known := self._settled(message_id)) is not None:
                dest, kind, queued = known
                self._m.delivered.labels(dest, kind).inc()
                self._m.latency.labels(dest).observe(max(0.0, now - queued))

    def fail(self, message_id: str, **kwargs: Any) -> OutboxState:
        state = self._store.fail(message_id, **kwargs)
        known = self._settled(message_id)
        if state == "dead" and known is not None:
            self._m.dead.labels(known[0], known[1]).inc()
        return state

    def release(self, message_id: str) -> None:
        self._store.release(message_id)
        self._settled(message_id)


class MeteredSide:
    """A :class:`~aswbridge.transport.base.Side` whose answers and failures are seen."""

    def __init__(self, side: Side, partner: str, metrics: RelayMetrics) -> None:
        self._side = side
        self._partner = partner
        self._m = metrics
        self.name = side.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._side, name)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = getattr(self._side, method)(*args, **kwargs)
        except TransportError as exc:
            if is_retryable(exc):
                self._m.unreachable(self._partner)
            else:  # a refusal is an answer
                self._m.answered(self._partner)
            raise
        self._m.answered(self._partner)
        return result

    def deliver(self, item: Any) -> Any:
        return self._call("deliver", item)

    def pending(self, *, limit: int = 100) -> list[str]:
        return cast(list[str], self._call("pending", limit=limit))

    def fetch(self, ref: str) -> Any:
        return self._call("fetch", ref)

    def acknowledge(self, ref: str) -> None:
        self._call("acknowledge", ref)

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        self._call("reject", ref, code=code, reason=reason)

    def track(self, message_id: str) -> Any:
        return self._call("track", message_id)

    def close(self) -> None:
        self._side.close()


def metered_store(store: Store, metrics: RelayMetrics) -> Store:
    """``store`` with its traffic counted in ``metrics``."""
    return cast(Store, MeteredStore(store, metrics))


def metered_side(side: Side, partner: str, metrics: RelayMetrics) -> Side:
    """``side`` with its partner's answers seen by ``metrics``."""
    return cast(Side, MeteredSide(side, partner, metrics))
