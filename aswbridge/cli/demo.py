"""``aswbridge demo``: the whole story through the real relay, on loopback.

See :mod:`aswbridge.demo`. Exit 0 when every step happened as expected, 1 otherwise
(the failed steps are named).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the demo sub-command."""
    p = sub.add_parser(
        "demo",
        help="play the end-to-end demo on loopback (mock NSWs and UNI-PASS, real relay)",
        description=(
            "Start a mock NSW (Indonesia), a mock UNI-PASS and a mock NSW (Viet Nam) on "
            "loopback with a throwaway TEST-ONLY PKI, and play the whole story through the "
            "real relay. Prints a timeline; writes every message, the log and report.html."
        ),
    )
    p.add_argument("--out", default="demo-output", help="output folder (default: demo-output)")
    p.add_argument("--no-report", action="store_true", help="do not write report.html")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Play the demo; 0 if every step happened as expected, 1 otherwise."""
    from aswbridge.demo import run_demo

    def echo(line: str) -> None:
        try:
            print(line, flush=True)
        except BrokenPipeError:  # the reader went away (| head): play on, silently
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    result = run_demo(
        Path(args.out),
        echo=echo,
        log_json=bool(getattr(args, "log_json", False)),
        log_console=bool(getattr(args, "verbose", 0)),
        report=not args.no_report,
    )
    if not result.ok:
        for step in result.failed:
            print(f"aswbridge demo: step {step}: did not happen as expected", file=sys.stderr)
        return 1
    return 0
