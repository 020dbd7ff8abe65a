"""Every error a user can cause ends in ``aswbridge: CODE: message`` and exit 1 or 2,
never a traceback: a table of bad inputs driven through the command line."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from aswbridge import pipeline
from aswbridge.cli import main
from aswbridge.samples import SCENARIOS

CONFIG = """
[bridge]
country = "{country}"
store = "relay.db"
{bridge}
[nsw]
url = "{url}"
{nsw}
[unipass]
url = "http://127.0.0.1:9/eco"
{sections}
"""


def config(
    tmp: Path,
    *,
    country: str = "TH",
    url: str = "http://127.0.0.1:9/box",
    bridge: str = "",
    nsw: str = "",
    sections: str = "",
) -> str:
    path = tmp / "bridge.toml"
    path.write_text(
        CONFIG.format(country=country, url=url, bridge=bridge, nsw=nsw, sections=sections)
    )
    return str(path)


def file_of(tmp: Path, name: str, data: bytes) -> str:
    (tmp / name).write_bytes(data)
    return str(tmp / name)


def certificate(tmp: Path) -> str:
    return file_of(tmp, "c.xml", pipeline.write(SCENARIOS["form_d_th_id"](), profile="asw"))


def with_surrogate(tmp: Path) -> str:
    text = pipeline.write(SCENARIOS["form_d_th_id"](), profile="canonical").decode()
    return file_of(tmp, "c.json", text.replace('"TH"', '"T\\ud800"', 1).encode())


def sqlite_of_another_application(tmp: Path) -> str:
    with sqlite3.connect(tmp / "other.db") as conn:
        conn.execute("CREATE TABLE invoices (n INTEGER)")
    conn.close()
    return str(tmp / "other.db")


def quick_run(store: str) -> list[str]:
    return [
        "run",
        "--once",
        "--side",
        "TH",
        "--nsw-url",
        "http://127.0.0.1:9/box",
        "--unipass-url",
        "http://127.0.0.1:9/eco",
        "--store",
        store,
        "--allow-unsigned",
    ]


@attrs.frozen
class Case:
    argv: Callable[[Path], list[str]]
    code: str
    status: int
    says: str = ""  # a word the message must hold (the setting it names)


CASES = {
    # configuration file: numbers, URLs, countries, encoding
    "config-retry-initial-nan": Case(
        lambda t: ["run", "--once", "--config", config(t, sections="[retry]\ninitial = nan")],
        "CONFIGURATION",
        2,
        "retry.initial",
    ),
    "config-retry-horizon-inf": Case(
        lambda t: ["run", "--once", "--config", config(t, sections="[retry]\nhorizon = inf")],
        "CONFIGURATION",
        2,
        "retry.horizon",
    ),
    "config-poll-interval-zero": Case(
        lambda t: ["run", "--once", "--config", config(t, bridge="poll_interval = 0")],
        "CONFIGURATION",
        2,
        "bridge.poll_interval",
    ),
    "config-lease-nan": Case(
        lambda t: ["run", "--once", "--config", config(t, bridge="lease_seconds = nan")],
        "CONFIGURATION",
        2,
        "bridge.lease_seconds",
    ),
    "config-timeout-inf": Case(
        lambda t: ["run", "--once", "--config", config(t, nsw="read_timeout = inf")],
        "CONFIGURATION",
        2,
        "nsw.read_timeout",
    ),
    "config-url-port-out-of-range": Case(
        lambda t: ["run", "--once", "--config", config(t, url="http://127.0.0.1:99999/box")],
        "CONFIGURATION",
        2,
        "nsw.url",
    ),
    "config-url-with-a-space": Case(
        lambda t: ["run", "--once", "--config", config(t, url="http://nsw.example/a b")],
        "CONFIGURATION",
        2,
        "nsw.url",
    ),
    "config-url-not-http": Case(
        lambda t: ["run", "--once", "--config", config(t, url="file:///etc/passwd")],
        "CONFIGURATION",
        2,
        "nsw.url",
    ),
    "config-unknown-country": Case(
        lambda t: ["run", "--once", "--config", config(t, country="XX")],
        "CONFIGURATION",
        2,
        "bridge.country",
    ),
    "config-country-with-newline": Case(
        lambda t: ["run", "--once", "--config", config(t, country="TH\\n")],
        "CONFIGURATION",
        2,
        "bridge.country",
    ),
    "config-not-utf8": Case(
        lambda t: [
            "run",
            "--once",
            "--config",
            file_of(t, "b.toml", b"[bridge]\ncountry = '\xff'"),
        ],
        "CONFIGURATION",
        2,
        "UTF-8",
    ),
    # command-line numbers
    "run-poll-interval-zero": Case(
        lambda t: [*quick_run(str(t / "r.db")), "--poll-interval", "0"],
        "USAGE",
        2,
        "--poll-interval",
    ),
    "run-poll-interval-nan": Case(
        lambda t: [*quick_run(str(t / "r.db")), "--poll-interval", "nan"],
        "USAGE",
        2,
        "--poll-interval",
    ),
    "run-bad-url-with-credentials": Case(
        lambda t: [
            "run",
            "--once",
            "--side",
            "TH",
            "--nsw-url",
            "http://bob:hunter2@h:0/x",
            "--unipass-url",
            "http://h/y",
            "--store",
            str(t / "r.db"),
        ],
        "CONFIGURATION",
        2,
        "http://***@h:0/x",
    ),
    "run-side-unknown-country": Case(
        lambda t: [
            "run",
            "--once",
            "--side",
            "QQ",
            "--nsw-url",
            "http://h/x",
            "--unipass-url",
            "http://h/y",
            "--store",
            str(t / "r.db"),
        ],
        "CONFIGURATION",
        2,
        "bridge.country",
    ),
    "purge-older-than-nan": Case(
        lambda t: ["purge", "--store", str(t / "r.db"), "--older-than-days", "nan"],
        "USAGE",
        2,
        "--older-than-days",
    ),
    "purge-older-than-inf": Case(
        lambda t: ["purge", "--store", str(t / "r.db"), "--older-than-days", "inf"],
        "USAGE",
        2,
        "--older-than-days",
    ),
    "status-limit-zero": Case(
        lambda t: ["status", "--store", str(t / "r.db"), "--journal", "--limit", "0"],
        "USAGE",
        2,
        "--limit",
    ),
    "mock-port-99999": Case(lambda t: ["mock", "unipass", "--port", "99999"], "USAGE", 2, "--port"),
    "mock-fail-rate-2": Case(
        lambda t: ["mock", "unipass", "--fail-rate", "2"], "USAGE", 2, "--fail-rate"
    ),
    "mock-unknown-country": Case(
        lambda t: ["mock", "nsw", "--country", "Q1"], "CONFIGURATION", 2, "--country"
    ),
    "unknown-command": Case(lambda t: ["frobnicate"], "USAGE", 2, "frobnicate"),
    # the store
    "store-not-a-database": Case(
        lambda t: quick_run(file_of(t, "r.db", os.urandom(4096))), "STORE", 1, "not an aswbridge"
    ),
    "status-store-not-a-database": Case(
        lambda t: ["status", "--store", file_of(t, "r.db", b"hello" * 1000)],
        "STORE",
        1,
        "not an aswbridge",
    ),
    "store-of-another-application": Case(
        lambda t: quick_run(sqlite_of_another_application(t)), "STORE", 1, "other tables"
    ),
    "store-folder-unwritable": Case(
        lambda t: quick_run(str(Path(file_of(t, "plain", b"")) / "relay.db")), "STORE", 1
    ),
    # files in and out
    "translate-dev-zero": Case(
        lambda t: ["translate", "--from", "asw", "--to", "unipass", "/dev/zero"],
        "INPUT_TOO_LARGE",
        1,
    ),
    "translate-missing-input": Case(
        lambda t: ["translate", "--from", "asw", "--to", "unipass", str(t / "none.xml")],
        "CONFIGURATION",
        2,
        "none.xml",
    ),
    "translate-lone-surrogate": Case(
        lambda t: ["translate", "--from", "canonical", "--to", "asw", with_surrogate(t)],
        "CANONICAL_INVALID",
        1,
        "surrogate",
    ),
    "translate-onto-its-input": Case(
        lambda t: [
            "translate",
            "--from",
            "asw",
            "--to",
            "unipass",
            certificate(t),
            "-o",
            str(t / "c.xml"),
        ],
        "CONFIGURATION",
        2,
        "is the input",
    ),
    "translate-folder-onto-itself": Case(
        lambda t: ["translate", "--from", "asw", "--to", "unipass", str(t), "-o", f"{t}/."],
        "CONFIGURATION",
        2,
        "input folder",
    ),
    "translate-to-a-full-disk": Case(
        lambda t: [
            "translate",
            "--from",
            "asw",
            "--to",
            "unipass",
            certificate(t),
            "-o",
            "/dev/full",
        ],
        "CONFIGURATION",
        2,
        "No space left",
    ),
    "verify-at-year-9999": Case(
        lambda t: [
            "verify",
            "--trust",
            str(t),
            "--at",
            "9999-12-31T23:59:59-14:00",
            certificate(t),
        ],
        "CONFIGURATION",
        2,
        "--at",
    ),
    "verify-at-year-1": Case(
        lambda t: [
            "verify",
            "--trust",
            str(t),
            "--at",
            "0001-01-01T00:00:00+14:00",
            certificate(t),
        ],
        "CONFIGURATION",
        2,
        "--at",
    ),
    "pki-init-unwritable": Case(
        lambda t: ["pki", "init", str(Path(file_of(t, "plain", b"")) / "pki")],
        "CONFIGURATION",
        2,
        "cannot write the PKI",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_input_ends_in_one_coded_line(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = case.argv(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse's way out
            status = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert status == case.status, err
    assert last.startswith(f"aswbridge: {case.code}: "), err
    assert case.says in last


def test_a_full_disk_at_start_is_one_coded_line(tmp_path: Path) -> None:
    """The store is written once at start: a disk that is full then (no byte may be
    written) is found at once, not when the first message fails."""

    def no_room() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    store = tmp_path / "relay.db"
    store.touch()
    done = subprocess.run(
        [sys.executable, "-m", "aswbridge", *quick_run(str(store))],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=no_room,
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("aswbridge: STORE: "), done.stderr
