"""Roles a signer certificate may hold, and how a certificate shows it holds one.

A certificate of origin carries signatures made in three roles: the issuing authority's
certification (the root signature), the exporter's declaration (box 11) and, after a
translation, a bridge's signature standing for the authority it verified. A signature
counts for a role only when its certificate is entitled to that role; a certificate is
entitled when

* it chains to an anchor configured for that role only (a "role anchor", for example a
  partner's CA that issues nothing but its authority's signing certificates), or
* it chains to a country's general anchor and names the role's object identifier in its
  extended key usage or its certificate policies (the aswbridge OIDs below, which
  ``aswbridge pki init`` issues, or the OIDs configured for that country).

The OIDs sit under ``2.25.204134066458610997427619506821507765613``, a UUID-derived arc
(ITU-T X.667) allocated for aswbridge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from aswbridge.errors import ConfigurationError
from aswbridge.security.errors import KeyUsageError

__all__ = [
    "AUTHORITY",
    "BRIDGE",
    "DOCUMENT_SIGNING",
    "EXPORTER",
    "ROLES",
    "ROLE_OIDS",
    "check_extended_key_usage",
    "marked_roles",
    "role_oids",
]

AUTHORITY = "authority"
EXPORTER = "exporter"
BRIDGE = "bridge"
ROLES = (AUTHORITY, EXPORTER, BRIDGE)

_ARC = "2.25.204134066458610997427619506821507765613"
#: The default OID of each role, carried as an extended key usage (or policy).
ROLE_OIDS: Mapping[str, str] = {
    AUTHORITY: f"{_ARC}.1.1",
    EXPORTER: f"{_ARC}.1.2",
    BRIDGE: f"{_ARC}.1.3",
}
#: id-kp-documentSigning (RFC 9336).
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"
_SIGNING_USAGES = frozenset(
    {
        DOCUMENT_SIGNING,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE.dotted_string,
        ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string,
        *ROLE_OIDS.values(),
    }
)
_OID = r"^[0-2](\.(0|[1-9][0-9]*))+$"


def role_oids(
    overrides: Mapping[str, Iterable[str]] | None = None,
) -> Mapping[str, frozenset[str]]:
    """The OIDs marking each role: aswbridge's, replaced role by role by ``overrides``.

    Raises:
        ConfigurationError: an unknown role or a malformed OID.
    """
    found = {role: frozenset({oid}) for role, oid in ROLE_OIDS.items()}
    for role, oids in (overrides or {}).items():
        if role not in ROLES:
            raise ConfigurationError(f"unknown signer role {role!r} (known: {', '.join(ROLES)})")
        values = frozenset(oids)
        bad = [v for v in values if not re.match(_OID, v)]
        if bad or not values:
            raise ConfigurationError(f"{role} OIDs: expected dotted OIDs, got {sorted(bad)!r}")
        found[role] = values
    return found


def _named_oids(cert: x509.Certificate) -> set[str]:
    names: set[str] = set()
    for kind in (x509.ExtendedKeyUsage, x509.CertificatePolicies):
        try:
            value = cert.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            continue
        for item in value:  # type: ignore[attr-defined]
            oid = item if isinstance(item, ObjectIdentifier) else item.policy_identifier
            names.add(oid.dotted_string)
    return names


def marked_roles(cert: x509.Certificate, oids: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The roles whose OIDs ``cert`` names in its extended key usage or policies."""
    named = _named_oids(cert)
    return frozenset(role for role, marks in oids.items() if named & marks)


def check_extended_key_usage(
    cert: x509.Certificate, *, extra: Iterable[str] = (), subject: str = ""
) -> None:
    """Refuse a signer whose extended key usage, when present, allows no document signing.

    Accepted usages: document signing (RFC 9336), email protection (the usage national
    signing certificates often carry for signed content), any usage, a role OID
    (aswbridge's or one in ``extra``). TLS, code signing, time stamping or OCSP signing
    alone are refused. A certificate without the extension is not restricted by it.

    Raises:
        KeyUsageError: the extension lists only other usages (TLS, code signing, ...).
    """
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    listed = {oid.dotted_string for oid in usage}
    if not listed & (_SIGNING_USAGES | set(extra)):
        raise KeyUsageError(
            f"{subject or cert.subject.rfc4514_string()} extended key usage does not allow "
            f"signing documents ({', '.join(sorted(listed))})"
        )
