"""A new country joins by installing a profile package: ``examples/profile_cn``.

The example is installed with pip into a temporary folder (as a user would install
it), then driven through the real command line in a subprocess whose only link to it
is ``PYTHONPATH``: the entry point ``aswbridge.profiles`` does the rest. Nothing in
aswbridge knows the profile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile_cn"
SCHEMA = EXAMPLE / "aswbridge_profile_cn" / "cn-eco.xsd"


def install_profile_cn(target: Path, *, example: Path = EXAMPLE) -> Path:
    """Install ``examples/profile_cn`` (or another ``example`` package) into
    ``target/site`` with pip; return that folder.

    The source is copied first so the build leaves nothing in the checkout; build
    isolation is off so no package index is needed (setuptools comes from the venv).
    """
    source = target / "src"
    shutil.copytree(
        example, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    site = target / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        "pip install of the example failed (building it offline needs setuptools>=77 in "
        f"this environment, which the test extras install):\n{done.stderr}"
    )
    return site


def env_with(site: Path) -> dict[str, str]:
    """The environment of a subprocess that sees the installed example."""
    return {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield install_profile_cn(tmp_path_factory.mktemp("profile_cn"))


def run(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        env=env_with(site),
        cwd=cwd,
        check=False,
        timeout=120,
    )


def aswbridge(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return run(site, "-m", "aswbridge", *args, cwd=cwd)


@pytest.fixture(scope="module")
def cn_xml(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cn_messages")
    done = run(site, "-m", "aswbridge_profile_cn.sample", cwd=folder)
    assert done.returncode == 0, done.stderr.decode()
    path = folder / "cn.xml"
    path.write_bytes(done.stdout)
    return path


def test_the_entry_point_makes_the_profile_known(site: Path, tmp_path: Path) -> None:
    code = "from aswbridge import profiles; print(profiles.names()); print(profiles.get('cn'))"
    done = run(site, "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    names, profile = done.stdout.decode().splitlines()
    assert names == "['asw', 'cn', 'ubl', 'unipass']"
    assert "urn:aswbridge:example:cn:1" in profile


def test_without_the_package_the_profile_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "cn.xml").write_bytes(b"<CoMessage xmlns='urn:aswbridge:example:cn:1'/>")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aswbridge",
            "translate",
            "--from",
            "cn",
            "--to",
            "unipass",
            "cn.xml",
        ],
        capture_output=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"unknown profile 'cn'" in done.stderr


def test_translate_from_cn_to_unipass_and_back_is_lossless(
    site: Path, cn_xml: Path, tmp_path: Path
) -> None:
    out = aswbridge(
        site,
        "translate",
        "--from",
        "cn",
        "--to",
        "unipass",
        str(cn_xml),
        "-o",
        "kr.xml",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr.decode()
    korean = (tmp_path / "kr.xml").read_bytes()
    assert b'<EcoMsg xmlns="urn:aswbridge:reference:unipass:1">' in korean
    assert b"<SndrCntyCd>CN</SndrCntyCd>" in korean
    back = aswbridge(site, "translate", "--from", "unipass", "--to", "cn", "kr.xml", cwd=tmp_path)
    assert back.returncode == 0, back.stderr.decode()
    assert back.stdout == cn_xml.read_bytes()


@pytest.mark.parametrize("target", ["asw", "canonical"])
def test_the_cn_certificate_reaches_every_other_profile(
    site: Path, cn_xml: Path, tmp_path: Path, target: str
) -> None:
    done = aswbridge(site, "translate", "--from", "cn", "--to", target, str(cn_xml), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert b"E266000000123450001" in done.stdout  # the Chinese CO number travels


def test_the_sample_matches_the_canonical_model(site: Path, cn_xml: Path, tmp_path: Path) -> None:
    code = (
        "import sys, aswbridge\n"
        "from aswbridge_profile_cn.sample import rcep_cn_kr\n"
        "name, message = aswbridge.read(open(sys.argv[1], 'rb').read())\n"
        "assert name == 'cn', name\n"
        "assert message == rcep_cn_kr()\n"
        "print(message.document.issuing_country, message.document.form,"
        " len(message.document.items))\n"
    )
    done = run(site, "-c", code, str(cn_xml), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split() == ["CN", "FORM_RCEP", "6"]


def test_a_schema_invalid_cn_message_is_refused_with_its_path(
    site: Path, cn_xml: Path, tmp_path: Path
) -> None:
    bad = cn_xml.read_bytes().replace(b"<Code>290512</Code>", b"<Code>29X512</Code>", 1)
    assert bad != cn_xml.read_bytes()
    (tmp_path / "bad.xml").write_bytes(bad)
    done = aswbridge(
        site, "validate", "--profile", "cn", "--format", "json", "bad.xml", cwd=tmp_path
    )
    assert done.returncode == 1
    assert b'"SCHEMA_INVALID"' in done.stdout
    assert b'"items[0].hs.code"' in done.stdout


def test_schema_command_points_into_the_installed_package(site: Path, tmp_path: Path) -> None:
    done = aswbridge(site, "schema", "cn", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    path = Path(done.stdout.decode().strip())
    assert path.is_relative_to(site)
    assert path.read_bytes() == SCHEMA.read_bytes()


def test_the_committed_xsd_is_generated_from_the_tables(site: Path, tmp_path: Path) -> None:
    done = aswbridge(site, "schema", "cn", cwd=tmp_path)  # the profile is loadable
    assert done.returncode == 0
    generated = run(site, "-m", "aswbridge.profiles.xsd", "cn", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr.decode()
    assert generated.stdout.decode() == SCHEMA.read_text(encoding="utf-8"), (
        "regenerate: python -m aswbridge.profiles.xsd cn > "
        "examples/profile_cn/aswbridge_profile_cn/cn-eco.xsd"
    )


def test_every_sample_the_profile_can_carry_round_trips(site: Path, tmp_path: Path) -> None:
    code = (
        "import aswbridge\n"
        "from aswbridge import samples\n"
        "from aswbridge.errors import MappingError\n"
        "for name, build in samples.SCENARIOS.items():\n"
        "    message = build()\n"
        "    form = getattr(message.document, 'form', 'FORM_RCEP')\n"
        "    if message.kind in ('certificate', 'receipt', 'response') and form == 'FORM_RCEP':\n"
        "        data = aswbridge.write(message, profile='cn')\n"
        "        assert aswbridge.read(data) == ('cn', message), name\n"
        "        print('carried', name)\n"
        "    else:\n"
        "        try:\n"
        "            aswbridge.write(message, profile='cn')\n"
        "        except MappingError as exc:\n"
        "            print('refused', name, exc.problems[0].path or message.kind)\n"
        "        else:\n"
        "            raise AssertionError(name)\n"
    )
    done = run(site, "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert {
        "carried form_rcep_kr_th",
        "carried receipt",
        "carried response_refusing_item",
        "refused form_ak_id_kr form",
        "refused verification_request verification_request",
    } <= set(lines)
