"""The quickstart's relay walk-through, run as written (on free ports), moves a message."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "docs" / "quickstart.md"


def blocks() -> list[list[str]]:
    """The shell blocks of the relay section, each as its commands (continuations joined)."""
    text = QUICKSTART.read_text(encoding="utf-8")
    section = text[text.index("Run a relay between") : text.index("## From Python")]
    found = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        joined = block.replace("\\\n", " ")
        found.append([re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines()])
    return [[line for line in b if line] for b in found]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def ports() -> dict[str, str]:
    return {"8801": str(free_port()), "8802": str(free_port())}


def localise(command: str, ports: dict[str, str]) -> str:
    for documented, real in ports.items():
        command = command.replace(documented, real)
    return command


@pytest.fixture
def mocks(tmp_path: Path, ports: dict[str, str]) -> Iterator[None]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = [
        subprocess.Popen(
            localise(command, ports),
            shell=True,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for command in blocks()[0]
    ]
    try:
        for port in ports.values():
            deadline = time.monotonic() + 30
            while socket.socket().connect_ex(("127.0.0.1", int(port))) != 0:
                assert time.monotonic() < deadline, "a mock did not start"
                time.sleep(0.1)
        yield
    finally:
        for process in started:
            os.killpg(process.pid, 15)
            process.wait(timeout=10)


def test_the_walk_through_has_the_mocks_then_the_relay() -> None:
    first, second = blocks()[:2]
    assert all(command.startswith("aswbridge mock") for command in first)
    assert any(" run " in command for command in second)


@pytest.mark.usefixtures("mocks")
def test_the_relay_walk_through_delivers_the_certificate_and_brings_the_answer_back(
    tmp_path: Path, ports: dict[str, str]
) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed by the quickstart (run.py's test setup installs it)")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = []
    for command in blocks()[1]:
        done = subprocess.run(
            localise(command, ports),
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert "Traceback" not in done.stderr
        outputs.append(done.stdout)
    unipass = json.loads(outputs[-1])
    assert unipass["by_kind"] == {"certificate": 1}
    assert re.search(r"done\s+2", outputs[-2]) and re.search(r"dead\s+0", outputs[-2])
