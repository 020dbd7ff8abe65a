"""Reading numbers, dates and JSON from untrusted text: one strict form each, bounded.

A decimal costs as much as its digits: ``Decimal("1e999999999")`` is 12 characters, but
writing it out in plain notation takes a gigabyte. Every decimal that enters (XML,
canonical JSON, the model's constructors) is held to :data:`MAX_DECIMAL_DIGITS`
significant digits and to an exponent that keeps its plain notation as short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aswbridge.errors import LimitExceeded, MessageError

__all__ = [
    "MAX_DECIMAL_DIGITS",
    "MAX_JSON_DEPTH",
    "bounded_decimal",
    "canonical_date",
    "canonical_datetime",
    "canonical_decimal",
    "load_json",
    "xml_decimal",
]

#: Most digits a decimal may hold, and most places before or after its point.
MAX_DECIMAL_DIGITS = 32

#: The canonical JSON form of an amount: ASCII digits, an optional sign and fraction.
_CANONICAL_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
#: ``xs:decimal``'s lexical space (no exponent), with the spaces it collapses.
_XML_DECIMAL = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
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
    if (
        len(digits) > MAX_DECIMAL_DIGITS
        or exponent < -MAX_DECIMAL_DIGITS
        or exponent + len(digits) > MAX_DECIMAL_DIGITS
    ):
        raise LimitExceeded(
            f"a number may hold at most {MAX_DECIMAL_DIGITS} digits before and after its point",
            code="NUMBER_TOO_LONG",
            path=path,
        )
    return value


def _read(text: str, form: re.Pattern[str], what: str, path: str) -> Decimal:
    if form.fullmatch(text) is None:
        raise ValueError(f"{text[:40]!r} is not {what}")
    text = text.strip(" \t\r\n")
    if len(text) > _MAX_TEXT:
        raise LimitExceeded(
            f"a number may hold at most {MAX_DECIMAL_DIGITS} digits",
            code="NUMBER_TOO_LONG",
            path=path,
        )
    try:
        return bounded_decimal(Decimal(text), path)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{text[:40]!r} is not {what}") from None


def canonical_decimal(text: str, path: str = "") -> Decimal:
    """A canonical JSON amount: ``-?[0-9]+(\\.[0-9]+)?``, ASCII, within the caps."""
    return _read(text, _CANONICAL_DECIMAL, "a decimal written -?[0-9]+(.[0-9]+)?", path)


def xml_decimal(text: str) -> Decimal:
    """An ``xs:decimal`` (no exponent, ASCII digits), within the caps."""
    if len(text) <= MAX_DECIMAL_DIGITS and (
        (text.isascii() and text.replace(".", "", 1).isdigit())  # the usual 8820.50
        or _XML_DECIMAL.fullmatch(text) is not None
    ):
        return Decimal(text)  # at most 32 characters of that form: within every cap
    return _read(text, _XML_DECIMAL, "an xs:decimal", "")


def canonical_date(text: str) -> date:
    """A date written exactly ``YYYY-MM-DD``."""
    if _DATE.fullmatch(text) is None:
        raise ValueError(f"{text[:40]!r} is not a date written YYYY-MM-DD")
    return date.fromisoformat(text)


def canonical_datetime(text: str) -> datetime:
    """A date-time written ``YYYY-MM-DDThh:mm:ss[.ffffff]`` then ``Z`` or ``±hh:mm``."""
    if _DATETIME.fullmatch(text) is None:
        raise ValueError(
            f"{text[:40]!r} is not a date-time written YYYY-MM-DDThh:mm:ss[.ffffff](Z|±hh:mm)"
        )
    return datetime.fromisoformat(text)


#: The deepest nesting of JSON objects and lists read (a message nests five levels).
MAX_JSON_DEPTH = 32


def _invalid_json(reason: str) -> MessageError:
    return MessageError(reason, code="JSON_INVALID")


def load_json(
    data: bytes | str,
    *,
    numbers: Callable[[str], Any] | None = None,
    max_depth: int = MAX_JSON_DEPTH,
    invalid: Callable[[str], MessageError] = _invalid_json,
) -> Any:
    """Parse untrusted JSON text: no duplicate keys, no NaN, nesting within ``max_depth``.

    ``numbers`` reads every number's text (default: integers as ``int``, the rest as
    ``float``, which never raises: ``1e999`` is infinity). Raises ``invalid(reason)``
    for text that is not such JSON, and :class:`LimitExceeded` (``JSON_TOO_DEEP``) for
    deeper nesting.
    """
    try:
        parsed = json.loads(
            data,
            object_pairs_hook=_unique(invalid),
            parse_float=numbers or float,
            parse_int=numbers or int,
            parse_constant=_no_constant,
        )
    except RecursionError:
        parsed = None
    except MessageError:
        raise
    except (ValueError, ArithmeticError) as exc:
        raise invalid(f"not valid JSON: {exc}") from None
    else:
        if _depth_within(parsed, max_depth):
            return parsed
    raise LimitExceeded(f"JSON nested deeper than {max_depth} levels", code="JSON_TOO_DEEP")


def _depth_within(value: Any, limit: int) -> bool:
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            v
            for c in level
            if isinstance(c, dict | list)
            for v in (c.values() if isinstance(c, dict) else c)
        ]
        if not level:
            return True
    return False


def _unique(invalid: Callable[[str], MessageError]) -> Callable[[Any], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise invalid(f"the key {key[:80]!r} appears twice in one object")
            out[key] = value
        return out

    return hook


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
