"""Sign documents: the authority's (or the bridge's) enveloped signature, and the exporter's.

Signatures are enveloped, use exclusive c14n and SHA-256 digests, and carry the
signer's certificate followed by its intermediates in ``KeyInfo/X509Data``. The
algorithm follows the key: RSA (2048 bits or more) signs with RSA-SHA256, P-256 with
ECDSA-SHA256, P-384 with ECDSA-SHA384.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from lxml import etree
from signxml.exceptions import InvalidInput
from signxml.signer import XMLSigner

from aswbridge.errors import ConfigurationError
from aswbridge.security import _structure
from aswbridge.security.policy import (
    ECDSA_SHA256,
    ECDSA_SHA384,
    EXC_C14N,
    RSA_SHA256,
    SHA256,
    SigningPolicy,
)

__all__ = ["PrivateKey", "Signer", "load_certificates", "load_private_key"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def load_private_key(path: str | Path, *, password: bytes | None = None) -> PrivateKey:
    """Read a PEM private key (RSA or EC) from a file."""
    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot read private key {path}: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"{path}: only RSA and EC keys can sign")
    return key


def load_certificates(path: str | Path) -> list[x509.Certificate]:
    """Read every PEM certificate in a file, in order."""
    try:
        certs = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read certificates from {path}: {exc}") from None
    return certs


class Signer:
    """Makes enveloped signatures under a :class:`SigningPolicy`; reusable."""

    def __init__(self, policy: SigningPolicy | None = None) -> None:
        self.policy = policy or SigningPolicy()

    def sign(
        self,
        element: etree._Element,
        *,
        key: PrivateKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> etree._Element:
        """Sign the whole document; the signature becomes the last child of the root
        (or of the place the profile's layout makes, UBL's signature extension).

        The input is not changed: the signed document is a new tree.

        Raises:
            ConfigurationError: the key is too weak or does not match ``cert``, or the
                document is already signed at the root.
        """
        layout = self.policy.layouts.get(str(element.tag))
        if layout is not None and layout.prepare is not None:
            if any(
                _structure.place_of(s, element) == layout.place
                for s in element.iter(_structure.ds("Signature"))
            ):
                raise ConfigurationError("the document already carries a root signature")
            element = copy.deepcopy(element)  # the input is not changed
            place = layout.prepare(element)
            etree.SubElement(place, _structure.ds("Signature"), Id="placeholder")
        else:
            last = next((c for c in reversed(element) if isinstance(c.tag, str)), None)
            if last is not None and last.tag == _structure.ds("Signature"):
                raise ConfigurationError("the document already carries a root signature")
        signer = self._signer(key, cert)
        try:
            signed = signer.sign(element, key=key, cert=[cert, *chain])
        except InvalidInput as exc:
            raise ConfigurationError(f"cannot sign: {exc}") from None
        assert isinstance(signed, etree._Element)
        return signed

    def sign_declaration(
        self,
        element: etree._Element,
        *,
        key: PrivateKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> etree._Element:
        """Add the exporter's signature to the exporter's declaration (box 11).

        The signature references the certificate content element (boxes 1-11) by its
        ``Id`` and is placed as the last child of the declaration element inside it.
        Call this before the authority's :meth:`sign`, which then covers it too.

        Raises:
            ConfigurationError: the document's profile has no known layout, its content
                element has no ``Id``, or the declaration is missing or already signed.
        """
        layout = self.policy.layouts.get(str(element.tag))
        if layout is None or not layout.content:
            raise ConfigurationError(
                f"no place for an exporter's signature in a {element.tag} document"
            )
        document = copy.deepcopy(element)
        content = document.find(f".//{layout.content}")
        declaration = None if content is None else content.find(f".//{layout.declaration}")
        if content is None or declaration is None:
            raise ConfigurationError("the document has no exporter's declaration to sign")
        if content.get("Id") is None:
            raise ConfigurationError(f"{etree.QName(content).localname} needs an Id attribute")
        if declaration.find(_structure.ds("Signature")) is not None:
            raise ConfigurationError("the exporter's declaration is already signed")
        try:
            signed_content = self._signer(key, cert).sign(content, key=key, cert=[cert, *chain])
        except InvalidInput as exc:
            raise ConfigurationError(f"cannot sign: {exc}") from None
        declaration.append(signed_content[-1])
        return document

    def _signer(self, key: PrivateKey, cert: x509.Certificate) -> XMLSigner:
        public = key.public_key()
        if public.public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        ) != cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo):
            raise ConfigurationError("the signing key does not match the certificate")
        if isinstance(key, rsa.RSAPrivateKey):
            if key.key_size < self.policy.min_rsa_bits:
                raise ConfigurationError(
                    f"RSA keys of {key.key_size} bits are too weak "
                    f"(minimum {self.policy.min_rsa_bits})"
                )
            method = RSA_SHA256
        else:
            if key.curve.name not in self.policy.allowed_curves:
                raise ConfigurationError(f"curve {key.curve.name} is not allowed")
            method = ECDSA_SHA384 if key.curve.name == "secp384r1" else ECDSA_SHA256
        return XMLSigner(
            signature_algorithm=method, digest_algorithm=SHA256, c14n_algorithm=EXC_C14N
        )
