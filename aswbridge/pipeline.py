"""The pure pipeline: bytes in, bytes out, every check on the way (docs/architecture.md).

::

    bytes ─► safe parse ─► (verify signature) ─► XSD validate ─► decode ─► model
          ─► business rules ─► encode ─► XSD validate ─► (sign) ─► bytes

A :class:`Pipeline` holds the policy once (trust anchors, verification policy, pins,
trusted bridges, signing key, size limit, clock); its :meth:`Pipeline.translate` returns
a :class:`Translation`: the output bytes with the canonical message, the verified signer
and the warnings. The module functions :func:`translate`, :func:`read`, :func:`write` and
:func:`problems_of` are conveniences over a pipeline built from their arguments.

Nothing here does I/O; keys and trust anchors are passed in already loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs
from lxml import etree

from aswbridge import _xml, canonical, profiles, rules
from aswbridge.errors import AswBridgeError, ConfigurationError, Problem, SchemaError
from aswbridge.model import Message, SignerRef

if TYPE_CHECKING:
    from cryptography import x509

    from aswbridge.security import TrustStore, VerificationPolicy

__all__ = [
    "Pipeline",
    "Reading",
    "SigningKey",
    "Translation",
    "problems_of",
    "read",
    "translate",
    "write",
]

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
        loaded = (
            open_key(key, cert=certs[0], module=module, pin_source=pin_source)
            if is_pkcs11_uri(key)
            else load_private_key(key, password=password)
        )
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


@attrs.frozen(kw_only=True)
class Reading:
    """A message read by :meth:`Pipeline.read`: verified (when trust is configured),
    schema-validated and decoded; no business rules.

    Attributes:
        profile: the profile the input was read in.
        message: the canonical message.
        signer: the original signer the message may name: the verified root signer, or
            the one a trusted bridge named (None when nothing was verified).
        warnings: what the verifier warns about (e.g. an unknown revocation status
            under soft-fail), as problems of severity ``warning``.
    """

    profile: str
    message: Message
    signer: SignerRef | None = None
    warnings: tuple[Problem, ...] = ()


@attrs.frozen(kw_only=True)
class Translation:
    """What :meth:`Pipeline.translate` returns.

    Attributes:
        output: the translated bytes (signed when the pipeline has a signing key).
        message: the canonical message as written (its envelope names the original signer
            verified, or none).
        source: the profile the input was read in.
        target: the profile written.
        signer: the input's original signer: the verified root signer, or the one a
            trusted bridge named (None when nothing was verified).
        warnings: the verifier's and the business rules' warnings, severity ``warning``.
    """

    output: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    message: Message
    source: str
    target: str
    signer: SignerRef | None = None
    warnings: tuple[Problem, ...] = ()

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the message's canonical JSON: equal for the same content,
        however it was serialised or signed on the wire."""
        return hashlib.sha256(canonical.dumps(self.message)).hexdigest()


class Pipeline:
    """The configured pipeline: policy once, in the constructor; data in the calls.

    Args:
        trust: when given, every input's signature is verified against these anchors,
            only the signed element is decoded and its signer is bound to the issuing
            authority it names.
        verification: the verification policy (default: the secure default).
        signing: the key and certificate every output is signed with (None: unsigned).
        pins: issuing-authority id -> the only certificate (fingerprint or subject)
            allowed to sign for it.
        bridges: fingerprints or subjects of trusted bridges, whose signature stands for
            the original signer named in the envelope.
        max_bytes: the largest input accepted.
        clock: the current time: the day business rules judge dates against and, unless
            ``verification.at`` is set, the time certificates are validated at
            (default: the system clock).

    Thread-safe: one pipeline serves every worker of a relay.
    """

    def __init__(
        self,
        *,
        trust: TrustStore | None = None,
        verification: VerificationPolicy | None = None,
        signing: SigningKey | None = None,
        pins: Mapping[str, str] | None = None,
        bridges: Collection[str] = (),
        max_bytes: int = _xml.DEFAULT_MAX_BYTES,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if max_bytes < 1:
            raise ConfigurationError("max_bytes must be positive")
        self.trust = trust
        self.verification = verification
        self.signing = signing
        self.pins = dict(pins or {})
        self.bridges = tuple(bridges)
        self.max_bytes = max_bytes
        self.clock = clock

    def read(self, data: bytes, *, profile: str | None = None) -> Reading:
        """Parse, (verify,) validate and decode a message; no business rules.

        Args:
            data: the message bytes, in any profile or canonical JSON.
            profile: the expected profile (``None`` detects it from the root element).

        Raises:
            MessageError, SecurityError: the input is refused (the subclass says why).
        """
        if profile == CANONICAL or (
            profile is None and data[:1] in (b"{", b" ", b"\n") and data.lstrip()[:1] == b"{"
        ):
            if self.trust is not None:
                raise ConfigurationError("canonical JSON carries no signature to verify")
            return Reading(
                profile=CANONICAL, message=canonical.loads(data, max_bytes=self.max_bytes)
            )
        element = _xml.parse(data, max_bytes=self.max_bytes)
        prof = profiles.detect(element) if profile is None else profiles.get(profile)
        if not prof.detect(element):
            raise SchemaError(f"not a {prof.name} message: root element is {element.tag}")
        if self.trust is None:
            prof.validate(element)
            return Reading(profile=prof.name, message=prof.decode(element))
        from aswbridge.security import Verifier
        from aswbridge.security.binding import bind_message

        verification = self.verification
        if self.clock is not None and (verification is None or verification.at is None):
            from aswbridge.security import VerificationPolicy

            verification = attrs.evolve(verification or VerificationPolicy(), at=self.clock())
        verified = Verifier(verification).verify(element, trust=self.trust)
        element = verified.signed  # decode only what was signed
        prof.validate(element)
        message = prof.decode(element)
        signer = bind_message(verified, message, pins=self.pins, bridges=self.bridges)
        return Reading(
            profile=prof.name,
            message=_named_signer(message, signer),
            signer=signer,
            warnings=tuple(
                Problem(code="VERIFICATION_WARNING", path="", message=text, severity="warning")
                for text in verified.warnings
            ),
        )

    def translate(
        self, data: bytes, *, source: str | None, target: str | Callable[[Message], str]
    ) -> Translation:
        """Translate a message from profile ``source`` (None: detected) to ``target``.

        ``target`` is a profile name, or a function choosing it from the verified message
        (a relay routing by receiver; it may refuse the message by raising).

        Both the input and the output are validated (schema and business rules); with
        trust the input's signature is verified and its signer recorded in the output's
        envelope; with a signing key the output is signed.

        Raises:
            MessageError: the input is refused (a subclass says why; ``.problems`` lists
                every finding with its canonical path).
            SecurityError: the signature or its certificate is refused.
            ConfigurationError: an unknown profile or unusable options.
        """
        return self._translate(data, source=source, target=target, today=None)

    def _translate(
        self,
        data: bytes,
        *,
        source: str | None,
        target: str | Callable[[Message], str],
        today: date | None,
    ) -> Translation:
        if isinstance(target, str) and target != CANONICAL:
            profiles.get(target)  # an unknown target fails before any work
        reading = self.read(data, profile=source)
        if not isinstance(target, str):
            target = target(reading.message)
        # the original signer named is the verified one (or the one a trusted bridge
        # named); with nothing verified, nobody: what the sender wrote is dropped
        message = _named_signer(reading.message, reading.signer)
        if today is None and self.clock is not None:
            today = self.clock().date()
        found = rules.validate(message, today=today)
        return Translation(
            output=self.write(message, profile=target),
            message=message,
            source=reading.profile,
            target=target,
            signer=reading.signer,
            warnings=(*reading.warnings, *found),
        )

    def write(self, message: Message, *, profile: str) -> bytes:
        """Encode ``message`` in ``profile`` (schema-validated), signed with the
        pipeline's key when it has one."""
        signing = self.signing
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

    def problems_of(self, data: bytes, *, profile: str | None = None) -> list[Problem]:
        """Every problem of a message as a list (empty when it is valid), never raising
        for a refused message: parse, (signature,) schema, mapping and rule findings."""
        try:
            reading = self.read(data, profile=profile)
        except ConfigurationError:
            raise
        except AswBridgeError as exc:
            return list(exc.problems)
        today = self.clock().date() if self.clock is not None else None
        return [*reading.warnings, *rules.problems_of(reading.message, today=today)]


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

    :meth:`Pipeline.read` over a pipeline built from the arguments.

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
    pipeline = Pipeline(
        trust=trust, verification=verification, pins=pins, bridges=bridges, max_bytes=max_bytes
    )
    reading = pipeline.read(data, profile=profile)
    return reading.profile, reading.message


def _named_signer(message: Message, signer: SignerRef | None) -> Message:
    """``message`` naming ``signer`` as its original signer (never the sender's claim)."""
    if message.envelope.original_signer == signer:
        return message
    return attrs.evolve(message, envelope=attrs.evolve(message.envelope, original_signer=signer))


def write(message: Message, *, profile: str, signing: SigningKey | None = None) -> bytes:
    """Encode ``message`` in ``profile`` (schema-validated), signed when a key is given."""
    return Pipeline(signing=signing).write(message, profile=profile)


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
    """Translate a message from profile ``source`` to profile ``target``: the output bytes
    of :meth:`Pipeline.translate` over a pipeline built from the arguments.

    Both the input and the output are validated (schema and business rules); when
    ``trust`` is given the input's signature is verified and the original signer is
    recorded in the output's envelope (the verified signer, or the one a trusted bridge
    named; without ``trust`` none: an original signer the sender wrote is dropped);
    when ``signing`` is given the output is signed. ``today`` is the day the business
    rules judge dates against.

    Raises:
        MessageError: the input is refused (a subclass says why; ``.problems`` lists
            every finding with its canonical path).
        SecurityError: the signature or its certificate is refused.
        ConfigurationError: an unknown profile or unusable options.
    """
    pipeline = Pipeline(
        trust=trust,
        verification=verification,
        signing=signing,
        pins=pins,
        bridges=bridges,
        max_bytes=max_bytes,
    )
    return pipeline._translate(data, source=source, target=target, today=today).output


def problems_of(
    data: bytes, *, profile: str | None = None, today: date | None = None
) -> list[Problem]:
    """Every problem of a message as a list (empty when it is valid), never raising
    for a refused message: parse, schema, mapping and rule findings alike."""
    clock = None if today is None else (lambda: datetime.combine(today, datetime.min.time()))
    return Pipeline(clock=clock).problems_of(data, profile=profile)
