"""Dates (order, future, retroactive issue) and the box 13 tick boxes with their details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from aswbridge.model import FLAGS, Certificate
from aswbridge.rules._base import (
    CERTIFICATE,
    FORMS,
    FUTURE_SLACK_DAYS,
    Context,
    Finding,
    in_future,
    is_date,
    months_after,
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
    for j, original in enumerate(cert.original_cos):
        yield f"original_cos[{j}].date", original.date
    if cert.replacement_date is not None:
        yield "replacement_date", cert.replacement_date
    if cert.certified_copy_date is not None:
        yield "certified_copy_date", cert.certified_copy_date


@CERTIFICATE.rule(
    "DATE_FUTURE",
    "Issue, declaration, certification, invoice, original-CO, replacement and "
    "certified-copy dates are not in the future (one day of slack for time zones; the "
    "departure date may be).",
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
    "issued after its originals; a replacement or certified true copy is made on or after "
    "the issue date it keeps.",
    clause="ATIGA Annex 7 boxes 11–12; Form AK boxes 11–12; RCEP Annex 3B boxes 15–16; "
    "ATIGA Annex 8 Rule 11 and RCEP Art. 3.19 (back-to-back); RCEP Art. 3.17.5 "
    "(replacement) and 3.17.9 (certified true copy: same number and date)",
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
    for j, original in enumerate(cert.original_cos):
        if _before(cert.issue_date, original.date):
            yield (
                f"original_cos[{j}].date",
                f"original CO {original.date} is after this issue {cert.issue_date}",
            )
    for path in ("replacement_date", "certified_copy_date"):
        day = getattr(cert, path)
        if _before(day, cert.issue_date):
            yield path, f"{path} {day} is before the issue date {cert.issue_date}"


def _days_after_departure(cert: Certificate) -> int | None:
    departed, issued = cert.transport.departure_date, cert.issue_date
    if not (is_date(departed) and is_date(issued)):
        return None
    return (issued - departed).days


def _after_days(ctx: Context) -> int:
    return ctx.spec.retroactive_after_days if ctx.spec is not None else 3


@CERTIFICATE.rule(
    "RETROACTIVE_FLAG",
    "A certificate issued later after departure than the agreement allows (parameter "
    "*issued retroactively when*) is marked issued_retroactively.",
    forms=FORMS,
    clause="ATIGA Annex 8 Rule 10 (issue within 3 days of shipment) and Annex 7 note 14; "
    "AKFTA Annex 3 Appendix 1 (OCP) retroactive issue; RCEP Art. 3.17.8 (a certificate "
    "not issued at the time of shipment bears ISSUED RETROACTIVELY) and box 17",
)
def retroactive_flag(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    days = _days_after_departure(cert)
    if days is not None and days > _after_days(ctx) and _RETRO not in cert.flags:
        yield (
            "flags",
            f"issued {days} days after departure {cert.transport.departure_date}: "
            f"{_RETRO} is required",
        )


@CERTIFICATE.rule(
    "RETROACTIVE_WINDOW",
    "A certificate is issued no later than the agreement's limit after departure "
    "(parameter *retroactive limit*).",
    forms=FORMS,
    clause="ATIGA Annex 8 Rule 10(2); AKFTA Annex 3 Appendix 1 (OCP) retroactive issue; "
    "RCEP Art. 3.17.8",
)
def retroactive_window(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    months = ctx.spec.retroactive_limit_months if ctx.spec is not None else 12
    departed, issued = cert.transport.departure_date, cert.issue_date
    if is_date(departed) and is_date(issued) and issued > months_after(departed, months):
        yield (
            "issue_date",
            f"issued {issued}, more than {months} months after departure {departed}",
        )


@CERTIFICATE.rule(
    "RETROACTIVE_UNNEEDED",
    "issued_retroactively is ticked although the certificate was issued in time (a warning).",
    forms=FORMS,
    clause="ATIGA Annex 8 Rule 10(2); RCEP Art. 3.17.8 and box 17",
    severity="warning",
)
def retroactive_unneeded(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    days = _days_after_departure(cert)
    if _RETRO in cert.flags and days is not None and days <= _after_days(ctx):
        yield (
            "flags",
            f"{_RETRO} is ticked but the certificate was issued {days} day(s) after departure",
        )


@CERTIFICATE.rule(
    "DEPARTURE_DATE_REQUIRED",
    "The departure date is stated on RCEP, and on every certificate issued retroactively "
    "(the one-year limit runs from it).",
    forms=FORMS,
    clause="RCEP Annex 3B 1(j) (departure date among the consignment details) and Art. "
    "3.17.8; ATIGA Annex 8 Rule 10(2) and Annex 7 box 3; Form AK box 3",
)
def departure_required(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None or cert.function == "cancellation" or cert.transport.departure_date:
        return
    if spec.departure_date_required:
        yield "transport.departure_date", f"{spec.form} states the departure date"
    elif _RETRO in cert.flags:
        yield (
            "transport.departure_date",
            "issued retroactively without a departure date: the one-year limit cannot be checked",
        )


@CERTIFICATE.rule(
    "DEPARTURE_DATE_MISSING",
    "Without a departure date the retroactive-issue timing cannot be checked (a warning; "
    "box 3 asks for it as far as known).",
    forms=("FORM_D", "FORM_AK"),
    clause="ATIGA Annex 7 box 3 (means of transport and route, as far as known) and Annex "
    "8 Rule 10; Form AK box 3",
    severity="warning",
)
def departure_missing(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if (
        cert.transport.departure_date is None
        and cert.function != "cancellation"
        and _RETRO not in cert.flags
    ):
        yield "transport.departure_date", "no departure date: retroactive issue not checked"


def _validity_end(cert: Certificate, months: int) -> tuple[date, str] | None:
    """When the certificate stops being valid, and why (its own date or an original's)."""
    if not is_date(cert.issue_date):
        return None
    end, why = months_after(cert.issue_date, months), f"issued {cert.issue_date}"
    for original in cert.original_cos:
        if is_date(original.date):
            bound = months_after(original.date, months)
            if bound < end:
                end, why = bound, f"its original {original.id} was issued {original.date}"
    return end, why


@CERTIFICATE.rule(
    "CERTIFICATE_EXPIRED",
    "A certificate (or replacement, or certified true copy) arrives within its validity "
    "(parameter *validity*) from the issue date it carries, and a back-to-back "
    "certificate no later than its originals' validity.",
    forms=FORMS,
    clause="RCEP Art. 3.16 (valid one year from issue) and Art. 3.19.1(b) (back-to-back "
    "validity within the original's); ATIGA Annex 8 and AKFTA OCP (CO valid 12 months "
    "from issue, submitted within that period)",
)
def certificate_valid(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None or cert.function == "cancellation":
        return
    bound = _validity_end(cert, spec.validity_months)
    if bound is not None and ctx.received > bound[0]:
        yield (
            "issue_date",
            f"arrived {ctx.received}, after its validity ended on {bound[0]} "
            f"({spec.validity_months} months; {bound[1]})",
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
    ("back_to_back", "original_cos", "the original certificate"),
    ("third_country_invoicing", "third_party_invoicer", "the invoicing company"),
    ("exhibition", "exhibition", "the exhibition"),
)


@CERTIFICATE.rule(
    "FLAG_DETAILS",
    "Back-to-back ↔ original_cos, third-country invoicing ↔ third_party_invoicer, "
    "exhibition ↔ exhibition: a flag has its details and details have their flag.",
    clause="ATIGA Annex 7 boxes 7 and 13 with their overleaf notes, Annex 8 Rules 11 "
    "(back-to-back) and 22 (exhibitions); Form AK boxes 7 and 13; RCEP Annex 3B boxes 8 and 17",
)
def flag_details(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for flag, field, what in _DETAILS:
        flagged = flag in cert.flags
        present = getattr(cert, field) not in (None, ())
        if flagged and not present:
            yield field, f"{flag} is ticked but {what} ({field}) is missing"
        elif present and not flagged:
            yield "flags", f"{field} is given but {flag} is not ticked"


@CERTIFICATE.rule(
    "FLAG_CRITERIA",
    "A ticked accumulation, de minimis or partial-cumulation box goes with an item whose "
    "criterion uses it: accumulation any criterion but WO, de minimis a change in tariff "
    "classification (CC, CTH, CTSH), partial cumulation PC.",
    forms=("FORM_D",),
    clause="ATIGA Annex 7 box 13 with overleaf notes 15 (accumulation, Art. 30.1), 16 "
    "(partial cumulation, Art. 30.2) and 17 (de minimis, Art. 33)",
)
def flag_criteria(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    ticked = [f for f in cert.flags if f in spec.flag_criteria]
    if not ticked:
        return
    used = {code for item in cert.items for code in item.origin_criterion.codes}
    for flag in ticked:
        criteria = spec.flag_criteria[flag]
        if not used & criteria:
            yield (
                "flags",
                f"{flag} is ticked but no item uses {', '.join(sorted(criteria))}",
            )


@CERTIFICATE.rule(
    "ORIGINAL_CO_COUNTRY",
    "A back-to-back certificate's originals were issued in another Party than this one.",
    clause="ATIGA Annex 8 Rule 11 (back-to-back CO issued by an intermediate Member State); "
    "RCEP Art. 3.19 (back-to-back CO by an intermediate Party)",
)
def original_co_elsewhere(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for j, original in enumerate(cert.original_cos):
        if original.issuing_country == cert.issuing_country:
            yield (
                f"original_cos[{j}].issuing_country",
                f"the original CO was issued in {original.issuing_country}, the same country "
                "as this back-to-back CO",
            )


@CERTIFICATE.rule(
    "BACK_TO_BACK_VALIDITY",
    "A back-to-back certificate is issued while each original is still valid (parameter "
    "*validity*).",
    forms=FORMS,
    clause="RCEP Art. 3.19.1(a) (a valid original presented) and 3.16 (one year); ATIGA "
    "Annex 8 Rule 11 (valid original CO); AKFTA OCP back-to-back CO",
)
def back_to_back_validity(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None or not is_date(cert.issue_date):
        return
    for j, original in enumerate(cert.original_cos):
        if is_date(original.date):
            end = months_after(original.date, spec.validity_months)
            if cert.issue_date > end:
                yield (
                    f"original_cos[{j}].date",
                    f"original {original.id} of {original.date} had expired on {end}, before "
                    f"this back-to-back CO was issued on {cert.issue_date}",
                )


@CERTIFICATE.rule(
    "BACK_TO_BACK_ORIGIN",
    "An RCEP back-to-back certificate gives each original's RCEP country of origin of "
    "the first exporting Party, and every item's RCEP country of origin is one of them.",
    forms=("FORM_RCEP",),
    clause="RCEP Annex 3B 1(m) (original's number, date, RCEP country of origin of the "
    "first exporting Party, approved-exporter code if applicable) and Art. 3.19.1(c)",
)
def back_to_back_origin(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if not cert.original_cos:
        return
    origins = set()
    for j, original in enumerate(cert.original_cos):
        if original.origin_country is None:
            yield (
                f"original_cos[{j}].origin_country",
                "the RCEP country of origin of the first exporting Party is missing",
            )
        else:
            origins.add(original.origin_country)
    for i, item in enumerate(cert.items):
        if origins and item.origin_country is not None and item.origin_country not in origins:
            yield (
                f"items[{i}].origin_country",
                f"item origin {item.origin_country!r} is not the origin of any original "
                f"({', '.join(sorted(origins))})",
            )


@CERTIFICATE.rule(
    "CERTIFIED_COPY_DATE",
    "A certified true copy keeps the original's number and issue date and is certified "
    "within the agreement's limit after that date (parameter *certified true copy*).",
    forms=FORMS,
    clause="RCEP Art. 3.17.9 (certified true copy: same number and date, CERTIFIED TRUE "
    "COPY, issued within one year of the original); ATIGA Annex 8 and AKFTA OCP "
    "(certified true copy of a lost, stolen or destroyed CO)",
)
def certified_copy(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    day = cert.certified_copy_date
    if spec is None or not (is_date(day) and is_date(cert.issue_date)):
        return
    end = months_after(cert.issue_date, spec.certified_copy_months)
    if day > end:
        yield (
            "certified_copy_date",
            f"certified {day}, more than {spec.certified_copy_months} months after the "
            f"original's issue {cert.issue_date}",
        )


@CERTIFICATE.rule(
    "REPLACEMENT_DATE",
    "Only a replacement states its own issue date (replacement_date).",
    clause="RCEP Art. 3.17.5 (a new certificate replacing one with incorrect information); "
    "UNTDID 1225 message function 5 (replace); canonical model: `replacement_date`",
)
def replacement_date(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.replacement_date is not None and cert.function != "replacement":
        yield (
            "replacement_date",
            f"a replacement date is given on a certificate whose function is {cert.function!r}",
        )
