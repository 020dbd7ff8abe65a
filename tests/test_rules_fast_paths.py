"""The rules' fast paths decide exactly as the plain definitions they replace."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aswbridge import codes
from aswbridge.rules._base import decimals_beyond, in_future, is_date, positive


def _beyond_by_digits(amount: Decimal, places: int) -> bool:
    _sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        return False
    zeros = 0
    for digit in reversed(digits):
        if digit:
            break
        zeros += 1
    if zeros == len(digits):
        return False
    return exponent + zeros < -places


@given(
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.integers(min_value=0, max_value=4),
)
def test_decimals_beyond_agrees_with_the_digit_count(amount: Decimal, places: int) -> None:
    assert decimals_beyond(amount, places) == _beyond_by_digits(amount, places)


@pytest.mark.parametrize(
    ("text", "places", "beyond"),
    [
        ("8820.00", 2, False),
        ("1.005", 2, True),
        ("1.0050", 3, False),
        ("1E-7", 6, True),
        ("1E+3", 0, False),
        ("-0.10", 0, True),
        ("0.000", 0, False),
    ],
)
def test_decimals_beyond_examples(text: str, places: int, beyond: bool) -> None:
    assert decimals_beyond(Decimal(text), places) is beyond
    with localcontext() as ctx:
        ctx.capitals = 0  # str() then writes a lower-case exponent
        assert decimals_beyond(Decimal(text), places) is beyond


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, True),
        (0, False),
        (-1, False),
        (True, False),
        (Decimal("0.01"), True),
        (Decimal("NaN"), False),
        (Decimal("Infinity"), False),
        (float("inf"), False),
        (float("nan"), False),
        (2.5, True),
        ("5", False),
        (None, False),
    ],
    ids=repr,
)
def test_positive(value: object, expected: bool) -> None:
    assert positive(value) is expected


def test_dates_and_the_future_edge() -> None:
    today = date(2026, 5, 1)
    assert is_date(today) and not is_date(datetime(2026, 5, 1))
    assert not in_future(today + timedelta(days=1), today)
    assert in_future(today + timedelta(days=2), today)
    assert not in_future(date.max, date.max)


def test_hs_subheadings_is_the_union_of_the_editions() -> None:
    union = codes.hs_subheadings()
    assert union == frozenset().union(*(codes.HS[e].codes() for e in codes.HS_EDITIONS))
    assert "851713" in union and "847130" in union


def test_future_invoice_dates_are_found_near_date_max() -> None:
    from aswbridge import rules, samples

    message = samples.one_item()
    found = rules.problems_of(message, today=date.max)
    assert not [p for p in found if p.code == "DATE_FUTURE"]
    early = rules.problems_of(message, today=date(2000, 1, 1))
    paths = {p.path for p in early if p.code == "DATE_FUTURE"}
    assert "items[0].invoices[0].date" in paths and "issue_date" in paths
