"""The ``ubl`` profile: certificates as OASIS UBL 2.4 ``CertificateOfOrigin``, answers as
``ApplicationResponse``, validated against the official OASIS schemas.

Every box with a UBL element is written where UBL puts it (``cbc:``/``cac:`` of UBL
2.4). What UBL has no element for (the routing envelope, the form's tick boxes, the
function code, the back-to-back original, the exhibition, the criterion's text, RVC
percentage and qualifiers, the declaration's and certification's dates ...) is kept in
one convention: a UBL extension (``ext:UBLExtension``) whose ``ext:ExtensionURI`` is
:data:`EXTENSION_URI` and whose content is in :data:`NAMESPACE`, on the document (and,
for a goods item's own data, on that ``cac:GoodsItem``). The UBL schema lets any
foreign element into ``ext:ExtensionContent``, so the documents stay valid UBL.

Answer kinds share the ``ApplicationResponse`` root and are told apart by
``cbc:CustomizationID``.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from aswbridge import model as m
from aswbridge.profiles import asw
from aswbridge.profiles.standard import Root, StandardProfile
from aswbridge.profiles.tables import Entry, Fixed, Group, Inline, Leaf, Node, Table

NAMESPACE = "urn:aswbridge:ubl:extension:1"
EXTENSION_URI = "urn:aswbridge:ubl:extension:1"
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
PREFIXES = {
    "cac": UBL + "CommonAggregateComponents-2",
    "cbc": UBL + "CommonBasicComponents-2",
    "ext": UBL + "CommonExtensionComponents-2",
    "asx": NAMESPACE,
}
SCHEMAS = "ubl-2.4/maindoc/"
CUSTOMIZATION = "urn:aswbridge:ubl:1:"

#: UBL's signature extension (UBL 2.4 section 5.4, "UBL digital signatures").
SIG = UBL + "CommonSignatureComponents-2"
SAC = UBL + "SignatureAggregateComponents-2"
SBC = UBL + "SignatureBasicComponents-2"
SIGNATURE_EXTENSION_URI = "urn:oasis:names:specification:ubl:dsig:enveloped"
SIGNATURE_ID = "urn:oasis:names:specification:ubl:signature:1"
SIGNATURE_PLACE = (
    f"{{{PREFIXES['ext']}}}UBLExtensions",
    f"{{{PREFIXES['ext']}}}UBLExtension",
    f"{{{PREFIXES['ext']}}}ExtensionContent",
    f"{{{SIG}}}UBLDocumentSignatures",
    f"{{{SAC}}}SignatureInformation",
)

FORMS = {"FORM_D": "ATIGA Form D", "FORM_AK": "AKFTA Form AK", "FORM_RCEP": "RCEP"}


def extension(cls: type[Any], entries: list[Entry]) -> Group:
    """The convention: ``ext:UBLExtensions`` holding this project's UBL extension, whose
    ``asx:Extension`` content carries ``entries`` (fields of ``cls``)."""
    return Group(
        "ext:UBLExtensions",
        Table(
            cls,
            [
                Group(
                    "ext:UBLExtension",
                    Table(
                        cls,
                        [
                            Fixed("cbc:Name", "aswbridge"),
                            Fixed("ext:ExtensionURI", EXTENSION_URI),
                            Group(
                                "ext:ExtensionContent",
                                Table(cls, [Group("asx:Extension", Table(cls, entries))]),
                            ),
                        ],
                    ),
                )
            ],
        ),
    )


def message(cls: type[Any], convention: list[Entry], body: list[Entry]) -> Table:
    """The table of a whole message: the envelope and the document's ``convention``
    fields (of ``cls``) in the document's extension, then the ``body`` (entries of
    :class:`~aswbridge.model.Message`)."""
    return Table(
        m.Message,
        [
            extension(
                m.Message,
                [
                    Group("asx:Envelope", Table(m.Message, [Inline("envelope", ENVELOPE)])),
                    Inline("document", Table(cls, convention)),
                ],
            ),
            *body,
        ],
    )


def _country(field: str = "country") -> Leaf:
    return Leaf(field, "cac:Country/cbc:IdentificationCode", "Country", doc="ISO 3166-1")


# --- envelope (convention: UBL documents travel without one) --------------------------

ENDPOINT = Table(
    m.Endpoint,
    [
        Leaf("country", "asx:CountryCode", "Country"),
        Leaf("system", "asx:SystemID", "Identifier"),
    ],
)
SIGNER = Table(
    m.SignerRef,
    [
        Leaf("subject", "asx:SubjectName", "Text512"),
        Leaf("fingerprint", "asx:FingerprintSHA256", "Fingerprint"),
    ],
)
ENVELOPE = Table(
    m.Envelope,
    [
        Leaf("message_id", "asx:MessageID", "Uuid"),
        Leaf("correlation_id", "asx:CorrelationID", "Uuid"),
        Leaf("document_type", "asx:DocumentTypeCode", "DocumentType", doc="UNTDID 1001"),
        Node("sender", "asx:Sender", ENDPOINT),
        Node("receiver", "asx:Receiver", ENDPOINT),
        Leaf("created_at", "asx:CreationDateTime", "DateTime"),
        Node("original_signer", "asx:OriginalSigner", SIGNER),
    ],
)

# --- certificate ----------------------------------------------------------------------

PARTY = Table(
    m.Party,
    [
        Leaf("id", "cac:PartyIdentification/cbc:ID", "Identifier"),
        Leaf("name", "cac:PartyName/cbc:Name", "Name"),
        Group(
            "cac:PostalAddress",
            Table(
                m.Party,
                [
                    Leaf("address", "cac:AddressLine/cbc:Line", "Address"),
                    _country(),
                ],
            ),
        ),
    ],
)
AUTHORITY = Table(
    m.Authority,
    [
        Leaf("id", "cac:PartyIdentification/cbc:ID", "Identifier"),
        Leaf("name", "cac:PartyName/cbc:Name", "Name"),
        Group("cac:PostalAddress", Table(m.Authority, [_country()])),
    ],
)
EXT_PARTY = Table(
    m.Party,
    [
        Leaf("name", "asx:Name", "Name"),
        Leaf("address", "asx:Address", "Address"),
        Leaf("country", "asx:CountryCode", "Country"),
        Leaf("id", "asx:ID", "Identifier"),
    ],
)
TRANSPORT = Table(
    m.Transport,
    [
        Leaf("mode", "cbc:TransportModeCode", "TransportMode", doc="UN/ECE Rec 19"),
        Leaf(
            "vessel",
            "cac:TransportMeans/cac:MaritimeTransport/cbc:VesselName",
            "Name",
            doc="vessel or flight",
        ),
        Leaf("port_of_loading", "cac:LoadingPortLocation/cbc:ID", "Location", doc="UN/LOCODE"),
        Leaf("port_of_discharge", "cac:UnloadingPortLocation/cbc:ID", "Location", doc="UN/LOCODE"),
        Leaf("departure_date", "cac:ActualDepartureTransportEvent/cbc:OccurrenceDate", "Date"),
    ],
)
MONEY = Table(
    m.Money,
    [
        Leaf("amount", ".", "Amount"),
        Leaf("currency", "@currencyID", "Currency", doc="ISO 4217"),
    ],
)
QUANTITY = Table(
    m.Quantity,
    [
        Leaf("value", ".", "Amount"),
        Leaf("unit", "@unitCode", "Unit", doc="UN/ECE Rec 20"),
    ],
)
HS = Table(
    m.HsCode,
    [
        Leaf("code", ".", "HsCode"),
        Leaf("edition", "@listVersionID", "HsEdition"),
    ],
)
PACKAGES = Table(
    m.Packages,
    [
        Leaf("count", "cbc:Quantity", "Count"),
        Leaf("kind", "cbc:PackagingTypeCode", "PackageKind", doc="UN/ECE Rec 21"),
    ],
)
INVOICE = Table(
    m.Invoice,
    [
        Leaf("number", "cbc:ID", "Identifier"),
        Leaf("date", "cbc:IssueDate", "Date"),
        Fixed("cbc:DocumentTypeCode", "380", doc="UNTDID 1001: commercial invoice"),
    ],
)
ITEM = Table(
    m.Item,
    [
        extension(
            m.Item,
            [
                Leaf("marks", "asx:ShippingMarks", "Marks"),
                Inline(
                    "origin_criterion",
                    Table(
                        m.OriginCriterion,
                        [
                            Leaf("rvc_percent", "asx:RVCPercent", "Percent"),
                            Leaf("combined_with", "asx:CombinedCriterionCode", "Criterion"),
                            Leaf("qualifiers", "asx:QualifierCode", "Qualifier"),
                            Leaf(
                                "tariff_differential",
                                "asx:TariffDifferentialCode",
                                "TariffDifferential",
                                doc="RCEP Art. 2.6.6",
                            ),
                            Leaf("text", "asx:CriterionText", "Text70"),
                        ],
                    ),
                ),
            ],
        ),
        Leaf("number", "cbc:ID", "ItemNumber"),
        Leaf("description", "cbc:Description", "Description"),
        Node("fob_value", "cbc:FreeOnBoardValueAmount", MONEY),
        Node("quantity", "cbc:Quantity", QUANTITY),
        Inline(
            "origin_criterion",
            Table(
                m.OriginCriterion,
                [
                    Leaf("code", "cbc:PreferenceCriterionCode", "Criterion"),
                ],
            ),
        ),
        Group(
            "cac:Item",
            Table(
                m.Item,
                [
                    Leaf("origin_country", "cac:OriginCountry/cbc:IdentificationCode", "Country"),
                    Node("hs", "cac:CommodityClassification/cbc:ItemClassificationCode", HS),
                ],
            ),
        ),
        Node("packages", "cac:ContainingPackage", PACKAGES),
        Node("invoices", "cac:AdditionalDocumentReference", INVOICE),
    ],
)
ORIGINAL_CO = Table(
    m.OriginalCo,
    [
        Leaf("id", "asx:ID", "Identifier"),
        Leaf("date", "asx:IssueDate", "Date"),
        Leaf("issuing_country", "asx:IssuingCountryCode", "Country"),
        Leaf("origin_country", "asx:OriginCountryCode", "Country"),
        Leaf("approved_exporter_code", "asx:ApprovedExporterID", "Identifier"),
    ],
)
EXHIBITION = Table(
    m.Exhibition,
    [
        Leaf("name", "asx:Name", "Name"),
        Leaf("place", "asx:Place", "Name"),
    ],
)
#: boxes UBL has no element for (convention), then the CertificateOfOrigin


def _endorser(role: str, field: str, cls: type[Any], signatory: str) -> Group:
    """``cac:EndorserParty`` of an endorsement: the role, where it was signed (the place of
    ``field``) and who signed it (``field``'s ``signatory`` attribute)."""

    def of_field(leaf: Leaf) -> Table:
        return Table(m.Certificate, [Inline(field, Table(cls, [leaf]))])

    return Group(
        "cac:EndorserParty",
        Table(
            m.Certificate,
            [
                Fixed("cbc:RoleCode", role),
                Fixed("cbc:SequenceNumeric", "1"),
                Group(
                    "cac:Party", of_field(Leaf("place", "cac:PhysicalLocation/cbc:Name", "Name"))
                ),
                Group("cac:SignatoryContact", of_field(Leaf(signatory, "cbc:Name", "Name"))),
            ],
        ),
    )


CERTIFICATE = message(
    m.Certificate,
    [
        Leaf("function", "asx:FunctionCode", "FunctionCode", asw.FUNCTIONS, doc="UNTDID 1225"),
        Leaf("replacement_date", "asx:ReplacementIssueDate", "Date"),
        Leaf("certified_copy_date", "asx:CertifiedTrueCopyDate", "Date"),
        Node("producer", "asx:Producer", EXT_PARTY),
        Node("third_party_invoicer", "asx:ThirdPartyInvoicer", EXT_PARTY),
        Leaf("flags", "asx:IndicatorCode", "IndicatorCode", asw.FLAGS),
        Node("original_cos", "asx:OriginalCertificate", ORIGINAL_CO),
        Node("exhibition", "asx:Exhibition", EXHIBITION),
        Inline(
            "declaration",
            Table(
                m.Declaration,
                [
                    Leaf("date", "asx:DeclarationDate", "Date"),
                    Leaf("producing_country", "asx:ProducingCountryCode", "Country"),
                    Leaf("declarant", "asx:DeclarantCode", "DeclarantCode", asw.DECLARANT),
                ],
            ),
        ),
        Inline(
            "certification",
            Table(
                m.Certification,
                [
                    Leaf("date", "asx:CertificationDate", "Date"),
                ],
            ),
        ),
    ],
    [
        Inline(
            "document",
            Table(
                m.Certificate,
                [
                    Fixed("cbc:UBLVersionID", "2.4"),
                    Fixed("cbc:CustomizationID", CUSTOMIZATION + "certificate"),
                    Leaf("id", "cbc:ID", "Identifier"),
                    Leaf("issue_date", "cbc:IssueDate", "Date"),
                    Node("exporter", "cac:ExporterParty", PARTY),
                    Node("consignee", "cac:ImporterParty", PARTY),
                    Group(
                        "cac:CertificateOfOriginApplication",
                        Table(
                            m.Certificate,
                            [
                                Leaf("id", "cbc:ReferenceID", "Identifier", derived=True),
                                Leaf("form", "cbc:CertificateType", "FormCode", FORMS),
                                Leaf("id", "cbc:OriginalJobID", "Identifier", derived=True),
                                Leaf("remarks", "cbc:Remarks", "Remarks"),
                                Group(
                                    "cac:Shipment",
                                    Table(
                                        m.Certificate,
                                        [
                                            Node("items", "cac:GoodsItem", ITEM),
                                            Node("transport", "cac:ShipmentStage", TRANSPORT),
                                            Leaf(
                                                "importing_country",
                                                "cac:Delivery/cac:DeliveryAddress/cac:Country/cbc:IdentificationCode",
                                                "Country",
                                            ),
                                        ],
                                    ),
                                ),
                                _endorser("exporter", "declaration", m.Declaration, "signatory"),
                                Node("exporter", "cac:PreparationParty", PARTY, derived=True),
                                Node("issuing_authority", "cac:IssuerParty", AUTHORITY),
                                Leaf(
                                    "issuing_country",
                                    "cac:IssuingCountry/cbc:IdentificationCode",
                                    "Country",
                                ),
                            ],
                        ),
                    ),
                    Group(
                        "cac:IssuerEndorsement",
                        Table(
                            m.Certificate,
                            [
                                Leaf("id", "cbc:DocumentID", "Identifier", derived=True),
                                Fixed("cbc:ApprovalStatus", "certified"),
                                _endorser(
                                    "issuing-authority", "certification", m.Certification, "officer"
                                ),
                            ],
                        ),
                    ),
                ],
            ),
        )
    ],
)


# --- answers: ApplicationResponse ---------------------------------------------------------

# Status codes are UNTDID 4343, as UBL application responses use them (the asw spellings).
ENDPOINT_PARTY = Table(
    m.Endpoint,
    [
        Leaf("system", "cbc:EndpointID", "Identifier"),
        Group("cac:PostalAddress", Table(m.Endpoint, [_country()])),
    ],
)


def _answer(
    kind: str,
    cls: type[Any],
    convention: list[Entry],
    issue_date: Leaf,
    response: list[Entry],
    note: str | None = None,
) -> Table:
    """An ApplicationResponse: the header, the sender and receiver (from the envelope),
    then one ``cac:DocumentResponse`` holding ``response``. ``issue_date`` is a leaf of
    the document, or a derived one of the envelope."""
    envelope_date = issue_date.derived
    header: list[Entry] = [] if envelope_date else [issue_date]
    if note:
        header.append(Leaf(note, "cbc:Note", "Remarks"))
    return message(
        cls,
        convention,
        [
            Fixed("cbc:UBLVersionID", "2.4"),
            Fixed("cbc:CustomizationID", CUSTOMIZATION + kind),
            Inline(
                "envelope",
                Table(
                    m.Envelope,
                    [
                        Leaf("message_id", "cbc:ID", "Uuid", derived=True),
                        *([issue_date] if envelope_date else []),
                    ],
                ),
            ),
            Inline("document", Table(cls, header)),
            Inline(
                "envelope",
                Table(
                    m.Envelope,
                    [
                        Node("sender", "cac:SenderParty", ENDPOINT_PARTY, derived=True),
                        Node("receiver", "cac:ReceiverParty", ENDPOINT_PARTY, derived=True),
                    ],
                ),
            ),
            Inline("document", Table(cls, [Group("cac:DocumentResponse", Table(cls, response))])),
        ],
    )


def _reference(cls: type[Any], date: Leaf | None = None) -> Group:
    """The certificate answered: ``cac:DocumentReference`` (UNTDID 1001 code 861)."""
    return Group(
        "cac:DocumentReference",
        Table(
            cls,
            [
                Leaf("certificate_id", "cbc:ID", "Identifier"),
                *([date] if date else []),
                Fixed("cbc:DocumentTypeCode", "861", doc="UNTDID 1001: certificate of origin"),
                Group(
                    "cac:IssuerParty",
                    Table(
                        cls, [Group("cac:PostalAddress", Table(cls, [_country("issuing_country")]))]
                    ),
                ),
            ],
        ),
    )


RECEIPT = _answer(
    "receipt",
    m.Receipt,
    [
        Leaf("certificate_id", "asx:CertificateID", "Identifier"),
    ],
    Leaf("created_at", "cbc:IssueDate", "Date", derived=True),
    [
        Group(
            "cac:Response",
            Table(
                m.Receipt,
                [
                    Leaf(
                        "status",
                        "cbc:ResponseCode",
                        "ReceiptStatus",
                        asw.RECEIPT_STATUS,
                        doc="UNTDID 4343",
                    ),
                    Leaf("reason", "cbc:Description", "Remarks"),
                    Leaf("reason_code", "cac:Status/cbc:StatusReasonCode", "Identifier"),
                ],
            ),
        ),
        Group(
            "cac:DocumentReference",
            Table(
                m.Receipt,
                [
                    Leaf("ref_message_id", "cbc:ID", "Uuid"),
                ],
            ),
        ),
    ],
)

RESPONSE = _answer(
    "response",
    m.Response,
    [],
    Leaf("decision_date", "cbc:IssueDate", "Date"),
    [
        Group("cac:Response", Table(m.Response, [])),
        _reference(m.Response, Leaf("certificate_date", "cbc:IssueDate", "Date")),
        Group(
            "cac:IssuerParty", Table(m.Response, [Leaf("officer", "cac:Contact/cbc:Name", "Name")])
        ),
        Node(
            "decisions",
            "cac:LineResponse",
            Table(
                m.ItemDecision,
                [
                    Leaf("number", "cac:LineReference/cbc:LineID", "ItemNumber"),
                    Group(
                        "cac:Response",
                        Table(
                            m.ItemDecision,
                            [
                                Leaf(
                                    "preference",
                                    "cbc:ResponseCode",
                                    "PreferenceCode",
                                    asw.PREFERENCE,
                                    doc="UNTDID 4343",
                                ),
                                Leaf("reason", "cbc:Description", "Remarks"),
                            ],
                        ),
                    ),
                ],
            ),
        ),
    ],
    note="remarks",
)

VERIFICATION_REQUEST = _answer(
    "verification_request",
    m.VerificationRequest,
    [
        Leaf("items", "asx:ItemNumber", "ItemNumber"),
    ],
    Leaf("request_date", "cbc:IssueDate", "Date"),
    [
        Group(
            "cac:Response",
            Table(
                m.VerificationRequest,
                [
                    Leaf("reason", "cbc:Description", "Remarks"),
                ],
            ),
        ),
        _reference(m.VerificationRequest, Leaf("certificate_date", "cbc:IssueDate", "Date")),
        Node("requesting_authority", "cac:IssuerParty", AUTHORITY),
    ],
)

VERIFICATION_REPLY = _answer(
    "verification_reply",
    m.VerificationReply,
    [],
    Leaf("reply_date", "cbc:IssueDate", "Date"),
    [
        Group(
            "cac:Response",
            Table(
                m.VerificationReply,
                [
                    Leaf(
                        "result", "cbc:ResponseCode", "VerificationResult", asw.VERIFICATION_RESULT
                    ),
                ],
            ),
        ),
        _reference(m.VerificationReply),
        Node("replying_authority", "cac:IssuerParty", AUTHORITY),
        Node(
            "findings",
            "cac:LineResponse",
            Table(
                m.ItemFinding,
                [
                    Leaf("number", "cac:LineReference/cbc:LineID", "ItemNumber"),
                    Group(
                        "cac:Response",
                        Table(
                            m.ItemFinding,
                            [
                                Leaf(
                                    "result",
                                    "cbc:ResponseCode",
                                    "FindingResult",
                                    asw.FINDING_RESULT,
                                ),
                                Leaf("remarks", "cbc:Description", "Remarks"),
                            ],
                        ),
                    ),
                ],
            ),
        ),
    ],
    note="remarks",
)


def signature_place(document: etree._Element) -> etree._Element:
    """Make UBL's signature extension in ``document`` and return its
    ``sac:SignatureInformation``, where the enveloped ``ds:Signature`` goes.

    Adds ``ext:UBLExtension`` (URI :data:`SIGNATURE_EXTENSION_URI`) holding
    ``sig:UBLDocumentSignatures/sac:SignatureInformation`` with ``cbc:ID`` and
    ``sbc:ReferencedSignatureID``, and the document's ``cac:Signature`` with that ID
    (before its first aggregate, where both UBL documents place it).
    """
    ext, cbc, cac = (f"{{{PREFIXES[p]}}}" for p in ("ext", "cbc", "cac"))
    extensions = document.find(f"{ext}UBLExtensions")
    if extensions is None:
        extensions = etree.Element(f"{ext}UBLExtensions")
        document.insert(0, extensions)
    extension = etree.SubElement(extensions, f"{ext}UBLExtension")
    etree.SubElement(extension, f"{ext}ExtensionURI").text = SIGNATURE_EXTENSION_URI
    content = etree.SubElement(extension, f"{ext}ExtensionContent")
    signatures = etree.SubElement(
        content, f"{{{SIG}}}UBLDocumentSignatures", nsmap={"sig": SIG, "sac": SAC, "sbc": SBC}
    )
    information = etree.SubElement(signatures, f"{{{SAC}}}SignatureInformation")
    etree.SubElement(information, f"{cbc}ID").text = SIGNATURE_ID
    referenced = etree.SubElement(information, f"{{{SBC}}}ReferencedSignatureID")
    referenced.text = SIGNATURE_ID
    reference = etree.Element(f"{cac}Signature")
    etree.SubElement(reference, f"{cbc}ID").text = SIGNATURE_ID
    etree.SubElement(reference, f"{cbc}SignatureMethod").text = SIGNATURE_EXTENSION_URI
    first = next(c for c in document if isinstance(c.tag, str) and c.tag.startswith(cac))
    first.addprevious(reference)
    return information


_RESPONSE_ROOT = "ApplicationResponse"
PROFILE = StandardProfile(
    name="ubl",
    title="OASIS UBL 2.4 Certificate of Origin and Application Response",
    namespace=NAMESPACE,
    prefixes=PREFIXES,
    root_tag="CertificateOfOrigin",
    schema=SCHEMAS + "UBL-CertificateOfOrigin-2.4.xsd",
    envelope=ENVELOPE,
    documents={
        "certificate": CERTIFICATE,
        "receipt": RECEIPT,
        "response": RESPONSE,
        "verification_request": VERIFICATION_REQUEST,
        "verification_reply": VERIFICATION_REPLY,
    },
    roots={
        "certificate": Root(
            tag="CertificateOfOrigin",
            namespace=UBL + "CertificateOfOrigin-2",
            schema=SCHEMAS + "UBL-CertificateOfOrigin-2.4.xsd",
        ),
        **{
            kind: Root(
                tag=_RESPONSE_ROOT,
                namespace=UBL + "ApplicationResponse-2",
                schema=SCHEMAS + "UBL-ApplicationResponse-2.4.xsd",
                customization=CUSTOMIZATION + kind,
            )
            for kind in ("receipt", "response", "verification_request", "verification_reply")
        },
    },
    customization="cbc:CustomizationID",
    signature_place=SIGNATURE_PLACE,
    make_signature_place=signature_place,
    convention=f"""\
> **Official schemas.** Every document this profile writes is validated against the
> unmodified OASIS UBL 2.4 schemas shipped in `aswbridge/wsdl/ubl-2.4/` (`maindoc/` and the
> `common/` modules they import), never against a schema of this project. Boxes with a UBL element
> are written where UBL puts them (*standard* below). What UBL has no element for is kept
> in one convention (*convention* below): a UBL extension, `ext:UBLExtension` with
> `ext:ExtensionURI` = `{EXTENSION_URI}`, whose `ext:ExtensionContent` holds an
> `asx:Extension` element in namespace `{NAMESPACE}`, on the document and on each
> `cac:GoodsItem`. UBL lets any foreign element into `ext:ExtensionContent`, so the
> documents stay valid. Signatures sit in UBL's signature extension
> ([security.md](../security.md#in-ubl-documents)).
""",
)
