"""Answers to sample certificates: receipts, customs responses, verification.

Each builder derives its message from the one it answers: the envelope goes back the
other way, ``correlation_id`` is the answered message's id, and the message id is a
``uuid5`` of what the answer says, so the same call always gives the same message.

Document types (UNTDID 1001): ``767`` acknowledgment of receipt (receipt), ``962``
document response (Customs) for the importing customs' decision. UNTDID 1001 has no
code for an origin verification request or reply, and the generic ``21`` query /
``22`` response to query do not fit the three-digit element of the reference
profiles, so both carry ``861``, the certificate of origin they are about (as an
ePhyto hub header carries the certificate type whatever the envelope holds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from aswbridge.errors import ConfigurationError
from aswbridge.model import (
    Certificate,
    Envelope,
    ItemDecision,
    ItemFinding,
    Message,
    Receipt,
    Response,
    VerificationReply,
    VerificationRequest,
)
from aswbridge.samples.builder import message_id
from aswbridge.samples.parties import issuer

__all__ = [
    "DOCUMENT_TYPES",
    "receipt_for",
    "response_for",
    "verification_reply_for",
    "verification_request_for",
]

#: UNTDID 1001 document name code of each message kind.
DOCUMENT_TYPES: dict[str, str] = {
    "certificate": "861",
    "receipt": "767",
    "response": "962",
    "verification_request": "21",  # query
    "verification_reply": "22",  # response to query
}

_AGREEMENT = {"FORM_D": "ATIGA", "FORM_AK": "AKFTA", "FORM_RCEP": "RCEP"}


def _certificate(message: Message) -> Certificate:
    if not isinstance(message.document, Certificate):
        raise ConfigurationError(f"expected a certificate message, got a {message.kind}")
    return message.document


def _reply_envelope(to: Message, *, key: str, kind: str, created_at: datetime) -> Envelope:
    return Envelope(
        message_id=message_id(f"{kind}:{to.envelope.message_id}:{key}"),
        sender=to.envelope.receiver,
        receiver=to.envelope.sender,
        created_at=created_at,
        document_type=DOCUMENT_TYPES[kind],
        correlation_id=to.envelope.message_id,
    )


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def receipt_for(
    message: Message,
    *,
    status: str = "received",
    reason_code: str | None = None,
    reason: str | None = None,
) -> Message:
    """The receiving system's technical acknowledgement of ``message``.

    ``status`` is ``received`` or ``failed``; a failed receipt needs a ``reason_code``
    (the wire code of the error that refused the message) and may give a ``reason``.
    The receipt follows the message by four minutes.
    """
    if status not in ("received", "failed"):
        raise ConfigurationError(f"receipt status must be received or failed, not {status!r}")
    if status == "failed" and not reason_code:
        raise ConfigurationError("a failed receipt needs a reason_code")
    doc = message.document
    cert_id = doc.id if isinstance(doc, Certificate) else getattr(doc, "certificate_id", None)
    return Message(
        envelope=_reply_envelope(
            message,
            key=f"{status}:{reason_code or ''}",
            kind="receipt",
            created_at=message.envelope.created_at + timedelta(minutes=4),
        ),
        document=Receipt(
            ref_message_id=message.envelope.message_id,
            status=status,
            certificate_id=cert_id,
            reason_code=reason_code,
            reason=reason,
        ),
    )


def response_for(
    message: Message,
    refuse: Mapping[int, str] | None = None,
    *,
    decision_date: date | None = None,
    remarks: str | None = None,
) -> Message:
    """The importing customs' decision on a certificate (box 4), item by item.

    Preference is given to every item except those in ``refuse``, which maps item
    numbers to the reason stated. The decision is taken when the goods are declared
    for import, seven days after departure unless ``decision_date`` says otherwise; the
    certificate's issue date goes with it, so that its validity can be judged.
    """
    cert = _certificate(message)
    refuse = dict(refuse or {})
    numbers = {item.number for item in cert.items}
    unknown = sorted(set(refuse) - numbers)
    if unknown:
        raise ConfigurationError(f"no item numbered {unknown} on certificate {cert.id}")
    departed = cert.transport.departure_date or cert.issue_date
    decided = decision_date or departed + timedelta(days=7)
    decisions = tuple(
        ItemDecision(number=n, preference="not_given", reason=refuse[n])
        if n in refuse
        else ItemDecision(number=n, preference="given")
        for n in sorted(numbers)
    )
    if remarks is None:
        agreement = _AGREEMENT.get(cert.form, cert.form)
        if refuse:
            listed = ", ".join(str(n) for n in sorted(refuse))
            remarks = (
                f"Preferential tariff treatment under {agreement} given to all items "
                f"except item(s) {listed}"
            )
        else:
            remarks = f"Preferential tariff treatment under {agreement} given to all items"
    customs = issuer(cert.importing_country, customs=True)
    return Message(
        envelope=_reply_envelope(
            message,
            key=",".join(f"{n}={r}" for n, r in sorted(refuse.items())),
            kind="response",
            created_at=_at(decided, 5, 10),
        ),
        document=Response(
            certificate_id=cert.id,
            issuing_country=cert.issuing_country,
            decision_date=decided,
            decisions=tuple(decisions),
            officer=customs.officer,
            remarks=remarks,
            certificate_date=cert.issue_date,
        ),
    )


def verification_request_for(
    message: Message,
    items: Iterable[int] = (),
    *,
    reason: str | None = None,
    request_date: date | None = None,
) -> Message:
    """The importing customs' request to verify a certificate (a retroactive check).

    ``items`` are the item numbers in doubt (none: the whole certificate). The request
    is sent 30 days after issue unless ``request_date`` says otherwise.
    """
    cert = _certificate(message)
    wanted = tuple(sorted(set(items)))
    unknown = sorted(set(wanted) - {item.number for item in cert.items})
    if unknown:
        raise ConfigurationError(f"no item numbered {unknown} on certificate {cert.id}")
    requested = request_date or cert.issue_date + timedelta(days=30)
    if reason is None:
        scope = "item(s) " + ", ".join(map(str, wanted)) if wanted else "all items"
        reason = (
            f"Retroactive check under {_AGREEMENT.get(cert.form, cert.form)}: please verify "
            f"the authenticity of the certificate and the originating status of {scope} "
            f"(selected on a risk basis)"
        )
    customs = issuer(cert.importing_country, customs=True)
    return Message(
        envelope=_reply_envelope(
            message,
            key=",".join(map(str, wanted)),
            kind="verification_request",
            created_at=_at(requested, 1, 30),
        ),
        document=VerificationRequest(
            certificate_id=cert.id,
            issuing_country=cert.issuing_country,
            certificate_date=cert.issue_date,
            request_date=requested,
            requesting_authority=customs.authority,
            reason=reason,
            items=tuple(wanted),
        ),
    )


def verification_reply_for(
    request: Message,
    not_confirmed: Mapping[int, str] | None = None,
    *,
    reply_date: date | None = None,
    remarks: str | None = None,
) -> Message:
    """The issuing authority's answer to a verification request.

    Every requested item is confirmed except those in ``not_confirmed`` (item number →
    finding). The result is ``confirmed``, ``not_confirmed`` (no requested item
    confirmed) or ``partially_confirmed``. The reply comes 14 days after the request
    unless ``reply_date`` says otherwise.
    """
    req = request.document
    if not isinstance(req, VerificationRequest):
        raise ConfigurationError(f"expected a verification request, got a {request.kind}")
    refused = dict(not_confirmed or {})
    unknown = sorted(set(refused) - set(req.items))
    if unknown and req.items:
        raise ConfigurationError(f"items {unknown} were not asked about")
    numbers = req.items or tuple(sorted(refused))
    findings = tuple(
        ItemFinding(number=n, result="not_confirmed", remarks=refused[n])
        if n in refused
        else ItemFinding(
            number=n,
            result="confirmed",
            remarks="Origin confirmed on the basis of the producer's records",
        )
        for n in numbers
    )
    if not refused:
        result = "confirmed"
    elif len(refused) == len(numbers):
        result = "not_confirmed"
    else:
        result = "partially_confirmed"
    if remarks is None:
        remarks = {
            "confirmed": "The certificate is authentic and the goods satisfy the rules of origin",
            "not_confirmed": "The goods do not satisfy the rules of origin",
            "partially_confirmed": "The certificate is authentic; the origin of some items "
            "could not be confirmed",
        }[result]
    replied = reply_date or req.request_date + timedelta(days=14)
    authority = issuer(req.issuing_country)
    return Message(
        envelope=_reply_envelope(
            request,
            key=",".join(f"{n}={r}" for n, r in sorted(refused.items())),
            kind="verification_reply",
            created_at=_at(replied, 7, 45),
        ),
        document=VerificationReply(
            certificate_id=req.certificate_id,
            issuing_country=req.issuing_country,
            reply_date=replied,
            replying_authority=authority.authority,
            result=result,
            findings=tuple(findings),
            remarks=remarks,
        ),
    )
