"""Canonical JSON is read in one exact lexical form per value (and within the caps)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from aswbridge import _lexical, canonical, samples
from aswbridge.errors import LimitExceeded, MessageError

Doc = dict[str, Any]


def _doc() -> Doc:
    doc: Doc = json.loads(canonical.dumps(samples.form_ak_id_kr()))
    return doc


def _amount(value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        doc["items"][0]["fob_value"]["amount"] = value

    return change


def _date(value: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        doc["issue_date"] = value

    return change


REFUSED: list[tuple[str, Callable[[Doc], None], str, str]] = [
    ("underscore", _amount("8_820.00"), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("spaces", _amount(" 8820.00 "), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("arabic-indic-digits", _amount("٨٨٢٠.٠٠"), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("plus-sign", _amount("+8820.00"), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("exponent-string", _amount("8.82e3"), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("bare-point", _amount("8820."), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("nan", _amount("NaN"), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("huge-exponent", _amount("1e999999999"), "items[0].fob_value.amount", "CANONICAL_INVALID"),
    ("too-many-digits", _amount("1" * 33), "items[0].fob_value.amount", "NUMBER_TOO_LONG"),
    (
        "too-many-places",
        _amount("0." + "0" * 40 + "1"),
        "items[0].fob_value.amount",
        "NUMBER_TOO_LONG",
    ),
    ("date-basic-format", _date("20261005"), "issue_date", "CANONICAL_INVALID"),
    ("date-trailing-junk", _date("20261005xx"), "issue_date", "CANONICAL_INVALID"),
    ("date-week", _date("2026-W41-1"), "issue_date", "CANONICAL_INVALID"),
    ("date-arabic-indic", _date("٢٠٢٦-١٠-٠٥"), "issue_date", "CANONICAL_INVALID"),
    (
        "lone-surrogate",
        lambda d: d.__setitem__("remarks", "\ud800"),
        "remarks",
        "CANONICAL_INVALID",
    ),
    (
        "integer-as-string",
        lambda d: d["items"][0].__setitem__("number", "1"),
        "items[0].number",
        "CANONICAL_INVALID",
    ),
    (
        "integer-as-float",
        lambda d: d["items"][0].__setitem__("number", 1.0),
        "items[0].number",
        "CANONICAL_INVALID",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "code"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_value_outside_its_lexical_form_is_refused(
    change: Callable[[Doc], None], path: str, code: str
) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(MessageError) as refused:
        canonical.loads(json.dumps(doc))
    assert refused.value.code == code
    assert path in str(refused.value)


def test_a_json_number_amount_is_read_exactly() -> None:
    doc = _doc()
    text = json.dumps(doc).replace('"amount": "8820.00"', '"amount": 8820.00', 1)
    assert '"amount": 8820.00' in text
    message = canonical.loads(text)
    assert message == canonical.loads(json.dumps(doc))
    assert str(message.document.items[0].fob_value.amount) == "8820.00"  # type: ignore[union-attr]


@pytest.mark.parametrize("number", ["8.82e3", "1e999999999", "-8820.5E-1"])
def test_a_json_number_with_an_exponent_is_refused_with_a_reason(number: str) -> None:
    text = json.dumps(_doc()).replace('"amount": "8820.00"', f'"amount": {number}', 1)
    tracemalloc.start()
    try:
        with pytest.raises(MessageError, match="has an exponent: write the amount as a string"):
            canonical.loads(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_the_12_character_amount_costs_nothing() -> None:
    """``"1e999999999"`` used to cost 3 GB when written out: it is refused on reading,
    as a string, as a JSON number and as a ``Decimal`` given to ``from_dict``."""
    tracemalloc.start()
    try:
        with pytest.raises(MessageError) as refused:
            canonical.loads(json.dumps(_doc()).replace('"8820.00"', '"1e999999999"', 1))
        with pytest.raises(LimitExceeded, match="at most 32 digits"):
            canonical.from_dict(
                {
                    **_doc(),
                    "items": [
                        {
                            **_doc()["items"][0],
                            "fob_value": {"amount": Decimal("1e999999999"), "currency": "USD"},
                        }
                    ],
                }
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.path == "items[0].fob_value.amount"  # type: ignore[attr-defined]
    assert peak < 20_000_000


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"kind": "receipt", "kind": "certificate"}', "kind"),
        ('{"kind": "receipt", "envelope": {"message_id": "a", "message_id": "b"}}', "message_id"),
    ],
    ids=["top-level", "nested"],
)
def test_a_duplicate_key_is_refused(text: str, key: str) -> None:
    with pytest.raises(canonical.CanonicalError, match=f"the key '{key}' appears twice"):
        canonical.loads(text)


@pytest.mark.parametrize("depth", [33, 100_000], ids=["over-the-cap", "recursion-limit"])
def test_deep_nesting_is_refused_as_too_deep(depth: int) -> None:
    text = '{"kind": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(LimitExceeded) as refused:
        canonical.loads(text)
    assert refused.value.code == "JSON_TOO_DEEP"


def test_nesting_at_the_cap_is_parsed() -> None:
    depth = _lexical.MAX_JSON_DEPTH
    assert isinstance(_lexical.load_json("[" * depth + "]" * depth), list)
    with pytest.raises(LimitExceeded):
        _lexical.load_json("[" * (depth + 1) + "]" * (depth + 1))


def test_a_lone_surrogate_is_not_valid() -> None:
    doc = _doc()
    doc["exporter"]["name"] = "Siam \udc80 Agro"
    with pytest.raises(canonical.CanonicalError, match="lone surrogate") as refused:
        canonical.loads(json.dumps(doc))
    assert refused.value.path == "exporter.name"


def test_the_written_form_is_the_read_form() -> None:
    message = samples.form_ak_id_kr()
    doc = _doc()
    assert doc["issue_date"] == message.document.issue_date.isoformat()  # type: ignore[union-attr]
    assert canonical.loads(json.dumps(doc)) == message
