"""The rule registry as data: stable codes, cited clauses, and docs/rules.md kept in step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aswbridge.rules import FORM_RULES, RULES, Rule
from aswbridge.rules.__main__ import main
from aswbridge.rules.docs import markdown
from aswbridge.rules.sources import sources_of

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
ALL = [(kind, rule) for kind, rules in RULES.items() for rule in rules]


def test_docs_rules_md_is_the_generated_text() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/rules.md is stale: run python -m aswbridge.rules --markdown > docs/rules.md"
    )


def test_markdown_lists_every_rule_code() -> None:
    text = markdown()
    for _, rule in ALL:
        assert f"| `{rule.code}` |" in text


@pytest.mark.parametrize("kind", sorted(RULES))
def test_codes_are_unique_within_a_kind(kind: str) -> None:
    codes = [rule.code for rule in RULES[kind]]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("kind", "rule"), ALL, ids=[f"{k}-{r.code}" for k, r in ALL])
def test_rule_is_documented_data(kind: str, rule: Rule[Any]) -> None:
    assert rule.kind == kind
    assert rule.code.isupper() and rule.code.replace("_", "").isalpha()
    assert rule.clause.strip() and rule.title.strip()
    assert rule.severity in ("error", "warning")
    assert rule.forms is None or set(rule.forms) <= set(FORM_RULES)
    assert sources_of(rule), f"{rule.code}: the clause cites no known source"


def test_same_code_means_the_same_thing_across_kinds() -> None:
    severities: dict[str, set[str]] = {}
    for _, rule in ALL:
        severities.setdefault(rule.code, set()).add(rule.severity)
    assert all(len(s) == 1 for s in severities.values())


def test_module_prints_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown()


def test_module_lists_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "HS_UNKNOWN\tcertificate\terror" in lines
    assert len(lines) == len(ALL)
