"""Dates (order, future, retroactive issue) and the box 13 tick boxes with their details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from aswbridge.model import FLAGS, Certificate
from aswbridge.rules._base import (
    CERTIFICATE,
    FORMS,
    FUTURE_SLACK_DAYS,
    RETROACTIVE_AFTER_DAYS,
    Context,
    Finding,
    in_future,
    is_date,
    one_year_after,
)

_RETRO = "issued_retroactively"


def _dates(cert: Certificate, today: date) -> Iterator[tuple[str, object]]:
    try:
        latest = today + timedelta(days=FUTURE_SLACK_DAYS)  # in_future(day) ⇔ day > latest
    except OverflowError:
        latest = date.max
    yield "issue_date", cert.issue_date
    yield "declaration.date", cert.declaration.date
    if cert.certification is not None:
        yield "certification.date", cert.certification.date
    for i, item in enumerate(cert.items):
        for j, invoice in enumerate(item.invoices):
            day = invoice.date
            if type(day) is not date or day > latest:  # a path only for possible findings
                yield f"items[{i}].invoices[{j}].date", day
    if cert.original_co is not None:
        yield "original_co.date", cert.original_co.date


@CERTIFICATE.rule(
    "DATE_FUTURE",
    "Issue, declaration, certification, invoice and original-CO dates are not in the "
    "future (one day of slack for time zones; the departure date may be).",
    clause="ATIGA Annex 8 Rule 10",
)
def dates_not_future(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for path, day in _dates(cert, ctx.today):
        if in_future(day, ctx.today):
            yield path, f"{path} {day} is in the future (today is {ctx.today})"


def _before(a: object, b: object) -> bool:
    return is_date(a) and is_date(b) and a < b


@CERTIFICATE.rule(
    "DATE_ORDER",
    "The exporter declares before (or on) certification and issue; a back-to-back CO is "
    "issued after its original.",
    clause="ATIGA Annex 7 boxes 11–12; Form AK boxes 11–12; RCEP Annex 3B boxes 15–16; "
    "ATIGA Annex 8 Rule 11 (back-to-back)",
)
def dates_in_order(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    declared = cert.declaration.date
    if _before(cert.issue_date, declared):
        yield "declaration.date", f"declaration {declared} is after issue {cert.issue_date}"
    if cert.certification is not None and _before(cert.certification.date, declared):
        yield (
            "certification.date",
            f"certification {cert.certification.date} is before declaration {declared}",
        )
    if cert.original_co is not None and _before(cert.issue_date, cert.original_co.date):
        yield (
            "original_co.date",
            f"original CO {cert.original_co.date} is after this issue {cert.issue_date}",
        )


def _days_after_departure(cert: Certificate) -> int | None:
    departed, issued = cert.transport.departure_date, cert.issue_date
    if not (is_date(departed) and is_date(issued)):
        return None
    return (issued - departed).days


@CERTIFICATE.rule(
    "RETROACTIVE_FLAG",
    f"A certificate issued more than {RETROACTIVE_AFTER_DAYS} days after departure "
    "(calendar days) is marked issued_retroactively.",
    forms=FORMS,
    clause="ATIGA Annex 8 Rule 10(2) and Annex 7 box 13; AKFTA Annex 3 Appendix 1 (OCP) "
    "retroactive issue; RCEP Art. 3.17 and Annex 3B box 17",
)
def retroactive_flag(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    days = _days_after_departure(cert)
    if days is not None and days > RETROACTIVE_AFTER_DAYS and _RETRO not in cert.flags:
        yield (
            "flags",
            f"issued {days} days after departure {cert.transport.departure_date}: "
            f"{_RETRO} is required",
        )


@CERTIFICATE.rule(
    "RETROACTIVE_WINDOW",
    "A certificate is issued no later than one year after departure.",
    forms=FORMS,
    clause="ATIGA Annex 8 Rule 10(2); AKFTA Annex 3 Appendix 1 (OCP) retroactive issue; "
    "RCEP Art. 3.17",
)
def retroactive_window(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    departed, issued = cert.transport.departure_date, cert.issue_date
    if is_date(departed) and is_date(issued) and issued > one_year_after(departed):
        yield (
            "issue_date",
            f"issued {issued}, more than one year after departure {departed}",
        )


@CERTIFICATE.rule(
    "RETROACTIVE_UNNEEDED",
    "issued_retroactively is ticked although the certificate was issued within "
    f"{RETROACTIVE_AFTER_DAYS} days of departure (a warning).",
    forms=FORMS,
    clause="ATIGA Annex 8 Rule 10(2); RCEP Annex 3B box 17",
    severity="warning",
)
def retroactive_unneeded(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    days = _days_after_departure(cert)
    if _RETRO in cert.flags and days is not None and days <= RETROACTIVE_AFTER_DAYS:
        yield (
            "flags",
            f"{_RETRO} is ticked but the certificate was issued {days} day(s) after departure",
        )


@CERTIFICATE.rule(
    "FLAG_UNKNOWN",
    "Every flag is one of the box 13 tick boxes the model knows.",
    clause="ATIGA Annex 7 box 13; canonical model: `flags[]`",
)
def flags_known(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for flag in cert.flags:
        if flag not in FLAGS:
            yield "flags", f"flag {flag!r} is not one of {', '.join(FLAGS)}"


@CERTIFICATE.rule(
    "FLAG_NOT_ON_FORM",
    "Every flag is a tick box the form carries (Form D: all seven; Form AK: third-country "
    "invoicing, exhibition, back-to-back, issued retroactively; RCEP: back-to-back, "
    "third-party invoicing, issued retroactively).",
    forms=FORMS,
    clause="ATIGA Annex 7 box 13; Form AK box 13; RCEP Annex 3B box 17",
)
def flags_on_form(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None:
        return
    for flag in cert.flags:
        if flag in FLAGS and flag not in ctx.spec.flags:
            yield "flags", f"flag {flag!r} is not a tick box of {ctx.spec.form}"


_DETAILS = (
    ("back_to_back", "original_co", "the original certificate"),
    ("third_country_invoicing", "third_party_invoicer", "the invoicing company"),
    ("exhibition", "exhibition", "the exhibition"),
)


@CERTIFICATE.rule(
    "FLAG_DETAILS",
    "Back-to-back ↔ original_co, third-country invoicing ↔ third_party_invoicer, "
    "exhibition ↔ exhibition: a flag has its details and details have their flag.",
    clause="ATIGA Annex 7 boxes 7 and 13 with their overleaf notes, Annex 8 Rules 11 "
    "(back-to-back) and 22 (exhibitions); Form AK boxes 7 and 13; RCEP Annex 3B boxes 8 and 17",
)
def flag_details(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for flag, field, what in _DETAILS:
        flagged = flag in cert.flags
        present = getattr(cert, field) is not None
        if flagged and not present:
            yield field, f"{flag} is ticked but {what} ({field}) is missing"
        elif present and not flagged:
            yield "flags", f"{field} is given but {flag} is not ticked"


@CERTIFICATE.rule(
    "ORIGINAL_CO_COUNTRY",
    "A back-to-back certificate's original was issued in another Party than this one.",
    clause="ATIGA Annex 8 Rule 11 (back-to-back CO issued by an intermediate Member State); "
    "RCEP Art. 3.19 (back-to-back CO by an intermediate Party)",
)
def original_co_elsewhere(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    original = cert.original_co
    if original is not None and original.issuing_country == cert.issuing_country:
        yield (
            "original_co.issuing_country",
            f"the original CO was issued in {original.issuing_country}, the same country "
            "as this back-to-back CO",
        )
