"""The relay's TOML configuration, validated with errors that name the bad key.

An example ``bridge.toml``::

    [bridge]
    country = "TH"                 # the local NSW (ISO 3166 alpha-2)
    store = "relay.db"             # SQLite file, relative to this file
    allow_unsigned = false         # only for tests without a trust configuration

    [nsw]
    url = "https://nsw.example/mailbox"   # or: mailbox = "/srv/nsw-box" (folders)

    [unipass]
    url = "https://unipass.example/eco"
    read_timeout = 30               # also connect_timeout, deadline (whole call)
    ca_bundle = "unipass-ca.pem"    # server CAs; default: the requests bundle
    client_cert = "client.pem"      # mutual TLS, optional
    client_key = "client.key"

    [retry]
    max_attempts = 10
    horizon = 86400

    [trust]
    anchors = ["partner-ca.pem"]
    sign_key = "bridge.key"         # or a key in a token: "pkcs11:token=...;object=..."
    sign_cert = "bridge.pem"

    [pkcs11]                        # only for a pkcs11: sign_key without these in the URI
    module = "/usr/lib/softhsm/libsofthsm2.so"
    pin_source = "file:/run/secrets/hsm-pin"

    [metrics]
    listen = "127.0.0.1:9464"      # /metrics, /healthz, /readyz (the [metrics] extra)

Every key is optional except ``bridge.country``, ``bridge.store`` and one of ``url`` /
``mailbox`` per side. Unknown keys are refused (a typo must not silently fall back to a
default).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from aswbridge.errors import ConfigurationError
from aswbridge.transport.retry import RetryPolicy

_COUNTRY = re.compile(r"^[A-Z]{2}$")


@attrs.frozen(kw_only=True)
class SideConfig:
    """How to reach one side: an HTTP(S) URL, or (NSW only) a mailbox folder; and the
    profile it speaks (``asw`` / ``unipass`` unless a registered profile is named)."""

    url: str | None = None
    mailbox: Path | None = None
    profile: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 60.0
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None


@attrs.frozen(kw_only=True)
class TrustConfig:
    """Trust anchors for incoming signatures, and our signing key and certificate."""

    anchors: tuple[Path, ...] = ()
    sign_key: Path | str | None = None  # a PEM file, or a pkcs11: URI (str)
    sign_cert: Path | None = None

    @property
    def configured(self) -> bool:
        """True when incoming signatures can be verified against configured anchors."""
        return bool(self.anchors)


@attrs.frozen(kw_only=True)
class Pkcs11Config:
    """The PKCS#11 module and PIN file of a ``pkcs11:`` signing key whose URI has none."""

    module: Path | None = None
    pin_source: str | None = None


@attrs.frozen(kw_only=True)
class RelayConfig:
    """The whole relay configuration."""

    country: str
    store: str
    nsw: SideConfig
    unipass: SideConfig
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    trust: TrustConfig = attrs.field(factory=TrustConfig)
    pkcs11: Pkcs11Config = attrs.field(factory=Pkcs11Config)
    allow_unsigned: bool = False
    poll_interval: float = 1.0
    batch: int = 50
    lease_seconds: float = 120.0
    workers: int = 4
    metrics_listen: str | None = None


# section -> key -> (type, kind): kind "path" resolves against the file's folder
_NUM = (int, float)
_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], str]]] = {
    "bridge": {
        "country": ((str,), "str"),
        "store": ((str,), "store"),
        "allow_unsigned": ((bool,), "bool"),
        "poll_interval": (_NUM, "positive"),
        "batch": ((int,), "positive"),
        "lease_seconds": (_NUM, "positive"),
        "workers": ((int,), "positive"),
    },
    "nsw": {
        "url": ((str,), "url"),
        "mailbox": ((str,), "path"),
        "profile": ((str,), "profile"),
        "connect_timeout": (_NUM, "positive"),
        "read_timeout": (_NUM, "positive"),
        "deadline": (_NUM, "positive"),
        "ca_bundle": ((str,), "path"),
        "client_cert": ((str,), "path"),
        "client_key": ((str,), "path"),
    },
    "retry": {
        "max_attempts": ((int,), "positive"),
        "initial": (_NUM, "positive"),
        "maximum": (_NUM, "positive"),
        "jitter": (_NUM, "not_negative"),
        "horizon": (_NUM, "positive"),
        "retry_after_cap": (_NUM, "not_negative"),
    },
    "metrics": {"listen": ((str,), "str")},
    "trust": {
        "anchors": ((list,), "paths"),
        "sign_key": ((str,), "key"),
        "sign_cert": ((str,), "path"),
    },
    "pkcs11": {
        "module": ((str,), "path"),
        "pin_source": ((str,), "pin_source"),
    },
}
_SCHEMA["unipass"] = {k: v for k, v in _SCHEMA["nsw"].items() if k != "mailbox"}

_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", list: "a list"}


def _is(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # a bool is an int to Python, not to a configuration
    return isinstance(value, types)


def _check(section: str, key: str, value: Any, base: Path) -> Any:
    types, kind = _SCHEMA[section][key]
    name = f"{section}.{key}"
    if not _is(value, types):
        expected = "a number" if types == _NUM else _TYPE_NAMES.get(_SCHEMA[section][key][0][0])
        raise ConfigurationError(f"{name}: expected {expected}, got {value!r}")
    if kind == "positive" and value <= 0:
        raise ConfigurationError(f"{name}: must be positive, got {value!r}")
    if kind == "not_negative" and value < 0:
        raise ConfigurationError(f"{name}: must not be negative, got {value!r}")
    if kind == "url" and not re.match(r"^https?://[^\s/]+", value):
        raise ConfigurationError(f"{name}: expected an http:// or https:// URL, got {value!r}")
    if kind == "profile":
        from aswbridge import profiles

        if value not in profiles.names():
            known = ", ".join(profiles.names())
            raise ConfigurationError(f"{name}: unknown profile {value!r} (known: {known})")
    if kind == "path":
        return base / value
    if kind == "key":
        return value if value[:7].lower() == "pkcs11:" else base / value
    if kind == "pin_source" and not re.match(r"^file:/|^/", value):
        raise ConfigurationError(f"{name}: expected file:/absolute/path, got {value!r}")
    if kind == "store":
        return value if "://" in value else str(base / value)
    if kind == "paths":
        if not all(isinstance(v, str) for v in value):
            raise ConfigurationError(f"{name}: expected a list of file names")
        return tuple(base / v for v in value)
    return value


def parse_config(data: Mapping[str, Any], *, base_dir: Path | None = None) -> RelayConfig:
    """Validate a configuration mapping (as read from TOML) into a :class:`RelayConfig`.

    Relative paths are resolved against ``base_dir`` (the configuration file's folder).

    Raises:
        ConfigurationError: naming the bad key (``nsw.timeout: expected a number ...``).
    """
    base = base_dir or Path.cwd()
    values: dict[str, dict[str, Any]] = {}
    for section, content in data.items():
        if section not in _SCHEMA:
            raise ConfigurationError(
                f"{section}: unknown section (expected one of {', '.join(sorted(_SCHEMA))})"
            )
        if not isinstance(content, Mapping):
            raise ConfigurationError(f"{section}: expected a table")
        values[section] = {}
        for key, value in content.items():
            if key not in _SCHEMA[section]:
                raise ConfigurationError(f"{section}.{key}: unknown key")
            values[section][key] = _check(section, key, value, base)
    bridge = values.get("bridge", {})
    for key in ("country", "store"):
        if key not in bridge:
            raise ConfigurationError(f"bridge.{key}: required")
    country = bridge["country"].upper()
    if not _COUNTRY.match(country):
        raise ConfigurationError(
            f"bridge.country: expected an ISO 3166 alpha-2 code, got {bridge['country']!r}"
        )
    sides = {}
    for name in ("nsw", "unipass"):
        side = values.get(name, {})
        if ("url" in side) == ("mailbox" in side):
            what = "url or mailbox" if name == "nsw" else "url"
            raise ConfigurationError(f"{name}.url: exactly one {what} is required")
        if "client_key" in side and "client_cert" not in side:
            raise ConfigurationError(f"{name}.client_key: given without {name}.client_cert")
        sides[name] = SideConfig(**side)
    trust = TrustConfig(**values.get("trust", {}))
    if (trust.sign_key is None) != (trust.sign_cert is None):
        raise ConfigurationError("trust.sign_cert: sign_key and sign_cert go together")
    return RelayConfig(
        country=country,
        store=bridge["store"],
        nsw=sides["nsw"],
        unipass=sides["unipass"],
        retry=RetryPolicy(**values.get("retry", {})),
        trust=trust,
        pkcs11=Pkcs11Config(**values.get("pkcs11", {})),
        metrics_listen=values.get("metrics", {}).get("listen"),
        **{k: v for k, v in bridge.items() if k not in ("country", "store")},
    )


def load_config(path: str | Path) -> RelayConfig:
    """Read and validate a TOML configuration file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, base_dir=path.resolve().parent)
