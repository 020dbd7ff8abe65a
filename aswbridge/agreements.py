"""What each agreement asks of its certificate of origin: the parameter table the rules read.

One :class:`FormRules` per form holds the facts the business rules (:mod:`aswbridge.rules`)
apply, so that they live in one place and read as data: the Parties and the day the
agreement entered into force for each (from ``aswbridge/codes/data/agreements.csv``),
the HS digits accepted per importing country and the HS editions, the origin-criterion
grammar (single criteria, which may be combined two by two with ``+``, which carry a
percentage, the RCEP qualifiers and Article 2.6.6 marks), the RVC thresholds, the tick
boxes and the criteria each box needs, when the FOB value is required, and the timing
facts (validity, retroactive issue, certified true copies).

>>> FORM_RULES["FORM_AK"].hs_lengths("KR"), FORM_RULES["FORM_AK"].hs_lengths("VN")
((10, 8, 6), (8, 6))
>>> FORM_RULES["FORM_RCEP"].validity_months
12
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import attrs

from aswbridge.codes import AGREEMENTS
from aswbridge.model import FLAGS

__all__ = [
    "ALL_CRITERIA",
    "ALL_QUALIFIERS",
    "FORM_RULES",
    "HS_EDITIONS_KNOWN",
    "TARIFF_DIFFERENTIALS",
    "FormRules",
]

#: HS editions a certificate may name. Only some have a shipped nomenclature
#: (:data:`aswbridge.codes.HS_EDITIONS`); codes of the others are checked for form only.
HS_EDITIONS_KNOWN = ("HS2012", "HS2017", "HS2022")

#: RCEP Article 2.6.6 marks: the importer claims the highest rate applied to the good
#: from the Parties contributing originating materials (a), or from any Party (b).
TARIFF_DIFFERENTIALS = ("2.6.6A", "2.6.6B")


@attrs.frozen(kw_only=True)
class FormRules:
    """The facts of one form the rules apply (see the module docstring)."""

    form: str
    agreement: str
    #: HS digits accepted in the HS box when the importing country has no entry in
    #: ``hs_digits_by_importer``.
    hs_digits: tuple[int, ...]
    hs_digits_by_importer: Mapping[str, tuple[int, ...]]
    hs_editions: tuple[str, ...]
    #: Origin criteria the form allows on their own.
    criteria: frozenset[str]
    #: Criteria that may be combined two by two (``CTSH + 35%``, ``CC + SP``).
    combinable: frozenset[str]
    #: Criteria that state a percentage, and whether the form prints it.
    percent_criteria: frozenset[str]
    percent_required: bool
    #: The general-rule RVC: a lower RVC as the sole criterion gets a warning.
    rvc_general: Decimal | None
    #: Partial cumulation: the RVC is at least the first and below the second.
    pc_range: tuple[Decimal, Decimal] | None
    #: Qualifier → the criteria it may follow (RCEP ``ACU``, ``DMI``).
    qualifiers: Mapping[str, frozenset[str]]
    tariff_differentials: frozenset[str]
    #: Tick boxes the form carries, and for some of them the criteria one item must
    #: use for the box to make sense.
    flags: frozenset[str]
    flag_criteria: Mapping[str, frozenset[str]]
    #: FOB is required with RVC when the exporting or importing country is one of
    #: these; ``None`` means always.
    fob_countries: frozenset[str] | None
    #: Months a certificate is valid from its issue date.
    validity_months: int
    #: Issue this many days after departure needs the "issued retroactively" mark
    #: (0: any day after departure), and no later than this many months after it.
    retroactive_after_days: int
    retroactive_limit_months: int
    #: Whether the departure date must be stated (it always must when the certificate
    #: is issued retroactively: the limit runs from it).
    departure_date_required: bool
    #: A certified true copy is certified no later than this many months after issue.
    certified_copy_months: int
    #: Who may sign the declaration (box 11; RCEP box 15).
    declarants: frozenset[str]
    #: Where these facts were read (keys of :data:`aswbridge.rules.sources.SOURCES`).
    sources: tuple[str, ...]

    @property
    def parties(self) -> Mapping[str, date]:
        """Each Party and the day the agreement entered into force for it."""
        return AGREEMENTS[self.agreement].in_force

    @property
    def members(self) -> frozenset[str]:
        """The Parties to the agreement."""
        return AGREEMENTS[self.agreement].members

    def hs_lengths(self, importing_country: object) -> tuple[int, ...]:
        """The HS digits accepted on a certificate for ``importing_country``."""
        if isinstance(importing_country, str):
            return self.hs_digits_by_importer.get(importing_country, self.hs_digits)
        return self.hs_digits

    @property
    def all_criteria(self) -> frozenset[str]:
        """Every criterion the form knows, alone or combined."""
        return self.criteria | self.combinable


def _set(*values: str) -> frozenset[str]:
    return frozenset(values)


_CTC = ("CC", "CTH", "CTSH")

FORM_RULES: Mapping[str, FormRules] = {
    "FORM_D": FormRules(
        form="FORM_D",
        agreement="ATIGA",
        # Box 7 and note 6: the AHTN code of the importing Member State (8 digits).
        hs_digits=(8, 6),
        hs_digits_by_importer={},
        hs_editions=("HS2017", "HS2022"),
        # Note 3: WO; the RVC percentage; CC, CTH or CTSH; SP; the actual combination
        # (e.g. "CTSH + 35%"); PC x% for partial cumulation.
        criteria=_set("WO", "RVC", *_CTC, "SP", "PC"),
        combinable=_set("RVC", *_CTC, "SP"),
        percent_criteria=_set("RVC", "PC"),
        percent_required=True,
        rvc_general=Decimal(40),
        pc_range=(Decimal(20), Decimal(40)),
        qualifiers={},
        tariff_differentials=frozenset(),
        flags=frozenset(FLAGS),
        # Note 15 (accumulation: originating materials of another Member State used),
        # note 16 (partial cumulation: PC), note 17 (de minimis: a change in tariff
        # classification not met by at most 10% of FOB).
        flag_criteria={
            "accumulation": _set("RVC", *_CTC, "SP", "PC"),
            "de_minimis": _set(*_CTC),
            "partial_cumulation": _set("PC"),
        },
        # Note 10: FOB only for goods exported from or imported by KH, ID or LA.
        fob_countries=_set("KH", "ID", "LA"),
        validity_months=12,
        retroactive_after_days=3,
        retroactive_limit_months=12,
        departure_date_required=False,
        certified_copy_months=12,
        # Note 7: the "exporter" of box 11 may include the manufacturer or producer.
        declarants=_set("exporter", "producer"),
        sources=("A7", "A8", "TN", "MD"),
    ),
    "FORM_AK": FormRules(
        form="FORM_AK",
        agreement="AKFTA",
        # Box 7: the HS number of the importing country; Korea's tariff (HSK) has 10
        # digits (its 8-digit level is accepted too), the ASEAN tariffs (AHTN) 8.
        hs_digits=(8, 6),
        hs_digits_by_importer={"KR": (10, 8, 6)},
        hs_editions=("HS2017", "HS2022"),
        # Note 3: WO, WO-AK, CTH or RVC 40%, CTC, RVC nn%, combinations ("CTH + RVC
        # 40%"), Specific Processes; TradeNet also takes CC and CTSH.
        criteria=_set("WO", "WO-AK", *_CTC, "CTC", "RVC", "SP"),
        combinable=_set(*_CTC, "CTC", "RVC", "SP"),
        percent_criteria=_set("RVC"),
        percent_required=True,
        rvc_general=Decimal(40),
        pc_range=None,
        qualifiers={},
        tariff_differentials=frozenset(),
        flags=_set("third_country_invoicing", "exhibition", "back_to_back", "issued_retroactively"),
        flag_criteria={},
        fob_countries=None,
        validity_months=12,
        retroactive_after_days=3,
        retroactive_limit_months=12,
        departure_date_required=False,
        certified_copy_months=12,
        declarants=_set("exporter"),
        sources=("AK", "TN", "MD"),
    ),
    "FORM_RCEP": FormRules(
        form="FORM_RCEP",
        agreement="RCEP",
        # Annex 3B 1(d): the HS code of the goods at the six-digit level.
        hs_digits=(6,),
        hs_digits_by_importer={},
        # Annex 3A was written in HS2012 and transposed (Art. 3.34).
        hs_editions=("HS2012", "HS2017", "HS2022"),
        criteria=_set("WO", "PE", "CTC", "RVC", "CR"),
        combinable=frozenset(),
        percent_criteria=_set("RVC"),
        percent_required=False,
        rvc_general=None,
        pc_range=None,
        # TradeNet Annex A: ACU after RVC, CTC (and the other non-WO criteria); DMI
        # after CTC: de minimis relaxes a change in tariff classification (Art. 3.7).
        qualifiers={"ACU": _set("PE", "CTC", "RVC", "CR"), "DMI": _set("CTC")},
        tariff_differentials=frozenset(TARIFF_DIFFERENTIALS),
        flags=_set("back_to_back", "third_country_invoicing", "issued_retroactively"),
        flag_criteria={},
        fob_countries=None,
        validity_months=12,
        # Art. 3.17.8: a certificate not issued at the time of shipment is issued
        # retroactively, no later than one year after shipment.
        retroactive_after_days=0,
        retroactive_limit_months=12,
        # Annex 3B 1(j): details identifying the consignment include the departure date.
        departure_date_required=True,
        certified_copy_months=12,
        # Annex 3B 1(g), box 15: declaration by the exporter or producer.
        declarants=_set("exporter", "producer"),
        sources=("RCEP", "TN", "MD"),
    ),
}

#: Every criterion some form allows (the reference schemas' enumeration).
ALL_CRITERIA: tuple[str, ...] = tuple(
    sorted(set().union(*(r.all_criteria for r in FORM_RULES.values())))
)
#: Every qualifier some form allows.
ALL_QUALIFIERS: tuple[str, ...] = tuple(
    sorted(set().union(*(r.qualifiers for r in FORM_RULES.values())))
)
