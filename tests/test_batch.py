"""Batch translation of a folder: every file, progress on a terminal, refusals reported."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from aswbridge.cli.batch import Progress

MESSAGES = Path(__file__).resolve().parent.parent / "examples" / "messages"


def test_folder_translation_reports_refusals(tmp_path: Path) -> None:
    source, target = tmp_path / "in", tmp_path / "out"
    shutil.copytree(MESSAGES / "asw", source)
    (source / "broken.xml").write_bytes(b"<bad")
    (source / "bomb.xml").write_bytes(b'<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>')
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aswbridge",
            "translate",
            "--from",
            "asw",
            "--to",
            "canonical",
            str(source),
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    stems = {p.stem for p in (MESSAGES / "asw").glob("*.xml")}
    assert {p.stem for p in target.glob("*.json")} == stems
    report = [json.loads(line) for line in (target / "refused.jsonl").read_text().splitlines()]
    assert {r["file"]: r["problems"][0]["code"] for r in report} == {
        "broken.xml": "XML_MALFORMED",
        "bomb.xml": "DTD_FORBIDDEN",
    }
    assert f"{len(stems)} of {len(stems) + 2} translated" in done.stderr
    assert "broken.xml: XML_MALFORMED: not well-formed XML" in done.stderr
    assert "Traceback" not in done.stderr


def test_clean_folder_exits_0_and_leaves_no_report(tmp_path: Path) -> None:
    target = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aswbridge",
            "translate",
            "--from",
            "unipass",
            "--to",
            "asw",
            str(MESSAGES / "unipass"),
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert not (target / "refused.jsonl").exists()
    assert len(list(target.glob("*.xml"))) == len(list((MESSAGES / "unipass").glob("*.xml")))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = _Terminal()
    bar = Progress(4, stream=terminal)
    for done in range(1, 5):
        bar.last = 0.0  # draw every update
        bar.update(done, refused=1)
    bar.close()
    assert "[##############################] 4/4  refused 1" in terminal.getvalue()
    pipe = io.StringIO()
    quiet = Progress(4, stream=pipe)
    quiet.update(4, refused=0)
    quiet.close()
    assert pipe.getvalue() == ""
