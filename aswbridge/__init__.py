"""aswbridge: exchange e-COs between an ASEAN National Single Window and UNI-PASS.

The facade::

    import aswbridge

    out = aswbridge.translate(data, source="asw", target="unipass")
    name, message = aswbridge.read(data)          # canonical model, no rules
    problems = aswbridge.problems_of(data)        # [] when valid

    pipeline = aswbridge.Pipeline(trust=anchors, signing=key)   # the policy, once
    done = pipeline.translate(data, source="asw", target="unipass")
    done.output, done.message, done.signer, done.warnings

``aswbridge.Bridge`` (the relay) is imported on first use, so that translating does not
load the transports.
"""

from typing import TYPE_CHECKING, Any

from aswbridge.errors import (
    AswBridgeError,
    ConfigurationError,
    MessageError,
    Problem,
    SecurityError,
    TransportError,
)
from aswbridge.model import Certificate, Message
from aswbridge.pipeline import (
    Pipeline,
    SigningKey,
    Translation,
    problems_of,
    read,
    translate,
    write,
)

if TYPE_CHECKING:
    from aswbridge.relay import Bridge

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Bridge":
        from aswbridge.relay import Bridge

        return Bridge
    raise AttributeError(f"module 'aswbridge' has no attribute {name!r}")


__all__ = [
    "AswBridgeError",
    "Bridge",
    "Certificate",
    "ConfigurationError",
    "Message",
    "MessageError",
    "Pipeline",
    "Problem",
    "SecurityError",
    "SigningKey",
    "Translation",
    "TransportError",
    "__version__",
    "problems_of",
    "read",
    "translate",
    "write",
]
