"""A bridge as a node of a mesh: [local] and [[partners]], routing by the verified receiver,
NO_ROUTE, a partner speaking only for its country, `aswbridge partners`, the two-party form
as its special case."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
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
from aswbridge.relay.breaker import Breaker
from aswbridge.relay.factory import build_bridge, reload_partners
from aswbridge.relay.routing import Link
from aswbridge.samples.builder import certificate
from aswbridge.store import SqliteStore
from aswbridge.testing.mesh import MockMesh
from aswbridge.testing.mocks import MockUnipass
from aswbridge.transport.base import Delivered, Inbound, Outbound, RetryableTransportError
from aswbridge.transport.filebox import FileboxSide
from aswbridge.transport.retry import RetryPolicy

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
        {
            "bridge": {"country": "TH", "store": "r.db"},
            "nsw": {"mailbox": "box"},
            "unipass": {"url": "https://unipass.example/eco"},
        },
        base_dir=tmp_path,
    )
    assert [(p.name, p.country, p.profile, p.local) for p in config.peers()] == [
        ("nsw", "TH", "asw", True),
        ("unipass", "KR", "unipass", False),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"nsw": {"mailbox": "box"}}, "give one form", id="both-forms"),
        pytest.param(
            {
                "partners": [
                    {"country": "ID", "url": "https://a.example"},
                    {"country": "id", "url": "https://b.example"},
                ]
            },
            "partners.ID: the country is given twice",
            id="twice",
        ),
        pytest.param(
            {"partners": [{"country": "KR", "url": "https://a.example"}]},
            "partners.KR: the bridge's own country",
            id="own-country",
        ),
        pytest.param(
            {"partners": [{"country": "ID", "url": "https://a.example", "pul": 1}]},
            "partners.ID.pul: unknown key",
            id="unknown-key",
        ),
        pytest.param(
            {"partners": [{"country": "Indonesia", "url": "https://a.example"}]},
            "expected an ISO 3166 alpha-2 code",
            id="bad-country",
        ),
        pytest.param(
            {"partners": [{"url": "https://a.example"}]},
            "partners[0].country: required",
            id="no-country",
        ),
        pytest.param(
            {"partners": [{"country": "ID"}]}, "partners.ID.url: exactly one", id="no-address"
        ),
        pytest.param(
            {"partners": {"country": "ID"}}, "expected [[partners]] tables", id="not-a-list"
        ),
        pytest.param(
            {"local": {"profile": "nope", "url": "https://a.example"}},
            "unknown profile",
            id="unknown-profile",
        ),
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
        links = [Link(name="local", side=self.local, country="KR", profile="unipass", local=True)]
        links += [
            Link(name=cc, side=side, country=cc, profile="asw", pull=pull_vn or cc != "VN")
            for cc, side in self.partners.items()
        ]
        self.store = SqliteStore(tmp_path / "kr.db")
        self.bridge = Bridge(
            links=links,
            store=self.store,
            country="KR",
            translate=pipeline_translator(allow_unsigned=True),
        )

    def put(self, side: FakeSide, message: Message, profile: str) -> str:
        return put(side, message, profile)


def put(side: FakeSide, message: Message, profile: str) -> str:
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
        pytest.param(
            "ID",
            cert("VN", "KR", "vn-via-id"),
            "SENDER_NOT_PARTNER",
            id="another-partners-certificate",
        ),
        pytest.param(
            "local",
            cert("ID", "VN", "id-from-kr"),
            "SENDER_NOT_PARTNER",
            id="local-side-speaking-for-another",
        ),
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
        for name, message in (
            ("kr.xml", cert("TH", "KR", "th-kr-e2e")),
            ("id.xml", cert("TH", "ID", "th-id-e2e")),
        ):
            (box.inbox / name).write_bytes(write(message, profile="asw"))
        report = bridge.run_once()
        bridge.store.close()
        assert (report.pulled, report.delivered) == (2, 2)
        assert [r.sender for r in unipass.mailbox.received.values()] == ["TH"]
        (to_id,) = (tmp_path / "id-box" / "out").glob("*.xml")
        assert read(to_id.read_bytes())[1].envelope.receiver.country == "ID"


# --- isolation ----------------------------------------------------------------------


class Down(FakeSide):
    """A partner answering every delivery with a 503 until it is back."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.down = True
        self.calls = 0

    def deliver(self, item: Outbound) -> Delivered:
        self.calls += 1
        if self.down:
            raise RetryableTransportError("HTTP 503", code="HTTP_503", status=503)
        return super().deliver(item)


def test_the_breaker_opens_after_failures_probes_and_closes() -> None:
    breaker = Breaker(threshold=3, cooldown=10.0)
    assert breaker.allowance(normal=4, now=0.0) == 4
    assert [breaker.record(ok=False, now=t) for t in (1.0, 2.0, 3.0)] == [None, None, "open"]
    assert breaker.allowance(normal=4, now=12.9) == 0  # cooling down
    assert breaker.allowance(normal=4, now=13.0) == 1 and breaker.state == "half_open"
    assert breaker.allowance(normal=4, now=13.5) == 0  # one probe at a time
    assert breaker.record(ok=False, now=14.0) == "open"  # the probe failed
    assert breaker.allowance(normal=4, now=24.0) == 1
    assert breaker.record(ok=True, now=24.5) == "closed"
    assert breaker.allowance(normal=4, now=25.0) == 4


def test_a_partner_that_is_down_holds_only_its_own_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local, up, down = FakeSide("local"), FakeSide("ID"), Down("VN")
    links = [
        Link(name="local", side=local, country="KR", profile="unipass", local=True),
        Link(name="ID", side=up, country="ID", profile="asw"),
        Link(name="VN", side=down, country="VN", profile="asw"),
    ]
    store = SqliteStore(tmp_path / "kr.db")
    bridge = Bridge(
        links=links,
        store=store,
        country="KR",
        workers=4,
        batch=100,
        breaker_threshold=3,
        breaker_cooldown=0.2,
        policy=RetryPolicy(initial=0.05, maximum=0.1, jitter=0),
        translate=pipeline_translator(allow_unsigned=True),
    )
    for n in range(20):
        for cc in ("ID", "VN"):
            put(local, cert("KR", cc, f"kr-{cc}-{n}"), "unipass")
    bridge.run_once()
    bridge.run_once()
    assert len(up.distinct) == 20  # Indonesia at full rate, whatever Viet Nam does
    # three failures open the breaker (those already sent in the same chunk finish)
    assert 3 <= down.calls < 3 + bridge.workers and down.received == []
    sides = store.counts_by_side()
    assert sides["VN"]["pending"] == 20 and sides["VN"]["dead"] == 0
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("relay",))
    assert cli.main(["status", "--store", str(tmp_path / "kr.db"), "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["partners"]["VN"]["breaker"] == "open"
    assert (status["partners"]["VN"]["pending"], status["partners"]["ID"]["done"]) == (20, 20)
    down.down = False  # Viet Nam is back: the probe goes through, then the rest
    time.sleep(0.25)
    for _ in range(5):
        bridge.run_once()
    assert len(down.distinct) == 20 and store.counts_by_side()["VN"]["done"] == 20
    events = [(e.event, e.state) for e in store.journal(message_id="partner:VN")]
    assert events == [("breaker", "open"), ("breaker", "closed")]
    store.close()


def test_a_disabled_partner_keeps_its_queue(tmp_path: Path) -> None:
    local, paused = FakeSide("local"), FakeSide("TH")
    links = [
        Link(name="local", side=local, country="KR", profile="unipass", local=True),
        Link(name="TH", side=paused, country="TH", profile="asw", enabled=False),
    ]
    store = SqliteStore(tmp_path / "kr.db")
    bridge = Bridge(
        links=links, store=store, country="KR", translate=pipeline_translator(allow_unsigned=True)
    )
    put(local, cert("KR", "TH", "kr-th-held"), "unipass")
    put(paused, cert("TH", "KR", "th-kr-waits"), "asw")
    report = bridge.run_once()
    assert (report.pulled, report.delivered) == (1, 0)
    assert paused.received == [] and len(paused.waiting) == 1
    assert store.counts_by_side()["TH"]["pending"] == 1
    store.close()


# --- joining at run time ------------------------------------------------------------


def mesh_file(path: Path, partners: str) -> Path:
    path.write_text(
        '[bridge]\ncountry = "TH"\nstore = "th.db"\nallow_unsigned = true\n'
        'pid_file = "relay.pid"\npoll_interval = 0.05\n'
        '[local]\nmailbox = "th-box"\n' + partners,
        encoding="utf-8",
    )
    return path


def test_a_reload_adds_changes_and_disables_partners_keeping_queues(tmp_path: Path) -> None:
    path = mesh_file(tmp_path / "bridge.toml", '[[partners]]\ncountry = "ID"\nmailbox = "id-box"\n')
    bridge = build_bridge(load_config(path))
    box, id_side = bridge.sides["local"], bridge.sides["ID"]
    assert isinstance(box, FileboxSide)
    (box.inbox / "my.xml").write_bytes(write(cert("TH", "MY", "th-my-early"), profile="asw"))
    assert bridge.run_once().rejected == 1  # no partner for Malaysia yet: NO_ROUTE
    mesh_file(
        path,
        '[[partners]]\ncountry = "ID"\nmailbox = "id-box"\nenabled = false\n'
        '[[partners]]\ncountry = "MY"\nprofile = "ubl"\nmailbox = "my-box"\n',
    )
    reload_partners(bridge, load_config(path))
    assert bridge.sides["ID"] is id_side  # unchanged address: the same transport
    (box.inbox / "my2.xml").write_bytes(write(cert("TH", "MY", "th-my-late"), profile="asw"))
    (box.inbox / "id.xml").write_bytes(write(cert("TH", "ID", "th-id-held"), profile="asw"))
    report = bridge.run_once()
    assert (report.pulled, report.delivered) == (2, 1)
    (joined,) = (tmp_path / "my-box" / "out").glob("*.xml")
    profile, message = read(joined.read_bytes())
    assert profile == "ubl" and message.envelope.receiver.country == "MY"
    assert bridge.store.counts_by_side()["ID"]["pending"] == 1  # held, not dead
    mesh_file(path, '[[partners]]\ncountry = "ID"\nmailbox = "id-box"\n')
    reload_partners(bridge, load_config(path))  # Malaysia leaves, Indonesia is back
    assert bridge.run_once().delivered == 1
    assert len(list((tmp_path / "id-box" / "out").glob("*.xml"))) == 1
    with pytest.raises(ConfigurationError):  # a mesh cannot become a two-party relay
        reload_partners(
            bridge,
            parse_config(
                {
                    "bridge": {"country": "TH", "store": "x.db"},
                    "nsw": {"mailbox": "b"},
                    "unipass": {"url": "https://unipass.example/eco"},
                },
                base_dir=tmp_path,
            ),
        )
    bridge.store.close()


def test_a_partner_joins_a_running_relay_on_reload(tmp_path: Path) -> None:
    """`aswbridge partners --reload` signals the running relay (SIGHUP): Malaysia, joining
    in UBL, is served without a restart."""
    path = mesh_file(tmp_path / "bridge.toml", '[[partners]]\ncountry = "ID"\nmailbox = "id-box"\n')
    relay = subprocess.Popen(
        [sys.executable, "-m", "aswbridge", "run", "--config", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        pid_file = tmp_path / "relay.pid"
        wait_for(pid_file.exists, "the relay writes its pid")
        inbox = tmp_path / "th-box" / "in"
        wait_for(inbox.is_dir, "the relay creates its mailbox")
        (inbox / "id.xml").write_bytes(write(cert("TH", "ID", "th-id-run"), profile="asw"))
        wait_for(lambda: any((tmp_path / "id-box" / "out").glob("*.xml")), "ID is served")
        mesh_file(
            path,
            '[[partners]]\ncountry = "ID"\nmailbox = "id-box"\n'
            '[[partners]]\ncountry = "MY"\nprofile = "ubl"\nmailbox = "my-box"\n',
        )
        done = subprocess.run(
            [sys.executable, "-m", "aswbridge", "partners", "--config", str(path), "--reload"],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        wait_for(lambda: (tmp_path / "my-box" / "in").is_dir(), "MY's mailbox is set up")
        (inbox / "my.xml").write_bytes(write(cert("TH", "MY", "th-my-run"), profile="asw"))
        wait_for(lambda: any((tmp_path / "my-box" / "out").glob("*.xml")), "MY is served")
        (joined,) = (tmp_path / "my-box" / "out").glob("*.xml")
        assert read(joined.read_bytes())[0] == "ubl"
    finally:
        relay.terminate()
        _, err = relay.communicate(timeout=60)
    assert relay.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err and not (tmp_path / "relay.pid").exists()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting: {what}"
        time.sleep(0.05)


# --- one carrier per direction ------------------------------------------------------


def test_two_bridges_on_one_link_carry_every_message_once(tmp_path: Path) -> None:
    """Korea's bridge and Indonesia's, both configured for the ID-KR link: each pulls only
    from its own country's system (the sending side's bridge carries), so every
    certificate and every customs answer crosses once, each way."""
    with MockMesh.start(["ID"]) as mesh:
        korea = build_bridge(
            parse_config(
                {
                    "bridge": {
                        "country": "KR",
                        "store": str(tmp_path / "kr.db"),
                        "allow_unsigned": True,
                    },
                    "local": {"profile": "unipass", "url": mesh["KR"].url},
                    "partners": [{"country": "ID", "url": mesh["ID"].url, "pull": False}],
                }
            )
        )
        indonesia = build_bridge(
            parse_config(
                {
                    "bridge": {
                        "country": "ID",
                        "store": str(tmp_path / "id.db"),
                        "allow_unsigned": True,
                    },
                    "local": {"url": mesh["ID"].url},
                    "partners": [
                        {
                            "country": "KR",
                            "profile": "unipass",
                            "url": mesh["KR"].url,
                            "pull": False,
                        }
                    ],
                }
            )
        )
        for n in range(4):
            mesh["ID"].send(cert("ID", "KR", f"id-kr-link-{n}"))
            mesh["KR"].send(cert("KR", "ID", f"kr-id-link-{n}"))
        for _ in range(30):
            busy = [bridge.run_once().busy for bridge in (korea, indonesia)]
            if not any(busy) and all(mesh[c].stats()["pending"] == 0 for c in mesh):
                break
        for country in ("ID", "KR"):
            stats = mesh[country].stats()
            assert stats["by_kind"] == {"certificate": 4, "response": 4}, country
            assert stats["received"] == stats["distinct"] == 8, country  # once each
        for bridge in (korea, indonesia):  # each took only what its own system sent
            received = [e.detail for e in bridge.store.journal() if e.event == "received"]
            assert len(received) == 8 and all("via local" in d for d in received), received
        korea.store.close()
        indonesia.store.close()
