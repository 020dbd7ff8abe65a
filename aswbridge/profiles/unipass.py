"""The ``unipass`` reference profile: Korea Customs Service's UNI-PASS e-CO payload.

The KCS e-CO exchange specification is not public. This profile is a *reference*
written by the aswbridge project from the public form content, in the style of the
public UNI-PASS interfaces (romanised-abbreviation element names such as ``CoNo``,
``IsuDt``, ``HsSgn``), flat where KCS interfaces are flat. The payload element
``EcoMsg`` travels inside the SOAP body of ``aswbridge/wsdl/unipass-eco.wsdl``. The official
specification comes in a package of its own that publishes a profile named
``unipass``, which replaces this one once installed (``examples/profile_asw_official``
shows how, for ``asw``).
"""

from __future__ import annotations

from aswbridge import model as m
from aswbridge.profiles.base import Profile
from aswbridge.profiles.tables import Group, Inline, Leaf, Node, Table

NAMESPACE = "urn:aswbridge:reference:unipass:1"

FORMS = {"FORM_D": "ATGD", "FORM_AK": "AKAK", "FORM_RCEP": "RCEP"}
FUNCTIONS = {"original": "O", "replacement": "R", "cancellation": "C"}
FLAGS = {
    "third_country_invoicing": "01",
    "exhibition": "02",
    "accumulation": "03",
    "de_minimis": "04",
    "back_to_back": "05",
    "issued_retroactively": "06",
    "partial_cumulation": "07",
}
RECEIPT_STATUS = {"received": "01", "failed": "02"}
YES_NO = {"given": "Y", "not_given": "N"}
VERIFICATION_RESULT = {"confirmed": "01", "not_confirmed": "02", "partially_confirmed": "03"}
FINDING_RESULT = {"confirmed": "Y", "not_confirmed": "N"}
DECLARANT = {"exporter": "E", "producer": "P"}

SENDER = Table(
    m.Endpoint,
    [
        Leaf("country", "SndrCntyCd", "Country"),
        Leaf("system", "SndrSysId", "Identifier"),
    ],
)
RECEIVER = Table(
    m.Endpoint,
    [
        Leaf("country", "RcvrCntyCd", "Country"),
        Leaf("system", "RcvrSysId", "Identifier"),
    ],
)
SIGNER = Table(
    m.SignerRef,
    [
        Leaf("subject", "OrgnSgnrSbjt", "Text512"),
        Leaf("fingerprint", "OrgnSgnrFgpr", "Fingerprint"),
    ],
)
ENVELOPE = Table(
    m.Envelope,
    [
        Leaf("message_id", "MsgId", "Uuid"),
        Leaf("correlation_id", "CrltnMsgId", "Uuid"),
        Leaf("document_type", "DocTpcd", "DocumentType", doc="UNTDID 1001"),
        Inline("sender", SENDER),
        Inline("receiver", RECEIVER),
        Leaf("created_at", "CretDttm", "DateTime"),
        Inline("original_signer", SIGNER),
    ],
)

PARTY = Table(
    m.Party,
    [
        Leaf("name", "Nm", "Name"),
        Leaf("address", "Addr", "Address"),
        Leaf("country", "CntyCd", "Country"),
        Leaf("id", "BsnsNo", "Identifier"),
    ],
)
AUTHORITY = Table(
    m.Authority,
    [
        Leaf("name", "OrgnNm", "Name"),
        Leaf("country", "CntyCd", "Country"),
        Leaf("id", "OrgnId", "Identifier"),
    ],
)
TRANSPORT = Table(
    m.Transport,
    [
        Leaf("departure_date", "DprtDt", "Date"),
        Leaf("mode", "TrnspMdCd", "TransportMode", doc="UN/ECE Rec 19"),
        Leaf("vessel", "VslNm", "Name"),
        Leaf("port_of_loading", "LdPrtCd", "Location", doc="UN/LOCODE"),
        Leaf("port_of_discharge", "DschrgPrtCd", "Location", doc="UN/LOCODE"),
    ],
)
PACKAGES = Table(
    m.Packages,
    [
        Leaf("count", "PckQty", "Count"),
        Leaf("kind", "PckTpcd", "PackageKind", doc="UN/ECE Rec 21"),
    ],
)
HS = Table(
    m.HsCode,
    [
        Leaf("code", "HsSgn", "HsCode"),
        Leaf("edition", "HsVerCd", "HsEdition"),
    ],
)
CRITERION = Table(
    m.OriginCriterion,
    [
        Leaf("code", "OrgnCrtrCd", "Criterion"),
        Leaf("rvc_percent", "RvcRt", "Percent"),
        Leaf("combined_with", "CmbnOrgnCrtrCd", "Criterion"),
        Leaf("qualifiers", "OrgnCrtrQlfcCd", "Qualifier"),
        Leaf("tariff_differential", "TrifDfrnCd", "TariffDifferential", doc="RCEP Art. 2.6.6"),
        Leaf("text", "OrgnCrtrTxt", "Text70"),
    ],
)
QUANTITY = Table(
    m.Quantity,
    [
        Leaf("value", "Qty", "Amount"),
        Leaf("unit", "QtyUtCd", "Unit", doc="UN/ECE Rec 20"),
    ],
)
MONEY = Table(
    m.Money,
    [
        Leaf("amount", "FobAmt", "Amount"),
        Leaf("currency", "FobCrncCd", "Currency", doc="ISO 4217"),
    ],
)
INVOICE = Table(
    m.Invoice,
    [
        Leaf("number", "InvcNo", "Identifier"),
        Leaf("date", "InvcDt", "Date"),
    ],
)
ITEM = Table(
    m.Item,
    [
        Leaf("number", "ItemSn", "ItemNumber"),
        Leaf("marks", "PckMrkCn", "Marks"),
        Inline("packages", PACKAGES),
        Leaf("description", "GdsDesc", "Description"),
        Inline("hs", HS),
        Inline("origin_criterion", CRITERION),
        Leaf("origin_country", "OrgnCntyCd", "Country"),
        Inline("quantity", QUANTITY),
        Inline("fob_value", MONEY),
        Node("invoices", "InvcInfo", INVOICE),
    ],
)
ORIGINAL_CO = Table(
    m.OriginalCo,
    [
        Leaf("id", "OrgnCoNo", "Identifier"),
        Leaf("date", "OrgnCoIsuDt", "Date"),
        Leaf("issuing_country", "OrgnCoIsuCntyCd", "Country"),
        Leaf("origin_country", "FrstExpOrgnCntyCd", "Country"),
        Leaf("approved_exporter_code", "FrstExpApreExprCd", "Identifier"),
    ],
)
EXHIBITION = Table(
    m.Exhibition,
    [
        Leaf("name", "ExbtNm", "Name"),
        Leaf("place", "ExbtPlcNm", "Name"),
    ],
)
DECLARATION = Table(
    m.Declaration,
    [
        Leaf("place", "DclrPlcNm", "Name"),
        Leaf("date", "DclrDt", "Date"),
        Leaf("signatory", "SgntrNm", "Name"),
        Leaf("producing_country", "PrdcCntyCd", "Country"),
        Leaf("declarant", "DclrTpcd", "DeclarantCode", DECLARANT),
    ],
)
CERTIFICATION = Table(
    m.Certification,
    [
        Leaf("place", "CertPlcNm", "Name"),
        Leaf("date", "CertDt", "Date"),
        Leaf("officer", "CertOffcrNm", "Name"),
    ],
)
CERTIFICATE = Table(
    m.Certificate,
    [
        Group(
            "CoInfo",
            Table(
                m.Certificate,
                [
                    Leaf("id", "CoNo", "Identifier"),
                    Leaf("form", "FtaCoTpcd", "FormCode", FORMS),
                    Leaf("function", "CoFnctCd", "FunctionCode", FUNCTIONS),
                    Leaf("issue_date", "IsuDt", "Date"),
                    Leaf("replacement_date", "RplcIsuDt", "Date"),
                    Leaf("certified_copy_date", "CtfdCpyIsuDt", "Date"),
                    Leaf("issuing_country", "IsuCntyCd", "Country"),
                    Leaf("importing_country", "ImpCntyCd", "Country"),
                    Node("issuing_authority", "IsuOrgn", AUTHORITY),
                    Node("exporter", "Expr", PARTY),
                    Node("consignee", "Cnsgne", PARTY),
                    Node("producer", "Prdcr", PARTY),
                    Node("third_party_invoicer", "ThrdPtyInvcr", PARTY),
                    Node("transport", "TrnspInfo", TRANSPORT),
                    Leaf("flags", "SpclCndCd", "SpecialConditionCode", FLAGS),
                    Node("original_cos", "OrgnCoInfo", ORIGINAL_CO),
                    Node("exhibition", "ExbtInfo", EXHIBITION),
                    Leaf("remarks", "RmkCn", "Remarks"),
                    Node("items", "ItemInfo", ITEM),
                    Node("declaration", "ExpDclr", DECLARATION),
                ],
            ),
            id_attribute="Id",
        ),
        Node("certification", "CertInfo", CERTIFICATION),
    ],
)

RECEIPT = Table(
    m.Receipt,
    [
        Group(
            "RcptInfo",
            Table(
                m.Receipt,
                [
                    Leaf("ref_message_id", "RefMsgId", "Uuid"),
                    Leaf("status", "RcptSttsCd", "ReceiptStatus", RECEIPT_STATUS),
                    Leaf("certificate_id", "CoNo", "Identifier"),
                    Leaf("reason_code", "ErrCd", "Identifier"),
                    Leaf("reason", "ErrCn", "Remarks"),
                ],
            ),
        )
    ],
)

DECISION = Table(
    m.ItemDecision,
    [
        Leaf("number", "ItemSn", "ItemNumber"),
        Leaf("preference", "PrfrnAplyYn", "YesNo", YES_NO),
        Leaf("reason", "RjctRsnCn", "Remarks"),
    ],
)
RESPONSE = Table(
    m.Response,
    [
        Group(
            "CstmRspn",
            Table(
                m.Response,
                [
                    Leaf("certificate_id", "CoNo", "Identifier"),
                    Leaf("issuing_country", "IsuCntyCd", "Country"),
                    Leaf("decision_date", "DcsnDt", "Date"),
                    Leaf("certificate_date", "CoIsuDt", "Date"),
                    Leaf("officer", "OffcrNm", "Name"),
                    Leaf("remarks", "RmkCn", "Remarks"),
                    Node("decisions", "ItemDcsn", DECISION),
                ],
            ),
        )
    ],
)

VERIFICATION_REQUEST = Table(
    m.VerificationRequest,
    [
        Group(
            "VrfcRqst",
            Table(
                m.VerificationRequest,
                [
                    Leaf("certificate_id", "CoNo", "Identifier"),
                    Leaf("issuing_country", "IsuCntyCd", "Country"),
                    Leaf("certificate_date", "CoIsuDt", "Date"),
                    Leaf("request_date", "RqstDt", "Date"),
                    Node("requesting_authority", "RqstOrgn", AUTHORITY),
                    Leaf("reason", "RqstRsnCn", "Remarks"),
                    Leaf("items", "ItemSn", "ItemNumber"),
                ],
            ),
        )
    ],
)

FINDING = Table(
    m.ItemFinding,
    [
        Leaf("number", "ItemSn", "ItemNumber"),
        Leaf("result", "RsltYn", "FindingResult", FINDING_RESULT),
        Leaf("remarks", "RmkCn", "Remarks"),
    ],
)
VERIFICATION_REPLY = Table(
    m.VerificationReply,
    [
        Group(
            "VrfcRply",
            Table(
                m.VerificationReply,
                [
                    Leaf("certificate_id", "CoNo", "Identifier"),
                    Leaf("issuing_country", "IsuCntyCd", "Country"),
                    Leaf("reply_date", "RplyDt", "Date"),
                    Node("replying_authority", "RplyOrgn", AUTHORITY),
                    Leaf("result", "VrfcRsltCd", "VerificationResult", VERIFICATION_RESULT),
                    Leaf("remarks", "RmkCn", "Remarks"),
                    Node("findings", "ItemRslt", FINDING),
                ],
            ),
        )
    ],
)

PROFILE = Profile(
    name="unipass",
    title="KCS UNI-PASS e-CO payload (reference profile)",
    namespace=NAMESPACE,
    root_tag="EcoMsg",
    header_tag="MsgHdr",
    body_tag="MsgBody",
    schema="unipass-eco.xsd",
    envelope=ENVELOPE,
    documents={
        "certificate": CERTIFICATE,
        "receipt": RECEIPT,
        "response": RESPONSE,
        "verification_request": VERIFICATION_REQUEST,
        "verification_reply": VERIFICATION_REPLY,
    },
)
