"""One name, one meaning (CONTRIBUTING.md, "Names"): every ``validate`` raises a typed
error on a bad input, every ``problems_of`` returns the problems instead, and no new
function takes either name (or the retired ``check``) without being listed here."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from lxml import etree

import aswbridge
from aswbridge import profiles, rules, samples
from aswbridge._settings import Range, validate_country, validate_url
from aswbridge.codes import COUNTRIES
from aswbridge.errors import (
    AswBridgeError,
    CertificateError,
    ConfigurationError,
    SchemaError,
    UnknownCode,
    ValidationFailed,
)
from aswbridge.pipeline import Pipeline
from aswbridge.security import pki
from aswbridge.security.trust import TrustStore

PACKAGE = Path(aswbridge.__file__).resolve().parent


def _message_without_items() -> Any:
    message = samples.certificate()
    return attrs.evolve(message, document=attrs.evolve(message.document, items=()))


def _untrusted_chain(country_pki: pki.Pki) -> None:
    _key, cert, chain = country_pki.load("KR")
    trust = TrustStore.from_certificates(country_pki.load("ID")[2])
    trust.validate(cert, untrusted=chain, at=datetime.now(UTC))


#: (where, what a bad input makes it raise): each public and internal ``validate``.
VALIDATES: dict[str, tuple[Callable[[pki.Pki], object], type[AswBridgeError]]] = {
    "Profile.validate": (
        lambda _: profiles.get("asw").validate(etree.fromstring(b"<x/>")),
        SchemaError,
    ),
    "rules.validate": (lambda _: rules.validate(_message_without_items()), ValidationFailed),
    "CodeList.validate": (lambda _: COUNTRIES.validate("XX"), UnknownCode),
    "TrustStore.validate": (_untrusted_chain, CertificateError),
    "Range.validate": (lambda _: Range(0, 10).validate("retries", math.nan), ConfigurationError),
    "validate_url": (lambda _: validate_url("url", "ftp://example.org/"), ConfigurationError),
    "validate_country": (lambda _: validate_country("country", "XX"), ConfigurationError),
}

#: Each ``problems_of`` on a bad input, and a code it must report.
PROBLEMS_OF: dict[str, tuple[Callable[[], list[Any]], str]] = {
    "aswbridge.problems_of": (lambda: aswbridge.problems_of(b"<not xml"), "XML_MALFORMED"),
    "Pipeline.problems_of": (
        lambda: Pipeline().problems_of(b"<x/>", profile="asw"),
        "SCHEMA_INVALID",
    ),
    "rules.problems_of": (lambda: rules.problems_of(_message_without_items()), "NO_ITEMS"),
}


@pytest.mark.parametrize("where", VALIDATES)
def test_every_validate_raises_a_typed_error(where: str, country_pki: pki.Pki) -> None:
    call, error = VALIDATES[where]
    with pytest.raises(error):
        call(country_pki)


@pytest.mark.parametrize("where", PROBLEMS_OF)
def test_every_problems_of_returns_the_problems(where: str) -> None:
    call, code = PROBLEMS_OF[where]
    found = call()
    assert isinstance(found, list)
    assert code in {problem.code for problem in found}


def _defined(names: set[str]) -> list[str]:
    """``module:name`` of every function or method in the package called one of ``names``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in names:
                found.append(f"{path.relative_to(PACKAGE).as_posix()}:{node.name}")
    return found


#: Where each name is defined (``module:name``, a module once per definition), for the
#: rows of VALIDATES and PROBLEMS_OF in the same order.
VALIDATE_DEFINED = [
    "profiles/base.py:validate",
    "rules/__init__.py:validate",
    "codes/__init__.py:validate",
    "security/trust.py:validate",
    "_settings.py:validate",
    "_settings.py:validate_url",
    "_settings.py:validate_country",
]
PROBLEMS_OF_DEFINED = ["pipeline.py:problems_of"] * 2 + ["rules/__init__.py:problems_of"]


def test_the_names_are_used_only_where_listed() -> None:
    assert len(VALIDATE_DEFINED) == len(VALIDATES)
    assert len(PROBLEMS_OF_DEFINED) == len(PROBLEMS_OF)
    found = _defined({"validate", "validate_url", "validate_country"})
    assert sorted(found) == sorted(VALIDATE_DEFINED), "a new validate: list and test it here"
    assert sorted(_defined({"problems_of"})) == sorted(PROBLEMS_OF_DEFINED)
    assert _defined({"check"}) == [], "`check` is retired: say validate, problems_of or find"
