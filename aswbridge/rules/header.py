"""Certificate header and parties: form, function, required texts, countries, Parties."""

from __future__ import annotations

from collections.abc import Iterator

from aswbridge.agreements import FORM_RULES
from aswbridge.model import Certificate
from aswbridge.rules._base import (
    CERTIFICATE,
    FORMS,
    Context,
    Finding,
    country_problem,
    is_blank,
    is_date,
)

FUNCTIONS = ("original", "replacement", "cancellation")


@CERTIFICATE.rule(
    "FORM_UNKNOWN",
    "The form is one the bridge knows: FORM_D, FORM_AK or FORM_RCEP.",
    clause="canonical model: `form`; ATIGA Annex 7, AKFTA Annex 3 Appendix 1, RCEP Annex 3B",
)
def form_known(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.form not in FORM_RULES:
        yield "form", f"form {cert.form!r} is not one of {', '.join(FORMS)}"


@CERTIFICATE.rule(
    "FUNCTION_UNKNOWN",
    "The function is original, replacement or cancellation.",
    clause="UNTDID 1225 message function (9, 5, 1); canonical model: `function`",
)
def function_known(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.function not in FUNCTIONS:
        yield "function", f"function {cert.function!r} is not one of {', '.join(FUNCTIONS)}"


def _required_texts(cert: Certificate) -> Iterator[tuple[str, object]]:
    yield "id", cert.id
    yield "issuing_authority.name", cert.issuing_authority.name
    yield "exporter.name", cert.exporter.name
    yield "consignee.name", cert.consignee.name
    for i, item in enumerate(cert.items):
        description = item.description
        if is_blank(description):  # only the blank ones: a path per item costs
            yield f"items[{i}].description", description
    yield "declaration.place", cert.declaration.place
    yield "declaration.signatory", cert.declaration.signatory
    if cert.certification is not None:
        yield "certification.place", cert.certification.place
        yield "certification.officer", cert.certification.officer
    for path, party in (
        ("producer", cert.producer),
        ("third_party_invoicer", cert.third_party_invoicer),
    ):
        if party is not None:
            yield f"{path}.name", party.name
    for j, original in enumerate(cert.original_cos):
        yield f"original_cos[{j}].id", original.id
        if original.approved_exporter_code is not None:
            yield f"original_cos[{j}].approved_exporter_code", original.approved_exporter_code
    if cert.exhibition is not None:
        yield "exhibition.name", cert.exhibition.name
        yield "exhibition.place", cert.exhibition.place


@CERTIFICATE.rule(
    "TEXT_EMPTY",
    "Required texts (reference number, names, descriptions, places, signatories) are not blank.",
    clause="ATIGA Annex 7 boxes 1, 2, 7, 11, 12; Form AK boxes 1, 2, 7, 11, 12; "
    "RCEP Annex 3B boxes 1–3, 8, 15, 16",
)
def texts_present(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for path, value in _required_texts(cert):
        if is_blank(value):
            yield path, f"{path} is required and is blank"


def country_fields(cert: Certificate) -> Iterator[tuple[str, object]]:
    """Every country code of a certificate with its canonical path."""
    yield "issuing_country", cert.issuing_country
    yield "importing_country", cert.importing_country
    yield "issuing_authority.country", cert.issuing_authority.country
    yield "exporter.country", cert.exporter.country
    yield "consignee.country", cert.consignee.country
    if cert.producer is not None:
        yield "producer.country", cert.producer.country
    if cert.third_party_invoicer is not None:
        yield "third_party_invoicer.country", cert.third_party_invoicer.country
    for i, item in enumerate(cert.items):
        if item.origin_country is not None:
            yield f"items[{i}].origin_country", item.origin_country
    for j, original in enumerate(cert.original_cos):
        yield f"original_cos[{j}].issuing_country", original.issuing_country
        if original.origin_country is not None:
            yield f"original_cos[{j}].origin_country", original.origin_country
    yield "declaration.producing_country", cert.declaration.producing_country


@CERTIFICATE.rule(
    "COUNTRY_UNKNOWN",
    "Every country is an ISO 3166-1 alpha-2 code, upper-case.",
    clause="ISO 3166-1 (shipped list); canonical model: codes held in one system",
)
def countries_known(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for path, value in country_fields(cert):
        problem = country_problem(value, "country")
        if problem:
            yield path, problem


def _member_fields(cert: Certificate) -> Iterator[tuple[str, object]]:
    yield "issuing_country", cert.issuing_country
    yield "importing_country", cert.importing_country
    yield "declaration.producing_country", cert.declaration.producing_country
    for i, item in enumerate(cert.items):
        if item.origin_country is not None:
            yield f"items[{i}].origin_country", item.origin_country
    for j, original in enumerate(cert.original_cos):
        yield f"original_cos[{j}].issuing_country", original.issuing_country
        if original.origin_country is not None:
            yield f"original_cos[{j}].origin_country", original.origin_country


@CERTIFICATE.rule(
    "PARTY_NOT_MEMBER",
    "Issuing, importing and producing countries (and RCEP origin countries, and the "
    "original CO's countries) are Parties to the form's agreement.",
    forms=FORMS,
    clause="ATIGA Annex 7 box 11 and note 1 (Member States); Form AK overleaf note 1 "
    "(Parties); RCEP Art. 3.17, Annex 3B boxes 11, 15",
)
def parties_are_members(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    for path, value in _member_fields(cert):
        # An unknown code is COUNTRY_UNKNOWN's finding, not this rule's.
        if value not in spec.members and country_problem(value, "") is None:
            yield path, f"{value} is not a Party to {spec.agreement} ({spec.form})"


@CERTIFICATE.rule(
    "SAME_COUNTRY",
    "The importing country differs from the issuing (exporting) country.",
    clause="ATIGA Annex 7 box 11; Form AK box 11; RCEP Annex 3B box 15 (exported to)",
)
def importing_differs(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.importing_country == cert.issuing_country:
        yield (
            "importing_country",
            f"importing country equals issuing country {cert.issuing_country}",
        )


@CERTIFICATE.rule(
    "EXPORTER_COUNTRY",
    "The exporter's country is the issuing country.",
    clause="ATIGA Annex 7 box 1 and note 7; Form AK box 1; RCEP Annex 3B box 1, Art. 3.17.1",
)
def exporter_in_issuing_country(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.exporter.country != cert.issuing_country:
        yield (
            "exporter.country",
            f"exporter country {cert.exporter.country!r} is not the issuing country "
            f"{cert.issuing_country!r}",
        )


@CERTIFICATE.rule(
    "AUTHORITY_COUNTRY",
    "The issuing authority belongs to the issuing country.",
    clause="ATIGA Annex 7 box 12; Form AK box 12; RCEP Art. 3.17.1 and Annex 3B box 16",
)
def authority_in_issuing_country(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.issuing_authority.country != cert.issuing_country:
        yield (
            "issuing_authority.country",
            f"issuing authority country {cert.issuing_authority.country!r} is not the "
            f"issuing country {cert.issuing_country!r}",
        )


@CERTIFICATE.rule(
    "CONSIGNEE_COUNTRY",
    "The consignee is in the importing country (a warning: exhibitions and agents differ).",
    clause="ATIGA Annex 7 box 2 and note 13; Form AK box 2; RCEP Annex 3B box 2",
    severity="warning",
)
def consignee_in_importing_country(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if cert.consignee.country != cert.importing_country:
        yield (
            "consignee.country",
            f"consignee country {cert.consignee.country!r} is not the importing country "
            f"{cert.importing_country!r}",
        )


@CERTIFICATE.rule(
    "NOT_IN_FORCE",
    "The agreement was in force for the issuing and the importing country on the issue date.",
    forms=FORMS,
    clause="ATIGA (in force 17 May 2010), AKFTA Trade in Goods Agreement (1 June 2007; "
    "Thailand 1 October 2009), RCEP Art. 20.6 (in force per Party from 2022); dates in "
    "`aswbridge/codes/data/agreements.csv`",
)
def agreement_in_force(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None or not is_date(cert.issue_date):
        return
    parties = spec.parties
    for path, country in (
        ("issuing_country", cert.issuing_country),
        ("importing_country", cert.importing_country),
    ):
        since = parties.get(country) if isinstance(country, str) else None
        if since is not None and cert.issue_date < since:
            yield (
                path,
                f"{spec.agreement} entered into force for {country} on {since}, after the "
                f"issue date {cert.issue_date}",
            )


@CERTIFICATE.rule(
    "PRODUCING_COUNTRY",
    "Box 11's producing country, and any item's stated origin, is the issuing country, or "
    "for a back-to-back certificate the origin country of one of its originals.",
    forms=("FORM_D", "FORM_AK"),
    clause="ATIGA Annex 7 box 11 (goods produced in) and note 12 (back-to-back); Form AK "
    "box 11 and box 13; ATIGA Annex 8 Rule 11 (back-to-back)",
)
def producing_country(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    produced = cert.declaration.producing_country
    if "back_to_back" in cert.flags and cert.original_cos:
        expected = {o.origin_country or o.issuing_country for o in cert.original_cos}
        what = "the origin country of the original certificate(s)"
    else:
        expected = {cert.issuing_country}
        what = "the issuing country (no back-to-back certificate)"
    if produced not in expected:
        yield (
            "declaration.producing_country",
            f"goods declared produced in {produced!r}, not {what}: "
            f"{', '.join(sorted(str(c) for c in expected))}",
        )
    for i, item in enumerate(cert.items):
        if item.origin_country is not None and item.origin_country not in expected:
            yield (
                f"items[{i}].origin_country",
                f"item origin {item.origin_country!r} is not {what}: "
                f"{', '.join(sorted(str(c) for c in expected))}",
            )


_DECLARANTS = ("exporter", "producer")


@CERTIFICATE.rule(
    "DECLARANT",
    "The declaration is signed by the exporter, or by the producer where the form lets "
    "it (RCEP, and Form D whose exporter may be the producer); a producer declaring on "
    "RCEP is named in box 3.",
    forms=FORMS,
    clause="RCEP Annex 3B 1(g) and box 15 (declaration by the exporter or producer), box 3 "
    "(producer); ATIGA Annex 7 note 7 (the exporter may include the manufacturer or "
    "producer); Form AK box 11 (declaration by the exporter)",
)
def declarant(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    who = cert.declaration.declarant
    if spec is None or who is None:
        return
    if who not in _DECLARANTS:
        yield "declaration.declarant", f"declarant {who!r} is not one of {', '.join(_DECLARANTS)}"
    elif who not in spec.declarants:
        yield "declaration.declarant", f"the {who} does not sign the declaration of {spec.form}"
    elif who == "producer" and spec.form == "FORM_RCEP" and cert.producer is None:
        yield "producer", "the producer signed the declaration but box 3 names no producer"
