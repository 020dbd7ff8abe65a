"""tools/regenerate_codes.py rebuilds the shipped code lists: the list it always writes is ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_script_rebuilds_the_shipped_rec19_list(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "regenerate_codes.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "unece_rec19.csv" in done.stdout
    shipped = ROOT / "aswbridge" / "codes" / "data" / "unece_rec19.csv"
    assert (tmp_path / "unece_rec19.csv").read_bytes() == shipped.read_bytes()
    # only the lists whose upstream inputs were given are written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unece_rec19.csv"]
