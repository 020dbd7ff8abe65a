"""Hypothesis strategies for canonical messages that both reference schemas accept."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import strategies as st

from aswbridge import model as m

_TEXT_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Cn"),  # not XML text (surrogates, controls, U+FFFE)
    include_characters="\t\n",
)


def text(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(_TEXT_CHARS, min_size=1, max_size=max_size).filter(lambda s: "\r" not in s)


identifier = st.text(string.ascii_uppercase + string.digits + "/-", min_size=1, max_size=20)
country = st.sampled_from(["ID", "KR", "VN", "TH", "MY", "SG", "PH", "BN", "KH", "LA", "MM"])
dates = st.dates(min_value=date(2017, 1, 1), max_value=date(2030, 12, 31))
amounts = st.decimals(
    min_value=Decimal("0.0001"),
    max_value=Decimal("99999999999999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
percent = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)
uuid = st.uuids().map(str)
optional = st.none

party = st.builds(
    m.Party, name=text(), country=country, address=text() | optional(), id=identifier | optional()
)
authority = st.builds(m.Authority, name=text(), country=country, id=identifier | optional())
criterion = st.builds(
    m.OriginCriterion,
    code=st.sampled_from(["WO", "RVC", "CTH", "CTSH", "PE", "CTC", "WO-AK", "PC", "SP"]),
    text=text(20),
    rvc_percent=percent | optional(),
    combined_with=st.sampled_from(["RVC", "SP", "CC"]) | optional(),
    qualifiers=st.lists(st.sampled_from(["ACU", "DMI"]), max_size=2).map(tuple),
    tariff_differential=st.sampled_from(["2.6.6A", "2.6.6B"]) | optional(),
)
item = st.builds(
    m.Item,
    number=st.integers(1, 999),
    description=text(200),
    hs=st.builds(
        m.HsCode,
        code=st.from_regex(r"[0-9]{6}([0-9]{2})?", fullmatch=True),
        edition=st.sampled_from(["HS2012", "HS2017", "HS2022"]),
    ),
    origin_criterion=criterion,
    quantity=st.builds(m.Quantity, value=amounts, unit=st.sampled_from(["KGM", "TNE", "H87"])),
    marks=text() | optional(),
    packages=st.builds(
        m.Packages, count=st.integers(0, 10_000), kind=st.sampled_from(["CT", "BX", "PX"])
    )
    | optional(),
    origin_country=country | optional(),
    fob_value=st.builds(m.Money, amount=amounts, currency=st.sampled_from(["USD", "KRW"]))
    | optional(),
    invoices=st.lists(st.builds(m.Invoice, number=identifier, date=dates), max_size=2),
)
certificate = st.builds(
    m.Certificate,
    form=st.sampled_from(["FORM_D", "FORM_AK", "FORM_RCEP"]),
    function=st.sampled_from(["original", "replacement", "cancellation"]),
    id=identifier,
    issue_date=dates,
    issuing_country=country,
    importing_country=country,
    issuing_authority=authority,
    exporter=party,
    consignee=party,
    transport=st.builds(
        m.Transport,
        departure_date=dates | optional(),
        mode=st.sampled_from(["1", "4"]) | optional(),
        vessel=text() | optional(),
        port_of_loading=st.sampled_from(["IDJKT", "KRPUS"]) | optional(),
        port_of_discharge=st.sampled_from(["KRINC", "VNSGN"]) | optional(),
    ),
    items=st.lists(item, min_size=1, max_size=4),
    declaration=st.builds(
        m.Declaration,
        place=text(),
        date=dates,
        signatory=text(),
        producing_country=country,
        declarant=st.sampled_from(["exporter", "producer"]) | optional(),
    ),
    certification=st.builds(m.Certification, place=text(), date=dates, officer=text()) | optional(),
    producer=party | optional(),
    third_party_invoicer=party | optional(),
    remarks=text(300) | optional(),
    flags=st.lists(st.sampled_from(m.FLAGS), max_size=3),
    original_cos=st.lists(
        st.builds(
            m.OriginalCo,
            id=identifier,
            date=dates,
            issuing_country=country,
            origin_country=country | optional(),
            approved_exporter_code=identifier | optional(),
        ),
        max_size=2,
    ),
    exhibition=st.builds(m.Exhibition, name=text(), place=text()) | optional(),
    replacement_date=dates | optional(),
    certified_copy_date=dates | optional(),
)
envelope = st.builds(
    m.Envelope,
    message_id=uuid,
    sender=st.builds(m.Endpoint, country=country, system=identifier),
    receiver=st.builds(m.Endpoint, country=country, system=identifier),
    created_at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.replace(microsecond=0, tzinfo=UTC)
    ),
    correlation_id=uuid | optional(),
    original_signer=st.builds(
        m.SignerRef, subject=text(), fingerprint=st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
    )
    | optional(),
)
documents = st.one_of(
    certificate,
    st.builds(
        m.Receipt,
        ref_message_id=uuid,
        status=st.sampled_from(["received", "failed"]),
        certificate_id=identifier | optional(),
        reason_code=identifier | optional(),
        reason=text() | optional(),
    ),
    st.builds(
        m.Response,
        certificate_id=identifier,
        issuing_country=country,
        decision_date=dates,
        decisions=st.lists(
            st.builds(
                m.ItemDecision,
                number=st.integers(1, 99),
                preference=st.sampled_from(["given", "not_given"]),
                reason=text() | optional(),
            ),
            min_size=1,
            max_size=3,
        ),
        officer=text() | optional(),
        remarks=text() | optional(),
        certificate_date=dates | optional(),
    ),
    st.builds(
        m.VerificationRequest,
        certificate_id=identifier,
        issuing_country=country,
        certificate_date=dates,
        request_date=dates,
        requesting_authority=authority,
        reason=text(),
        items=st.lists(st.integers(1, 99), max_size=3),
    ),
    st.builds(
        m.VerificationReply,
        certificate_id=identifier,
        issuing_country=country,
        reply_date=dates,
        replying_authority=authority,
        result=st.sampled_from(["confirmed", "not_confirmed", "partially_confirmed"]),
        findings=st.lists(
            st.builds(
                m.ItemFinding,
                number=st.integers(1, 99),
                result=st.sampled_from(["confirmed", "not_confirmed"]),
                remarks=text() | optional(),
            ),
            max_size=3,
        ),
        remarks=text() | optional(),
    ),
)
messages = st.builds(m.Message, envelope=envelope, document=documents)
