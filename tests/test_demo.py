"""``aswbridge demo`` end to end: the story through the real relay, its files and report."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from aswbridge import pipeline, profiles
from aswbridge.cli import main

STEPS = [
    "An Indonesian Form AK certificate travels to Korea",
    "Korea's customs decision comes back to Indonesia",
    "Korea's bridge routes certificates to Viet Nam and Thailand",
    "Viet Nam hands it on in UBL; a third party reads it",
    "Viet Nam asks Korea to verify it; the reply",
    "China joins with its profile package",
    "Japan joins in UBL by a change of configuration",
    "Thailand's NSW goes down; the others keep flowing",
    "Forged certificates are refused",
    "UNI-PASS goes down; the bridge rides it out",
    "Every system has each message exactly once, from one carrier",
]
LIFELINES = ["NSW-ID", "Bridge-ID", "UNI-PASS", "Bridge-KR", "NSW-VN", "NSW-TH", "NSW-CN", "NSW-JP"]
FILE = re.compile(r"messages/\d\d-[a-z-]+/\d\d-([\w-]+)-to-([\w-]+)\.(\w+)\.([0-9a-f-]{36})\.xml")


def step(run: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [s for s in run["summary"]["steps"] if s["title"].startswith(title)]
    return found


def hops(run: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(sender, receiver, kind, message id) of every message file."""
    return [FILE.fullmatch(f).groups() for f in run["summary"]["files"]]  # type: ignore[union-attr]


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
    assert "Bridge-KR → NSW-VN" in text and "Bridge-KR → NSW-TH" in text
    assert re.search(r"signature of TEST ONLY Ministry of Trade .* \(ID\) verified", text)
    assert "business rules passed" in text
    assert re.search(r"\[\d+ ms\]", text)  # each step's duration


def test_forged_certificates_are_refused_with_their_reason(run: dict[str, Any]) -> None:
    refused = run["summary"]["refused"]
    codes = ["DIGEST_MISMATCH", "NO_ROUTE", "UNTRUSTED_SIGNER"]  # NO_ROUTE: Japan, not yet
    assert sorted(r["code"] for r in refused) == codes
    assert "refused: DIGEST_MISMATCH" in run["stdout"]
    delivered = {mid for sender, _, _, mid in hops(run) if sender.startswith("Bridge-")}
    for refusal in refused:
        assert refusal["file"].rsplit(".", 2)[-2] not in delivered


def test_the_outage_is_ridden_out_by_retries(run: dict[str, Any]) -> None:
    outcome = step(run, "UNI-PASS goes down")["outcome"]
    assert "SOAP_SERVER_FAULT SERVICE_UNAVAILABLE" in outcome
    assert re.search(r"delivered on attempt [4-9]", outcome)


def test_each_system_took_each_message_once(run: dict[str, Any]) -> None:
    stats = run["summary"]["stats"]
    assert stats["UNI-PASS"]["by_kind"] == {"certificate": 3, "verification_request": 1}
    assert stats["UNI-PASS"]["distinct"] == 4
    assert stats["NSW-ID"]["by_kind"] == {"certificate": 1, "response": 1}
    assert stats["NSW-VN"]["by_kind"] == {"certificate": 2, "verification_reply": 1}
    assert stats["NSW-TH"]["by_kind"] == {"certificate": 4}
    assert stats["NSW-CN"]["by_kind"] == {"response": 1}
    assert stats["NSW-JP"]["by_kind"] == {"certificate": 2}
    assert all(s["pending"] == 0 for s in stats.values())


def test_korea_s_bridge_delivers_each_certificate_to_its_receiver_s_nsw_only(
    run: dict[str, Any],
) -> None:
    delivered = {(mid, receiver) for sender, receiver, _, mid in hops(run) if sender == "Bridge-KR"}
    for mid in {mid for _, _, _, mid in hops(run)}:
        assert len([r for m, r in delivered if m == mid]) <= 1, mid
    assert {r for _, r in delivered} == {
        "NSW-ID",
        "NSW-VN",
        "NSW-TH",
        "NSW-CN",
        "NSW-JP",
        "UNI-PASS",
    }


def test_on_the_shared_link_each_direction_has_one_carrier(run: dict[str, Any]) -> None:
    out: Path = run["out"]
    kr, id_ = (
        tomllib.loads((out / "config" / f"bridge-{cc}.toml").read_text()) for cc in ("kr", "id")
    )
    assert [p["pull"] for p in kr["partners"] if p["country"] == "ID"] == [False]
    assert [p["pull"] for p in id_["partners"] if p["country"] == "KR"] == [False]
    pulled = [
        (sender, receiver, mid)
        for sender, receiver, _, mid in hops(run)
        if receiver.startswith("Bridge-")
    ]
    assert {r for s, r, _ in pulled if s == "NSW-ID"} == {"Bridge-ID"}
    assert {r for s, r, _ in pulled if s == "UNI-PASS"} == {"Bridge-KR"}
    carriers: dict[str, set[str]] = {}
    for _, bridge, mid in pulled:
        carriers.setdefault(mid, set()).add(bridge)
    assert all(len(bridges) == 1 for bridges in carriers.values())
    assert "each pulled by one bridge" in step(run, "Every system has")["outcome"]


def test_china_joins_speaking_its_own_profile(run: dict[str, Any]) -> None:
    out: Path = run["out"]
    (answer,) = [f for f in run["summary"]["files"] if "-to-NSW-CN.response." in f]
    root = etree.fromstring((out / answer).read_bytes())
    assert etree.QName(root).namespace == "urn:aswbridge:example:cn:1"
    assert "examples/profile_cn, registered for this run" in run["stdout"]
    assert "cn" not in profiles.names()  # registered for the run only


def test_japan_joins_by_a_reload_and_gets_ubl_after_no_route(run: dict[str, Any]) -> None:
    outcome = step(run, "Japan joins")["outcome"]
    assert outcome.startswith("refused with NO_ROUTE before Japan joined")
    (refused,) = [r for r in run["summary"]["refused"] if r["code"] == "NO_ROUTE"]
    early = refused["file"].rsplit(".", 2)[-2]
    assert not any(mid == early for _, r, _, mid in hops(run) if r == "NSW-JP")
    out: Path = run["out"]
    for name in [f for f in run["summary"]["files"] if "-to-NSW-JP." in f]:
        assert pipeline.read((out / name).read_bytes())[0] == "ubl"
    assert "reloaded as on SIGHUP, without a restart" in run["stdout"]


def test_thailand_down_holds_only_its_own_certificates(run: dict[str, Any]) -> None:
    outcome = step(run, "Thailand's NSW goes down")["outcome"]
    assert re.fullmatch(
        r"Viet Nam, Indonesia and Japan had theirs in [\d.]+ s while Thailand was down; "
        r"Thailand's 3 waited pending \(breaker open, none dead\) and arrived once it was back",
        outcome,
    )
    assert "NSW-TH:                ✗ goes down (POST /_mock/faults)" in run["stdout"]
    assert re.search(r"Bridge-KR → NSW-TH +✗ deliver .*HTTP_503 SERVICE_UNAVAILABLE", run["stdout"])


def test_every_exchanged_message_is_a_file_named_by_step_side_and_id(
    run: dict[str, Any],
) -> None:
    out: Path = run["out"]
    files = run["summary"]["files"]
    # 16 messages relayed (a file in, a file out), 3 refused (in only), 1 UBL copy
    assert len(files) == 16 * 2 + 3 + 1
    for name in files:
        path = out / name
        assert path.is_file()
        assert FILE.fullmatch(name)
    (ubl,) = [f for f in files if "NSW-VN-to-third-party.certificate" in f]
    profile, message = pipeline.read((out / ubl).read_bytes())
    assert (profile, message.kind) == ("ubl", "certificate")
    (decision,) = [f for f in files if "Bridge-KR-to-NSW-ID.response" in f]
    profile, message = pipeline.read((out / decision).read_bytes())
    assert (profile, message.kind) == ("asw", "response")


def test_the_report_shows_the_boxes_and_the_sequence_diagram(run: dict[str, Any]) -> None:
    html = (run["out"] / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "sequence diagram" in html
    for lifeline in LIFELINES:
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
    assert (out / "config" / "bridge-kr.toml").is_file()
    assert (out / "store" / "bridge-kr.db").is_file()
    log = (out / "demo.log").read_text()
    assert "delivered" in log
    assert "PRIVATE KEY" not in log and "<?xml" not in log and "BEGIN CERTIFICATE" not in log
