"""Signing with keys that stay in a PKCS#11 token, against a real SoftHSM2 token.

The test PKI's keys are imported into a throwaway token (sensitive, not extractable);
signatures made through the token verify with ``aswbridge verify`` and with xmlsec1; every
failure is typed, and the PIN shows up nowhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import attrs
import pytest
from lxml import etree

from aswbridge import _xml, cli, profiles, samples
from aswbridge.errors import ConfigurationError
from aswbridge.pipeline import SigningKey
from aswbridge.security import Signer, TrustStore, Verifier, load_certificates, pki
from aswbridge.security.pkcs11 import (
    ENV_MODULE,
    ENV_PIN,
    KeyUnavailable,
    UriInvalid,
    open_key,
    parse_uri,
)
from aswbridge.security.pki import Pki
from aswbridge.testing.softhsm import SoftHsm

PIN = "4821-secret"  # distinctive, so its absence from every output can be checked
WRONG_PIN = "9999-wrong"
METHOD = {
    "ec": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "p384": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "rsa": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
}


@attrs.frozen
class Kit:
    """A test PKI whose ID authority and exporter keys live in a SoftHSM2 token."""

    pki: Pki
    token: str
    folder: Path
    authority: str  # pkcs11: URIs with module-path, without the PIN
    exporter: str
    key_type: str


def _kit(hsm: SoftHsm, path: Path, key_type: str) -> Kit:
    made = pki.create(path, countries=("ID",), key_type=key_type)  # type: ignore[arg-type]
    token = f"ID-{key_type}"
    folder = hsm.init_token(token, pin=PIN)
    uris = [
        hsm.import_key(made.signer("ID", who)[0], token=token, label=who, pin=PIN, key_id=kid)
        for who, kid in (("authority", "01"), ("exporter", "02"))
    ]
    return Kit(made, token, folder, uris[0], uris[1], key_type)


@pytest.fixture(scope="module", params=["ec", "p384", "rsa"])
def kit(
    request: pytest.FixtureRequest, softhsm: SoftHsm, tmp_path_factory: pytest.TempPathFactory
) -> Kit:
    return _kit(softhsm, tmp_path_factory.mktemp(f"pki-{request.param}"), request.param)


@pytest.fixture(autouse=True)
def no_pkcs11_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MODULE, raising=False)
    monkeypatch.delenv(ENV_PIN, raising=False)


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    path = tmp_path / "co.xml"
    path.write_bytes(profiles.get("asw").encode_bytes(samples.certificate(exporter_country="ID")))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert PIN not in out + err and WRONG_PIN not in out + err
    return status, out, err


def with_pin(uri: str) -> str:
    return f"{uri}&pin-value={PIN}"


# --- URIs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "pkcs11:token=KR;object=bridge",
            {"token": "KR", "object": "bridge"},
            id="token-and-label",
        ),
        pytest.param(
            "pkcs11:object=a%20key;id=%01%A0",
            {"object": "a key", "id": b"\x01\xa0"},
            id="percent-encoded",
        ),
        pytest.param(
            "PKCS11:serial=42;slot-id=7;type=private;object=k",
            {"serial": "42", "slot_id": 7},
            id="serial-and-slot",
        ),
        pytest.param(
            "pkcs11:object=k?module-path=/opt/hsm/p11.so&pin-source=file:/run/pin",
            {"module_path": "/opt/hsm/p11.so", "pin_source": "file:/run/pin"},
            id="query",
        ),
    ],
)
def test_uri_attributes_are_read(text: str, expected: dict[str, object]) -> None:
    parsed = parse_uri(text)
    assert {name: getattr(parsed, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("/keys/bridge.pem", "starts with pkcs11:", id="not-a-uri"),
        pytest.param("pkcs11:token=KR", "names no key", id="no-object"),
        pytest.param("pkcs11:object=k;colour=red", "'colour': unknown", id="unknown-attribute"),
        pytest.param("pkcs11:object=k;object=j", "given twice", id="repeated"),
        pytest.param("pkcs11:object=k;type=cert", "only private keys", id="not-private"),
        pytest.param("pkcs11:object=k%zz", "bad percent-encoding", id="bad-escape"),
        pytest.param("pkcs11:object=k;slot-id=x", "expected a number", id="bad-slot"),
        pytest.param("pkcs11:object=k?pin-value=1&pin-source=file:/p", "give one", id="two-pins"),
    ],
)
def test_bad_uris_are_refused(text: str, reason: str) -> None:
    with pytest.raises(UriInvalid, match=reason) as caught:
        parse_uri(text)
    assert caught.value.code == "PKCS11_URI_INVALID"


def test_the_pin_stays_out_of_str_and_repr() -> None:
    parsed = parse_uri(f"pkcs11:object=k?module-path=/m.so&pin-value={PIN}")
    assert str(parsed) == "pkcs11:object=k?module-path=/m.so&pin-value=***"
    assert PIN not in repr(parsed) and parsed.pin_value == PIN


# --- the token ------------------------------------------------------------------------


def test_imported_keys_are_sensitive_and_not_extractable(kit: Kit) -> None:
    from pkcs11 import Attribute

    signing = SigningKey.from_files(key=with_pin(kit.authority), cert=_cert(kit))
    key = signing.key.token._key
    assert key[Attribute.SENSITIVE] is True
    assert key[Attribute.EXTRACTABLE] is False
    with pytest.raises(ConfigurationError, match="cannot be exported"):
        signing.key.private_bytes()
    assert PIN not in repr(signing) and "pin-value=***" in repr(signing)


def _cert(kit: Kit, who: str = "authority") -> str:
    return str(kit.pki.signer("ID", who)[1])


def _chain(kit: Kit) -> str:
    return str(kit.pki.signer("ID")[2])


def test_both_levels_signed_in_the_token_verify(
    kit: Kit, capsys: pytest.CaptureFixture[str], certificate: Path, tmp_path: Path
) -> None:
    declared, signed = tmp_path / "declared.xml", tmp_path / "signed.xml"
    status, _, err = run(
        capsys,
        "sign",
        "--exporter",
        "--key",
        with_pin(kit.exporter),
        "--cert",
        _cert(kit, "exporter"),
        "--chain",
        _chain(kit),
        str(certificate),
        "-o",
        str(declared),
    )
    assert status == 0, err
    status, _, err = run(
        capsys,
        "sign",
        "--key",
        with_pin(kit.authority),
        "--cert",
        _cert(kit),
        "--chain",
        _chain(kit),
        str(declared),
        "-o",
        str(signed),
    )
    assert status == 0, err
    status, out, err = run(
        capsys, "verify", "--trust", str(kit.pki.path), "--require-exporter", str(signed)
    )
    assert status == 0, err
    assert "subject: CN=TEST ONLY Ministry of Trade e-CO signer" in out
    assert "exporter: CN=TEST ONLY ID exporter" in out
    root = _xml.parse(signed.read_bytes())
    methods = root.xpath("//*[local-name()='SignatureMethod']/@Algorithm")
    assert methods == [METHOD["ec"], METHOD[kit.key_type]]  # the test PKI's exporters are P-256


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("xmlsec1 must be installed in CI (the project's setup installs it)")
        pytest.skip("xmlsec1 is not installed on this machine")
    return found


def test_token_signatures_verify_with_xmlsec1(kit: Kit, xmlsec1: str, tmp_path: Path) -> None:
    document = profiles.get("asw").encode(samples.certificate(exporter_country="ID"))
    exporter = SigningKey.from_files(
        key=with_pin(kit.exporter), cert=_cert(kit, "exporter"), chain=_chain(kit)
    )
    authority = SigningKey.from_files(
        key=with_pin(kit.authority), cert=_cert(kit), chain=_chain(kit)
    )
    signer = Signer()
    declared = signer.sign_declaration(
        document, key=exporter.key, cert=exporter.cert, chain=exporter.chain
    )
    signed = signer.sign(declared, key=authority.key, cert=authority.cert, chain=authority.chain)
    path = tmp_path / "signed.xml"
    path.write_bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
    anchor = str(kit.pki.country("ID") / "root-ca.pem")
    declaration = signed.xpath("//*[local-name()='ExporterDeclaration']")[0]
    reference = declaration.xpath("*[local-name()='Signature']//*[local-name()='Reference']")[0]
    content = etree.QName(signed.xpath(f"//*[@Id='{reference.get('URI')[1:]}']")[0])
    exporter_signature = "//*[local-name()='ExporterDeclaration']/*[local-name()='Signature']"
    for extra in (
        ["--node-xpath", "/*/*[local-name()='Signature']"],
        [
            "--id-attr:Id",
            f"{content.namespace}:{content.localname}",
            "--node-xpath",
            exporter_signature,
        ],
    ):
        result = subprocess.run(
            [xmlsec1, "--verify", "--trusted-pem", anchor, *extra, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def test_pin_and_module_from_a_file_and_the_environment(
    kit: Kit, softhsm: SoftHsm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = load_certificates(_cert(kit))[0]
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    from_file = open_key(f"{kit.authority}&pin-source=file:{pin_file}", cert=cert)
    bare = f"pkcs11:token={kit.token};object=authority"
    monkeypatch.setenv(ENV_MODULE, softhsm.module)
    monkeypatch.setenv(ENV_PIN, PIN)
    from_environment = open_key(bare, cert=cert)
    monkeypatch.delenv(ENV_PIN)
    from_caller = SigningKey.from_uri(bare, cert=cert, pin=PIN).key
    by_id = open_key(f"pkcs11:token={kit.token};id=%01", cert=cert, pin=PIN)  # no label
    for key in (from_file, from_environment, from_caller, by_id):
        assert key.public_key() == cert.public_key()
        assert key.token.healthy()


# --- failures -------------------------------------------------------------------------


def _failures(kit: Kit, softhsm: SoftHsm, tmp_path: Path) -> dict[str, tuple[str, str]]:
    not_a_library = tmp_path / "not-a-module.so"
    not_a_library.write_text("not a shared library")
    base = f"pkcs11:token={kit.token};object=authority"
    return {
        "wrong-pin": (f"{kit.authority}&pin-value={WRONG_PIN}", "PKCS11_PIN"),
        "no-pin": (kit.authority, "PKCS11_PIN"),
        "unreadable-pin-file": (f"{kit.authority}&pin-source=file:{tmp_path}/none", "PKCS11_PIN"),
        "missing-token": (
            with_pin(kit.authority.replace(kit.token, "NO-SUCH")),
            "PKCS11_TOKEN_NOT_FOUND",
        ),
        "missing-object": (
            with_pin(kit.authority.replace("object=authority", "object=nope")),
            "PKCS11_KEY_NOT_FOUND",
        ),
        "key-of-another-certificate": (with_pin(kit.exporter), "PKCS11_KEY_NOT_FOUND"),
        "no-module": (f"{base}?pin-value={PIN}", "PKCS11_MODULE"),
        "missing-module": (f"{base}?module-path=/nowhere/p11.so&pin-value={PIN}", "PKCS11_MODULE"),
        "module-not-a-library": (
            f"{base}?module-path={not_a_library}&pin-value={PIN}",
            "PKCS11_MODULE",
        ),
    }


FAILURES = [
    "wrong-pin",
    "no-pin",
    "unreadable-pin-file",
    "missing-token",
    "missing-object",
    "key-of-another-certificate",
    "no-module",
    "missing-module",
    "module-not-a-library",
]


@pytest.mark.parametrize("case", FAILURES)
def test_an_unusable_key_stops_sign_with_a_typed_error(
    case: str,
    kit: Kit,
    softhsm: SoftHsm,
    capsys: pytest.CaptureFixture[str],
    certificate: Path,
    tmp_path: Path,
) -> None:
    uri, code = _failures(kit, softhsm, tmp_path)[case]
    status, out, err = run(capsys, "sign", "--key", uri, "--cert", _cert(kit), str(certificate))
    assert status == 2
    assert out == ""
    assert err.startswith(f"aswbridge: {code}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


# --- threads, removal -----------------------------------------------------------------


def test_many_threads_sign_through_one_logged_in_session(kit: Kit) -> None:
    signing = SigningKey.from_files(key=with_pin(kit.authority), cert=_cert(kit), chain=_chain(kit))
    session = signing.key.token._session
    document = profiles.get("asw").encode(samples.certificate(exporter_country="ID"))
    signed: list[bytes] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                root = Signer().sign(
                    document, key=signing.key, cert=signing.cert, chain=signing.chain
                )
                signed.append(etree.tostring(root))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(signed) == 60
    trust = TrustStore.from_paths([kit.pki.path])
    for data in signed:
        Verifier().verify(data, trust=trust)
    assert signing.key.token._session is session  # logged in once, never again


def test_a_token_that_goes_away_comes_back(softhsm: SoftHsm, tmp_path: Path) -> None:
    made = pki.create(tmp_path / "pki", countries=("ID",))
    folder = softhsm.init_token("removable", pin=PIN)
    uri = softhsm.import_key(made.signer("ID")[0], token="removable", label="authority", pin=PIN)
    cert = load_certificates(made.signer("ID")[1])[0]
    key = open_key(with_pin(uri), cert=cert, retry_interval=0)
    document = profiles.get("asw").encode(samples.certificate(exporter_country="ID"))
    Signer().sign(document, key=key, cert=cert)
    away = tmp_path / "away"
    shutil.move(folder, away)
    try:
        with pytest.raises(KeyUnavailable) as caught:
            Signer().sign(document, key=key, cert=cert)
        assert caught.value.code == "KEY_UNAVAILABLE" and PIN not in str(caught.value)
        assert not key.healthy()
    finally:
        shutil.move(away, folder)
    assert key.healthy()
    signed = Signer().sign(document, key=key, cert=cert)
    Verifier().verify(etree.tostring(signed), trust=TrustStore.from_paths([made.path]))


def test_the_relay_configuration_takes_a_token_key(tmp_path: Path) -> None:
    from aswbridge.config import parse_config

    uri = "pkcs11:token=KR;object=bridge"
    data = {
        "bridge": {"country": "TH", "store": "relay.db"},
        "nsw": {"url": "http://nsw.test/mailbox"},
        "unipass": {"url": "http://unipass.test/eco"},
        "trust": {"sign_key": uri, "sign_cert": "bridge.pem"},
        "pkcs11": {"module": "/opt/hsm/p11.so", "pin_source": "file:/run/pin"},
    }
    config = parse_config(data, base_dir=tmp_path)
    assert config.trust.sign_key == uri
    assert config.pkcs11.module == Path("/opt/hsm/p11.so")
    assert config.pkcs11.pin_source == "file:/run/pin"
    data["pkcs11"] = {"pin_source": "pin.txt"}
    with pytest.raises(ConfigurationError, match=r"pkcs11\.pin_source: expected file:/"):
        parse_config(data, base_dir=tmp_path)


def test_pki_init_pkcs11_makes_a_token_testers_sign_with(
    capsys: pytest.CaptureFixture[str], certificate: Path, tmp_path: Path
) -> None:
    status, out, err = run(
        capsys, "pki", "init", str(tmp_path / "pki"), "--country", "ID", "--pkcs11"
    )
    assert status == 0, err
    conf = out.split("export SOFTHSM2_CONF=")[1].split()[0]
    uris = dict(line.strip().split(": ", 1) for line in out.splitlines() if "pkcs11:" in line)
    assert sorted(uris) == ["ID-authority", "ID-exporter", "bridge"]
    pin = (tmp_path / "pki" / "softhsm" / "pin").read_text().strip()
    assert pin not in out and (tmp_path / "pki" / "softhsm" / "pin").stat().st_mode & 0o077 == 0
    made = Pki(path=tmp_path / "pki", countries=("ID",))
    signed = tmp_path / "signed.xml"
    done = subprocess.run(  # a new process: SoftHSM2 reads SOFTHSM2_CONF when it starts
        [
            sys.executable,
            "-m",
            "aswbridge",
            "sign",
            "--key",
            uris["ID-authority"],
            "--cert",
            str(made.signer("ID")[1]),
            "--chain",
            str(made.signer("ID")[2]),
            str(certificate),
            "-o",
            str(signed),
        ],
        env={**os.environ, "SOFTHSM2_CONF": conf},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status, out, err = run(capsys, "verify", "--trust", str(made.path), str(signed))
    assert status == 0 and "Ministry of Trade e-CO signer" in out, err
