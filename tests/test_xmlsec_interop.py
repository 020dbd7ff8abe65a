"""Interoperability with libxmlsec1, both ways: the xmlsec1 command and python-xmlsec.

Our signatures verify with ``xmlsec1 --verify``; signatures made by ``xmlsec1 --sign``
(from a standard enveloped template) verify with ours. Without xmlsec1 the tests are
skipped on a developer machine but fail in CI (``CI`` set), where it must be installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from aswbridge import _xml
from aswbridge.errors import SecurityError
from aswbridge.security import TrustStore, Verifier, pki
from aswbridge.security.pki import Pki
from tests.security_support import ASW, asw_document, mutate, one, sign

DSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
METHODS = {"ec": DSIG_MORE + "ecdsa-sha256", "rsa": DSIG_MORE + "rsa-sha256"}
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("xmlsec1 must be installed in CI (the project's setup installs it)")
        pytest.skip("xmlsec1 is not installed on this machine")
    return found


@pytest.fixture(scope="module", params=["ec", "rsa"])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return pki.create(
        tmp_path_factory.mktemp(f"pki-{request.param}"), countries=("KR",), key_type=request.param
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def _template(method: str, digest: str = SHA256) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EFormMessage xmlns="{ASW}">
  <MessageHeader><MessageId>xmlsec-1</MessageId></MessageHeader>
  <Payload>
    <CertificateOfOrigin Id="CO-1"><ReferenceNumber>KR-2026-9</ReferenceNumber>
      <ExporterDeclaration><Place>Busan</Place></ExporterDeclaration>
    </CertificateOfOrigin>
    <Certification><Officer>Lee</Officer></Certification>
  </Payload>
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="{method}"/>
<ds:Reference URI=""><ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>
<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></EFormMessage>
""".encode()


def _xmlsec1_sign(xmlsec1: str, made: Pki, template: bytes, tmp_path: Path) -> bytes:
    key, cert, chain = made.signer("KR")
    (tmp_path / "tmpl.xml").write_bytes(template)
    out = tmp_path / "signed.xml"
    result = _run(
        xmlsec1,
        "--sign",
        "--privkey-pem",
        f"{key},{cert},{chain}",
        "--output",
        str(out),
        str(tmp_path / "tmpl.xml"),
    )
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def _is_rsa(made: Pki) -> bool:
    return "RSA" in type(made.load("KR")[0]).__name__


def test_our_signature_verifies_with_xmlsec1(xmlsec1: str, made: Pki, tmp_path: Path) -> None:
    path = tmp_path / "ours.xml"
    path.write_bytes(sign(asw_document(items=20), made.load("KR")))
    root_ca = str(made.country("KR") / "root-ca.pem")
    result = _run(xmlsec1, "--verify", "--trusted-pem", root_ca, str(path))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr
    tampered = mutate(path.read_bytes(), lambda r: setattr(one(r, "//a:Officer"), "text", "X"))
    path.write_bytes(tampered)
    assert _run(xmlsec1, "--verify", "--trusted-pem", root_ca, str(path)).returncode != 0


def test_our_exporter_signature_verifies_with_xmlsec1(
    xmlsec1: str, made: Pki, tmp_path: Path
) -> None:
    path = tmp_path / "ours.xml"
    path.write_bytes(sign(asw_document(), made.load("KR"), exporter=made.load("KR", "exporter")))
    result = _run(
        xmlsec1,
        "--verify",
        "--trusted-pem",
        str(made.country("KR") / "root-ca.pem"),
        "--id-attr:Id",
        f"{ASW}:CertificateOfOrigin",
        "--node-xpath",
        "//*[local-name()='ExporterDeclaration']/*[local-name()='Signature']",
        str(path),
    )
    assert result.returncode == 0, result.stderr


def test_xmlsec1_signature_verifies_with_ours(xmlsec1: str, made: Pki, tmp_path: Path) -> None:
    method = METHODS["rsa" if _is_rsa(made) else "ec"]
    data = _xmlsec1_sign(xmlsec1, made, _template(method), tmp_path)
    verified = Verifier().verify(data, trust=TrustStore.from_paths([made.country("KR")]))
    assert verified.country == "KR"
    assert one(verified.signed, "//a:ReferenceNumber").text == "KR-2026-9"
    with pytest.raises(SecurityError) as caught:
        Verifier().verify(
            data.replace(b"KR-2026-9", b"KR-2026-8"),
            trust=TrustStore.from_paths([made.country("KR")]),
        )
    assert caught.value.code == "DIGEST_MISMATCH"


def test_xmlsec1_sha1_signature_is_refused(xmlsec1: str, made: Pki, tmp_path: Path) -> None:
    if not _is_rsa(made):
        method = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
    else:
        method = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    template = _template(method, "http://www.w3.org/2000/09/xmldsig#sha1")
    data = _xmlsec1_sign(xmlsec1, made, template, tmp_path)
    with pytest.raises(SecurityError) as caught:
        Verifier().verify(data, trust=TrustStore.from_paths([made.country("KR")]))
    assert caught.value.code == "ALGORITHM_NOT_ALLOWED"


def test_python_xmlsec_both_ways(made: Pki) -> None:
    xmlsec = pytest.importorskip("xmlsec")
    assert xmlsec.get_libxml_version() == etree.LIBXML_VERSION
    key_path, cert_path, chain_path = made.signer("KR")
    root_ca = str(made.country("KR") / "root-ca.pem")
    trust = TrustStore.from_paths([made.country("KR")])

    # Ours -> python-xmlsec, with the root as the only trusted certificate.
    root = _xml.parse(sign(asw_document(), made.load("KR")))
    manager = xmlsec.KeysManager()
    manager.load_cert(
        root_ca, xmlsec.constants.KeyDataFormatPem, xmlsec.constants.KeyDataTypeTrusted
    )
    node = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
    xmlsec.SignatureContext(manager).verify(node)

    # python-xmlsec -> ours.
    method = METHODS["rsa" if _is_rsa(made) else "ec"]
    template = _xml.parse(_template(method))
    context = xmlsec.SignatureContext()
    key = xmlsec.Key.from_file(str(key_path), xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(str(cert_path), xmlsec.constants.KeyDataFormatPem)
    context.key = key
    context.sign(xmlsec.tree.find_node(template, xmlsec.constants.NodeSignature))
    data = etree.tostring(template)
    assert chain_path.exists()
    verified = Verifier().verify(data, trust=trust)  # intermediate from the country folder
    assert verified.country == "KR"
