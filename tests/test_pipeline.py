"""The configured Pipeline: one policy, a Translation with the message, signer and warnings;
the module functions stay conveniences over it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest

import aswbridge
from aswbridge import canonical
from aswbridge.errors import ConfigurationError
from aswbridge.model import Message
from aswbridge.pipeline import Pipeline, SigningKey, Translation, write
from aswbridge.samples.builder import certificate
from aswbridge.security import TrustStore, pki


def th_cert(name: str = "pipeline") -> Message:
    return certificate(exporter_country="TH", importing_country="KR", name=name)


def warned(message: Message) -> Message:
    """The same certificate with its consignee outside the importing country (a warning)."""
    cert = message.document
    consignee = attrs.evolve(cert.consignee, country="VN")  # type: ignore[union-attr]
    return attrs.evolve(message, document=attrs.evolve(cert, consignee=consignee))  # type: ignore[misc]


def signed(country_pki: pki.Pki, message: Message) -> bytes:
    key, cert, chain = country_pki.load("TH")
    return write(message, profile="asw", signing=SigningKey(key=key, cert=cert, chain=tuple(chain)))


def test_translate_returns_the_output_the_message_and_the_warnings() -> None:
    message = warned(th_cert())
    data = write(message, profile="asw")
    done = Pipeline().translate(data, source="asw", target="unipass")
    assert isinstance(done, Translation)
    assert done.output == aswbridge.translate(data, source="asw", target="unipass")
    assert done.message == message and (done.source, done.target) == ("asw", "unipass")
    assert done.signer is None
    assert [(w.code, w.severity) for w in done.warnings] == [("CONSIGNEE_COUNTRY", "warning")]


def test_the_digest_is_of_the_content_not_of_the_bytes(country_pki: pki.Pki) -> None:
    pipeline = Pipeline(trust=TrustStore.from_paths([country_pki.country("TH")]))
    message = th_cert()
    first, second = signed(country_pki, message), signed(country_pki, message)
    assert first != second  # ECDSA signatures differ every time
    a = pipeline.translate(first, source="asw", target="unipass")
    b = pipeline.translate(second, source="asw", target="unipass")
    other = pipeline.translate(
        signed(country_pki, th_cert("other")), source="asw", target="unipass"
    )
    assert a.digest == b.digest != other.digest
    assert len(a.digest) == 64


def test_the_verified_signer_and_the_soft_fail_warning(
    country_pki: pki.Pki, tmp_path: Path
) -> None:
    anchors = tmp_path / "TH"
    shutil.copytree(
        country_pki.country("TH"), anchors, ignore=shutil.ignore_patterns("*.crl.pem")
    )  # no CRL: status unknown
    pipeline = Pipeline(trust=TrustStore.from_paths([anchors]))
    done = pipeline.translate(signed(country_pki, th_cert()), source="asw", target="canonical")
    assert done.signer is not None and "C=TH" in done.signer.subject
    assert done.message.envelope.original_signer == done.signer
    assert canonical.loads(done.output) == done.message
    revocation = [w for w in done.warnings if w.code == "VERIFICATION_WARNING"]
    assert revocation and all(w.severity == "warning" for w in revocation)
    assert "revocation" in revocation[0].message.lower()


def test_the_clock_is_the_day_rules_judge_dates_against() -> None:
    message = th_cert()
    data = write(message, profile="asw")
    issued = message.document.issue_date  # type: ignore[union-attr]
    before = datetime(issued.year - 1, 1, 1, tzinfo=UTC)
    with pytest.raises(aswbridge.MessageError) as caught:
        Pipeline(clock=lambda: before).translate(data, source="asw", target="unipass")
    assert {p.code for p in caught.value.problems} == {"DATE_FUTURE"}
    assert Pipeline(clock=lambda: datetime(2026, 12, 1, tzinfo=UTC)).problems_of(data) == []
    assert aswbridge.problems_of(data, today=date(2026, 12, 1)) == []


def test_bad_options_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        Pipeline(max_bytes=0)
    with pytest.raises(ConfigurationError):
        Pipeline(signing=None).translate(b"{}", source="canonical", target="nope")


def test_the_cli_prints_warnings_on_stderr(tmp_path: Path) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(write(warned(th_cert()), profile="asw"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aswbridge",
            "translate",
            "--from",
            "asw",
            "--to",
            "unipass",
            str(source),
            "-o",
            str(tmp_path / "out.xml"),
        ],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert b"warning: CONSIGNEE_COUNTRY consignee.country: " in done.stderr
    assert (tmp_path / "out.xml").stat().st_size > 0
