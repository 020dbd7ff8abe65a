"""The state of a mock service: what it received, and what it holds for the bridge."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Literal

import attrs

__all__ = ["Mailbox", "Queued", "Received"]


@attrs.frozen(kw_only=True)
class Received:
    """A message delivered to the mock (first delivery; repeats are counted only)."""

    message_id: str
    kind: str
    sender: str
    tracking: str
    body: bytes = attrs.field(repr=False)


@attrs.define(kw_only=True)
class Queued:
    """A message the mock holds for the bridge to pull."""

    ref: str
    message_id: str
    kind: str
    sender: str
    receiver: str
    body: bytes = attrs.field(repr=False)
    state: Literal["pending", "acknowledged", "rejected"] = "pending"
    code: str = ""
    reason: str = ""


class Mailbox:
    """The state of one mock: what it received and what it queued. Thread-safe."""

    def __init__(self, *, tracking_prefix: str) -> None:
        self.lock = threading.RLock()
        self.received: dict[str, Received] = {}
        self.queued: dict[str, Queued] = {}
        self._queued_ids: dict[str, str] = {}
        self.deliveries = 0
        self._prefix = tracking_prefix
        self._numbers = itertools.count(1)

    def next_number(self) -> str:
        """A fresh tracking number."""
        with self.lock:
            return f"{self._prefix}{next(self._numbers):012d}"

    def receive(
        self, *, message_id: str, kind: str, sender: str, body: bytes
    ) -> tuple[Received, bool]:
        """Record a delivery; returns the record and whether it is a repeat."""
        with self.lock:
            self.deliveries += 1
            seen = self.received.get(message_id)
            if seen is not None:
                return seen, True
            record = Received(
                message_id=message_id,
                kind=kind,
                sender=sender,
                tracking=self.next_number(),
                body=body,
            )
            self.received[message_id] = record
            return record, False

    def queue(
        self, *, message_id: str, kind: str, sender: str, receiver: str, body: bytes
    ) -> Queued:
        """Queue a message for the bridge to pull (a queued message id is kept once)."""
        with self.lock:
            known = self._queued_ids.get(message_id)
            if known is not None:
                return self.queued[known]
            item = Queued(
                ref=self.next_number(),
                message_id=message_id,
                kind=kind,
                sender=sender,
                receiver=receiver,
                body=body,
            )
            self.queued[item.ref] = item
            self._queued_ids[message_id] = item.ref
            return item

    def pending(self, limit: int, *, receiver: str | None = None) -> list[Queued]:
        """Queued messages not yet acknowledged or rejected, oldest first (only those
        addressed to ``receiver`` when it is given)."""
        with self.lock:
            found: list[Queued] = []
            for item in self.queued.values():
                if item.state == "pending" and receiver in (None, item.receiver):
                    found.append(item)
                    if len(found) >= limit:
                        break
            return found

    def settle(
        self,
        ref: str,
        *,
        state: Literal["acknowledged", "rejected"],
        code: str = "",
        reason: str = "",
    ) -> Queued | None:
        """Acknowledge or reject a queued message (a second settle keeps the first)."""
        with self.lock:
            item = self.queued.get(ref)
            if item is not None and item.state == "pending":
                item.state, item.code, item.reason = state, code, reason
            return item

    def stats(self) -> dict[str, Any]:
        """The ``/_mock/stats`` document."""
        with self.lock:
            by_kind: dict[str, int] = {}
            for record in self.received.values():
                by_kind[record.kind] = by_kind.get(record.kind, 0) + 1
            states = [q.state for q in self.queued.values()]
            return {
                "received": self.deliveries,
                "distinct": len(self.received),
                "by_kind": by_kind,
                "queued": len(states),
                "pending": states.count("pending"),
                "acknowledged": states.count("acknowledged"),
                "rejected": states.count("rejected"),
            }
