"""Logging set-up for the command line; the library itself only uses ``logging``.

Nothing here runs on import: a host application configures logging its own way.
At INFO, aswbridge logs message ids, kinds, countries and outcomes, never a whole
certificate, a key or a password.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from aswbridge.errors import escape

__all__ = ["JsonFormatter", "PlainFormatter", "configure", "escape", "redact"]

_STANDARD = frozenset(vars(logging.makeLogRecord({})))
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def redact(text: str) -> str:
    """``text`` with the credentials of every URL's userinfo replaced by ``***``
    (``https://user:secret@host/`` becomes ``https://***@host/``)."""
    return _USERINFO.sub(r"\1***@", text)


class PlainFormatter(logging.Formatter):
    """One line per record: the message is escaped (see :func:`escape`) and URL
    credentials redacted (see :func:`redact`); a traceback follows on its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(redact(record.message))
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (URL credentials redacted)
    and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(*, verbosity: int = 0, json_format: bool = False) -> None:
    """Configure the ``aswbridge`` logger for command-line use (stderr)."""
    logger = logging.getLogger("aswbridge")
    handler = _Stderr()
    plain = PlainFormatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S")
    handler.setFormatter(JsonFormatter() if json_format else plain)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING - 10 * min(verbosity, 2))
    logger.propagate = False
