"""The outbox state machine, as data: every transition a stored message can make.

Both stores' SQL take each transition's source states and target from this table (so a row
can only move as the table says), the journal names each move by its event, and
docs/operations.md shows the table, generated from here (a test keeps it current).

::

    (new) ─enqueued─► pending ─claimed─► in_flight ─delivered─► done
                        ▲  ▲               │  │
                        │  └─retry_scheduled┘  └─dead_lettered─► dead
                        │    released, requeued_at_start            │
                        └────────────── dead_letter_retried ────────┘
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["STATES", "TRANSITIONS", "OutboxState", "Transition", "markdown"]

OutboxState = Literal["pending", "in_flight", "done", "dead"]
STATES: tuple[OutboxState, ...] = ("pending", "in_flight", "done", "dead")


@attrs.frozen(kw_only=True)
class Transition:
    """One move: the journal's event name, the states it may start from, where it ends."""

    event: str
    sources: tuple[OutboxState, ...]
    target: OutboxState
    meaning: str


TRANSITIONS: dict[str, Transition] = {
    t.event: t
    for t in (
        Transition(
            event="enqueued",
            sources=(),
            target="pending",
            meaning="a message to send is stored, in the same transaction as what gave rise to it",
        ),
        Transition(
            event="claimed",
            sources=("pending",),
            target="in_flight",
            meaning="a relay leases a due row to send it; one attempt is counted",
        ),
        Transition(
            event="lease_expired_reclaimed",
            sources=("in_flight",),
            target="in_flight",
            meaning="the lease ran out (its relay died or stalled): another claim takes it",
        ),
        Transition(
            event="delivered",
            sources=("in_flight", "pending"),
            target="done",
            meaning="the receiver has it; its tracking number is kept",
        ),
        Transition(
            event="retry_scheduled",
            sources=("in_flight", "pending"),
            target="pending",
            meaning="a retryable failure: waits for its next attempt",
        ),
        Transition(
            event="dead_lettered",
            sources=("in_flight", "pending"),
            target="dead",
            meaning="refused by the receiver, or out of attempts; the producer is told",
        ),
        Transition(
            event="released",
            sources=("in_flight",),
            target="pending",
            meaning="given back unsent at shutdown; the attempt is not counted",
        ),
        Transition(
            event="requeued_at_start",
            sources=("in_flight",),
            target="pending",
            meaning="a single relay starting again takes back what its dead predecessor held",
        ),
        Transition(
            event="dead_letter_retried",
            sources=("dead",),
            target="pending",
            meaning="an operator puts a dead letter back (`aswbridge dead-letter retry`)",
        ),
    )
}


def markdown() -> str:
    """The transition table as Markdown (the one in docs/operations.md)."""
    rows = ["| event | from | to | meaning |", "|---|---|---|---|"]
    for t in TRANSITIONS.values():
        sources = ", ".join(f"`{s}`" for s in t.sources) or "(new)"
        rows.append(f"| `{t.event}` | {sources} | `{t.target}` | {t.meaning} |")
    return "\n".join(rows) + "\n"
