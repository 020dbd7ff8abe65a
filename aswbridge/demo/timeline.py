"""The demo's timeline: what happened, when, between whom, and how long it took.

A :class:`Timeline` collects :class:`Event` records (an arrow from one party to another,
or a note on one party, such as the checks the bridge ran) grouped in numbered
:class:`Step` records, and prints each one as a readable line the moment it happens.
The HTML report draws the same records as a sequence diagram.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

import attrs

__all__ = ["Event", "Status", "Step", "Timeline"]

Status = Literal["ok", "refused", "failed", "info"]

_MARK = {"ok": "", "refused": "✗ ", "failed": "✗ ", "info": ""}


@attrs.frozen(kw_only=True)
class Event:
    """One thing that happened.

    Attributes:
        at: seconds since the demo started.
        step: the number of the step it belongs to (0: setting up).
        actor: the party that acted (a lifeline name such as ``NSW-ID``).
        target: the party it sent something to; ``None`` for a note on ``actor``.
        text: one line saying what happened.
        duration_ms: how long the call or the check took, when measured.
        status: ``ok``, ``refused`` (a check said no), ``failed`` (a call failed),
            ``info`` (an answer or an acknowledgement).
        file: the message file written for it, relative to the output folder.
    """

    at: float
    step: int
    actor: str
    target: str | None
    text: str
    duration_ms: float | None = None
    status: Status = "ok"
    file: str | None = None

    @property
    def is_arrow(self) -> bool:
        """True for a message between two parties, False for a note on one."""
        return self.target is not None


@attrs.define(kw_only=True)
class Step:
    """One part of the story, and whether it happened as expected."""

    number: int
    title: str
    started: float
    ended: float | None = None
    ok: bool | None = None
    outcome: str = ""

    @property
    def seconds(self) -> float:
        """How long the step took (so far)."""
        return (self.ended if self.ended is not None else self.started) - self.started


def _fmt_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


class Timeline:
    """Collects the story's steps and events and prints them as they happen.

    Args:
        echo: where the lines go (``print`` by default; ``None`` keeps quiet).
        clock: a monotonic clock in seconds.
    """

    def __init__(
        self,
        *,
        echo: Callable[[str], None] | None = print,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._echo = echo
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self.events: list[Event] = []
        self.steps: list[Step] = []

    def elapsed(self) -> float:
        """Seconds since the timeline started."""
        return self._clock() - self._start

    @property
    def current(self) -> int:
        """The number of the step under way (0 before the first)."""
        return self.steps[-1].number if self.steps else 0

    def say(self, line: str = "") -> None:
        """Print a line of narration (not recorded as an event)."""
        if self._echo is not None:
            self._echo(line)

    def begin(self, title: str) -> Step:
        """Start the next step and print its title."""
        with self._lock:
            step = Step(number=len(self.steps) + 1, title=title, started=self.elapsed())
            self.steps.append(step)
        self.say("")
        self.say(f"[{step.number}] {title}")
        return step

    def end(self, step: Step, *, ok: bool, outcome: str) -> None:
        """Close a step with its result and print it."""
        step.ended, step.ok, step.outcome = self.elapsed(), ok, outcome
        mark = "✓" if ok else "✗ FAILED:"
        self.say(f"{'':8}{mark} {outcome} ({step.seconds:.2f} s)")

    def event(
        self,
        *,
        actor: str,
        target: str | None,
        text: str,
        duration_ms: float | None = None,
        status: Status = "ok",
        file: str | None = None,
    ) -> Event:
        """Record one event and print its line."""
        with self._lock:
            event = Event(
                at=self.elapsed(),
                step=self.current,
                actor=actor,
                target=target,
                text=text,
                duration_ms=duration_ms,
                status=status,
                file=file,
            )
            self.events.append(event)
            self.say(format_event(event))  # whole lines, though the sides work in parallel
        return event


def format_event(event: Event) -> str:
    """The timeline line of one event: elapsed time, who to whom, what, how long."""
    who = f"{event.actor} → {event.target}" if event.target else f"{event.actor}:"
    took = _fmt_ms(event.duration_ms)
    line = f"{event.at:7.2f}s  {who:<22} {_MARK[event.status]}{event.text}"
    return f"{line}  [{took}]" if took else line
