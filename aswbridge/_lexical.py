"""Reading numbers and dates from untrusted text: one strict form each, bounded digits.

A decimal costs as much as its digits: ``Decimal("1e999999999")`` is 12 characters, but
writing it out in plain notation takes a gigabyte. Every decimal that enters (XML,
canonical JSON, the model's constructors) is held to :data:`MAX_DECIMAL_DIGITS`
significant digits and to an exponent that keeps its plain notation as short.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from aswbridge.errors import LimitExceeded

__all__ = [
    "MAX_DECIMAL_DIGITS",
    "bounded_decimal",
    "canonical_date",
    "canonical_datetime",
    "canonical_decimal",
    "xml_decimal",
]

#: Most digits a decimal may hold, and most places before or after its point.
MAX_DECIMAL_DIGITS = 32

#: The canonical JSON form of an amount: ASCII digits, an optional sign and fraction.
_CANONICAL_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
#: ``xs:decimal``'s lexical space (no exponent), with the spaces it collapses.
_XML_DECIMAL = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*",
                          re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})", re.ASCII)
#: Longer text cannot be a decimal within the caps (digits, sign, point).
_MAX_TEXT = 2 * MAX_DECIMAL_DIGITS + 2


def bounded_decimal(value: Decimal, path: str = "") -> Decimal:
    """``value`` if it is within the digit caps (or not finite), else :class:`LimitExceeded`.

    NaN and infinities pass: the business rules report them at their path.
    """
    if not value.is_finite():
        return value
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if (len(digits) > MAX_DECIMAL_DIGITS or exponent < -MAX_DECIMAL_DIGITS
            or exponent + len(digits) > MAX_DECIMAL_DIGITS):
        raise LimitExceeded(
            f"a number may hold at most {MAX_DECIMAL_DIGITS} digits before and after "
            "its point", code="NUMBER_TOO_LONG", path=path)
    return value


def _read(text: str, form: re.Pattern[str], what: str, path: str) -> Decimal:
    if form.fullmatch(text) is None:
        raise ValueError(f"{text[:40]!r} is not {what}")
    text = text.strip(" \t\r\n")
    if len(text) > _MAX_TEXT:
        raise LimitExceeded(f"a number may hold at most {MAX_DECIMAL_DIGITS} digits",
                            code="NUMBER_TOO_LONG", path=path)
    try:
        return bounded_decimal(Decimal(text), path)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{text[:40]!r} is not {what}") from None


def canonical_decimal(text: str, path: str = "") -> Decimal:
    """A canonical JSON amount: ``-?[0-9]+(\\.[0-9]+)?``, ASCII, within the caps."""
    return _read(text, _CANONICAL_DECIMAL, "a decimal written -?[0-9]+(.[0-9]+)?", path)


def xml_decimal(text: str) -> Decimal:
    """An ``xs:decimal`` (no exponent, ASCII digits), within the caps."""
    return _read(text, _XML_DECIMAL, "an xs:decimal", "")


def canonical_date(text: str) -> date:
    """A date written exactly ``YYYY-MM-DD``."""
    if _DATE.fullmatch(text) is None:
        raise ValueError(f"{text[:40]!r} is not a date written YYYY-MM-DD")
    return date.fromisoformat(text)


def canonical_datetime(text: str) -> datetime:
    """A date-time written ``YYYY-MM-DDThh:mm:ss[.ffffff]`` then ``Z`` or ``±hh:mm``."""
    if _DATETIME.fullmatch(text) is None:
        raise ValueError(f"{text[:40]!r} is not a date-time written "
                         "YYYY-MM-DDThh:mm:ss[.ffffff](Z|±hh:mm)")
    return datetime.fromisoformat(text)
