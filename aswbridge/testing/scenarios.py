"""Scenarios for the mock services: what the partner does with the next requests.

A scenario is a plain value; play it on any scripted mock, the real loopback servers
(:class:`~aswbridge.testing.ScriptedUnipass`, :class:`~aswbridge.testing.ScriptedNsw`)
and the in-process UNI-PASS (:class:`~aswbridge.testing.UnipassResponses`) alike::

    mock_unipass.play(unavailable(times=2))       # two 503s, then success
    mock_nsw.play(refuse_item(3, "FOB value does not match the invoice"))

Two families:

* **decisions** (:func:`accept`, :func:`refuse_item`) say how the importing customs
  answers every certificate from now on (a customs response queued for the bridge to
  pull); the default is :func:`accept`, preference given to every item;
* **faults** (:func:`unavailable`, :func:`timeout`, :func:`dropped_connection`,
  :func:`reject`) hit the next ``times`` requests, then the mock answers normally
  again. By default they hit deliveries only (UNI-PASS ``Submit*`` operations, the NSW
  ``POST /inbox``); ``on="any"`` hits every call of the service's API (listing,
  pulling, acknowledging too). The ``/_mock/`` endpoints are never hit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from typing import Literal

import attrs

from aswbridge.errors import ConfigurationError

__all__ = [
    "Decision",
    "Fault",
    "Scenario",
    "Script",
    "accept",
    "dropped_connection",
    "refuse_item",
    "reject",
    "timeout",
    "unavailable",
]

Target = Literal["deliver", "any"]
FaultKind = Literal["unavailable", "timeout", "drop", "reject"]


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ConfigurationError(f"{attribute.name} must be at least 1, got {value}")


def _refusals(value: Mapping[int, str]) -> dict[int, str]:
    return dict(value)


@attrs.frozen(kw_only=True)
class Decision:
    """How the importing customs decides on every certificate it receives from now on.

    Attributes:
        refuse: item numbers refused (preference not given), each with its reason.
    """

    refuse: Mapping[int, str] = attrs.field(factory=dict, converter=_refusals)


@attrs.frozen(kw_only=True)
class Fault:
    """What happens to the next ``times`` matching requests.

    Attributes:
        kind: ``unavailable`` (HTTP 503, transient), ``timeout`` (no answer until the
            client gives up), ``drop`` (the connection is closed without an answer) or
            ``reject`` (a business refusal: SOAP client fault or HTTP 4xx).
        times: how many requests it hits.
        on: ``deliver`` (deliveries only) or ``any`` (every API call).
        processed: for ``timeout`` and ``drop``: whether the mock processes the request
            before failing to answer (the sender cannot tell which).
        stall: for ``timeout``: seconds the real server holds the connection open.
        code, reason: for ``reject``: the refusal's code and text.
    """

    kind: FaultKind
    times: int = attrs.field(default=1, validator=_positive)
    on: Target = "deliver"
    processed: bool = False
    stall: float = 3.0
    code: str = "REJECTED"
    reason: str = "refused by the partner"


Scenario = Decision | Fault


def accept() -> Decision:
    """Customs gives preference to every item of every certificate (the default)."""
    return Decision()


def refuse_item(number: int, reason: str, *more: tuple[int, str]) -> Decision:
    """Customs refuses item ``number`` of every certificate with ``reason``.

    ``more`` refuses further items: ``refuse_item(3, "FOB", (7, "HS code"))``. Items a
    certificate does not have are ignored for that certificate.
    """
    refused = {number: reason, **dict(more)}
    for item, text in refused.items():
        if item < 1 or not text:
            raise ConfigurationError(f"refuse item numbers from 1 with a reason: {item}, {text!r}")
    return Decision(refuse=refused)


def unavailable(*, times: int = 1, on: Target = "deliver") -> Fault:
    """The next ``times`` requests get HTTP 503 (a transient fault), then success."""
    return Fault(kind="unavailable", times=times, on=on)


def timeout(
    *, times: int = 1, on: Target = "deliver", processed: bool = False, stall: float = 3.0
) -> Fault:
    """The next ``times`` requests get no answer until the client's read timeout.

    The real server holds the connection for ``stall`` seconds (or until it stops);
    the in-process variant raises ``requests.ReadTimeout`` at once. With ``processed``
    the message is taken in all the same, as when a partner answers too late.
    """
    if stall <= 0:
        raise ConfigurationError("stall must be positive")
    return Fault(kind="timeout", times=times, on=on, processed=processed, stall=stall)


def dropped_connection(*, times: int = 1, on: Target = "deliver", processed: bool = True) -> Fault:
    """The next ``times`` requests have their connection closed without an answer.

    By default the request is processed first (the message arrived, the answer was
    lost): the bridge asks, or resends under the same message id, and the mock
    recognises the repeat.
    """
    return Fault(kind="drop", times=times, on=on, processed=processed)


def reject(
    code: str = "REJECTED",
    reason: str = "refused by the partner",
    *,
    times: int = 1,
    on: Target = "deliver",
) -> Fault:
    """The next ``times`` requests are refused for good (never retried by the bridge)."""
    return Fault(kind="reject", times=times, on=on, code=code, reason=reason)


@attrs.define(kw_only=True)
class _Pending:
    fault: Fault
    remaining: int


class Script:
    """The scenarios in play on one mock: a decision and a queue of faults. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decision = Decision()
        self._faults: deque[_Pending] = deque()
        self.played: dict[str, int] = {"unavailable": 0, "timeout": 0, "drop": 0, "reject": 0}

    def play(self, *scenarios: Scenario) -> None:
        """Set a decision, or queue faults (hit in the order played)."""
        with self._lock:
            for scenario in scenarios:
                if isinstance(scenario, Decision):
                    self._decision = scenario
                elif isinstance(scenario, Fault):
                    self._faults.append(_Pending(fault=scenario, remaining=scenario.times))
                else:
                    raise ConfigurationError(f"not a scenario: {scenario!r}")

    @property
    def decision(self) -> Decision:
        """The decision in force."""
        with self._lock:
            return self._decision

    def take(self, *, delivery: bool) -> Fault | None:
        """The fault that hits this request, if any (and count it as played)."""
        with self._lock:
            for entry in self._faults:
                if entry.fault.on == "any" or delivery:
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        self._faults.remove(entry)
                    self.played[entry.fault.kind] += 1
                    return entry.fault
            return None

    @property
    def waiting(self) -> int:
        """Faults still to hit a request."""
        with self._lock:
            return sum(entry.remaining for entry in self._faults)

    def clear(self) -> None:
        """Forget queued faults and go back to :func:`accept`."""
        with self._lock:
            self._faults.clear()
            self._decision = Decision()
