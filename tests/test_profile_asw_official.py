"""An official schema without a fork: ``examples/profile_asw_official`` replaces ``asw``.

The package is installed with pip into a temporary folder; a subprocess that sees it
only through ``PYTHONPATH`` runs the real relay (``aswbridge run --once``) between a mock
NSW and a mock UNI-PASS. Both the NSW mock and the relay speak ``asw``, which is now the
installed profile: the certificate leaves in the package's schema and the customs
response comes back in it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_profile_cn import env_with, install_profile_cn

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile_asw_official"
PACKAGE = EXAMPLE / "aswbridge_profile_asw_official"
NAMESPACE = "urn:example:asean:eform:official:1"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_profile_cn(tmp_path_factory.mktemp("asw_official"), example=EXAMPLE)


def run(site: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env_with(site),
        cwd=cwd,
        check=False,
        timeout=300,
    )


def test_the_installed_profile_replaces_the_shipped_one(site: Path, tmp_path: Path) -> None:
    code = (
        "from aswbridge import profiles, _xml\n"
        "asw = profiles.get('asw')\n"
        "print(profiles.names(), asw.namespace, _xml.schema_path(asw.schema).name)\n"
    )
    done = run(site, code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['asw',", "'ubl',", "'unipass']", NAMESPACE, "asw-official.xsd"]
    shipped = run(
        tmp_path, "from aswbridge import profiles; print(profiles.get('asw').namespace)", tmp_path
    )
    assert shipped.stdout.strip() == "urn:aswbridge:reference:asw:1"  # not installed there


RELAY = """
import sys
import aswbridge
from aswbridge import cli, samples
from aswbridge.testing.mocks import MockNsw, MockUnipass

message = samples.form_ak_id_kr()
body = aswbridge.write(message, profile="asw")
assert b"<ASWMessage" in body and NAMESPACE.encode() in body
with MockNsw(country="ID") as nsw, MockUnipass() as unipass:
    nsw.outbound(body)
    argv = ["run", "--side", "ID", "--nsw-url", nsw.url, "--unipass-url", unipass.url,
            "--store", sys.argv[1], "--allow-unsigned", "--once"]
    for _ in range(3):
        assert cli.main(argv) == 0
        if nsw.mailbox.received:
            break
    (certificate,) = unipass.mailbox.received.values()
    assert aswbridge.read(certificate.body)[1].document == message.document
    (response,) = nsw.mailbox.received.values()
    assert NAMESPACE.encode() in response.body, response.body[:300]
    name, answer = aswbridge.read(response.body)
    assert (name, answer.kind, answer.document.certificate_id) == (
        "asw", "response", message.document.id)
print("relayed", answer.document.certificate_id)
"""


def test_the_relay_runs_with_the_installed_profile(site: Path, tmp_path: Path) -> None:
    code = RELAY.replace("NAMESPACE", repr(NAMESPACE)).replace(
        "sys.argv[1]", repr(str(tmp_path / "relay.db"))
    )
    done = run(site, code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("relayed ")


def test_the_committed_xsd_is_generated_from_the_tables(site: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aswbridge.profiles.xsd", "asw"],
        capture_output=True,
        text=True,
        env=env_with(site),
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (PACKAGE / "asw-official.xsd").read_text(encoding="utf-8")
