"""Translation with trust: verify the input, name its signer, sign the output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from lxml import etree

import aswbridge
from aswbridge import profiles, samples
from aswbridge.pipeline import SigningKey
from aswbridge.security import (
    DigestMismatch,
    Signer,
    SignerNotIssuer,
    TrustStore,
    UntrustedSigner,
    load_certificates,
    load_private_key,
    pki,
)


def signed_by(country_pki: pki.Pki, cc: str, message: aswbridge.Message, profile: str) -> bytes:
    key, cert, chain = country_pki.signer(cc)
    element = profiles.get(profile).encode(message)
    signed = Signer().sign(
        element,
        key=load_private_key(key),
        cert=load_certificates(cert)[0],
        chain=load_certificates(chain),
    )
    return etree.tostring(signed)


def fingerprint(path: Path) -> str:
    return load_certificates(path)[0].fingerprint(hashes.SHA256()).hex()


def test_translate_verifies_and_names_the_original_signer(country_pki: pki.Pki) -> None:
    data = signed_by(country_pki, "ID", samples.form_ak_id_kr(), "asw")
    trust = TrustStore.from_paths([country_pki.path])
    key, cert = country_pki.bridge
    out = aswbridge.translate(
        data,
        source="asw",
        target="unipass",
        trust=trust,
        signing=SigningKey.from_files(key=str(key), cert=str(cert)),
    )
    _, message = aswbridge.read(out, trust=trust, bridges=[fingerprint(cert)])
    signer = message.envelope.original_signer
    assert signer is not None
    assert signer.fingerprint == fingerprint(country_pki.signer("ID")[1])
    assert "C=ID" in signer.subject
    # without the bridge pinned, the bridge is not the issuing authority
    with pytest.raises(SignerNotIssuer):
        aswbridge.read(out, trust=trust)


def test_translate_refuses_tampered_and_untrusted_input(country_pki: pki.Pki) -> None:
    data = signed_by(country_pki, "ID", samples.form_ak_id_kr(), "asw")
    trust = TrustStore.from_paths([country_pki.path])
    tampered = data.replace(b"<CountryCode>KR</CountryCode>", b"<CountryCode>VN</CountryCode>", 1)
    assert tampered != data
    with pytest.raises(DigestMismatch):
        aswbridge.translate(tampered, source="asw", target="unipass", trust=trust)
    with pytest.raises(UntrustedSigner):
        aswbridge.translate(
            data,
            source="asw",
            target="unipass",
            trust=TrustStore.from_paths([country_pki.country("VN")]),
        )
    with pytest.raises(SignerNotIssuer):  # a Vietnamese key signing an Indonesian certificate
        aswbridge.translate(
            signed_by(country_pki, "VN", samples.form_ak_id_kr(), "asw"),
            source="asw",
            target="unipass",
            trust=trust,
        )


def test_cli_translate_with_trust_then_verify(country_pki: pki.Pki, tmp_path: Path) -> None:
    source = tmp_path / "signed.xml"
    source.write_bytes(signed_by(country_pki, "ID", samples.form_ak_id_kr(), "asw"))
    key, cert = country_pki.bridge
    out = tmp_path / "out.xml"
    run = [sys.executable, "-m", "aswbridge"]
    done = subprocess.run(
        [
            *run,
            "translate",
            "--from",
            "asw",
            "--to",
            "unipass",
            "--trust",
            str(country_pki.path),
            "--sign-key",
            str(key),
            "--sign-cert",
            str(cert),
            str(source),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    verify = subprocess.run(
        [*run, "verify", "--trust", str(country_pki.path), "--bridge", fingerprint(cert), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stderr
    assert f"fingerprint: {fingerprint(cert)}" in verify.stdout
    assert f"original fingerprint: {fingerprint(country_pki.signer('ID')[1])}" in verify.stdout
    refused = subprocess.run(
        [*run, "verify", "--trust", str(country_pki.path), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("aswbridge: SIGNER_NOT_ISSUER")
