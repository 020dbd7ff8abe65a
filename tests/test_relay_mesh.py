"""A bridge as a node of a mesh: [local] and [[partners]], routing by the verified receiver,
NO_ROUTE, a partner speaking only for its country, `aswbridge partners`, the two-party form
as its special case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_bridge import FakeSide

from aswbridge import cli
from aswbridge.config import load_config, parse_config
from aswbridge.errors import ConfigurationError
from aswbridge.model import Message
from aswbridge.pipeline import read, write
from aswbridge.relay import Bridge, pipeline_translator
from aswbridge.relay.factory import build_bridge
from aswbridge.relay.routing import Link
from aswbridge.samples.builder import certificate
from aswbridge.store import SqliteStore
from aswbridge.testing.mocks import MockUnipass
from aswbridge.transport.base import Inbound
from aswbridge.transport.filebox import FileboxSide

MESH = {
    "bridge": {"country": "KR", "store": "bridge.db"},
    "local": {"profile": "unipass", "url": "https://unipass.example/eco"},
    "partners": [
        {"country": "ID", "url": "https://user:secret@insw.example/mailbox"},
        {"country": "vn", "profile": "asw", "mailbox": "vn-box", "pull": False},
        {"country": "TH", "url": "https://nsw.th.example/", "enabled": False},
    ],
}


def cert(exporter: str, importer: str, name: str) -> Message:
    return certificate(exporter_country=exporter, importing_country=importer, name=name)


# --- configuration --------------------------------------------------------------------


def test_the_mesh_form_names_the_local_side_and_each_partner(tmp_path: Path) -> None:
    config = parse_config(MESH, base_dir=tmp_path)
    peers = {peer.name: peer for peer in config.peers()}
    assert list(peers) == ["local", "ID", "VN", "TH"]
    local = peers["local"]
    assert (local.local, local.country, local.profile) == (True, "KR", "unipass")
    assert (peers["ID"].profile, peers["ID"].pull, peers["ID"].enabled) == ("asw", True, True)
    assert peers["VN"].side.mailbox == tmp_path / "vn-box" and not peers["VN"].pull
    assert not peers["TH"].enabled


def test_the_two_party_form_is_the_mesh_of_one_partner(tmp_path: Path) -> None:
    config = parse_config(
        {"bridge": {"country": "TH", "store": "r.db"}, "nsw": {"mailbox": "box"},
         "unipass": {"url": "https://unipass.example/eco"}},
        base_dir=tmp_path,
    )
    assert [(p.name, p.country, p.profile, p.local) for p in config.peers()] == [
        ("nsw", "TH", "asw", True), ("unipass", "KR", "unipass", False)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"nsw": {"mailbox": "box"}}, "give one form", id="both-forms"),
        pytest.param({"partners": [{"country": "ID", "url": "https://a.example"},
                                   {"country": "id", "url": "https://b.example"}]},
                     "partners.ID: the country is given twice", id="twice"),
        pytest.param({"partners": [{"country": "KR", "url": "https://a.example"}]},
                     "partners.KR: the bridge's own country", id="own-country"),
        pytest.param({"partners": [{"country": "ID", "url": "https://a.example", "pul": 1}]},
                     "partners.ID.pul: unknown key", id="unknown-key"),
        pytest.param({"partners": [{"country": "Indonesia", "url": "https://a.example"}]},
                     "expected an ISO 3166 alpha-2 code", id="bad-country"),
        pytest.param({"partners": [{"url": "https://a.example"}]},
                     "partners[0].country: required", id="no-country"),
        pytest.param({"partners": [{"country": "ID"}]}, "partners.ID.url: exactly one",
                     id="no-address"),
        pytest.param({"partners": {"country": "ID"}}, "expected [[partners]] tables",
                     id="not-a-list"),
        pytest.param({"local": {"profile": "nope", "url": "https://a.example"}},
                     "unknown profile", id="unknown-profile"),
    ],
)
def test_a_bad_mesh_is_a_configuration_error_naming_the_key(
    change: dict[str, Any], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_config({**MESH, **change}, base_dir=tmp_path)
    assert message in caught.value.message


def test_partners_prints_the_routing_table_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(
        '[bridge]\ncountry = "KR"\nstore = "b.db"\n'
        '[local]\nprofile = "unipass"\nurl = "https://unipass.example/eco"\n'
        '[[partners]]\ncountry = "ID"\nurl = "https://user:secret@insw.example:8443/mb"\n'
        '[[partners]]\ncountry = "VN"\nmailbox = "vn-box"\npull = false\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("mesh",))
    assert cli.main(["partners", "--config", str(path), "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["routes"] == {"KR": "local", "ID": "ID", "VN": "VN"}
    sides = {row["side"]: row for row in table["sides"]}
    assert sides["ID"]["address"] == "https://insw.example:8443/mb"
    assert (sides["VN"]["pull"], sides["VN"]["role"]) == (False, "partner")
    assert cli.main(["partners", "--config", str(path)]) == 0
    text = capsys.readouterr().out
    assert "secret" not in text and "NO_ROUTE" in text and "ID       ID" in text


# --- routing ------------------------------------------------------------------------


class Node:
    """Korea's bridge with UNI-PASS as its local side and three partner NSWs (fakes)."""

    def __init__(self, tmp_path: Path, *, pull_vn: bool = True) -> None:
        self.local = FakeSide("local")
        self.partners = {cc: FakeSide(cc) for cc in ("ID", "VN", "TH")}
        links = [Link(name="local", side=self.local, country="KR", profile="unipass",
                      local=True)]
        links += [Link(name=cc, side=side, country=cc, profile="asw",
                       pull=pull_vn or cc != "VN") for cc, side in self.partners.items()]
        self.store = SqliteStore(tmp_path / "kr.db")
        self.bridge = Bridge(links=links, store=self.store, country="KR",
                             translate=pipeline_translator(allow_unsigned=True))

    def put(self, side: FakeSide, message: Message, profile: str) -> str:
        ref = f"ref-{message.envelope.message_id}"
        side.waiting[ref] = Inbound(ref=ref, body=write(message, profile=profile))
        return ref


def delivered(side: FakeSide) -> list[tuple[str, str]]:
    return [(read(o.body)[0], read(o.body)[1].envelope.message_id) for o in side.received]


def test_each_message_goes_to_the_country_it_is_addressed_to(tmp_path: Path) -> None:
    node = Node(tmp_path)
    to_vn, to_id = cert("KR", "VN", "kr-vn"), cert("KR", "ID", "kr-id")
    from_th = cert("TH", "KR", "th-kr")
    node.put(node.local, to_vn, "unipass")
    node.put(node.local, to_id, "unipass")
    node.put(node.partners["TH"], from_th, "asw")
    report = node.bridge.run_once()
    assert (report.pulled, report.delivered, report.rejected) == (3, 3, 0)
    assert delivered(node.partners["VN"]) == [("asw", to_vn.envelope.message_id)]
    assert delivered(node.partners["ID"]) == [("asw", to_id.envelope.message_id)]
    assert delivered(node.local) == [("unipass", from_th.envelope.message_id)]
    assert node.partners["TH"].received == []


@pytest.mark.parametrize(
    ("source", "message", "code"),
    [
        pytest.param("local", cert("KR", "MY", "kr-my"), "NO_ROUTE", id="no-partner"),
        pytest.param("ID", cert("ID", "VN", "id-vn"), "NO_ROUTE", id="partner-to-partner"),
        pytest.param("ID", cert("VN", "KR", "vn-via-id"), "SENDER_NOT_PARTNER",
                     id="another-partners-certificate"),
        pytest.param("local", cert("ID", "VN", "id-from-kr"), "SENDER_NOT_PARTNER",
                     id="local-side-speaking-for-another"),
    ],
)
def test_a_message_with_no_route_is_refused_at_its_source(
    source: str, message: Message, code: str, tmp_path: Path
) -> None:
    node = Node(tmp_path)
    side = node.local if source == "local" else node.partners[source]
    ref = node.put(side, message, "unipass" if source == "local" else "asw")
    report = node.bridge.run_once()
    assert (report.rejected, report.delivered) == (1, 0)
    assert side.rejected == [(ref, code)]
    everyone = [node.local, *node.partners.values()]
    assert all(s.received == [] for s in everyone)
    (refused,) = node.store.rejected()
    assert refused.code == code and refused.message_id == message.envelope.message_id


def test_a_partner_this_bridge_does_not_pull_from_is_only_delivered_to(tmp_path: Path) -> None:
    node = Node(tmp_path, pull_vn=False)
    node.put(node.partners["VN"], cert("VN", "KR", "vn-kr"), "asw")
    node.put(node.local, cert("KR", "VN", "kr-vn-2"), "unipass")
    node.bridge.run_once()
    assert len(node.partners["VN"].waiting) == 1  # its bridge carries that direction
    assert len(node.partners["VN"].received) == 1


def test_a_mesh_configuration_runs_end_to_end(tmp_path: Path) -> None:
    """Thailand's bridge from a file: its folder mailbox, Korea (UNI-PASS) and Indonesia."""
    with MockUnipass(respond=False) as unipass:
        path = tmp_path / "bridge.toml"
        path.write_text(
            '[bridge]\ncountry = "TH"\nstore = "th.db"\nallow_unsigned = true\n'
            '[local]\nmailbox = "th-box"\n'
            f'[[partners]]\ncountry = "KR"\nprofile = "unipass"\nurl = "{unipass.url}"\n'
            '[[partners]]\ncountry = "ID"\nmailbox = "id-box"\n',
            encoding="utf-8",
        )
        bridge = build_bridge(load_config(path))
        box = bridge.sides["local"]
        assert isinstance(box, FileboxSide)
        for name, message in (("kr.xml", cert("TH", "KR", "th-kr-e2e")),
                              ("id.xml", cert("TH", "ID", "th-id-e2e"))):
            (box.inbox / name).write_bytes(write(message, profile="asw"))
        report = bridge.run_once()
        bridge.store.close()
        assert (report.pulled, report.delivered) == (2, 2)
        assert [r.sender for r in unipass.mailbox.received.values()] == ["TH"]
        (to_id,) = (tmp_path / "id-box" / "out").glob("*.xml")
        assert read(to_id.read_bytes())[1].envelope.receiver.country == "ID"
