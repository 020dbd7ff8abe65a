"""Trust anchors, chain building, validity, key usage, roles and offline revocation.

A :class:`TrustStore` holds what the configuration names: trust anchors, optional
intermediate CA certificates, and CRL files. It never falls back to a public CA
bundle: with no anchor it cannot be built.

Every anchor is tied to one country: the country declared with it (``ID=path``), else the
country folder it was found in (``KR/``, ``TH/``), else its own subject's ``C=``.
:func:`aswbridge.security.check_issuer` then requires a signer chaining to it to sign
for that country only; an anchor with no country can anchor a pinned bridge and
nothing else. Inside folders, self-signed CA certificates are anchors, other CA
certificates are intermediates, end-entity certificates are ignored, CRLs are loaded,
and files whose name says ``key`` are never opened. A certificate file named directly
(not through a folder) is an anchor whether or not it is self-signed.

An anchor declared for a role (``ID:authority=path``) entitles every signer under it to
that role for its country; under any other anchor a signer holds the roles whose OIDs
it names (see :mod:`aswbridge.security.roles`).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from aswbridge.errors import AswBridgeError, ConfigurationError
from aswbridge.security.errors import (
    CertExpired,
    CertificateError,
    CertNotYetValid,
    KeyUsageError,
    RevocationUnknown,
    Revoked,
    UntrustedSigner,
)
from aswbridge.security.policy import DEFAULT_CURVES, RevocationMode
from aswbridge.security.roles import (
    AUTHORITY,
    EXPORTER,
    check_extended_key_usage,
    marked_roles,
    role_oids,
)

__all__ = ["TrustStore", "ValidatedChain", "country_of", "fingerprint", "subject_of"]

_CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der", ".crl")
_COUNTRY_DIR = re.compile(r"^[A-Z]{2}$")
_SPEC = re.compile(r"^([A-Za-z]{2})(?::([a-z]+))?=(.+)$", re.DOTALL)
_ANCHOR_ROLES = (AUTHORITY, EXPORTER)
_DEFAULT_OIDS = role_oids()
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.+?\r?\n-----END \1-----", re.DOTALL)


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint of a certificate's DER encoding, lower-case hex."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def subject_of(cert: x509.Certificate) -> str:
    """The certificate's subject as an RFC 4514 string."""
    return cert.subject.rfc4514_string()


def country_of(cert: x509.Certificate) -> str | None:
    """The subject's country (``C=``), or ``None`` when it names none."""
    values = cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    return str(values[0].value).upper() if values else None


@attrs.frozen(kw_only=True)
class ValidatedChain:
    """A chain from the signer to a configured anchor, as validated at ``at``."""

    chain: tuple[x509.Certificate, ...]
    anchor_scope: str | None
    at: datetime
    warnings: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset()

    @property
    def signer(self) -> x509.Certificate:
        """The end-entity certificate (first of the chain)."""
        return self.chain[0]


def _require_digital_signature(
    policy: object, cert: x509.Certificate, ext: x509.KeyUsage | None
) -> None:
    if ext is None or not ext.digital_signature:
        raise ValueError("KeyUsage does not allow digitalSignature")


def _require_ca(policy: object, cert: x509.Certificate, ext: x509.BasicConstraints | None) -> None:
    if ext is None or not ext.ca:
        raise ValueError("issuer is not a CA")


# RFC 5280 profile checks as cryptography's WebPKI defaults make them, except that a
# document signer needs no subjectAltName (it names no host) and must allow
# digitalSignature; extended key usage is checked by the roles module instead.
_EE_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
    .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _require_digital_signature)
)
_CA_POLICY = (
    ExtensionPolicy.webpki_defaults_ca()
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
    .require_present(x509.SubjectKeyIdentifier, Criticality.NON_CRITICAL, None)
    .may_be_present(x509.PolicyConstraints, Criticality.CRITICAL, None)
)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _read_objects(
    path: Path,
) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    data = path.read_bytes()
    certs: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    try:
        if b"-----BEGIN" in data:
            for match in _PEM_BLOCK.finditer(data):
                kind = match.group(1)
                if kind == b"CERTIFICATE":
                    certs.append(x509.load_pem_x509_certificate(match.group(0)))
                elif kind == b"X509 CRL":
                    crls.append(x509.load_pem_x509_crl(match.group(0)))
        elif path.suffix == ".crl":
            crls.append(x509.load_der_x509_crl(data))
        else:
            certs.append(x509.load_der_x509_certificate(data))
    except ValueError as exc:
        raise ConfigurationError(f"cannot read trust material {path}: {exc}") from None
    return certs, crls


@attrs.frozen(kw_only=True, eq=False)
class TrustStore:
    """Configured anchors, intermediates and CRLs; validates signer chains offline.

    Attributes:
        scopes: anchor fingerprint -> the country it is trusted for (``None``: none,
            it anchors pinned bridges only).
        granted: anchor fingerprint -> the roles every signer under it holds (role
            anchors); a signer under any other anchor holds the roles its OIDs mark.
        oids: country -> role -> the OIDs marking that role for signers of that
            country (default: aswbridge's, :data:`aswbridge.security.roles.ROLE_OIDS`).
    """

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    scopes: dict[str, str | None] = attrs.field(factory=dict)
    granted: dict[str, frozenset[str]] = attrs.field(factory=dict)
    oids: Mapping[str, Mapping[str, frozenset[str]]] = attrs.field(factory=dict)
    _store: Store = attrs.field(init=False)
    _crl_issuers: tuple[tuple[x509.CertificateRevocationList, x509.Name], ...] = attrs.field(
        init=False
    )
    _cache: _ChainCache = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if not self.anchors:
            raise ConfigurationError("no trust anchor configured: refusing to verify signatures")
        object.__setattr__(self, "_store", Store(list(self.anchors)))
        object.__setattr__(self, "_crl_issuers", tuple((c, c.issuer) for c in self.crls))
        object.__setattr__(self, "_cache", _ChainCache())

    @classmethod
    def from_certificates(
        cls,
        anchors: Iterable[x509.Certificate],
        *,
        intermediates: Iterable[x509.Certificate] = (),
        crls: Iterable[x509.CertificateRevocationList] = (),
        scope: str | None = None,
        role: str | None = None,
    ) -> TrustStore:
        """A store from certificate objects.

        Args:
            scope: the country every anchor is trusted for (default: each anchor's
                subject country).
            role: ``"authority"`` or ``"exporter"`` to make them role anchors.
        """
        anchors = tuple(anchors)
        checked = _role(role)
        roles = frozenset({checked}) if checked is not None else frozenset()
        return cls(
            anchors=anchors,
            intermediates=tuple(intermediates),
            crls=tuple(crls),
            scopes={fingerprint(a): _country(a, scope, where="anchor") for a in anchors},
            granted={fingerprint(a): roles for a in anchors} if roles else {},
        )

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[str | Path],
        *,
        crls: Iterable[str | Path] = (),
        oids: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
    ) -> TrustStore:
        """A store from PEM/DER files and folders (see the module docstring for the rules).

        Args:
            paths: files or folders; a string ``CC=path`` declares the country of the
                anchors found there, ``CC:ROLE=path`` (``ROLE`` ``authority`` or
                ``exporter``) makes them role anchors of that country.
            oids: country -> role -> the OIDs that mark a signer of that country for
                that role, replacing aswbridge's.

        Raises:
            ConfigurationError: a path is missing or unreadable, no anchor was found, an
                anchor's subject names another country than the one declared for it.
        """
        anchors: dict[str, x509.Certificate] = {}
        scopes: dict[str, str | None] = {}
        granted: dict[str, frozenset[str]] = {}
        general: set[str] = set()
        inter: dict[str, x509.Certificate] = {}
        crl_list: list[x509.CertificateRevocationList] = []

        def anchor(cert: x509.Certificate, country: str | None, role: str | None) -> None:
            fp = fingerprint(cert)
            anchors[fp] = cert
            found = _country(cert, country, where=f"anchor {subject_of(cert)}")
            if scopes.setdefault(fp, found) != found:
                raise ConfigurationError(
                    f"anchor {subject_of(cert)} is configured for {scopes[fp]} and {found}"
                )
            if role is None:
                general.add(fp)
            else:
                granted[fp] = granted.get(fp, frozenset()) | {role}

        for raw in paths:
            declared, role, path = _spec(raw)
            if path.is_file():
                certs, found = _read_objects(path)
                crl_list += found
                for cert in certs:
                    if _is_ca(cert):
                        anchor(cert, declared, role)
                continue
            if not path.is_dir():
                raise ConfigurationError(f"trust path {path} does not exist")
            for file in sorted(path.rglob("*")):
                if not file.is_file() or file.suffix.lower() not in _CERT_SUFFIXES:
                    continue
                if "key" in file.name.lower():
                    continue
                folder = next(
                    (
                        p.name
                        for p in (file.parent, *file.parent.parents)
                        if _COUNTRY_DIR.match(p.name) and p.is_relative_to(path)
                    ),
                    None,
                )
                certs, found = _read_objects(file)
                crl_list += found
                for cert in certs:
                    if not _is_ca(cert):
                        continue
                    if cert.issuer == cert.subject:
                        anchor(cert, declared or folder, role)
                    else:
                        inter[fingerprint(cert)] = cert
        for raw in crls:
            crl_list += _read_objects(Path(raw))[1]
        return cls(
            anchors=tuple(anchors.values()),
            intermediates=tuple(c for fp, c in inter.items() if fp not in anchors),
            crls=tuple(crl_list),
            scopes=scopes,
            granted={fp: r for fp, r in granted.items() if fp not in general},
            oids={cc.upper(): role_oids(v) for cc, v in (oids or {}).items()},
        )

    def roles_of(self, chain: Sequence[x509.Certificate]) -> frozenset[str]:
        """The roles the signer of a validated ``chain`` (signer first) is entitled to."""
        anchor = fingerprint(chain[-1])
        granted = self.granted.get(anchor)
        if granted is not None:
            return granted
        country = self.scopes.get(anchor)
        return marked_roles(chain[0], self.oids.get(country or "") or _DEFAULT_OIDS)

    def validate(
        self,
        signer: x509.Certificate,
        *,
        untrusted: Sequence[x509.Certificate] = (),
        at: datetime,
        revocation: RevocationMode = "soft-fail",
        min_rsa_bits: int = 2048,
        max_chain_depth: int = 4,
        allowed_curves: frozenset[str] = DEFAULT_CURVES,
    ) -> ValidatedChain:
        """Build and check the chain from ``signer`` to an anchor, valid at ``at``.

        Args:
            signer: the end-entity certificate whose key made the signature.
            untrusted: certificates offered by the document (KeyInfo), used only to
                build the path, never trusted for themselves.
            at: the validation time (timezone-aware).
            revocation: what to do when no usable CRL says whether a certificate of
                the chain is revoked.
            min_rsa_bits, allowed_curves: the keys accepted anywhere in the chain.

        Raises:
            CertNotYetValid, CertExpired, KeyUsageError, UntrustedSigner, Revoked,
            RevocationUnknown, CertificateError.
        """
        try:
            chain = self._chain(
                signer,
                untrusted,
                at=at,
                max_chain_depth=max_chain_depth,
                min_rsa_bits=min_rsa_bits,
                allowed_curves=allowed_curves,
            )
        except (
            ValueError,
            TypeError,
            UnsupportedAlgorithm,
            x509.DuplicateExtension,
            x509.UnsupportedGeneralNameType,
        ) as exc:  # an unusable certificate
            if isinstance(exc, AswBridgeError):
                raise
            raise CertificateError(f"a certificate of the chain cannot be used: {exc}") from None
        warnings = self._check_revocation(chain, at=at, mode=revocation)
        return ValidatedChain(
            chain=chain,
            anchor_scope=self.scopes.get(fingerprint(chain[-1])),
            at=at,
            warnings=warnings,
            roles=self.roles_of(chain),
        )

    def _chain(
        self,
        signer: x509.Certificate,
        untrusted: Sequence[x509.Certificate],
        *,
        at: datetime,
        max_chain_depth: int,
        min_rsa_bits: int,
        allowed_curves: frozenset[str],
    ) -> tuple[x509.Certificate, ...]:
        _check_end_entity(signer, at=at)
        extra = {
            oid for marks in self.oids.values() for oid_set in marks.values() for oid in oid_set
        }
        check_extended_key_usage(signer, extra=extra, subject=subject_of(signer))
        pool = [c for c in untrusted if c != signer] + list(self.intermediates)
        key = (signer, *pool, max_chain_depth)
        chain = self._cache.get(key, at)
        if chain is None:
            chain = self._build(
                signer,
                pool,
                at=at,
                max_chain_depth=max_chain_depth,
                min_rsa_bits=min_rsa_bits,
                allowed_curves=allowed_curves,
            )
            self._cache.put(key, chain)
        for cert in chain:
            _check_key(cert, min_rsa_bits=min_rsa_bits, curves=allowed_curves)
        for cert in chain[1:-1]:
            _require_authority_key_id(cert)
        return chain

    def _build(
        self,
        signer: x509.Certificate,
        pool: list[x509.Certificate],
        *,
        at: datetime,
        max_chain_depth: int,
        min_rsa_bits: int,
        allowed_curves: frozenset[str],
    ) -> tuple[x509.Certificate, ...]:
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(at)
            .max_chain_depth(max_chain_depth)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        try:
            return tuple(verifier.verify(signer, pool).chain)
        except VerificationError as exc:
            _explain(
                signer,
                [*pool, *self.anchors],
                at=at,
                min_rsa_bits=min_rsa_bits,
                curves=allowed_curves,
            )
            raise UntrustedSigner(
                f"no path from {subject_of(signer)} to a configured trust anchor ({exc})"
            ) from None

    def _check_revocation(
        self, chain: Sequence[x509.Certificate], *, at: datetime, mode: RevocationMode
    ) -> tuple[str, ...]:
        warnings: list[str] = []
        for cert, issuer in itertools.pairwise(chain):
            known = False
            issuer_name = issuer.subject
            for crl, crl_issuer in self._crl_issuers:
                if crl_issuer != issuer_name or not _may_sign_crls(issuer) or not _numbered(crl):
                    continue
                if not self._cache.crl_valid(crl, issuer):
                    continue
                if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                    raise Revoked(f"{subject_of(cert)} (serial {cert.serial_number:x}) is revoked")
                next_update = crl.next_update_utc
                if crl.last_update_utc <= at and (next_update is None or at <= next_update):
                    known = True
            if not known:
                text = f"revocation status of {subject_of(cert)} is unknown (no current CRL)"
                if mode == "hard-fail":
                    raise RevocationUnknown(text)
                warnings.append(text)
        return tuple(warnings)


class _ChainCache:
    """Validated chains and CRL signature checks, remembered (bounded, thread-safe).

    A chain validated once stays valid for any time inside the intersection of its
    certificates' validity periods (nothing else in path validation depends on time);
    revocation is checked again on every call.
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._chains: OrderedDict[tuple[object, ...], tuple[x509.Certificate, ...]] = OrderedDict()
        self._crls: dict[tuple[int, bytes], bool] = {}

    def get(self, key: tuple[object, ...], at: datetime) -> tuple[x509.Certificate, ...] | None:
        with self._lock:
            chain = self._chains.get(key)
            if chain is not None:
                self._chains.move_to_end(key)
        if chain is None:
            return None
        if all(c.not_valid_before_utc <= at <= c.not_valid_after_utc for c in chain):
            return chain
        return None

    def put(self, key: tuple[object, ...], chain: tuple[x509.Certificate, ...]) -> None:
        with self._lock:
            self._chains[key] = chain
            while len(self._chains) > self._size:
                self._chains.popitem(last=False)

    def crl_valid(self, crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
        key = (id(crl), issuer.fingerprint(hashes.SHA256()))
        known = self._crls.get(key)
        if known is None:
            known = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            with self._lock:
                self._crls[key] = known
        return known


def _spec(raw: str | Path) -> tuple[str | None, str | None, Path]:
    """``path``, ``CC=path`` or ``CC:ROLE=path`` -> (country, role, path)."""
    if isinstance(raw, str) and not Path(raw).exists():
        match = _SPEC.match(raw)
        if match:
            return match.group(1).upper(), _role(match.group(2)), Path(match.group(3))
    return None, None, Path(raw)


def _role(role: str | None) -> str | None:
    if role is not None and role not in _ANCHOR_ROLES:
        raise ConfigurationError(f"an anchor's role is {' or '.join(_ANCHOR_ROLES)}, not {role!r}")
    return role


def _country(cert: x509.Certificate, declared: str | None, *, where: str) -> str | None:
    """The country an anchor is trusted for: the declared one, else its subject's."""
    own = country_of(cert)
    if declared is None:
        return own
    declared = declared.upper()
    if own is not None and own != declared:
        raise ConfigurationError(f"{where} names C={own} but is configured for {declared}")
    return declared


def _require_authority_key_id(cert: x509.Certificate) -> None:
    """An intermediate CA names its issuer's key (RFC 5280 4.2.1.1)."""
    try:
        cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        raise CertificateError(
            f"CA certificate {subject_of(cert)} has no authority key identifier"
        ) from None


def _check_key(cert: x509.Certificate, *, min_rsa_bits: int, curves: frozenset[str]) -> None:
    if cert.serial_number <= 0:  # RFC 5280 4.1.2.2
        raise CertificateError(f"{subject_of(cert)} has a serial number that is not positive")
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < min_rsa_bits:
            raise CertificateError(f"{subject_of(cert)} has a {key.key_size}-bit RSA key")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in curves:
            raise CertificateError(
                f"{subject_of(cert)} has a key on curve {key.curve.name}, not allowed "
                f"(allowed: {', '.join(sorted(curves))})"
            )
    else:
        raise CertificateError(f"{subject_of(cert)} has a {type(key).__name__}, not allowed")


def _check_end_entity(cert: x509.Certificate, *, at: datetime) -> None:
    _check_period(cert, at=at, what="signer certificate")
    if _is_ca(cert):
        raise KeyUsageError(f"{subject_of(cert)} is a CA certificate: it may not sign documents")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise KeyUsageError(f"{subject_of(cert)} has no KeyUsage extension") from None
    if not usage.digital_signature:
        raise KeyUsageError(f"{subject_of(cert)} KeyUsage does not allow digitalSignature")
    if usage.key_cert_sign:
        raise KeyUsageError(f"{subject_of(cert)} KeyUsage allows keyCertSign but it is not a CA")


def _numbered(crl: x509.CertificateRevocationList) -> bool:
    """Whether ``crl`` carries the non-critical CRL number RFC 5280 5.2.3 requires."""
    try:
        return not crl.extensions.get_extension_for_class(x509.CRLNumber).critical
    except x509.ExtensionNotFound:
        return False


def _may_sign_crls(issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s KeyUsage, when present, allows signing CRLs (RFC 5280 4.2.1.3)."""
    try:
        return bool(issuer.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign)
    except x509.ExtensionNotFound:
        return True


def _check_period(cert: x509.Certificate, *, at: datetime, what: str) -> None:
    # X.509 times have whole seconds: a certificate is valid through its notAfter second
    second = at.replace(microsecond=0)
    if second < cert.not_valid_before_utc:
        raise CertNotYetValid(
            f"{what} {subject_of(cert)} is not valid before {cert.not_valid_before_utc.isoformat()}"
            f" (checked at {at.isoformat()})"
        )
    if second > cert.not_valid_after_utc:
        raise CertExpired(
            f"{what} {subject_of(cert)} expired {cert.not_valid_after_utc.isoformat()}"
            f" (checked at {at.isoformat()})"
        )


def _explain(
    signer: x509.Certificate,
    pool: Sequence[x509.Certificate],
    *,
    at: datetime,
    min_rsa_bits: int,
    curves: frozenset[str],
) -> None:
    """Turn a failed path into a precise code when an issuer on the way (an anchor
    included) is out of date or has a key the policy refuses."""
    current = signer
    for _ in range(len(pool)):
        issuer = next((c for c in pool if c.subject == current.issuer and c != current), None)
        if issuer is None:
            return
        _check_key(issuer, min_rsa_bits=min_rsa_bits, curves=curves)
        if issuer.subject == issuer.issuer:
            return
        _check_period(issuer, at=at, what="CA certificate")
        current = issuer
