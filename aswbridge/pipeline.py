"""The pure pipeline: bytes in, bytes out, every check on the way (docs/architecture.md).

::

    bytes ─► safe parse ─► (verify signature) ─► XSD validate ─► decode ─► model
          ─► business rules ─► encode ─► XSD validate ─► (sign) ─► bytes

Nothing here does I/O; keys and trust anchors are passed in already loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from lxml import etree

from aswbridge import _xml, canonical, profiles, rules
from aswbridge.errors import AswBridgeError, ConfigurationError, Problem, SchemaError
from aswbridge.model import Message, SignerRef

if TYPE_CHECKING:
    from cryptography import x509

    from aswbridge.security import TrustStore, VerificationPolicy, Verified

__all__ = ["SigningKey", "problems_of", "read", "translate", "write"]

CANONICAL = "canonical"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@attrs.frozen(kw_only=True)
class SigningKey:
    """The key and certificate (with its intermediates) a bridge signs its output with."""

    key: Any
    cert: x509.Certificate
    chain: Sequence[x509.Certificate] = ()

    @classmethod
    def from_files(
        cls,
        *,
        key: str,
        cert: str,
        chain: str | None = None,
        module: str | None = None,
        pin_source: str | None = None,
        password: bytes | None = None,
    ) -> SigningKey:
        """Load PEM files, or the key from a token when ``key`` is a ``pkcs11:`` URI
        (see :meth:`from_uri`; ``module`` and ``pin_source`` serve a URI without them).
        ``password`` decrypts an encrypted PEM key. The only I/O helper here: call it
        once, at start-up."""
        from aswbridge.security import load_certificates, load_private_key
        from aswbridge.security.pkcs11 import is_pkcs11_uri, open_key

        certs = load_certificates(cert)
        if not certs:
            raise ConfigurationError(f"{cert} holds no certificate")
        extra = load_certificates(chain) if chain else []
        loaded = (open_key(key, cert=certs[0], module=module, pin_source=pin_source)
                  if is_pkcs11_uri(key) else load_private_key(key, password=password))
        return cls(key=loaded, cert=certs[0], chain=(*certs[1:], *extra))

    @classmethod
    def from_uri(
        cls,
        uri: str,
        *,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
        module: str | None = None,
        pin: str | None = None,
        pin_source: str | None = None,
    ) -> SigningKey:
        """A key that stays in a PKCS#11 token, named by an RFC 7512 ``pkcs11:`` URI
        (log in once, at start-up; see :func:`aswbridge.security.pkcs11.open_key`)."""
        from aswbridge.security.pkcs11 import open_key

        key = open_key(uri, cert=cert, module=module, pin=pin, pin_source=pin_source)
        return cls(key=key, cert=cert, chain=tuple(chain))

    def healthy(self) -> bool:
        """True when the key can sign now: always for a key in memory; for a key in a
        token, when the token answers (a readiness check may call this)."""
        check = getattr(self.key, "healthy", None)
        return True if check is None else bool(check())


def read(
    data: bytes,
    *,
    profile: str | None = None,
    trust: TrustStore | None = None,
    verification: VerificationPolicy | None = None,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
    max_bytes: int = _xml.DEFAULT_MAX_BYTES,
) -> tuple[str, Message]:
    """Parse, (verify,) validate and decode a message; no business rules.

    Args:
        data: the message bytes, in any profile or canonical JSON.
        profile: the expected profile (``None`` detects it from the root element).
        trust: when given, the signature is verified against these anchors and only the
            signed element is decoded; the signer is bound to the issuing authority.
        verification: the verification policy (default: the secure default).
        pins: issuing-authority id -> the only certificate (fingerprint or subject)
            allowed to sign for it.
        bridges: fingerprints or subjects of trusted bridges, whose signature stands for
            the original signer named in the envelope.

    Returns:
        The profile name and the canonical message.
    """
    message, name, _ = _read(data, profile, trust, verification, max_bytes, pins, bridges)
    return name, message


def _read(
    data: bytes,
    profile: str | None,
    trust: TrustStore | None,
    verification: VerificationPolicy | None,
    max_bytes: int,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
) -> tuple[Message, str, Verified | None]:
    if profile == CANONICAL or (profile is None and data[:1] in (b"{", b" ", b"\n")
                                and data.lstrip()[:1] == b"{"):
        if trust is not None:
            raise ConfigurationError("canonical JSON carries no signature to verify")
        return canonical.loads(data, max_bytes=max_bytes), CANONICAL, None
    element = _xml.parse(data, max_bytes=max_bytes)
    prof = profiles.detect(element) if profile is None else profiles.get(profile)
    if not prof.detect(element):
        raise SchemaError(f"not a {prof.name} message: root element is {element.tag}")
    verified = None
    if trust is not None:
        from aswbridge.security import Verifier

        verified = Verifier(verification).verify(element, trust=trust)
        element = verified.signed  # decode only what was signed
    prof.validate(element)
    message = prof.decode(element)
    if verified is not None:
        from aswbridge.security.binding import bind_message

        signer = bind_message(verified, message, pins=pins, bridges=bridges)
        message = _named_signer(message, signer)
    return message, prof.name, verified


def _named_signer(message: Message, signer: SignerRef | None) -> Message:
    """``message`` naming ``signer`` as its original signer (never the sender's claim)."""
    if message.envelope.original_signer == signer:
        return message
    return attrs.evolve(message, envelope=attrs.evolve(message.envelope,
                                                       original_signer=signer))


def write(message: Message, *, profile: str, signing: SigningKey | None = None) -> bytes:
    """Encode ``message`` in ``profile`` (schema-validated), signed when a key is given."""
    if profile == CANONICAL:
        if signing is not None:
            raise ConfigurationError("canonical JSON cannot be signed")
        return canonical.dumps(message)
    data, element = profiles.get(profile).encode_checked(message)
    if signing is None:
        return _XML_DECLARATION + data
    from aswbridge.security import Signer

    signed = Signer().sign(element, key=signing.key, cert=signing.cert, chain=signing.chain)
    return _XML_DECLARATION + etree.tostring(signed, encoding="utf-8")


def translate(
    data: bytes,
    *,
    source: str,
    target: str,
    trust: TrustStore | None = None,
    verification: VerificationPolicy | None = None,
    signing: SigningKey | None = None,
    pins: Mapping[str, str] | None = None,
    bridges: Collection[str] = (),
    today: date | None = None,
    max_bytes: int = _xml.DEFAULT_MAX_BYTES,
) -> bytes:
    """Translate a message from profile ``source`` to profile ``target``.

    Both the input and the output are validated (schema and business rules); when
    ``trust`` is given the input's signature is verified and the original signer is
    recorded in the output's envelope (the verified signer, or the one a trusted bridge
    named; without ``trust`` none: an original signer the sender wrote is dropped);
    when ``signing`` is given the output is signed.

    Raises:
        MessageError: the input is refused (a subclass says why; ``.problems`` lists
            every finding with its canonical path).
        SecurityError: the signature or its certificate is refused.
        ConfigurationError: an unknown profile or unusable options.
    """
    if target != CANONICAL:
        profiles.get(target)  # an unknown target fails before any work
    message, _, verified = _read(data, source, trust, verification, max_bytes, pins, bridges)
    if verified is None:
        message = _named_signer(message, None)  # nothing verified: nobody to name
    rules.validate(message, today=today)
    return write(message, profile=target, signing=signing)


def problems_of(
    data: bytes, *, profile: str | None = None, today: date | None = None
) -> list[Problem]:
    """Every problem of a message as a list (empty when it is valid), never raising
    for a refused message: parse, schema, mapping and rule findings alike."""
    try:
        message, _, _ = _read(data, profile, None, None, _xml.DEFAULT_MAX_BYTES)
    except ConfigurationError:
        raise
    except AswBridgeError as exc:
        return list(exc.problems)
    return rules.check(message, today=today)
