"""The systemd unit in deploy/ and the process behaviour it relies on.

``systemd-analyze verify`` accepts the unit (with ``ExecStart`` pointing at this
installation's ``aswbridge``), ``systemd-analyze security --offline=true`` scores it 2.0 or
lower; the relay works under the unit's ``MemoryDenyWriteExecute=yes`` (the kernel's
``PR_SET_MDWE``, which is what systemd applies), verifying and signing on a PostgreSQL store;
``SIGHUP`` leaves it running (a refused file changes nothing) and ``SIGTERM`` stops it with
status 0, as ``ExecReload`` and ``KillSignal`` expect.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_monitor import pg_url
from test_relay_integration import unipass_certificates
from test_store import postgres_dsn  # noqa: F401  (the throwaway PostgreSQL fixture)
from test_store_many import fresh_db  # noqa: F401

import aswbridge
from aswbridge.pipeline import SigningKey
from aswbridge.samples.builder import certificate
from aswbridge.security import pki
from aswbridge.testing.mocks import MockNsw, MockUnipass

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "aswbridge.service"


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (python3 run.py test installs it on Debian)")
    return found


def installed_unit(folder: Path) -> Path:
    """The unit as installed here: ``ExecStart`` runs this environment's ``aswbridge``."""
    text = UNIT.read_text()
    assert "ExecStart=/opt/aswbridge/bin/aswbridge run" in text
    here = Path(sys.executable).parent / "aswbridge"
    unit = folder / "aswbridge.service"
    unit.write_text(text.replace("/opt/aswbridge/bin/aswbridge", str(here)))
    return unit


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    result = subprocess.run(
        [systemd_analyze(), "verify", str(installed_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "aswbridge.service" not in result.stderr  # no complaint about our unit


def test_the_units_exposure_is_ok(tmp_path: Path) -> None:
    result = subprocess.run(
        [systemd_analyze(), "security", "--offline=true", str(installed_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(
        r"Overall exposure level for aswbridge\.service: (\d+\.\d) (\w+)", result.stdout
    )
    assert match is not None, result.stdout + result.stderr
    assert float(match[1]) <= 2.0 and match[2] == "OK", match[0]


@pytest.mark.parametrize(
    "setting",
    [
        "User=aswbridge",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "StateDirectory=aswbridge",
        "MemoryDenyWriteExecute=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "KillSignal=SIGTERM",
    ],
    ids=lambda s: s.split("=")[0],
)
def test_the_unit_has_the_hardening_it_documents(setting: str) -> None:
    assert setting in UNIT.read_text().splitlines()


#: Runs the relay with writable-and-executable memory refused, as the unit makes systemd do.
UNDER_MDWE = """
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, REFUSE_EXEC_GAIN
    sys.exit(f"PR_SET_MDWE refused: errno {ctypes.get_errno()}")
os.execv(sys.executable, [sys.executable, "-m", "aswbridge", "run", "--config", sys.argv[1]])
"""

SIGNED_CONFIG = """
[bridge]
country = "TH"
store = "{store}"
poll_interval = 0.05

[nsw]
url = "{nsw}"

[unipass]
url = "{unipass}"

[trust]
anchors = ["{pki}/TH", "{pki}/KR"]
sign_key = "{pki}/bridge/bridge.key.pem"
sign_cert = "{pki}/bridge/bridge.pem"

[metrics]
listen = "127.0.0.1:0"
"""


def wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_relay_works_under_memory_deny_write_execute(
    fresh_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    test_pki = pki.create(tmp_path / "pki", countries=("TH", "KR"), bridge_country="TH")
    key, cert, chain = test_pki.signer("TH")
    th = SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))
    key, cert, chain = test_pki.signer("KR")
    kr = SigningKey.from_files(key=str(key), cert=str(cert), chain=str(chain))
    with MockNsw(country="TH") as nsw, MockUnipass(signing=kr) as unipass:
        for n in range(3):
            body = certificate(exporter_country="TH", importing_country="KR", name=f"mdwe-{n}")
            nsw.outbound(aswbridge.write(body, profile="asw", signing=th))
        config = tmp_path / "bridge.toml"
        config.write_text(
            SIGNED_CONFIG.format(
                store=pg_url(fresh_db), nsw=nsw.url, unipass=unipass.url, pki=test_pki.path
            )
        )
        log = tmp_path / "relay.log"
        with log.open("wb") as out:
            relay = subprocess.Popen(
                [sys.executable, "-c", UNDER_MDWE, str(config)], stdout=out, stderr=out
            )
            try:
                wait_for(
                    lambda: (
                        nsw.stats()["by_kind"].get("response", 0) == 3 or relay.poll() is not None
                    )
                )
            finally:
                relay.send_signal(signal.SIGTERM)
                status = relay.wait(timeout=30)
        text = log.read_text()
        assert status == 0, text
        assert unipass.stats()["by_kind"] == {"certificate": 3}  # verified, signed, delivered
        assert nsw.stats()["by_kind"] == {"response": 3}  # Korea's signed answers, verified
        assert "Traceback" not in text and "refused" not in text


RELOAD_CONFIG = """
[bridge]
country = "TH"
store = "relay.db"
allow_unsigned = true
poll_interval = 0.05

[nsw]
url = "{nsw}"

[unipass]
url = "{unipass}"
"""


def test_sighup_keeps_the_relay_running_and_sigterm_stops_it(tmp_path: Path) -> None:
    """``systemctl reload`` (SIGHUP) never stops the service, even with a refused file;
    ``systemctl stop`` (SIGTERM) ends it with status 0."""
    with MockNsw(country="TH") as nsw, MockUnipass() as unipass:
        config = tmp_path / "bridge.toml"
        config.write_text(RELOAD_CONFIG.format(nsw=nsw.url, unipass=unipass.url))
        log = tmp_path / "relay.log"
        bodies = iter(unipass_certificates(3, prefix="reload"))
        with log.open("wb") as out:
            relay = subprocess.Popen(
                [sys.executable, "-m", "aswbridge", "-v", "run", "--config", str(config)],
                stdout=out,
                stderr=out,
            )
            try:
                unipass.outbound(next(bodies))
                wait_for(lambda: nsw.stats()["by_kind"].get("certificate", 0) == 1)
                relay.send_signal(signal.SIGHUP)
                wait_for(lambda: "reloaded:" in log.read_text())
                unipass.outbound(next(bodies))
                wait_for(lambda: nsw.stats()["by_kind"].get("certificate", 0) == 2)
                config.write_text("[bridge]\ncountry = 'Thailand'\n")
                relay.send_signal(signal.SIGHUP)
                wait_for(lambda: "reload refused" in log.read_text())
                unipass.outbound(next(bodies))  # the relay goes on as it was
                wait_for(lambda: nsw.stats()["by_kind"].get("certificate", 0) == 3)
                assert relay.poll() is None
            finally:
                relay.send_signal(signal.SIGTERM)
                status = relay.wait(timeout=30)
        text = log.read_text()
        assert status == 0, text
        assert "bridge.store: required" in text  # the refusal names the key
        assert "Traceback" not in text
