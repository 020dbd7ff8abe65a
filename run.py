#!/usr/bin/env python3
"""Set up and run aswbridge from a fresh clone with nothing but Python 3.11+.

    python3 run.py demo     # the end-to-end demo
    python3 run.py test     # lint, type-check and the test suite
    python3 run.py bench    # the benchmarks (quick mode: --quick)

The first run creates ``.venv`` and installs the package with its test extras; on
Debian-like systems run as root it also installs the command-line tools the tests
use to check our output independently (xmllint, xmlsec1), curl (the quickstart's relay
walk-through is run as written), the PostgreSQL server the PostgreSQL store is tested
against, SoftHSM2 (a PKCS#11 token the key-custody tests sign through) and systemd's
systemd-analyze (which checks the service unit in deploy/; nothing runs as init).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
#: What ruff checks and formats.
LINTED = ("aswbridge", "tests", "benchmarks", "examples", "tools", "run.py")

SYSTEM_TOOLS = {
    "xmllint": "libxml2-utils",
    "xmlsec1": "xmlsec1",
    "pg_ctl": "postgresql",
    "curl": "curl",
    "softhsm2-util": "softhsm2",
    "systemd-analyze": "systemd",
}


def sh(*cmd: str | Path, check: bool = True) -> int:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


def ensure_venv() -> None:
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".aswbridge-installed"
    digest = hashlib.sha256(
        b"".join((ROOT / f).read_bytes() for f in ("pyproject.toml", "setup.py"))
    ).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("installing aswbridge and its test dependencies into .venv ...", flush=True)
        sh(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
        sh(PY, "-m", "pip", "install", "-q", "-e", ".[test]")
        stamp.write_text(digest)


def postgres_bin() -> None:
    """Debian keeps the PostgreSQL server programs off PATH: put them on it for the tests."""
    if shutil.which("pg_ctl") is None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if found:
            os.environ["PATH"] = f"{found[-1].parent}{os.pathsep}{os.environ['PATH']}"


def ensure_system_tools() -> None:
    postgres_bin()
    missing = [pkg for tool, pkg in SYSTEM_TOOLS.items() if shutil.which(tool) is None]
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print(f"installing {' '.join(missing)} ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
        postgres_bin()
    else:
        print(
            f"note: {', '.join(missing)} not found; the interoperability, store and"
            " PKCS#11 tests need them",
            file=sys.stderr,
        )


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
        sys.exit("aswbridge needs Python 3.11 or newer")
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command == "demo":
        ensure_venv()
        return sh(BIN / "aswbridge", "demo", *rest, check=False)
    if command == "test":
        ensure_venv()
        ensure_system_tools()
        for step in (
            [BIN / "ruff", "check", *LINTED],
            [BIN / "ruff", "format", "--check", *LINTED],
            [BIN / "mypy"],
        ):
            if sh(*step, check=False) != 0:
                return 1
        return sh(PY, "-m", "pytest", *rest, check=False)
    if command == "bench":
        ensure_venv()
        status = 0
        for script in sorted((ROOT / "benchmarks").glob("[!_]*.py")):
            status |= sh(PY, script, *rest, check=False)
        return status
    print(__doc__)
    return 0 if command == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
