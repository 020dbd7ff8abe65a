"""``aswbridge sample``: shipped samples in any profile, with fresh ids for testers."""

from __future__ import annotations

from pathlib import Path

import pytest

import aswbridge
from aswbridge import samples
from aswbridge.cli import main
from aswbridge.model import Certificate


@pytest.mark.parametrize("profile", ["asw", "unipass", "canonical"])
def test_the_sample_as_shipped(profile: str, tmp_path: Path) -> None:
    out = tmp_path / "sample"
    assert main(["sample", "form_ak_id_kr", "--profile", profile, "-o", str(out)]) == 0
    _, message = aswbridge.read(out.read_bytes())
    assert message == samples.form_ak_id_kr()


@pytest.mark.parametrize("name", ["form_rcep_kr_th", "receipt", "verification_request"])
def test_fresh_samples_are_new_messages_that_still_validate(name: str, tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        out = tmp_path / f"{n}.xml"
        assert main(["sample", name, "--fresh", "--profile", "unipass", "-o", str(out)]) == 0
        assert aswbridge.problems_of(out.read_bytes(), profile="unipass") == []
        runs.append(aswbridge.read(out.read_bytes())[1])
    original = samples.SCENARIOS[name]()
    ids = {m.envelope.message_id for m in runs}
    assert len(ids) == 2 and original.envelope.message_id not in ids
    if isinstance(original.document, Certificate):
        numbers = {m.document.id for m in runs}  # type: ignore[union-attr]
        assert len(numbers) == 2 and original.document.id not in numbers
    assert runs[0].document.__class__ is original.document.__class__


def test_unknown_sample_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["sample", "no_such_sample"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
