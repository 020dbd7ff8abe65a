"""The rule registry, the context a rule reads, and small helpers the rules share."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Generic, TypeGuard, TypeVar

import attrs

from aswbridge.agreements import FormRules
from aswbridge.codes import COUNTRIES, CodeList
from aswbridge.errors import Severity
from aswbridge.model import (
    Certificate,
    Envelope,
    Receipt,
    Response,
    VerificationReply,
    VerificationRequest,
)

D = TypeVar("D")

#: What a rule finds: the canonical path and a sentence.
Finding = tuple[str, str]
Finder = Callable[[D, "Context"], Iterable[Finding]]

FORMS = ("FORM_D", "FORM_AK", "FORM_RCEP")

#: A date may lie this many days after ``today`` before it counts as in the future:
#: the sender's calendar day can be ahead of ours (Seoul is UTC+9).
FUTURE_SLACK_DAYS = 1


@attrs.frozen(kw_only=True)
class Context:
    """What a rule may read besides the document: the day, the form's facts.

    ``arrival`` is the day the message was sent (its envelope's creation day), against
    which a certificate's validity is judged; ``today`` when a bare document is checked.
    """

    today: date
    spec: FormRules | None = None
    arrival: date | None = None

    @property
    def received(self) -> date:
        """The day the document reached the bridge: ``arrival``, else ``today``."""
        return self.arrival if self.arrival is not None else self.today


@attrs.frozen(kw_only=True)
class Rule(Generic[D]):
    """One business rule: a stable code, where it applies, the clause it enforces."""

    code: str
    title: str
    kind: str
    #: Forms the rule applies to; ``None`` means every document of ``kind``.
    forms: tuple[str, ...] | None
    clause: str
    severity: Severity
    find: Finder[D] = attrs.field(eq=False, repr=False)


class Registry(Generic[D]):
    """The rules of one document kind, in the order they run."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.rules: list[Rule[D]] = []

    def rule(
        self,
        code: str,
        title: str,
        *,
        clause: str,
        forms: Sequence[str] | None = None,
        severity: Severity = "error",
    ) -> Callable[[Finder[D]], Finder[D]]:
        """Register the decorated function as what rule ``code`` finds."""

        def register(find: Finder[D]) -> Finder[D]:
            self.rules.append(
                Rule(
                    code=code,
                    title=title,
                    kind=self.kind,
                    forms=None if forms is None else tuple(forms),
                    clause=clause,
                    severity=severity,
                    find=find,
                )
            )
            return find

        return register


# --- helpers the rules share -----------------------------------------------------------


def code_problem(codes: CodeList, value: object, what: str) -> str | None:
    """Why ``value`` is not an active, canonically spelled code of ``codes``; else None."""
    if type(value) is str and value in codes.codes():
        return None
    if value in codes:
        return None
    if not isinstance(value, str):
        return f"{what} {value!r} is not a code of {codes.title}"
    entry = codes.lookup(value)
    if entry is None:
        return f"{what} {value!r} is not a code of {codes.title}"
    if not entry.active:
        return f"{what} {value!r} ({entry.name}) is {entry.status} in {codes.title}"
    return f"{what} {value!r} is not written as in {codes.title}: use {entry.code!r}"


def country_problem(value: object, what: str) -> str | None:
    """:func:`code_problem` for ISO 3166-1 alpha-2."""
    return code_problem(COUNTRIES, value, what)


def is_blank(value: object) -> bool:
    """Whether a required text is missing: not a string, or only whitespace."""
    return not isinstance(value, str) or not value.strip()


_INFINITY = float("inf")


def positive(value: object) -> bool:
    """Whether ``value`` is a finite number above zero (never raises on NaN)."""
    kind = type(value)
    if kind is int:
        return value > 0  # type: ignore[operator]
    if isinstance(value, Decimal):
        return value.is_finite() and value > 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value > 0 and value == value and value != _INFINITY


def is_date(value: object) -> TypeGuard[date]:
    """Whether ``value`` is a date (and not a datetime, which does not compare with one)."""
    if type(value) is date:
        return True
    return isinstance(value, date) and not hasattr(value, "hour")


def in_future(day: object, today: date) -> bool:
    """Whether ``day`` is later than ``today`` plus the time-zone slack."""
    return is_date(day) and (day - today).days > FUTURE_SLACK_DAYS


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter (29
    February plus 12 months is 28 February); ``date.max`` past the end of the calendar.
    """
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    if year > date.max.year:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def decimals_beyond(amount: Decimal, places: int) -> bool:
    """Whether a finite ``amount`` has a non-zero digit after ``places`` decimals."""
    text = str(amount)
    if "E" not in text and "e" not in text:  # plain notation shows every decimal held
        dot = text.find(".")
        return dot >= 0 and len(text.rstrip("0")) - dot - 1 > places
    _sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or exponent >= -places:
        return False  # not finite, or no digit at all after ``places`` decimals
    zeros = 0
    for digit in reversed(digits):
        if digit:
            break
        zeros += 1
    if zeros == len(digits):
        return False
    return exponent + zeros < -places


# --- the registries ----------------------------------------------------------------------

CERTIFICATE: Registry[Certificate] = Registry("certificate")
RECEIPT: Registry[Receipt] = Registry("receipt")
RESPONSE: Registry[Response] = Registry("response")
VERIFICATION_REQUEST: Registry[VerificationRequest] = Registry("verification_request")
VERIFICATION_REPLY: Registry[VerificationReply] = Registry("verification_reply")
ENVELOPE: Registry[Envelope] = Registry("envelope")
