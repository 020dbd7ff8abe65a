"""The relay: :class:`Bridge` moves messages between an NSW and UNI-PASS through the store.

See :mod:`aswbridge.relay.bridge` for the flow and its guarantees.
"""

from aswbridge.relay.bridge import Bridge
from aswbridge.relay.delivery import PassReport
from aswbridge.relay.notify import failure_receipt
from aswbridge.relay.translator import Translator, pipeline_translator

__all__ = ["Bridge", "PassReport", "Translator", "failure_receipt", "pipeline_translator"]
