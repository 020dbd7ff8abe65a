"""What a mock answers a certificate with: the importing customs' response."""

from __future__ import annotations

from aswbridge import model
from aswbridge.transport._peek import Peek

__all__ = ["customs_response"]


def customs_response(routing: Peek, *, profile: str) -> tuple[str, bytes] | None:
    """The customs response (preference given for every item) to a certificate.

    Built with :func:`aswbridge.samples.response_for`: the envelope goes back the
    other way, ``correlation_id`` is the certificate's message id, and the response's
    message id is derived from it, so a certificate answered twice gets the same
    response id. Returns ``(message_id, body)`` in ``profile``, or ``None`` when there
    is nothing to answer (not a certificate, or no decoded message).
    """
    message = routing.message
    if routing.kind != "certificate" or not isinstance(message, model.Message):
        return None
    from aswbridge import profiles, samples

    response = samples.response_for(message)
    return response.envelope.message_id, profiles.get(profile).encode_bytes(response)
