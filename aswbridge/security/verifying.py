"""Verify an enveloped XML signature and its signer, and bind the signer to the issuer.

The order is: locate the signatures at their pinned places and check their structure
(no cryptography yet), build the signer's chain to a configured anchor, then check the
signature value and the digest with signxml, given the validated certificate (never
KeyInfo alone, never a public CA bundle). The result's ``signed`` element is what the
signature covered, re-read from its canonical form: the only thing anyone may decode.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from aswbridge import _xml
from aswbridge.errors import AswBridgeError, ConfigurationError
from aswbridge.security import _structure
from aswbridge.security.errors import (
    CertExpired,
    CertificateError,
    CertNotYetValid,
    DigestMismatch,
    SignatureInvalid,
    SignatureMissing,
    SignerNotAuthority,
    SignerNotExporter,
    SignerNotIssuer,
)
from aswbridge.security.policy import VerificationPolicy
from aswbridge.security.roles import AUTHORITY, BRIDGE, EXPORTER
from aswbridge.security.trust import (
    TrustStore,
    ValidatedChain,
    country_of,
    fingerprint,
    subject_of,
)

__all__ = ["SignerInfo", "Verified", "Verifier", "check_exporter", "check_issuer", "is_bridge"]


@attrs.frozen(kw_only=True)
class SignerInfo:
    """Who made one signature, and the chain that made us believe it."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    subject: str
    fingerprint: str
    country: str | None
    anchor_scope: str | None
    roles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, validated: ValidatedChain) -> SignerInfo:
        """Describe the signer of a validated chain."""
        cert = validated.signer
        return cls(
            certificate=cert,
            chain=validated.chain,
            subject=subject_of(cert),
            fingerprint=fingerprint(cert),
            country=country_of(cert),
            anchor_scope=validated.anchor_scope,
            roles=validated.roles,
        )


@attrs.frozen(kw_only=True)
class Verified:
    """A verified document: what was signed, by whom, and what we warn about.

    Attributes:
        signed: the signed element, re-read from its canonical form (comments excised,
            the root signature removed). Decode this and nothing else.
        authority: the root signature's signer (the issuing authority, or a bridge).
        exporter: the exporter's declaration signer, when that signature is present.
        warnings: for example an unknown revocation status under ``soft-fail``.
        at: the validation time used.
    """

    signed: etree._Element
    authority: SignerInfo
    exporter: SignerInfo | None = None
    warnings: tuple[str, ...] = ()
    at: datetime

    @property
    def signer(self) -> x509.Certificate:
        """The root signature's signer certificate."""
        return self.authority.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The root signer's chain, signer first, anchor last."""
        return self.authority.chain

    @property
    def subject(self) -> str:
        """The root signer's subject (RFC 4514)."""
        return self.authority.subject

    @property
    def fingerprint(self) -> str:
        """The root signer certificate's SHA-256 fingerprint (hex)."""
        return self.authority.fingerprint

    @property
    def country(self) -> str | None:
        """The root signer's subject country (``C=``)."""
        return self.authority.country


class _XMLVerifier(XMLVerifier):
    """signxml's verifier without its defensive first copy of the input tree.

    signxml copies the input, then copies the signature and, for each reference, the
    whole document again before removing the signature; it never changes the tree it
    is given, so the first copy only costs a serialisation and a parse.
    """

    def get_root(self, data: Any) -> Any:
        if isinstance(data, etree._Element):
            return data
        return super().get_root(data)  # type: ignore[no-untyped-call]


_SIGNXML_METHODS = {m.value: m for m in SignatureMethod}
_SIGNXML_DIGESTS = {d.value: d for d in DigestAlgorithm}


class Verifier:
    """Verifies signed documents against a policy; reusable and thread-safe."""

    def __init__(self, policy: VerificationPolicy | None = None) -> None:
        self.policy = policy or VerificationPolicy()
        self._methods = frozenset(
            _SIGNXML_METHODS[m] for m in self.policy.signature_methods if m in _SIGNXML_METHODS
        )
        self._digests = frozenset(
            _SIGNXML_DIGESTS[d] for d in self.policy.digest_methods if d in _SIGNXML_DIGESTS
        )

    def verify(self, data: bytes | etree._Element, *, trust: TrustStore) -> Verified:
        """Verify the document's signatures and return what was signed.

        Args:
            data: raw bytes (parsed with the hardened parser) or an element produced by
                :func:`aswbridge._xml.parse`.
            trust: the configured anchors, intermediates and CRLs.

        Raises:
            ConfigurationError: no trust store given.
            SignatureError: a subclass naming the reason (``DIGEST_MISMATCH``, ...).
            CertificateError: a subclass naming the reason (``UNTRUSTED_SIGNER``, ...).
        """
        if not isinstance(trust, TrustStore):
            raise ConfigurationError("a TrustStore with configured anchors is required")
        root = _xml.parse(data) if isinstance(data, bytes | bytearray) else data
        at = self.policy.now()
        located = _structure.locate(root, dict(self.policy.layouts))
        inspected = _structure.inspect(located.root_signature, self.policy)
        _structure.check_reference_target(inspected.uri, target=root, allow_empty=True)
        validated = self._validate(inspected, trust, at)
        place = located.layout.place if located.layout is not None else ()
        location = "./" + "".join(f"{tag}/" for tag in place)
        signed = self._crypto(root, inspected.signer, location=location, at=at)
        warnings = list(validated.warnings)
        exporter = None
        if located.exporter_signature is not None:
            exporter, more = self._verify_exporter(signed, trust, at)
            warnings += more
        elif self.policy.require_exporter_signature and located.layout is not None:
            raise SignatureMissing("the exporter's declaration is not signed")
        return Verified(
            signed=signed,
            authority=SignerInfo.of(validated),
            exporter=exporter,
            warnings=tuple(dict.fromkeys(warnings)),
            at=at,
        )

    def _verify_exporter(
        self, signed: etree._Element, trust: TrustStore, at: datetime
    ) -> tuple[SignerInfo, tuple[str, ...]]:
        # Located again in the signed tree: the exporter's signature is read from what
        # the authority signed, never from the unsigned input.
        signatures = list(signed.iter(_structure.ds("Signature")))
        if len(signatures) != 1:
            raise SignatureInvalid("the exporter's signature is not where the authority signed it")
        signature = signatures[0]
        inspected = _structure.inspect(signature, self.policy)
        content = _structure.content_of(signature)
        _structure.check_reference_target(inspected.uri, target=content, allow_empty=False)
        validated = self._validate(inspected, trust, at)
        path = signed.getroottree().getelementpath(signature.getparent())  # type: ignore[arg-type]
        self._crypto(signed, inspected.signer, location=f"./{path}/", at=at)
        return SignerInfo.of(validated), validated.warnings

    def _validate(
        self, inspected: _structure.Inspected, trust: TrustStore, at: datetime
    ) -> ValidatedChain:
        try:
            return trust.validate(
                inspected.signer,
                untrusted=inspected.certificates,
                at=at,
                revocation=self.policy.revocation,
                min_rsa_bits=self.policy.min_rsa_bits,
                max_chain_depth=self.policy.max_chain_depth,
                allowed_curves=self.policy.allowed_curves,
            )
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # unusable certificate
            if isinstance(exc, AswBridgeError):
                raise
            raise CertificateError(f"the signer's certificate cannot be used: {exc}") from None

    def _crypto(
        self, root: etree._Element, signer: x509.Certificate, *, location: str, at: datetime
    ) -> etree._Element:
        config = SignatureConfiguration(
            location=location,
            verification_time=at,
            signature_methods=self._methods,
            digest_algorithms=self._digests,
            expect_references=1,
        )
        try:
            result = _XMLVerifier().verify(
                root, x509_cert=signer, expect_config=config, validate_schema=False
            )
        except InvalidDigest as exc:
            raise DigestMismatch(f"the signed content was altered: {exc}") from None
        except InvalidCertificate as exc:
            raise CertificateError(str(exc)) from None
        except InvalidSignature as exc:
            raise SignatureInvalid(f"the signature value does not verify: {exc}") from None
        except (InvalidInput, etree.LxmlError, ValueError) as exc:
            raise SignatureInvalid(f"the signature cannot be verified: {exc}") from None
        signed = result.signed_xml  # type: ignore[union-attr]
        if signed is None:
            raise SignatureInvalid("the signed content is not XML")
        assert isinstance(signed, etree._Element)
        return signed


def same_pin(pin: str, info: SignerInfo) -> bool:
    """Whether ``pin`` (SHA-256 fingerprint, colons allowed, or subject) names ``info``."""
    compact = pin.replace(":", "").strip().lower()
    return compact == info.fingerprint or pin.strip() == info.subject


def is_bridge(info: SignerInfo, bridges: Collection[str]) -> bool:
    """Whether ``info`` is one of the trusted ``bridges``: pinned by its fingerprint, or
    by its subject when its certificate is also entitled to the bridge role (a subject
    alone can be copied by any trusted CA)."""
    for pin in bridges:
        if pin.replace(":", "").strip().lower() == info.fingerprint:
            return True
        if pin.strip() == info.subject and BRIDGE in info.roles:
            return True
    return False


def check_issuer(
    verified: Verified,
    *,
    issuing_country: str,
    authority_id: str | None = None,
    pins: Mapping[str, str] | None = None,
    signed_at: datetime | None = None,
) -> None:
    """Bind the root signer to the document's issuing authority.

    Args:
        verified: the result of :meth:`Verifier.verify`.
        issuing_country: the issuing country decoded from ``verified.signed``.
        authority_id: the issuing authority's identifier, looked up in ``pins``.
        pins: authority id -> SHA-256 fingerprint (hex, colons allowed) or RFC 4514
            subject of the only certificate allowed to sign for it. A pinned
            certificate is entitled to the authority's role.
        signed_at: the signing time the document claims; the chain must be valid then too.

    Raises:
        SignerNotIssuer: the signer's country, its anchor's country or the pin does not
            match.
        SignerNotAuthority: the signer's certificate is not entitled to the issuing
            authority's role (an exporter's certificate, for instance).
        CertExpired, CertNotYetValid: a certificate was not valid at ``signed_at``.
    """
    info = verified.authority
    country = issuing_country.upper()
    if info.country != country:
        raise SignerNotIssuer(
            f"signer {info.subject} is from {info.country or 'no country'}, "
            f"the certificate is issued in {country}"
        )
    if info.anchor_scope != country:
        raise SignerNotIssuer(
            f"signer {info.subject} chains to an anchor trusted for "
            f"{info.anchor_scope or 'no country'}, not {country}"
        )
    pin = (pins or {}).get(authority_id or "")
    if pin is not None and not same_pin(pin, info):
        raise SignerNotIssuer(
            f"signer {info.subject} is not the certificate pinned for {authority_id}"
        )
    if pin is None and AUTHORITY not in info.roles:
        held = ", ".join(sorted(info.roles)) or "no role"
        raise SignerNotAuthority(
            f"signer {info.subject} is not entitled to certify for the issuing authority "
            f"of {country} (its certificate holds {held})"
        )
    if signed_at is not None:
        at = signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)
        for cert in info.chain:
            if at < cert.not_valid_before_utc:
                raise CertNotYetValid(
                    f"{subject_of(cert)} was not yet valid at the claimed signing time "
                    f"{at.isoformat()}"
                )
            if at > cert.not_valid_after_utc:
                raise CertExpired(
                    f"{subject_of(cert)} had expired at the claimed signing time {at.isoformat()}"
                )


def check_exporter(verified: Verified, *, exporter_country: str) -> None:
    """Bind the exporter's declaration signer, when present, to the exporter.

    Raises:
        SignerNotExporter: its certificate is not of the exporter's country, does not
            chain to an anchor of that country, or is not entitled to the exporter's role.
    """
    info = verified.exporter
    if info is None:
        return
    country = exporter_country.upper()
    if info.country != country or info.anchor_scope != country:
        raise SignerNotExporter(
            f"exporter's signer {info.subject} is not of the exporter's country {country}"
            f" (anchor trusted for {info.anchor_scope or 'no country'})"
        )
    if EXPORTER not in info.roles:
        raise SignerNotExporter(
            f"signer {info.subject} is not entitled to sign an exporter's declaration"
        )
