"""Errors raised by aswbridge.

Every error derives from one root, :class:`AswBridgeError`, and says two things a
caller needs in order to react:

* ``origin``: ``"remote"`` when the fault lies in what the peer sent (a refused
  message, a bad signature, a business rejection), ``"local"`` when it lies with us
  (configuration, a bug, our own store);
* ``code``: the stable reason code that goes back on the wire in a receipt or a SOAP
  fault (for example ``DTD_FORBIDDEN`` or ``DIGEST_MISMATCH``).

The tree::

    AswBridgeError
    ├── MessageError (ValueError)              the input message is refused
    │   ├── XmlSecurityError                   hostile or malformed XML
    │   │   ├── DtdForbidden                   any DOCTYPE, entity declaration
    │   │   ├── InputTooLarge                  over the byte cap, before parsing
    │   │   ├── MalformedXml                   not well-formed, too deep, bad encoding
    │   │   └── XmlLimitExceeded               too many attributes or namespaces
    │   ├── LimitExceeded                      over a cap on work (digits, JSON depth)
    │   ├── SchemaError                        not valid against the profile's XSD
    │   ├── ValidationFailed                   business rules failed (``problems``)
    │   └── MappingError                       a value has no spelling in the target profile
    ├── SecurityError                          signatures and certificates (see security)
    ├── TransportError                         delivery faults (see transport)
    ├── KeyUnavailable                         the signing key's token cannot sign now
    └── ConfigurationError (ValueError)        bad arguments, profile or configuration
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

import attrs

Origin = Literal["local", "remote"]
Severity = Literal["error", "warning"]


@attrs.frozen(kw_only=True)
class Problem:
    """One finding about a message: a stable code, the canonical path, a sentence."""

    code: str
    path: str
    message: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, str]:
        """Return the problem as the JSON object ``{code, path, message, severity}``."""
        return {
            "code": self.code,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.code}{where}: {self.message}"


class AswBridgeError(Exception):
    """Root of every error aswbridge raises."""

    origin: ClassVar[Origin] = "local"
    code: str = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The error as problems, for reports that list findings uniformly."""
        return (Problem(code=self.code, path="", message=self.message),)


class MessageError(AswBridgeError, ValueError):
    """A message from a peer is refused."""

    origin: ClassVar[Origin] = "remote"
    code = "MESSAGE_REFUSED"


class XmlSecurityError(MessageError):
    """The bytes are hostile or not XML we are willing to read."""

    code = "XML_REFUSED"


class DtdForbidden(XmlSecurityError):
    """The document carries a DOCTYPE or an entity declaration."""

    code = "DTD_FORBIDDEN"


class InputTooLarge(XmlSecurityError):
    """The input is larger than the configured byte cap."""

    code = "INPUT_TOO_LARGE"


class MalformedXml(XmlSecurityError):
    """The input is not well-formed XML (or nests too deep, or lies about its encoding)."""

    code = "XML_MALFORMED"


class LimitExceeded(MessageError):
    """The input goes over one of the caps that bound the work spent on it.

    ``code`` names the cap: ``TOO_MANY_ATTRIBUTES``, ``TOO_MANY_NAMESPACES``,
    ``NUMBER_TOO_LONG`` or ``JSON_TOO_DEEP``.
    """

    code = "LIMIT_EXCEEDED"

    def __init__(self, message: str, *, code: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message, code=code)
        self.path = path

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (Problem(code=self.code, path=self.path, message=self.message),)


class XmlLimitExceeded(LimitExceeded, XmlSecurityError):
    """An XML element carries more attributes or namespaces than the cap."""


#: How many problems an error keeps: the first ones, then one saying how many more.
MAX_PROBLEMS = 100


def first_problems(problems: Iterable[Problem], *, more: int = 0,
                   limit: int = MAX_PROBLEMS) -> tuple[Problem, ...]:
    """The first ``limit`` problems, and one ``PROBLEMS_TRUNCATED`` counting the rest.

    ``more`` counts problems the caller already left out (never built).
    """
    kept: list[Problem] = []
    for problem in problems:
        if len(kept) < limit:
            kept.append(problem)
        else:
            more += 1
    if more:
        kept.append(Problem(code="PROBLEMS_TRUNCATED", path="",
                            message=f"{more} more problem(s) not listed"))
    return tuple(kept)


class SchemaError(MessageError):
    """The document is not valid against the profile's schema."""

    code = "SCHEMA_INVALID"

    def __init__(self, message: str, *, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self._problems = first_problems(problems) or (
            Problem(code=self.code, path="", message=message),)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems


class ValidationFailed(MessageError):
    """The message breaks one or more business rules."""

    code = "BUSINESS_RULE"

    def __init__(self, problems: Iterable[Problem]) -> None:
        every = tuple(problems)
        self._problems = first_problems(every)
        first = every[0] if every else None
        super().__init__(
            f"{len(every)} problem(s), first: {first}" if first else "invalid message",
            code=first.code if first else None,
        )

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems


class MappingError(MessageError):
    """A value cannot be expressed in the target profile."""

    code = "MAPPING_FAILED"

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (Problem(code=self.code, path=self.path, message=self.message),)


class SecurityError(AswBridgeError):
    """A signature or certificate check failed (subclasses live in aswbridge.security)."""

    origin: ClassVar[Origin] = "remote"
    code = "SECURITY"


class TransportError(AswBridgeError):
    """Delivery to or from a peer failed (subclasses live in aswbridge.transport)."""

    origin: ClassVar[Origin] = "remote"
    code = "TRANSPORT"


class KeyUnavailable(AswBridgeError):
    """The token holding the signing key cannot sign right now (removed, unreachable):
    retry later (see :mod:`aswbridge.security.pkcs11`)."""

    code = "KEY_UNAVAILABLE"


class ConfigurationError(AswBridgeError, ValueError):
    """Our own configuration or arguments are wrong."""

    code = "CONFIGURATION"
