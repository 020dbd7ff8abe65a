"""Errors of signature and certificate checks, each with the reason code sent on the wire.

Two families under :class:`aswbridge.errors.SecurityError`:

* :class:`SignatureError`: the XML signature itself is refused (missing, misplaced,
  a weak or unlisted algorithm, a reference that does not cover the document, a digest
  or signature value that does not match);
* :class:`CertificateError`: the signature is sound but its signer is not believed
  (no path to a configured anchor, expired, wrong key usage, revoked, not the issuing
  authority of the document).

Every class carries a stable ``code`` (for example ``DIGEST_MISMATCH``) and the
``origin`` ``"remote"``: the fault lies in what the peer sent.
"""

from __future__ import annotations

from aswbridge.errors import SecurityError

__all__ = [
    "AlgorithmNotAllowed",
    "AmbiguousReference",
    "CertExpired",
    "CertNotYetValid",
    "CertificateError",
    "DigestMismatch",
    "KeyInfoNotAllowed",
    "KeyUsageError",
    "ReferenceNotAllowed",
    "RevocationUnknown",
    "Revoked",
    "SignatureError",
    "SignatureInvalid",
    "SignatureLocation",
    "SignatureMissing",
    "SignerNotAuthority",
    "SignerNotExporter",
    "SignerNotIssuer",
    "TransformNotAllowed",
    "UntrustedSigner",
]


class SignatureError(SecurityError):
    """The XML signature is refused."""

    code = "SIGNATURE_INVALID"


class SignatureMissing(SignatureError):
    """No signature where one is required (or an empty SignatureValue)."""

    code = "SIGNATURE_MISSING"


class SignatureLocation(SignatureError):
    """A signature sits somewhere other than its pinned place, or there are too many."""

    code = "SIGNATURE_LOCATION"


class AlgorithmNotAllowed(SignatureError):
    """A signature, digest or canonicalisation algorithm that is not on the allow-list."""

    code = "ALGORITHM_NOT_ALLOWED"


class TransformNotAllowed(SignatureError):
    """A reference transform that is not on the allow-list (XSLT, XPath, base64, ...)."""

    code = "TRANSFORM_NOT_ALLOWED"


class AmbiguousReference(SignatureError):
    """More than one reference, or a reference URI that matches more than one element."""

    code = "AMBIGUOUS_REFERENCE"


class ReferenceNotAllowed(SignatureError):
    """The single reference does not cover the whole signed element (or points outside)."""

    code = "REFERENCE_NOT_ALLOWED"


class KeyInfoNotAllowed(SignatureError):
    """KeyInfo carries no certificate, or asks for something we never fetch."""

    code = "KEY_INFO_NOT_ALLOWED"


class DigestMismatch(SignatureError):
    """The signed content was changed after signing."""

    code = "DIGEST_MISMATCH"


class SignatureInvalid(SignatureError):
    """The signature value does not verify with the signer's key."""

    code = "SIGNATURE_INVALID"


class CertificateError(SecurityError):
    """The signer's certificate is not believed."""

    code = "CERTIFICATE_INVALID"


class UntrustedSigner(CertificateError):
    """No path from the signer's certificate to a configured trust anchor."""

    code = "UNTRUSTED_SIGNER"


class CertExpired(CertificateError):
    """A certificate of the chain has expired at the validation time."""

    code = "CERT_EXPIRED"


class CertNotYetValid(CertificateError):
    """A certificate of the chain is not yet valid at the validation time."""

    code = "CERT_NOT_YET_VALID"


class KeyUsageError(CertificateError):
    """The signer's certificate may not sign documents (no digitalSignature, or a CA)."""

    code = "KEY_USAGE"


class Revoked(CertificateError):
    """A certificate of the chain is listed in its issuer's CRL."""

    code = "REVOKED"


class RevocationUnknown(CertificateError):
    """No usable CRL for a certificate of the chain, and the policy is ``hard-fail``."""

    code = "REVOCATION_UNKNOWN"


class SignerNotIssuer(CertificateError):
    """The signer is not the issuing authority the document names."""

    code = "SIGNER_NOT_ISSUER"


class SignerNotAuthority(SignerNotIssuer):
    """The root signer's certificate is not entitled to certify for the issuing authority
    (an exporter's or another role's certificate, trusted for its own role only)."""

    code = "SIGNER_NOT_AUTHORITY"


class SignerNotExporter(CertificateError):
    """The exporter's declaration is signed by a certificate not entitled to the
    exporter's role, or not of the exporter's country."""

    code = "SIGNER_NOT_EXPORTER"
