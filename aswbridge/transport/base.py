"""The transport interface: one side of the bridge (NSW or UNI-PASS), and its errors.

A :class:`Side` moves messages to and from one partner system. Every side offers the
same six calls, whatever its wire (SOAP for UNI-PASS, an HTTP mailbox or a folder
mailbox for an NSW):

* :meth:`Side.deliver` sends one message; the receiver recognises a repeated
  ``message_id`` and answers it as delivered again (``duplicate=True``), so a resend
  after an unknown outcome is always safe;
* :meth:`Side.pending`, :meth:`Side.fetch`, :meth:`Side.acknowledge` and
  :meth:`Side.reject` pull what the partner queued for the bridge;
* :meth:`Side.track` asks whether a message id has arrived.

Bodies are bytes in the side's own profile (``asw`` or ``unipass``), exactly as they
go on the wire: a resend is byte-identical to the first send. Transports move bytes
only: they never decode a message (the bridge reads it once, verified, through the
pipeline).

Errors (all :class:`~aswbridge.errors.TransportError`)::

    TransportError
    ├── RetryableTransportError     connection refused/reset, timeout, 5xx, transient fault
    │   └── OutcomeUnknown          the request went out, the answer was lost: resend
    ├── RemoteRejected              4xx, client fault, business rejection: never retry
    └── ResponseRefused             the peer's answer is unreadable or hostile XML
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import attrs

from aswbridge.errors import (
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
    TransportError,
)

__all__ = [
    "Delivered",
    "Inbound",
    "Outbound",
    "OutcomeUnknown",
    "RemoteRejected",
    "ResponseRefused",
    "RetryableTransportError",
    "Side",
    "TrackState",
    "TransportError",
]

#: What :meth:`Side.track` answers.
TrackState = Literal["delivered", "pending", "unknown"]


@attrs.frozen(kw_only=True)
class Outbound:
    """One message for a side to deliver; ``body`` is that side's profile XML."""

    message_id: str
    kind: str
    sender: str
    receiver: str
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")


@attrs.frozen(kw_only=True)
class Inbound:
    """One message a side queued for the bridge: its bytes, as they came.

    ``ref`` is the side's own handle for it (a mailbox id, a file name, a hub
    envelope id): pass it back to :meth:`Side.acknowledge` or :meth:`Side.reject`.
    ``message_id``, ``kind`` and ``sender`` are what the wire's own metadata says, if it
    says anything (headers; empty otherwise): a transport never decodes the body. The
    bridge takes identity from the verified message and refuses one whose metadata
    contradicts it.
    """

    ref: str
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    message_id: str = ""
    kind: str = ""
    sender: str = ""


@attrs.frozen(kw_only=True)
class Delivered:
    """The receiver's answer to a delivery: its tracking number, and whether it had
    already received this message id before (a resend recognised)."""

    message_id: str
    tracking: str
    duplicate: bool = False


@runtime_checkable
class Side(Protocol):
    """One side of the bridge. Implementations are thread-safe for concurrent calls."""

    name: str

    def deliver(self, item: Outbound) -> Delivered:
        """Send one message; idempotent by ``message_id`` on the receiver."""
        ...

    def pending(self, *, limit: int = 100) -> list[str]:
        """The refs of messages waiting for the bridge to pull, oldest first."""
        ...

    def fetch(self, ref: str) -> Inbound:
        """Pull one waiting message (it stays waiting until acknowledged or rejected)."""
        ...

    def acknowledge(self, ref: str) -> None:
        """Tell the side the message is safely recorded; it is no longer pending."""
        ...

    def reject(self, ref: str, *, code: str, reason: str) -> None:
        """Acknowledge-failed: the message was refused (code and reason go back)."""
        ...

    def track(self, message_id: str) -> TrackState:
        """Whether the partner has ``message_id``: delivered, pending, or unknown."""
        ...

    def close(self) -> None:
        """Release connections and files. Safe to call twice."""
        ...
