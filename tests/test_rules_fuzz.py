"""Property: the rules never raise, whatever values the model holds."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from aswbridge.codes import HS_EDITIONS
from aswbridge.errors import Problem
from aswbridge.model import (
    FLAGS,
    Authority,
    Certificate,
    Certification,
    Declaration,
    Exhibition,
    HsCode,
    Invoice,
    Item,
    ItemDecision,
    ItemFinding,
    Money,
    OriginalCo,
    OriginCriterion,
    Packages,
    Party,
    Quantity,
    Receipt,
    Response,
    Transport,
    VerificationReply,
    VerificationRequest,
)
from aswbridge.rules import problems_of

text = st.text(max_size=8)
country = st.sampled_from(["TH", "KR", "ID", "JP", "US", "kr", "XX", ""]) | st.text(max_size=3)
currency = st.sampled_from(["USD", "KRW", "JPY", "XAU", "BGN"]) | st.text(max_size=4)
number = st.decimals(allow_nan=True, allow_infinity=True) | st.decimals(places=4)
day = st.dates()
opt = st.none

hs = st.builds(
    HsCode,
    code=st.sampled_from(["85171300", "851713", "99999999"]) | st.text("0123456789.x", max_size=9),
    edition=st.sampled_from([*HS_EDITIONS, "HS2012", ""]),
)
criterion = st.builds(
    OriginCriterion,
    code=st.sampled_from(["WO", "RVC", "CTH", "PC", "CTC", "PE", "X"]) | text,
    text=text,
    rvc_percent=opt() | number,
    combined_with=opt() | st.sampled_from(["RVC", "SP", "WO"]) | text,
    qualifiers=st.lists(st.sampled_from(["ACU", "DMI"]) | text, max_size=3),
    tariff_differential=opt() | st.sampled_from(["2.6.6A", "2.6.6B"]) | text,
)
item = st.builds(
    Item,
    number=st.integers(-2, 5),
    description=text,
    hs=hs,
    origin_criterion=criterion,
    quantity=st.builds(Quantity, value=number, unit=st.sampled_from(["KGM", "BX", "XBX"]) | text),
    marks=opt() | text,
    packages=opt() | st.builds(Packages, count=st.integers(-2, 9), kind=text),
    origin_country=opt() | country,
    fob_value=opt() | st.builds(Money, amount=number, currency=currency),
    invoices=st.lists(st.builds(Invoice, number=text, date=day), max_size=2),
)
party = st.builds(Party, name=text, country=country, address=opt() | text, id=opt() | text)
authority = st.builds(Authority, name=text, country=country, id=opt() | text)

certificate = st.builds(
    Certificate,
    form=st.sampled_from(["FORM_D", "FORM_AK", "FORM_RCEP", "FORM_E"]),
    function=st.sampled_from(["original", "cancellation", "x"]),
    id=text,
    issue_date=day,
    issuing_country=country,
    importing_country=country,
    issuing_authority=authority,
    exporter=party,
    consignee=party,
    transport=st.builds(Transport, departure_date=opt() | day, mode=opt() | text),
    items=st.lists(item, max_size=4),
    declaration=st.builds(
        Declaration,
        place=text,
        date=day,
        signatory=text,
        producing_country=country,
        declarant=opt() | st.sampled_from(["exporter", "producer"]) | text,
    ),
    certification=opt() | st.builds(Certification, place=text, date=day, officer=text),
    producer=opt() | party,
    third_party_invoicer=opt() | party,
    flags=st.lists(st.sampled_from(FLAGS) | text, max_size=4),
    original_cos=st.lists(
        st.builds(
            OriginalCo,
            id=text,
            date=day,
            issuing_country=country,
            origin_country=opt() | country,
            approved_exporter_code=opt() | text,
        ),
        max_size=2,
    ),
    exhibition=opt() | st.builds(Exhibition, name=text, place=text),
    replacement_date=opt() | day,
    certified_copy_date=opt() | day,
)

answers = st.one_of(
    st.builds(Receipt, ref_message_id=text, status=text, reason_code=opt() | text),
    st.builds(
        Response,
        certificate_id=text,
        issuing_country=country,
        decision_date=day,
        decisions=st.lists(
            st.builds(ItemDecision, number=st.integers(), preference=text, reason=opt() | text),
            max_size=3,
        ),
    ),
    st.builds(
        VerificationRequest,
        certificate_id=text,
        issuing_country=country,
        certificate_date=day,
        request_date=day,
        requesting_authority=authority,
        reason=text,
        items=st.lists(st.integers(), max_size=3),
    ),
    st.builds(
        VerificationReply,
        certificate_id=text,
        issuing_country=country,
        reply_date=day,
        replying_authority=authority,
        result=st.sampled_from(["confirmed", "not_confirmed", "partially_confirmed"]) | text,
        findings=st.lists(
            st.builds(
                ItemFinding,
                number=st.integers(),
                result=st.sampled_from(["confirmed", "not_confirmed"]) | text,
            ),
            max_size=3,
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(cert=certificate, today=st.dates())
def test_certificate_rules_never_raise(cert: Certificate, today: date) -> None:
    problems = problems_of(cert, today=today)
    assert all(isinstance(p, Problem) and p.code and p.message for p in problems)


@settings(max_examples=200, deadline=None)
@given(doc=answers, today=st.dates())
def test_answer_rules_never_raise(
    doc: Receipt | Response | VerificationRequest | VerificationReply, today: date
) -> None:
    problems = problems_of(doc, today=today)
    assert all(isinstance(p, Problem) and p.code and p.message for p in problems)
