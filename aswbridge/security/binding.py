"""Bind a verified signature to the document it signed: who claims to have issued it.

After :meth:`Verifier.verify`, the signed element is decoded (schema-validated, through
the profile that owns its root element) and the root signer is checked against the
issuing authority the document names: the issuing country for a certificate, the
sender's country for any other message, the authority's role (an exporter's
certificate never certifies), the authority's pin when configured, and the chain's
validity at the signing time the document claims (its ``created_at``). The exporter's
declaration signer, when present, is bound to the exporter's country and role.

What a bridge may say about the original signer is decided here too: the original
signer a message names is believed only when the message is signed by a trusted bridge;
otherwise it is the signer just verified, whatever the sender wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

import attrs
from lxml import etree

from aswbridge.model import Certificate, Message, SignerRef
from aswbridge.security.errors import SignerNotIssuer
from aswbridge.security.verifying import Verified, check_exporter, check_issuer, is_bridge

__all__ = ["Claims", "bind", "bind_message", "claims_of", "claims_of_message", "decode_signed"]


@attrs.frozen(kw_only=True)
class Claims:
    """What a signed message says about its issuer."""

    issuing_country: str
    authority_id: str | None
    signed_at: datetime | None
    profile: str
    original_signer: SignerRef | None = None


def decode_signed(signed: etree._Element) -> tuple[str, Message]:
    """Validate and decode the signed element with the profile owning its root element.

    Raises:
        SchemaError: no profile reads the root element, or the signed element is not
            valid against the profile's schema.
    """
    from aswbridge import profiles

    profile = profiles.detect(signed)
    profile.validate(signed)
    return profile.name, profile.decode(signed)


def claims_of(signed: etree._Element) -> Claims:
    """Decode the signed element and return its issuer claims."""
    name, message = decode_signed(signed)
    return claims_of_message(message, profile=name)


def bind(
    verified: Verified,
    *,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
) -> Claims:
    """Decode ``verified.signed`` and check its signer is the issuer it names.

    The claims' ``original_signer`` is set only for a message signed by a trusted bridge.

    Raises:
        SignerNotIssuer, SignerNotAuthority, SignerNotExporter, CertExpired,
        CertNotYetValid: see :func:`bind_message`.
    """
    name, message = decode_signed(verified.signed)
    signer = bind_message(verified, message, pins=pins, bridges=bridges)
    bridged = is_bridge(verified.authority, bridges)
    return attrs.evolve(
        claims_of_message(message, profile=name), original_signer=signer if bridged else None
    )


def claims_of_message(message: Message, *, profile: str) -> Claims:
    """The issuer claims of a decoded message."""
    document = message.document
    if isinstance(document, Certificate):
        country, authority = document.issuing_country, document.issuing_authority.id
    else:
        country, authority = message.envelope.sender.country, None
    return Claims(
        issuing_country=country,
        authority_id=authority,
        signed_at=message.envelope.created_at,
        profile=profile,
        original_signer=message.envelope.original_signer,
    )


def bind_message(
    verified: Verified,
    message: Message,
    *,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
) -> SignerRef:
    """Check the signer of ``message`` (decoded from ``verified.signed``) may sign it.

    The signer must be the issuing authority the message names (its country, its
    anchor's country, its role, its pin), valid at the signing time the message claims.
    A signer in ``bridges`` (its SHA-256 fingerprint, or its RFC 4514 subject when its
    certificate holds the bridge role) is a bridge that translated the message: it signs
    for any issuer, and the message must then name the original signer in its envelope.

    Returns:
        The original signer that may be named for this message: the one the message
        names when a trusted bridge signed it, else the signer just verified (an
        original signer written by anyone else is never believed).

    Raises:
        SignerNotIssuer: the signer is not the issuer (nor a trusted bridge), or a
            bridge-signed message does not name its original signer.
        SignerNotAuthority: the signer's certificate may not certify for the authority.
        SignerNotExporter: the exporter's declaration signer is not the exporter's.
        CertExpired, CertNotYetValid: a certificate was not valid at the claimed time.
    """
    claims = claims_of_message(message, profile="")
    document = message.document
    if isinstance(document, Certificate):
        check_exporter(verified, exporter_country=document.exporter.country)
    if is_bridge(verified.authority, bridges):
        if message.envelope.original_signer is None:
            raise SignerNotIssuer(
                f"bridge {verified.subject} signed a message that names no original signer"
            )
        return message.envelope.original_signer
    check_issuer(
        verified,
        issuing_country=claims.issuing_country,
        authority_id=claims.authority_id,
        pins=pins,
        signed_at=claims.signed_at,
    )
    return SignerRef(subject=verified.subject, fingerprint=verified.fingerprint)
