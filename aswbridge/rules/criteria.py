"""Origin criteria (box 8; RCEP box 10), RVC percentages and the FOB value RVC needs."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from aswbridge.model import Certificate, OriginCriterion
from aswbridge.rules._base import CERTIFICATE, FORMS, Context, Finding

_FORTY = Decimal(40)
_TWENTY = Decimal(20)
_HUNDRED = Decimal(100)


def applies_rvc(criterion: OriginCriterion) -> bool:
    """Whether the criterion rests on a regional value content (``RVC``, ``X+RVC``, ``PC``)."""
    code = criterion.code
    if not isinstance(code, str):
        return False
    return code == "PC" or "RVC" in code.split("+")


@CERTIFICATE.rule(
    "CRITERION_NOT_ALLOWED",
    "The origin criterion is one the form allows.",
    forms=FORMS,
    clause="ATIGA Annex 7 overleaf note 3 (WO, RVC, CC, CTH, CTSH, SP, combinations, PC); "
    "Form AK overleaf note 3 (WO, WO-AK, CTH, CTC, RVC, combinations, SP); "
    "RCEP Annex 3B box 10 (WO, PE, CTC, RVC, CR)",
)
def criterion_allowed(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None:
        return
    allowed = ctx.spec.criteria
    for i, item in enumerate(cert.items):
        code = item.origin_criterion.code
        if code not in allowed:
            yield (
                f"items[{i}].origin_criterion.code",
                f"origin criterion {code!r} is not allowed on {ctx.spec.form}; "
                f"allowed: {', '.join(sorted(allowed))}",
            )


@CERTIFICATE.rule(
    "RVC_PERCENT",
    "A percentage goes with RVC or PC only; it is above 0 and at most 100; Form D and AK "
    "state it with every RVC; PC is 20 to 39.",
    forms=FORMS,
    clause="ATIGA Annex 7 overleaf note 3 and Art. 30.2 (PC below 40%); "
    "Form AK overleaf note 3 (RVC 40% / PSR level); RCEP Annex 3B box 10",
)
def rvc_percent(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None:
        return
    for i, item in enumerate(cert.items):
        criterion = item.origin_criterion
        percent = criterion.rvc_percent
        if not applies_rvc(criterion):
            if percent is not None:
                path = f"items[{i}].origin_criterion.rvc_percent"
                yield path, f"a percentage is stated but criterion {criterion.code!r} has no RVC"
            continue
        path = f"items[{i}].origin_criterion.rvc_percent"
        if percent is None:
            if ctx.spec.rvc_percent_required:
                yield path, f"criterion {criterion.code} on {ctx.spec.form} needs its percentage"
            continue
        if not percent.is_finite() or percent <= 0 or percent > _HUNDRED:
            yield path, f"RVC percentage {percent} is not above 0 and at most 100"
        elif criterion.code == "PC" and not _TWENTY <= percent < _FORTY:
            yield path, f"partial cumulation needs an RVC of 20% to 39%, not {percent}%"


@CERTIFICATE.rule(
    "RVC_BELOW_GENERAL",
    "An RVC below 40% (other than PC) is unusual: the general rule is 40% "
    "(a warning; product-specific rules may differ).",
    forms=("FORM_D", "FORM_AK"),
    clause="ATIGA Art. 28 (RVC not less than 40%); AKFTA Annex 3 Rule 4 (general rule RVC 40%)",
    severity="warning",
)
def rvc_below_general(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        criterion = item.origin_criterion
        percent = criterion.rvc_percent
        if (
            criterion.code != "PC"
            and percent is not None
            and percent.is_finite()
            and 0 < percent < _FORTY
            and applies_rvc(criterion)
        ):
            yield (
                f"items[{i}].origin_criterion.rvc_percent",
                f"RVC {percent}% is below the general 40%",
            )


@CERTIFICATE.rule(
    "QUALIFIER_NOT_ALLOWED",
    "Criterion qualifiers are RCEP's ACU and DMI only, each at most once.",
    forms=FORMS,
    clause="RCEP Annex 3B box 10 (ACU accumulation, DMI de minimis); Form D and AK tick "
    "boxes carry these instead (ATIGA Annex 7 box 13)",
)
def qualifiers_allowed(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None:
        return
    allowed = ctx.spec.qualifiers
    for i, item in enumerate(cert.items):
        qualifiers = item.origin_criterion.qualifiers
        for q in qualifiers:
            if q not in allowed:
                yield (
                    f"items[{i}].origin_criterion.qualifiers",
                    f"qualifier {q!r} is not allowed on {ctx.spec.form}",
                )
        if len(set(qualifiers)) != len(qualifiers):
            yield f"items[{i}].origin_criterion.qualifiers", "a qualifier is repeated"


@CERTIFICATE.rule(
    "FOB_REQUIRED",
    "An item whose criterion applies RVC states its FOB value (Form D: when the exporting "
    "or importing country is KH, ID or LA).",
    forms=FORMS,
    clause="ATIGA Annex 7 box 9 and overleaf note 10; Form AK box 9 (FOB where RVC is "
    "applied); RCEP Annex 3B box 12 (FOB value where RVC is applied)",
)
def fob_with_rvc(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    countries = spec.fob_countries
    if countries is not None and not (
        cert.issuing_country in countries or cert.importing_country in countries
    ):
        return
    for i, item in enumerate(cert.items):
        if item.fob_value is None and applies_rvc(item.origin_criterion):
            yield (
                f"items[{i}].fob_value",
                f"criterion {item.origin_criterion.code} applies RVC: {spec.form} needs the "
                "FOB value",
            )


@CERTIFICATE.rule(
    "ORIGIN_COUNTRY_MISSING",
    "Every RCEP item states its RCEP country of origin.",
    forms=("FORM_RCEP",),
    clause="RCEP Annex 3B box 11 (RCEP country of origin), Art. 2.6",
)
def origin_country_present(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        if item.origin_country is None:
            yield f"items[{i}].origin_country", "the RCEP country of origin is missing"


@CERTIFICATE.rule(
    "PARTIAL_CUMULATION_FLAG",
    "The partial-cumulation box is ticked exactly when an item uses PC (a warning).",
    forms=("FORM_D",),
    clause="ATIGA Annex 7 box 13 and overleaf note 3; ATIGA Art. 30.2",
    severity="warning",
)
def partial_cumulation_flag(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    uses_pc = any(item.origin_criterion.code == "PC" for item in cert.items)
    flagged = "partial_cumulation" in cert.flags
    if uses_pc and not flagged:
        yield "flags", "an item uses PC but partial_cumulation is not ticked"
    elif flagged and not uses_pc:
        yield "flags", "partial_cumulation is ticked but no item uses PC"
