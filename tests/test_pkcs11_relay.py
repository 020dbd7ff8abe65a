"""The relay with its bridge key in a SoftHSM2 token: it signs and delivers, rides out the
token going away, refuses a wrong PIN at start, and rotates keys and anchors on reload."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from aswbridge import cli, samples
from aswbridge.config import load_config
from aswbridge.monitor import RelayMetrics
from aswbridge.pipeline import SigningKey
from aswbridge.relay.bridge import Bridge
from aswbridge.relay.factory import build_bridge, reload_keys
from aswbridge.security import (
    TrustStore,
    UntrustedSigner,
    Verifier,
    fingerprint,
    load_certificates,
    pki,
)
from aswbridge.security.pkcs11 import open_key
from aswbridge.testing import BridgeUnderTest, ThrowawayPki
from aswbridge.testing.scripted import ScriptedNsw, ScriptedUnipass
from aswbridge.testing.softhsm import SoftHsm
from tests.test_pkcs11 import PIN, WRONG_PIN

Factory = Callable[..., BridgeUnderTest]


def _token(hsm: SoftHsm, label: str, keys: dict[str, Path]) -> tuple[Path, dict[str, str]]:
    """A new token ``label`` holding ``keys`` (object label -> PEM); their URIs, no PIN."""
    folder = hsm.init_token(label, pin=PIN)
    uris = {
        name: hsm.import_key(pem, token=label, label=name, pin=PIN, key_id=f"{i + 1:02x}")
        for i, (name, pem) in enumerate(keys.items())
    }
    return folder, uris


def _signer_of(data: bytes, anchors: list[Path]) -> str:
    """The fingerprint of the certificate that signed ``data``, verified against ``anchors``."""
    return Verifier().verify(data, trust=TrustStore.from_paths(anchors)).fingerprint


def _fingerprint(pem: Path) -> str:
    return fingerprint(load_certificates(pem)[0])


def _delivered(unipass: ScriptedUnipass) -> list[bytes]:
    with unipass.mailbox.lock:
        return [r.body for r in unipass.mailbox.received.values()]


def test_the_relay_signs_with_its_bridge_key_in_a_token_and_rides_out_its_absence(
    softhsm: SoftHsm,
    test_pki: ThrowawayPki,
    bridge_factory: Factory,
    mock_nsw_factory: Callable[..., ScriptedNsw],
    mock_unipass_factory: Callable[..., ScriptedUnipass],
    tmp_path: Path,
) -> None:
    key_pem, cert_pem = test_pki.pki.bridge
    folder, uris = _token(softhsm, "relay-bridge", {"bridge": key_pem})
    cert = load_certificates(cert_pem)[0]
    signing = SigningKey(
        key=open_key(f"{uris['bridge']}&pin-value={PIN}", cert=cert, retry_interval=0), cert=cert
    )
    nsw = mock_nsw_factory(country="ID", signing=test_pki.signing_key("ID"))
    unipass = mock_unipass_factory(signing=test_pki.signing_key("KR"))
    bridge = bridge_factory(nsw=nsw, unipass=unipass, trust=test_pki.trust(), signing=signing)
    nsw.send(samples.certificate(name="token-1"))
    bridge.run_until_idle()
    (first,) = _delivered(unipass)
    assert _signer_of(first, [test_pki.path / "bridge" / "root-ca.pem"]) == fingerprint(cert)
    assert len(nsw.received("response")) == 1  # Korea's signed answer came back through us

    shutil.move(folder, tmp_path / "away")  # the token goes away
    try:
        ref = nsw.send(samples.certificate(name="token-2"))
        bridge.run_once()
        assert not signing.healthy()
        readiness = RelayMetrics(store=bridge.store, signing=signing).checks()
        assert readiness["signing"] == (False, "signing key cannot sign now")
        assert nsw.mailbox.queued[ref].state == "pending"  # waiting at its source
        assert bridge.store.counts().get("dead", 0) == 0 and nsw.refusals() == []
        assert len(_delivered(unipass)) == 1
    finally:
        shutil.move(tmp_path / "away", folder)
    assert RelayMetrics(store=bridge.store, signing=signing).checks()["signing"][0]
    bridge.run_until_idle()
    assert nsw.mailbox.queued[ref].state == "acknowledged"
    assert len(_delivered(unipass)) == 2
    assert _signer_of(
        _delivered(unipass)[1], [test_pki.path / "bridge" / "root-ca.pem"]
    ) == fingerprint(cert)


def _config(
    path: Path,
    *,
    nsw: str,
    unipass: str,
    anchors: list[Path],
    key: str,
    cert: Path,
    pin_file: Path,
    module: str,
) -> Path:
    quoted = ", ".join(f'"{a}"' for a in anchors)
    path.write_text(
        f"""
[bridge]
country = "ID"
store = "relay.db"
workers = 2

[nsw]
url = "{nsw}"

[unipass]
url = "{unipass}"

[retry]
initial = 0.01
maximum = 0.05

[trust]
anchors = [{quoted}]
sign_key = "{key}"
sign_cert = "{cert}"

[pkcs11]
module = "{module}"
pin_source = "file:{pin_file}"
""",
        encoding="utf-8",
    )
    return path


def _settle(bridge: Bridge) -> None:
    for _ in range(30):
        if not bridge.run_once().busy and not bridge.store.counts().get("pending", 0):
            return


def test_a_wrong_pin_stops_the_relay_at_start(
    softhsm: SoftHsm,
    test_pki: ThrowawayPki,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    key_pem, cert_pem = test_pki.pki.bridge
    _, uris = _token(softhsm, "relay-pin", {"bridge": key_pem})
    bare = uris["bridge"].split("?")[0]
    pin_file = tmp_path / "pin"
    pin_file.write_text(WRONG_PIN)
    config = _config(
        tmp_path / "bridge.toml",
        nsw="http://127.0.0.1:9/box",
        unipass="http://127.0.0.1:9/eco",
        anchors=[test_pki.path / "ID"],
        key=bare,
        cert=cert_pem,
        pin_file=pin_file,
        module=softhsm.module,
    )
    for argv in (
        ["run", "--config", str(config), "--once"],
        [
            "run",
            "--side",
            "ID",
            "--nsw-url",
            "http://127.0.0.1:9/box",
            "--unipass-url",
            "http://127.0.0.1:9/eco",
            "--store",
            str(tmp_path / "q.db"),
            "--sign-key",
            f"{uris['bridge']}&pin-value={WRONG_PIN}",
            "--sign-cert",
            str(cert_pem),
        ],
        [
            "mock",
            "unipass",
            "--port",
            "0",
            "--sign-key",
            f"{uris['bridge']}&pin-value={WRONG_PIN}",
            "--sign-cert",
            str(cert_pem),
        ],
    ):
        status = cli.main(argv)
        out, err = capsys.readouterr()
        assert status == 2, err
        last = err.strip().splitlines()[-1]  # after the relay's start-up warnings, if any
        assert last.startswith("aswbridge: PKCS11_PIN: the token refused the PIN"), err
        assert WRONG_PIN not in out + err and PIN not in out + err


def test_rotation_new_key_and_new_anchor_taken_on_reload(
    softhsm: SoftHsm,
    test_pki: ThrowawayPki,
    mock_nsw_factory: Callable[..., ScriptedNsw],
    mock_unipass_factory: Callable[..., ScriptedUnipass],
    tmp_path: Path,
) -> None:
    """The procedure of docs/security.md, step by step."""
    new = pki.create(tmp_path / "new-pki", countries=("ID",))  # ID's new root, our new bridge
    _, uris = _token(
        softhsm, "relay-rotation", {"bridge-1": test_pki.pki.bridge[0], "bridge-2": new.bridge[0]}
    )
    old_root = test_pki.path / "bridge" / "root-ca.pem"
    new_root = new.path / "bridge" / "root-ca.pem"
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    nsw = mock_nsw_factory(country="ID")
    unipass = mock_unipass_factory()
    settings = {
        "nsw": nsw.url,
        "unipass": unipass.url,
        "pin_file": pin_file,
        "module": softhsm.module,
    }
    path = _config(
        tmp_path / "bridge.toml",
        anchors=[test_pki.path / "ID" / "root-ca.pem"],
        key=uris["bridge-1"].split("?")[0],
        cert=test_pki.pki.bridge[1],
        **settings,
    )
    bridge = build_bridge(load_config(path))
    try:
        old_authority = test_pki.signing_key("ID")
        new_authority = SigningKey.from_files(
            key=str(new.signer("ID")[0]),
            cert=str(new.signer("ID")[1]),
            chain=str(new.signer("ID")[2]),
        )
        # 1. before: signed with the old bridge key; ID's new root is not trusted yet
        nsw.send(samples.certificate(name="rotation-1"), signing=old_authority)
        nsw.send(samples.certificate(name="rotation-2"), signing=new_authority)
        _settle(bridge)
        assert [q.code for q in nsw.refusals()] == [UntrustedSigner.code]
        # 2. receivers add our new root next to the old one (the overlap), then we reload
        #    with the new key and certificate and ID's new root as an extra anchor
        _config(
            path,
            anchors=[test_pki.path / "ID" / "root-ca.pem", new.country("ID") / "root-ca.pem"],
            key=uris["bridge-2"].split("?")[0],
            cert=new.bridge[1],
            **settings,
        )
        reloaded = reload_keys(bridge, load_config(path))
        assert reloaded is not None and fingerprint(reloaded.cert) == _fingerprint(new.bridge[1])
        nsw.send(samples.certificate(name="rotation-3"), signing=new_authority)
        nsw.send(samples.certificate(name="rotation-4"), signing=old_authority)
        _settle(bridge)
        assert len(nsw.refusals()) == 1  # both authorities' roots are trusted now
        delivered = _delivered(unipass)
        assert len(delivered) == 3
        overlap = [old_root, new_root]
        signers = [_signer_of(data, overlap) for data in delivered]
        old, renewed = _fingerprint(test_pki.pki.bridge[1]), _fingerprint(new.bridge[1])
        assert signers == [old, renewed, renewed]  # the old key, then the new one
        # 3. after the overlap receivers drop the old root: only new signatures pass
        with pytest.raises(UntrustedSigner):
            _signer_of(delivered[0], [new_root])
        assert _signer_of(delivered[2], [new_root]) == renewed
    finally:
        bridge.store.close()
        for side in bridge.sides.values():
            side.close()


def test_a_reload_with_an_unusable_key_keeps_the_running_one(
    softhsm: SoftHsm, test_pki: ThrowawayPki, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from aswbridge.cli.relay import _reload

    _, uris = _token(softhsm, "relay-reload", {"bridge": test_pki.pki.bridge[0]})
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN)
    path = _config(
        tmp_path / "bridge.toml",
        nsw="http://127.0.0.1:9/box",
        unipass="http://127.0.0.1:9/eco",
        anchors=[test_pki.path / "ID"],
        key=uris["bridge"].split("?")[0],
        cert=test_pki.pki.bridge[1],
        pin_file=pin_file,
        module=softhsm.module,
    )
    bridge = build_bridge(load_config(path))
    try:
        running = bridge._translate
        pin_file.write_text(WRONG_PIN)  # SIGHUP runs this in a thread
        retired: list[object] = []
        _reload(bridge, path, None, retired)  # type: ignore[arg-type]
        assert bridge._translate is running
        assert "reload refused, keeping what the relay had: PKCS11_PIN" in caplog.text
        assert WRONG_PIN not in caplog.text and PIN not in caplog.text
        pin_file.write_text(PIN)
        _reload(bridge, path, None, retired)  # type: ignore[arg-type]
        assert bridge._translate is not running
    finally:
        bridge.store.close()
        for side in bridge.sides.values():
            side.close()
