"""Code lists: the shipped data, their provenance, and the same verbs on every list."""

from __future__ import annotations

import doctest
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest

import aswbridge.codes
from aswbridge.codes import (
    AGREEMENTS,
    COUNTRIES,
    CURRENCIES,
    HS,
    HS_EDITIONS,
    PACKAGES,
    TRANSPORT_MODES,
    UNITS,
    CodeList,
    UnknownCode,
    agreement_for_form,
    hs_is_valid,
)
from aswbridge.errors import MessageError

DATA = resources.files("aswbridge.codes").joinpath("data")
README = DATA.joinpath("README.md").read_text("utf-8")

LISTS: dict[str, CodeList] = {
    "countries": COUNTRIES,
    "currencies": CURRENCIES,
    "units": UNITS,
    "packages": PACKAGES,
    "transport_modes": TRANSPORT_MODES,
    "hs2017": HS["HS2017"],
    "hs2022": HS["HS2022"],
}


def _readme_hashes() -> dict[str, str]:
    return dict(re.findall(r"^\| `([a-z0-9_]+\.csv)` \| `([0-9a-f]{64})` \|$", README, re.M))


def test_readme_states_a_hash_for_every_shipped_csv() -> None:
    shipped = {p.name for p in DATA.iterdir() if p.name.endswith(".csv")}
    assert set(_readme_hashes()) == shipped - {"agreements.csv"}
    assert "## agreements.csv" in README


@pytest.mark.parametrize(("name", "digest"), sorted(_readme_hashes().items()))
def test_shipped_csv_is_the_one_the_provenance_describes(name: str, digest: str) -> None:
    assert hashlib.sha256(DATA.joinpath(name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    ("codes", "count"),
    [
        (COUNTRIES, 249),
        (CURRENCIES, 178),
        (PACKAGES, 406),
        (TRANSPORT_MODES, 10),
        (HS["HS2017"], 5387),
        (HS["HS2022"], 5612),
        (UNITS, 2136 + 406),
    ],
    ids=["iso3166", "iso4217", "rec21", "rec19", "hs2017", "hs2022", "rec20+X"],
)
def test_row_counts_match_the_provenance(codes: CodeList, count: int) -> None:
    assert len(codes) == count


# (list, input, canonical code, name fragment)
GOOD = [
    ("countries", "KR", "KR", "Korea"),
    ("countries", " vn ", "VN", "Viet Nam"),
    ("currencies", "USD", "USD", "Dollar"),
    ("currencies", "krw", "KRW", "Won"),
    ("units", "KGM", "KGM", "kilogram"),
    ("units", "XBX", "XBX", "Box"),
    ("units", "X1", "X1", "chain"),
    ("packages", "CT", "CT", "Carton"),
    ("transport_modes", "4", "4", "Air"),
    ("hs2022", "851713", "851713", "smartphones"),
    ("hs2017", "8517.12", "851712", "cellular"),
]


@pytest.mark.parametrize(
    ("name", "given", "code", "label"), GOOD, ids=[f"{g[0]}-{g[1].strip()}" for g in GOOD]
)
def test_valid_code_has_the_same_verbs(name: str, given: str, code: str, label: str) -> None:
    codes = LISTS[name]
    entry = codes.lookup(given)
    assert entry is not None and entry.code == code and entry.status == "active"
    assert label.lower() in entry.name.lower()
    assert codes.is_valid(given)
    assert codes.validate(given) == code
    assert code in codes
    assert (given in codes) == (given == code)  # membership is the strict, canonical test


# (list, code, status or None when absent)
BAD = [
    ("countries", "XX", None),
    ("countries", "UK", None),
    ("countries", "KOR", None),
    ("currencies", "BGN", None),
    ("currencies", "ANG", None),
    ("units", "BX", "deleted"),
    ("units", "CT", "deleted"),
    ("units", "NPR", "deprecated"),
    ("units", "XSX", "deleted"),
    ("units", "", None),
    ("packages", "SX", "deleted"),
    ("packages", "BOX", None),
    ("transport_modes", "10", None),
    ("hs2022", "851712", None),
    ("hs2017", "851713", None),
]


@pytest.mark.parametrize(
    ("name", "code", "status"), BAD, ids=[f"{b[0]}-{b[1] or 'empty'}" for b in BAD]
)
def test_invalid_code_is_refused_with_its_reason(name: str, code: str, status: str | None) -> None:
    codes = LISTS[name]
    entry = codes.lookup(code)
    assert (entry.status if entry else None) == status
    assert not codes.is_valid(code)
    assert code not in codes
    with pytest.raises(UnknownCode) as raised:
        codes.validate(code)
    error = raised.value
    assert isinstance(error, MessageError) and error.code == "CODE_UNKNOWN"
    assert error.list_name == codes.title and error.value == code
    assert codes.title in str(error) and (status or "unknown") in str(error)


@pytest.mark.parametrize(
    "junk", [None, 12, b"KR", ("KR",), ["KR"]], ids=["none", "int", "bytes", "tuple", "list"]
)
def test_non_strings_are_invalid_not_errors(junk: object) -> None:
    assert not COUNTRIES.is_valid(junk)  # type: ignore[arg-type]
    assert junk not in COUNTRIES
    with pytest.raises(UnknownCode):
        COUNTRIES.validate(junk)  # type: ignore[arg-type]


def test_every_active_rec21_code_is_a_package_unit() -> None:
    assert {"X" + c for c in PACKAGES.codes()} <= UNITS.codes()


@pytest.mark.parametrize(
    ("code", "edition", "valid"),
    [
        ("851713", "HS2022", True),
        ("85171300", "HS2022", True),
        ("85171399", "HS2022", True),  # an AHTN line under a valid subheading
        ("851713", "HS2017", False),  # new in HS 2022
        ("851712", "HS2017", True),
        ("851712", "HS2022", False),  # gone in HS 2022
        ("8517130", "HS2022", False),
        ("851713000", "HS2022", False),
        ("8517.13", "HS2022", False),
        ("85171a00", "HS2022", False),
        ("999999", "HS2022", False),
        ("851713", "HS2012", False),
        ("８５１７１３", "HS2022", False),  # full-width digits are not ASCII
    ],
)
def test_hs_by_edition(code: str, edition: str, valid: bool) -> None:
    assert hs_is_valid(code, edition) is valid


def test_hs_editions_are_the_shipped_ones() -> None:
    assert HS_EDITIONS == ("HS2017", "HS2022") and set(HS) == set(HS_EDITIONS)


AMS = {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"}


@pytest.mark.parametrize(
    ("name", "form", "members"),
    [
        ("ATIGA", "FORM_D", AMS),
        ("AKFTA", "FORM_AK", AMS | {"KR"}),
        ("RCEP", "FORM_RCEP", AMS | {"AU", "CN", "JP", "KR", "NZ"}),
    ],
)
def test_agreement_membership(name: str, form: str, members: set[str]) -> None:
    agreement = AGREEMENTS[name]
    assert agreement.form == form and agreement.members == members
    assert agreement_for_form(form) == agreement
    assert all(COUNTRIES.is_valid(c) for c in members)


def test_unknown_form_has_no_agreement() -> None:
    assert agreement_for_form("FORM_E") is None
    assert sorted(AGREEMENTS) == ["AKFTA", "ATIGA", "RCEP"]


def test_module_examples_hold() -> None:
    result = doctest.testmod(aswbridge.codes)
    assert result.attempted >= 3 and result.failed == 0


def test_first_use_from_many_threads_loads_once_and_consistently() -> None:
    fresh = CodeList(title="ISO 4217", filename="iso4217.csv", key="alpha_code", name="name")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: ("USD" in fresh, len(fresh.codes())), range(64)))
    assert set(results) == {(True, 178)}
