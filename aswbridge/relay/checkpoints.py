"""Named points in the relay's work where an observer may look in (tests, tracing).

Nothing observes them in production: :func:`checkpoint` then costs a call and an empty loop.
The crash tests register an observer that kills the process at one point, then check that a
restarted relay loses nothing and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["POINTS", "checkpoint", "observe"]

#: Where the relay calls :func:`checkpoint`, in the order a message meets them.
POINTS = (
    "after_record_before_ack",  # inbox + outbox committed, source not acknowledged
    "after_claim_before_send",  # outbox row leased, nothing sent
    "after_send_before_ack",  # receiver has it, the row is not marked done
)

_observers: list[Callable[[str], None]] = []


def observe(observer: Callable[[str], None]) -> Callable[[], None]:
    """Call ``observer(point)`` at every checkpoint; returns a function that stops it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def checkpoint(point: str) -> None:
    """The relay is at ``point`` (one of :data:`POINTS`)."""
    for observer in _observers:
        observer(point)
