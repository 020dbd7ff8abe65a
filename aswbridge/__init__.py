"""aswbridge: exchange e-COs between an ASEAN National Single Window and UNI-PASS.

The facade::

    import aswbridge

    out = aswbridge.translate(data, source="asw", target="unipass")
    name, message = aswbridge.read(data)          # canonical model, no rules
    problems = aswbridge.problems_of(data)        # [] when valid
"""

from aswbridge.errors import (
    AswBridgeError,
    ConfigurationError,
    MessageError,
    Problem,
    SecurityError,
    TransportError,
)
from aswbridge.model import Certificate, Message
from aswbridge.pipeline import SigningKey, problems_of, read, translate, write

__version__ = "0.1.0"

__all__ = [
    "AswBridgeError",
    "Certificate",
    "ConfigurationError",
    "Message",
    "MessageError",
    "Problem",
    "SecurityError",
    "SigningKey",
    "TransportError",
    "__version__",
    "problems_of",
    "read",
    "translate",
    "write",
]
