"""Named points where the relay kills itself, for crash tests only.

A crash test starts the relay with ``ASWBRIDGE_CRASH_AT=<point>``; the relay sends itself
SIGKILL the first time it reaches that point, and the test restarts it without the
variable and checks that nothing was lost and nothing counted twice. Unset, nothing happens.
"""

from __future__ import annotations

import os
import signal

__all__ = ["CRASH_ENV", "CRASH_POINTS", "crash_point"]

#: Environment variable naming a point where the process kills itself (crash tests only).
CRASH_ENV = "ASWBRIDGE_CRASH_AT"
CRASH_POINTS = (
    "after_record_before_ack",  # inbox + outbox committed, source not acknowledged
    "after_claim_before_send",  # outbox row leased, nothing sent
    "after_send_before_ack",  # receiver has it, the row is not marked done
)


def crash_point(name: str) -> None:
    """Die here, by SIGKILL, if the environment names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
