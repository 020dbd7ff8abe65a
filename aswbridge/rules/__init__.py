"""Business rules: what a certificate (and each answer) must satisfy beyond its schema.

:func:`problems_of` takes a :class:`~aswbridge.model.Message` or a bare document and returns
a list of :class:`~aswbridge.errors.Problem`, each with a stable ``code``, the
canonical ``path`` of the field at fault (``items[3].hs.code``), a sentence and a
``severity``. Certificates get every rule of their form; receipts, responses and
verification requests and replies get their own small sets; a message's envelope is
checked too. :func:`validate` raises :class:`~aswbridge.errors.ValidationFailed` when
any problem is an error.

Rules are data: each is a :class:`Rule` in :data:`RULES` with the clause it enforces,
and ``python -m aswbridge.rules --markdown`` prints the table kept in ``docs/rules.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from aswbridge.agreements import FORM_RULES, FormRules
from aswbridge.errors import Problem, ValidationFailed
from aswbridge.model import KIND_OF, Certificate, Document, Message
from aswbridge.rules import answers, criteria, dates_flags, header, items  # noqa: F401  (registration)
from aswbridge.rules._base import (
    CERTIFICATE,
    ENVELOPE,
    FORMS,
    FUTURE_SLACK_DAYS,
    RECEIPT,
    RESPONSE,
    VERIFICATION_REPLY,
    VERIFICATION_REQUEST,
    Context,
    Rule,
)

__all__ = [
    "FORMS",
    "FORM_RULES",
    "FUTURE_SLACK_DAYS",
    "RULES",
    "FormRules",
    "Rule",
    "problems_of",
    "validate",
]

# Certificate rules run (and are documented) theme by theme: header and parties, items,
# origin criteria, dates and flags.
_THEMES = ("header", "items", "criteria", "dates_flags")
CERTIFICATE.rules.sort(key=lambda r: _THEMES.index(r.find.__module__.rsplit(".", 1)[-1]))

#: Every rule by the kind of object it checks, in the order they run.
RULES: Mapping[str, tuple[Rule[Any], ...]] = {
    registry.kind: tuple(registry.rules)
    for registry in (
        CERTIFICATE,
        RECEIPT,
        RESPONSE,
        VERIFICATION_REQUEST,
        VERIFICATION_REPLY,
        ENVELOPE,
    )
}

_BY_FORM: dict[str, tuple[Rule[Certificate], ...]] = {
    form: tuple(r for r in CERTIFICATE.rules if r.forms is None or form in r.forms)
    for form in FORMS
}
_ANY_FORM: tuple[Rule[Certificate], ...] = tuple(r for r in CERTIFICATE.rules if r.forms is None)


def _run(rules: Iterable[Rule[Any]], obj: object, ctx: Context, out: list[Problem]) -> None:
    for rule in rules:
        for path, message in rule.find(obj, ctx):
            out.append(Problem(code=rule.code, path=path, message=message, severity=rule.severity))


def problems_of(obj: Message | Document, *, today: date | None = None) -> list[Problem]:
    """Return every problem of a message or document, errors and warnings alike.

    ``today`` is the day dates are judged against (default: :meth:`date.today`); pass
    it to make a check reproducible. A message's validity is judged on the day it was
    sent (its envelope's ``created_at``), a bare document's on ``today``.
    """
    day = today if today is not None else date.today()
    problems: list[Problem] = []
    document: object = obj
    arrival = None
    if isinstance(obj, Message):
        _run(RULES["envelope"], obj.envelope, Context(today=day), problems)
        document = obj.document
        created = obj.envelope.created_at
        arrival = created.date() if isinstance(created, datetime) else None
    if isinstance(document, Certificate):
        form = document.form
        spec = FORM_RULES.get(form) if isinstance(form, str) else None
        rules: Sequence[Rule[Any]] = _BY_FORM[form] if spec is not None else _ANY_FORM
        _run(rules, document, Context(today=day, spec=spec, arrival=arrival), problems)
        return problems
    kind = KIND_OF.get(type(document))
    if kind is None:
        raise TypeError(f"cannot check a {type(document).__name__}")
    _run(RULES[kind], document, Context(today=day, arrival=arrival), problems)
    return problems


def validate(obj: Message | Document, *, today: date | None = None) -> list[Problem]:
    """Check ``obj``; raise :class:`ValidationFailed` if any problem is an error.

    Returns the warnings (possibly none) when there is no error.
    """
    problems = problems_of(obj, today=today)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValidationFailed(errors)
    return problems
