"""The code of docs/testing.md runs: its pytest examples pass under the installed plugin,
its scripts run to the end."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    """(heading, code) of every python block, in order."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        found.append((headings[-1] if headings else "top", match.group(1)))
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


TESTS = [code for _, code in _blocks() if "def test_" in code]
SCRIPTS = [pytest.param(code, id=_slug(h)) for h, code in _blocks() if "def test_" not in code]


def test_the_page_has_both_kinds_of_example() -> None:
    assert len(TESTS) >= 4 and len(SCRIPTS) >= 2


def test_the_pytest_examples_pass_with_the_installed_plugin(tmp_path: Path) -> None:
    module = tmp_path / "test_docs_examples.py"
    module.write_text("\n\n".join(TESTS), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    count = sum(code.count("\ndef test_") + code.startswith("def test_") for code in TESTS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{count} passed" in result.stdout


@pytest.mark.parametrize("code", SCRIPTS)
def test_the_scripts_run(code: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "docs_testing"})
    assert out.getvalue().strip()  # each script shows its result
