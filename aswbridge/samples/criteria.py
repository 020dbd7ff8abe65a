"""Origin criteria as each form prints them (Form D box 8, Form AK box 8, RCEP box 10).

:func:`criterion` builds the canonical :class:`~aswbridge.model.OriginCriterion` from a
criterion code and renders its ``text`` the way the form prints it:

========================  ===========  ===============  ==========
code (canonical)          Form D       Form AK          Form RCEP
========================  ===========  ===============  ==========
``WO``                    ``WO``       ``WO``           ``WO``
``WO-AK``                 –            ``WO-AK``        –
``PE``                    –            –                ``PE``
``RVC`` (40)              ``40%``      ``RVC 40%``      ``RVC``
``CC`` / ``CTH`` / ``CTSH`` as is      as is            –
``CTC``                   –            ``CTC``          ``CTC``
``CTH+RVC`` (40)          ``CTH + 40%`` ``CTH + RVC 40%`` –
``SP``                    ``SP``       ``Specific Processes`` –
``PC`` (25)               ``PC 25%``   –                –
``CR``                    –            –                ``CR``
========================  ===========  ===============  ==========

RCEP qualifiers ``ACU`` (accumulation) and ``DMI`` (de minimis) follow the code:
``CTC ACU``, ``RVC DMI``, ``CTC ACU DMI``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from aswbridge.errors import ConfigurationError
from aswbridge.model import OriginCriterion

__all__ = ["CRITERIA", "QUALIFIERS", "criterion", "render"]

_CTC = ("CC", "CTH", "CTSH")
_COMBINED = tuple(f"{c}+RVC" for c in _CTC)

#: Criterion codes each form accepts (canonical spelling).
CRITERIA: dict[str, frozenset[str]] = {
    "FORM_D": frozenset(("WO", "RVC", *_CTC, "SP", *_COMBINED, "PC")),
    "FORM_AK": frozenset(("WO", "WO-AK", "RVC", *_CTC, "CTC", "SP", *_COMBINED)),
    "FORM_RCEP": frozenset(("WO", "PE", "CTC", "RVC", "CR")),
}

#: RCEP qualifiers in print order.
QUALIFIERS = ("ACU", "DMI")

_NEEDS_PERCENT = {
    "FORM_D": frozenset(("RVC", "PC", *_COMBINED)),
    "FORM_AK": frozenset(("RVC", *_COMBINED)),
    "FORM_RCEP": frozenset(),
}
_QUALIFIABLE = frozenset(("CTC", "RVC", "CR"))


def _percent(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text}%"


def render(form: str, code: str, rvc_percent: Decimal | None, qualifiers: Iterable[str]) -> str:
    """The text ``form`` prints for a criterion (no validation; see :func:`criterion`)."""
    pct = _percent(rvc_percent) if rvc_percent is not None else ""
    if form == "FORM_RCEP":
        return " ".join((code, *qualifiers))
    if form == "FORM_D":
        if code == "RVC":
            return pct
        if code == "PC":
            return f"PC {pct}"
        if code in _COMBINED:
            return f"{code.split('+')[0]} + {pct}"
        return code
    # FORM_AK
    if code == "RVC":
        return f"RVC {pct}"
    if code in _COMBINED:
        return f"{code.split('+')[0]} + RVC {pct}"
    if code == "SP":
        return "Specific Processes"
    return code


def criterion(
    form: str,
    code: str,
    rvc_percent: Decimal | int | str | None = None,
    qualifiers: Iterable[str] = (),
) -> OriginCriterion:
    """An origin criterion for ``form`` with the text the form prints.

    ``code`` is the canonical criterion code (``WO``, ``RVC``, ``CTH+RVC``, ``PC`` ...),
    ``rvc_percent`` the regional value content where the criterion states one (required
    for Form D ``RVC``/``PC``/combinations and Form AK ``RVC``/combinations, optional for
    RCEP ``RVC``, whose form prints no percentage), ``qualifiers`` the RCEP marks
    ``ACU``/``DMI``. Raises :class:`~aswbridge.errors.ConfigurationError` for a code,
    percentage or qualifier the form does not have.

    >>> criterion("FORM_D", "CTSH+RVC", 35).text
    'CTSH + 35%'
    >>> criterion("FORM_AK", "SP").text
    'Specific Processes'
    >>> criterion("FORM_RCEP", "CTC", qualifiers=["DMI", "ACU"]).text
    'CTC ACU DMI'
    """
    allowed = CRITERIA.get(form)
    if allowed is None:
        raise ConfigurationError(f"unknown form {form!r}")
    code = code.strip().upper().replace(" ", "")
    if code not in allowed:
        raise ConfigurationError(f"{form} has no origin criterion {code!r}")
    pct = None if rvc_percent is None else Decimal(str(rvc_percent))
    if code in _NEEDS_PERCENT[form] and pct is None:
        raise ConfigurationError(f"{form} criterion {code} needs rvc_percent")
    if pct is not None:
        if code not in _NEEDS_PERCENT[form] and not (form == "FORM_RCEP" and code == "RVC"):
            raise ConfigurationError(f"{form} criterion {code} takes no rvc_percent")
        if not Decimal(0) < pct <= Decimal(100):
            raise ConfigurationError(f"rvc_percent {pct} is not in (0, 100]")
        if code == "PC" and not Decimal(20) <= pct < Decimal(40):
            raise ConfigurationError(f"partial cumulation needs 20% <= RVC < 40%, not {pct}%")
    quals = tuple(q.strip().upper() for q in qualifiers)
    if quals:
        if form != "FORM_RCEP" or code not in _QUALIFIABLE:
            raise ConfigurationError(f"{form} criterion {code} takes no qualifiers")
        unknown = set(quals) - set(QUALIFIERS)
        if unknown or len(set(quals)) != len(quals):
            raise ConfigurationError(f"bad RCEP qualifiers {quals!r}")
        quals = tuple(q for q in QUALIFIERS if q in quals)
    return OriginCriterion(
        code=code,
        text=render(form, code, pct, quals),
        rvc_percent=pct,
        qualifiers=tuple(quals),
    )
