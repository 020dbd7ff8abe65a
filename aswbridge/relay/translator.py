"""The relay's seam to the pipeline: translate bytes and read their routing data."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Protocol

from aswbridge import _xml
from aswbridge.transport._peek import Peek, peek

if TYPE_CHECKING:
    from aswbridge.pipeline import SigningKey
    from aswbridge.security import TrustStore, VerificationPolicy

log = logging.getLogger("aswbridge.relay")

#: The profile each side speaks.
PROFILE_OF = {"nsw": "asw", "unipass": "unipass"}
OTHER_SIDE = {"nsw": "unipass", "unipass": "nsw"}
_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


class Translator(Protocol):
    """Translate one message between profiles (checks, maps, signs): pure bytes to bytes."""

    def __call__(self, data: bytes, *, source: str, target: str) -> bytes: ...


#: What the relay needs to know about a message it is about to queue (id, kind, sender
#: and receiver countries): the transports' routing record, read the same way.
Routing = Peek
read_routing = peek


def _refuse_unverifiable(data: bytes) -> None:
    """Without trust anchors nothing can be verified: refuse, saying why."""
    from aswbridge.security import SignatureMissing, UntrustedSigner

    root = _xml.parse(data)
    if root.find(_DS_SIGNATURE) is None:
        raise SignatureMissing(
            "unsigned message refused: no trust anchors are configured (allow_unsigned is off)"
        )
    raise UntrustedSigner("no trust anchors are configured to verify this signature")


def pipeline_translator(
    *,
    trust: TrustStore | None = None,
    signing: SigningKey | None = None,
    allow_unsigned: bool = False,
    verification: VerificationPolicy | None = None,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
) -> Translator:
    """:func:`aswbridge.translate` with the relay's trust, policy, pins, bridges and signing.

    With ``trust``, every message's signature is verified and bound to its issuer. Without
    it, messages are refused (``SIGNATURE_MISSING`` / ``UNTRUSTED_SIGNER``) unless
    ``allow_unsigned`` is set, in which case they pass unverified.
    """
    from aswbridge.pipeline import translate

    def run(data: bytes, *, source: str, target: str) -> bytes:
        if trust is None and not allow_unsigned:
            _refuse_unverifiable(data)
        return translate(data, source=source, target=target, trust=trust, signing=signing,
                         verification=verification, pins=pins, bridges=bridges)

    return run
