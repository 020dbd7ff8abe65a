"""The mesh benchmark, short: its isolation case (one partner of five answers every
delivery with a 503; the four others get all of theirs, its own wait, pending, none dead),
and every case reported as a ratio to the pipeline measured in the same run."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load() -> Any:
    """``benchmarks/mesh.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        "aswbridge_benchmark_mesh", BENCHMARKS / "mesh.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_one_partner_down_holds_only_its_own(tmp_path: Path) -> None:
    module = load()
    rate, counts = module.mesh_rate(tmp_path, partners=5, down=1, count=25)
    assert rate > 0  # mesh_rate returns only once the four partners that are up have all
    assert (counts["done"], counts["dead"]) == (20, 0)
    assert counts["pending"] + counts["in_flight"] == 5


def test_every_case_is_also_a_ratio_to_the_pipeline_in_the_same_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load()
    assert module.main(["--count", "10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"pipeline: +\d+\.\d certificates/s", lines[0])
    rates = [float(re.findall(r"(\d+\.\d) certificates/s", line)[0]) for line in lines[:4]]
    match = re.fullmatch(
        r"ratio vs pipeline: 1 partner (\S+), 5 partners (\S+), one of 5 down (\S+)", lines[-1]
    )
    assert match is not None
    for ratio, rate in zip(match.groups(), rates[1:], strict=True):
        assert float(ratio) == pytest.approx(rate / rates[0], abs=0.01)
