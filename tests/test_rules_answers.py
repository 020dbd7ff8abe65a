"""Rules of the answers (receipt, response, verification) and of the envelope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from aswbridge.model import ItemDecision, ItemFinding, Message
from aswbridge.rules import RULES, problems_of
from tests.builders import (
    TODAY,
    change,
    envelope,
    good_receipt,
    good_response,
    good_verification_reply,
    good_verification_request,
)

BUILDERS: dict[str, Callable[[], Any]] = {
    "receipt": good_receipt,
    "response": good_response,
    "verification_request": good_verification_request,
    "verification_reply": good_verification_reply,
}

# (id, kind, edits, expected {(code, path)})
FAILING: list[tuple[str, str, dict[str, Any], set[tuple[str, str]]]] = [
    ("receipt-status", "receipt", {"status": "ok"}, {("STATUS_UNKNOWN", "status")}),
    ("receipt-no-reason", "receipt", {"reason_code": None}, {("REASON_REQUIRED", "reason_code")}),
    ("receipt-no-ref", "receipt", {"ref_message_id": ""}, {("TEXT_EMPTY", "ref_message_id")}),
    (
        "response-country",
        "response",
        {"issuing_country": "THA"},
        {("COUNTRY_UNKNOWN", "issuing_country")},
    ),
    ("response-empty", "response", {"decisions": ()}, {("NO_ITEMS", "decisions")}),
    (
        "response-preference-on-expired",
        "response",
        {"certificate_date": date(2025, 3, 14)},
        {("PREFERENCE_ON_EXPIRED", "decisions[0].preference")},
    ),
    (
        "response-duplicate-item",
        "response",
        {"decisions[1].number": 1},
        {("ITEM_NUMBERS", "decisions[1].number")},
    ),
    (
        "response-negative-item",
        "response",
        {"decisions[0].number": -1},
        {("ITEM_NUMBERS", "decisions[0].number")},
    ),
    (
        "response-preference",
        "response",
        {"decisions[0].preference": "yes"},
        {("PREFERENCE_UNKNOWN", "decisions[0].preference")},
    ),
    (
        "response-refusal-without-reason",
        "response",
        {"decisions[1].reason": " "},
        {("REASON_REQUIRED", "decisions[1].reason")},
    ),
    (
        "response-future",
        "response",
        {"decision_date": date(2026, 4, 1)},
        {("DATE_FUTURE", "decision_date")},
    ),
    (
        "response-no-certificate",
        "response",
        {"certificate_id": ""},
        {("TEXT_EMPTY", "certificate_id")},
    ),
    (
        "request-country",
        "verification_request",
        {"requesting_authority.country": "ROK"},
        {("COUNTRY_UNKNOWN", "requesting_authority.country")},
    ),
    ("request-item-zero", "verification_request", {"items": (0,)}, {("ITEM_NUMBERS", "items[0]")}),
    (
        "request-items-repeated",
        "verification_request",
        {"items": (2, 2)},
        {("ITEM_NUMBERS", "items[1]")},
    ),
    (
        "request-future",
        "verification_request",
        {"request_date": date(2026, 5, 1)},
        {("DATE_FUTURE", "request_date")},
    ),
    (
        "request-before-certificate",
        "verification_request",
        {"request_date": date(2026, 3, 1)},
        {("DATE_ORDER", "request_date")},
    ),
    ("request-no-reason", "verification_request", {"reason": ""}, {("TEXT_EMPTY", "reason")}),
    (
        "reply-country",
        "verification_reply",
        {"issuing_country": "XX", "replying_authority.country": "XX"},
        {("COUNTRY_UNKNOWN", "issuing_country"), ("COUNTRY_UNKNOWN", "replying_authority.country")},
    ),
    (
        "reply-authority-elsewhere",
        "verification_reply",
        {"replying_authority.country": "KR"},
        {("AUTHORITY_COUNTRY", "replying_authority.country")},
    ),
    ("reply-result", "verification_reply", {"result": "ok"}, {("RESULT_UNKNOWN", "result")}),
    (
        "reply-finding-result",
        "verification_reply",
        {"findings[0].result": "maybe"},
        {("RESULT_UNKNOWN", "findings[0].result")},
    ),
    (
        "reply-inconsistent",
        "verification_reply",
        {"result": "confirmed"},
        {("RESULT_INCONSISTENT", "result")},
    ),
    (
        "reply-duplicate-finding",
        "verification_reply",
        {"findings[1].number": 1},
        {("ITEM_NUMBERS", "findings[1].number")},
    ),
    (
        "reply-future",
        "verification_reply",
        {"reply_date": date(2027, 1, 1)},
        {("DATE_FUTURE", "reply_date")},
    ),
    (
        "reply-no-authority-name",
        "verification_reply",
        {"replying_authority.name": ""},
        {("TEXT_EMPTY", "replying_authority.name")},
    ),
]


def _build(kind: str, edits: dict[str, Any]) -> Any:
    doc = BUILDERS[kind]()
    for path, value in edits.items():
        doc = change(doc, path, value)
    return doc


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_good_answer_has_no_problem(kind: str) -> None:
    assert problems_of(BUILDERS[kind](), today=TODAY) == []
    assert problems_of(Message(envelope=envelope(), document=BUILDERS[kind]()), today=TODAY) == []


@pytest.mark.parametrize(
    ("kind", "edits", "expected"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING]
)
def test_broken_answer_is_reported_at_its_path(
    kind: str, edits: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    assert {(p.code, p.path) for p in problems_of(_build(kind, edits), today=TODAY)} == expected


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_answer_rule_has_a_failing_case(kind: str) -> None:
    covered = {code for _, k, _, expected in FAILING if k == kind for code, _ in expected}
    assert {rule.code for rule in RULES[kind]} <= covered


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"sender.country": "Korea"}, {("COUNTRY_UNKNOWN", "envelope.sender.country")}),
        ({"receiver.country": "kr"}, {("COUNTRY_UNKNOWN", "envelope.receiver.country")}),
        ({"message_id": ""}, {("TEXT_EMPTY", "envelope.message_id")}),
        ({"receiver.system": " "}, {("TEXT_EMPTY", "envelope.receiver.system")}),
    ],
    ids=["sender-country", "receiver-country", "message-id", "receiver-system"],
)
def test_envelope_rules(edit: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    env = envelope()
    for path, value in edit.items():
        env = change(env, path, value)
    problems = problems_of(Message(envelope=env, document=good_receipt()), today=TODAY)
    assert {(p.code, p.path) for p in problems} == expected


def test_response_all_given_and_reply_all_confirmed_pass() -> None:
    given = attrs.evolve(good_response(), decisions=(ItemDecision(number=1, preference="given"),))
    confirmed = attrs.evolve(
        good_verification_reply(),
        result="confirmed",
        findings=(ItemFinding(number=1, result="confirmed"),),
    )
    received = attrs.evolve(good_receipt(), status="received", reason_code=None)
    assert (
        problems_of(given, today=TODAY)
        == problems_of(confirmed, today=TODAY)
        == problems_of(received, today=TODAY)
        == []
    )


def test_check_refuses_what_is_not_a_document() -> None:
    with pytest.raises(TypeError):
        problems_of("not a document", today=TODAY)  # type: ignore[arg-type]
