"""The relay's ``[trust]`` configuration: every trust setting, and the attacks replayed
through a relay built from a configuration file (real transports, mocks on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from test_relay_integration import FAST_RETRY, drain
from test_security_roles import minted_for_id

from aswbridge import profiles, read
from aswbridge.config import load_config, parse_config
from aswbridge.errors import ConfigurationError
from aswbridge.relay.factory import build_bridge, configured_signing, configured_trust
from aswbridge.samples.builder import certificate
from aswbridge.security import Signer, fingerprint, load_certificates, load_private_key, pki
from aswbridge.testing.mocks import MockNsw, MockUnipass


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    return pki.create(tmp_path_factory.mktemp("pki"), countries=("ID", "KR", "VN"))


def id_certificate(made: pki.Pki, who: str, name: str) -> bytes:
    message = certificate(exporter_country="ID", importing_country="KR", name=name)
    key, cert, chain = made.load("ID", who)
    signed = Signer().sign(profiles.get("asw").encode(message), key=key, cert=cert, chain=chain)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def encrypted_bridge_key(made: pki.Pki, folder: Path, password: bytes) -> Path:
    key = load_private_key(made.bridge[0])
    path = folder / "bridge.key.enc.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )
    return path


def test_every_trust_setting_is_read(made: pki.Pki, tmp_path: Path) -> None:
    bridge_fp = fingerprint(load_certificates(made.bridge[1])[0])
    authority_fp = fingerprint(load_certificates(made.signer("ID")[1])[0])
    (tmp_path / "pass.txt").write_text("s3cret\n")
    encrypted_bridge_key(made, tmp_path, b"s3cret")
    (tmp_path / "bridge.toml").write_text(f"""
[bridge]
country = "ID"
store = "relay.db"
[nsw]
url = "http://127.0.0.1:1"
[unipass]
url = "http://127.0.0.1:2"
[trust]
anchors = ["{made.country("KR")}"]
crls = ["{made.country("KR") / "issuing-ca.crl.pem"}"]
bridges = ["{bridge_fp.upper()}"]
revocation = "hard-fail"
require_exporter = true
curves = ["P-256", "P-384", "P-521"]
sign_key = "bridge.key.enc.pem"
sign_cert = "{made.bridge[1]}"
sign_chain = "{made.path / "bridge" / "root-ca.pem"}"
sign_key_password_file = "pass.txt"
[trust.ID]
anchors = ["{made.country("ID") / "root-ca.pem"}"]
authority = ["{made.country("ID") / "issuing-ca.pem"}"]
exporter_oids = ["1.2.3.4"]
pins = {{ KEMENDAG = "{authority_fp}" }}
""")
    config = load_config(tmp_path / "bridge.toml")
    trust = config.trust
    assert trust.bridges == (bridge_fp,) and trust.pins == {"KEMENDAG": authority_fp}
    assert trust.countries["ID"].exporter_oids == ("1.2.3.4",)
    store, policy = configured_trust(config)
    assert store is not None
    assert policy.revocation == "hard-fail" and policy.require_exporter_signature
    assert "secp521r1" in policy.allowed_curves
    assert sorted(s for s in store.scopes.values()) == ["ID", "ID", "KR"]
    assert store.oids["ID"]["exporter"] == {"1.2.3.4"}
    assert len(store.crls) == 3  # the KR folder's two, and the one named
    signing = configured_signing(config)
    assert signing is not None and len(signing.chain) == 1


@pytest.mark.parametrize(
    ("trust", "key"),
    [
        pytest.param({"bridges": ["not-a-fingerprint"]}, "trust.bridges[0]", id="bridge"),
        pytest.param({"ID": {"pins": {"X": "abc"}}}, "trust.ID.pins.X", id="pin"),
        pytest.param({"ID": {"authority_oids": ["x.y"]}}, "trust.ID.authority_oids", id="oid"),
        pytest.param({"ID": {"anchor": ["a.pem"]}}, "trust.ID.anchor", id="typo-in-country"),
        pytest.param({"curves": ["secp256k1"]}, "trust.curves", id="curve"),
        pytest.param({"revocation": "maybe"}, "trust.revocation", id="revocation"),
        pytest.param(
            {"sign_key_password_file": "p", "sign_key_password_env": "P"},
            "trust.sign_key_password_env",
            id="two-password-sources",
        ),
    ],
)
def test_bad_trust_settings_name_the_key(trust: dict[str, Any], key: str) -> None:
    data = {
        "bridge": {"country": "ID", "store": "r.db"},
        "nsw": {"url": "http://127.0.0.1:1"},
        "unipass": {"url": "http://127.0.0.1:2"},
        "trust": trust,
    }
    with pytest.raises(ConfigurationError, match=key.replace(".", r"\.").replace("[", r"\[")):
        parse_config(data, base_dir=Path("/srv"))


def test_a_password_from_the_environment(
    made: pki.Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = encrypted_bridge_key(made, tmp_path, b"from-env")
    data = {
        "bridge": {"country": "ID", "store": "r.db"},
        "nsw": {"url": "http://127.0.0.1:1"},
        "unipass": {"url": "http://127.0.0.1:2"},
        "trust": {
            "sign_key": str(key),
            "sign_cert": str(made.bridge[1]),
            "sign_key_password_env": "BRIDGE_KEY_PASSWORD",
        },
    }
    config = parse_config(data, base_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="BRIDGE_KEY_PASSWORD is not set"):
        configured_signing(config)
    monkeypatch.setenv("BRIDGE_KEY_PASSWORD", "wrong")
    with pytest.raises(ConfigurationError, match="cannot read private key"):
        configured_signing(config)
    monkeypatch.setenv("BRIDGE_KEY_PASSWORD", "from-env")
    assert configured_signing(config) is not None


def run_relay(
    tmp_path: Path, trust: str, bodies: list[bytes], made: pki.Pki
) -> tuple[list[str], list[bytes]]:
    """Run a relay for ID built from a configuration file; return the NSW refusal codes
    and what UNI-PASS received."""
    key, cert = made.bridge
    with MockNsw(country="ID") as nsw, MockUnipass() as unipass:
        for body in bodies:
            nsw.outbound(body)
        (tmp_path / "bridge.toml").write_text(f"""
[bridge]
country = "ID"
store = "relay.db"
[nsw]
url = "{nsw.url}"
[unipass]
url = "{unipass.url}"
[retry]
{chr(10).join(f"{k} = {v}" for k, v in FAST_RETRY.items())}
[trust]
sign_key = "{key}"
sign_cert = "{cert}"
{trust}
""")
        bridge = build_bridge(load_config(tmp_path / "bridge.toml"))
        drain(bridge, 0, nsw, unipass)
        bridge.store.close()
        codes = sorted(item.code for item in nsw.mailbox.queued.values() if item.code)
        return codes, [r.body for r in unipass.mailbox.received.values()]


def test_the_relay_refuses_an_exporter_certifying(made: pki.Pki, tmp_path: Path) -> None:
    genuine = id_certificate(made, "authority", "genuine")
    forged = id_certificate(made, "exporter", "self-certified")
    codes, received = run_relay(tmp_path, f'anchors = ["{made.path}"]', [genuine, forged], made)
    assert codes == ["SIGNER_NOT_AUTHORITY"]
    (delivered,) = received
    _, message = read(delivered)
    signer = message.envelope.original_signer
    assert signer is not None and signer.fingerprint == fingerprint(made.load("ID")[1])


@pytest.mark.parametrize("form", ["files", "declared", "country-sections"])
def test_relay_file_anchors_bind_a_country(made: pki.Pki, tmp_path: Path, form: str) -> None:
    rogue, minted = minted_for_id(tmp_path, "VN")
    genuine = made.country("ID") / "root-ca.pem"
    trust = {
        "files": f'anchors = ["{rogue}", "{genuine}"]',
        "declared": f'anchors = ["VN={rogue}", "ID={genuine}"]',
        "country-sections": (
            f'[trust.VN]\nanchors = ["{rogue}"]\n[trust.ID]\nanchors = ["{genuine}"]'
        ),
    }[form]
    codes, received = run_relay(tmp_path, trust, [minted], made)
    assert codes == ["SIGNER_NOT_ISSUER"] and received == []
