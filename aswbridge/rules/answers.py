"""Rules for the answers (receipt, response, verification) and for the envelope."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aswbridge.agreements import FORM_RULES
from aswbridge.model import (
    Envelope,
    Receipt,
    Response,
    VerificationReply,
    VerificationRequest,
)
from aswbridge.rules._base import (
    ENVELOPE,
    RECEIPT,
    RESPONSE,
    VERIFICATION_REPLY,
    VERIFICATION_REQUEST,
    Context,
    Finding,
    country_problem,
    in_future,
    is_blank,
    is_date,
    months_after,
)

RECEIPT_STATUSES = ("received", "failed")
PREFERENCES = ("given", "not_given")
FINDING_RESULTS = ("confirmed", "not_confirmed")
REPLY_RESULTS = ("confirmed", "not_confirmed", "partially_confirmed")

_ITEM_NUMBER_CLAUSE = "ATIGA Annex 7 box 5 and note 9 (items decided one by one)"


def _numbers(numbers: Iterable[tuple[str, object]]) -> Iterator[Finding]:
    """Item numbers that are not positive integers, or repeat."""
    seen: set[object] = set()
    for path, number in numbers:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            yield path, f"item number {number!r} is not a positive integer"
        elif number in seen:
            yield path, f"item number {number} is used twice"
        seen.add(number)


def _country(path: str, value: object) -> Iterator[Finding]:
    problem = country_problem(value, "country")
    if problem:
        yield path, problem


def _texts(*fields: tuple[str, object]) -> Iterator[Finding]:
    for path, value in fields:
        if is_blank(value):
            yield path, f"{path} is required and is blank"


# --- envelope -------------------------------------------------------------------------------


@ENVELOPE.rule(
    "COUNTRY_UNKNOWN",
    "Sender and receiver countries are ISO 3166-1 alpha-2 codes.",
    clause="ISO 3166-1; canonical model: envelope",
)
def envelope_countries(env: Envelope, ctx: Context) -> Iterator[Finding]:
    yield from _country("envelope.sender.country", env.sender.country)
    yield from _country("envelope.receiver.country", env.receiver.country)


@ENVELOPE.rule(
    "TEXT_EMPTY",
    "The message id and both system ids are not blank.",
    clause="canonical model: envelope (message_id assigned once, kept on resends)",
)
def envelope_texts(env: Envelope, ctx: Context) -> Iterator[Finding]:
    yield from _texts(
        ("envelope.message_id", env.message_id),
        ("envelope.sender.system", env.sender.system),
        ("envelope.receiver.system", env.receiver.system),
    )


# --- receipt ----------------------------------------------------------------------------------


@RECEIPT.rule(
    "STATUS_UNKNOWN",
    "A receipt's status is received or failed.",
    clause="canonical model: receipt (technical acknowledgement)",
)
def receipt_status(doc: Receipt, ctx: Context) -> Iterator[Finding]:
    if doc.status not in RECEIPT_STATUSES:
        yield "status", f"status {doc.status!r} is not one of {', '.join(RECEIPT_STATUSES)}"


@RECEIPT.rule(
    "REASON_REQUIRED",
    "A failed receipt carries a reason code.",
    clause="canonical model: receipt (failed with reason)",
)
def receipt_reason(doc: Receipt, ctx: Context) -> Iterator[Finding]:
    if doc.status == "failed" and is_blank(doc.reason_code):
        yield "reason_code", "a failed receipt needs a reason code"


@RECEIPT.rule(
    "TEXT_EMPTY",
    "The acknowledged message id is not blank.",
    clause="canonical model: receipt",
)
def receipt_texts(doc: Receipt, ctx: Context) -> Iterator[Finding]:
    yield from _texts(("ref_message_id", doc.ref_message_id))


# --- response (box 4) -------------------------------------------------------------------------


@RESPONSE.rule(
    "COUNTRY_UNKNOWN",
    "The issuing country is an ISO 3166-1 alpha-2 code.",
    clause="ISO 3166-1",
)
def response_country(doc: Response, ctx: Context) -> Iterator[Finding]:
    yield from _country("issuing_country", doc.issuing_country)


@RESPONSE.rule(
    "NO_ITEMS",
    "A response decides at least one item.",
    clause="ATIGA Annex 7 box 4 and note 9; Form AK box 4; RCEP Annex 3B box 5",
)
def response_has_decisions(doc: Response, ctx: Context) -> Iterator[Finding]:
    if not doc.decisions:
        yield "decisions", "the response decides no item"


@RESPONSE.rule(
    "ITEM_NUMBERS", "Decided item numbers are positive and unique.", clause=_ITEM_NUMBER_CLAUSE
)
def response_numbers(doc: Response, ctx: Context) -> Iterator[Finding]:
    yield from _numbers((f"decisions[{i}].number", d.number) for i, d in enumerate(doc.decisions))


@RESPONSE.rule(
    "PREFERENCE_UNKNOWN",
    "Each decision is given or not_given.",
    clause="ATIGA Annex 7 box 4 (preferential treatment given / not given)",
)
def response_preferences(doc: Response, ctx: Context) -> Iterator[Finding]:
    for i, d in enumerate(doc.decisions):
        if d.preference not in PREFERENCES:
            yield (
                f"decisions[{i}].preference",
                f"preference {d.preference!r} is not one of {', '.join(PREFERENCES)}",
            )


@RESPONSE.rule(
    "REASON_REQUIRED",
    "Preference not given states its reason.",
    clause="ATIGA Annex 7 box 4 (not given: please state reasons); Form AK box 4; "
    "RCEP Annex 3B box 5",
)
def response_reasons(doc: Response, ctx: Context) -> Iterator[Finding]:
    for i, d in enumerate(doc.decisions):
        if d.preference == "not_given" and is_blank(d.reason):
            yield f"decisions[{i}].reason", "preference not given needs a reason"


@RESPONSE.rule(
    "DATE_FUTURE", "The decision date is not in the future.", clause="ATIGA Annex 7 box 4"
)
def response_date(doc: Response, ctx: Context) -> Iterator[Finding]:
    if in_future(doc.decision_date, ctx.today):
        yield "decision_date", f"decision date {doc.decision_date} is in the future"


#: Every agreement's certificate is valid for this many months (a response names no form).
_VALIDITY_MONTHS = min(r.validity_months for r in FORM_RULES.values())


@RESPONSE.rule(
    "PREFERENCE_ON_EXPIRED",
    f"Preference is not given on a certificate decided after its validity ({_VALIDITY_MONTHS} "
    "months from issue) unless the response states why (force majeure or another valid "
    "cause).",
    clause="RCEP Art. 3.16 (valid one year) and Art. 3.22.6 (late proof still accepted "
    "for force majeure or other valid causes); ATIGA Annex 8 and AKFTA OCP (12 months, "
    "with the same exception)",
)
def preference_on_expired(doc: Response, ctx: Context) -> Iterator[Finding]:
    issued, decided = doc.certificate_date, doc.decision_date
    if not (is_date(issued) and is_date(decided)):
        return
    end = months_after(issued, _VALIDITY_MONTHS)
    if decided <= end or not is_blank(doc.remarks):
        return
    for i, d in enumerate(doc.decisions):
        if d.preference == "given" and is_blank(d.reason):
            yield (
                f"decisions[{i}].preference",
                f"preference given on {decided} on a certificate of {issued} whose validity "
                f"ended on {end}, with no reason stated",
            )


@RESPONSE.rule(
    "TEXT_EMPTY", "The certificate reference is not blank.", clause="ATIGA Annex 7 box 4"
)
def response_texts(doc: Response, ctx: Context) -> Iterator[Finding]:
    yield from _texts(("certificate_id", doc.certificate_id))


# --- verification request ------------------------------------------------------------------


@VERIFICATION_REQUEST.rule(
    "COUNTRY_UNKNOWN",
    "Issuing and requesting countries are ISO 3166-1 alpha-2 codes.",
    clause="ISO 3166-1",
)
def request_countries(doc: VerificationRequest, ctx: Context) -> Iterator[Finding]:
    yield from _country("issuing_country", doc.issuing_country)
    yield from _country("requesting_authority.country", doc.requesting_authority.country)


@VERIFICATION_REQUEST.rule(
    "ITEM_NUMBERS",
    "Items asked about are positive and unique.",
    clause=_ITEM_NUMBER_CLAUSE,
)
def request_numbers(doc: VerificationRequest, ctx: Context) -> Iterator[Finding]:
    yield from _numbers((f"items[{i}]", n) for i, n in enumerate(doc.items))


@VERIFICATION_REQUEST.rule(
    "DATE_FUTURE",
    "Certificate and request dates are not in the future.",
    clause="ATIGA Annex 8 (retroactive check)",
)
def request_dates(doc: VerificationRequest, ctx: Context) -> Iterator[Finding]:
    for path, day in (
        ("certificate_date", doc.certificate_date),
        ("request_date", doc.request_date),
    ):
        if in_future(day, ctx.today):
            yield path, f"{path} {day} is in the future"


@VERIFICATION_REQUEST.rule(
    "DATE_ORDER",
    "A verification is requested after the certificate's date.",
    clause="ATIGA Annex 8 (retroactive check)",
)
def request_order(doc: VerificationRequest, ctx: Context) -> Iterator[Finding]:
    try:
        late = doc.request_date < doc.certificate_date
    except TypeError:
        return
    if late:
        yield (
            "request_date",
            f"request {doc.request_date} is before the certificate {doc.certificate_date}",
        )


@VERIFICATION_REQUEST.rule(
    "TEXT_EMPTY",
    "Certificate reference, reason and requesting authority are not blank.",
    clause="ATIGA Annex 8 (retroactive check: reasons for the request)",
)
def request_texts(doc: VerificationRequest, ctx: Context) -> Iterator[Finding]:
    yield from _texts(
        ("certificate_id", doc.certificate_id),
        ("reason", doc.reason),
        ("requesting_authority.name", doc.requesting_authority.name),
    )


# --- verification reply -----------------------------------------------------------------------


@VERIFICATION_REPLY.rule(
    "COUNTRY_UNKNOWN",
    "Issuing and replying countries are ISO 3166-1 alpha-2 codes.",
    clause="ISO 3166-1",
)
def reply_countries(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    yield from _country("issuing_country", doc.issuing_country)
    yield from _country("replying_authority.country", doc.replying_authority.country)


@VERIFICATION_REPLY.rule(
    "AUTHORITY_COUNTRY",
    "The replying authority belongs to the issuing country.",
    clause="ATIGA Annex 8 (the issuing authority answers a retroactive check)",
)
def reply_authority(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    if doc.replying_authority.country != doc.issuing_country:
        yield (
            "replying_authority.country",
            f"replying authority country {doc.replying_authority.country!r} is not the "
            f"issuing country {doc.issuing_country!r}",
        )


@VERIFICATION_REPLY.rule(
    "RESULT_UNKNOWN",
    "The result is confirmed, not_confirmed or partially_confirmed; findings are "
    "confirmed or not_confirmed.",
    clause="canonical model: verification reply",
)
def reply_results(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    if doc.result not in REPLY_RESULTS:
        yield "result", f"result {doc.result!r} is not one of {', '.join(REPLY_RESULTS)}"
    for i, f in enumerate(doc.findings):
        if f.result not in FINDING_RESULTS:
            yield (
                f"findings[{i}].result",
                f"result {f.result!r} is not one of {', '.join(FINDING_RESULTS)}",
            )


@VERIFICATION_REPLY.rule(
    "RESULT_INCONSISTENT",
    "The overall result agrees with the item findings.",
    clause="canonical model: verification reply",
)
def reply_consistent(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    results = {f.result for f in doc.findings}
    if not results:
        return
    expected = (
        "confirmed"
        if results == {"confirmed"}
        else "not_confirmed"
        if results == {"not_confirmed"}
        else "partially_confirmed"
    )
    if doc.result in REPLY_RESULTS and results <= set(FINDING_RESULTS) and doc.result != expected:
        yield "result", f"result {doc.result!r} but the findings say {expected!r}"


@VERIFICATION_REPLY.rule(
    "ITEM_NUMBERS",
    "Finding item numbers are positive and unique.",
    clause=_ITEM_NUMBER_CLAUSE,
)
def reply_numbers(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    yield from _numbers((f"findings[{i}].number", f.number) for i, f in enumerate(doc.findings))


@VERIFICATION_REPLY.rule(
    "DATE_FUTURE", "The reply date is not in the future.", clause="ATIGA Annex 8"
)
def reply_date(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    if in_future(doc.reply_date, ctx.today):
        yield "reply_date", f"reply date {doc.reply_date} is in the future"


@VERIFICATION_REPLY.rule(
    "TEXT_EMPTY",
    "Certificate reference and replying authority are not blank.",
    clause="ATIGA Annex 8",
)
def reply_texts(doc: VerificationReply, ctx: Context) -> Iterator[Finding]:
    yield from _texts(
        ("certificate_id", doc.certificate_id),
        ("replying_authority.name", doc.replying_authority.name),
    )
