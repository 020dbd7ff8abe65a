"""A side may speak another profile: a new single window joins by configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bridge import Clock, FakeSide
from test_bridge_pipeline import queue

from aswbridge import canonical
from aswbridge.config import parse_config
from aswbridge.errors import ConfigurationError
from aswbridge.pipeline import read
from aswbridge.relay import Bridge, pipeline_translator
from aswbridge.samples.builder import certificate
from aswbridge.store import SqliteStore

BASE = {
    "bridge": {"country": "TH", "store": "relay.db"},
    "nsw": {"url": "http://127.0.0.1:1"},
    "unipass": {"url": "http://127.0.0.1:2"},
}


def test_side_profile_is_validated_naming_the_key() -> None:
    config = parse_config({**BASE, "nsw": {**BASE["nsw"], "profile": "asw"}})
    assert config.nsw.profile == "asw"
    with pytest.raises(ConfigurationError, match=r"nsw.profile: unknown profile 'edifact'"):
        parse_config({**BASE, "nsw": {**BASE["nsw"], "profile": "edifact"}})
    with pytest.raises(ConfigurationError, match=r"unipass.profile: expected a string"):
        parse_config({**BASE, "unipass": {**BASE["unipass"], "profile": 3}})


def test_a_side_speaking_another_format_is_translated_both_ways(tmp_path: Path) -> None:
    nsw, unipass = FakeSide("nsw"), FakeSide("unipass")
    with SqliteStore(tmp_path / "relay.db", now=Clock()) as store:
        bridge = Bridge(
            nsw=nsw,
            unipass=unipass,
            store=store,
            country="TH",
            translate=pipeline_translator(allow_unsigned=True),
            profiles={"nsw": "canonical"},
        )
        message = certificate(exporter_country="TH", importing_country="KR")
        message_id = queue(nsw, canonical.dumps(message))  # this single window speaks JSON
        bridge.run_once()
        assert nsw.acked == [message_id]
        profile, delivered = read(unipass.received[0].body)
        assert (profile, delivered) == ("unipass", message)
