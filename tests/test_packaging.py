"""Installing aswbridge: the wheel and the editable install, as a user runs them."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import aswbridge

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "examples" / "messages"

#: A warning class in a build's verbose output (``SetuptoolsDeprecationWarning``,
#: ``BuildBackendWarning``, ``_BetaConfiguration``...), as pip relays it.
_WARNING = re.compile(r"\w*Warning\b(?!: Location)|_Beta\w+")


def packaging_warnings(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines of a pip run's output that carry a warning from the build backend."""
    return [
        line
        for line in done.stdout.splitlines() + done.stderr.splitlines()
        if _WARNING.search(line) and not line.startswith("WARNING: Location")
    ]


def test_installed_wheel_works_on_every_sample(tmp_path: Path) -> None:
    """`pip install .` (not editable): the wheel carries its schemas and code lists."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not packaging_warnings(built), packaging_warnings(built)
    wheel = next(wheel_dir.glob("aswbridge-*.whl"))
    version = importlib.metadata.version("aswbridge")
    assert version == aswbridge.__version__ and f"aswbridge-{version}-" in wheel.name
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "import sys, aswbridge, pathlib\n"
        "from aswbridge import _xml\n"
        "assert str(aswbridge.__file__).startswith(sys.argv[1]), aswbridge.__file__\n"
        "for path in sorted(pathlib.Path(sys.argv[2]).glob('*.xml')):\n"
        "    out = aswbridge.translate(path.read_bytes(), source='asw', target='unipass')\n"
        "    assert aswbridge.problems_of(out, profile='unipass') == [], path\n"
        "    out = aswbridge.translate(path.read_bytes(), source='asw', target='ubl')\n"
        "    assert aswbridge.problems_of(out, profile='ubl') == [], path\n"
        "print(_xml.package_file('unipass-eco.xsd'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(target), str(MESSAGES / "asw")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(target))


def test_editable_install_prints_no_packaging_warning(tmp_path: Path) -> None:
    """`pip install -e .`, as ``run.py`` does, even with ``-v``: no warning from the build.

    It installs into a throwaway environment (``pip --python``): installing into this one
    would replace the editable install the other tests run from.
    """
    venv.EnvBuilder(with_pip=False).create(tmp_path / "env")
    python = tmp_path / "env" / "bin" / "python"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-v",
            "--no-deps",
            "-e",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not packaging_warnings(done), packaging_warnings(done)
    [installed] = (tmp_path / "env").rglob("__editable__.aswbridge-*.pth")
    assert installed.read_text().split() == [str(ROOT)]
    found = subprocess.run(
        # found, not imported: the throwaway environment has none of the dependencies
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('aswbridge').origin)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert found.stdout.strip() == str(ROOT / "aswbridge" / "__init__.py")
