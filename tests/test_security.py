"""Signature checks: the G series of docs/threat-model.md, each with its reason code."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from signxml.signer import XMLSigner

from aswbridge import _xml
from aswbridge.errors import ConfigurationError, DtdForbidden, SecurityError
from aswbridge.security import (
    SigningPolicy,
    TrustStore,
    VerificationPolicy,
    Verifier,
    pki,
)
from aswbridge.security.pki import Pki
from tests.security_support import (
    DS,
    NSMAP,
    asw_document,
    clone,
    ec_key,
    issue,
    mutate,
    name,
    one,
    root_signature,
    serialise,
    sign,
    unipass_document,
)


@pytest.fixture(scope="module")
def trust(country_pki: Pki) -> TrustStore:
    return TrustStore.from_paths([country_pki.path])


@pytest.fixture(scope="module")
def signed(country_pki: Pki) -> bytes:
    """An ASW document with the exporter's and the authority's signatures."""
    return sign(asw_document(), country_pki.load("KR"), exporter=country_pki.load("KR", "exporter"))


def refused(data: bytes, trust: TrustStore, code: str, **policy: object) -> SecurityError:
    with pytest.raises(SecurityError) as caught:
        Verifier(VerificationPolicy(**policy)).verify(data, trust=trust)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value
    assert caught.value.origin == "remote"
    return caught.value


def text(root: etree._Element, path: str) -> str:
    return "".join(one(root, path).itertext())


# --- G21 / G1: round trips -------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
@pytest.mark.parametrize("shape", ["asw", "unipass"])
def test_g21_signed_output_verifies_and_names_the_signer(
    tmp_path: Path, key_type: str, shape: str
) -> None:
    made = pki.create(tmp_path, countries=("TH",), key_type=key_type)  # type: ignore[arg-type]
    data = asw_document() if shape == "asw" else unipass_document()
    out = sign(data, made.load("TH"), exporter=made.load("TH", "exporter"))
    verified = Verifier().verify(out, trust=TrustStore.from_paths([made.path]))
    assert verified.country == "TH"
    assert verified.subject.startswith("CN=TEST ONLY")
    assert len(verified.fingerprint) == 64
    assert len(verified.chain) == 3
    assert verified.exporter is not None and "exporter" in verified.exporter.subject
    assert verified.warnings == ()
    algorithm = one(_xml.parse(out), "/*/ds:Signature/ds:SignedInfo/ds:SignatureMethod")
    assert algorithm.get("Algorithm", "").endswith(f"{key_type}-sha256".replace("ec-", "ecdsa-"))


def test_g21_signature_is_last_child_and_input_untouched(country_pki: Pki) -> None:
    root = _xml.parse(asw_document())
    before = etree.tostring(root)
    key, cert, chain = country_pki.load("KR")
    from aswbridge.security import Signer

    out = Signer().sign(root, key=key, cert=cert, chain=chain)
    assert etree.tostring(root) == before
    assert out[-1].tag == f"{{{DS}}}Signature"
    reference = one(out, "/*/ds:Signature/ds:SignedInfo/ds:Reference")
    assert reference.get("URI") == ""
    transforms = [t.get("Algorithm") for t in reference.iter(f"{{{DS}}}Transform")]
    assert transforms == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    certs = out.findall(".//ds:X509Certificate", namespaces=NSMAP)
    assert len(certs) == 2  # the signer, then its issuing CA


def test_verifies_an_element_parsed_elsewhere(signed: bytes, trust: TrustStore) -> None:
    verified = Verifier().verify(_xml.parse(signed), trust=trust)
    assert verified.signed.find(f"{{{DS}}}Signature") is None  # the root signature is gone


def test_sign_refuses_weak_or_mismatched_keys(country_pki: Pki) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from aswbridge.security import Signer

    key, cert, chain = country_pki.load("KR")
    root = _xml.parse(asw_document())
    with pytest.raises(ConfigurationError, match="does not match"):
        Signer().sign(root, key=ec_key(), cert=cert)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak_cert = issue(
        subject=name("KR", "weak"), key=weak, issuer_name=name("KR", "weak"), issuer_key=weak
    )
    with pytest.raises(ConfigurationError, match="too weak"):
        Signer(SigningPolicy()).sign(root, key=weak, cert=weak_cert)
    signed_once = Signer().sign(root, key=key, cert=cert, chain=chain)
    with pytest.raises(ConfigurationError, match="already"):
        Signer().sign(signed_once, key=key, cert=cert)


# --- G2 / G3: tampering ----------------------------------------------------------------

TAMPERING: dict[str, Callable[[etree._Element], object]] = {
    "reference-number": lambda r: setattr(one(r, "//a:ReferenceNumber"), "text", "KR-2026-999999"),
    "hs-code": lambda r: setattr(one(r, "//a:Item[1]/a:HSCode"), "text", "847199"),
    "fob-amount": lambda r: setattr(one(r, "//a:Item[2]/a:FOB"), "text", "1.00"),
    "attribute": lambda r: one(r, "//a:Item[2]/a:FOB").set("currency", "EUR"),
    "id-attribute": lambda r: one(r, "//a:CertificateOfOrigin").set("Id", "CO-2"),
    "item-removed": lambda r: one(r, "//a:CertificateOfOrigin").remove(one(r, "//a:Item[3]")),
    "item-added": lambda r: one(r, "//a:CertificateOfOrigin").insert(
        3, clone(one(r, "//a:Item[1]"))
    ),
    "officer": lambda r: setattr(one(r, "//a:Officer"), "text", "Mallory"),
    "header": lambda r: setattr(one(r, "//a:MessageId"), "text", "forged-id"),
    "whitespace": lambda r: setattr(one(r, "//a:Payload"), "text", "\n\n"),
    "exporter-signature-stripped": lambda r: one(r, "//a:ExporterDeclaration").remove(
        one(r, "//a:ExporterDeclaration/ds:Signature")
    ),
}


@pytest.mark.parametrize("change", TAMPERING.values(), ids=TAMPERING.keys())
def test_g2_tampering_any_field_is_a_digest_mismatch(
    signed: bytes, trust: TrustStore, change: Callable[[etree._Element], object]
) -> None:
    refused(mutate(signed, change), trust, "DIGEST_MISMATCH")


def _flip_base64(element: etree._Element) -> None:
    value = "".join((element.text or "").split())
    element.text = ("A" if value[0] != "A" else "B") + value[1:]


def test_g3_signature_value_tampered(signed: bytes, trust: TrustStore) -> None:
    data = mutate(signed, lambda r: _flip_base64(one(r, "/*/ds:Signature/ds:SignatureValue")))
    refused(data, trust, "SIGNATURE_INVALID")


def test_g3_signed_info_tampered(signed: bytes, trust: TrustStore) -> None:
    data = mutate(signed, lambda r: _flip_base64(one(r, "/*/ds:Signature//ds:DigestValue")))
    refused(data, trust, "SIGNATURE_INVALID")


# --- G4 / G6: wrapping and misplaced signatures ----------------------------------------


def _wrap_original(root: etree._Element) -> None:
    """XSW: the genuine signed message hidden in an extension, forged data in front."""
    original = clone(root)
    for child in list(root):
        root.remove(child)
    forged = clone(original)
    forged.remove(root_signature(forged))
    one(forged, "//a:ReferenceNumber").text = "FORGED"
    root.extend(list(forged))
    wrapper = etree.SubElement(root, f"{{{NSMAP['a']}}}Extension")
    wrapper.append(original)


def _move_signature_into_payload(root: etree._Element) -> None:
    one(root, "//a:Payload").insert(0, root_signature(root))


def _duplicate_signature_first(root: etree._Element) -> None:
    root.insert(0, clone(root_signature(root)))


def _signature_not_last(root: etree._Element) -> None:
    root.append(etree.Element(f"{{{NSMAP['a']}}}Trailer"))


def _signature_in_signature_object(root: etree._Element) -> None:
    signature = root_signature(root)
    obj = etree.SubElement(signature, f"{{{DS}}}Object")
    content = clone(one(root, "//a:CertificateOfOrigin"))
    declaration = one(content, "a:ExporterDeclaration")
    declaration.remove(one(declaration, "ds:Signature"))
    obj.append(content)


def _two_root_signatures(root: etree._Element) -> None:
    root.append(clone(root_signature(root)))


WRAPPING: dict[str, tuple[Callable[[etree._Element], object], str]] = {
    "xsw-genuine-hidden-in-extension": (_wrap_original, "SIGNATURE_LOCATION"),
    "signature-moved-into-payload": (_move_signature_into_payload, "SIGNATURE_LOCATION"),
    "extra-signature-earlier": (_duplicate_signature_first, "SIGNATURE_LOCATION"),
    "two-signatures-at-root": (_two_root_signatures, "SIGNATURE_LOCATION"),
    "signature-not-last-child": (_signature_not_last, "SIGNATURE_LOCATION"),
    "ds-object-smuggling-content": (_signature_in_signature_object, "SIGNATURE_INVALID"),
}


@pytest.mark.parametrize(("change", "code"), WRAPPING.values(), ids=WRAPPING.keys())
def test_g4_g6_wrapping_and_misplaced_signatures(
    signed: bytes, trust: TrustStore, change: Callable[[etree._Element], object], code: str
) -> None:
    refused(mutate(signed, change), trust, code)


def test_g4_exporter_reference_must_cover_its_own_content(
    country_pki: Pki, trust: TrustStore
) -> None:
    """An exporter's signature re-pointed at a hidden copy of the genuine content."""
    from aswbridge.security import Signer

    key, cert, chain = country_pki.load("KR", "exporter")
    root = Signer().sign_declaration(_xml.parse(asw_document()), key=key, cert=cert, chain=chain)
    content = one(root, "//a:CertificateOfOrigin")
    hidden = clone(content)
    content.set("Id", "CO-FORGED")
    one(root, "//a:Certification").append(hidden)
    hidden.remove(one(hidden, "a:ExporterDeclaration"))
    key, cert, chain = country_pki.load("KR")
    out = serialise(Signer().sign(root, key=key, cert=cert, chain=chain))
    refused(out, trust, "REFERENCE_NOT_ALLOWED")  # "#CO-1" now names the hidden copy
    # Same forgery without a second content element: the reference names nothing covering.
    root2 = _xml.parse(out)
    root2.remove(root_signature(root2))
    one(root2, "//a:Certification").remove(one(root2, "//a:Certification/a:CertificateOfOrigin"))
    marker = etree.SubElement(one(root2, "//a:Certification"), f"{{{NSMAP['a']}}}Note", Id="CO-1")
    marker.text = "decoy"
    out2 = serialise(Signer().sign(root2, key=key, cert=cert, chain=chain))
    refused(out2, trust, "REFERENCE_NOT_ALLOWED")


# --- G5 / G7 / G8: references ----------------------------------------------------------


def test_g5_duplicate_id_is_ambiguous(country_pki: Pki, trust: TrustStore) -> None:
    from aswbridge.security import Signer

    key, cert, chain = country_pki.load("KR", "exporter")
    root = Signer().sign_declaration(_xml.parse(asw_document()), key=key, cert=cert, chain=chain)
    decoy = etree.SubElement(one(root, "//a:Certification"), f"{{{NSMAP['a']}}}Note", Id="CO-1")
    decoy.text = "same Id, other content"
    key, cert, chain = country_pki.load("KR")
    out = serialise(Signer().sign(root, key=key, cert=cert, chain=chain))
    refused(out, trust, "AMBIGUOUS_REFERENCE")


def _signxml_sign(data: bytes, country_pki: Pki, **kwargs: object) -> bytes:
    key, cert, chain = country_pki.load("KR")
    signer = XMLSigner(
        signature_algorithm="ecdsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    out = signer.sign(_xml.parse(data), key=key, cert=[cert, *chain], **kwargs)
    return serialise(out)


def test_g7_reference_covering_only_part_is_refused(country_pki: Pki, trust: TrustStore) -> None:
    out = _signxml_sign(asw_document(), country_pki, reference_uri="CO-1")
    refused(out, trust, "REFERENCE_NOT_ALLOWED")


def test_g7_reference_by_root_id_is_accepted(country_pki: Pki, trust: TrustStore) -> None:
    data = mutate(asw_document(), lambda r: r.set("Id", "MSG-1"))
    out = _signxml_sign(data, country_pki)
    assert b'URI="#MSG-1"' in out
    assert Verifier().verify(out, trust=trust).country == "KR"


def test_g8_two_references_are_ambiguous(country_pki: Pki, trust: TrustStore) -> None:
    data = mutate(asw_document(), lambda r: r.set("Id", "MSG-1"))
    out = _signxml_sign(data, country_pki, reference_uri=["MSG-1", "CO-1"])
    refused(out, trust, "AMBIGUOUS_REFERENCE")


# --- G9 / G10: what is decoded is what was signed --------------------------------------


def test_g9_comment_injection_decodes_the_signed_value(country_pki: Pki, trust: TrustStore) -> None:
    data = mutate(
        asw_document(),
        lambda r: one(r, "//a:Item[1]/a:HSCode").__setattr__("text", "8471"),
    )
    data = data.replace(b"<HSCode>8471</HSCode>", b"<HSCode>8471<!---->30</HSCode>", 1)
    data = data.replace(b"ACME Electronics", b"ACME<!-- -->Evil Electronics")
    out = sign(data, country_pki.load("KR"))
    verified = Verifier().verify(out, trust=trust)
    assert text(verified.signed, "//a:Item[1]/a:HSCode") == "847130"
    assert one(verified.signed, "//a:Item[1]/a:HSCode").text == "847130"  # one text node
    assert one(verified.signed, "//a:Exporter/a:Name").text == "ACMEEvil Electronics Co., Ltd."


def test_g9_comment_added_after_signing_is_excised(signed: bytes, trust: TrustStore) -> None:
    data = signed.replace(b"<ReferenceNumber>KR-2026", b"<ReferenceNumber>KR<!--x-->-2026")
    assert data != signed
    verified = Verifier().verify(data, trust=trust)
    assert one(verified.signed, "//a:ReferenceNumber").text == "KR-2026-000123"


def test_g10_signed_tree_is_independent_of_the_input_tree(signed: bytes, trust: TrustStore) -> None:
    root = _xml.parse(signed)
    verified = Verifier().verify(root, trust=trust)
    one(root, "//a:ReferenceNumber").text = "changed after verification"
    assert one(verified.signed, "//a:ReferenceNumber").text == "KR-2026-000123"


def test_g10_hostile_bytes_never_reach_the_verifier(signed: bytes, trust: TrustStore) -> None:
    body = signed.split(b"?>", 1)[1]
    data = b"<!DOCTYPE x [<!ATTLIST a:CertificateOfOrigin Id ID #IMPLIED>]>" + body
    with pytest.raises(DtdForbidden):
        Verifier().verify(data, trust=trust)


# --- G11 / G12 / G13: keys and trust ---------------------------------------------------


def test_g11_self_signed_attacker_certificate_is_untrusted(trust: TrustStore) -> None:
    key = ec_key()
    cert = issue(
        subject=name("KR", "attacker"), key=key, issuer_name=name("KR", "attacker"), issuer_key=key
    )
    refused(sign(asw_document(), (key, cert, [])), trust, "UNTRUSTED_SIGNER")


def test_g12_key_value_that_differs_from_the_certificate(signed: bytes, trust: TrustStore) -> None:
    other = XMLSigner(signature_algorithm="ecdsa-sha256").sign(
        etree.fromstring(b"<x/>"), key=ec_key()
    )
    key_value = one(other, "//ds:KeyValue")
    data = mutate(signed, lambda r: one(r, "/*/ds:Signature/ds:KeyInfo").insert(0, key_value))
    refused(data, trust, "SIGNATURE_INVALID")


def test_g13_no_anchor_is_a_configuration_error(tmp_path: Path, signed: bytes) -> None:
    with pytest.raises(ConfigurationError):
        TrustStore.from_certificates([])
    with pytest.raises(ConfigurationError):
        TrustStore.from_paths([tmp_path])
    with pytest.raises(ConfigurationError):
        Verifier().verify(signed, trust=None)  # type: ignore[arg-type]


def test_g13_signxml_always_gets_the_validated_certificate(
    signed: bytes, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signxml.verifier import XMLVerifier

    seen: list[dict[str, object]] = []
    original = XMLVerifier.verify

    def spy(self: XMLVerifier, data: object, **kwargs: object) -> object:
        seen.append(kwargs)
        return original(self, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(XMLVerifier, "verify", spy)
    verified = Verifier().verify(signed, trust=trust)
    assert len(seen) == 2  # the authority's and the exporter's signatures
    assert seen[0]["x509_cert"] == verified.signer
    assert "ca_pem_file" not in seen[0]


# --- G14-G19: algorithms, transforms, references ---------------------------------------

SHA1_RSA = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"


def _set(path: str, value: str) -> Callable[[etree._Element], object]:
    return lambda r: one(r, f"/*/ds:Signature/ds:SignedInfo/{path}").set("Algorithm", value)


def _add_transform(algorithm: str, child: str | None = None) -> Callable[[etree._Element], object]:
    def change(root: etree._Element) -> None:
        transforms = one(root, "/*/ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms")
        transform = etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=algorithm)
        if child:
            etree.SubElement(transform, f"{{{DS}}}XPath").text = child

    return change


def _hmac_truncated(root: etree._Element) -> None:
    method = one(root, "/*/ds:Signature/ds:SignedInfo/ds:SignatureMethod")
    method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
    etree.SubElement(method, f"{{{DS}}}HMACOutputLength").text = "40"


def _drop_enveloped(root: etree._Element) -> None:
    transforms = one(root, "/*/ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms")
    transforms.remove(transforms[0])


def _retrieval_method(root: etree._Element) -> None:
    key_info = one(root, "/*/ds:Signature/ds:KeyInfo")
    etree.SubElement(key_info, f"{{{DS}}}RetrievalMethod", URI="http://attacker.invalid/k.der")


def _external_uri(root: etree._Element) -> None:
    one(root, "/*/ds:Signature/ds:SignedInfo/ds:Reference").set("URI", "http://attacker.invalid/co")


def _no_certificate(root: etree._Element) -> None:
    key_info = one(root, "/*/ds:Signature/ds:KeyInfo")
    key_info.remove(one(key_info, "ds:X509Data"))


POLICY_CASES: dict[str, tuple[Callable[[etree._Element], object], str]] = {
    "g14-rsa-sha1": (_set("ds:SignatureMethod", SHA1_RSA), "ALGORITHM_NOT_ALLOWED"),
    "g14-ecdsa-sha1": (
        _set("ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g14-rsa-md5": (
        _set("ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g14-dsa-sha1": (
        _set("ds:SignatureMethod", "http://www.w3.org/2000/09/xmldsig#dsa-sha1"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g14-sha1-digest": (
        _set("ds:Reference/ds:DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g14-ripemd160-digest": (
        _set("ds:Reference/ds:DigestMethod", "http://www.w3.org/2001/04/xmlenc#ripemd160"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g14-c14n-with-comments": (
        _set("ds:CanonicalizationMethod", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g15-hmac-sha256": (
        _set("ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"),
        "ALGORITHM_NOT_ALLOWED",
    ),
    "g16-hmac-truncated": (_hmac_truncated, "ALGORITHM_NOT_ALLOWED"),
    "g17-xslt": (
        _add_transform("http://www.w3.org/TR/1999/REC-xslt-19991116"),
        "TRANSFORM_NOT_ALLOWED",
    ),
    "g17-xpath": (
        _add_transform("http://www.w3.org/TR/1999/REC-xpath-19991116", "not(ancestor::x)"),
        "TRANSFORM_NOT_ALLOWED",
    ),
    "g17-xpath-filter2": (
        _add_transform("http://www.w3.org/2002/06/xmldsig-filter2"),
        "TRANSFORM_NOT_ALLOWED",
    ),
    "g17-base64": (
        _add_transform("http://www.w3.org/2000/09/xmldsig#base64"),
        "TRANSFORM_NOT_ALLOWED",
    ),
    "g17-c14n-with-comments-transform": (
        _add_transform("http://www.w3.org/2001/10/xml-exc-c14n#WithComments"),
        "TRANSFORM_NOT_ALLOWED",
    ),
    "g18-external-reference": (_external_uri, "REFERENCE_NOT_ALLOWED"),
    "g18-xpointer-reference": (
        lambda r: one(r, "/*/ds:Signature/ds:SignedInfo/ds:Reference").set("URI", "#xpointer(/)"),
        "REFERENCE_NOT_ALLOWED",
    ),
    "g18-retrieval-method": (_retrieval_method, "KEY_INFO_NOT_ALLOWED"),
    "g18-no-certificate": (_no_certificate, "KEY_INFO_NOT_ALLOWED"),
    "g19-enveloped-twice": (
        _add_transform("http://www.w3.org/2000/09/xmldsig#enveloped-signature"),
        "TRANSFORM_NOT_ALLOWED",
    ),
    "g19-enveloped-missing": (_drop_enveloped, "TRANSFORM_NOT_ALLOWED"),
}


@pytest.mark.parametrize(("change", "code"), POLICY_CASES.values(), ids=POLICY_CASES.keys())
def test_g14_to_g19_policy_is_checked_before_any_crypto_or_network(
    signed: bytes,
    trust: TrustStore,
    change: Callable[[etree._Element], object],
    code: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the verify path opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    refused(mutate(signed, change), trust, code)


def test_g14_allow_list_is_a_policy(signed: bytes, trust: TrustStore) -> None:
    only_rsa = frozenset({"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"})
    refused(signed, trust, "ALGORITHM_NOT_ALLOWED", signature_methods=only_rsa)


# --- G20: missing ----------------------------------------------------------------------


def test_g20_unsigned_document(trust: TrustStore) -> None:
    refused(asw_document(), trust, "SIGNATURE_MISSING")


def test_g20_empty_signature_value(signed: bytes, trust: TrustStore) -> None:
    data = mutate(
        signed, lambda r: setattr(one(r, "/*/ds:Signature/ds:SignatureValue"), "text", "")
    )
    refused(data, trust, "SIGNATURE_MISSING")


def test_g20_signed_info_missing(signed: bytes, trust: TrustStore) -> None:
    data = mutate(
        signed, lambda r: root_signature(r).remove(one(r, "/*/ds:Signature/ds:SignedInfo"))
    )
    refused(data, trust, "SIGNATURE_MISSING")


def test_g20_exporter_signature_required_by_policy(country_pki: Pki, trust: TrustStore) -> None:
    out = sign(asw_document(), country_pki.load("KR"))
    assert Verifier().verify(out, trust=trust).exporter is None
    refused(out, trust, "SIGNATURE_MISSING", require_exporter_signature=True)


def test_exporter_signature_is_checked_too(country_pki: Pki, trust: TrustStore) -> None:
    from aswbridge.security import Signer

    key, cert, chain = country_pki.load("KR", "exporter")
    root = Signer().sign_declaration(_xml.parse(asw_document()), key=key, cert=cert, chain=chain)
    one(root, "//a:Exporter/a:Name").text = "changed after the exporter signed"
    key, cert, chain = country_pki.load("KR")
    out = serialise(Signer().sign(root, key=key, cert=cert, chain=chain))
    refused(out, trust, "DIGEST_MISMATCH")
    key, cert, chain = country_pki.load("KR", "expired")
    root = Signer().sign_declaration(_xml.parse(asw_document()), key=key, cert=cert, chain=chain)
    key, cert, chain = country_pki.load("KR")
    out = serialise(Signer().sign(root, key=key, cert=cert, chain=chain))
    refused(out, trust, "CERT_EXPIRED")
