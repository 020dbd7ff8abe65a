"""The ``asw`` reference profile: an NSW's ASEAN Single Window message set.

The official ATIGA e-Form D Process Specification and Message Implementation
Guideline is not public. This profile is a *reference* written by the aswbridge
project from the public form content (ATIGA Annex 7, AKFTA Form AK, RCEP Annex 3B)
with WCO Data Model / UN/CEFACT style names, a message header and a payload. The
official schema comes in a package of its own that publishes a profile named ``asw``,
which replaces this one once installed (``examples/profile_asw_official``).
"""

from __future__ import annotations

from aswbridge import model as m
from aswbridge.profiles.base import Profile
from aswbridge.profiles.tables import Group, Leaf, Node, Table

NAMESPACE = "urn:aswbridge:reference:asw:1"

FORMS = {"FORM_D": "ATIGA-D", "FORM_AK": "AKFTA-AK", "FORM_RCEP": "RCEP"}
FUNCTIONS = {"original": "9", "replacement": "5", "cancellation": "1"}  # UNTDID 1225
FLAGS = {
    "third_country_invoicing": "THIRD_COUNTRY_INVOICING",
    "exhibition": "EXHIBITION",
    "accumulation": "ACCUMULATION",
    "de_minimis": "DE_MINIMIS",
    "back_to_back": "BACK_TO_BACK",
    "issued_retroactively": "ISSUED_RETROACTIVELY",
    "partial_cumulation": "PARTIAL_CUMULATION",
}
RECEIPT_STATUS = {"received": "AB", "failed": "RE"}  # UNTDID 4343
PREFERENCE = {"given": "AP", "not_given": "RE"}  # UNTDID 4343
VERIFICATION_RESULT = {
    "confirmed": "CONFIRMED",
    "not_confirmed": "NOT_CONFIRMED",
    "partially_confirmed": "PARTIALLY_CONFIRMED",
}
FINDING_RESULT = {"confirmed": "CONFIRMED", "not_confirmed": "NOT_CONFIRMED"}
DECLARANT = {"exporter": "EXPORTER", "producer": "PRODUCER"}

ENDPOINT = Table(
    m.Endpoint,
    [
        Leaf("country", "CountryCode", "Country"),
        Leaf("system", "SystemID", "Identifier"),
    ],
)
SIGNER = Table(
    m.SignerRef,
    [
        Leaf("subject", "SubjectName", "Text512"),
        Leaf("fingerprint", "FingerprintSHA256", "Fingerprint"),
    ],
)
ENVELOPE = Table(
    m.Envelope,
    [
        Leaf("message_id", "MessageID", "Uuid"),
        Leaf("correlation_id", "CorrelationID", "Uuid"),
        Leaf("document_type", "DocumentTypeCode", "DocumentType", doc="UNTDID 1001"),
        Node("sender", "Sender", ENDPOINT),
        Node("receiver", "Receiver", ENDPOINT),
        Leaf("created_at", "CreationDateTime", "DateTime"),
        Node("original_signer", "OriginalSigner", SIGNER),
    ],
)

PARTY = Table(
    m.Party,
    [
        Leaf("name", "Name", "Name"),
        Leaf("address", "Address", "Address"),
        Leaf("country", "CountryCode", "Country"),
        Leaf("id", "ID", "Identifier"),
    ],
)
AUTHORITY = Table(
    m.Authority,
    [
        Leaf("name", "Name", "Name"),
        Leaf("country", "CountryCode", "Country"),
        Leaf("id", "ID", "Identifier"),
    ],
)
TRANSPORT = Table(
    m.Transport,
    [
        Leaf("departure_date", "DepartureDate", "Date"),
        Leaf("mode", "ModeCode", "TransportMode", doc="UN/ECE Rec 19"),
        Leaf("vessel", "TransportMeansName", "Name"),
        Leaf("port_of_loading", "LoadingLocationID", "Location", doc="UN/LOCODE"),
        Leaf("port_of_discharge", "UnloadingLocationID", "Location", doc="UN/LOCODE"),
    ],
)
PACKAGES = Table(
    m.Packages,
    [
        Leaf("count", "QuantityNumeric", "Count"),
        Leaf("kind", "TypeCode", "PackageKind", doc="UN/ECE Rec 21"),
    ],
)
HS = Table(
    m.HsCode,
    [
        Leaf("code", "ClassificationCode", "HsCode"),
        Leaf("edition", "EditionCode", "HsEdition"),
    ],
)
CRITERION = Table(
    m.OriginCriterion,
    [
        Leaf("code", "CriterionCode", "Criterion"),
        Leaf("rvc_percent", "RVCPercent", "Percent"),
        Leaf("combined_with", "CombinedCriterionCode", "Criterion"),
        Leaf("qualifiers", "QualifierCode", "Qualifier"),
        Leaf(
            "tariff_differential",
            "TariffDifferentialCode",
            "TariffDifferential",
            doc="RCEP Art. 2.6.6",
        ),
        Leaf("text", "CriterionText", "Text70"),
    ],
)
QUANTITY = Table(
    m.Quantity,
    [
        Leaf("value", "Value", "Amount"),
        Leaf("unit", "UnitCode", "Unit", doc="UN/ECE Rec 20"),
    ],
)
MONEY = Table(
    m.Money,
    [
        Leaf("amount", "Amount", "Amount"),
        Leaf("currency", "CurrencyCode", "Currency", doc="ISO 4217"),
    ],
)
INVOICE = Table(
    m.Invoice,
    [
        Leaf("number", "ID", "Identifier"),
        Leaf("date", "IssueDate", "Date"),
    ],
)
ITEM = Table(
    m.Item,
    [
        Leaf("number", "SequenceNumeric", "ItemNumber"),
        Leaf("marks", "ShippingMarks", "Marks"),
        Node("packages", "Packaging", PACKAGES),
        Leaf("description", "Description", "Description"),
        Node("hs", "Classification", HS),
        Node("origin_criterion", "OriginCriterion", CRITERION),
        Leaf("origin_country", "OriginCountryCode", "Country"),
        Node("quantity", "GrossQuantity", QUANTITY),
        Node("fob_value", "FOBValue", MONEY),
        Node("invoices", "Invoice", INVOICE),
    ],
)
ORIGINAL_CO = Table(
    m.OriginalCo,
    [
        Leaf("id", "ID", "Identifier"),
        Leaf("date", "IssueDate", "Date"),
        Leaf("issuing_country", "IssuingCountryCode", "Country"),
        Leaf("origin_country", "OriginCountryCode", "Country"),
        Leaf("approved_exporter_code", "ApprovedExporterID", "Identifier"),
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
        Leaf("signatory", "SignatoryName", "Name"),
        Leaf("producing_country", "ProducingCountryCode", "Country"),
        Leaf("declarant", "DeclarantCode", "DeclarantCode", DECLARANT),
    ],
)
CERTIFICATION = Table(
    m.Certification,
    [
        Leaf("place", "Place", "Name"),
        Leaf("date", "Date", "Date"),
        Leaf("officer", "OfficerName", "Name"),
    ],
)
CERTIFICATE = Table(
    m.Certificate,
    [
        Group(
            "CertificateOfOrigin",
            Table(
                m.Certificate,
                [
                    Leaf("id", "ID", "Identifier"),
                    Leaf("form", "FormTypeCode", "FormCode", FORMS),
                    Leaf("function", "FunctionCode", "FunctionCode", FUNCTIONS, doc="UNTDID 1225"),
                    Leaf("issue_date", "IssueDate", "Date"),
                    Leaf("replacement_date", "ReplacementIssueDate", "Date"),
                    Leaf("certified_copy_date", "CertifiedTrueCopyDate", "Date"),
                    Leaf("issuing_country", "IssuingCountryCode", "Country"),
                    Leaf("importing_country", "ImportingCountryCode", "Country"),
                    Node("issuing_authority", "IssuingAuthority", AUTHORITY),
                    Node("exporter", "Exporter", PARTY),
                    Node("consignee", "Consignee", PARTY),
                    Node("producer", "Producer", PARTY),
                    Node("third_party_invoicer", "ThirdPartyInvoicer", PARTY),
                    Node("transport", "TransportMovement", TRANSPORT),
                    Node("items", "GoodsItem", ITEM),
                    Leaf("remarks", "Remarks", "Remarks"),
                    Leaf("flags", "IndicatorCode", "IndicatorCode", FLAGS),
                    Node("original_cos", "OriginalCertificate", ORIGINAL_CO),
                    Node("exhibition", "Exhibition", EXHIBITION),
                    Node("declaration", "ExporterDeclaration", DECLARATION),
                ],
            ),
            id_attribute="Id",
        ),
        Node("certification", "Certification", CERTIFICATION),
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
                    Leaf("ref_message_id", "ReferenceMessageID", "Uuid"),
                    Leaf(
                        "status", "StatusCode", "ReceiptStatus", RECEIPT_STATUS, doc="UNTDID 4343"
                    ),
                    Leaf("certificate_id", "CertificateID", "Identifier"),
                    Leaf("reason_code", "ReasonCode", "Identifier"),
                    Leaf("reason", "Reason", "Remarks"),
                ],
            ),
        )
    ],
)

DECISION = Table(
    m.ItemDecision,
    [
        Leaf("number", "SequenceNumeric", "ItemNumber"),
        Leaf("preference", "PreferenceCode", "PreferenceCode", PREFERENCE, doc="UNTDID 4343"),
        Leaf("reason", "Reason", "Remarks"),
    ],
)
RESPONSE = Table(
    m.Response,
    [
        Group(
            "CustomsResponse",
            Table(
                m.Response,
                [
                    Leaf("certificate_id", "CertificateID", "Identifier"),
                    Leaf("issuing_country", "IssuingCountryCode", "Country"),
                    Leaf("decision_date", "DecisionDate", "Date"),
                    Leaf("certificate_date", "CertificateIssueDate", "Date"),
                    Leaf("officer", "OfficerName", "Name"),
                    Node("decisions", "ItemDecision", DECISION),
                    Leaf("remarks", "Remarks", "Remarks"),
                ],
            ),
        )
    ],
)

VERIFICATION_REQUEST = Table(
    m.VerificationRequest,
    [
        Group(
            "VerificationRequest",
            Table(
                m.VerificationRequest,
                [
                    Leaf("certificate_id", "CertificateID", "Identifier"),
                    Leaf("issuing_country", "IssuingCountryCode", "Country"),
                    Leaf("certificate_date", "CertificateIssueDate", "Date"),
                    Leaf("request_date", "RequestDate", "Date"),
                    Node("requesting_authority", "RequestingAuthority", AUTHORITY),
                    Leaf("reason", "Reason", "Remarks"),
                    Leaf("items", "SequenceNumeric", "ItemNumber"),
                ],
            ),
        )
    ],
)

FINDING = Table(
    m.ItemFinding,
    [
        Leaf("number", "SequenceNumeric", "ItemNumber"),
        Leaf("result", "ResultCode", "FindingResult", FINDING_RESULT),
        Leaf("remarks", "Remarks", "Remarks"),
    ],
)
VERIFICATION_REPLY = Table(
    m.VerificationReply,
    [
        Group(
            "VerificationReply",
            Table(
                m.VerificationReply,
                [
                    Leaf("certificate_id", "CertificateID", "Identifier"),
                    Leaf("issuing_country", "IssuingCountryCode", "Country"),
                    Leaf("reply_date", "ReplyDate", "Date"),
                    Node("replying_authority", "ReplyingAuthority", AUTHORITY),
                    Leaf("result", "ResultCode", "VerificationResult", VERIFICATION_RESULT),
                    Node("findings", "ItemFinding", FINDING),
                    Leaf("remarks", "Remarks", "Remarks"),
                ],
            ),
        )
    ],
)

PROFILE = Profile(
    name="asw",
    title="ASEAN Single Window e-CO (reference profile)",
    namespace=NAMESPACE,
    root_tag="EFormMessage",
    header_tag="MessageHeader",
    body_tag="Payload",
    schema="asw-eform.xsd",
    envelope=ENVELOPE,
    documents={
        "certificate": CERTIFICATE,
        "receipt": RECEIPT,
        "response": RESPONSE,
        "verification_request": VERIFICATION_REQUEST,
        "verification_reply": VERIFICATION_REPLY,
    },
)
