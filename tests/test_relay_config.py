"""The relay's TOML configuration: valid files, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aswbridge.config import load_config, parse_config
from aswbridge.errors import ConfigurationError

GOOD = """
[bridge]
country = "th"
store = "relay.db"
workers = 2

[nsw]
url = "https://nsw.example/mailbox"
read_timeout = 12.5

[unipass]
url = "https://unipass.example/eco"
client_cert = "client.pem"
client_key = "client.key"

[retry]
max_attempts = 5
horizon = 3600

[trust]
anchors = ["ca.pem"]
sign_key = "bridge.key"
sign_cert = "bridge.pem"
"""


def test_a_full_file_loads(tmp_path: Path) -> None:
    (tmp_path / "bridge.toml").write_text(GOOD)
    config = load_config(tmp_path / "bridge.toml")
    assert config.country == "TH" and config.workers == 2
    assert config.store == str(tmp_path / "relay.db")
    assert config.nsw.read_timeout == 12.5 and config.nsw.url == "https://nsw.example/mailbox"
    assert config.unipass.client_cert == tmp_path / "client.pem"
    assert config.retry.max_attempts == 5 and config.retry.horizon == 3600
    assert config.trust.anchors == (tmp_path / "ca.pem",) and config.trust.configured
    assert config.allow_unsigned is False


def minimal(**changes: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "bridge": {"country": "TH", "store": "r.db"},
        "nsw": {"url": "http://127.0.0.1:1"},
        "unipass": {"url": "http://127.0.0.1:2"},
    }
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return data


def test_the_minimum_is_enough() -> None:
    config = parse_config(minimal(), base_dir=Path("/srv"))
    assert config.retry.max_attempts == 320 and not config.trust.configured


def test_a_folder_mailbox_replaces_the_nsw_url() -> None:
    data = minimal()
    data["nsw"] = {"mailbox": "box"}
    assert parse_config(data, base_dir=Path("/srv")).nsw.mailbox == Path("/srv/box")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(minimal(nsw={"read_timeout": "ten"}), "nsw.read_timeout", id="not-a-number"),
        pytest.param(minimal(nsw={"read_timeout": -1}), "nsw.read_timeout", id="negative"),
        pytest.param(minimal(nsw={"urll": "x"}), "nsw.urll", id="typo"),
        pytest.param(minimal(bridge={"workers": True}), "bridge.workers", id="bool-for-int"),
        pytest.param(minimal(bridge={"country": "Thailand"}), "bridge.country", id="country"),
        pytest.param(minimal(unipass={"url": "ftp://x"}), "unipass.url", id="url-scheme"),
        pytest.param(minimal(retry={"max_attempts": 0}), "retry.max_attempts", id="retry"),
        pytest.param(minimal(retry={"jitter": -1}), "retry.jitter", id="jitter"),
        pytest.param(minimal(trust={"anchors": "ca.pem"}), "trust.anchors", id="anchors"),
        pytest.param(minimal(trust={"sign_key": "k"}), "trust.sign_cert", id="key-no-cert"),
        pytest.param(minimal(nsw={"mailbox": "b"}), "nsw.url", id="url-and-mailbox"),
        pytest.param(minimal(unipass={"client_key": "k"}), "unipass.client_key", id="key-alone"),
        pytest.param({"bridge": {"store": "r.db"}}, "bridge.country", id="no-country"),
        pytest.param(minimal(extra={"a": 1}), "extra", id="unknown-section"),
    ],
)
def test_errors_name_the_bad_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_config(data, base_dir=Path("/srv"))
    assert info.value.message.startswith(f"{key}:")


def test_broken_toml_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "bridge.toml").write_text("[bridge\ncountry =")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_config(tmp_path / "bridge.toml")


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_config(tmp_path / "absent.toml")
