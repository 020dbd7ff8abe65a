"""How a mock partner reads routing data (message id, kind, sender, receiver) from a body.

The mocks stand for partner systems; the bridge itself takes identity and routing only
from the message its pipeline verified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["Peek", "Reader", "peek"]


@attrs.frozen(kw_only=True)
class Peek:
    """Routing data of one message, and the decoded message when there is one."""

    message_id: str
    kind: str
    sender: str
    receiver: str
    profile: str = ""
    message: Any = attrs.field(default=None, eq=False, repr=False)


#: A function that reads a body's routing data (raises a MessageError if refused).
Reader = Callable[[bytes], Peek]


def peek(body: bytes) -> Peek:
    """Routing data of a message in either profile, read through the pipeline.

    The body goes through the hardened parser, its profile's schema and the decoder
    (:func:`aswbridge.pipeline.read`).

    Raises:
        MessageError: the body is refused (hostile, malformed, invalid).
    """
    from aswbridge import pipeline

    profile, message = pipeline.read(body)
    envelope = message.envelope
    return Peek(
        message_id=envelope.message_id,
        kind=message.kind,
        sender=envelope.sender.country,
        receiver=envelope.receiver.country,
        profile=profile,
        message=message,
    )
