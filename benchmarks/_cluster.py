"""Relays, mock partners and a PostgreSQL server as separate processes, for load runs.

Shared by ``benchmarks/relay.py``, ``benchmarks/load.py`` and their short versions in the
test suite. Every part is a real process: the mock NSW and mock UNI-PASS
(``aswbridge mock``), each relay (``aswbridge run``), and a throwaway PostgreSQL cluster
(``initdb`` + ``pg_ctl`` on a Unix socket), so what a run measures is the relay's own cost
and what it checks is what the partners saw.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aswbridge.pipeline import write
from aswbridge.samples.builder import certificate

RELAY_CONFIG = """
[bridge]
country = "TH"
store = "{store}"
allow_unsigned = true
poll_interval = {poll}
batch = {batch}
workers = {workers}
lease_seconds = {lease}

[nsw]
url = "{nsw}"
connect_timeout = 2
read_timeout = {read_timeout}
deadline = {deadline}

[unipass]
url = "{unipass}"
connect_timeout = 2
read_timeout = {read_timeout}
deadline = {deadline}

[retry]
initial = 0.05
maximum = {max_backoff}
jitter = 0.05
max_attempts = 10000
"""


def asw_certificates(count: int, prefix: str) -> list[bytes]:
    """``count`` distinct ASW certificates, Thailand to Korea."""
    return [
        write(
            certificate(exporter_country="TH", importing_country="KR", name=f"{prefix}-{i}"),
            profile="asw",
        )
        for i in range(count)
    ]


def unipass_certificates(count: int, prefix: str) -> list[bytes]:
    """``count`` distinct UNI-PASS certificates, Korea to Thailand."""
    return [
        write(
            certificate(exporter_country="KR", importing_country="TH", name=f"{prefix}-{i}"),
            profile="unipass",
        )
        for i in range(count)
    ]


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


def _postgres_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found is None:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        found = str(candidates[-1]) if candidates else None
    return found


class Postgres:
    """A throwaway PostgreSQL cluster on a Unix socket (``with Postgres() as pg``)."""

    def __init__(self) -> None:
        self.pg_ctl, initdb = _postgres_tool("pg_ctl"), _postgres_tool("initdb")
        if self.pg_ctl is None or initdb is None:
            raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.folder = Path(tempfile.mkdtemp(prefix="aswbridge-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "nobody", "nogroup")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.data = self.folder / "data"
        subprocess.run(
            _as_postgres_user(
                [initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-k {self.folder} -p {self.port} -c listen_addresses='' -c max_connections=200"
        subprocess.run(
            _as_postgres_user(
                [
                    self.pg_ctl,
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(self.folder / "log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.dsn = f"host={self.folder} port={self.port} user=postgres dbname=postgres"

    def database(self) -> str:
        """A new, empty database, as a ``postgresql://`` URL."""
        import psycopg

        name = f"run_{random.getrandbits(40):x}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@/{name}?host={self.folder}&port={self.port}"

    def close(self) -> None:
        subprocess.run(
            _as_postgres_user([str(self.pg_ctl), "-D", str(self.data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MockProcess:
    """``aswbridge mock nsw|unipass`` in its own process, driven over its HTTP API."""

    def __init__(self, role: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aswbridge", "mock", role, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"mock {role} did not start: {line!r}")
        self.url = line.split("listening on", 1)[1].strip()
        scheme, rest = self.url.split("://", 1)
        self.root = f"{scheme}://{rest.split('/', 1)[0]}"

    def _call(self, path: str, body: bytes | None = None) -> Any:
        request = urllib.request.Request(
            self.root + path, data=body, method="POST" if body is not None else "GET"
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def outbound(self, body: bytes) -> None:
        """Queue a message for the relay to pull."""
        self._call("/_mock/outbound", body)

    def stats(self) -> dict[str, Any]:
        """What the mock received and queued, and its counters."""
        result: dict[str, Any] = self._call("/_mock/stats")
        return result

    def faults(self, **faults: float) -> None:
        """Change the running mock's faults (``fail_rate``, ``drop_rate``, ``slow_rate`` ...)."""
        self._call("/_mock/faults", json.dumps(faults).encode())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


#: Every relay started, so that a run that fails leaves none running (:func:`kill_all`).
_STARTED: list[Relay] = []


def kill_all() -> None:
    """Kill every relay still running (after a failed run; a good run stops them itself)."""
    for relay in _STARTED:
        if relay.alive:
            relay.kill()
    _STARTED.clear()


class Relay:
    """One ``aswbridge run`` process on a configuration file, started and killed at will."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss_mb = 0.0
        self.kills = 0
        self.started_at = 0.0

    def start(self) -> None:
        _STARTED.append(self)
        self.started_at = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aswbridge", "run", "--config", str(self.config)],
                stdout=out,
                stderr=out,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def sample_rss(self) -> None:
        """Note the process's peak resident set (VmHWM), while it runs."""
        if self.alive:
            assert self.process is not None
            try:
                status = Path(f"/proc/{self.process.pid}/status").read_text()
            except OSError:
                return
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.kills += 1

    def stop(self) -> int:
        """SIGTERM; the exit status (0 for a clean stop)."""
        if self.process is None or self.process.poll() is not None:
            return 0 if self.process is None else self.process.returncode
        self.sample_rss()
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)


def write_config(
    folder: Path, name: str, *, store: str, nsw: str, unipass: str, extra: str = "", **options: Any
) -> Path:
    """A relay configuration file; ``options`` override the defaults below, ``extra`` is
    appended (a ``[trust]`` section, say)."""
    values = {
        "poll": 0.02,
        "batch": 100,
        "workers": 4,
        "lease": 10,
        "read_timeout": 5,
        "deadline": 8,
        "max_backoff": 0.5,
        **options,
    }
    path = folder / f"{name}.toml"
    path.write_text(RELAY_CONFIG.format(store=store, nsw=nsw, unipass=unipass, **values) + extra)
    return path


def settled(nsw: MockProcess, unipass: MockProcess, *, from_nsw: int, from_unipass: int) -> bool:
    """Every certificate and every answer arrived, and both partners hold nothing more."""
    at_nsw, at_unipass = nsw.stats(), unipass.stats()
    return (
        at_unipass["by_kind"].get("certificate", 0) >= from_nsw
        and at_nsw["by_kind"].get("response", 0) >= from_nsw
        and at_nsw["by_kind"].get("certificate", 0) >= from_unipass
        and at_unipass["by_kind"].get("response", 0) >= from_unipass
        and at_nsw["pending"] == 0
        and at_unipass["pending"] == 0
    )


def wait(
    check: Callable[[], bool],
    *,
    timeout: float,
    every: float = 0.05,
    during: Iterable[Callable[[], None]] = (),
) -> float:
    """Seconds until ``check()`` holds (calling each of ``during`` between checks)."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"not done after {timeout:.0f} s")
        for step in during:
            step()
        time.sleep(every)
    return time.perf_counter() - start
