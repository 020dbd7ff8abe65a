"""Run the ``aswbridge`` command line, killing the process at one named relay checkpoint.

    python tests/relay_crash_runner.py POINT run --config bridge.toml

The crash tests start the relay this way; the product has no crash switch of its own.
"""

from __future__ import annotations

import os
import signal
import sys

from aswbridge.cli import main
from aswbridge.relay import checkpoints


def die_at(point: str) -> None:
    if point not in checkpoints.POINTS:
        raise SystemExit(f"unknown checkpoint {point!r}; known: {checkpoints.POINTS}")

    def observer(reached: str) -> None:
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    checkpoints.observe(observer)


if __name__ == "__main__":
    die_at(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
