"""Certificate rules: one field broken per case, the exact problems expected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from aswbridge.errors import ValidationFailed
from aswbridge.model import Certificate, Exhibition, OriginCriterion, Party
from aswbridge.rules import RULES, problems_of, validate
from tests.builders import TODAY, back_to_back, change, good_certificate, good_message

D, AK, RCEP = "FORM_D", "FORM_AK", "FORM_RCEP"
FORMS = (D, AK, RCEP)


def crit(code: str, percent: int | str | None = None, *qualifiers: str) -> OriginCriterion:
    return OriginCriterion(
        code=code,
        text=code,
        rvc_percent=None if percent is None else Decimal(percent),
        qualifiers=qualifiers,
    )


def b2b(cert: Certificate) -> Certificate:
    return back_to_back(cert)


@attrs.frozen
class Case:
    id: str
    form: str
    edits: dict[str, Any]
    expected: set[tuple[str, str]]
    base: Callable[[Certificate], Certificate] | None = None


def build(case: Case) -> Certificate:
    cert = good_certificate(case.form)
    if case.base is not None:
        cert = case.base(cert)
    for path, value in case.edits.items():
        cert = change(cert, path, value)
    return cert


I0, I1 = "items[0]", "items[1]"
FAILING = [
    # header
    Case("form-unknown", D, {"form": "FORM_E"}, {("FORM_UNKNOWN", "form")}),
    Case("function-unknown", D, {"function": "amend"}, {("FUNCTION_UNKNOWN", "function")}),
    Case("id-blank", D, {"id": "  "}, {("TEXT_EMPTY", "id")}),
    Case("description-blank", AK, {f"{I1}.description": ""}, {("TEXT_EMPTY", f"{I1}.description")}),
    Case(
        "exhibition-name-blank",
        D,
        {"flags": ("exhibition",), "exhibition": Exhibition(name="", place="Jakarta")},
        {("TEXT_EMPTY", "exhibition.name")},
    ),
    # countries and Parties
    Case(
        "country-XX",
        D,
        {"consignee.country": "XX"},
        {("COUNTRY_UNKNOWN", "consignee.country"), ("CONSIGNEE_COUNTRY", "consignee.country")},
    ),
    Case(
        "country-lower-case",
        RCEP,
        {"producer.country": "jp"},
        {("COUNTRY_UNKNOWN", "producer.country")},
    ),
    Case(
        "country-UK",
        RCEP,
        {f"{I0}.origin_country": "UK"},
        {("COUNTRY_UNKNOWN", f"{I0}.origin_country")},
    ),
    Case(
        "importing-outside-ATIGA",
        D,
        {"importing_country": "KR", "consignee.country": "KR"},
        {("PARTY_NOT_MEMBER", "importing_country")},
    ),
    Case(
        "issuing-outside-AKFTA",
        AK,
        {
            "issuing_country": "CN",
            "exporter.country": "CN",
            "issuing_authority.country": "CN",
            "declaration.producing_country": "CN",
        },
        {
            ("PARTY_NOT_MEMBER", "issuing_country"),
            ("PARTY_NOT_MEMBER", "declaration.producing_country"),
        },
    ),
    Case(
        "producing-outside-ATIGA",
        D,
        {"declaration.producing_country": "CN"},
        {
            ("PARTY_NOT_MEMBER", "declaration.producing_country"),
            ("PRODUCING_COUNTRY", "declaration.producing_country"),
        },
    ),
    Case(
        "rcep-origin-outside",
        RCEP,
        {f"{I0}.origin_country": "US"},
        {("PARTY_NOT_MEMBER", f"{I0}.origin_country")},
    ),
    Case(
        "original-co-outside",
        D,
        {"original_cos[0].issuing_country": "US"},
        {("PARTY_NOT_MEMBER", "original_cos[0].issuing_country")},
        base=b2b,
    ),
    Case(
        "importing-is-issuing",
        D,
        {"importing_country": "TH", "consignee.country": "TH"},
        {("SAME_COUNTRY", "importing_country")},
    ),
    Case(
        "exporter-elsewhere",
        D,
        {"exporter.country": "MY"},
        {("EXPORTER_COUNTRY", "exporter.country")},
    ),
    Case(
        "authority-elsewhere",
        RCEP,
        {"issuing_authority.country": "KR"},
        {("AUTHORITY_COUNTRY", "issuing_authority.country")},
    ),
    Case(
        "consignee-elsewhere",
        AK,
        {"consignee.country": "TH"},
        {("CONSIGNEE_COUNTRY", "consignee.country")},
    ),
    # items
    Case("no-items", D, {"items": ()}, {("NO_ITEMS", "items")}),
    Case("item-number-duplicate", D, {f"{I1}.number": 1}, {("ITEM_NUMBERS", f"{I1}.number")}),
    Case(
        "item-numbers-swapped",
        AK,
        {f"{I0}.number": 2, f"{I1}.number": 1},
        {("ITEM_NUMBERS", f"{I0}.number"), ("ITEM_NUMBERS", f"{I1}.number")},
    ),
    Case("item-number-zero", RCEP, {f"{I0}.number": 0}, {("ITEM_NUMBERS", f"{I0}.number")}),
    Case(
        "quantity-negative",
        D,
        {f"{I0}.quantity.value": Decimal("-1")},
        {("QUANTITY_NOT_POSITIVE", f"{I0}.quantity.value")},
    ),
    Case(
        "quantity-zero",
        AK,
        {f"{I1}.quantity.value": Decimal(0)},
        {("QUANTITY_NOT_POSITIVE", f"{I1}.quantity.value")},
    ),
    Case(
        "quantity-nan",
        RCEP,
        {f"{I0}.quantity.value": Decimal("NaN")},
        {("QUANTITY_NOT_POSITIVE", f"{I0}.quantity.value")},
    ),
    Case(
        "package-count-zero",
        D,
        {f"{I0}.packages.count": 0},
        {("PACKAGE_COUNT_NOT_POSITIVE", f"{I0}.packages.count")},
    ),
    Case(
        "unit-unknown",
        D,
        {f"{I0}.quantity.unit": "KILO"},
        {("UNIT_UNKNOWN", f"{I0}.quantity.unit")},
    ),
    Case(
        "unit-deprecated",
        AK,
        {f"{I0}.quantity.unit": "NPR"},
        {("UNIT_DEPRECATED", f"{I0}.quantity.unit")},
    ),
    Case(
        "unit-deleted-BX",
        RCEP,
        {f"{I0}.quantity.unit": "BX"},
        {("UNIT_DEPRECATED", f"{I0}.quantity.unit")},
    ),
    Case(
        "package-unknown",
        D,
        {f"{I0}.packages.kind": "ZZZ"},
        {("PACKAGE_UNKNOWN", f"{I0}.packages.kind")},
    ),
    Case(
        "package-deleted",
        AK,
        {f"{I1}.packages.kind": "SX"},
        {("PACKAGE_DEPRECATED", f"{I1}.packages.kind")},
    ),
    Case(
        "transport-mode",
        D,
        {"transport.mode": "SEA"},
        {("TRANSPORT_MODE_UNKNOWN", "transport.mode")},
    ),
    Case(
        "currency-unknown",
        D,
        {f"{I0}.fob_value.currency": "XYZ"},
        {("CURRENCY_UNKNOWN", f"{I0}.fob_value.currency")},
    ),
    Case(
        "currency-withdrawn",
        AK,
        {f"{I0}.fob_value.currency": "BGN"},
        {("CURRENCY_UNKNOWN", f"{I0}.fob_value.currency")},
    ),
    Case(
        "fob-negative",
        D,
        {f"{I0}.fob_value.amount": Decimal("-5")},
        {("FOB_NOT_POSITIVE", f"{I0}.fob_value.amount")},
    ),
    Case(
        "fob-three-decimals",
        RCEP,
        {f"{I0}.fob_value.amount": Decimal("10.005")},
        {("FOB_PRECISION", f"{I0}.fob_value.amount")},
    ),
    Case(
        "fob-krw-decimals",
        AK,
        {f"{I0}.fob_value.currency": "KRW", f"{I0}.fob_value.amount": Decimal("1000.5")},
        {("FOB_PRECISION", f"{I0}.fob_value.amount")},
    ),
    # HS
    Case("hs-seven-digits", D, {f"{I0}.hs.code": "8517130"}, {("HS_FORMAT", f"{I0}.hs.code")}),
    Case("hs-dotted", AK, {f"{I0}.hs.code": "8517.13.00"}, {("HS_FORMAT", f"{I0}.hs.code")}),
    Case("hs-ahtn-on-rcep", RCEP, {f"{I0}.hs.code": "85171300"}, {("HS_FORMAT", f"{I0}.hs.code")}),
    Case("hs-nonexistent", D, {f"{I0}.hs.code": "99999999"}, {("HS_UNKNOWN", f"{I0}.hs.code")}),
    Case(
        "hs-nonexistent-rcep", RCEP, {f"{I1}.hs.code": "010100"}, {("HS_UNKNOWN", f"{I1}.hs.code")}
    ),
    Case(
        "hs-edition-unknown",
        D,
        {f"{I0}.hs.edition": "HS2012"},
        {("HS_EDITION", f"{I0}.hs.edition")},
    ),
    Case(
        "hs-2022-code-as-2017",
        AK,
        {f"{I0}.hs.edition": "HS2017"},
        {("HS_EDITION", f"{I0}.hs.code")},
    ),
    # origin criteria
    Case(
        "criterion-PE-on-D",
        D,
        {f"{I1}.origin_criterion": crit("PE")},
        {("CRITERION_NOT_ALLOWED", f"{I1}.origin_criterion.code")},
    ),
    Case(
        "criterion-CTH-on-RCEP",
        RCEP,
        {f"{I1}.origin_criterion": crit("CTH")},
        {("CRITERION_NOT_ALLOWED", f"{I1}.origin_criterion.code")},
    ),
    Case(
        "criterion-WO-AK-on-D",
        D,
        {f"{I1}.origin_criterion": crit("WO-AK")},
        {("CRITERION_NOT_ALLOWED", f"{I1}.origin_criterion.code")},
    ),
    Case(
        "rvc-without-percent",
        D,
        {f"{I0}.origin_criterion": crit("RVC")},
        {("RVC_PERCENT", f"{I0}.origin_criterion.rvc_percent")},
    ),
    Case(
        "percent-without-rvc",
        AK,
        {f"{I1}.origin_criterion": crit("CTH", 40)},
        {("RVC_PERCENT", f"{I1}.origin_criterion.rvc_percent")},
    ),
    Case(
        "rvc-over-100",
        RCEP,
        {f"{I0}.origin_criterion": crit("RVC", 120)},
        {("RVC_PERCENT", f"{I0}.origin_criterion.rvc_percent")},
    ),
    Case(
        "pc-at-45",
        D,
        {f"{I0}.origin_criterion": crit("PC", 45), "flags": ("partial_cumulation",)},
        {("RVC_PERCENT", f"{I0}.origin_criterion.rvc_percent")},
    ),
    Case(
        "rvc-35",
        AK,
        {f"{I0}.origin_criterion": crit("RVC", 35)},
        {("RVC_BELOW_GENERAL", f"{I0}.origin_criterion.rvc_percent")},
    ),
    Case(
        "qualifier-on-D",
        D,
        {f"{I1}.origin_criterion": crit("WO", None, "ACU")},
        {("QUALIFIER_NOT_ALLOWED", f"{I1}.origin_criterion.qualifiers")},
    ),
    Case(
        "qualifier-unknown-rcep",
        RCEP,
        {f"{I1}.origin_criterion": crit("CTC", None, "PSR")},
        {("QUALIFIER_NOT_ALLOWED", f"{I1}.origin_criterion.qualifiers")},
    ),
    Case(
        "qualifier-repeated",
        RCEP,
        {f"{I1}.origin_criterion": crit("CTC", None, "DMI", "DMI")},
        {("QUALIFIER_NOT_ALLOWED", f"{I1}.origin_criterion.qualifiers")},
    ),
    Case(
        "fob-missing-D-to-ID", D, {f"{I0}.fob_value": None}, {("FOB_REQUIRED", f"{I0}.fob_value")}
    ),
    Case("fob-missing-AK", AK, {f"{I0}.fob_value": None}, {("FOB_REQUIRED", f"{I0}.fob_value")}),
    Case(
        "fob-missing-RCEP", RCEP, {f"{I0}.fob_value": None}, {("FOB_REQUIRED", f"{I0}.fob_value")}
    ),
    Case(
        "fob-missing-D-pc",
        D,
        {
            f"{I1}.origin_criterion": crit("PC", 25),
            "flags": ("partial_cumulation",),
            f"{I1}.fob_value": None,
        },
        {("FOB_REQUIRED", f"{I1}.fob_value")},
    ),
    Case(
        "rcep-origin-missing",
        RCEP,
        {f"{I1}.origin_country": None},
        {("ORIGIN_COUNTRY_MISSING", f"{I1}.origin_country")},
    ),
    Case(
        "pc-without-flag",
        D,
        {f"{I1}.origin_criterion": crit("PC", 30)},
        {("PARTIAL_CUMULATION_FLAG", "flags")},
    ),
    Case(
        "pc-flag-without-pc",
        D,
        {"flags": ("partial_cumulation",)},
        {("FLAG_CRITERIA", "flags")},
    ),
    # dates
    Case(
        "invoice-in-future",
        D,
        {f"{I0}.invoices[0].date": date(2026, 4, 1)},
        {("DATE_FUTURE", f"{I0}.invoices[0].date")},
    ),
    Case(
        "certification-in-future",
        RCEP,
        {"certification.date": TODAY + timedelta(days=2)},
        {("DATE_FUTURE", "certification.date")},
    ),
    Case(
        "declaration-after-issue",
        AK,
        {"declaration.date": date(2026, 3, 11)},
        {("DATE_ORDER", "declaration.date"), ("DATE_ORDER", "certification.date")},
    ),
    Case(
        "original-after-b2b",
        D,
        {"original_cos[0].date": date(2026, 3, 12)},
        {("DATE_ORDER", "original_cos[0].date")},
        base=b2b,
    ),
    Case(
        "departure-long-before",
        D,
        {"transport.departure_date": date(2026, 2, 1), "declaration.date": date(2026, 2, 1)},
        {("RETROACTIVE_FLAG", "flags")},
    ),
    Case(
        "departure-4-days-before-rcep",
        RCEP,
        {"transport.departure_date": date(2026, 3, 6)},
        {("RETROACTIVE_FLAG", "flags")},
    ),
    Case(
        "retroactive-over-a-year",
        AK,
        {"transport.departure_date": date(2025, 3, 9), "flags": ("issued_retroactively",)},
        {("RETROACTIVE_WINDOW", "issue_date")},
    ),
    Case(
        "retroactive-flag-unneeded",
        D,
        {"flags": ("issued_retroactively",)},
        {("RETROACTIVE_UNNEEDED", "flags")},
    ),
    # flags
    Case("flag-unknown", D, {"flags": ("express",)}, {("FLAG_UNKNOWN", "flags")}),
    Case(
        "flag-accumulation-on-AK", AK, {"flags": ("accumulation",)}, {("FLAG_NOT_ON_FORM", "flags")}
    ),
    Case(
        "flag-exhibition-on-RCEP",
        RCEP,
        {"flags": ("exhibition",), "exhibition": Exhibition(name="Expo", place="Bangkok")},
        {("FLAG_NOT_ON_FORM", "flags")},
    ),
    Case(
        "back-to-back-without-original",
        D,
        {"flags": ("back_to_back",)},
        {("FLAG_DETAILS", "original_cos")},
    ),
    Case(
        "original-without-flag",
        AK,
        {"flags": ()},
        {("FLAG_DETAILS", "flags"), ("PRODUCING_COUNTRY", "declaration.producing_country")},
        base=b2b,
    ),
    Case(
        "tci-without-invoicer",
        RCEP,
        {"flags": ("third_country_invoicing",)},
        {("FLAG_DETAILS", "third_party_invoicer")},
    ),
    Case(
        "invoicer-without-tci",
        D,
        {"third_party_invoicer": Party(name="Trader HK", country="HK")},
        {("FLAG_DETAILS", "flags")},
    ),
    Case(
        "exhibition-without-details",
        AK,
        {"flags": ("exhibition",)},
        {("FLAG_DETAILS", "exhibition")},
    ),
    Case(
        "original-same-country",
        D,
        {"original_cos[0].issuing_country": "TH"},
        {("ORIGINAL_CO_COUNTRY", "original_cos[0].issuing_country")},
        base=b2b,
    ),
]


def found(cert: Certificate) -> set[tuple[str, str]]:
    return {(p.code, p.path) for p in problems_of(cert, today=TODAY)}


@pytest.mark.parametrize("form", FORMS)
def test_good_certificate_has_no_problem(form: str) -> None:
    assert problems_of(good_message(form), today=TODAY) == []
    assert problems_of(back_to_back(good_certificate(form)), today=TODAY) == []


@pytest.mark.parametrize("case", FAILING, ids=[c.id for c in FAILING])
def test_broken_field_is_reported_at_its_path(case: Case) -> None:
    assert found(build(case)) == case.expected


def test_every_certificate_rule_has_a_failing_case() -> None:
    from tests.test_rules_agreements import GENUINE, INVALID

    covered = {code for case in FAILING for code, _ in case.expected}
    covered |= {case.code for case in INVALID}
    covered |= {code for case in GENUINE for code in case.warnings}
    assert {rule.code for rule in RULES["certificate"]} <= covered


def test_problem_carries_rule_severity_and_sentence() -> None:
    cert = change(good_certificate(D), "consignee.country", "SG")
    [problem] = problems_of(cert, today=TODAY)
    assert problem.severity == "warning"
    assert "SG" in problem.message and "ID" in problem.message
    assert problem.as_dict()["path"] == "consignee.country"


def _pc_with_flag(cert: Certificate) -> Certificate:
    return change(
        attrs.evolve(cert, flags=("partial_cumulation",)), f"{I1}.origin_criterion", crit("PC", 25)
    )


PASSING: list[tuple[str, str, Callable[[Certificate], Certificate]]] = [
    ("D-six-digit-hs", D, lambda c: change(c, f"{I0}.hs.code", "851713")),
    (
        "D-hs2017-code",
        D,
        lambda c: change(change(c, f"{I0}.hs.edition", "HS2017"), f"{I0}.hs.code", "85171200"),
    ),
    (
        "D-rvc-without-fob-TH-to-SG",
        D,
        lambda c: change(
            change(change(c, "importing_country", "SG"), "consignee.country", "SG"),
            f"{I0}.fob_value",
            None,
        ),
    ),
    ("D-wo-without-fob", D, lambda c: change(c, f"{I1}.fob_value", None)),
    ("D-pc-25-with-flag", D, _pc_with_flag),
    ("AK-wo-ak", AK, lambda c: change(c, f"{I1}.origin_criterion", crit("WO-AK"))),
    ("AK-rvc-45", AK, lambda c: change(c, f"{I0}.origin_criterion", crit("RVC", 45))),
    ("RCEP-rvc-without-percent", RCEP, lambda c: c),
    (
        "RCEP-acu-dmi",
        RCEP,
        lambda c: change(c, f"{I1}.origin_criterion", crit("CTC", None, "ACU", "DMI")),
    ),
    (
        "issued-3-days-after-departure",
        D,
        lambda c: change(c, "transport.departure_date", date(2026, 3, 7)),
    ),
    (
        "issued-retroactively-flagged",
        AK,
        lambda c: attrs.evolve(
            change(c, "transport.departure_date", date(2026, 2, 1)), flags=("issued_retroactively",)
        ),
    ),
    (
        "retroactive-exactly-one-year",
        RCEP,
        lambda c: attrs.evolve(
            change(c, "transport.departure_date", date(2025, 3, 10)),
            flags=("issued_retroactively",),
        ),
    ),
    ("departure-after-issue", D, lambda c: change(c, "transport.departure_date", date(2026, 4, 1))),
    ("fob-trailing-zeros", D, lambda c: change(c, f"{I0}.fob_value.amount", Decimal("10.000"))),
    (
        "fob-jpy-whole",
        RCEP,
        lambda c: change(
            change(c, f"{I0}.fob_value.currency", "JPY"), f"{I0}.fob_value.amount", Decimal(1000)
        ),
    ),
    ("package-unit-XBX", D, lambda c: change(c, f"{I0}.quantity.unit", "XBX")),
    (
        "tci-non-member-invoicer",
        RCEP,
        lambda c: attrs.evolve(
            c,
            flags=("third_country_invoicing",),
            third_party_invoicer=Party(name="HK Co", country="HK"),
        ),
    ),
    (
        "exhibition-on-D",
        D,
        lambda c: attrs.evolve(
            c, flags=("exhibition",), exhibition=Exhibition(name="Expo", place="Jakarta")
        ),
    ),
    ("cancellation", AK, lambda c: attrs.evolve(c, function="cancellation")),
]


@pytest.mark.parametrize(
    ("form", "edit"), [(f, e) for _, f, e in PASSING], ids=[i for i, _, _ in PASSING]
)
def test_edge_cases_pass(form: str, edit: Callable[[Certificate], Certificate]) -> None:
    assert problems_of(edit(good_certificate(form)), today=TODAY) == []


def test_one_day_of_future_slack() -> None:
    cert = good_certificate(D)
    assert problems_of(cert, today=cert.issue_date - timedelta(days=1)) == []
    assert {p.code for p in problems_of(cert, today=cert.issue_date - timedelta(days=2))} == {
        "DATE_FUTURE"
    }


def test_unknown_form_still_gets_the_generic_rules() -> None:
    cert = change(
        change(good_certificate(D), "form", "FORM_X"), f"{I0}.quantity.value", Decimal(-1)
    )
    assert found(cert) == {
        ("FORM_UNKNOWN", "form"),
        ("QUANTITY_NOT_POSITIVE", f"{I0}.quantity.value"),
    }


def test_validate_raises_on_errors_and_returns_warnings() -> None:
    warned = change(good_certificate(AK), "consignee.country", "TH")
    assert [p.code for p in validate(warned, today=TODAY)] == ["CONSIGNEE_COUNTRY"]
    broken = change(good_certificate(AK), f"{I0}.hs.code", "99999999")
    with pytest.raises(ValidationFailed) as raised:
        validate(broken, today=TODAY)
    assert raised.value.code == "HS_UNKNOWN"
    assert [p.path for p in raised.value.problems] == [f"{I0}.hs.code"]


def test_default_today_is_the_current_day() -> None:
    cert = attrs.evolve(good_certificate(D), issue_date=date.today() + timedelta(days=30))
    assert "DATE_FUTURE" in {p.code for p in problems_of(cert)}


def test_done_when_list_is_refused_with_pointed_problems() -> None:
    """The issue's acceptance list, each on its own certificate, each refused at its field."""
    wanted = {
        "unknown HS": ("HS_UNKNOWN", f"{I0}.hs.code"),
        "unknown country": ("COUNTRY_UNKNOWN", "consignee.country"),
        "negative quantity": ("QUANTITY_NOT_POSITIVE", f"{I0}.quantity.value"),
        "RVC without FOB": ("FOB_REQUIRED", f"{I0}.fob_value"),
        "late without retroactive flag": ("RETROACTIVE_FLAG", "flags"),
        "duplicate item numbers": ("ITEM_NUMBERS", f"{I1}.number"),
        "unknown currency": ("CURRENCY_UNKNOWN", f"{I0}.fob_value.currency"),
        "criterion not allowed": ("CRITERION_NOT_ALLOWED", f"{I1}.origin_criterion.code"),
        "importer outside agreement": ("PARTY_NOT_MEMBER", "importing_country"),
        "no items": ("NO_ITEMS", "items"),
        "flag without details": ("FLAG_DETAILS", "original_cos"),
    }
    by_pair = {pair: case for case in FAILING for pair in case.expected}
    for what, pair in wanted.items():
        case = by_pair[pair]
        with pytest.raises(ValidationFailed) as raised:
            validate(build(case), today=TODAY)
        assert pair in {(p.code, p.path) for p in raised.value.problems}, what
