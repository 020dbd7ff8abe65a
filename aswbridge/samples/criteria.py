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
``CC+SP``                 ``CC + SP``  ``CC + Specific Processes`` –
``SP``                    ``SP``       ``Specific Processes`` –
``PC`` (25)               ``PC 25%``   –                –
``CR``                    –            –                ``CR``
========================  ===========  ===============  ==========

A combination ``X+Y`` becomes ``code=X, combined_with=Y``. RCEP qualifiers ``ACU``
(accumulation) and ``DMI`` (de minimis) follow the code, then the Article 2.6.6 mark:
``CTC ACU``, ``CTC ACU DMI``, ``RVC ACU 2.6.6B``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from aswbridge.agreements import FORM_RULES
from aswbridge.errors import ConfigurationError
from aswbridge.model import OriginCriterion

__all__ = ["CRITERIA", "QUALIFIERS", "criterion", "render"]

#: Criterion codes each form accepts on their own (canonical spelling).
CRITERIA: dict[str, frozenset[str]] = {form: r.criteria for form, r in FORM_RULES.items()}

#: RCEP qualifiers in print order.
QUALIFIERS = ("ACU", "DMI")

_SPELLED = {"FORM_AK": {"SP": "Specific Processes"}}


def _percent(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text}%"


def render(
    form: str,
    codes: Iterable[str],
    rvc_percent: Decimal | None,
    qualifiers: Iterable[str] = (),
    tariff_differential: str | None = None,
) -> str:
    """The text ``form`` prints for a criterion (no validation; see :func:`criterion`)."""
    parts = tuple(codes)
    if form == "FORM_RCEP":
        mark = (tariff_differential,) if tariff_differential else ()
        return " ".join((*parts, *qualifiers, *mark))
    pct = _percent(rvc_percent) if rvc_percent is not None else ""
    spelled = _SPELLED.get(form, {})
    words = []
    for code in parts:
        if code == "RVC":
            words.append(pct if form == "FORM_D" else f"RVC {pct}")
        elif code == "PC":
            words.append(f"PC {pct}")
        else:
            words.append(spelled.get(code, code))
    return " + ".join(words)


def criterion(
    form: str,
    code: str,
    rvc_percent: Decimal | int | str | None = None,
    qualifiers: Iterable[str] = (),
    tariff_differential: str | None = None,
) -> OriginCriterion:
    """An origin criterion for ``form`` with the text the form prints.

    ``code`` is a criterion (``WO``, ``RVC``, ``PC`` ...) or a combination of two
    (``CTH+RVC``, ``CC+SP``), ``rvc_percent`` the regional value content where the
    criterion states one (required for Form D and AK ``RVC``/``PC``, alone or combined;
    optional for RCEP ``RVC``, whose form prints no percentage), ``qualifiers`` the RCEP
    marks ``ACU``/``DMI`` and ``tariff_differential`` the RCEP Article 2.6.6 mark.
    Raises :class:`~aswbridge.errors.ConfigurationError` for what the form does not have.

    >>> criterion("FORM_D", "CTSH+RVC", 35).text
    'CTSH + 35%'
    >>> criterion("FORM_AK", "CC+SP").text
    'CC + Specific Processes'
    >>> criterion("FORM_RCEP", "RVC", qualifiers=["ACU"], tariff_differential="2.6.6B").text
    'RVC ACU 2.6.6B'
    """
    spec = FORM_RULES.get(form)
    if spec is None:
        raise ConfigurationError(f"unknown form {form!r}")
    parts = tuple(code.strip().upper().replace(" ", "").split("+"))
    if len(parts) == 1:
        if parts[0] not in spec.criteria:
            raise ConfigurationError(f"{form} has no origin criterion {parts[0]!r}")
    elif len(parts) > 2 or parts[0] == parts[1] or not set(parts) <= spec.combinable:
        raise ConfigurationError(f"{form} has no combination {code!r}")
    with_percent = [p for p in parts if p in spec.percent_criteria]
    pct = None if rvc_percent is None else Decimal(str(rvc_percent))
    if with_percent and spec.percent_required and pct is None:
        raise ConfigurationError(f"{form} criterion {code} needs rvc_percent")
    if pct is not None:
        if not with_percent:
            raise ConfigurationError(f"{form} criterion {code} takes no rvc_percent")
        if not Decimal(0) < pct <= Decimal(100):
            raise ConfigurationError(f"rvc_percent {pct} is not in (0, 100]")
        low_high = spec.pc_range
        if "PC" in parts and low_high is not None and not low_high[0] <= pct < low_high[1]:
            raise ConfigurationError(f"partial cumulation needs 20% <= RVC < 40%, not {pct}%")
    quals = tuple(q.strip().upper() for q in qualifiers)
    for q in quals:
        if parts[0] not in spec.qualifiers.get(q, ()):
            raise ConfigurationError(f"{form} criterion {code} takes no qualifier {q!r}")
    if len(set(quals)) != len(quals):
        raise ConfigurationError(f"repeated RCEP qualifiers {quals!r}")
    quals = tuple(q for q in QUALIFIERS if q in quals)
    mark = None if tariff_differential is None else tariff_differential.strip().upper()
    if mark is not None and mark not in spec.tariff_differentials:
        raise ConfigurationError(f"{form} has no tariff-differential mark {mark!r}")
    return OriginCriterion(
        code=parts[0],
        text=render(form, parts, pct, quals, mark),
        rvc_percent=pct,
        combined_with=parts[1] if len(parts) == 2 else None,
        qualifiers=quals,
        tariff_differential=mark,
    )
