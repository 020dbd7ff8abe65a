"""Signing keys that stay in a PKCS#11 token: an HSM, a smart card, SoftHSM2.

A key is named by an RFC 7512 URI::

    pkcs11:token=KR-CUSTOMS;object=authority?module-path=/usr/lib/vendor/p11.so&pin-source=file:/run/secrets/pin

:func:`open_key` logs in once and returns a private key object that the signer uses
like a key read from a PEM file; every signature is made by the token, the key never
leaves it (it may be, and should be, sensitive and not extractable). RSA keys sign with
``CKM_RSA_PKCS`` over the SHA-256 DigestInfo computed here; EC keys with ``CKM_ECDSA``
over the SHA-256 (P-256) or SHA-384 (P-384) digest computed here, the token's raw
``r || s`` being re-encoded as the signer expects.

The module and the PIN come from the URI (``module-path``; ``pin-value`` or
``pin-source``), else from the caller (configuration), else from the environment
(:data:`ENV_MODULE`, :data:`ENV_PIN`). The PIN is never logged, shown in an error or a
``repr``.

Each key holds one logged-in session. Calls into a module are serialised by one lock per
module, as the binding starts modules without operating-system locking (so a module may
not be entered by two threads at once); worker threads share a key safely. When the
token goes away, signing raises :class:`KeyUnavailable` (retryable); the next signature
(or :meth:`TokenKey.healthy`) restarts the module, opens a session and logs in again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote_to_bytes

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from aswbridge.errors import (
    ConfigurationError,
    KeyNotFound,
    KeyUnavailable,
    ModuleNotLoaded,
    PinRefused,
    Pkcs11Error,
    TokenNotFound,
    UriInvalid,
)

__all__ = [
    "ENV_MODULE",
    "ENV_PIN",
    "KeyNotFound",
    "KeyUnavailable",
    "ModuleNotLoaded",
    "PinRefused",
    "Pkcs11Error",
    "Pkcs11Uri",
    "TokenEcKey",
    "TokenKey",
    "TokenNotFound",
    "TokenRsaKey",
    "UriInvalid",
    "is_pkcs11_uri",
    "open_key",
    "parse_uri",
]

#: The PKCS#11 module (shared library) when the URI names none.
ENV_MODULE = "ASWBRIDGE_PKCS11_MODULE"
#: The user PIN when neither the URI nor the caller gives one.
ENV_PIN = "ASWBRIDGE_PKCS11_PIN"

_PATH_ATTRIBUTES = ("token", "object", "id", "serial", "manufacturer", "model", "slot-id", "type")
_QUERY_ATTRIBUTES = ("module-path", "pin-value", "pin-source")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@attrs.frozen(kw_only=True)
class Pkcs11Uri:
    """An RFC 7512 ``pkcs11:`` URI naming a private key. ``str()`` hides the PIN."""

    token: str | None = None
    object: str | None = None
    id: bytes | None = None
    serial: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    slot_id: int | None = None
    module_path: str | None = None
    pin_value: str | None = attrs.field(default=None, repr=False)
    pin_source: str | None = None
    text: str = attrs.field(default="", repr=False, eq=False)

    def __str__(self) -> str:
        """The URI as given, with a ``pin-value`` replaced by ``***``."""
        path, _, query = self.text.partition("?")
        if not query:
            return path
        kept = ["pin-value=***" if p.startswith("pin-value=") else p for p in query.split("&")]
        return f"{path}?{'&'.join(kept)}"


def is_pkcs11_uri(text: str) -> bool:
    """True when ``text`` is a ``pkcs11:`` URI (rather than a file name)."""
    return text[:7].lower() == "pkcs11:"


def _decode(name: str, value: str) -> bytes:
    if _BAD_PERCENT.search(value):
        raise UriInvalid(f"{name}: bad percent-encoding")
    return unquote_to_bytes(value)


def parse_uri(text: str) -> Pkcs11Uri:
    """Read an RFC 7512 URI naming a private key.

    Path attributes: ``token``, ``object``, ``id``, ``serial``, ``manufacturer``,
    ``model``, ``slot-id``, ``type`` (``private`` if given); query attributes:
    ``module-path``, ``pin-value``, ``pin-source``. Values are percent-decoded.

    Raises:
        UriInvalid: not a ``pkcs11:`` URI, an unknown or repeated attribute, no
            ``object`` nor ``id``, a ``type`` other than ``private``.
    """
    if not is_pkcs11_uri(text):
        raise UriInvalid("a PKCS#11 key URI starts with pkcs11:")
    path, _, query = text[7:].partition("?")
    values: dict[str, bytes] = {}
    for part, known, sep in ((path, _PATH_ATTRIBUTES, ";"), (query, _QUERY_ATTRIBUTES, "&")):
        for item in filter(None, part.split(sep)):
            name, eq, value = item.partition("=")
            if not eq or name not in known:
                allowed = ", ".join(known)
                raise UriInvalid(f"{name or item!r}: unknown PKCS#11 URI attribute ({allowed})")
            if name in values:
                raise UriInvalid(f"{name}: given twice in the PKCS#11 URI")
            values[name] = _decode(name, value)
    if "type" in values and values.pop("type") != b"private":
        raise UriInvalid("type: only private keys sign (type=private)")
    if "object" not in values and "id" not in values:
        raise UriInvalid("the PKCS#11 URI names no key: give object= (label) or id=")
    if "pin-value" in values and "pin-source" in values:
        raise UriInvalid("pin-value and pin-source: give one")
    text_of = {k: v.decode("utf-8", "replace") for k, v in values.items() if k != "id"}
    slot = text_of.pop("slot-id", None)
    if slot is not None and not slot.isdigit():
        raise UriInvalid(f"slot-id: expected a number, got {slot!r}")
    return Pkcs11Uri(
        token=text_of.get("token"),
        object=text_of.get("object"),
        id=values.get("id"),
        serial=text_of.get("serial"),
        manufacturer=text_of.get("manufacturer"),
        model=text_of.get("model"),
        slot_id=int(slot) if slot is not None else None,
        module_path=text_of.get("module-path"),
        pin_value=text_of.get("pin-value"),
        pin_source=text_of.get("pin-source"),
        text=text,
    )


def _read_pin_source(source: str) -> str:
    path = source[5:] if source.startswith("file:") else source
    if path.startswith("//"):  # file:///path
        path = path[2:]
    if not path.startswith("/"):
        raise UriInvalid(f"pin-source: expected file:/absolute/path, got {source!r}")
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise PinRefused(f"pin-source: cannot read {path}: {reason}") from None


# --- the module -------------------------------------------------------------------------


class _Module:
    """One loaded PKCS#11 module, shared by every key of the process that uses it."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        self.lock = threading.RLock()
        self.generation = 0  # bumped at each restart: older sessions are gone
        # slot id -> SHA-256 of the PIN this process is logged in with: a token's login
        # is shared by every session of the process, so a second key must bring the same PIN
        self.logins: dict[int, bytes] = {}

    def restart(self) -> None:
        """C_Finalize then C_Initialize: the module sees removed and new tokens again."""
        self.logins.clear()
        self.lib.reinitialize()
        self.generation += 1


_MODULES: dict[str, _Module] = {}
_MODULES_LOCK = threading.Lock()


def _load_module(path: str) -> _Module:
    try:
        import pkcs11
    except ImportError:  # pragma: no cover - depends on the installation
        raise ModuleNotLoaded(
            "PKCS#11 keys need the python-pkcs11 package: pip install 'aswbridge[pkcs11]'"
        ) from None
    with _MODULES_LOCK:
        module = _MODULES.get(path)
        if module is None:
            if not Path(path).is_file():
                raise ModuleNotLoaded(f"PKCS#11 module {path}: no such file")
            try:
                module = _MODULES[path] = _Module(pkcs11.lib(path))
            except pkcs11.PKCS11Error as exc:
                raise ModuleNotLoaded(f"PKCS#11 module {path} cannot be loaded: {exc}") from None
        return module


# --- the key ----------------------------------------------------------------------------


_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _digest(data: bytes | bytearray | memoryview, algorithm: Any) -> tuple[bytes, str]:
    """The digest to sign (``data`` hashed, or as given when ``Prehashed``) and its name."""
    prehashed = isinstance(algorithm, utils.Prehashed)
    chosen = algorithm._algorithm if prehashed else algorithm
    name = getattr(chosen, "name", "")
    if name not in _HASHES:
        raise ConfigurationError(f"a token key signs with SHA-2, not {name or chosen!r}")
    if prehashed:
        return bytes(data), name
    h = hashes.Hash(_HASHES[name]())
    h.update(data)
    return h.finalize(), name


# DER DigestInfo prefixes (RFC 8017 §9.2 note 1): CKM_RSA_PKCS signs DigestInfo || digest
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


class TokenKey:
    """A private key in a token, with the one logged-in session it signs through.

    Made by :func:`open_key`. :meth:`sign_digest` signs; :meth:`healthy` says whether the
    token can sign now (and tries to reconnect when it could not).
    """

    def __init__(
        self,
        *,
        module: _Module,
        uri: Pkcs11Uri,
        pin: str,
        cert: x509.Certificate,
        retry_interval: float = 1.0,
    ) -> None:
        self._module = module
        self.uri = uri
        self.__pin = pin
        self.cert = cert
        self.retry_interval = retry_interval
        self._session: Any = None
        self._key: Any = None
        self._generation = -1
        self._failed_at = float("-inf")
        self._owns_login = False
        self._slot = -1
        self.is_rsa = isinstance(cert.public_key(), rsa.RSAPublicKey)

    def __repr__(self) -> str:
        return f"TokenKey({self.uri})"

    # opening ----------------------------------------------------------------------------

    def _find_token(self) -> Any:
        uri = self.uri
        criteria: dict[str, Any] = {}
        if uri.token is not None:
            criteria["token_label"] = uri.token
        if uri.serial is not None:
            criteria["token_serial"] = uri.serial.encode()
        found = [
            t
            for t in self._module.lib.get_tokens(**criteria)
            if (uri.manufacturer is None or t.manufacturer_id == uri.manufacturer)
            and (uri.model is None or t.model == uri.model)
            and (uri.slot_id is None or t.slot.slot_id == uri.slot_id)
        ]
        if len(found) != 1:
            what = "no token" if not found else f"{len(found)} tokens"
            raise TokenNotFound(f"{what} match {uri}")
        return found[0]

    def _open(self) -> None:
        """Find the token, log in, find the key, prove it matches the certificate."""
        import pkcs11
        from pkcs11 import exceptions as p11

        module = self._module
        pin = hashlib.sha256(self.__pin.encode()).digest()
        try:
            token = self._find_token()
        except (TokenNotFound, p11.PKCS11Error):  # plugged in, or back, since the start
            module.restart()
            token = self._find_token()
        slot = token.slot.slot_id
        known = module.logins.get(slot)
        if known is not None:  # another key of this process logged in to this token
            if not hmac.compare_digest(known, pin):
                raise PinRefused(f"the token refused the PIN for {self.uri} (PinIncorrect)")
            session, self._owns_login = token.open(), False
        else:
            try:
                session, self._owns_login = token.open(user_pin=self.__pin), True
            except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
                raise PinRefused(
                    f"the token refused the PIN for {self.uri} ({type(exc).__name__})"
                ) from None
            except (p11.PinLocked, p11.PinExpired) as exc:
                state = "locked" if isinstance(exc, p11.PinLocked) else "expired"
                raise PinRefused(f"the PIN of the token of {self.uri} is {state}") from None
            module.logins[slot] = pin
        self._slot = slot
        try:
            key = session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=self.uri.object, id=self.uri.id
            )
        except (p11.NoSuchKey, p11.MultipleObjectsReturned) as exc:
            self._session, self._generation = session, module.generation
            self._close()
            what = "no private key" if isinstance(exc, p11.NoSuchKey) else "several keys"
            raise KeyNotFound(f"{what} in the token match {self.uri}") from None
        self._session, self._key, self._generation = session, key, module.generation
        self._check()

    def _check(self) -> None:
        """Sign a probe and verify it with the certificate: the right key, usable."""
        probe = hashlib.sha256(b"aswbridge key check").digest()
        public = self.cert.public_key()
        try:
            if isinstance(public, rsa.RSAPublicKey):
                public.verify(
                    self._raw(probe, "sha256"), probe, PKCS1v15(), utils.Prehashed(hashes.SHA256())
                )
            else:
                assert isinstance(public, ec.EllipticCurvePublicKey)
                public.verify(
                    _der(self._raw(probe, "ecdsa")),
                    probe,
                    ec.ECDSA(utils.Prehashed(hashes.SHA256())),
                )
        except InvalidSignature:
            self._close()
            raise KeyNotFound(
                f"the key {self.uri} does not match the certificate"
                f" {self.cert.subject.rfc4514_string()}"
            ) from None
        except _p11_error() as exc:
            self._close()
            raise KeyNotFound(f"the key {self.uri} cannot sign: {type(exc).__name__}") from None

    # signing ----------------------------------------------------------------------------

    def _raw(self, digest: bytes, kind: str) -> bytes:
        """One token signature over a digest (the caller holds the module lock)."""
        from pkcs11 import Mechanism

        if kind == "ecdsa":
            return bytes(self._key.sign(digest, mechanism=Mechanism.ECDSA))
        return bytes(self._key.sign(_DIGEST_INFO[kind] + digest, mechanism=Mechanism.RSA_PKCS))

    def sign_digest(self, digest: bytes, kind: str) -> bytes:
        """Sign a digest in the token: ``kind`` is ``ecdsa`` (raw ``r || s``) or the
        hash name of the RSA DigestInfo (``sha256``).

        A failed call is tried once more on a new session (logged in again); when that
        fails too, the next attempts wait ``retry_interval`` and restart the module.

        Raises:
            KeyUnavailable: the token cannot sign now (retry later).
        """
        with self._module.lock:
            if self._session is None or self._generation != self._module.generation:
                self._session = self._key = None  # a restarted module closed them
                if time.monotonic() - self._failed_at < self.retry_interval:
                    raise KeyUnavailable(f"the token of {self.uri} is unavailable (retrying)")
                self._reopen()
            try:
                return self._raw(digest, kind)
            except _p11_error():
                self._close()
            self._reopen()
            try:
                return self._raw(digest, kind)
            except _p11_error() as exc:
                self._close()
                self._failed_at = time.monotonic()
                raise KeyUnavailable(
                    f"the token of {self.uri} cannot sign: {type(exc).__name__}"
                ) from None

    def _reopen(self) -> None:
        try:
            self._open()
        except (Pkcs11Error, _p11_error()) as exc:
            self._failed_at = time.monotonic()
            reason = exc.message if isinstance(exc, Pkcs11Error) else type(exc).__name__
            raise KeyUnavailable(f"the token of {self.uri} is unavailable: {reason}") from None

    def healthy(self) -> bool:
        """True when the token signs now (tries to reconnect first if it was away)."""
        try:
            self.sign_digest(bytes(32), "sha256" if self.is_rsa else "ecdsa")
        except KeyUnavailable:
            return False
        return True

    def _close(self) -> None:
        if self._session is not None and self._generation == self._module.generation:
            _close_quietly(self._session)  # logs the process out of the token if we logged in
            if self._owns_login:
                self._module.logins.pop(self._slot, None)
        self._session = self._key = None

    def close(self) -> None:
        """Close the session (a later signature opens a new one)."""
        with self._module.lock:
            self._close()


def _p11_error() -> type[Exception]:
    from pkcs11 import PKCS11Error

    return PKCS11Error


def _close_quietly(session: Any) -> None:
    try:
        session.close()
    except _p11_error():
        pass


def _der(raw: bytes) -> bytes:
    """The token's raw ``r || s`` as the DER sequence ``cryptography`` uses."""
    half = len(raw) // 2
    return utils.encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:]))


def _no_export(*_: object, **__: object) -> NoReturn:
    raise ConfigurationError("a key in a PKCS#11 token cannot be exported")


class _InToken:
    """What both key kinds share: the token, the public half from the certificate."""

    _public: Any

    def __init__(self, token: TokenKey, public: Any) -> None:
        self.token = token
        self._public = public

    @property
    def key_size(self) -> int:
        return int(self._public.key_size)

    def healthy(self) -> bool:
        """True when the token signs now."""
        return self.token.healthy()

    private_numbers = private_bytes = _no_export

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Any:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.token.uri})"


class TokenRsaKey(_InToken, rsa.RSAPrivateKey):
    """An RSA private key in a token, as ``cryptography`` (and so signxml) sees one:
    PKCS#1 v1.5 signatures only; no decryption, no export."""

    def sign(self, data: bytes | bytearray | memoryview, padding: Any, algorithm: Any) -> bytes:
        if not isinstance(padding, PKCS1v15):
            raise ConfigurationError("a token RSA key signs with PKCS#1 v1.5 padding only")
        digest, name = _digest(data, algorithm)
        return self.token.sign_digest(digest, name)

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public  # type: ignore[no-any-return]

    decrypt = _no_export


class TokenEcKey(_InToken, ec.EllipticCurvePrivateKey):
    """An EC private key in a token, as ``cryptography`` sees one: ECDSA signatures (the
    digest computed here, the token's raw ``r || s`` returned DER-encoded); no key
    exchange, no export."""

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise ConfigurationError("a token EC key signs with ECDSA only")
        digest, _ = _digest(data, signature_algorithm.algorithm)
        return _der(self.token.sign_digest(digest, "ecdsa"))

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve  # type: ignore[no-any-return]

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public  # type: ignore[no-any-return]

    exchange = _no_export


def open_key(
    uri: str,
    *,
    cert: x509.Certificate,
    module: str | None = None,
    pin: str | None = None,
    pin_source: str | None = None,
    retry_interval: float = 1.0,
    environ: Callable[[str], str | None] = os.environ.get,
) -> TokenRsaKey | TokenEcKey:
    """Log in to the token a ``pkcs11:`` URI names and return its key, checked against
    ``cert`` with a probe signature.

    Args:
        uri: the RFC 7512 URI of the private key.
        cert: the key's certificate (its public key is the key's public half).
        module: the PKCS#11 module when the URI has no ``module-path``
            (default: ``$ASWBRIDGE_PKCS11_MODULE``).
        pin: the user PIN when the URI has no ``pin-value`` / ``pin-source``.
        pin_source: or ``file:/path`` of a file holding it (default:
            ``$ASWBRIDGE_PKCS11_PIN``).
        retry_interval: seconds between reconnection attempts once the token went away.

    Raises:
        UriInvalid, ModuleNotLoaded, TokenNotFound, PinRefused, KeyNotFound: the key
            cannot be used (codes ``PKCS11_*``; no message ever holds the PIN).
    """
    parsed = parse_uri(uri)
    module_path = parsed.module_path or module or environ(ENV_MODULE)
    if not module_path:
        raise ModuleNotLoaded(
            f"{parsed}: no PKCS#11 module: give module-path= in the URI,"
            f" configure one, or set {ENV_MODULE}"
        )
    source = parsed.pin_source or (None if parsed.pin_value or pin else pin_source)
    secret = (
        (_read_pin_source(source) if source else None)
        or parsed.pin_value
        or pin
        or environ(ENV_PIN)
    )
    if not secret:
        raise PinRefused(
            f"{parsed}: no PIN: give pin-source= (or pin-value=) in the URI,"
            f" configure one, or set {ENV_PIN}"
        )
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise KeyNotFound(f"{parsed}: the certificate's key is neither RSA nor EC")
    loaded = _load_module(module_path)
    token = TokenKey(
        module=loaded, uri=parsed, pin=secret, cert=cert, retry_interval=retry_interval
    )
    with loaded.lock:
        try:
            token._open()
        except _p11_error() as exc:  # e.g. the module fails to list its tokens
            raise TokenNotFound(
                f"the token of {parsed} cannot be used: {type(exc).__name__}"
            ) from None
    if isinstance(public, rsa.RSAPublicKey):
        return TokenRsaKey(token, public)
    return TokenEcKey(token, public)
