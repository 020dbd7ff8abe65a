"""Signatures, trust and certificate checks for e-CO messages (docs/security.md).

Sign::

    signed = Signer().sign(root, key=key, cert=cert, chain=[issuing_ca])

Verify, then decode only what was signed and bind the signer to the issuer::

    trust = TrustStore.from_paths(["partners/"])
    verified = Verifier(VerificationPolicy()).verify(data, trust=trust)
    message = decode(verified.signed)
    check_issuer(verified, issuing_country=message.document.issuing_country)

A signature counts for a role (the issuing authority's certification, the exporter's
declaration, a bridge) only when its certificate is entitled to it: see
:mod:`aswbridge.security.roles`.
"""

from aswbridge.security import pki, roles
from aswbridge.security.errors import (
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
from aswbridge.security.policy import (
    SignatureLayout,
    SigningPolicy,
    VerificationPolicy,
    profile_layouts,
)
from aswbridge.security.signing import Signer, load_certificates, load_private_key
from aswbridge.security.trust import TrustStore, ValidatedChain, country_of, fingerprint
from aswbridge.security.verifying import (
    SignerInfo,
    Verified,
    Verifier,
    check_exporter,
    check_issuer,
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
    "SignatureLayout",
    "SignatureLocation",
    "SignatureMissing",
    "Signer",
    "SignerInfo",
    "SignerNotAuthority",
    "SignerNotExporter",
    "SignerNotIssuer",
    "SigningPolicy",
    "TransformNotAllowed",
    "TrustStore",
    "UntrustedSigner",
    "ValidatedChain",
    "VerificationPolicy",
    "Verified",
    "Verifier",
    "check_exporter",
    "check_issuer",
    "country_of",
    "fingerprint",
    "load_certificates",
    "load_private_key",
    "pki",
    "profile_layouts",
    "roles",
]
