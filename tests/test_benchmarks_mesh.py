"""The mesh benchmark's isolation case, short: one partner of five answers every delivery
with a 503; the four others get all of theirs, its own wait (pending, none dead)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_one_partner_down_holds_only_its_own(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("aswbridge_benchmark_mesh",
                                                  BENCHMARKS / "mesh.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    rate, counts = module.mesh_rate(tmp_path, partners=5, down=1, count=25)
    assert rate > 0  # mesh_rate returns only once the four partners that are up have all
    assert (counts["done"], counts["dead"]) == (20, 0)
    assert counts["pending"] + counts["in_flight"] == 5
