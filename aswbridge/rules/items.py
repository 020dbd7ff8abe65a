"""Goods items (boxes 5 to 10; RCEP 6 to 13): numbering, codes, quantities, HS, FOB."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from aswbridge.agreements import HS_EDITIONS_KNOWN
from aswbridge.codes import (
    CURRENCIES,
    HS,
    HS_EDITIONS,
    PACKAGES,
    TRANSPORT_MODES,
    UNITS,
    CodeList,
    Entry,
    hs_subheadings,
)
from aswbridge.model import Certificate
from aswbridge.rules._base import (
    CERTIFICATE,
    FORMS,
    Context,
    Finding,
    code_problem,
    decimals_beyond,
    positive,
)


@CERTIFICATE.rule(
    "NO_ITEMS",
    "The certificate lists at least one goods item.",
    clause="ATIGA Annex 7 boxes 5–10; Form AK boxes 5–10; RCEP Annex 3B boxes 6–13",
)
def has_items(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    if not cert.items:
        yield "items", "the certificate has no goods items"


@CERTIFICATE.rule(
    "ITEM_NUMBERS",
    "Item numbers run 1..n, unique and in order.",
    clause="ATIGA Annex 7 box 5 and note 9 (items refused one by one); Form AK box 5; "
    "RCEP Annex 3B box 6",
)
def item_numbers(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    seen: set[object] = set()
    for i, item in enumerate(cert.items):
        number = item.number
        if number != i + 1:
            if number in seen:
                why = f"item number {number!r} is used twice"
            else:
                why = f"item number {number!r} is out of sequence"
            yield f"items[{i}].number", f"{why}; expected {i + 1}"
        seen.add(number)


@CERTIFICATE.rule(
    "QUANTITY_NOT_POSITIVE",
    "Every gross weight or other quantity is a finite number above zero.",
    clause="ATIGA Annex 7 box 9; Form AK box 9; RCEP Annex 3B box 12",
)
def quantities_positive(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        if not positive(item.quantity.value):
            yield f"items[{i}].quantity.value", f"quantity {item.quantity.value} is not above zero"


@CERTIFICATE.rule(
    "PACKAGE_COUNT_NOT_POSITIVE",
    "A stated number of packages is above zero.",
    clause="ATIGA Annex 7 box 7; Form AK box 7; RCEP Annex 3B box 8",
)
def package_counts_positive(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        if item.packages is not None and not positive(item.packages.count):
            yield (
                f"items[{i}].packages.count",
                f"{item.packages.count!r} packages is not above zero",
            )


def _retired(codes: CodeList, value: object) -> Entry | None:
    """The entry of a code its list still has but no longer recommends, else None."""
    entry = codes.lookup(value) if isinstance(value, str) else None
    return entry if entry is not None and entry.code == value and not entry.active else None


@attrs.frozen(kw_only=True)
class CodedField:
    """A field whose values come from a code list: one row of the code-list rules.

    Each row makes a rule ``unknown`` (an error: a value the list does not have, or not
    spelled as there) and, with ``deprecated``, a rule for values the list still has but
    no longer recommends (a warning, and then not an error).
    """

    codes: CodeList
    what: str
    path: str
    """The canonical path, ``{}`` standing for the item's index."""
    values: Callable[[Certificate], Iterable[tuple[int, object]]]
    unknown: tuple[str, str, str]
    """(code, title, clause) of the error rule."""
    deprecated: tuple[str, str, str] | None = None
    """(code, title, clause) of the warning rule for retired codes."""


def _items(field: Callable[[Any], object]) -> Callable[[Certificate], Iterator[tuple[int, object]]]:
    return lambda cert: ((i, field(item)) for i, item in enumerate(cert.items))


_DISCREPANCY = "RCEP Art. 3.26 (minor discrepancies disregarded); ASEAN minor-discrepancy matrix"

CODED_FIELDS: tuple[CodedField, ...] = (
    CodedField(
        codes=UNITS,
        what="unit",
        path="items[{}].quantity.unit",
        values=_items(lambda item: item.quantity.unit),
        unknown=(
            "UNIT_UNKNOWN",
            "Quantity units are UN/ECE Rec 20 codes (or X + a Rec 21 package code), spelled "
            "as there.",
            "UN/ECE Rec 20 Rev 17, introduction note 2; canonical model: `items[].quantity.unit`",
        ),
        deprecated=(
            "UNIT_DEPRECATED",
            "A deprecated or deleted Rec 20 unit is a minor discrepancy (a warning): the "
            "quantity still identifies the goods.",
            f"{_DISCREPANCY} (SC-AROO 2021: unit of measure); UN/ECE Rec 20 status column",
        ),
    ),
    CodedField(
        codes=PACKAGES,
        what="package kind",
        path="items[{}].packages.kind",
        values=lambda cert: (
            (i, item.packages.kind) for i, item in enumerate(cert.items) if item.packages
        ),
        unknown=(
            "PACKAGE_UNKNOWN",
            "Package kinds are UN/ECE Rec 21 codes, spelled as there.",
            "UN/ECE Rec 21 Rev 12 Annex VI; canonical model: `items[].packages.kind`",
        ),
        deprecated=(
            "PACKAGE_DEPRECATED",
            "A deleted Rec 21 package code is a minor discrepancy (a warning).",
            f"{_DISCREPANCY} (SC-AROO 2021); UN/ECE Rec 21 status column",
        ),
    ),
    CodedField(
        codes=TRANSPORT_MODES,
        what="transport mode",
        path="transport.mode",
        values=lambda cert: [(0, cert.transport.mode)] if cert.transport.mode is not None else [],
        unknown=(
            "TRANSPORT_MODE_UNKNOWN",
            "The transport mode, where stated, is a UN/ECE Rec 19 code.",
            "UN/ECE Rec 19; canonical model: `transport.mode`",
        ),
    ),
    CodedField(
        codes=CURRENCIES,
        what="currency",
        path="items[{}].fob_value.currency",
        values=lambda cert: (
            (i, item.fob_value.currency)
            for i, item in enumerate(cert.items)
            if item.fob_value is not None
        ),
        unknown=(
            "CURRENCY_UNKNOWN",
            "FOB currencies are active ISO 4217 codes.",
            "ISO 4217 List One; canonical model: `items[].fob_value.currency`",
        ),
    ),
)


def _known(row: CodedField) -> Callable[[Certificate, Context], Iterator[Finding]]:
    def find(cert: Certificate, ctx: Context) -> Iterator[Finding]:
        active = row.codes.codes()
        for i, value in row.values(cert):
            if type(value) is str and value in active:
                continue
            if row.deprecated is not None and _retired(row.codes, value):
                continue  # the warning rule reports it
            problem = code_problem(row.codes, value, row.what)
            if problem:
                yield row.path.format(i), problem

    return find


def _deprecated(row: CodedField) -> Callable[[Certificate, Context], Iterator[Finding]]:
    def find(cert: Certificate, ctx: Context) -> Iterator[Finding]:
        active = row.codes.codes()
        for i, value in row.values(cert):
            if type(value) is str and value in active:
                continue
            entry = _retired(row.codes, value)
            if entry is not None:
                yield (
                    row.path.format(i),
                    f"{row.what} {value!r} ({entry.name}) is {entry.status} in {row.codes.title}",
                )

    return find


for _row in CODED_FIELDS:
    _code, _title, _clause = _row.unknown
    CERTIFICATE.rule(_code, _title, clause=_clause)(_known(_row))
    if _row.deprecated is not None:
        _code, _title, _clause = _row.deprecated
        CERTIFICATE.rule(_code, _title, clause=_clause, severity="warning")(_deprecated(_row))


@CERTIFICATE.rule(
    "FOB_NOT_POSITIVE",
    "A stated FOB value is a finite amount above zero.",
    clause="ATIGA Annex 7 box 9; Form AK box 9; RCEP Annex 3B box 12",
)
def fob_positive(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        if item.fob_value is not None and not positive(item.fob_value.amount):
            yield (
                f"items[{i}].fob_value.amount",
                f"FOB value {item.fob_value.amount} is not above zero",
            )


_MINOR_UNITS: dict[str, int | None] = {}


def _minor_units(currency: str) -> int | None:
    """The ISO 4217 minor units of an active currency code (``None`` when not stated)."""
    try:
        return _MINOR_UNITS[currency]
    except KeyError:
        entry = CURRENCIES.lookup(currency)
        column = entry.row.get("minor_units", "") if entry else ""
        places = _MINOR_UNITS[currency] = int(column) if column.isdigit() else None
        return places


@CERTIFICATE.rule(
    "FOB_PRECISION",
    "A FOB value has no more decimals than its currency's minor unit (a warning: a "
    "minor discrepancy, e.g. KRW 1234.50).",
    clause="ISO 4217 minor units; RCEP Art. 3.26 (minor discrepancies disregarded); ASEAN "
    "minor-discrepancy matrix (SC-AROO 2021)",
    severity="warning",
)
def fob_precision(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    active = CURRENCIES.codes()
    for i, item in enumerate(cert.items):
        money = item.fob_value
        if money is None or not positive(money.amount):
            continue
        currency = money.currency
        known = isinstance(currency, str) and currency in active
        places = _minor_units(currency) if known else None
        if places is not None and decimals_beyond(money.amount, places):
            yield (
                f"items[{i}].fob_value.amount",
                f"FOB value {money.amount} has more than {places} decimal(s) for {money.currency}",
            )


@CERTIFICATE.rule(
    "HS_FORMAT",
    "HS codes are digits only, as many as the importing country's tariff has (parameter "
    "*HS digits*: AHTN 8 or HS 6; for Korea on Form AK, HSK 10; RCEP HS 6).",
    forms=FORMS,
    clause="ATIGA Annex 7 box 7 and note 6 (AHTN of the importing Member State); Form AK "
    "box 7 (HS number of the importing country); RCEP Annex 3B 1(d) and box 9 (six-digit)",
)
def hs_format(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    spec = ctx.spec
    if spec is None:
        return
    lengths = spec.hs_lengths(cert.importing_country)
    for i, item in enumerate(cert.items):
        code = item.hs.code
        if not (isinstance(code, str) and code.isascii() and code.isdigit()):
            yield f"items[{i}].hs.code", f"HS code {code!r} is not all digits"
        elif len(code) not in lengths:
            allowed = " or ".join(str(n) for n in lengths)
            yield (
                f"items[{i}].hs.code",
                f"HS code {code} has {len(code)} digits; {spec.form} for "
                f"{cert.importing_country} takes {allowed}",
            )


@CERTIFICATE.rule(
    "HS_UNKNOWN",
    "The first six digits of every HS code are a subheading of the edition named (when "
    "its nomenclature is shipped: HS2017, HS2022) or of some edition carried.",
    clause="WCO HS 2017 / HS 2022 nomenclature (shipped lists)",
)
def hs_known(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    known = hs_subheadings()
    for i, item in enumerate(cert.items):
        head = _head(item.hs.code)
        if head is not None and head not in known and item.hs.edition in HS:
            yield f"items[{i}].hs.code", f"{head} is not an HS subheading ({', '.join(HS)})"


@CERTIFICATE.rule(
    "HS_EDITION",
    "Every HS code names an edition the agreement uses (HS2012 for RCEP, whose Annex 3A "
    "was written in it; HS2017, HS2022) and is a subheading of it where its nomenclature "
    "is shipped.",
    clause="RCEP Art. 3.34 (transposition of Annex 3A from HS2012); ATIGA Annex 7 note 6 "
    "(AHTN 2017 / 2022); WCO HS 2017 / HS 2022; canonical model: `items[].hs.edition`",
)
def hs_editions(cert: Certificate, ctx: Context) -> Iterator[Finding]:
    editions = ctx.spec.hs_editions if ctx.spec is not None else HS_EDITIONS_KNOWN
    subheadings = {edition: table.codes() for edition, table in HS.items()}
    for i, item in enumerate(cert.items):
        edition = item.hs.edition
        if not isinstance(edition, str) or edition not in editions:
            yield (
                f"items[{i}].hs.edition",
                f"HS edition {edition!r} is not one of {', '.join(editions)}",
            )
            continue
        table = subheadings.get(edition)
        head = _head(item.hs.code)
        if table is not None and head is not None and head not in table:
            others = [e for e in HS_EDITIONS if head in HS[e]]
            if others:
                yield (
                    f"items[{i}].hs.code",
                    f"{head} is not an {edition} subheading; it is one of {others[0]}",
                )


def _head(code: object) -> str | None:
    """The HS-6 head of a well-formed code (6 or more digits), else None."""
    if not isinstance(code, str) or len(code) < 6:
        return None
    head = code[:6]
    return head if head.isascii() and head.isdigit() else None
