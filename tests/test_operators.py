"""Foot-guns an operator can reach: numbers that are not numbers, credentials that leak,
a lock that a link walks around, outputs that replace their input or a device."""

from __future__ import annotations

import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from aswbridge import pipeline
from aswbridge.cli import main
from aswbridge.config import _SCHEMA, parse_config
from aswbridge.errors import ConfigurationError
from aswbridge.relay import Bridge
from aswbridge.relay.factory import build_sides
from aswbridge.samples import SCENARIOS
from aswbridge.store import SqliteStore, StoreError
from aswbridge.testing.mocks import MockNsw
from aswbridge.transport._http import HttpPolicy
from aswbridge.transport.base import RetryableTransportError
from aswbridge.transport.nsw import NswHttpSide
from aswbridge.transport.retry import RetryPolicy
from tests.test_bridge import Clock, FakeSide, fake_translate
from tests.test_store import item


def minimal(**changes: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "bridge": {"country": "TH", "store": "r.db"},
        "nsw": {"url": "http://127.0.0.1:1"},
        "unipass": {"url": "http://127.0.0.1:2"},
    }
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return data


NUMERIC = [
    (section, key)
    for section, keys in _SCHEMA.items()
    for key, (types, _kind) in keys.items()
    if float in types or int in types
]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(("section", "key"), NUMERIC, ids=[f"{s}.{k}" for s, k in NUMERIC])
def test_every_numeric_setting_refuses_what_is_not_a_number(
    section: str, key: str, value: float
) -> None:
    if section == "partners":  # a mesh: [local] and [[partners]]
        data = minimal()
        del data["nsw"], data["unipass"]
        data.update(
            local={"url": "http://127.0.0.1:1"},
            partners=[{"country": "KR", "url": "http://127.0.0.1:2", key: value}],
        )
        section = "partners.KR"
    else:
        data = minimal(**{section: {key: value}})
    with pytest.raises(ConfigurationError, match=f"{section}.{key}: expected"):
        parse_config(data)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("bridge", "poll_interval", 0),
        ("bridge", "poll_interval", 0.001),
        ("bridge", "workers", 100_000),
        ("bridge", "batch", 0),
        ("nsw", "deadline", 10**9),
        ("retry", "max_attempts", 0),
        ("retry", "jitter", -1),
        ("retry", "horizon", 10**12),
    ],
    ids=lambda v: str(v),
)
def test_impossible_ranges_are_refused(section: str, key: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match=f"{section}.{key}: expected"):
        parse_config(minimal(**{section: {key: value}}))


def test_the_library_refuses_them_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"retry\.initial"):
        RetryPolicy(initial=math.nan)
    with pytest.raises(ConfigurationError, match="deadline"):
        HttpPolicy(deadline=math.inf)
    sides = FakeSide("nsw"), FakeSide("unipass")
    store = SqliteStore(tmp_path / "r.db")
    with pytest.raises(ConfigurationError, match="lease_s"):
        Bridge(
            nsw=sides[0], unipass=sides[1], store=store, translate=fake_translate, lease_s=math.nan
        )
    bridge = Bridge(nsw=sides[0], unipass=sides[1], store=store, translate=fake_translate)
    with pytest.raises(ConfigurationError, match="poll_interval"):
        bridge.run_forever(threading.Event(), poll_interval=0)
    store.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://h:0/x",
        "http://h:65536/x",
        "http://:80/x",
        "https:///x",
        "ftp://h/x",
        "http://h/x#frag",
        "http://h/\tx",
        "http://hé/x",
    ],
)
def test_urls_are_read_strictly(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"nsw\.url"):
        parse_config(minimal(nsw={"url": url}))


@pytest.mark.parametrize("country", ["XX", "T", "THA", "T1", "ÉÉ", "TH\n"])
def test_countries_are_read_strictly(country: str) -> None:
    with pytest.raises(ConfigurationError, match=r"bridge\.country"):
        parse_config(minimal(bridge={"country": country}))


# --- credentials ------------------------------------------------------------------------


def test_url_credentials_reach_no_error_log_or_journal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with MockNsw(country="TH", token="elsewhere") as mock:  # answers 401 to our URL creds
        url = mock.url.replace("http://", "http://alice:s3cret-pw@")
        side = NswHttpSide(url=url)
        with pytest.raises(RetryableTransportError) as caught:
            side.deliver(_outbound())
        assert "s3cret" not in str(caught.value) and "***@" in caught.value.message
        unipass = FakeSide("unipass")
        unipass.queue("r-1", kind="response", sender="KR")
        store = SqliteStore(tmp_path / "relay.db", now=Clock())
        bridge = Bridge(
            nsw=side,
            unipass=unipass,
            store=store,
            translate=fake_translate,
            policy=RetryPolicy(max_attempts=3, jitter=0),
        )
        with caplog.at_level(logging.DEBUG, logger="aswbridge"):
            bridge.run_once()
        store.close()
    journal = "\n".join(str(e) for e in SqliteStore(tmp_path / "relay.db").journal())
    assert "HTTP_401: " in journal
    assert "s3cret" not in journal and "s3cret" not in caplog.text
    assert main(["status", "--store", str(tmp_path / "relay.db"), "--journal"]) == 0
    assert "s3cret" not in capsys.readouterr().out


def test_a_bad_url_with_credentials_is_refused_without_showing_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_config(minimal(nsw={"url": "http://bob:hunter2@h:99999/x"}))
    assert "hunter2" not in caught.value.message and "***@h:99999" in caught.value.message


def test_the_log_formatters_redact_url_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    from aswbridge.logs import configure

    for json_format in (False, True):
        configure(json_format=json_format)
        logging.getLogger("aswbridge.relay").warning("calling %s", "https://u:pw0rd@h/x")
    err = capsys.readouterr().err
    assert "pw0rd" not in err and err.count("https://***@h/x") == 2


def _outbound() -> Any:
    from aswbridge.transport.base import Outbound

    message = SCENARIOS["form_d_th_id"]()
    return Outbound(
        message_id=message.envelope.message_id,
        kind=message.kind,
        sender="TH",
        receiver="KR",
        body=pipeline.write(message, profile="asw"),
    )


@pytest.mark.parametrize("setting", ["token_env", "auth_header_file"])
def test_a_token_setting_instead_of_url_credentials(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSW_TOKEN", "t0ken")
    (tmp_path / "auth").write_text("Bearer t0ken\n")
    value = "NSW_TOKEN" if setting == "token_env" else "auth"
    with MockNsw(country="TH", token="t0ken") as mock:
        config = parse_config(minimal(nsw={"url": mock.url, setting: value}), base_dir=tmp_path)
        nsw, _unipass = build_sides(config)
        assert nsw.pending() == []  # no 401: the header went
        assert "t0ken" not in repr(nsw.policy)  # type: ignore[attr-defined]


def test_a_token_setting_refuses_what_cannot_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NSW_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="NSW_TOKEN"):
        build_sides(parse_config(minimal(nsw={"url": "http://h/x", "token_env": "NSW_TOKEN"})))
    with pytest.raises(ConfigurationError, match="token_env: not with"):
        parse_config(minimal(nsw={"token_env": "A", "auth_header_file": "f"}))
    with pytest.raises(ConfigurationError, match="credentials in the URL"):
        parse_config(minimal(nsw={"url": "http://u:p@h/x", "token_env": "A"}))


# --- the one-relay lock -------------------------------------------------------------------


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_the_store_meets_the_same_lock(tmp_path: Path, link: str) -> None:
    path = tmp_path / "relay.db"
    relay = SqliteStore(path, exclusive=True)
    relay.enqueue(item(1))
    relay.claim(limit=1, lease_s=3600)  # in flight in the first relay
    other = tmp_path / "other" / "alias.db"
    other.parent.mkdir()
    (os.symlink if link == "symlink" else os.link)(path, other)
    with pytest.raises(StoreError, match="another relay is running"):
        SqliteStore(other, exclusive=True)
    row = relay.get("m-1")
    assert row is not None and row.state == "in_flight"  # not requeued under its feet
    relay.close()


# --- outputs -----------------------------------------------------------------------------


def test_a_folder_translated_onto_itself_keeps_its_originals(tmp_path: Path) -> None:
    body = pipeline.write(SCENARIOS["form_d_th_id"](), profile="asw")
    (tmp_path / "c.xml").write_bytes(body)
    assert (
        main(["translate", "--from", "asw", "--to", "asw", str(tmp_path), "-o", str(tmp_path)]) == 2
    )
    assert (tmp_path / "c.xml").read_bytes() == body and os.listdir(tmp_path) == ["c.xml"]


def test_an_output_that_is_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    message = tmp_path / "c.xml"
    message.write_bytes(pipeline.write(SCENARIOS["form_d_th_id"](), profile="asw"))
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    status = main(["translate", "--from", "asw", "--to", "unipass", str(message), "-o", str(fifo)])
    reader.join(10)
    assert status == 0 and received and received[0].startswith(b"<?xml")
    assert fifo.is_fifo() and sorted(os.listdir(tmp_path)) == ["c.xml", "out.fifo"]
