"""Checks on the parsed ds:Signature before any cryptography, so refusals are precise.

The rules (threats G4-G20 of docs/threat-model.md): signatures only at their pinned places;
one SignedInfo with listed c14n and signature algorithms; exactly one Reference whose
URI names the element the signature must cover; only the enveloped-signature
transform plus one listed c14n transform; a listed digest; KeyInfo carrying X.509
certificates and nothing that asks to fetch a key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import attrs
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from lxml import etree

from aswbridge.security.errors import (
    AlgorithmNotAllowed,
    AmbiguousReference,
    KeyInfoNotAllowed,
    ReferenceNotAllowed,
    SignatureInvalid,
    SignatureLocation,
    SignatureMissing,
    TransformNotAllowed,
)
from aswbridge.security.policy import DS_NS, ENVELOPED, SignatureLayout, VerificationPolicy

_EC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"


def ds(tag: str) -> str:
    """The Clark name of an XML-DSig element."""
    return f"{{{DS_NS}}}{tag}"


@attrs.frozen(kw_only=True)
class Located:
    """The signatures of a document at their pinned places."""

    root_signature: etree._Element
    exporter_signature: etree._Element | None
    layout: SignatureLayout | None


@attrs.frozen(kw_only=True)
class Inspected:
    """What the structure check learnt about one signature."""

    certificates: tuple[x509.Certificate, ...]
    signer: x509.Certificate
    uri: str


def _last_element_child(parent: etree._Element) -> etree._Element | None:
    for child in reversed(parent):
        if isinstance(child.tag, str):
            return child
    return None


def place_of(signature: etree._Element, root: etree._Element) -> tuple[str, ...]:
    """The Clark names of the elements between ``root`` and ``signature`` (both excluded)."""
    tags = [str(a.tag) for a in signature.iterancestors()]
    return tuple(reversed(tags[:-1])) if tags and tags[-1] == root.tag else ("?",)


def locate(root: etree._Element, layouts: dict[str, SignatureLayout]) -> Located:
    """Find the authority's signature (the last child of its place: the root, or the
    layout's ``place``) and the exporter's, if any.

    Raises:
        SignatureMissing: no signature at all.
        SignatureLocation: a signature anywhere else, or more than one at a place.
    """
    signatures = list(root.iter(ds("Signature")))
    if not signatures:
        raise SignatureMissing("the document carries no ds:Signature")
    layout = layouts.get(str(root.tag))
    place = layout.place if layout is not None else ()
    root_level = [s for s in signatures if place_of(s, root) == place]
    parent = root_level[0].getparent() if len(root_level) == 1 else None
    if parent is None or _last_element_child(parent) is not root_level[0]:
        where = "/".join(etree.QName(t).localname for t in place)
        raise SignatureLocation(
            "exactly one ds:Signature is expected, as the last child of "
            f"{where or 'the root element'}"
            f" (found {len(root_level)} there, {len(signatures)} in the document)"
        )
    exporter: etree._Element | None = None
    for signature in signatures:
        if signature is root_level[0]:
            continue
        if exporter is None and layout is not None and _is_exporter_place(signature, layout):
            exporter = signature
            continue
        raise SignatureLocation(
            f"a ds:Signature at {root.getroottree().getpath(signature)} is not at a pinned place"
        )
    return Located(root_signature=root_level[0], exporter_signature=exporter, layout=layout)


def _is_exporter_place(signature: etree._Element, layout: SignatureLayout) -> bool:
    declaration = signature.getparent()
    if declaration is None or declaration.tag != layout.declaration:
        return False
    if _last_element_child(declaration) is not signature:
        return False
    content = declaration.getparent()
    return content is not None and content.tag == layout.content


def content_of(exporter_signature: etree._Element) -> etree._Element:
    """The content element an exporter's signature (at its pinned place) must cover."""
    declaration = exporter_signature.getparent()
    assert declaration is not None
    content = declaration.getparent()
    assert content is not None
    return content


def _ids_equal(root: etree._Element, value: str) -> list[etree._Element]:
    found = root.xpath(
        "//*[@*[local-name()='Id' or local-name()='ID' or local-name()='id'] = $v]", v=value
    )
    assert isinstance(found, list)
    return [e for e in found if isinstance(e, etree._Element)]


def check_reference_target(uri: str, *, target: etree._Element, allow_empty: bool) -> None:
    """The reference URI must name ``target`` (``""`` only when ``allow_empty``), uniquely.

    Raises:
        ReferenceNotAllowed: the URI points elsewhere, outside the document, or nowhere.
        AmbiguousReference: the identifier is carried by more than one element.
    """
    if uri == "" and allow_empty:
        return
    if not uri.startswith("#") or uri.startswith("#xpointer(") or len(uri) < 2:
        raise ReferenceNotAllowed(f"reference URI {uri!r} does not name the signed element")
    matches = _ids_equal(target.getroottree().getroot(), uri[1:])
    if len(matches) > 1:
        raise AmbiguousReference(f"reference URI {uri!r} matches {len(matches)} elements")
    if not matches or matches[0] is not target:
        raise ReferenceNotAllowed(
            f"reference URI {uri!r} does not cover the whole {etree.QName(target).localname}"
        )


def inspect(signature: etree._Element, policy: VerificationPolicy) -> Inspected:
    """Check one signature's structure, algorithms and transforms; read its certificates.

    Raises:
        SignatureMissing, SignatureInvalid, AlgorithmNotAllowed, TransformNotAllowed,
        AmbiguousReference, ReferenceNotAllowed, KeyInfoNotAllowed.
    """
    children = [c for c in signature if isinstance(c.tag, str)]
    tags = [c.tag for c in children]
    if (
        tags[:2] != [ds("SignedInfo"), ds("SignatureValue")]
        or any(t != ds("KeyInfo") for t in tags[2:])
        or len(tags) > 3
    ):
        if ds("SignedInfo") not in tags or ds("SignatureValue") not in tags:
            raise SignatureMissing("ds:Signature lacks SignedInfo or SignatureValue")
        raise SignatureInvalid(
            "ds:Signature must hold SignedInfo, SignatureValue and KeyInfo only"
            f" (found {[etree.QName(t).localname for t in tags]})"
        )
    signed_info, value = children[0], children[1]
    if not (value.text or "").strip():
        raise SignatureMissing("the SignatureValue is empty")
    _check_signed_info(signed_info, policy)
    reference = signed_info.find(ds("Reference"))
    assert reference is not None
    uri = reference.get("URI")
    if uri is None:
        raise ReferenceNotAllowed("a Reference without a URI is not allowed")
    if len(children) < 3:
        raise KeyInfoNotAllowed("the signature carries no KeyInfo/X509Data certificate")
    certs = _certificates(children[2])
    return Inspected(certificates=certs, signer=_pick_signer(certs), uri=uri)


def _algorithm(element: etree._Element | None, what: str) -> str:
    if element is None or element.get("Algorithm") is None:
        raise SignatureInvalid(f"the signature has no {what}")
    return str(element.get("Algorithm"))


def _check_signed_info(signed_info: etree._Element, policy: VerificationPolicy) -> None:
    c14n = _algorithm(signed_info.find(ds("CanonicalizationMethod")), "CanonicalizationMethod")
    if c14n not in policy.c14n_methods:
        raise AlgorithmNotAllowed(f"canonicalisation {c14n} is not allowed")
    method = signed_info.find(ds("SignatureMethod"))
    algorithm = _algorithm(method, "SignatureMethod")
    if algorithm not in policy.signature_methods:
        raise AlgorithmNotAllowed(f"signature method {algorithm} is not allowed")
    assert method is not None
    if len(method):
        raise AlgorithmNotAllowed("SignatureMethod parameters (HMACOutputLength) are not allowed")
    references = signed_info.findall(ds("Reference"))
    if len(references) != 1:
        raise AmbiguousReference(f"exactly one Reference is expected, found {len(references)}")
    reference = references[0]
    _check_transforms(reference.find(ds("Transforms")), policy)
    digest = _algorithm(reference.find(ds("DigestMethod")), "DigestMethod")
    if digest not in policy.digest_methods:
        raise AlgorithmNotAllowed(f"digest method {digest} is not allowed")


def _check_transforms(transforms: etree._Element | None, policy: VerificationPolicy) -> None:
    algorithms: list[str] = []
    for transform in [] if transforms is None else list(transforms):
        if not isinstance(transform.tag, str):
            continue
        if transform.tag != ds("Transform"):
            raise TransformNotAllowed(f"unexpected {transform.tag} in Transforms")
        algorithm = _algorithm(transform, "Transform algorithm")
        if algorithm != ENVELOPED and algorithm not in policy.c14n_methods:
            raise TransformNotAllowed(f"transform {algorithm} is not allowed")
        params = [p for p in transform if isinstance(p.tag, str)]
        if any(p.tag != f"{{{_EC_NS}}}InclusiveNamespaces" for p in params):
            raise TransformNotAllowed(f"parameters of transform {algorithm} are not allowed")
        algorithms.append(algorithm)
    if algorithms.count(ENVELOPED) != 1:
        raise TransformNotAllowed("an enveloped signature needs one enveloped-signature transform")
    if len(algorithms) > 2:
        raise TransformNotAllowed(f"at most two transforms are allowed, found {len(algorithms)}")


def _certificates(key_info: etree._Element) -> tuple[x509.Certificate, ...]:
    certs: list[x509.Certificate] = []
    for child in key_info:
        if not isinstance(child.tag, str):
            continue
        if child.tag == ds("KeyName") or child.tag == ds("KeyValue"):
            continue  # KeyValue is compared with the certificate by signxml (G12)
        if child.tag != ds("X509Data"):
            raise KeyInfoNotAllowed(f"KeyInfo/{etree.QName(child).localname} is not allowed")
        for item in child.iter(ds("X509Certificate")):
            try:
                der = base64.b64decode("".join((item.text or "").split()), validate=True)
                cert = x509.load_der_x509_certificate(der)
                # cryptography parses lazily: read every field used later, here.
                _ = (cert.subject, cert.issuer, cert.extensions, cert.public_key())
                _ = (cert.not_valid_before_utc, cert.not_valid_after_utc, cert.serial_number)
                certs.append(cert)
            except (
                binascii.Error,
                ValueError,
                TypeError,
                UnsupportedAlgorithm,
                x509.DuplicateExtension,
                x509.UnsupportedGeneralNameType,
                x509.InvalidVersion,
            ) as exc:
                raise KeyInfoNotAllowed(f"an X509Certificate cannot be read: {exc}") from None
    if not certs:
        raise KeyInfoNotAllowed("the signature carries no KeyInfo/X509Data certificate")
    return tuple(certs)


def _pick_signer(certs: Sequence[x509.Certificate]) -> x509.Certificate:
    """The certificate that issued none of the others (the first when that is unclear).

    Repeated copies count once, so the order of KeyInfo does not matter.
    """
    certs = list({c.fingerprint(hashes.SHA256()): c for c in certs}.values())
    if len(certs) == 1:
        return certs[0]
    names = [(c.subject, c.issuer) for c in certs]
    leaves = [
        c
        for i, c in enumerate(certs)
        if not any(issuer == names[i][0] and j != i for j, (_, issuer) in enumerate(names))
    ]
    return leaves[0] if len(leaves) == 1 else certs[0]
