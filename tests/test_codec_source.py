"""The generated codec is plain to read: its source is printable and shows in tracebacks."""

from __future__ import annotations

import traceback

import pytest
from lxml import etree

from aswbridge import profiles, samples
from aswbridge.profiles import engine, show


@pytest.mark.parametrize("name", ["asw", "unipass"])
def test_generated_source_has_every_table(name: str) -> None:
    profile = profiles.get(name)
    source = engine.generated_source(profile)
    for kind, table in [("envelope", profile.envelope), *profile.documents.items()]:
        assert f"# --- {name}: {kind} ({table.cls.__name__}) ---" in source
    assert source.count("def decode(element):") == len(profile.documents) + 1
    assert source.count("def encode(obj, out, path=''):") == len(profile.documents) + 1
    compile(source, "<check>", "exec")  # what is shown is valid Python


def test_show_prints_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert show.main(["unipass"]) == 0
    assert capsys.readouterr().out == engine.generated_source(profiles.get("unipass"))
    assert show.main([]) == 2


def test_a_traceback_through_generated_code_shows_the_generated_line() -> None:
    profile = profiles.get("asw")
    element = profile.encode(samples.form_ak_id_kr())
    plan = engine.plan_for(profile.envelope, profile.namespace)
    header = element[0]

    def explode(_: object) -> None:
        raise RuntimeError("inside the generated decoder")

    original = engine._text
    plan_globals = plan.decode.__globals__
    plan_globals["_text"] = explode
    try:
        # a leaf with children goes through _text, so the failure happens there
        message_id = header[0]
        etree.SubElement(message_id, "x")
        with pytest.raises(RuntimeError) as caught:
            plan.decode(header)
    finally:
        plan_globals["_text"] = original
        del message_id[0]
    frames = traceback.extract_tb(caught.value.__traceback__)
    generated = [f for f in frames if f.filename.startswith("<aswbridge decoder")]
    assert generated, [f.filename for f in frames]
    assert generated[-1].line and "_text(c0)" in generated[-1].line
