"""aswbridge.samples.criterion: the origin criterion each form prints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aswbridge import rules
from aswbridge.errors import ConfigurationError
from aswbridge.samples import criterion
from aswbridge.samples.criteria import CRITERIA

RENDERINGS = [
    ("FORM_D", "WO", None, (), "WO"),
    ("FORM_D", "RVC", 40, (), "40%"),
    ("FORM_D", "CTH", None, (), "CTH"),
    ("FORM_D", "CTSH+RVC", 35, (), "CTSH + 35%"),
    ("FORM_D", "PC", 25, (), "PC 25%"),
    ("FORM_D", "SP", None, (), "SP"),
    ("FORM_D", "rvc", "42.5", (), "42.5%"),
    ("FORM_AK", "WO", None, (), "WO"),
    ("FORM_AK", "WO-AK", None, (), "WO-AK"),
    ("FORM_AK", "CTH", None, (), "CTH"),
    ("FORM_AK", "CTC", None, (), "CTC"),
    ("FORM_AK", "RVC", 40, (), "RVC 40%"),
    ("FORM_AK", "RVC", 45, (), "RVC 45%"),
    ("FORM_AK", "CTH + RVC", 40, (), "CTH + RVC 40%"),
    ("FORM_AK", "SP", None, (), "Specific Processes"),
    ("FORM_RCEP", "WO", None, (), "WO"),
    ("FORM_RCEP", "PE", None, (), "PE"),
    ("FORM_RCEP", "CTC", None, (), "CTC"),
    ("FORM_RCEP", "RVC", None, (), "RVC"),
    ("FORM_RCEP", "RVC", 40, (), "RVC"),
    ("FORM_RCEP", "CR", None, (), "CR"),
    ("FORM_RCEP", "CTC", None, ("ACU",), "CTC ACU"),
    ("FORM_RCEP", "CTC", None, ("DMI",), "CTC DMI"),
    ("FORM_RCEP", "RVC", None, ("ACU",), "RVC ACU"),
    ("FORM_AK", "CC+SP", None, (), "CC + Specific Processes"),
    ("FORM_D", "CTH+SP", None, (), "CTH + SP"),
    ("FORM_AK", "RVC+CTC", 45, (), "RVC 45% + CTC"),
    ("FORM_RCEP", "CTC", None, ("dmi", "ACU"), "CTC ACU DMI"),
]


@pytest.mark.parametrize(
    ("form", "code", "pct", "quals", "text"),
    RENDERINGS,
    ids=[f"{r[0]}-{r[4]}" for r in RENDERINGS],
)
def test_text_is_what_the_form_prints(
    form: str, code: str, pct: int | str | None, quals: tuple[str, ...], text: str
) -> None:
    crit = criterion(form, code, pct, quals)
    assert crit.text == text
    assert set(crit.codes) <= rules.FORM_RULES[form].all_criteria
    assert crit.rvc_percent == (None if pct is None else Decimal(str(pct)))


@pytest.mark.parametrize(
    ("form", "code"),
    [(form, code) for form, allowed in sorted(CRITERIA.items()) for code in sorted(allowed)],
)
def test_every_allowed_code_is_accepted_by_the_rules(form: str, code: str) -> None:
    pct = 30 if code == "PC" else 40
    needs = "RVC" in code or code == "PC"
    crit = criterion(form, code, pct if needs else None)
    assert crit.code in rules.FORM_RULES[form].criteria


REFUSALS = [
    ("FORM_D", "PE", None, ()),  # no PE on Form D
    ("FORM_D", "WO-AK", None, ()),
    ("FORM_D", "RVC", None, ()),  # percentage required
    ("FORM_D", "WO", 40, ()),  # no percentage on WO
    ("FORM_D", "PC", 45, ()),  # partial cumulation is below 40%
    ("FORM_D", "CTC", None, ("ACU",)),
    ("FORM_AK", "PC", 25, ()),
    ("FORM_AK", "CR", None, ()),
    ("FORM_AK", "RVC", 0, ()),
    ("FORM_RCEP", "CTH", None, ()),
    ("FORM_RCEP", "WO", None, ("ACU",)),  # ACU not on WO
    ("FORM_RCEP", "RVC", None, ("DMI",)),  # de minimis goes with CTC
    ("FORM_RCEP", "CTC+RVC", None, ()),  # RCEP prints one criterion
    ("FORM_D", "WO+RVC", 40, ()),  # WO stands alone
    ("FORM_D", "CTH+CTH", None, ()),
    ("FORM_RCEP", "CTC", None, ("XYZ",)),
    ("FORM_RCEP", "CTC", None, ("ACU", "ACU")),
    ("FORM_E", "WO", None, ()),
]


@pytest.mark.parametrize(
    ("form", "code", "pct", "quals"),
    REFUSALS,
    ids=[f"{r[0]}-{r[1]}-{r[2]}-{'+'.join(r[3])}" for r in REFUSALS],
)
def test_what_the_form_has_not_is_refused(
    form: str, code: str, pct: int | None, quals: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigurationError):
        criterion(form, code, pct, quals)
