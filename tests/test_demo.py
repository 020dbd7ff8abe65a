"""``aswbridge demo`` end to end: the story through the real relay, its files and report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from aswbridge import pipeline
from aswbridge.cli import main

STEPS = [
    "An Indonesian Form AK certificate travels to Korea",
    "Korea's customs decision comes back to Indonesia",
    "A Korean Form AK certificate travels to Viet Nam",
    "Viet Nam hands it on in UBL; a third party reads it",
    "Viet Nam asks Korea to verify it; the reply",
    "Forged certificates are refused",
    "UNI-PASS goes down; the bridge rides it out",
    "Every partner has each message exactly once",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo") / "out"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["demo", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    return {"status": status, "out": out, "stdout": printed.getvalue(), "summary": summary}


def test_every_step_happens_and_the_demo_exits_0(run: dict[str, Any]) -> None:
    summary = run["summary"]
    assert run["status"] == 0, summary["failed"]
    assert [s["title"] for s in summary["steps"]] == STEPS
    assert all(s["ok"] for s in summary["steps"])


def test_the_timeline_says_who_sent_what_and_what_the_bridge_checked(run: dict[str, Any]) -> None:
    text = run["stdout"]
    assert "NSW-ID → Bridge-ID" in text and "Bridge-ID → UNI-PASS" in text
    assert "Bridge-VN → NSW-VN" in text
    assert re.search(r"signature of TEST ONLY Ministry of Trade .* \(ID\) verified", text)
    assert "business rules passed" in text
    assert re.search(r"\[\d+ ms\]", text)  # each step's duration


def test_forged_certificates_are_refused_with_their_reason(run: dict[str, Any]) -> None:
    refused = run["summary"]["refused"]
    assert sorted(r["code"] for r in refused) == ["DIGEST_MISMATCH", "UNTRUSTED_SIGNER"]
    assert "refused: DIGEST_MISMATCH" in run["stdout"]
    delivered = {f for f in run["summary"]["files"] if "-to-UNI-PASS." in f}
    for refusal in refused:
        message_id = refusal["file"].rsplit(".", 2)[-2]
        assert not any(message_id in f for f in delivered)


def test_the_outage_is_ridden_out_by_retries(run: dict[str, Any]) -> None:
    (step,) = [s for s in run["summary"]["steps"] if s["title"].startswith("UNI-PASS goes down")]
    assert "SERVICE_UNAVAILABLE" in step["outcome"]
    assert re.search(r"delivered on attempt [4-9]", step["outcome"])


def test_each_partner_took_each_message_once(run: dict[str, Any]) -> None:
    stats = run["summary"]["stats"]
    assert stats["UNI-PASS"]["by_kind"] == {"certificate": 2, "verification_request": 1}
    assert stats["UNI-PASS"]["distinct"] == 3
    assert stats["NSW-ID"]["by_kind"] == {"response": 1}  # Korea's decision came back
    assert stats["NSW-VN"]["by_kind"] == {"certificate": 1, "verification_reply": 1}
    assert all(s["pending"] == 0 for s in stats.values())


def test_every_exchanged_message_is_a_file_named_by_step_side_and_id(
    run: dict[str, Any],
) -> None:
    out: Path = run["out"]
    files = run["summary"]["files"]
    assert len(files) == 15  # 6 messages relayed (in and out), 2 refused (in only), 1 UBL
    for name in files:
        path = out / name
        assert path.is_file()
        assert re.fullmatch(
            r"messages/\d\d-[a-z-]+/\d\d-[\w-]+-to-[\w-]+\.\w+\.[0-9a-f-]{36}\.xml", name
        )
    (ubl,) = [f for f in files if "NSW-VN-to-third-party.certificate" in f]
    profile, message = pipeline.read((out / ubl).read_bytes())
    assert (profile, message.kind) == ("ubl", "certificate")
    decision = next(f for f in files if "Bridge-ID-to-NSW-ID.response" in f)
    profile, message = pipeline.read((out / decision).read_bytes())
    assert (profile, message.kind) == ("asw", "response")


def test_the_report_shows_the_boxes_and_the_sequence_diagram(run: dict[str, Any]) -> None:
    html = (run["out"] / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "sequence diagram" in html
    for lifeline in ("NSW-ID", "Bridge-ID", "UNI-PASS", "Bridge-VN", "NSW-VN"):
        assert f">{lifeline}</tspan>" in html
    for number in range(1, 14):
        assert re.search(rf'class="n">{number}\. |<th>{number}\. ', html), number
    assert "FORM AK" in html and "Preferential Treatment Not Given" in html
    assert "handed on in UBL 2.4" in html and "NSW-VN-to-third-party.certificate" in html
    assert "DIGEST_MISMATCH" in html
    assert "<script" not in html and 'src="http' not in html and 'href="http' not in html


def test_the_output_folder_holds_the_pki_configs_stores_and_a_log_without_secrets(
    run: dict[str, Any],
) -> None:
    out: Path = run["out"]
    assert "TEST ONLY" in (out / "pki" / "README.txt").read_text()
    assert (out / "config" / "bridge-id.toml").is_file()
    assert (out / "store" / "bridge-vn.db").is_file()
    log = (out / "demo.log").read_text()
    assert "delivered" in log
    assert "PRIVATE KEY" not in log and "<?xml" not in log and "BEGIN CERTIFICATE" not in log
