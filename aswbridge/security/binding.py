"""Bind a verified signature to the document it signed: who claims to have issued it.

After :meth:`Verifier.verify`, the signed element is decoded (schema-validated, through
the profile that owns its root element) and the root signer is checked against the
issuing authority the document names: the issuing country for a certificate, the
sender's country for any other message, the authority's pin when configured, and the
chain's validity at the signing time the document claims (its ``created_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from lxml import etree

from aswbridge.errors import ConfigurationError
from aswbridge.model import Certificate, Message
from aswbridge.security.verifying import Verified, check_issuer

__all__ = ["Claims", "bind", "claims_of", "decode_signed"]


@attrs.frozen(kw_only=True)
class Claims:
    """What a signed message says about its issuer."""

    issuing_country: str
    authority_id: str | None
    signed_at: datetime | None
    profile: str


def decode_signed(signed: etree._Element) -> tuple[str, Message]:
    """Validate and decode the signed element with the profile owning its root element.

    Raises:
        ConfigurationError: no profile knows the root element.
        SchemaError: the signed element is not valid against the profile's schema.
    """
    from aswbridge import profiles

    for name in profiles.names():
        profile = profiles.get(name)
        if profile.detect(signed):
            profile.validate(signed)
            return name, profile.decode(signed)
    raise ConfigurationError(f"no profile reads root element {signed.tag}")


def claims_of(signed: etree._Element) -> Claims:
    """Decode the signed element and return its issuer claims."""
    name, message = decode_signed(signed)
    document = message.document
    if isinstance(document, Certificate):
        country, authority = document.issuing_country, document.issuing_authority.id
    else:
        country, authority = message.envelope.sender.country, None
    return Claims(
        issuing_country=country,
        authority_id=authority,
        signed_at=message.envelope.created_at,
        profile=name,
    )


def bind(verified: Verified, *, pins: Mapping[str, str] | None = None) -> Claims:
    """Decode ``verified.signed`` and check its signer is the issuer it names.

    Raises:
        SignerNotIssuer, CertExpired, CertNotYetValid: see :func:`check_issuer`.
    """
    claims = claims_of(verified.signed)
    check_issuer(
        verified,
        issuing_country=claims.issuing_country,
        authority_id=claims.authority_id,
        pins=pins,
        signed_at=claims.signed_at,
    )
    return claims
