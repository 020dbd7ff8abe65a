"""The ``ubl`` profile: standard UBL 2.4 placement, the official schemas, documents
written by someone else, and hostile or wrong input through its intake."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from lxml.builder import ElementMaker

import aswbridge
from aswbridge import _xml, pipeline, profiles, samples
from aswbridge.errors import (
    ConfigurationError,
    MappingError,
    MessageError,
    SchemaError,
    XmlSecurityError,
)
from aswbridge.model import Certificate
from aswbridge.profiles import ubl
from aswbridge.security import Signer, TrustStore, Verifier, pki
from aswbridge.security.errors import DigestMismatch, SignatureLocation
from aswbridge.security.pki import Pki

ROOT = Path(__file__).resolve().parent.parent
UBL_DIR = ROOT / "aswbridge" / "wsdl" / "ubl-2.4"
NS = {
    "c": ubl.UBL + "CertificateOfOrigin-2",
    "cac": ubl.PREFIXES["cac"],
    "cbc": ubl.PREFIXES["cbc"],
    "ext": ubl.PREFIXES["ext"],
    "r": ubl.UBL + "ApplicationResponse-2",
}
CERTIFICATES = sorted(
    name for name, build in samples.SCENARIOS.items() if isinstance(build().document, Certificate)
)


def _xpath(element: etree._Element, path: str) -> list[str]:
    found = element.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [str(x.text if isinstance(x, etree._Element) else x) for x in found]


@pytest.mark.parametrize("name", CERTIFICATES)
def test_certificate_fields_sit_at_the_standard_ubl_paths(name: str) -> None:
    message = samples.SCENARIOS[name]()
    cert = message.document
    assert isinstance(cert, Certificate)
    root = _xml.parse(aswbridge.write(message, profile="ubl"))
    app = "/c:CertificateOfOrigin/cac:CertificateOfOriginApplication"
    assert _xpath(root, "/c:CertificateOfOrigin/cbc:ID") == [cert.id]
    assert _xpath(root, "/c:CertificateOfOrigin/cbc:IssueDate") == [cert.issue_date.isoformat()]
    for tag, party in (("ExporterParty", cert.exporter), ("ImporterParty", cert.consignee)):
        base = f"/c:CertificateOfOrigin/cac:{tag}"
        assert _xpath(root, f"{base}/cac:PartyName/cbc:Name") == [party.name]
        assert _xpath(root, f"{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode") == [
            party.country
        ]
    assert _xpath(root, f"{app}/cac:IssuingCountry/cbc:IdentificationCode") == [
        cert.issuing_country
    ]
    goods = f"{app}/cac:Shipment/cac:GoodsItem"
    assert _xpath(root, f"{goods}/cbc:ID") == [str(i.number) for i in cert.items]
    assert _xpath(root, f"{goods}/cbc:Description") == [i.description for i in cert.items]
    assert _xpath(root, f"{goods}/cbc:PreferenceCriterionCode") == [
        i.origin_criterion.code for i in cert.items
    ]
    hs = f"{goods}/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode"
    assert _xpath(root, hs) == [i.hs.code for i in cert.items]
    assert _xpath(root, f"{hs}/@listVersionID") == [i.hs.edition for i in cert.items]
    assert _xpath(root, f"{goods}/cac:Item/cac:OriginCountry/cbc:IdentificationCode") == [
        i.origin_country for i in cert.items if i.origin_country
    ]
    fob = [i.fob_value for i in cert.items if i.fob_value]
    assert _xpath(root, f"{goods}/cbc:FreeOnBoardValueAmount") == [
        format(f.amount, "f") for f in fob
    ]
    assert _xpath(root, f"{goods}/cbc:FreeOnBoardValueAmount/@currencyID") == [
        f.currency for f in fob
    ]
    stage = f"{app}/cac:Shipment/cac:ShipmentStage"
    if cert.transport.port_of_loading:
        assert _xpath(root, f"{stage}/cac:LoadingPortLocation/cbc:ID") == [
            cert.transport.port_of_loading
        ]
    assert _xpath(root, f"{app}/cac:EndorserParty/cac:SignatoryContact/cbc:Name") == [
        cert.declaration.signatory
    ]
    officer = [cert.certification.officer] if cert.certification else []
    assert (
        _xpath(
            root,
            "/c:CertificateOfOrigin/cac:IssuerEndorsement/cac:EndorserParty"
            "/cac:SignatoryContact/cbc:Name",
        )
        == officer
    )


def test_answers_are_application_responses_told_apart_by_customization() -> None:
    kinds = {}
    for build in samples.SCENARIOS.values():
        message = build()
        if message.kind == "certificate":
            continue
        root = _xml.parse(aswbridge.write(message, profile="ubl"))
        assert root.tag == f"{{{NS['r']}}}ApplicationResponse"
        kinds[message.kind] = _xpath(root, "/r:ApplicationResponse/cbc:CustomizationID")[0]
        assert pipeline.read(etree.tostring(root))[1] == message
    assert kinds == {
        k: ubl.CUSTOMIZATION + k
        for k in ("receipt", "response", "verification_request", "verification_reply")
    }


def test_shipped_schemas_are_the_official_unmodified_files() -> None:
    files = sorted(p.relative_to(UBL_DIR).as_posix() for p in UBL_DIR.rglob("*.xsd"))
    assert [f for f in files if f.startswith("maindoc/")] == [
        "maindoc/UBL-ApplicationResponse-2.4.xsd",
        "maindoc/UBL-CertificateOfOrigin-2.4.xsd",
    ]
    digest = hashlib.sha256()
    for name in files:
        data = (UBL_DIR / name).read_bytes()
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    assert digest.hexdigest() == OFFICIAL_FILES_SHA256


#: SHA-256 over (name, SHA-256) of every shipped file, as published in the OASIS release.
OFFICIAL_FILES_SHA256 = "9d9be7ca924b3858e61258f9c3f40c87030964302af5bc7919e713636d82d02a"


def test_cli_schema_prints_the_official_certificate_of_origin_xsd() -> None:
    path = _xml.schema_path(profiles.get("ubl").schema)
    assert path.name == "UBL-CertificateOfOrigin-2.4.xsd"
    assert path.parent.name == "maindoc"


# --- a document written by someone else ------------------------------------------------


def _foreign_certificate() -> bytes:
    """A UBL certificate built by hand with lxml (not by aswbridge's tables)."""
    cbc = ElementMaker(namespace=NS["cbc"], nsmap={"cbc": NS["cbc"]})
    cac = ElementMaker(namespace=NS["cac"], nsmap={"cac": NS["cac"]})
    ext = ElementMaker(namespace=NS["ext"], nsmap={"ext": NS["ext"]})
    asx = ElementMaker(namespace=ubl.NAMESPACE, nsmap={"asx": ubl.NAMESPACE})
    doc = ElementMaker(namespace=NS["c"], nsmap={None: NS["c"]})

    def party(name: str, country: str) -> list[etree._Element]:
        return [
            cac.PartyName(cbc.Name(name)),
            cac.PostalAddress(cac.Country(cbc.IdentificationCode(country))),
        ]

    def endorser(role: str, place: str, signatory: str) -> etree._Element:
        return cac.EndorserParty(
            cbc.RoleCode(role),
            cbc.SequenceNumeric("1"),
            cac.Party(cac.PhysicalLocation(cbc.Name(place))),
            cac.SignatoryContact(cbc.Name(signatory)),
        )

    envelope = asx.Envelope(
        asx.MessageID("4f0c1b8e-8d2a-4c57-9d4e-0b7a4f3e2c11"),
        asx.DocumentTypeCode("861"),
        asx.Sender(asx.CountryCode("TH"), asx.SystemID("TH-NSW")),
        asx.Receiver(asx.CountryCode("KR"), asx.SystemID("KR-UNIPASS")),
        asx.CreationDateTime("2026-11-02T03:00:00Z"),
    )
    item_ext = ext.UBLExtensions(
        ext.UBLExtension(
            ext.ExtensionContent(asx.Extension(asx.CriterionText("RVC 45%"), asx.RVCPercent("45")))
        )
    )
    goods = cac.GoodsItem(
        item_ext,
        cbc.ID("1"),
        cbc.Description("Frozen shrimp, peeled"),
        cbc.FreeOnBoardValueAmount("12500.50", currencyID="USD"),
        cbc.Quantity("1800", unitCode="KGM"),
        cbc.PreferenceCriterionCode("RVC"),
        cac.Item(
            cac.OriginCountry(cbc.IdentificationCode("TH")),
            cac.CommodityClassification(
                cbc.ItemClassificationCode("030617", listVersionID="HS2022")
            ),
        ),
    )
    root = doc.CertificateOfOrigin(
        ext.UBLExtensions(
            ext.UBLExtension(
                ext.ExtensionURI(ubl.EXTENSION_URI),
                ext.ExtensionContent(
                    asx.Extension(
                        envelope,
                        asx.FunctionCode("9"),
                        asx.DeclarationDate("2026-11-01"),
                        asx.CertificationDate("2026-11-02"),
                        asx.ProducingCountryCode("TH"),
                    )
                ),
            )
        ),
        cbc.UBLVersionID("2.4"),
        cbc.ID("TH-KR 2026/0042"),
        cbc.IssueDate("2026-11-02"),
        cac.ExporterParty(*party("Siam Seafood Co., Ltd.", "TH")),
        cac.ImporterParty(*party("Busan Cold Chain Inc.", "KR")),
        cac.CertificateOfOriginApplication(
            cbc.ReferenceID("APP-7"),
            cbc.CertificateType("RCEP"),
            cbc.OriginalJobID("J-7"),
            cac.Shipment(
                goods,
                cac.ShipmentStage(
                    cbc.TransportModeCode("1"),
                    cac.LoadingPortLocation(cbc.ID("THLCH")),
                    cac.UnloadingPortLocation(cbc.ID("KRPUS")),
                    cac.ActualDepartureTransportEvent(cbc.OccurrenceDate("2026-11-03")),
                ),
                cac.Delivery(cac.DeliveryAddress(cac.Country(cbc.IdentificationCode("KR")))),
            ),
            endorser("exporter", "Bangkok", "Somchai Jaidee"),
            cac.PreparationParty(*party("Siam Seafood Co., Ltd.", "TH")),
            cac.IssuerParty(*party("Department of Foreign Trade", "TH")),
            cac.IssuingCountry(cbc.IdentificationCode("TH")),
        ),
        cac.IssuerEndorsement(
            cbc.DocumentID("TH-KR 2026/0042"),
            cbc.ApprovalStatus("OK"),
            endorser("issuer", "Nonthaburi", "Kanya Srisuk"),
        ),
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_certificate_written_by_someone_else_is_valid_ubl() -> None:
    root = _xml.parse(_foreign_certificate())
    profiles.get("ubl").validate(root)


@pytest.mark.parametrize("target", ["asw", "unipass"])
def test_a_certificate_written_by_someone_else_translates_with_the_right_values(
    target: str,
) -> None:
    out = aswbridge.translate(
        _foreign_certificate(), source="ubl", target=target, today=date(2026, 11, 2)
    )
    name, message = aswbridge.read(out)
    assert name == target
    cert = message.document
    assert isinstance(cert, Certificate)
    assert (cert.id, cert.form, cert.function, cert.issue_date) == (
        "TH-KR 2026/0042",
        "FORM_RCEP",
        "original",
        date(2026, 11, 2),
    )
    assert (cert.exporter.name, cert.exporter.country) == ("Siam Seafood Co., Ltd.", "TH")
    assert (cert.consignee.name, cert.importing_country) == ("Busan Cold Chain Inc.", "KR")
    assert cert.issuing_authority.name == "Department of Foreign Trade"
    assert (cert.declaration.signatory, cert.declaration.place) == ("Somchai Jaidee", "Bangkok")
    assert cert.certification is not None and cert.certification.officer == "Kanya Srisuk"
    (item,) = cert.items
    assert (item.number, item.hs.code, item.hs.edition) == (1, "030617", "HS2022")
    assert (item.origin_criterion.code, item.origin_criterion.rvc_percent) == ("RVC", Decimal("45"))
    assert item.fob_value is not None and (item.fob_value.amount, item.fob_value.currency) == (
        Decimal("12500.50"),
        "USD",
    )
    assert (item.quantity.value, item.quantity.unit) == (Decimal("1800"), "KGM")
    assert (cert.transport.port_of_loading, cert.transport.port_of_discharge) == ("THLCH", "KRPUS")
    assert cert.transport.departure_date == date(2026, 11, 3)


# --- wrong and hostile input -------------------------------------------------------------


def _sample(name: str) -> bytes:
    return (ROOT / "examples" / "messages" / "ubl" / f"{name}.xml").read_bytes()


def _doctype(data: bytes, subset: str) -> bytes:
    body = data.split(b"?>", 1)[1]
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE CertificateOfOrigin [' + subset.encode() + b"]>" + body
    )


HOSTILE = {
    "billion-laughs": '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">',
    "xxe-file": '<!ENTITY x SYSTEM "file:///etc/passwd">',
    "xxe-network": '<!ENTITY x SYSTEM "http://127.0.0.1:9/x">',
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("target", ["asw", "unipass", "canonical"])
def test_hostile_ubl_is_refused_at_the_intake(case: str, target: str) -> None:
    data = _doctype(_sample("one_item"), HOSTILE[case]).replace(
        b"<cbc:Name>aswbridge</cbc:Name>", b"<cbc:Name>&x;&b;</cbc:Name>", 1
    )
    with pytest.raises(XmlSecurityError):
        aswbridge.translate(data, source="ubl", target=target)


BROKEN = {
    "unknown-customization": (
        "receipt",
        b"urn:aswbridge:ubl:1:receipt",
        b"urn:x:receipt",
        MappingError,
    ),
    "bad-extension-date": (
        "one_item",
        b"<asx:DeclarationDate>2026-10-21",
        b"<asx:DeclarationDate>2026-13-41",
        MappingError,
    ),
    "unknown-flag": (
        "exhibition",
        b"<asx:IndicatorCode>EXHIBITION",
        b"<asx:IndicatorCode>NOPE",
        MappingError,
    ),
    "extension-missing": ("one_item", b"urn:aswbridge:ubl:extension:1", b"urn:x", MappingError),
    "issue-date-missing": (
        "one_item",
        b"<cbc:IssueDate>2026-10-22</cbc:IssueDate>",
        b"",
        MappingError,
    ),  # optional in UBL, box 12 of every form
    "not-ubl-valid": (
        "one_item",
        b"<cbc:UBLVersionID>",
        b"<cbc:Bogus/><cbc:UBLVersionID>",
        SchemaError,
    ),
    "wrong-currency-attribute": ("form_d_th_id", b'currencyID="', b'currency="', SchemaError),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_wrong_ubl_is_a_typed_error(case: str) -> None:
    name, old, new, error = BROKEN[case]
    data = _sample(name)
    assert old in data
    with pytest.raises(error) as refused:
        aswbridge.read(data.replace(old, new, 1))
    assert isinstance(refused.value, MessageError)


# --- signatures in UBL's signature extension ---------------------------------------------

XMLSEC1 = shutil.which("xmlsec1")
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return pki.create(tmp_path_factory.mktemp("pki"), countries=("VN", "KR"), key_type="ec")


def _signed(made: Pki, name: str, country: str = "VN") -> bytes:
    key, cert, chain = made.load(country)
    root = _xml.parse(aswbridge.write(samples.SCENARIOS[name](), profile="ubl"))
    signed = Signer().sign(root, key=key, cert=cert, chain=chain)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(("name", "country"), [("one_item", "VN"), ("receipt", "KR")])
def test_the_signature_sits_in_the_ubl_signature_extension(
    made: Pki, name: str, country: str
) -> None:
    data = _signed(made, name, country)
    root = _xml.parse(data)
    profiles.get("ubl").validate(root)  # the official schema checks ds:Signature too
    (signature,) = root.iter(f"{{{DS}}}Signature")
    assert [etree.QName(a).localname for a in signature.iterancestors()][:5] == [
        "SignatureInformation",
        "UBLDocumentSignatures",
        "ExtensionContent",
        "UBLExtension",
        "UBLExtensions",
    ]
    information = signature.getparent()
    assert information is not None
    assert (
        information.findtext(f"{{{ubl.SBC}}}ReferencedSignatureID")
        == root.findtext(f"{{{NS['cac']}}}Signature/{{{NS['cbc']}}}ID")
        == ubl.SIGNATURE_ID
    )
    trust = TrustStore.from_paths([made.country(country)])
    assert aswbridge.read(data, trust=trust)[1].document == samples.SCENARIOS[name]().document


def test_a_signed_ubl_certificate_translates_to_asw_signed_by_the_bridge(made: Pki) -> None:
    trust = TrustStore.from_paths([made.country("VN")])
    out = aswbridge.translate(_signed(made, "one_item"), source="ubl", target="asw", trust=trust)
    message = aswbridge.read(out)[1]
    assert message.envelope.original_signer is not None
    assert "C=VN" in message.envelope.original_signer.subject


ALTERED = {
    "officer": (b"Nguyen Thi Lan", b"Nguyen Thi Lam", DigestMismatch),
    "extension": (b"<asx:FunctionCode>9<", b"<asx:FunctionCode>5<", DigestMismatch),
}


@pytest.mark.parametrize("case", list(ALTERED))
def test_altered_signed_ubl_is_refused(made: Pki, case: str) -> None:
    old, new, error = ALTERED[case]
    data = _signed(made, "one_item")
    assert old in data
    with pytest.raises(error):
        Verifier().verify(
            data.replace(old, new, 1), trust=TrustStore.from_paths([made.country("VN")])
        )


def test_a_signature_outside_the_ubl_extension_is_refused(made: Pki) -> None:
    root = _xml.parse(_signed(made, "one_item"))
    (signature,) = root.iter(f"{{{DS}}}Signature")
    root.append(signature)  # where the reference profiles put it, not where UBL does
    with pytest.raises(SignatureLocation):
        Verifier().verify(etree.tostring(root), trust=TrustStore.from_paths([made.country("VN")]))


def test_signing_twice_and_an_exporter_signature_are_refused(made: Pki) -> None:
    key, cert, chain = made.load("VN")
    with pytest.raises(ConfigurationError, match="already carries"):
        Signer().sign(_xml.parse(_signed(made, "one_item")), key=key, cert=cert, chain=chain)
    unsigned = _xml.parse(aswbridge.write(samples.one_item(), profile="ubl"))
    with pytest.raises(ConfigurationError, match="no place for an exporter's signature"):
        Signer().sign_declaration(unsigned, key=key, cert=cert, chain=chain)


@pytest.mark.skipif(XMLSEC1 is None and not os.environ.get("CI"), reason="xmlsec1 not installed")
@pytest.mark.parametrize("name", ["form_rcep_kr_th", "response_refusing_item"])
def test_our_ubl_signature_verifies_with_xmlsec1(made: Pki, name: str, tmp_path: Path) -> None:
    assert XMLSEC1 is not None, "CI installs xmlsec1"
    country = samples.SCENARIOS[name]().envelope.sender.country
    path = tmp_path / "signed.xml"
    path.write_bytes(_signed(made, name, country))
    root_ca = str(made.country(country) / "root-ca.pem")
    done = subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", root_ca, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    path.write_bytes(path.read_bytes().replace(b"<cbc:ID>", b"<cbc:ID>X", 1))
    done = subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", root_ca, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0


@pytest.mark.skipif(XMLSEC1 is None and not os.environ.get("CI"), reason="xmlsec1 not installed")
def test_a_ubl_certificate_signed_by_xmlsec1_verifies_with_ours(made: Pki, tmp_path: Path) -> None:
    assert XMLSEC1 is not None, "CI installs xmlsec1"
    root = _xml.parse(aswbridge.write(samples.one_item(), profile="ubl"))
    place = ubl.signature_place(root)
    template = etree.SubElement(place, f"{{{DS}}}Signature", nsmap={"ds": DS})
    template.append(
        etree.fromstring(f"""<ds:SignedInfo xmlns:ds="{DS}">
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>
<ds:Reference URI=""><ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>
</ds:Reference></ds:SignedInfo>""")
    )
    etree.SubElement(template, f"{{{DS}}}SignatureValue")
    etree.SubElement(etree.SubElement(template, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    (tmp_path / "tmpl.xml").write_bytes(etree.tostring(root))
    key, cert, chain = made.signer("VN")
    done = subprocess.run(
        [
            XMLSEC1,
            "--sign",
            "--privkey-pem",
            f"{key},{cert},{chain}",
            "--output",
            str(tmp_path / "out.xml"),
            str(tmp_path / "tmpl.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "out.xml").read_bytes()
    trust = TrustStore.from_paths([made.country("VN")])
    assert Verifier().verify(data, trust=trust).country == "VN"
    assert aswbridge.read(data, trust=trust)[1].document == samples.one_item().document


def _nth(data: bytes, pattern: bytes, n: int, new: bytes) -> bytes:
    match = list(re.finditer(pattern, data))[n]
    return data[: match.start()] + new + data[match.end() :]


SCHEMA_ERRORS = {
    "item-quantity": (
        rb'<cbc:Quantity unitCode="\w+">[0-9.]+<',
        3,
        b'<cbc:Quantity unitCode="KGM">many<',
        "items[3].quantity",
    ),
    "invoice-date": (
        rb"<cbc:IssueDate>[0-9-]+<",
        2,
        b"<cbc:IssueDate>2026-13-45<",
        "items[1].invoices[0].date",
    ),
    "issue-date": (rb"<cbc:IssueDate>[0-9-]+<", 0, b"<cbc:IssueDate>x<", "issue_date"),
}


@pytest.mark.parametrize("case", list(SCHEMA_ERRORS))
def test_official_schema_errors_name_the_canonical_field(case: str) -> None:
    pattern, n, new, path = SCHEMA_ERRORS[case]
    bad = _nth(aswbridge.write(samples.form_ak_id_kr(), profile="ubl"), pattern, n, new)
    with pytest.raises(SchemaError) as refused:
        profiles.get("ubl").validate(_xml.parse(bad))
    assert refused.value.problems[0].path == path
