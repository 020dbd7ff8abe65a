"""docs/threat-model.md and the tests agree: every id has a test, every test's id is listed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "threat-model.md"
TESTS = ROOT / "tests"
PACKAGE = ROOT / "aswbridge"

ROW = re.compile(r"^\| ([A-Z]\d+) \|.*\| ([^|]*) \|$")
NAMED_TEST = re.compile(r"`([\w.]+\.py)::(\w+)`")
# An id as tests spell it: in a name (test_g4_g6_..., test_g14_to_g19_...) or a parameter id.
NAME_TOKEN = re.compile(r"([hscgktl])(\d+)$")
PARAM_ID = re.compile(r"""["']([HSCGKTL]\d{1,2})-[a-z]""")


def rows() -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if match := ROW.match(line):
            assert match[1] not in table, f"{match[1]} is listed twice"
            table[match[1]] = NAMED_TEST.findall(match[2])
    return table


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def ids_in_name(name: str) -> set[str]:
    """``test_g14_to_g19_policy`` -> G14..G19; ``test_k9_k10_x`` -> K9, K10."""
    found: list[str] = []
    tokens = name.removeprefix("test_").split("_")
    index = 0
    while index < len(tokens) and (match := NAME_TOKEN.match(tokens[index])):
        letter, number = match[1].upper(), int(match[2])
        found.append(f"{letter}{number}")
        index += 1
        if index + 1 < len(tokens) and tokens[index] == "to":
            end = NAME_TOKEN.match(tokens[index + 1])
            if end and end[1].upper() == letter:
                found += [f"{letter}{n}" for n in range(number + 1, int(end[2]) + 1)]
                index += 2
    return set(found)


def ids_named_by_tests() -> dict[str, set[str]]:
    named: dict[str, set[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for function in defined_tests(path):
            for threat in ids_in_name(function):
                named.setdefault(threat, set()).add(f"{path.name}::{function}")
        for threat in PARAM_ID.findall(path.read_text(encoding="utf-8")):
            named.setdefault(threat, set()).add(path.name)
    return named


def test_every_id_names_at_least_one_test() -> None:
    empty = sorted(threat for threat, tests in rows().items() if not tests)
    assert not empty, f"threats with no test: {empty}"


@pytest.mark.parametrize("threat", sorted(rows()))
def test_the_tests_an_id_names_exist(threat: str) -> None:
    for file, function in rows()[threat]:
        path = TESTS / file
        assert path.is_file(), f"{threat}: {file} does not exist"
        assert function in defined_tests(path), f"{threat}: {file}::{function} does not exist"


def test_every_id_a_test_names_is_in_the_threat_model() -> None:
    unknown = {t: sorted(where) for t, where in ids_named_by_tests().items() if t not in rows()}
    assert not unknown, f"tests name ids that docs/threat-model.md lacks: {unknown}"


def test_id_parsing() -> None:
    assert ids_in_name("test_g14_to_g19_policy") == {f"G{n}" for n in range(14, 20)}
    assert ids_in_name("test_k9_k10_revocation") == {"K9", "K10"}
    assert ids_in_name("test_g4_g6_wrapping") == {"G4", "G6"}
    assert ids_in_name("test_signer_country") == set()


def test_h9_no_xml_parse_outside_the_hardened_intake() -> None:
    """Every byte of XML that enters goes through aswbridge._xml: no other module parses."""
    parsers = {
        "fromstring",
        "XML",
        "parse",
        "iterparse",
        "XMLParser",
        "XMLPullParser",
        "HTMLParser",
    }
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "_xml.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in parsers
                and isinstance(node.value, ast.Name)
                and node.value.id in {"etree", "objectify", "ET", "ElementTree", "minidom"}
            ):
                offenders.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}"
                )
    assert not offenders, offenders
