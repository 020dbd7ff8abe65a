"""Mock services for testers: UNI-PASS's exchange service and an NSW gateway mailbox.

Both are real HTTP servers on loopback, stateful, with fault injection and the
inspection endpoints ``GET /_mock/stats`` and ``POST /_mock/outbound``::

    with MockUnipass(faults=Faults(fail_rate=0.1, seed=7)) as unipass, \\
         MockNsw(country="TH") as nsw:
        ...  # point a bridge at unipass.url and nsw.url

From the command line: ``aswbridge mock unipass --port P`` and
``aswbridge mock nsw --country CC --port P``.
"""

from aswbridge.testing.mocks.nsw import MockNsw
from aswbridge.testing.mocks.server import Faults, MockServer
from aswbridge.testing.mocks.unipass import MockUnipass

__all__ = ["Faults", "MockNsw", "MockServer", "MockUnipass"]
