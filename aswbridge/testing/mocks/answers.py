"""What a mock answers a certificate with: the importing customs' response."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aswbridge import model
from aswbridge.testing._peek import Peek

if TYPE_CHECKING:
    from aswbridge.pipeline import SigningKey

__all__ = ["customs_response"]


def customs_response(
    routing: Peek, *, profile: str, signing: SigningKey | None = None
) -> tuple[str, bytes] | None:
    """The customs response (preference given for every item) to a certificate.

    Built with :func:`aswbridge.samples.response_for`: the envelope goes back the
    other way, ``correlation_id`` is the certificate's message id, and the response's
    message id is derived from it, so a certificate answered twice gets the same
    response id. Signed with ``signing`` when given (the importing customs' key).
    Returns ``(message_id, body)`` in ``profile``, or ``None`` when there is nothing
    to answer (not a certificate, or no decoded message).
    """
    message = routing.message
    if routing.kind != "certificate" or not isinstance(message, model.Message):
        return None
    from aswbridge import pipeline, samples

    response = samples.response_for(message)
    body = pipeline.write(response, profile=profile, signing=signing)
    return response.envelope.message_id, body
