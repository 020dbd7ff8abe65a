"""Tools for testing integrations with aswbridge: mock partners, scenarios, a test bridge.

* :mod:`aswbridge.testing.mocks`: the mock UNI-PASS and NSW services (real loopback
  HTTP servers with fault injection, ``/_mock/stats`` and ``/_mock/outbound``);
* :class:`ScriptedUnipass`, :class:`ScriptedNsw`: the same, scriptable by scenario,
  with ``send``, ``received`` and ``refusals``; :class:`UnipassResponses`: UNI-PASS
  in-process through ``responses`` (imported only when started);
* the scenarios: :func:`accept`, :func:`refuse_item`, :func:`unavailable`,
  :func:`timeout`, :func:`dropped_connection`, :func:`reject`;
* :func:`bridge_between` and :class:`BridgeUnderTest`: a real bridge set up for tests;
  :class:`ThrowawayPki`: a TEST-ONLY PKI with loaded keys and trust; :class:`SoftHsm`:
  a throwaway SoftHSM2 (PKCS#11) token folder to import its keys into;
* :mod:`samples <aswbridge.samples>`: the sample certificate builders;
* the pytest plugin :mod:`aswbridge.testing.plugin` (fixtures ``mock_nsw``,
  ``mock_unipass``, ``unipass_responses``, ``bridge``, ``test_pki`` ...), loaded by
  pytest automatically once aswbridge is installed.

Everything here is for tests: nothing verifies what it should not trust in production.

The names load on first use, so that pytest, which imports the plugin in every run,
does not pay for (or depend on) the relay, the transports and the samples until a test
asks for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aswbridge import samples
    from aswbridge.samples import certificate, response_for
    from aswbridge.testing.harness import (
        FAST_HTTP,
        FAST_RETRY,
        BridgeUnderTest,
        ThrowawayPki,
        bridge_between,
    )
    from aswbridge.testing.inprocess import UnipassResponses
    from aswbridge.testing.mesh import MockMesh
    from aswbridge.testing.mocks import Faults, MockNsw, MockServer, MockUnipass
    from aswbridge.testing.scenarios import (
        Decision,
        Fault,
        Scenario,
        accept,
        dropped_connection,
        refuse_item,
        reject,
        timeout,
        unavailable,
    )
    from aswbridge.testing.scripted import ScriptedNsw, ScriptedUnipass
    from aswbridge.testing.softhsm import SoftHsm

_HOME = {
    "samples": "aswbridge",
    "certificate": "aswbridge.samples",
    "response_for": "aswbridge.samples",
    **dict.fromkeys(
        ("FAST_HTTP", "FAST_RETRY", "BridgeUnderTest", "ThrowawayPki", "bridge_between"),
        "aswbridge.testing.harness",
    ),
    "UnipassResponses": "aswbridge.testing.inprocess",
    "MockMesh": "aswbridge.testing.mesh",
    **dict.fromkeys(("Faults", "MockNsw", "MockServer", "MockUnipass"), "aswbridge.testing.mocks"),
    **dict.fromkeys(
        (
            "Decision",
            "Fault",
            "Scenario",
            "accept",
            "dropped_connection",
            "refuse_item",
            "reject",
            "timeout",
            "unavailable",
        ),
        "aswbridge.testing.scenarios",
    ),
    **dict.fromkeys(("ScriptedNsw", "ScriptedUnipass"), "aswbridge.testing.scripted"),
    "SoftHsm": "aswbridge.testing.softhsm",
}

__all__ = [
    "FAST_HTTP",
    "FAST_RETRY",
    "BridgeUnderTest",
    "Decision",
    "Fault",
    "Faults",
    "MockMesh",
    "MockNsw",
    "MockServer",
    "MockUnipass",
    "Scenario",
    "ScriptedNsw",
    "ScriptedUnipass",
    "SoftHsm",
    "ThrowawayPki",
    "UnipassResponses",
    "accept",
    "bridge_between",
    "certificate",
    "dropped_connection",
    "refuse_item",
    "reject",
    "response_for",
    "samples",
    "timeout",
    "unavailable",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
