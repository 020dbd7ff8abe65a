"""``aswbridge.bridge``: the relay's public names (the code lives in :mod:`aswbridge.relay`)."""

from aswbridge.relay import Bridge, PassReport, Translator, pipeline_translator

__all__ = ["Bridge", "PassReport", "Translator", "pipeline_translator"]
