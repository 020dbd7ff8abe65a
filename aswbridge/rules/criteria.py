"""Origin criteria (box 8; RCEP box 10), RVC percentages and the FOB value RVC needs.

The grammar is the form's (:data:`aswbridge.agreements.FORM_RULES`): one criterion, or
two combined with ``+`` from those the form lets combine; a percentage with ``RVC`` or
``PC``; on RCEP the qualifiers ``ACU``/``DMI`` and an Article 2.6.6 mark.
"""

from __future__ import annotations

from collections.abc import Iterator

from aswbridge.model import Certificate, OriginCriterion
from aswbridge.rules._base import CERTIFICATE, FORMS, Context, Finding


def applies_rvc(criterion: OriginCriterion) -> bool:
    """Whether the criterion rests on a regional value content (``RVC`` or ``PC``)."""
    return criterion.code in ("RVC", "PC") or criterion.combined_with in ("RVC", "PC")


def _shown(criterion: OriginCriterion) -> str:
    return " + ".join(str(c) for c in criterion.codes)


@CERTIFICATE.rule(
    "CRITERION_NOT_ALLOWED",
    "The origin criterion is one the form allows, alone or as a combination of two "
    "criteria the form lets combine.",
    forms=FORMS,
    clause="ATIGA Annex 7 overleaf note 3 (WO, RVC, CC, CTH, CTSH, SP, the actual "
    "combination, PC); Form AK overleaf note 3 (WO, WO-AK, CTH, CTC, RVC, combinations, "
    "Specific Processes); RCEP Annex 3B box 10 (WO, PE, CTC, RVC, CR); TradeNet CO "
    "handbook Annex A",
)
def criterion_allowed(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    for i, item in enumerate(cert.items):
        criterion = item.origin_criterion
        second = criterion.combined_with
        if second is None:
            if criterion.code in spec.criteria:
                continue
            why = f"origin criterion {criterion.code!r} is not allowed on {spec.form}; "
            allowed = spec.criteria
        else:
            pair = {criterion.code, second}
            if len(pair) == 2 and pair <= spec.combinable:
                continue
            why = f"combination {_shown(criterion)!r} is not allowed on {spec.form}; "
            allowed = spec.combinable
        yield (
            f"items[{i}].origin_criterion.code",
            why + (f"allowed: {', '.join(sorted(allowed))}" if allowed else "it has none"),
        )


def _percent_path(i: int) -> str:
    return f"items[{i}].origin_criterion.rvc_percent"


@CERTIFICATE.rule(
    "RVC_PERCENT",
    "A percentage goes with RVC or PC only; it is above 0 and at most 100; Form D and AK "
    "state it with every RVC; PC is 20 to 39.",
    forms=FORMS,
    clause="ATIGA Annex 7 overleaf notes 3 and 16, Art. 30.2 (PC below 40%); Form AK "
    "overleaf note 3 (RVC 40% / PSR level); RCEP Annex 3B box 10",
)
def rvc_percent(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    for i, item in enumerate(cert.items):
        criterion = item.origin_criterion
        percent = criterion.rvc_percent
        if not applies_rvc(criterion):
            if percent is not None:
                yield (
                    _percent_path(i),
                    f"a percentage is stated but criterion {_shown(criterion)!r} has no RVC",
                )
            continue
        if percent is None:
            if spec.percent_required:
                yield (
                    _percent_path(i),
                    f"criterion {_shown(criterion)} on {spec.form} needs its percentage",
                )
            continue
        low_high = spec.pc_range
        if not percent.is_finite() or percent <= 0 or percent > 100:
            yield _percent_path(i), f"RVC percentage {percent} is not above 0 and at most 100"
        elif "PC" in criterion.codes and low_high and not low_high[0] <= percent < low_high[1]:
            yield (
                _percent_path(i),
                (
                    f"partial cumulation needs an RVC of {low_high[0]}% to below {low_high[1]}%, "
                    f"not {percent}%"
                ),
            )


@CERTIFICATE.rule(
    "RVC_BELOW_GENERAL",
    "An RVC below the general 40% as the sole criterion is unusual (a warning: a "
    "product-specific rule may set a lower one; combinations such as CTSH + 35% are "
    "product-specific rules).",
    forms=("FORM_D", "FORM_AK"),
    clause="ATIGA Art. 28 (RVC not less than 40%) and Annex 7 note 3 (example CTSH + 35%); "
    "AKFTA Annex 3 Rule 4 (general rule RVC 40%)",
    severity="warning",
)
def rvc_below_general(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    general = ctx.spec.rvc_general if ctx.spec is not None else None
    if general is None:
        return
    for i, item in enumerate(cert.items):
        criterion = item.origin_criterion
        percent = criterion.rvc_percent
        if (
            criterion.code == "RVC"
            and criterion.combined_with is None
            and percent is not None
            and percent.is_finite()
            and 0 < percent < general
        ):
            yield (
                f"items[{i}].origin_criterion.rvc_percent",
                f"RVC {percent}% is below the general {general}%",
            )


@CERTIFICATE.rule(
    "QUALIFIER_NOT_ALLOWED",
    "Criterion qualifiers are RCEP's ACU and DMI only, each at most once.",
    forms=FORMS,
    clause="RCEP Annex 3B box 10 (ACU accumulation, DMI de minimis); Form D and AK tick "
    "boxes carry these instead (ATIGA Annex 7 box 13)",
)
def qualifiers_allowed(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    for i, item in enumerate(cert.items):
        qualifiers = item.origin_criterion.qualifiers
        for q in qualifiers:
            if q not in spec.qualifiers:
                yield (
                    f"items[{i}].origin_criterion.qualifiers",
                    f"qualifier {q!r} is not allowed on {spec.form}",
                )
        if len(set(qualifiers)) != len(qualifiers):
            yield f"items[{i}].origin_criterion.qualifiers", "a qualifier is repeated"


@CERTIFICATE.rule(
    "QUALIFIER_CRITERION",
    "A qualifier follows a criterion it applies to: ACU any criterion but WO, DMI a "
    "change in tariff classification (a warning: the mark adds nothing elsewhere).",
    forms=("FORM_RCEP",),
    clause="RCEP Art. 3.4 (accumulation), Art. 3.7 (de minimis for a change in tariff "
    "classification); TradeNet CO handbook Annex A (CTC ACU, CTC DMI, RVC ACU)",
    severity="warning",
)
def qualifier_criterion(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    for i, item in enumerate(cert.items):
        criterion = item.origin_criterion
        for q in criterion.qualifiers:
            goes_with = spec.qualifiers.get(q)
            if goes_with is not None and criterion.code not in goes_with:
                yield (
                    f"items[{i}].origin_criterion.qualifiers",
                    f"{q} does not apply to criterion {criterion.code}",
                )


@CERTIFICATE.rule(
    "TARIFF_DIFFERENTIAL",
    "An Article 2.6.6 mark is 2.6.6A or 2.6.6B, on RCEP only.",
    forms=FORMS,
    clause="RCEP Art. 2.6.6 (claim at the highest rate (a) of the Parties contributing "
    "originating materials or (b) of any Party); TradeNet CO handbook field 21 (2.6.6a / "
    "2.6.6b after the criterion)",
)
def tariff_differential(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    for i, item in enumerate(cert.items):
        mark = item.origin_criterion.tariff_differential
        if mark is not None and mark not in spec.tariff_differentials:
            yield (
                f"items[{i}].origin_criterion.tariff_differential",
                f"mark {mark!r} is not allowed on {spec.form}",
            )


@CERTIFICATE.rule(
    "FOB_REQUIRED",
    "An item whose criterion applies RVC states its FOB value (Form D: when the exporting "
    "or importing country is KH, ID or LA).",
    forms=FORMS,
    clause="ATIGA Annex 7 box 9 and overleaf note 10; Form AK box 9 (FOB where RVC is "
    "applied); RCEP Annex 3B 1(k) and box 12 (FOB value where RVC is applied)",
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
                f"criterion {_shown(item.origin_criterion)} applies RVC: {spec.form} needs "
                "the FOB value",
            )


@CERTIFICATE.rule(
    "ORIGIN_COUNTRY_MISSING",
    "Every RCEP item states its RCEP country of origin.",
    forms=("FORM_RCEP",),
    clause="RCEP Annex 3B 1(i) and box 11 (RCEP country of origin), Art. 2.6",
)
def origin_country_present(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        if item.origin_country is None:
            yield f"items[{i}].origin_country", "the RCEP country of origin is missing"


@CERTIFICATE.rule(
    "PARTIAL_CUMULATION_FLAG",
    "An item using PC has the partial-cumulation box ticked (a warning).",
    forms=("FORM_D",),
    clause="ATIGA Annex 7 box 13 and overleaf note 16; ATIGA Art. 30.2",
    severity="warning",
)
def partial_cumulation_flag(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    uses_pc = any("PC" in item.origin_criterion.codes for item in cert.items)
    if uses_pc and "partial_cumulation" not in cert.flags:
        yield "flags", "an item uses PC but partial_cumulation is not ticked"
