"""The canonical model: one certificate of origin, whichever side it came from.

Frozen, keyword-only ``attrs`` classes with no XML inside. Codes are held in one
system only: ISO 3166 alpha-2 countries, ISO 4217 currencies, UN/ECE Rec 19
(transport mode), Rec 20 (units), Rec 21 (packages), WCO HS with its edition.
Amounts and percentages are :class:`~decimal.Decimal`, dates are :class:`~datetime.date`.

The field names are the canonical paths of docs/concepts.md (``items[3].hs.code``); the
canonical JSON form (:mod:`aswbridge.canonical`) uses them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

#: Box 13 (Form D, AK) / box 17 (RCEP) tick boxes, in the order they are printed.
FLAGS = (
    "third_country_invoicing",
    "exhibition",
    "accumulation",
    "de_minimis",
    "back_to_back",
    "issued_retroactively",
    "partial_cumulation",
)
_FLAG_ORDER = {name: i for i, name in enumerate(FLAGS)}


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else tuple(value)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _opt_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def _flags(value: Iterable[str]) -> tuple[str, ...]:
    # Sorted into print order so that equal flag sets compare equal; unknown names
    # sort last and are reported by the rules, not dropped here.
    return tuple(sorted(set(value), key=lambda f: (_FLAG_ORDER.get(f, len(FLAGS)), f)))


# --- parties and header -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Party:
    """A trader: exporter (box 1), consignee (box 2), producer (RCEP box 3), invoicer."""

    name: str
    country: str
    address: str | None = None
    id: str | None = None


@attrs.frozen(kw_only=True)
class Authority:
    """The issuing authority that certifies (box 12; RCEP box 16)."""

    name: str
    country: str
    id: str | None = None


@attrs.frozen(kw_only=True)
class Transport:
    """Means of transport and route (box 3; RCEP box 4). ``mode`` is UN/ECE Rec 19."""

    departure_date: date | None = None
    mode: str | None = None
    vessel: str | None = None
    port_of_loading: str | None = None
    port_of_discharge: str | None = None


# --- goods items ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Packages:
    """Number and kind of packages (box 7). ``kind`` is UN/ECE Rec 21."""

    count: int
    kind: str


@attrs.frozen(kw_only=True)
class HsCode:
    """HS number: 8-digit AHTN of the importer (Form D/AK box 7) or HS-6 (RCEP box 9)."""

    code: str
    edition: str


@attrs.frozen(kw_only=True)
class OriginCriterion:
    """Origin criterion (box 8; RCEP box 10), parsed.

    ``code`` is the criterion (``WO``, ``WO-AK``, ``PE``, ``RVC``, ``CC``, ``CTH``,
    ``CTSH``, ``CTC``, ``SP``, ``CR``, ``PC``) or the first of a combination, whose
    second criterion is ``combined_with`` (``CTSH + 35%`` is ``CTSH`` with ``RVC``,
    ``CC + Specific Processes`` is ``CC`` with ``SP``). ``rvc_percent`` is the regional
    value content where one is stated (of ``RVC`` or ``PC``, alone or combined),
    ``qualifiers`` the RCEP ``ACU``/``DMI`` marks, ``tariff_differential`` the RCEP
    Article 2.6.6 mark (``2.6.6A`` or ``2.6.6B``), and ``text`` what the form prints
    (``40%``, ``RVC 40%``, ``CTC ACU``, ``RVC ACU 2.6.6B``).
    """

    code: str
    text: str
    rvc_percent: Decimal | None = attrs.field(default=None, converter=_opt_decimal)
    combined_with: str | None = None
    qualifiers: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    tariff_differential: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """The criterion and, for a combination, the one it is combined with."""
        second = self.combined_with
        return (self.code,) if second is None else (self.code, second)


@attrs.frozen(kw_only=True)
class Quantity:
    """Gross weight or other quantity (box 9). ``unit`` is UN/ECE Rec 20."""

    value: Decimal = attrs.field(converter=_decimal)
    unit: str


@attrs.frozen(kw_only=True)
class Money:
    """An amount in an ISO 4217 currency (FOB value, box 9)."""

    amount: Decimal = attrs.field(converter=_decimal)
    currency: str


@attrs.frozen(kw_only=True)
class Invoice:
    """Number and date of an invoice (box 10)."""

    number: str
    date: date


@attrs.frozen(kw_only=True)
class Item:
    """One goods item (boxes 5 to 10)."""

    number: int
    description: str
    hs: HsCode
    origin_criterion: OriginCriterion
    quantity: Quantity
    marks: str | None = None
    packages: Packages | None = None
    origin_country: str | None = None
    fob_value: Money | None = None
    invoices: tuple[Invoice, ...] = attrs.field(default=(), converter=_tuple)


# --- certificate ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OriginalCo:
    """An original proof of origin a back-to-back certificate is based on.

    ``origin_country`` is the (RCEP) country of origin of the first exporting Party;
    ``approved_exporter_code`` that Party's approved-exporter authorisation code, where
    the original is a declaration of origin by an approved exporter (RCEP Annex 3B).
    """

    id: str
    date: date
    issuing_country: str
    origin_country: str | None = None
    approved_exporter_code: str | None = None


@attrs.frozen(kw_only=True)
class Exhibition:
    """The exhibition for goods sent to one (box 2 note; box 13)."""

    name: str
    place: str


@attrs.frozen(kw_only=True)
class Declaration:
    """The exporter's declaration (box 11; RCEP box 15).

    ``declarant`` says who signed it, ``exporter`` or ``producer`` (RCEP box 15 lets
    either declare); not stated means the exporter.
    """

    place: str
    date: date
    signatory: str
    producing_country: str
    declarant: str | None = None


@attrs.frozen(kw_only=True)
class Certification:
    """The issuing authority's certification (box 12; RCEP box 16)."""

    place: str
    date: date
    officer: str


@attrs.frozen(kw_only=True)
class Certificate:
    """A certificate of origin: Form D (ATIGA), Form AK (AKFTA) or Form RCEP.

    ``original_cos`` are the original proofs of origin of a back-to-back certificate
    (one or more). A replacement keeps the number and ``issue_date`` of the certificate
    it replaces and states its own issue date in ``replacement_date``; a certified true
    copy keeps them too and states the day it was certified in ``certified_copy_date``.
    """

    form: str
    function: str
    id: str
    issue_date: date
    issuing_country: str
    importing_country: str
    issuing_authority: Authority
    exporter: Party
    consignee: Party
    transport: Transport
    declaration: Declaration
    items: tuple[Item, ...] = attrs.field(default=(), converter=_tuple)
    certification: Certification | None = None
    producer: Party | None = None
    third_party_invoicer: Party | None = None
    remarks: str | None = None
    flags: tuple[str, ...] = attrs.field(default=(), converter=_flags)
    original_cos: tuple[OriginalCo, ...] = attrs.field(default=(), converter=_tuple)
    exhibition: Exhibition | None = None
    replacement_date: date | None = None
    certified_copy_date: date | None = None


# --- answers ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Receipt:
    """Technical acknowledgement of a message: received, or failed with a reason."""

    ref_message_id: str
    status: str  # "received" | "failed"
    certificate_id: str | None = None
    reason_code: str | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class ItemDecision:
    """The importing customs' decision on one item (box 4)."""

    number: int
    preference: str  # "given" | "not_given"
    reason: str | None = None


@attrs.frozen(kw_only=True)
class Response:
    """The importing customs' decision on a certificate, item by item (box 4)."""

    certificate_id: str
    issuing_country: str
    decision_date: date
    decisions: tuple[ItemDecision, ...] = attrs.field(converter=_tuple)
    officer: str | None = None
    remarks: str | None = None
    #: Issue date of the certificate decided on (to judge its validity).
    certificate_date: date | None = None


@attrs.frozen(kw_only=True)
class VerificationRequest:
    """A retroactive check: the importing side asks the issuing authority to verify."""

    certificate_id: str
    issuing_country: str
    certificate_date: date
    request_date: date
    requesting_authority: Authority
    reason: str
    items: tuple[int, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen(kw_only=True)
class ItemFinding:
    """The issuing authority's finding on one verified item."""

    number: int
    result: str  # "confirmed" | "not_confirmed"
    remarks: str | None = None


@attrs.frozen(kw_only=True)
class VerificationReply:
    """The issuing authority's answer to a verification request."""

    certificate_id: str
    issuing_country: str
    reply_date: date
    replying_authority: Authority
    result: str  # "confirmed" | "not_confirmed" | "partially_confirmed"
    findings: tuple[ItemFinding, ...] = attrs.field(default=(), converter=_tuple)
    remarks: str | None = None


Document = Certificate | Receipt | Response | VerificationRequest | VerificationReply

KIND_OF: dict[type[Any], str] = {
    Certificate: "certificate",
    Receipt: "receipt",
    Response: "response",
    VerificationRequest: "verification_request",
    VerificationReply: "verification_reply",
}
DOCUMENT_OF: dict[str, type[Any]] = {kind: cls for cls, kind in KIND_OF.items()}

# --- envelope ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Endpoint:
    """A party to the exchange: a country and the system speaking for it."""

    country: str
    system: str


@attrs.frozen(kw_only=True)
class SignerRef:
    """Who signed the message a translation was made from (subject and SHA-256)."""

    subject: str
    fingerprint: str


@attrs.frozen(kw_only=True)
class Envelope:
    """Routing data of a message. ``message_id`` is assigned once and kept on resends."""

    message_id: str
    sender: Endpoint
    receiver: Endpoint
    created_at: datetime
    document_type: str = "861"
    correlation_id: str | None = None
    original_signer: SignerRef | None = None


@attrs.frozen(kw_only=True)
class Message:
    """An envelope and the one document it carries."""

    envelope: Envelope
    document: Document

    @property
    def kind(self) -> str:
        """``certificate``, ``receipt``, ``response``, ``verification_request`` or ``_reply``."""
        return KIND_OF[type(self.document)]
