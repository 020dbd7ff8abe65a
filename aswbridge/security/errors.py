"""Errors of signature and certificate checks (defined in :mod:`aswbridge.errors`, where the
whole tree lives; named here for the security package's users).

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

from aswbridge.errors import (
    AlgorithmNotAllowed,
    AmbiguousReference,
    CertExpired,
    CertificateError,
    CertNotYetValid,
    DigestMismatch,
    KeyInfoNotAllowed,
    KeyUsageError,
    ReferenceNotAllowed,
    RevocationUnknown,
    Revoked,
    SignatureError,
    SignatureInvalid,
    SignatureLocation,
    SignatureMissing,
    SignerNotAuthority,
    SignerNotExporter,
    SignerNotIssuer,
    TransformNotAllowed,
    UntrustedSigner,
)

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
