"""Korea's bridge with three NSWs (ID, VN, TH) and UNI-PASS as its local side, as a
process under injected 503s and dropped answers, killed with SIGKILL and restarted: every
certificate and every customs answer crosses each way exactly once (by id); Thailand,
unreachable at first, holds only its own messages (pending, never dead) and receives them
all once it is up; `status` shows each partner's counts."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from aswbridge.samples.builder import certificate
from aswbridge.testing.mesh import MockMesh
from aswbridge.testing.mocks import Faults

NSWS = ("ID", "VN", "TH")
PER_SIDE = 4  # certificates each NSW files for Korea, and Korea for each NSW

CONFIG = """
[bridge]
country = "KR"
store = "kr.db"
allow_unsigned = true
poll_interval = 0.05
lease_seconds = 1.5
workers = 4

[local]
profile = "unipass"
url = "{KR}"
read_timeout = 5
deadline = 10

[retry]
initial = 0.05
maximum = 0.5
jitter = 0.05
max_attempts = 500
horizon = 600
"""

PARTNER = """
[[partners]]
country = "{cc}"
url = "{url}"
read_timeout = 5
deadline = 10
"""


def start(folder: Path, log: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aswbridge", "run", "--config", str(folder / "bridge.toml")],
        stdout=log,
        stderr=log,  # type: ignore[arg-type]
    )


def status(folder: Path) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "aswbridge",
            "status",
            "--config",
            str(folder / "bridge.toml"),
            "--format",
            "json",
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_a_mesh_under_faults_and_sigkills_carries_everything_once(tmp_path: Path) -> None:
    faults = Faults(fail_rate=0.1, drop_rate=0.05, seed=11)
    with MockMesh.start(NSWS, faults=faults) as mesh:
        mesh["TH"].change_faults(b'{"fail_rate": 1.0}')  # Thailand is down at first
        config = CONFIG.format(KR=mesh["KR"].url) + "".join(
            PARTNER.format(cc=cc, url=mesh[cc].url) for cc in NSWS
        )
        (tmp_path / "bridge.toml").write_text(config, encoding="utf-8")
        for cc in NSWS:
            for n in range(PER_SIDE):
                mesh[cc].send(
                    certificate(
                        exporter_country=cc, importing_country="KR", name=f"mesh-{cc}-kr-{n}"
                    )
                )
                mesh["KR"].send(
                    certificate(
                        exporter_country="KR", importing_country=cc, name=f"mesh-kr-{cc}-{n}"
                    )
                )
        rng = random.Random(5)
        kills = 0
        with (tmp_path / "relay.log").open("ab") as log:
            relay = start(tmp_path, log)
            try:
                deadline = time.monotonic() + 240
                th_up = held_while_down = False
                while time.monotonic() < deadline:
                    time.sleep(rng.uniform(0.3, 1.2))
                    if kills < 4:
                        relay.send_signal(signal.SIGKILL)
                        relay.wait(timeout=10)
                        kills += 1
                        relay = start(tmp_path, log)
                    elif not th_up:
                        partners = status(tmp_path)["partners"]
                        assert isinstance(partners, dict)
                        # down: Thailand's certificates wait, pending, none dead,
                        # while the others flow
                        assert partners.get("TH", {}).get("dead", 0) == 0
                        if (
                            partners.get("TH", {}).get("pending", 0) == PER_SIDE
                            and partners.get("ID", {}).get("done", 0) > 0
                        ):
                            held_while_down = True
                            mesh["TH"].change_faults(b'{"fail_rate": 0.1}')
                            th_up = True
                    elif all(_settled(mesh, cc) for cc in (*NSWS, "KR")) and _drained(tmp_path):
                        break  # the partners have everything, and the store knows it
            finally:
                relay.send_signal(signal.SIGTERM)
                relay.wait(timeout=60)
        assert kills == 4 and th_up and held_while_down
        for cc in NSWS:  # each NSW: Korea's certificates, and Korea's answers to its own
            got = mesh[cc].stats()
            assert got["by_kind"] == {"certificate": PER_SIDE, "response": PER_SIDE}, cc
            assert got["distinct"] == 2 * PER_SIDE and got["pending"] == 0, cc
        korea = mesh["KR"].stats()
        assert korea["by_kind"] == {"certificate": 3 * PER_SIDE, "response": 3 * PER_SIDE}
        assert korea["pending"] == 0
    final = status(tmp_path)
    assert (final["dead"], final["pending"], final["in_flight"]) == (0, 0, 0)
    partners = final["partners"]
    assert isinstance(partners, dict)
    assert {cc: partners[cc]["done"] for cc in NSWS} == dict.fromkeys(NSWS, 2 * PER_SIDE)


def _drained(folder: Path) -> bool:
    """The store has nothing left to send: a delivery whose answer was dropped stays
    pending until the relay looks it up, even when the partner has it."""
    now = status(folder)
    return (now["pending"], now["in_flight"]) == (0, 0)


def _settled(mesh: MockMesh, cc: str) -> bool:
    stats = mesh[cc].stats()
    want = 6 * PER_SIDE if cc == "KR" else 2 * PER_SIDE
    return bool(stats["distinct"] == want and stats["pending"] == 0)
