"""What a mock answers a certificate with: the importing customs' response."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aswbridge import model
from aswbridge.transport._peek import Peek

__all__ = ["customs_response"]

_NAMESPACE = uuid.UUID("5b0c1f52-3a5e-4f39-9a43-2f2d7c1e9a10")


def customs_response(routing: Peek, *, profile: str) -> tuple[str, bytes] | None:
    """The customs response (preference given for every item) to a certificate.

    The response's message id is derived from the certificate's, so a certificate
    answered twice gets the same response id. Returns ``(message_id, body)`` in
    ``profile``, or ``None`` when there is nothing to answer (not a certificate, or
    no decoded message).
    """
    message = routing.message
    if routing.kind != "certificate" or not isinstance(message, model.Message):
        return None
    certificate = message.document
    assert isinstance(certificate, model.Certificate)
    sent = message.envelope
    now = datetime.now(UTC).replace(microsecond=0)
    decisions: tuple[model.ItemDecision, ...] = tuple(
        model.ItemDecision(number=item.number, preference="given") for item in certificate.items
    )
    response = model.Message(
        envelope=model.Envelope(
            message_id=str(uuid.uuid5(_NAMESPACE, f"response:{sent.message_id}")),
            sender=sent.receiver,
            receiver=sent.sender,
            created_at=now,
            document_type=sent.document_type,
            correlation_id=sent.message_id,
        ),
        document=model.Response(
            certificate_id=certificate.id,
            issuing_country=certificate.issuing_country,
            decision_date=now.date(),
            decisions=decisions,
            officer=_officer(certificate.importing_country),
        ),
    )
    from aswbridge import profiles

    return response.envelope.message_id, profiles.get(profile).encode_bytes(response)


def _officer(country: str) -> str | None:
    try:
        from aswbridge.samples import parties

        return parties.issuer(country, customs=True).officer
    except Exception:  # no sample customs office for that country
        return None
