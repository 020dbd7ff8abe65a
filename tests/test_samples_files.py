"""The sample files under examples/messages: current, valid, and equal to their builders."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from aswbridge import canonical, pipeline, profiles, samples

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "examples" / "messages"
NAMES = sorted(samples.SCENARIOS)


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_samples", ROOT / "tools" / "make_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_samples = _load_tool()


def test_sample_files_are_current() -> None:
    # A stale file means a builder or a profile changed: run tools/make_samples.py.
    stale = [
        str(relative)
        for relative, content in make_samples.outputs()
        if not (MESSAGES / relative).is_file() or (MESSAGES / relative).read_bytes() != content
    ]
    assert stale == []


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert make_samples.main(["--out", str(tmp_path)]) == 0
    assert make_samples.main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "asw" / "one_item.xml").write_bytes(b"<stale/>")
    assert make_samples.main(["--out", str(tmp_path), "--check"]) == 1
    assert "asw/one_item.xml" in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("folder", "suffix"),
    [("asw", ".xml"), ("unipass", ".xml"), ("ubl", ".xml"), ("canonical", ".json")],
)
def test_file_reads_back_as_its_builder(name: str, folder: str, suffix: str) -> None:
    data = (MESSAGES / folder / f"{name}{suffix}").read_bytes()
    profile, message = pipeline.read(data)
    assert profile == folder
    assert message == samples.SCENARIOS[name]()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("profile", ["asw", "unipass", "ubl"])
def test_compact_encoding_round_trips(name: str, profile: str) -> None:
    message = samples.SCENARIOS[name]()
    data = profiles.get(profile).encode_bytes(message)
    assert pipeline.read(data, profile=profile) == (profile, message)


@pytest.mark.parametrize("name", NAMES)
def test_canonical_round_trips(name: str) -> None:
    message = samples.SCENARIOS[name]()
    assert canonical.loads(canonical.dumps(message)) == message


def test_index_lists_every_sample() -> None:
    index = (MESSAGES / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in index for name in NAMES)
