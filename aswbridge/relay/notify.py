"""Telling a producer that its message will not arrive: a failed receipt.

When a message is dead-lettered (the receiver refused it, or the retry horizon is over),
the side it came from has long had its acknowledgement. The relay then sends that side a
receipt with status ``failed``, the code and the reason, in that side's own profile and
signed like every other message the relay sends, so the producer learns what happened to
its message id without asking. Receipts themselves are never answered with receipts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from aswbridge.model import Certificate, Envelope, Message, Receipt
from aswbridge.relay.translator import PROFILE_OF
from aswbridge.store.base import OutboxEntry, Outgoing

if TYPE_CHECKING:
    from aswbridge.pipeline import SigningKey

#: Builds the failed receipt for a dead-lettered row (None: nobody to tell).
Notifier = Callable[..., Outgoing | None]

_NAMESPACE = uuid.UUID("6f1d2c1e-3f5a-4b8e-9a57-a5b0e2c3d4f1")
_RECEIPT_DOCUMENT = "767"  # UNTDID 1001: acknowledgement message


def failure_receipt(
    row: OutboxEntry,
    *,
    code: str,
    reason: str,
    now: datetime,
    signing: SigningKey | None = None,
    profiles: Mapping[str, str] = PROFILE_OF,
) -> Outgoing | None:
    """The failed receipt telling ``row``'s producer that its message was dead-lettered.

    Returns None for a row that did not come from a side, or that is itself a receipt.
    """
    if row.source not in profiles or row.kind == "receipt":
        return None
    from aswbridge.pipeline import read, write

    _, original = read(row.body)
    envelope, document = original.envelope, original.document
    certificate_id = (
        document.id
        if isinstance(document, Certificate)
        else getattr(document, "certificate_id", None)
    )
    referenced = row.source_message_id or envelope.message_id
    receipt = Message(
        envelope=Envelope(
            message_id=str(uuid.uuid5(_NAMESPACE, f"failed-receipt:{row.message_id}")),
            sender=envelope.receiver,
            receiver=envelope.sender,
            created_at=now,
            document_type=_RECEIPT_DOCUMENT,
            correlation_id=referenced,
        ),
        document=Receipt(
            ref_message_id=referenced,
            status="failed",
            certificate_id=certificate_id,
            reason_code=code[:70] or "FAILED",
            reason=(reason.strip() or code)[:2000],
        ),
    )
    assert row.source is not None
    body = write(receipt, profile=profiles[row.source], signing=signing)
    return Outgoing(
        message_id=receipt.envelope.message_id,
        dest=row.source,
        kind="receipt",
        body=body,
        sender=envelope.receiver.country,
        receiver=envelope.sender.country,
        source=row.dest,
        source_message_id=row.message_id,
    )
