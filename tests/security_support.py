"""Shared helpers for the security tests: documents, signing, mutation, certificates."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from aswbridge import _xml
from aswbridge.security import Signer

ASW = "urn:aswbridge:reference:asw:1"
UNIPASS = "urn:aswbridge:reference:unipass:1"
DS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"a": ASW, "u": UNIPASS, "ds": DS}


def asw_document(*, items: int = 3, co_id: str = "CO-1", extra: str = "") -> bytes:
    """A small pretty-printed message in the ASW reference shape (not schema-complete)."""
    goods = "".join(
        f"""
        <Item>
          <Number>{n}</Number>
          <Description>Item {n}: printed circuit assemblies &amp; parts</Description>
          <HSCode>8471{n % 10}0</HSCode>
          <FOB currency="USD">{100 + n}.50</FOB>
        </Item>"""
        for n in range(1, items + 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EFormMessage xmlns="{ASW}">
  <MessageHeader>
    <MessageId>9b2f8c1e-0000-4000-8000-000000000001</MessageId>
    <Sender>KR</Sender>
  </MessageHeader>
  <Payload>
    <CertificateOfOrigin Id="{co_id}">
      <ReferenceNumber>KR-2026-000123</ReferenceNumber>
      <IssuingCountry>KR</IssuingCountry>
      <Exporter><Name>ACME Electronics Co., Ltd.</Name></Exporter>{goods}{extra}
      <ExporterDeclaration>
        <Place>Seoul</Place>
        <Date>2026-11-02</Date>
      </ExporterDeclaration>
    </CertificateOfOrigin>
    <Certification>
      <Officer>Kim Min-jun</Officer>
    </Certification>
  </Payload>
</EFormMessage>
""".encode()


def unipass_document(*, co_id: str = "CO-9") -> bytes:
    """A small message in the UNI-PASS reference shape."""
    return f"""<EcoMsg xmlns="{UNIPASS}">
  <MsgHdr><MsgId>1</MsgId></MsgHdr>
  <MsgBody>
    <CoInfo Id="{co_id}">
      <CoNo>TH-2026-77</CoNo>
      <ExpDclr><DclrPlc>Bangkok</DclrPlc></ExpDclr>
    </CoInfo>
    <CertInfo><Ofcr>Somchai</Ofcr></CertInfo>
  </MsgBody>
</EcoMsg>""".encode()


def serialise(element: etree._Element) -> bytes:
    """Bytes as a peer would send them."""
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def sign(
    data: bytes,
    signer: tuple[object, x509.Certificate, list[x509.Certificate]],
    *,
    exporter: tuple[object, x509.Certificate, list[x509.Certificate]] | None = None,
) -> bytes:
    """Sign (optionally the exporter's declaration first, then the whole document)."""
    root = _xml.parse(data)
    if exporter is not None:
        key, cert, chain = exporter
        root = Signer().sign_declaration(root, key=key, cert=cert, chain=chain)  # type: ignore[arg-type]
    key, cert, chain = signer
    return serialise(Signer().sign(root, key=key, cert=cert, chain=chain))  # type: ignore[arg-type]


def mutate(data: bytes, change: Callable[[etree._Element], object]) -> bytes:
    """Parse, apply ``change`` to the root, serialise again."""
    root = _xml.parse(data)
    change(root)
    return serialise(root)


def one(root: etree._Element, path: str) -> etree._Element:
    """The single element at an XPath (with prefixes a/u/ds)."""
    found = root.xpath(path, namespaces=NSMAP)
    assert isinstance(found, list) and len(found) == 1, (path, found)
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def root_signature(root: etree._Element) -> etree._Element:
    """The root's signature element."""
    return one(root, "/*/ds:Signature")


def clone(element: etree._Element) -> etree._Element:
    """A deep copy."""
    return copy.deepcopy(element)


# --- certificates built by hand for the K series ----------------------------------------


def name(country: str, common: str) -> x509.Name:
    """A subject name."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"TEST ONLY {common}"),
        ]
    )


def issue(
    *,
    subject: x509.Name,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    issuer_name: x509.Name,
    issuer_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    ca: bool = False,
    start: datetime | None = None,
    days: int = 365,
    digital_signature: bool = True,
    extensions: Iterable[x509.ExtensionType] = (),
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    """A certificate with just the extensions the tests need."""
    begin = start or datetime.now(UTC) - timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(begin + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature and not ca,
                content_commitment=False,
                key_encipherment=not digital_signature,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    # the key identifiers a conforming CA writes (RFC 5280 4.2.1.1, 4.2.1.2)
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    )
    if issuer_name != subject or issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hash_algorithm or hashes.SHA256())


def ec_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key."""
    return ec.generate_private_key(ec.SECP256R1())
