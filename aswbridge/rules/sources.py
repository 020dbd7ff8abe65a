"""Where each rule's clause was read: the sources cited in ``docs/rules.md``.

A rule names its clause in words (``RCEP Art. 3.16``); :func:`sources_of` finds the
texts that clause comes from by the names it uses, so that every rule shows both the
clause and the text it was read in.
"""

from __future__ import annotations

from typing import Any

#: Source key → (the words in a clause that cite it, the reference in full).
SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "A7": (
        ("ATIGA Annex 7",),
        "ASEAN Trade in Goods Agreement (2009), Annex 7: Form D and its overleaf notes "
        "(ASEAN Secretariat).",
    ),
    "A8": (
        ("ATIGA Annex 8", "ATIGA Art.", "ATIGA (in force"),
        "ASEAN Trade in Goods Agreement (2009), its articles and Annex 8, Operational "
        "Certification Procedures; Rule 10 (issue within three days of shipment, "
        "retroactive issue up to one year) as quoted in the Parties' publications.",
    ),
    "AK": (
        ("Form AK", "AKFTA"),
        "AKFTA Rules of Origin (Annex 3) and Form AK with its overleaf notes, as published "
        "in Singapore's Customs (Origin of Goods) Regulations, Schedule 11 "
        "(https://sso.agc.gov.sg/SL/CA1960-OR4).",
    ),
    "RCEP": (
        ("RCEP",),
        "Regional Comprehensive Economic Partnership Agreement (2020): Chapter 2 (Art. 2.6 "
        "tariff differentials), Chapter 3 (Art. 3.4, 3.7, 3.16 to 3.19, 3.22, 3.26, 3.34) "
        "and Annex 3B (minimum information requirements), with the Form RCEP boxes.",
    ),
    "TN": (
        ("TradeNet",),
        "Singapore Customs, Handbook on Certificates of Origin (TradeNet fields and Annex "
        "A: the origin-criterion lines accepted per certificate type, incl. RCEP 2.6.6a/b "
        "marks, ACU/DMI and AKFTA 'SPECIFIC PROCESSES').",
    ),
    "MD": (
        ("minor-discrepancy", "minor discrepancies"),
        "ASEAN matrix of minor discrepancies in proofs of origin (36th meeting of the "
        "Sub-Committee on ASEAN Rules of Origin, June 2021), and RCEP Art. 3.26.",
    ),
    "ISO": (
        ("ISO 3166", "ISO 4217"),
        "ISO 3166-1 (country codes) and ISO 4217 (currency codes, minor units), as shipped "
        "in `aswbridge/codes/data` (see its README).",
    ),
    "UNECE": (
        ("UN/ECE", "UNTDID"),
        "UN/ECE Recommendations 19, 20 and 21 and UNTDID 1225, as shipped in "
        "`aswbridge/codes/data`.",
    ),
    "HS": (
        ("HS 2017", "HS2017"),
        "WCO Harmonized System nomenclature, 2017 and 2022 editions (subheading lists "
        "shipped in `aswbridge/codes/data`).",
    ),
    "MODEL": (
        ("canonical model",),
        "The aswbridge canonical model (`aswbridge.model`, docs/concepts.md): what the "
        "bridge itself requires to carry a message losslessly.",
    ),
}


def sources_of(rule: Any) -> tuple[str, ...]:
    """The keys of :data:`SOURCES` a rule's clause cites, in table order."""
    clause = rule.clause
    return tuple(key for key, (words, _) in SOURCES.items() if any(w in clause for w in words))
