"""The demo's report pieces on their own: the paper form, the sequence diagram, the
timeline lines, and the exit status when a step does not happen."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import attrs
import pytest
from lxml import etree

from aswbridge import _xml, profiles, samples
from aswbridge.cli import main
from aswbridge.demo import cast, story
from aswbridge.demo.diagram import LIFELINES, MAX_WIDTH, MIN_LANE, sequence_svg
from aswbridge.demo.forms import certificate_html
from aswbridge.demo.timeline import Event, Step, Timeline, format_event

HOSTILE = '<script>alert("x")</script> & Co'


def boxes(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'(?:class="n">|<th>)(\d+)\. ', html)]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(samples.form_ak_id_kr, list(range(1, 14)), id="form-AK"),
        pytest.param(samples.form_d_th_id, list(range(1, 14)), id="form-D"),
        pytest.param(samples.form_rcep_kr_th, list(range(1, 18)), id="RCEP"),
    ],
)
def test_a_certificate_shows_every_numbered_box_of_its_form(
    build: object, expected: list[int]
) -> None:
    assert callable(build)
    html = certificate_html(build())
    assert sorted(boxes(html)) == expected


def test_rcep_numbers_its_own_boxes() -> None:
    html = certificate_html(samples.form_rcep_kr_th())
    assert "3. Producer" in html and "9. HS code" in html and "11. RCEP country" in html
    assert "14. Remarks" in html and "17. Tick" in html


def test_box_4_shows_the_customs_decision_and_marks_the_refused_item() -> None:
    cert = samples.form_ak_id_kr()
    decision = samples.response_for(cert, refuse={3: "FOB value differs from the invoice"})
    html = certificate_html(cert, decision=decision)
    assert "☒ Preferential Treatment Given Under AKFTA" in html
    assert "☒ Preferential Treatment Not Given" in html
    assert "item 3: FOB value differs from the invoice" in html
    assert html.count('class="refused"') == 1


@pytest.mark.parametrize(
    ("build", "ticks"),
    [
        pytest.param(samples.form_d_th_id, 7, id="form-D"),
        pytest.param(samples.form_ak_id_kr, 3, id="form-AK"),
        pytest.param(samples.form_rcep_kr_th, 3, id="RCEP"),
    ],
)
def test_each_form_has_its_own_tick_boxes(build: object, ticks: int) -> None:
    assert callable(build)
    html = certificate_html(build())  # no decision: box 4 has no tick boxes of its own
    assert html.count("☐") + html.count("☒") == ticks


def test_every_text_in_a_form_is_escaped() -> None:
    cert = samples.form_ak_id_kr()
    doc = cert.document
    exporter = attrs.evolve(doc.exporter, name=HOSTILE)  # type: ignore[union-attr]
    html = certificate_html(attrs.evolve(cert, document=attrs.evolve(doc, exporter=exporter)))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html


def test_the_diagram_is_well_formed_svg_with_escaped_labels() -> None:
    events = [
        Event(at=0.5, step=1, actor="NSW-ID", target="Bridge-ID", text=HOSTILE),
        Event(at=0.6, step=1, actor="Bridge-ID", target=None, text="checked " + HOSTILE),
        Event(at=0.7, step=1, actor="Bridge-ID", target="UNI-PASS", text="x", status="failed"),
        Event(at=0.0, step=0, actor="Demo", target=None, text="set-up, not drawn"),
    ]
    svg = sequence_svg(events, [Step(number=1, title="A <step>", started=0.0, ok=True)])
    root = _xml.parse(svg.encode())
    assert etree.QName(root).localname == "svg"
    texts = " ".join(root.itertext())
    assert HOSTILE in texts and "A <step>" in texts and "set-up" not in texts
    assert "<script>" not in svg
    lines = root.findall(".//{http://www.w3.org/2000/svg}line")
    assert len(lines) == len(LIFELINES) + 2  # lifelines, arrows


SVG = "{http://www.w3.org/2000/svg}"
LANES = ["NSW-ID", "Bridge-ID", "NSW-VN", "NSW-TH", "Bridge-KR", "UNI-PASS", "NSW-CN", "NSW-JP"]
LANES += ["NSW-MY", "NSW-SG", "NSW-PH", "NSW-BN", "NSW-KH", "NSW-LA"]
LONG = (
    "signature of TEST ONLY Ministry of Industry and Trade e-CO signer (VN) verified; "
    "asw-eform.xsd valid; 7 business rules passed; translated to unipass-eco.xsd"
)


def crowded(count: int) -> etree._Element:
    """A diagram of ``count`` lanes with a long arrow, a short one and a note on each lane."""
    lanes = LANES[:count]
    events = []
    for i, lane in enumerate(lanes):
        far, near = lanes[(i + count // 2) % count], lanes[(i + 1) % count]
        events += [
            Event(at=i, step=1, actor=lane, target=far, text="delivered certificate " + LONG),
            Event(at=i, step=1, actor=lane, target=None, text=LONG, status="refused"),
            Event(at=i, step=1, actor=far, target=near, text="acknowledged X-1", status="info"),
        ]
    svg = sequence_svg(events, [Step(number=1, title="Lanes", started=0.0)], lifelines=lanes)
    return _xml.parse(svg.encode())


@pytest.mark.parametrize("count", [3, 5, 8, 9, 10], ids=lambda n: f"{n}-lanes")
def test_the_diagram_fits_a_common_screen_with_its_lanes_sized_to_the_width(count: int) -> None:
    root = crowded(count)
    width = int(root.get("width", "0"))
    assert root.get("viewBox", "").split()[2] == str(width)
    assert width <= MAX_WIDTH  # a 1280-pixel screen less the page's margins
    lifelines = sorted(
        float(e.get("x1", "0")) for e in root.iter(f"{SVG}line") if e.get("class") == "life"
    )
    gaps = [b - a for a, b in itertools.pairwise(lifelines)]
    assert len(lifelines) == count and max(gaps) - min(gaps) < 0.5  # lanes of one width
    assert min(gaps) >= MIN_LANE and lifelines[-1] < width
    # every label and note, wrapped, stays inside the drawing (7.5 px a character)
    for text in root.iter(f"{SVG}text"):
        if text.get("text-anchor") != "middle":
            continue
        half = max(len(t.text or "") for t in text) * 7.5 / 2
        x = float(text.get("x", "0"))
        assert x - half >= 0 and x + half <= width, (text.get("class"), x, half)
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x", "0")) + float(rect.get("width", "0")) <= width


def test_past_the_narrowest_lane_the_diagram_grows_instead_of_crushing_its_lanes() -> None:
    root = crowded(14)
    assert int(root.get("width", "0")) > MAX_WIDTH
    heads = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "head"]
    assert len(heads) == 14 and all(float(r.get("width", "0")) >= MIN_LANE - 8 for r in heads)


def test_a_timeline_line_says_when_who_what_and_how_long() -> None:
    lines: list[str] = []
    timeline = Timeline(echo=lines.append, clock=iter([0.0, 1.25, 1.5]).__next__)
    timeline.begin("Step one")
    timeline.event(actor="NSW-ID", target="Bridge-ID", text="certificate X", duration_ms=12.4)
    assert re.fullmatch(r" +1\.50s  NSW-ID → Bridge-ID +certificate X  \[12 ms\]", lines[-1])
    note = Event(at=2.0, step=1, actor="Bridge-ID", target=None, text="no", status="refused")
    assert re.fullmatch(r" +2\.00s  Bridge-ID: +✗ no", format_event(note))


def test_a_step_that_does_not_happen_fails_the_demo_and_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(story.Story, "kr_to_asean", lambda self: None)
    status = main(["--log-json", "demo", "--out", str(tmp_path), "--no-report"])
    captured = capsys.readouterr()
    assert status == 1
    assert "step 3 Korea's bridge routes certificates to Viet Nam and Thailand" in captured.err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert next(s["number"] for s in summary["steps"] if not s["ok"]) == 3
    assert not (tmp_path / "report.html").exists()
    lines = (tmp_path / "demo.log").read_text().splitlines()
    assert lines and all(json.loads(line)["logger"].startswith("aswbridge") for line in lines)


def test_a_second_run_into_the_same_folder_plays_the_story_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(story.Story, "outage", lambda self: None)
    assert main(["demo", "--out", str(tmp_path), "--no-report"]) == 1
    monkeypatch.undo()
    assert main(["demo", "--out", str(tmp_path), "--no-report"]) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ok"] and summary["stats"]["UNI-PASS"]["distinct"] == 4


SHIPPED = ["asw", "ubl", "unipass"]


def test_china_s_profile_package_is_found_in_the_checkout_and_registered_for_a_run_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cast.profiles, "names", lambda: SHIPPED)  # as if not installed
    china = cast.china_profile()
    assert china.name == "cn" and china.register is not None
    assert china.register.name == "cn" and "examples/profile_cn" in china.how
    monkeypatch.undo()
    profiles.register(china.register)
    assert profiles.get("cn") is china.register
    profiles.unregister("cn")
    assert "cn" not in profiles.names()


def test_without_its_package_china_speaks_the_shipped_ubl_and_the_demo_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cast, "PACKAGE", tmp_path / "nowhere")
    monkeypatch.setattr(cast.profiles, "names", lambda: SHIPPED)
    china = cast.china_profile()
    assert (china.name, china.register) == ("ubl", None)
    assert "not at hand" in china.how and "ubl" in china.how
