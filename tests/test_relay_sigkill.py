"""The relay as a process, killed with SIGKILL, restarted: nothing lost, nothing twice.

Threat-model T13 (crash after recording, before acknowledging the source), T16 (after
claiming, before sending), T17 (after sending, before recording the answer), random
SIGKILLs under injected 503s and dropped answers (300 certificates queued at the NSW and
100 at UNI-PASS by default; ``ASWBRIDGE_SOAK_NSW`` / ``ASWBRIDGE_SOAK_UNIPASS`` change
that), and a clean SIGTERM.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_relay_integration import asw_certificates, unipass_certificates

from aswbridge.relay.checkpoints import POINTS
from aswbridge.store import SqliteStore
from aswbridge.testing.mocks import Faults, MockNsw, MockServer, MockUnipass

RUNNER = Path(__file__).resolve().parent / "relay_crash_runner.py"

CONFIG = """
[bridge]
country = "TH"
store = "relay.db"
allow_unsigned = true
poll_interval = 0.05
lease_seconds = 1.5
workers = 4

[nsw]
url = "{nsw}"
read_timeout = 5
deadline = 10

[unipass]
url = "{unipass}"
read_timeout = 5
deadline = 10

[retry]
initial = 0.05
maximum = 0.5
jitter = 0.05
max_attempts = 200
"""


class Relay:
    """Starts, kills and restarts ``aswbridge run`` on one configuration."""

    def __init__(self, folder: Path, nsw: MockNsw, unipass: MockUnipass) -> None:
        self.folder = folder
        self.config = folder / "bridge.toml"
        self.config.write_text(CONFIG.format(nsw=nsw.url, unipass=unipass.url))
        self.process: subprocess.Popen[bytes] | None = None
        self.log = (folder / "relay.log").open("ab")

    def start(self, *, crash_at: str | None = None) -> None:
        assert crash_at is None or crash_at in POINTS
        command = ["run", "--config", str(self.config)]
        launcher = [str(RUNNER), crash_at] if crash_at else ["-m", "aswbridge"]
        self.process = subprocess.Popen(
            [sys.executable, *launcher, *command],
            stdout=self.log,
            stderr=self.log,
            env={**os.environ, "PYTHONPATH": str(RUNNER.parent.parent)},
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def status(self) -> dict[str, int]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "aswbridge",
                "status",
                "--config",
                str(self.config),
                "--format",
                "json",
            ],
            check=True,
            capture_output=True,
        ).stdout
        counts: dict[str, int] = json.loads(out)
        return counts

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def mocks(request: pytest.FixtureRequest) -> Iterator[tuple[MockNsw, MockUnipass]]:
    faults: Faults = getattr(request, "param", Faults())
    with MockNsw(country="TH", faults=faults) as nsw, MockUnipass(faults=faults) as unipass:
        yield nsw, unipass


@pytest.fixture
def relay(tmp_path: Path, mocks: tuple[MockNsw, MockUnipass]) -> Iterator[Relay]:
    process = Relay(tmp_path, *mocks)
    yield process
    process.close()


def arrived(nsw: MockNsw, unipass: MockUnipass, *, from_nsw: int, from_unipass: int) -> bool:
    at_unipass, at_nsw = unipass.stats()["by_kind"], nsw.stats()["by_kind"]
    return (
        at_unipass.get("certificate", 0) >= from_nsw
        and at_nsw.get("response", 0) >= from_nsw
        and at_nsw.get("certificate", 0) >= from_unipass
        and at_unipass.get("response", 0) >= from_unipass
    )


def progress(nsw: MockNsw, unipass: MockUnipass) -> int:
    return int(nsw.stats()["distinct"]) + int(unipass.stats()["distinct"])


def wait_until_settled(
    relay: Relay, total: int, *servers: MockServer, timeout: float = 240
) -> dict[str, int]:
    """Wait until the store has ``total`` done and nothing due, and the servers hold
    nothing more for the relay (every acknowledgement arrived)."""
    deadline = time.monotonic() + timeout
    store = SqliteStore(relay.folder / "relay.db")
    try:
        while time.monotonic() < deadline:
            counts = store.counts()
            settled = all(server.stats()["pending"] == 0 for server in servers)
            if settled and counts["done"] >= total and not counts["pending"] + counts["in_flight"]:
                return counts
            time.sleep(0.1)
        return store.counts()
    finally:
        store.close()


def kinds(**counts: int) -> dict[str, int]:
    return {kind: n for kind, n in counts.items() if n}


def check_exactly_once(
    relay: Relay, nsw: MockNsw, unipass: MockUnipass, *, from_nsw: int, from_unipass: int
) -> None:
    total = 2 * (from_nsw + from_unipass)
    wait_until_settled(relay, total, nsw, unipass)
    polls = nsw.stats()["requests"]
    deadline = time.monotonic() + 30
    while nsw.stats()["requests"] == polls and time.monotonic() < deadline:
        time.sleep(0.01)  # the last relay started is up and polling
    assert relay.terminate() == 0  # SIGTERM: a clean exit
    at_unipass, at_nsw = unipass.stats(), nsw.stats()
    assert at_unipass["by_kind"] == kinds(certificate=from_nsw, response=from_unipass)
    assert at_nsw["by_kind"] == kinds(certificate=from_unipass, response=from_nsw)
    assert at_unipass["distinct"] + at_nsw["distinct"] == total
    assert at_unipass["pending"] == at_nsw["pending"] == 0  # everything was taken
    counts = relay.status()
    assert (counts["pending"], counts["in_flight"], counts["dead"]) == (0, 0, 0)
    assert counts["done"] == total and counts["received"] == total
    store = SqliteStore(relay.folder / "relay.db")
    try:  # the journal accounts for every message: received, then delivered
        for mailbox in (unipass.mailbox, nsw.mailbox):
            for message_id in mailbox.received:
                events = [e.event for e in store.journal(message_id=message_id)]
                assert events.count("received") == 1 and events.count("delivered") == 1, events
    finally:
        store.close()


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_each_point_loses_nothing(
    relay: Relay, mocks: tuple[MockNsw, MockUnipass], point: str
) -> None:
    nsw, unipass = mocks
    for body in asw_certificates(4, prefix=f"crash-{point}"):
        nsw.outbound(body)
    relay.start(crash_at=point)
    assert relay.process is not None
    assert relay.process.wait(timeout=60) == -signal.SIGKILL  # it died at that point
    relay.start()
    check_exactly_once(relay, nsw, unipass, from_nsw=4, from_unipass=0)
    if point == "after_send_before_ack":
        assert unipass.stats()["received"] > unipass.stats()["distinct"]  # resent, recognised


SOAK_NSW = int(os.environ.get("ASWBRIDGE_SOAK_NSW", "300"))
SOAK_UNIPASS = int(os.environ.get("ASWBRIDGE_SOAK_UNIPASS", "100"))


@pytest.mark.parametrize(
    "mocks",
    [pytest.param(Faults(fail_rate=0.1, drop_rate=0.1, seed=5), id="faults")],
    indirect=True,
)
def test_sigkill_several_times_under_failures(
    relay: Relay, mocks: tuple[MockNsw, MockUnipass]
) -> None:
    nsw, unipass = mocks
    for body in asw_certificates(SOAK_NSW, prefix="soak-th"):
        nsw.outbound(body)
    for body in unipass_certificates(SOAK_UNIPASS, prefix="soak-kr"):
        unipass.outbound(body)
    chance = random.Random(2026)
    mid_run_kills = 0
    for _ in range(4):
        before = progress(nsw, unipass)
        relay.start()
        deadline = time.monotonic() + 60
        while progress(nsw, unipass) == before and time.monotonic() < deadline:
            time.sleep(0.01)  # the relay is up and working
        time.sleep(chance.uniform(0.0, 0.5))
        if arrived(nsw, unipass, from_nsw=SOAK_NSW, from_unipass=SOAK_UNIPASS):
            relay.kill()
            break
        relay.kill()
        mid_run_kills += 1
    relay.start()
    check_exactly_once(relay, nsw, unipass, from_nsw=SOAK_NSW, from_unipass=SOAK_UNIPASS)
    print(f"relay killed {mid_run_kills} time(s) with SIGKILL in the middle of its work")
    assert mid_run_kills >= 2


def test_sigterm_leaves_nothing_in_flight(relay: Relay, mocks: tuple[MockNsw, MockUnipass]) -> None:
    nsw, unipass = mocks
    for body in asw_certificates(20, prefix="term"):
        nsw.outbound(body)
    relay.start()
    deadline = time.monotonic() + 60
    while unipass.stats()["distinct"] < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert relay.terminate() == 0
    counts = relay.status()
    assert counts["in_flight"] == 0 and counts["dead"] == 0
    assert counts["done"] == unipass.stats()["distinct"] + nsw.stats()["distinct"]
