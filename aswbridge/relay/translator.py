"""The relay's seam to the pipeline: translate bytes and read their routing data."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import attrs

log = logging.getLogger("aswbridge.relay")

#: The profile each side speaks.
PROFILE_OF = {"nsw": "asw", "unipass": "unipass"}
OTHER_SIDE = {"nsw": "unipass", "unipass": "nsw"}


class Translator(Protocol):
    """Translate one message between profiles (checks, maps, signs): pure bytes to bytes."""

    def __call__(self, data: bytes, *, source: str, target: str) -> bytes: ...


@attrs.frozen(kw_only=True)
class Routing:
    """What the relay needs to know about a message it is about to queue."""

    message_id: str
    kind: str
    sender: str
    receiver: str


def read_routing(data: bytes) -> Routing:
    """Routing data (id, kind, sender and receiver countries) of a profile message."""
    pipeline: Any = importlib.import_module("aswbridge.pipeline")
    _profile, message = pipeline.read(data)
    envelope = message.envelope
    return Routing(
        message_id=str(envelope.message_id),
        kind=str(message.kind),
        sender=str(envelope.sender.country),
        receiver=str(envelope.receiver.country),
    )


def pipeline_translator(**options: Any) -> Translator:
    """The library's own :func:`aswbridge.translate`, with fixed options (trust, signing)."""
    facade: Any = importlib.import_module("aswbridge")
    translate: Callable[..., bytes] = facade.translate

    def run(data: bytes, *, source: str, target: str) -> bytes:
        return translate(data, source=source, target=target, **options)

    return run
