"""Profile ``cn``: an example China RCEP e-CO message set for aswbridge.

This is a *worked example* of how a new country joins, not an official schema: the
element names, the namespace and the code spellings below are invented for the
example, in the style of a customs interface (a message head, a body, the
certificate content under one signed element). A real profile follows the partner's
published specification the same way: tables that say how each canonical field is
spelled, and the XSD that goes with them.

The profile is registered by the entry point in ``pyproject.toml``::

    [project.entry-points."aswbridge.profiles"]
    cn = "aswbridge_profile_cn:PROFILE"
"""

from __future__ import annotations

from pathlib import Path

from aswbridge import model as m
from aswbridge.profiles import Profile
from aswbridge.profiles.tables import Group, Leaf, Node, Table

__all__ = ["NAMESPACE", "PROFILE", "SCHEMA_FILE"]

NAMESPACE = "urn:aswbridge:example:cn:1"
SCHEMA_FILE = "cn-eco.xsd"

# Code spellings of this message set; canonical codes on the left.
FORMS = {"FORM_RCEP": "RCEP"}
FUNCTIONS = {"original": "O", "replacement": "R", "cancellation": "C"}
FLAGS = {
    "third_country_invoicing": "TCI",
    "exhibition": "EXH",
    "accumulation": "ACC",
    "de_minimis": "DMI",
    "back_to_back": "BTB",
    "issued_retroactively": "RET",
    "partial_cumulation": "PCU",
}
RECEIPT_STATUS = {"received": "OK", "failed": "ERR"}
PREFERENCE = {"given": "Y", "not_given": "N"}
DECLARANT = {"exporter": "EXP", "producer": "PRD"}

ENDPOINT = Table(
    m.Endpoint,
    [
        Leaf("country", "Country", "Country"),
        Leaf("system", "System", "Identifier"),
    ],
)
SIGNER = Table(
    m.SignerRef,
    [
        Leaf("subject", "Subject", "Text512"),
        Leaf("fingerprint", "Sha256", "Fingerprint"),
    ],
)
HEAD = Table(
    m.Envelope,
    [
        Leaf("message_id", "MsgId", "Uuid"),
        Leaf("correlation_id", "RefMsgId", "Uuid"),
        Leaf("document_type", "DocType", "DocumentType", doc="UNTDID 1001"),
        Node("sender", "From", ENDPOINT),
        Node("receiver", "To", ENDPOINT),
        Leaf("created_at", "SendTime", "DateTime"),
        Node("original_signer", "OrigSigner", SIGNER),
    ],
)

PARTY = Table(
    m.Party,
    [
        Leaf("name", "Name", "Name"),
        Leaf("address", "Addr", "Address"),
        Leaf("country", "Country", "Country"),
        Leaf("id", "Uscc", "Identifier", doc="unified social credit code"),
    ],
)
AUTHORITY = Table(
    m.Authority,
    [
        Leaf("name", "Name", "Name"),
        Leaf("country", "Country", "Country"),
        Leaf("id", "Code", "Identifier"),
    ],
)
TRANSPORT = Table(
    m.Transport,
    [
        Leaf("departure_date", "DepartDate", "Date"),
        Leaf("mode", "TrafMode", "TransportMode", doc="UN/ECE Rec 19"),
        Leaf("vessel", "ShipName", "Name"),
        Leaf("port_of_loading", "LoadPort", "Location", doc="UN/LOCODE"),
        Leaf("port_of_discharge", "DischargePort", "Location", doc="UN/LOCODE"),
    ],
)
PACKAGES = Table(
    m.Packages,
    [
        Leaf("count", "Num", "Count"),
        Leaf("kind", "Kind", "PackageKind", doc="UN/ECE Rec 21"),
    ],
)
HS = Table(
    m.HsCode,
    [
        Leaf("code", "Code", "HsCode"),
        Leaf("edition", "Edition", "HsEdition"),
    ],
)
CRITERION = Table(
    m.OriginCriterion,
    [
        Leaf("code", "Code", "Criterion"),
        Leaf("rvc_percent", "Rvc", "Percent"),
        Leaf("combined_with", "CombinedCode", "Criterion"),
        Leaf("qualifiers", "Mark", "Qualifier"),
        Leaf("tariff_differential", "Art266", "TariffDifferential"),
        Leaf("text", "Printed", "Text70"),
    ],
)
QUANTITY = Table(
    m.Quantity,
    [
        Leaf("value", "Qty", "Amount"),
        Leaf("unit", "Unit", "Unit", doc="UN/ECE Rec 20"),
    ],
)
MONEY = Table(
    m.Money,
    [
        Leaf("amount", "Amt", "Amount"),
        Leaf("currency", "Curr", "Currency", doc="ISO 4217"),
    ],
)
INVOICE = Table(
    m.Invoice,
    [
        Leaf("number", "No", "Identifier"),
        Leaf("date", "Date", "Date"),
    ],
)
GOODS = Table(
    m.Item,
    [
        Leaf("number", "Seq", "ItemNumber"),
        Leaf("marks", "Marks", "Marks"),
        Node("packages", "Pack", PACKAGES),
        Leaf("description", "GoodsDesc", "Description"),
        Node("hs", "Hs", HS),
        Node("origin_criterion", "OriginCrit", CRITERION),
        Leaf("origin_country", "OriginCountry", "Country"),
        Node("quantity", "Quantity", QUANTITY),
        Node("fob_value", "Fob", MONEY),
        Node("invoices", "Invoice", INVOICE),
    ],
)
ORIGINAL_CO = Table(
    m.OriginalCo,
    [
        Leaf("id", "CertNo", "Identifier"),
        Leaf("date", "IssueDate", "Date"),
        Leaf("issuing_country", "IssueCountry", "Country"),
        Leaf("origin_country", "OriginCountry", "Country"),
        Leaf("approved_exporter_code", "ApprovedExporter", "Identifier"),
    ],
)
EXHIBITION = Table(
    m.Exhibition,
    [
        Leaf("name", "Name", "Name"),
        Leaf("place", "Place", "Name"),
    ],
)
DECLARATION = Table(
    m.Declaration,
    [
        Leaf("place", "Place", "Name"),
        Leaf("date", "Date", "Date"),
        Leaf("signatory", "Signer", "Name"),
        Leaf("producing_country", "ProduceCountry", "Country"),
        Leaf("declarant", "Declarant", "CnDeclarant", DECLARANT),
    ],
)
VISA = Table(
    m.Certification,
    [
        Leaf("place", "Place", "Name"),
        Leaf("date", "Date", "Date"),
        Leaf("officer", "Officer", "Name"),
    ],
)
CERTIFICATE = Table(
    m.Certificate,
    [
        # Boxes 1-15 sit under one element with an Id: the part the exporter and the
        # issuing authority sign. The visa (box 16) is its sibling, as on the paper form.
        Group(
            "CertContent",
            Table(
                m.Certificate,
                [
                    Leaf("id", "CertNo", "Identifier"),
                    Leaf("form", "FormType", "CnFormType", FORMS),
                    Leaf("function", "Function", "CnFunction", FUNCTIONS),
                    Leaf("issue_date", "IssueDate", "Date"),
                    Leaf("replacement_date", "ReplaceDate", "Date"),
                    Leaf("certified_copy_date", "TrueCopyDate", "Date"),
                    Leaf("issuing_country", "IssueCountry", "Country"),
                    Leaf("importing_country", "DestCountry", "Country"),
                    Node("issuing_authority", "IssueOrg", AUTHORITY),
                    Node("exporter", "Exporter", PARTY),
                    Node("consignee", "Consignee", PARTY),
                    Node("producer", "Producer", PARTY),
                    Node("third_party_invoicer", "Invoicer", PARTY),
                    Node("transport", "Transport", TRANSPORT),
                    Node("items", "Goods", GOODS),
                    Leaf("remarks", "Remarks", "Remarks"),
                    Leaf("flags", "Tick", "CnFlag", FLAGS),
                    Node("original_cos", "OriginalCert", ORIGINAL_CO),
                    Node("exhibition", "Exhibition", EXHIBITION),
                    Node("declaration", "Declaration", DECLARATION),
                ],
            ),
            id_attribute="Id",
        ),
        Node("certification", "Visa", VISA),
    ],
)
RECEIPT = Table(
    m.Receipt,
    [
        Group(
            "Receipt",
            Table(
                m.Receipt,
                [
                    Leaf("ref_message_id", "RefMsgId", "Uuid"),
                    Leaf("status", "Status", "CnReceiptStatus", RECEIPT_STATUS),
                    Leaf("certificate_id", "CertNo", "Identifier"),
                    Leaf("reason_code", "ErrCode", "Identifier"),
                    Leaf("reason", "ErrText", "Remarks"),
                ],
            ),
        )
    ],
)
DECISION = Table(
    m.ItemDecision,
    [
        Leaf("number", "Seq", "ItemNumber"),
        Leaf("preference", "Preferential", "CnPreference", PREFERENCE),
        Leaf("reason", "Reason", "Remarks"),
    ],
)
RESPONSE = Table(
    m.Response,
    [
        Group(
            "Decision",
            Table(
                m.Response,
                [
                    Leaf("certificate_id", "CertNo", "Identifier"),
                    Leaf("issuing_country", "IssueCountry", "Country"),
                    Leaf("decision_date", "DecisionDate", "Date"),
                    Leaf("certificate_date", "CertDate", "Date"),
                    Leaf("officer", "Officer", "Name"),
                    Node("decisions", "Goods", DECISION),
                    Leaf("remarks", "Remarks", "Remarks"),
                ],
            ),
        )
    ],
)


PROFILE = Profile(
    name="cn",
    title="China RCEP e-CO (example profile)",
    namespace=NAMESPACE,
    root_tag="CoMessage",
    header_tag="Head",
    body_tag="Body",
    # The XSD ships inside this package (package-data in pyproject.toml); aswbridge
    # compiles it from this path. Its import of the XML-DSig schema resolves to the copy
    # aswbridge ships, so the profile carries only its own file.
    schema=Path(__file__).with_name(SCHEMA_FILE),
    envelope=HEAD,
    documents={"certificate": CERTIFICATE, "receipt": RECEIPT, "response": RESPONSE},
)
