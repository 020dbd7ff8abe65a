"""The translation benchmark's correctness gates (not its timings).

The benchmark compares ``aswbridge.translate`` with an XSLT 1.0 stylesheet generated
from the profiles' tables; the comparison only means something while the stylesheet
produces exactly what aswbridge produces. These tests run that gate, and the
stylesheet generator in both directions over every named sample (certificates and
answers alike).
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lxml import etree

import aswbridge
from aswbridge import _xml, profiles, samples

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("aswbridge_benchmark_translate", BENCHMARKS / "translate.py")


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _load("aswbridge_benchmark_xslt_generate", BENCHMARKS / "xslt" / "generate.py")


@pytest.fixture(scope="module")
def cases(bench: ModuleType) -> list[Any]:
    return list(bench.build_cases())


def test_cases_are_realistic_certificates_of_1_20_200_items(cases: list[Any]) -> None:
    assert [case.items for case in cases] == [1, 20, 200]
    for case in cases:
        assert len(case.certificate.items) == case.items
        assert case.data.startswith(b"<EFormMessage")


def test_gate_passes_for_every_pipeline(bench: ModuleType, cases: list[Any]) -> None:
    bench.check_gates(cases, bench.xslt_transform())  # raises GateFailed on any difference
    for case in cases:
        outputs = {
            name: run() for name, run in bench.pipelines(case, bench.xslt_transform()).items()
        }
        assert set(outputs) == {"baseline", "xslt", "aswbridge"}
        assert outputs["aswbridge"] == case.expected


def test_ubl_gate_passes_and_catches_a_wrong_output(
    bench: ModuleType, cases: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.check_ubl_gate(cases)
    out = _xml.parse(bench.ubl_pipeline(cases[0])())
    assert (
        out.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CertificateOfOrigin-2}"
        "CertificateOfOrigin"
    )
    monkeypatch.setattr(bench, "ubl_pipeline", lambda case: lambda: case.expected)
    with pytest.raises(bench.GateFailed, match="not valid UBL"):
        bench.check_ubl_gate(cases[:1])


def test_gate_catches_a_stylesheet_that_differs(bench: ModuleType, cases: list[Any]) -> None:
    broken = bench.stylesheet("asw", "unipass").replace(b"<ImpCntyCd>", b"<ImpCntyCd>X", 1)
    with pytest.raises(bench.GateFailed, match="xslt"):
        bench.check_gates(cases[:1], etree.XSLT(_xml.parse(broken)))


#: A day after every sample's dates, so that no date counts as in the future.
TODAY = date(2026, 12, 31)


@pytest.mark.parametrize(("source", "target"), [("asw", "unipass"), ("unipass", "asw")])
@pytest.mark.parametrize("sample", list(samples.SCENARIOS))
def test_generated_stylesheet_equals_translate(
    generate: ModuleType, source: str, target: str, sample: str
) -> None:
    data = profiles.get(source).encode_bytes(samples.SCENARIOS[sample]())
    expected = aswbridge.translate(data, source=source, target=target, today=TODAY)
    transform = etree.XSLT(_xml.parse(generate.stylesheet(source, target)))
    result = transform(_xml.parse(data)).getroot()
    profiles.get(target).validate(result)
    assert etree.tostring(result, method="c14n", exclusive=True) == etree.tostring(
        _xml.parse(expected), method="c14n", exclusive=True
    )


def test_generated_stylesheet_refuses_an_unknown_code(generate: ModuleType) -> None:
    data = profiles.get("asw").encode_bytes(samples.one_item())
    data = data.replace(b"<FunctionCode>9<", b"<FunctionCode>7<")
    transform = etree.XSLT(_xml.parse(generate.stylesheet("asw", "unipass")))
    with pytest.raises(etree.XSLTApplyError, match="no spelling"):
        transform(_xml.parse(data))


def test_quick_run_prints_the_ratio_and_rss_lines_last(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--quick", "--repeats", "1", "--min-time", "0.001", "--soak", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.lstrip("| ").startswith("N=20 ubl") for line in lines), lines
    last = lines[-3:]
    assert last[0].startswith("ratio vs baseline: ")
    assert last[1].startswith("ratio vs xslt: ")
    assert last[2].startswith("rss growth over 5 messages: ")
    assert last[2].endswith(" MB")
    assert float(last[0].split(": ")[1]) > 0
    assert float(last[1].split(": ")[1]) > 0
    float(last[2].split(": ")[1].removesuffix(" MB"))  # a number, possibly negative
