"""``aswbridge sign`` / ``verify`` / ``pki init`` end to end, with real profile messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from aswbridge import cli, profiles, samples
from aswbridge.security import pki
from aswbridge.security.pki import Pki
from tests.security_support import mutate, one


@pytest.fixture(autouse=True)
def only_security_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("security",))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return pki.create(tmp_path_factory.mktemp("pki"), countries=("ID", "KR", "TH"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample ATIGA-style certificate issued in Indonesia, in the ASW profile."""
    path = tmp_path_factory.mktemp("co") / "co.xml"
    path.write_bytes(profiles.get("asw").encode_bytes(samples.certificate(exporter_country="ID")))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def sign_file(
    capsys: pytest.CaptureFixture[str],
    made: Pki,
    source: Path,
    cc: str,
    who: str,
    out: Path,
    *extra: str,
) -> Path:
    key, cert, chain = made.signer(cc, who)
    status, _, err = run(
        capsys,
        "sign",
        "--key",
        str(key),
        "--cert",
        str(cert),
        "--chain",
        str(chain),
        *extra,
        str(source),
        "-o",
        str(out),
    )
    assert status == 0, err
    return out


def refused_with(capsys: pytest.CaptureFixture[str], code: str, *argv: str) -> None:
    status, out, err = run(capsys, "verify", *argv)
    assert status == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"aswbridge: {code}: "), err
    assert out == ""


def test_pki_init_writes_a_marked_test_pki(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, _ = run(capsys, "pki", "init", str(tmp_path / "pki"))
    assert status == 0 and "TEST-ONLY" in out
    readme = (tmp_path / "pki" / "README.txt").read_text()
    assert "TEST ONLY - NOT FOR PRODUCTION" in readme
    folders = {p.name for p in (tmp_path / "pki").iterdir() if p.is_dir()}
    assert folders == {*pki.COUNTRIES, "bridge"}


def test_signed_certificate_verifies_and_prints_signer(
    capsys: pytest.CaptureFixture[str], made: Pki, certificate: Path, tmp_path: Path
) -> None:
    signed = sign_file(capsys, made, certificate, "ID", "authority", tmp_path / "s.xml")
    for trust in (made.path, made.country("ID")):
        status, out, err = run(capsys, "verify", "--trust", str(trust), str(signed))
        assert status == 0, err
        assert "subject: CN=TEST ONLY Ministry of Trade e-CO signer" in out
        assert len(out.split("fingerprint: ")[1].splitlines()[0]) == 64
        assert "roles: authority\n" in out


def test_both_signature_levels(
    capsys: pytest.CaptureFixture[str], made: Pki, certificate: Path, tmp_path: Path
) -> None:
    unsigned_exporter = sign_file(capsys, made, certificate, "ID", "authority", tmp_path / "a.xml")
    refused_with(
        capsys,
        "SIGNATURE_MISSING",
        "--trust",
        str(made.path),
        "--require-exporter",
        str(unsigned_exporter),
    )
    declared = sign_file(
        capsys, made, certificate, "ID", "exporter", tmp_path / "e.xml", "--exporter"
    )
    signed = sign_file(capsys, made, declared, "ID", "authority", tmp_path / "ea.xml")
    status, out, err = run(
        capsys, "verify", "--trust", str(made.path), "--require-exporter", str(signed)
    )
    assert status == 0, err
    assert "exporter: CN=TEST ONLY ID exporter" in out


def _sha1(root: etree._Element) -> None:
    one(root, "/*/ds:Signature/ds:SignedInfo/ds:SignatureMethod").set(
        "Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    )


CASES: dict[str, tuple[str, str, Callable[[etree._Element], object] | None, str]] = {
    "tampered": (
        "ID",
        "authority",
        lambda r: one(r, "//a:CertificateOfOrigin").set("Id", "X"),
        "DIGEST_MISMATCH",
    ),
    "expired-signer": ("ID", "expired", None, "CERT_EXPIRED"),
    "not-yet-valid-signer": ("ID", "not-yet-valid", None, "CERT_NOT_YET_VALID"),
    "wrong-usage-signer": ("ID", "wrong-usage", None, "KEY_USAGE"),
    "revoked-signer": ("ID", "revoked", None, "REVOKED"),
    "sha1-signature": ("ID", "authority", _sha1, "ALGORITHM_NOT_ALLOWED"),
    "signer-not-issuer": ("KR", "authority", None, "SIGNER_NOT_ISSUER"),
}


@pytest.mark.parametrize(("cc", "who", "change", "code"), CASES.values(), ids=CASES.keys())
def test_refusals_exit_1_with_one_reason(
    capsys: pytest.CaptureFixture[str],
    made: Pki,
    certificate: Path,
    tmp_path: Path,
    cc: str,
    who: str,
    change: Callable[[etree._Element], object] | None,
    code: str,
) -> None:
    signed = sign_file(capsys, made, certificate, cc, who, tmp_path / "s.xml")
    if change is not None:
        signed.write_bytes(mutate(signed.read_bytes(), change))
    refused_with(capsys, code, "--trust", str(made.path), str(signed))


def test_untrusted_root_and_unsigned(
    capsys: pytest.CaptureFixture[str], made: Pki, certificate: Path, tmp_path: Path
) -> None:
    signed = sign_file(capsys, made, certificate, "ID", "authority", tmp_path / "s.xml")
    refused_with(capsys, "UNTRUSTED_SIGNER", "--trust", str(made.country("TH")), str(signed))
    refused_with(capsys, "SIGNATURE_MISSING", "--trust", str(made.path), str(certificate))


def test_at_option_and_configuration_errors(
    capsys: pytest.CaptureFixture[str], made: Pki, certificate: Path, tmp_path: Path
) -> None:
    signed = sign_file(capsys, made, certificate, "ID", "authority", tmp_path / "s.xml")
    refused_with(
        capsys, "CERT_EXPIRED", "--trust", str(made.path), "--at", "2040-01-01", str(signed)
    )
    status, _, err = run(capsys, "verify", "--trust", str(tmp_path / "none"), str(signed))
    assert status == 2 and "CONFIGURATION" in err
    status, _, err = run(capsys, "verify", "--trust", str(made.path), "--at", "soon", str(signed))
    assert status == 2
