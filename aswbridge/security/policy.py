"""What a signature must look like: algorithms, transforms, where it sits, and clocks.

Algorithm identifiers are the W3C URIs. The allow-lists default to what docs/security.md
names (RSA-SHA256 with 2048-bit keys or more, ECDSA P-256/SHA-256, exclusive c14n,
SHA-256 digests) plus their SHA-384/512 siblings; SHA-1, MD5, HMAC, DSA, XSLT, XPath
and base64 are never on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Literal

import attrs
from lxml import etree

from aswbridge.errors import ConfigurationError

__all__ = [
    "C14N_11",
    "CURVE_NAMES",
    "DEFAULT_CURVES",
    "DS_NS",
    "ENVELOPED",
    "EXC_C14N",
    "RevocationMode",
    "SignatureLayout",
    "SigningPolicy",
    "VerificationPolicy",
    "profile_layouts",
]

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
XMLENC = "http://www.w3.org/2001/04/xmlenc#"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

RSA_SHA256 = DSIG_MORE + "rsa-sha256"
RSA_SHA384 = DSIG_MORE + "rsa-sha384"
RSA_SHA512 = DSIG_MORE + "rsa-sha512"
ECDSA_SHA256 = DSIG_MORE + "ecdsa-sha256"
ECDSA_SHA384 = DSIG_MORE + "ecdsa-sha384"
ECDSA_SHA512 = DSIG_MORE + "ecdsa-sha512"

SHA256 = XMLENC + "sha256"
SHA384 = DSIG_MORE + "sha384"
SHA512 = XMLENC + "sha512"

DEFAULT_SIGNATURE_METHODS = frozenset(
    {RSA_SHA256, RSA_SHA384, RSA_SHA512, ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512}
)
DEFAULT_DIGEST_METHODS = frozenset({SHA256, SHA384, SHA512})
DEFAULT_C14N_METHODS = frozenset({EXC_C14N, C14N_11})

RevocationMode = Literal["hard-fail", "soft-fail"]

#: The curves accepted by default (P-256, P-384); P-521 is accepted only when listed.
DEFAULT_CURVES = frozenset({"secp256r1", "secp384r1"})
CURVE_NAMES = {"P-256": "secp256r1", "P-384": "secp384r1", "P-521": "secp521r1"}


@attrs.frozen(kw_only=True)
class SignatureLayout:
    """Where the two signatures of a certificate message sit, for one profile.

    Attributes:
        root: the root element's Clark name; the issuing authority's (or the bridge's)
            enveloped signature covers the whole document.
        content: the element holding boxes 1-11, identified by its ``Id`` attribute
            (``""``: the profile has no place for the exporter's signature).
        declaration: the exporter's declaration inside ``content``; the exporter's
            signature, when present, is its last child and references ``content``.
        place: the Clark names of the elements from the root down to the parent of the
            root signature, which is that parent's last child (``()``: the root itself).
        prepare: for a non-empty ``place``, makes the place in a document about to be
            signed and returns the parent element (UBL's signature extension).
    """

    root: str
    content: str = ""
    declaration: str = ""
    place: tuple[str, ...] = ()
    prepare: Callable[[etree._Element], etree._Element] | None = attrs.field(default=None, eq=False)


def profile_layouts() -> dict[str, SignatureLayout]:
    """The layouts of every available profile (built-in or registered by entry point),
    derived from their mapping tables."""
    from aswbridge import profiles

    found: dict[str, SignatureLayout] = {}
    for name in profiles.names():
        profile = profiles.get(name)
        parts = profile.signature_parts()
        if parts is not None:
            root, content, declaration = parts
            found[root] = SignatureLayout(root=root, content=content, declaration=declaration)
        for root, (place, prepare) in profile.signature_places().items():
            layout = found.get(root, SignatureLayout(root=root))
            found[root] = attrs.evolve(layout, place=place, prepare=prepare)
    return found


def _layouts(value: Mapping[str, SignatureLayout] | None) -> Mapping[str, SignatureLayout]:
    return {**profile_layouts(), **(value or {})}


def _curves(value: frozenset[str] | set[str] | tuple[str, ...] | list[str]) -> frozenset[str]:
    names = frozenset(CURVE_NAMES.get(v, v) for v in value)
    unknown = names - set(CURVE_NAMES.values())
    if unknown or not names:
        raise ConfigurationError(
            f"allowed curves are among {', '.join(CURVE_NAMES)}, not {sorted(unknown)!r}"
        )
    return names


@attrs.frozen(kw_only=True)
class SigningPolicy:
    """How the bridge signs: algorithms, minimum key sizes, and the profile layouts.

    The signature algorithm follows the key: RSA keys sign with RSA-SHA256, P-256 keys
    with ECDSA-SHA256 (P-384 with ECDSA-SHA384). References use exclusive c14n.
    """

    min_rsa_bits: int = 2048
    allowed_curves: frozenset[str] = attrs.field(default=DEFAULT_CURVES, converter=_curves)
    layouts: Mapping[str, SignatureLayout] = attrs.field(default=None, converter=_layouts)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _mode(value: str) -> RevocationMode:
    if value not in ("hard-fail", "soft-fail"):
        raise ConfigurationError(f"revocation mode must be hard-fail or soft-fail, not {value!r}")
    return value  # type: ignore[return-value]


@attrs.frozen(kw_only=True)
class VerificationPolicy:
    """What a signature must satisfy to be accepted.

    Attributes:
        signature_methods, digest_methods, c14n_methods: the allow-lists (W3C URIs).
        require_exporter_signature: refuse a certificate whose exporter's declaration
            is not signed (the authority's signature is always required).
        revocation: ``"soft-fail"`` accepts a certificate whose revocation status is
            unknown (no usable CRL) and reports a warning; ``"hard-fail"`` refuses it
            with ``REVOCATION_UNKNOWN``. A certificate listed in a CRL is always refused.
        at: the validation time (``None``: the current time when ``verify`` runs).
        min_rsa_bits: the smallest RSA key accepted in a chain.
        allowed_curves: the elliptic curves accepted in a chain: P-256 and P-384 by
            default; P-521 (``"P-521"`` or ``"secp521r1"``) only when listed. Never
            P-192, P-224 or secp256k1.
        max_chain_depth: the longest chain built to an anchor.
        layouts: where signatures sit, per root element.
    """

    signature_methods: frozenset[str] = DEFAULT_SIGNATURE_METHODS
    digest_methods: frozenset[str] = DEFAULT_DIGEST_METHODS
    c14n_methods: frozenset[str] = DEFAULT_C14N_METHODS
    require_exporter_signature: bool = False
    revocation: RevocationMode = attrs.field(default="soft-fail", converter=_mode)
    at: datetime | None = attrs.field(default=None, converter=_utc)
    min_rsa_bits: int = 2048
    allowed_curves: frozenset[str] = attrs.field(default=DEFAULT_CURVES, converter=_curves)
    max_chain_depth: int = 4
    layouts: Mapping[str, SignatureLayout] = attrs.field(default=None, converter=_layouts)

    def now(self) -> datetime:
        """The validation time: ``at`` when set, else the current UTC time."""
        return self.at or datetime.now(UTC)
