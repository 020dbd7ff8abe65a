"""Settings read strictly, or refused with an error naming the setting.

One check each for the configuration file, the command line's flags and the library's
own constructors:

* a number is finite and within its stated :class:`Range` (``nan`` and ``inf`` compare
  false with everything, so ``value <= 0`` lets them through; :meth:`Range.validate` does
  not);
* a partner URL is ``http`` or ``https`` with a host, a valid port, ASCII only, no
  space or control character and no fragment (:func:`validate_url`);
* a country is an ISO 3166 alpha-2 code that exists (:func:`validate_country`).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.logs import redact

__all__ = ["POLL_INTERVAL", "Range", "validate_country", "validate_url"]

_URL_TEXT = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space


@attrs.frozen
class Range:
    """The numbers a setting may take: ``low`` (excluded when ``low_open``) to ``high``."""

    low: float
    high: float
    low_open: bool = False
    integer: bool = False

    def __str__(self) -> str:
        what = "an integer" if self.integer else "a number"
        if math.isinf(self.high):
            return f"{what} {'>' if self.low_open else '>='} {self.low:g}"
        return f"{what} from {self.low:g}{' (excluded)' if self.low_open else ''} to {self.high:g}"

    def validate(self, name: str, value: object) -> float:
        """``value`` if it is in range, else a :class:`ConfigurationError` naming ``name``."""
        number = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, number):
            raise ConfigurationError(f"{name}: expected {self}, got {value!r}")
        if not (
            math.isfinite(value)
            and (value > self.low if self.low_open else value >= self.low)
            and value <= self.high
        ):
            raise ConfigurationError(f"{name}: expected {self}, got {value!r}")
        return value

    def parse(self, name: str, text: str) -> float:
        """Read a command-line value (``"30"``, ``"0.5"``) and check it."""
        try:
            value: float = int(text) if self.integer else float(text)
        except ValueError:
            raise ConfigurationError(f"{name}: expected {self}, got {text!r}") from None
        return self.validate(name, value)

    def flag(self, name: str) -> Callable[[str], float]:
        """An argparse ``type=`` for the flag ``name``."""

        def convert(text: str) -> float:
            try:
                return self.parse(name, text)
            except ConfigurationError as exc:
                raise argparse.ArgumentTypeError(exc.message.removeprefix(f"{name}: ")) from None

        return convert


#: seconds between the relay's idle passes: 0 would poll the partners in a busy loop
POLL_INTERVAL = Range(0.01, 3_600)


def validate_url(name: str, value: str) -> str:
    """``value`` if it is an http(s) URL of a host, else a :class:`ConfigurationError`."""
    expected = f"{name}: expected an http:// or https:// URL"
    shown = redact(value)  # an error is printed and logged: never the credentials
    if not _URL_TEXT.fullmatch(value):
        raise ConfigurationError(f"{expected} of printable ASCII without spaces, got {shown!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{expected} with a host, got {shown!r}")
    try:
        port = parts.port  # urllib checks it when it is read
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigurationError(f"{expected} with a port from 1 to 65535, got {shown!r}")
    if parts.fragment or value.endswith("#"):
        raise ConfigurationError(f"{expected} without a #fragment, got {shown!r}")
    return value


def validate_country(name: str, value: str) -> str:
    """The ISO 3166 alpha-2 code ``value`` (upper-cased), or a :class:`ConfigurationError`."""
    from aswbridge import codes

    code = value.upper()
    if not re.fullmatch(r"[A-Za-z]{2}", value) or code not in codes.COUNTRIES:
        raise ConfigurationError(f"{name}: expected an ISO 3166 alpha-2 code, got {value!r}")
    return code
