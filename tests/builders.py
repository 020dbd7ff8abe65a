"""Small builders of valid documents for the rule tests, and a path-based ``evolve``.

``good_certificate(form=...)`` returns a certificate that passes every rule of its form
(no errors, no warnings) when checked on :data:`TODAY`; a test breaks one field with
``change(cert, "items[0].hs.code", "99999999")`` and expects one problem at that path.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from aswbridge.model import (
    Authority,
    Certificate,
    Certification,
    Declaration,
    Endpoint,
    Envelope,
    HsCode,
    Invoice,
    Item,
    ItemDecision,
    ItemFinding,
    Message,
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

TODAY = date(2026, 3, 20)
ISSUED = date(2026, 3, 10)
DEPARTED = date(2026, 3, 9)

_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")

# Per form: issuing country, importing country, the two items' HS codes and criteria.
_FORMS: dict[str, dict[str, Any]] = {
    "FORM_D": {
        "issuing": "TH",
        "importing": "ID",
        "hs": ("85171300", "08039010"),
        "criteria": (
            OriginCriterion(code="RVC", text="45%", rvc_percent=Decimal(45)),
            OriginCriterion(code="WO", text="WO"),
        ),
    },
    "FORM_AK": {
        "issuing": "KR",
        "importing": "VN",
        "hs": ("85171300", "61091000"),
        "criteria": (
            OriginCriterion(
                code="CTH", combined_with="RVC", text="CTH + RVC 40%", rvc_percent=Decimal(40)
            ),
            OriginCriterion(code="CTH", text="CTH"),
        ),
    },
    "FORM_RCEP": {
        "issuing": "JP",
        "importing": "TH",
        "hs": ("851713", "870323"),
        "criteria": (
            OriginCriterion(code="RVC", text="RVC ACU", qualifiers=("ACU",)),
            OriginCriterion(code="CTC", text="CTC"),
        ),
    },
}


def good_certificate(form: str = "FORM_D") -> Certificate:
    """A two-item certificate of ``form`` that every rule of that form accepts."""
    spec = _FORMS[form]
    issuing, importing = spec["issuing"], spec["importing"]
    items = tuple(
        Item(
            number=n + 1,
            description=f"Goods line {n + 1}, brand Example",
            hs=HsCode(code=spec["hs"][n], edition="HS2022"),
            origin_criterion=spec["criteria"][n],
            quantity=Quantity(value=Decimal("120.5"), unit="KGM"),
            marks="EX/1-10",
            packages=Packages(count=10, kind="CT"),
            origin_country=issuing if form == "FORM_RCEP" else None,
            fob_value=Money(amount=Decimal("15000.00"), currency="USD"),
            invoices=(Invoice(number=f"INV-{n + 1}", date=date(2026, 3, 5)),),
        )
        for n in range(2)
    )
    return Certificate(
        form=form,
        function="original",
        id=f"{issuing}-2026-000123",
        issue_date=ISSUED,
        issuing_country=issuing,
        importing_country=importing,
        issuing_authority=Authority(name="Issuing Authority", country=issuing, id="IA-1"),
        exporter=Party(name="Exporter Co., Ltd.", country=issuing, address="1 Export Road"),
        consignee=Party(name="Consignee Co., Ltd.", country=importing, address="2 Import St"),
        # RCEP Art. 3.17.8: issued after the day of shipment is issued retroactively.
        transport=Transport(
            departure_date=ISSUED if form == "FORM_RCEP" else DEPARTED,
            mode="1",
            vessel="MV EXAMPLE",
            port_of_discharge="Port",
        ),
        items=items,
        declaration=Declaration(
            place="Capital", date=DEPARTED, signatory="A. Exporter", producing_country=issuing
        ),
        certification=Certification(place="Capital", date=ISSUED, officer="B. Officer"),
        producer=Party(name="Maker Co.", country=issuing) if form == "FORM_RCEP" else None,
    )


def back_to_back(cert: Certificate) -> Certificate:
    """``cert`` made a back-to-back certificate of goods originating in another Party.

    The original was issued there; box 11 declares the goods produced there and RCEP
    items give it as their RCEP country of origin.
    """
    first = "MY" if cert.issuing_country != "MY" else "SG"
    original = OriginalCo(
        id="ORIG-1", date=date(2026, 3, 1), issuing_country=first, origin_country=first
    )
    rcep = cert.form == "FORM_RCEP"
    return attrs.evolve(
        cert,
        flags=(*cert.flags, "back_to_back"),
        original_cos=(original,),
        declaration=attrs.evolve(cert.declaration, producing_country=first),
        items=tuple(attrs.evolve(i, origin_country=first) if rcep else i for i in cert.items),
    )


def change(obj: Any, path: str, value: Any) -> Any:
    """Return ``obj`` with the field at canonical ``path`` (``items[0].hs.code``) replaced."""
    steps = path.split(".", 1)
    match = _STEP.fullmatch(steps[0])
    assert match, path
    name, index = match.group(1), match.group(2)
    rest = steps[1] if len(steps) > 1 else None
    current = getattr(obj, name)
    if index is None:
        new = change(current, rest, value) if rest else value
    else:
        i = int(index)
        element = change(current[i], rest, value) if rest else value
        new = (*current[:i], element, *current[i + 1 :])
    return attrs.evolve(obj, **{name: new})


def envelope() -> Envelope:
    """An envelope from Thailand's NSW to Korea's UNI-PASS."""
    from datetime import UTC, datetime

    return Envelope(
        message_id="6f1c2b9e-0000-4000-8000-000000000001",
        sender=Endpoint(country="TH", system="TH-NSW"),
        receiver=Endpoint(country="KR", system="UNIPASS"),
        created_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
    )


def good_message(form: str = "FORM_D") -> Message:
    """A certificate message with a valid envelope."""
    return Message(envelope=envelope(), document=good_certificate(form))


def good_receipt() -> Receipt:
    """A failed receipt, with its reason."""
    return Receipt(ref_message_id="m-1", status="failed", reason_code="SCHEMA_INVALID")


def good_response() -> Response:
    """A response granting item 1 and refusing item 2 with a reason."""
    return Response(
        certificate_id="TH-2026-000123",
        issuing_country="TH",
        decision_date=date(2026, 3, 15),
        certificate_date=ISSUED,
        decisions=(
            ItemDecision(number=1, preference="given"),
            ItemDecision(number=2, preference="not_given", reason="HS code differs"),
        ),
    )


def good_verification_request() -> VerificationRequest:
    """A request to verify item 2 of a Thai certificate, from Korean customs."""
    return VerificationRequest(
        certificate_id="TH-2026-000123",
        issuing_country="TH",
        certificate_date=ISSUED,
        request_date=date(2026, 3, 18),
        requesting_authority=Authority(name="Korea Customs Service", country="KR"),
        reason="Origin criterion doubtful",
        items=(2,),
    )


def good_verification_reply() -> VerificationReply:
    """A partial confirmation from the Thai issuing authority."""
    return VerificationReply(
        certificate_id="TH-2026-000123",
        issuing_country="TH",
        reply_date=date(2026, 3, 19),
        replying_authority=Authority(name="Issuing Authority", country="TH"),
        result="partially_confirmed",
        findings=(
            ItemFinding(number=1, result="confirmed"),
            ItemFinding(number=2, result="not_confirmed", remarks="RVC below 40%"),
        ),
    )
