"""A throwaway TEST-ONLY public key infrastructure for testers, demos and test fixtures.

``create(path)`` writes, for Korea and the ten ASEAN Member States, a root CA and an
issuing CA per country, the issuing authority's signer certificate, an exporter's
certificate, each signer marked with its role (an extended key usage: document
signing plus the aswbridge role OID, see :mod:`aswbridge.security.roles`), four
deliberately bad signer certificates (expired, not yet valid, wrong
key usage, revoked) and the issuing CA's CRL listing the revoked one; plus a "bridge"
signer under its own root. Every subject says ``TEST ONLY`` and the folder holds a
README saying so. Private keys are written unencrypted: never use them for real.

Layout (``--trust DIR/<cc>`` trusts one country, ``--trust DIR`` all of them)::

    DIR/README.txt
    DIR/<cc>/root-ca.pem  root-ca.crl.pem  issuing-ca.pem  issuing-ca.crl.pem
    DIR/<cc>/authority.pem  authority.key.pem           the issuing authority's signer
    DIR/<cc>/exporter.pem  exporter.key.pem             an exporter (box 11 signature)
    DIR/<cc>/expired.pem  not-yet-valid.pem  wrong-usage.pem  revoked.pem  (+ .key.pem)
    DIR/bridge/root-ca.pem  bridge.pem  bridge.key.pem
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from aswbridge.errors import ConfigurationError
from aswbridge.security.roles import AUTHORITY, BRIDGE, DOCUMENT_SIGNING, EXPORTER, ROLE_OIDS
from aswbridge.security.signing import PrivateKey, load_certificates, load_private_key

__all__ = ["AUTHORITIES", "COUNTRIES", "Pki", "create"]

#: Issuing authorities of the test PKI (names are plausible, the certificates are not real).
AUTHORITIES: Mapping[str, str] = {
    "KR": "Korea Customs Service",
    "BN": "Ministry of Finance and Economy",
    "KH": "Ministry of Commerce",
    "ID": "Ministry of Trade",
    "LA": "Ministry of Industry and Commerce",
    "MY": "Ministry of Investment, Trade and Industry",
    "MM": "Ministry of Commerce",
    "PH": "Bureau of Customs",
    "SG": "Singapore Customs",
    "TH": "Department of Foreign Trade",
    "VN": "Ministry of Industry and Trade",
}
COUNTRIES: tuple[str, ...] = tuple(AUTHORITIES)

KeyType = Literal["ec", "rsa", "p384"]
_Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_README = """\
TEST ONLY - NOT FOR PRODUCTION
==============================

This folder is a throwaway public key infrastructure made by `aswbridge pki init`
for tests and demonstrations. Every certificate subject says "TEST ONLY". The private
keys (*.key.pem) are unencrypted and must never sign a real certificate of origin.

  <cc>/root-ca.pem          root CA of country <cc> (a trust anchor); root-ca.crl.pem its CRL
  <cc>/issuing-ca.pem       issuing CA under it; issuing-ca.crl.pem is its CRL
  <cc>/authority.pem        the issuing authority's signer (key: authority.key.pem)
  <cc>/exporter.pem         an exporter's signer for the box 11 declaration (it may
                            not certify: its role is marked in its extended key usage)
  <cc>/expired.pem, not-yet-valid.pem, wrong-usage.pem, revoked.pem
                            deliberately bad signers, each refused by `aswbridge verify`
  bridge/                   the bridge's own signer under its own root

Trust one country with `--trust DIR/<cc>`, all of them with `--trust DIR`.
"""


@attrs.frozen(kw_only=True)
class Pki:
    """Where ``create`` wrote things."""

    path: Path
    countries: tuple[str, ...]

    def country(self, cc: str) -> Path:
        """The folder of one country."""
        return self.path / cc.upper()

    def signer(self, cc: str, name: str = "authority") -> tuple[Path, Path, Path]:
        """(key, certificate, issuing-CA chain) paths of a signer of country ``cc``."""
        folder = self.country(cc)
        return folder / f"{name}.key.pem", folder / f"{name}.pem", folder / "issuing-ca.pem"

    def load(
        self, cc: str, name: str = "authority"
    ) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]]:
        """(private key, certificate, [issuing CA]) of a signer of country ``cc``."""
        key, cert, chain = self.signer(cc, name)
        return load_private_key(key), load_certificates(cert)[0], load_certificates(chain)

    @property
    def bridge(self) -> tuple[Path, Path]:
        """(key, certificate) paths of the bridge's signer."""
        return self.path / "bridge" / "bridge.key.pem", self.path / "bridge" / "bridge.pem"


def _new_key(kind: KeyType) -> _Key:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1() if kind == "p384" else ec.SECP256R1())


def _name(country: str, org: str, common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST ONLY"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"TEST ONLY {common}"),
        ]
    )


def _usage(*, ca: bool, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=not ca and not signing,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@attrs.frozen(kw_only=True)
class _Issuer:
    name: x509.Name
    key: _Key
    cert: x509.Certificate | None


def _certificate(
    *,
    subject: x509.Name,
    key: _Key,
    issuer: _Issuer,
    ca: bool,
    start: datetime,
    days: int,
    signing: bool = True,
    serial: int | None = None,
    role: str | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(
            x509.BasicConstraints(
                ca=ca, path_length=(1 if issuer.cert is None else 0) if ca else None
            ),
            critical=True,
        )
        .add_extension(_usage(ca=ca, signing=signing and not ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if role is not None:
        usages = (DOCUMENT_SIGNING, ROLE_OIDS[role])
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(u) for u in usages]), critical=False
        )
    if issuer.cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    return builder.sign(issuer.key, hashes.SHA256())


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        os.chmod(path, 0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: _Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_signer(folder: Path, stem: str, cert: x509.Certificate, key: _Key) -> None:
    _write(folder / f"{stem}.pem", _pem(cert))
    _write(folder / f"{stem}.key.pem", _key_pem(key), secret=True)


def _country(folder: Path, cc: str, *, key_type: KeyType, now: datetime) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    org = AUTHORITIES.get(cc, f"Issuing authority {cc}")
    root_key, ca_key = _new_key("ec"), _new_key("ec")
    root_name = _name(cc, org, f"{cc} e-CO Root CA")
    root = _Issuer(name=root_name, key=root_key, cert=None)
    root_cert = _certificate(
        subject=root_name,
        key=root_key,
        issuer=root,
        ca=True,
        start=now - timedelta(days=3650),
        days=7300,
    )
    ca_name = _name(cc, org, f"{cc} e-CO Issuing CA")
    ca_cert = _certificate(
        subject=ca_name,
        key=ca_key,
        issuer=_Issuer(name=root_name, key=root_key, cert=root_cert),
        ca=True,
        start=now - timedelta(days=1825),
        days=3650,
    )
    issuing = _Issuer(name=ca_name, key=ca_key, cert=ca_cert)
    _write(folder / "root-ca.pem", _pem(root_cert))
    _write(folder / "issuing-ca.pem", _pem(ca_cert))
    recent = now - timedelta(days=365)
    signers: dict[str, tuple[str, datetime, int, bool]] = {
        "authority": (f"{org} e-CO signer", recent, 1095, True),
        "exporter": (f"{cc} exporter e-CO declarant", recent, 1095, True),
        "expired": ("expired signer", now - timedelta(days=400), 365, True),
        "not-yet-valid": ("not-yet-valid signer", now + timedelta(days=30), 365, True),
        "wrong-usage": ("wrong-key-usage signer", recent, 730, False),
        "revoked": ("revoked signer", recent, 730, True),
    }
    revoked_serial = 0
    for stem, (common, start, days, signing) in signers.items():
        key = _new_key(key_type if stem == "authority" else "ec")
        cert = _certificate(
            subject=_name(cc, org, common),
            key=key,
            issuer=issuing,
            ca=False,
            start=start,
            days=days,
            signing=signing,
            role=EXPORTER if stem == "exporter" else AUTHORITY,
        )
        _write_signer(folder, stem, cert, key)
        if stem == "revoked":
            revoked_serial = cert.serial_number
    _write(folder / "issuing-ca.crl.pem", _crl(ca_name, ca_key, now, revoked=(revoked_serial,)))
    _write(folder / "root-ca.crl.pem", _crl(root_name, root_key, now))


def _crl(issuer: x509.Name, key: _Key, now: datetime, *, revoked: Iterable[int] = ()) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(now - timedelta(days=1))
        .next_update(now + timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(now - timedelta(days=2))
            .build()
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def create(
    path: str | Path,
    *,
    countries: Iterable[str] = COUNTRIES,
    key_type: KeyType = "ec",
    bridge_country: str = "KR",
    now: datetime | None = None,
) -> Pki:
    """Write a TEST-ONLY PKI under ``path`` (created if missing) and return its layout.

    Args:
        countries: ISO 3166 alpha-2 codes to make a root, issuing CA and signers for.
        key_type: the issuing authority's (and the bridge's) signer key: ``"ec"``
            (P-256, fast), ``"p384"`` (P-384) or ``"rsa"`` (2048 bits); CAs and other
            signers always use P-256.
        bridge_country: the country in the bridge signer's subject.
        now: the reference time for validity periods (default: the current time).
    """
    if key_type not in ("ec", "rsa", "p384"):
        raise ConfigurationError(f"key type must be ec, p384 or rsa, not {key_type!r}")
    base = Path(path)
    base.mkdir(parents=True, exist_ok=True)
    when = (now or datetime.now(UTC)).replace(microsecond=0)
    codes = tuple(c.upper() for c in countries)
    for cc in codes:
        if len(cc) != 2 or not cc.isalpha():
            raise ConfigurationError(f"not an ISO 3166 alpha-2 code: {cc!r}")
        _country(base / cc, cc, key_type=key_type, now=when)
    _write(base / "README.txt", _README.encode())
    bridge = base / "bridge"
    bridge.mkdir(exist_ok=True)
    key, root_key = _new_key(key_type), _new_key("ec")
    org = "aswbridge operator"
    root_name = _name(bridge_country, org, "bridge Root CA")
    root = _Issuer(name=root_name, key=root_key, cert=None)
    root_cert = _certificate(
        subject=root_name,
        key=root_key,
        issuer=root,
        ca=True,
        start=when - timedelta(days=365),
        days=3650,
    )
    cert = _certificate(
        subject=_name(bridge_country, org, "bridge signer"),
        key=key,
        issuer=_Issuer(name=root_name, key=root_key, cert=root_cert),
        ca=False,
        start=when - timedelta(days=365),
        days=1095,
        role=BRIDGE,
    )
    _write(bridge / "root-ca.pem", _pem(root_cert))
    _write_signer(bridge, "bridge", cert, key)
    return Pki(path=base, countries=codes)
