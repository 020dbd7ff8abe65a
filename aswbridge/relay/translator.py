"""The relay's seam to the pipeline: one call that verifies, decodes and translates."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Protocol

from aswbridge import _xml
from aswbridge.errors import ConfigurationError

if TYPE_CHECKING:
    from aswbridge.model import Message
    from aswbridge.pipeline import Pipeline, SigningKey, Translation
    from aswbridge.security import TrustStore, VerificationPolicy

log = logging.getLogger("aswbridge.relay")

#: The profile each side speaks.
PROFILE_OF = {"nsw": "asw", "unipass": "unipass"}
_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


class Translator(Protocol):
    """Verify, decode and translate one message between profiles (checks, maps, signs).

    ``target`` is a profile, or a function choosing it from the verified message (the
    relay routes by receiver that way).

    The relay takes the message's identity (sender, message id), routing and dedup digest
    from the :class:`~aswbridge.pipeline.Translation` it returns, never from the wire.
    """

    def __call__(
        self, data: bytes, *, source: str, target: str | Callable[[Message], str]
    ) -> Translation: ...


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
    pipeline: Pipeline | None = None,
    trust: TrustStore | None = None,
    signing: SigningKey | None = None,
    allow_unsigned: bool = False,
    verification: VerificationPolicy | None = None,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
) -> Translator:
    """:meth:`Pipeline.translate <aswbridge.pipeline.Pipeline.translate>` for the relay.

    Args:
        pipeline: the configured pipeline (trust, verification policy, pins, bridges,
            signing key, limits, clock); or give the other options alone.
        trust, signing, verification, pins, bridges: a pipeline's settings (when no
            ``pipeline`` is given).
        allow_unsigned: without trust anchors, let messages pass unverified (tests only);
            otherwise they are refused (``SIGNATURE_MISSING`` / ``UNTRUSTED_SIGNER``).
    """
    from aswbridge.pipeline import Pipeline

    if pipeline is None:
        pipeline = Pipeline(
            trust=trust, signing=signing, verification=verification, pins=pins, bridges=bridges
        )
    elif (trust, signing, verification, pins, tuple(bridges)) != (None, None, None, None, ()):
        raise ConfigurationError("give a pipeline, or its settings, not both")
    configured = pipeline

    def run(data: bytes, *, source: str, target: str | Callable[[Message], str]) -> Translation:
        if configured.trust is None and not allow_unsigned:
            _refuse_unverifiable(data)
        return configured.translate(data, source=source, target=target)

    return run
