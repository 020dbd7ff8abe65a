"""The rules read against the agreements: a table of cases, each citing its clause.

``GENUINE`` are certificates the texts make valid: they must pass (warnings allowed, and
then exactly the warnings listed). ``INVALID`` are certificates the texts make invalid:
each must be refused with the code of the rule that says so, at the field at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest

import aswbridge
from aswbridge import profiles
from aswbridge.errors import ValidationFailed
from aswbridge.model import (
    Certificate,
    Message,
    Money,
    OriginalCo,
    OriginCriterion,
    Response,
)
from aswbridge.rules import FORM_RULES, problems_of, validate
from tests.builders import (
    ISSUED,
    TODAY,
    back_to_back,
    change,
    envelope,
    good_certificate,
    good_response,
)

D, AK, RCEP = "FORM_D", "FORM_AK", "FORM_RCEP"
I0, I1 = "items[0]", "items[1]"


def crit(
    code: str, pct: int | None = None, *quals: str, plus: str | None = None, mark: str | None = None
) -> OriginCriterion:
    return OriginCriterion(code=code, text=code, rvc_percent=pct, combined_with=plus,
                           qualifiers=quals, tariff_differential=mark)  # fmt: skip


def edits(*steps: tuple[str, object]) -> Callable[[Certificate], Certificate]:
    def apply(cert: Certificate) -> Certificate:
        for path, value in steps:
            cert = change(cert, path, value)
        return cert

    return apply


def ak_into_korea(cert: Certificate) -> Certificate:
    """The Form AK sample turned round: from Viet Nam into Korea."""
    return edits(
        ("issuing_country", "VN"),
        ("importing_country", "KR"),
        ("exporter.country", "VN"),
        ("issuing_authority.country", "VN"),
        ("consignee.country", "KR"),
        ("declaration.producing_country", "VN"),
    )(cert)


def two_origin_back_to_back(cert: Certificate) -> Certificate:
    """A back-to-back certificate of goods from Malaysia and Thailand, one original each."""
    cert = back_to_back(cert)
    second = OriginalCo(id="ORIG-TH", date=date(2026, 3, 2), issuing_country="TH",
                        origin_country="TH")  # fmt: skip
    cert = attrs.evolve(cert, original_cos=(*cert.original_cos, second))
    return edits((f"{I0}.origin_country", "MY"), (f"{I1}.origin_country", "TH"))(cert)


def rcep_back_to_back(cert: Certificate) -> Certificate:
    """An RCEP back-to-back certificate of goods from two originals, both of Malaysia."""
    cert = back_to_back(cert)
    second = OriginalCo(
        id="ORIG-2", date=date(2026, 2, 20), issuing_country="MY", origin_country="MY",
        approved_exporter_code="MY-AE-0042",
    )  # fmt: skip
    return attrs.evolve(cert, original_cos=(*cert.original_cos, second))


@attrs.frozen
class Genuine:
    id: str
    clause: str
    form: str
    edit: Callable[[Certificate], Certificate]
    warnings: frozenset[str] = frozenset()


GENUINE = [
    Genuine("AK-into-Korea-HSK-10", "Form AK box 7: HS number of the importing country (HSK)",
            AK, lambda c: edits((f"{I0}.hs.code", "8517130000"),
                                (f"{I1}.hs.code", "6109100000"))(ak_into_korea(c))),
    Genuine("AK-into-Korea-HSK-8-level", "Form AK box 7: HSK at its 8-digit level",
            AK, ak_into_korea),
    Genuine("RCEP-2.6.6B-mark", "RCEP Art. 2.6.6(b); TradeNet field 21 (RVC, ACU, 2.6.6b)",
            RCEP, edits((f"{I0}.origin_criterion", crit("RVC", None, "ACU", mark="2.6.6B")))),
    Genuine("RCEP-2.6.6A-mark", "RCEP Art. 2.6.6(a)",
            RCEP, edits((f"{I1}.origin_criterion", crit("CTC", mark="2.6.6A")))),
    Genuine("AK-CC-plus-specific-processes",
            "Form AK overleaf note 3; TradeNet Annex A (CC, SPECIFIC PROCESSES)",
            AK, edits((f"{I1}.origin_criterion", crit("CC", plus="SP")))),
    Genuine("D-CTSH-plus-35-percent", "ATIGA Annex 7 overleaf note 3 example (CTSH + 35%)",
            D, edits((f"{I0}.origin_criterion", crit("CTSH", 35, plus="RVC")))),
    Genuine("D-CTH-plus-SP", "ATIGA Annex 7 overleaf note 3 (the actual combination)",
            D, edits((f"{I1}.origin_criterion", crit("CTH", plus="SP")))),
    Genuine("AK-RVC-plus-CTC", "Form AK overleaf note 3 (RVC + CTC combination)",
            AK, edits((f"{I0}.origin_criterion", crit("RVC", 45, plus="CTC")))),
    Genuine("KRW-FOB-with-decimals", "RCEP Art. 3.26; ASEAN minor-discrepancy matrix",
            AK, edits((f"{I0}.fob_value", Money(amount=Decimal("18500000.50"), currency="KRW"))),
            frozenset({"FOB_PRECISION"})),
    Genuine("deprecated-unit-code", "RCEP Art. 3.26; ASEAN minor-discrepancy matrix",
            RCEP, edits((f"{I0}.quantity.unit", "NPR")), frozenset({"UNIT_DEPRECATED"})),
    Genuine("RCEP-HS2012-code", "RCEP Art. 3.34 (Annex 3A in HS2012)",
            RCEP, edits((f"{I0}.hs.edition", "HS2012"), (f"{I0}.hs.code", "851712"))),
    Genuine("RCEP-DMI-after-RVC-is-minor", "RCEP Art. 3.7 and 3.26",
            RCEP, edits((f"{I0}.origin_criterion", crit("RVC", None, "DMI"))),
            frozenset({"QUALIFIER_CRITERION"})),
    Genuine("RCEP-issued-on-shipment-day", "RCEP Art. 3.17.8 (issued at the time of shipment)",
            RCEP, lambda c: c),
    Genuine("RCEP-back-to-back-two-originals", "RCEP Art. 3.19; Annex 3B 1(m)",
            RCEP, rcep_back_to_back),
    Genuine("D-back-to-back", "ATIGA Annex 7 note 12; Annex 8 Rule 11", D, back_to_back),
    Genuine("AK-back-to-back-two-origins", "ATIGA Annex 7 note 12: original Proof(s) of Origin",
            AK, two_origin_back_to_back),
    Genuine("RCEP-certified-true-copy", "RCEP Art. 3.17.9 (same number and date, within a year)",
            RCEP, edits(("certified_copy_date", date(2026, 3, 18)))),
    Genuine("AK-replacement-with-its-date", "RCEP Art. 3.17.5 analogue; UNTDID 1225 code 5",
            AK, edits(("function", "replacement"), ("replacement_date", date(2026, 3, 17)))),
    Genuine("RCEP-declared-by-producer", "RCEP Annex 3B 1(g), box 15 (exporter or producer)",
            RCEP, edits(("declaration.declarant", "producer"))),
    Genuine("D-declared-by-producer", "ATIGA Annex 7 note 7 (exporter may include producer)",
            D, edits(("declaration.declarant", "producer"))),
    Genuine("D-de-minimis-with-CTH", "ATIGA Annex 7 note 17 (de minimis with a CTC criterion)",
            D, lambda c: attrs.evolve(change(c, f"{I1}.origin_criterion", crit("CTH")),
                                      flags=("de_minimis",))),
    Genuine("D-accumulation-with-RVC", "ATIGA Annex 7 note 15", D,
            lambda c: attrs.evolve(c, flags=("accumulation",))),
    Genuine("D-no-departure-date", "ATIGA Annex 7 box 3 (as far as known)",
            D, edits(("transport.departure_date", None)), frozenset({"DEPARTURE_DATE_MISSING"})),
    Genuine("D-issued-11-months-ago", "RCEP Art. 3.16 / ATIGA OCP: 12 months' validity",
            D, edits(("issue_date", date(2025, 4, 21)), ("certification.date", date(2025, 4, 21)),
                     ("declaration.date", date(2025, 4, 20)),
                     ("transport.departure_date", date(2025, 4, 20)))),
]  # fmt: skip


@pytest.mark.parametrize("case", GENUINE, ids=[c.id for c in GENUINE])
def test_genuine_certificate_passes(case: Genuine) -> None:
    problems = validate(case.edit(good_certificate(case.form)), today=TODAY)
    assert {p.code for p in problems} == case.warnings, case.clause


@pytest.mark.parametrize("case", GENUINE, ids=[c.id for c in GENUINE])
def test_genuine_certificate_crosses_every_profile(case: Genuine) -> None:
    """What the rules accept, every built-in profile carries: translate keeps every field."""
    cert = change(case.edit(good_certificate(case.form)), "transport.port_of_discharge", "THBKK")
    message = Message(envelope=envelope(), document=cert)
    data, source = aswbridge.write(message, profile="canonical"), "canonical"
    for target in (*profiles.names(), "canonical"):
        data = aswbridge.translate(data, source=source, target=target, today=TODAY)
        source = target
    assert aswbridge.read(data) == ("canonical", message)


@attrs.frozen
class Invalid:
    id: str
    clause: str
    form: str
    edit: Callable[[Certificate], Certificate]
    code: str
    path: str
    today: date = TODAY


def _two_wo_items(cert: Certificate) -> Certificate:
    return edits((f"{I0}.origin_criterion", crit("WO")), (f"{I0}.fob_value", None))(cert)


INVALID = [
    Invalid("D-arrives-after-a-year", "RCEP Art. 3.16 / ATIGA OCP: valid 12 months", D,
            lambda c: c, "CERTIFICATE_EXPIRED", "issue_date", today=date(2027, 3, 11)),
    Invalid("b2b-original-over-a-year-old", "RCEP Art. 3.19.1(a)(b); ATIGA Annex 8 Rule 11", AK,
            lambda c: change(back_to_back(c), "original_cos[0].date", date(2025, 3, 1)),
            "BACK_TO_BACK_VALIDITY", "original_cos[0].date"),
    Invalid("b2b-validity-bounded-by-original", "RCEP Art. 3.19.1(b)", D,
            lambda c: change(back_to_back(c), "original_cos[0].date", date(2025, 6, 1)),
            "CERTIFICATE_EXPIRED", "issue_date", today=date(2026, 6, 5)),
    Invalid("RCEP-b2b-no-first-origin", "RCEP Annex 3B 1(m)", RCEP,
            lambda c: change(back_to_back(c), "original_cos[0].origin_country", None),
            "BACK_TO_BACK_ORIGIN", "original_cos[0].origin_country"),
    Invalid("RCEP-b2b-item-origin-disagrees", "RCEP Art. 3.19.1(c); Annex 3B 1(i), 1(m)", RCEP,
            lambda c: change(back_to_back(c), f"{I1}.origin_country", "JP"),
            "BACK_TO_BACK_ORIGIN", f"{I1}.origin_country"),
    Invalid("AK-b2b-produced-elsewhere", "ATIGA Annex 8 Rule 11; Form AK box 11", AK,
            lambda c: change(back_to_back(c), "declaration.producing_country", "TH"),
            "PRODUCING_COUNTRY", "declaration.producing_country"),
    Invalid("AK-b2b-item-from-a-third-origin", "ATIGA Annex 8 Rule 11; Form AK box 11", AK,
            lambda c: change(two_origin_back_to_back(c), f"{I1}.origin_country", "VN"),
            "PRODUCING_COUNTRY", f"{I1}.origin_country"),
    Invalid("D-produced-in-MY-from-TH", "ATIGA Annex 7 box 11 (goods produced in)", D,
            edits(("declaration.producing_country", "MY")),
            "PRODUCING_COUNTRY", "declaration.producing_country"),
    Invalid("D-item-origin-not-box-11", "ATIGA Annex 7 box 11", D,
            edits((f"{I0}.origin_country", "MY")), "PRODUCING_COUNTRY", f"{I0}.origin_country"),
    Invalid("RCEP-issued-day-after-shipment", "RCEP Art. 3.17.8", RCEP,
            edits(("transport.departure_date", date(2026, 3, 9))), "RETROACTIVE_FLAG", "flags"),
    Invalid("D-issued-4-days-after-shipment", "ATIGA Annex 8 Rule 10", D,
            edits(("transport.departure_date", date(2026, 3, 6))), "RETROACTIVE_FLAG", "flags"),
    Invalid("RCEP-no-departure-date", "RCEP Annex 3B 1(j)", RCEP,
            edits(("transport.departure_date", None)),
            "DEPARTURE_DATE_REQUIRED", "transport.departure_date"),
    Invalid("AK-retroactive-without-departure", "ATIGA Annex 8 Rule 10(2); RCEP Art. 3.17.8", AK,
            lambda c: attrs.evolve(change(c, "transport.departure_date", None),
                                   flags=("issued_retroactively",)),
            "DEPARTURE_DATE_REQUIRED", "transport.departure_date"),
    Invalid("D-accumulation-on-WO-goods", "ATIGA Annex 7 note 15", D,
            lambda c: attrs.evolve(_two_wo_items(c), flags=("accumulation",)),
            "FLAG_CRITERIA", "flags"),
    Invalid("D-de-minimis-without-CTC", "ATIGA Annex 7 note 17", D,
            lambda c: attrs.evolve(c, flags=("de_minimis",)), "FLAG_CRITERIA", "flags"),
    Invalid("AK-WO-plus-RVC", "Form AK overleaf note 3 (WO stands alone)", AK,
            edits((f"{I1}.origin_criterion", crit("WO", 40, plus="RVC"))),
            "CRITERION_NOT_ALLOWED", f"{I1}.origin_criterion.code"),
    Invalid("RCEP-combination", "RCEP Annex 3B box 10 (one criterion)", RCEP,
            edits((f"{I1}.origin_criterion", crit("CTC", plus="RVC"))),
            "CRITERION_NOT_ALLOWED", f"{I1}.origin_criterion.code"),
    Invalid("D-2.6.6-mark", "RCEP Art. 2.6.6 (RCEP only)", D,
            edits((f"{I1}.origin_criterion", crit("WO", mark="2.6.6A"))),
            "TARIFF_DIFFERENTIAL", f"{I1}.origin_criterion.tariff_differential"),
    Invalid("AK-HSK-10-into-Viet-Nam", "Form AK box 7 (Viet Nam's AHTN has 8 digits)", AK,
            edits((f"{I0}.hs.code", "8517130000")), "HS_FORMAT", f"{I0}.hs.code"),
    Invalid("D-HS2012", "ATIGA Annex 7 note 6 (AHTN 2017 / 2022)", D,
            edits((f"{I0}.hs.edition", "HS2012")), "HS_EDITION", f"{I0}.hs.edition"),
    Invalid("RCEP-copy-after-a-year", "RCEP Art. 3.17.9(a)", RCEP,
            edits(("certified_copy_date", date(2027, 3, 11))),
            "CERTIFIED_COPY_DATE", "certified_copy_date", today=date(2027, 3, 11)),
    Invalid("replacement-date-on-original", "UNTDID 1225; RCEP Art. 3.17.5", D,
            edits(("replacement_date", date(2026, 3, 12))), "REPLACEMENT_DATE", "replacement_date"),
    Invalid("AK-declared-by-producer", "Form AK box 11 (declaration by the exporter)", AK,
            edits(("declaration.declarant", "producer")), "DECLARANT", "declaration.declarant"),
    Invalid("RCEP-producer-declares-unnamed", "RCEP Annex 3B 1(b), 1(g)", RCEP,
            edits(("declaration.declarant", "producer"), ("producer", None)),
            "DECLARANT", "producer"),
    Invalid("RCEP-into-ID-before-in-force", "RCEP in force for Indonesia on 2 January 2023",
            RCEP, edits(("importing_country", "ID"), ("consignee.country", "ID"),
                        ("issue_date", date(2022, 6, 1)), ("certification.date", date(2022, 6, 1)),
                        ("declaration.date", date(2022, 6, 1)),
                        ("transport.departure_date", date(2022, 6, 1))),
            "NOT_IN_FORCE", "importing_country", today=date(2022, 6, 2)),
]  # fmt: skip


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
def test_invalid_certificate_is_refused(case: Invalid) -> None:
    cert = case.edit(good_certificate(case.form))
    with pytest.raises(ValidationFailed) as raised:
        validate(cert, today=case.today)
    assert (case.code, case.path) in {(p.code, p.path) for p in raised.value.problems}, case.clause


def test_validity_is_judged_on_the_day_the_message_was_sent() -> None:
    cert = good_certificate(D)
    sent = envelope()
    in_time = Message(envelope=attrs.evolve(sent, created_at=datetime(2027, 3, 10, tzinfo=UTC)),
                      document=cert)  # fmt: skip
    late = attrs.evolve(
        in_time, envelope=attrs.evolve(sent, created_at=datetime(2027, 3, 11, tzinfo=UTC))
    )
    assert problems_of(in_time, today=date(2027, 6, 1)) == []
    assert {p.code for p in problems_of(late, today=date(2027, 3, 11))} == {"CERTIFICATE_EXPIRED"}


def test_cancellation_of_an_expired_certificate_is_carried() -> None:
    cert = attrs.evolve(good_certificate(AK), function="cancellation")
    assert problems_of(cert, today=date(2028, 1, 1)) == []


def _late_response(**changes: object) -> Response:
    response = attrs.evolve(good_response(), certificate_date=ISSUED,
                            decision_date=date(2027, 3, 12))  # fmt: skip
    return attrs.evolve(response, **changes)


def test_preference_on_an_expired_certificate_is_refused() -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate(_late_response(), today=date(2027, 3, 12))
    assert [(p.code, p.path) for p in raised.value.problems] == [
        ("PREFERENCE_ON_EXPIRED", "decisions[0].preference")
    ]


def test_preference_on_an_expired_certificate_with_its_reason_passes() -> None:
    late = _late_response(remarks="Accepted after the time limit: force majeure (RCEP 3.22.6)")
    assert problems_of(late, today=date(2027, 3, 12)) == []
    on_time = _late_response(decision_date=date(2027, 3, 10))
    assert problems_of(on_time, today=date(2027, 3, 12)) == []


def test_every_form_has_its_parameters_and_parties() -> None:
    assert set(FORM_RULES) == {D, AK, RCEP}
    for spec in FORM_RULES.values():
        assert set(spec.parties) == spec.members
        assert spec.sources


def test_every_invalid_case_uses_a_registered_rule() -> None:
    from aswbridge.rules import RULES

    codes = {rule.code for rules in RULES.values() for rule in rules}
    assert {case.code for case in INVALID} <= codes
