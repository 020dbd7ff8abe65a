"""Every script in ``examples/`` runs as a user would run it, exits 0 and says what it showed.

Each script starts as a subprocess of this interpreter, in an empty working directory, and
must finish within a timeout. Its output must hold the lines that show the outcome. Each
script checks its own outcome too and exits non-zero when the outcome did not happen.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

#: Lines (substrings) each example must print: the outcome it demonstrates.
EXPECTED: dict[str, tuple[str, ...]] = {
    "rok_send_and_receive": (
        "UNI-PASS received {'certificate': 1, 'response': 1}, "
        "NSW {'certificate': 1, 'response': 1}",
        "UNI-PASS verified the certificate from VN: first signed by CN=TEST ONLY",
        "OK: Korea -> Viet Nam and Viet Nam -> Korea",
    ),
    "asw_filesystem_mailbox": (
        "in/         []",
        "processed/  ['form-ak.xml']",
        "failed/     ['unsigned.xml', 'unsigned.xml.reason.json']",
        "refused unsigned.xml: SIGNATURE_MISSING",
        "{'given': 20}",
        "OK: certificate delivered to UNI-PASS, decision in out/",
    ),
    "asw_translate_and_verify": (
        "1. signed by CN=TEST ONLY Ministry of Trade e-CO signer",
        "2. unipass: ",
        "3. canonical: certificate 0017480/JKT/AK/2026 FORM_AK",
        "4. refused (altered): DIGEST_MISMATCH",
        "4. refused (wrong signer): SIGNER_NOT_ISSUER",
        "4. refused (bad HS code): HS_UNKNOWN",
        "HS_UNKNOWN items[0].hs.code:",
        "OK: verified, translated, signed",
    ),
    "embed_bridge": (
        "relay thread stopped: True",
        "'done': 2, 'dead': 0",
        "customs_gateway customs gateway started",
        "aswbridge.relay unipass: certificate",
        "aswbridge.relay relay stopped",
        '"logger": "customs_gateway", "message": "customs gateway stopped", "outbox":',
        "OK: certificate to UNI-PASS and decision back through the embedded relay",
    ),
}


def run(script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one example with this interpreter, as ``python examples/<name>.py`` would."""
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_runs_and_shows_its_outcome(script: Path, tmp_path: Path) -> None:
    result = run(script, tmp_path)

    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, report
    assert "Traceback" not in result.stderr, report
    for line in EXPECTED[script.stem]:
        assert line in result.stdout, f"missing {line!r}\n{report}"
    assert list(tmp_path.iterdir()) == [], "an example left files in its working directory"


def test_every_example_is_checked_and_listed() -> None:
    assert {s.stem for s in SCRIPTS} == set(EXPECTED)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for script in SCRIPTS:
        assert f"`.venv/bin/python examples/{script.name}`" in readme, script.name


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_says_who_it_is_for_and_stays_short(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source)) or ""
    assert docstring.startswith("For "), "the docstring opens with who the example is for"
    assert f"Run: ``.venv/bin/python examples/{script.name}``" in docstring
    assert "TEST-ONLY" in docstring, "the docstring says the PKI is for tests only"
    assert len(source.splitlines()) <= 140, "an example is read in one sitting"
