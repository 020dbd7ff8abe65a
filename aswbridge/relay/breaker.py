"""A circuit breaker per side: a partner that keeps failing is left alone for a while.

``closed`` (normal) → after ``threshold`` deliveries in a row that failed for a transport
reason (connection, timeout, 5xx, an unknown outcome), ``open``: nothing is sent to that
side for ``cooldown`` seconds, its messages stay queued as ``pending`` (never dead while
the retry horizon lasts), and the other sides are served at their full rate. Then
``half_open``: one message is sent as a probe; a success closes the breaker, a failure
opens it again. A refusal by the partner (a rejected message) is the message's fault, not
the partner's health, and leaves the breaker as it is.

Each relay process keeps its own breakers (the rule with several relays on one store: each
finds out for itself, at the cost of ``threshold`` calls); every change is written in the
journal under ``partner:<side>``, which is where ``aswbridge status`` reads it.
"""

from __future__ import annotations

import threading
from typing import Literal

__all__ = ["Breaker", "BreakerState"]

BreakerState = Literal["closed", "open", "half_open"]


class Breaker:
    """One side's breaker. Thread-safe; times are monotonic seconds."""

    def __init__(self, *, threshold: int = 5, cooldown: float = 30.0) -> None:
        if threshold < 1 or not cooldown > 0:
            raise ValueError("threshold and cooldown must be positive")
        self.threshold = threshold
        self.cooldown = cooldown
        self.state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._lock = threading.Lock()

    def allowance(self, *, normal: int, now: float) -> int:
        """How many messages may be sent to the side now: ``normal`` when closed, one
        probe when the cooldown is over, none while open."""
        with self._lock:
            if self.state == "closed":
                return normal
            if now - self._opened_at >= self.cooldown:  # a probe (again, if one was lost)
                self.state, self._opened_at = "half_open", now
                return 1
            return 0

    def record(self, *, ok: bool, now: float) -> BreakerState | None:
        """Count one delivery's outcome; returns the new state when it changed."""
        with self._lock:
            before = self.state
            if ok:
                self._failures = 0
                self.state = "closed"
            else:
                self._failures += 1
                if self.state == "half_open" or self._failures >= self.threshold:
                    self.state = "open"
                    self._opened_at = now
            return self.state if self.state != before else None
