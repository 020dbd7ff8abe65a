"""The relay's TOML configuration, validated with errors that name the bad key.

An example ``bridge.toml``::

    [bridge]
    country = "TH"                 # the local NSW (ISO 3166 alpha-2)
    store = "relay.db"             # SQLite file, relative to this file
    allow_unsigned = false         # only for tests without a trust configuration
    pid_file = "relay.pid"         # the running relay's pid (partners --reload signals it)

    [nsw]
    url = "https://nsw.example/mailbox"   # or: mailbox = "/srv/nsw-box" (folders)

    [unipass]
    url = "https://unipass.example/eco"
    read_timeout = 30               # also connect_timeout, deadline (whole call)
    ca_bundle = "unipass-ca.pem"    # server CAs; default: the requests bundle
    client_cert = "client.pem"      # mutual TLS, optional
    client_key = "client.key"
    token_env = "UNIPASS_TOKEN"     # or auth_header_file: sent as the Authorization header

    [retry]
    max_attempts = 10
    horizon = 86400

    [trust]
    anchors = ["partners/"]        # country folders (partners/KR/, ...): their anchors
                                   # are trusted for that country only
    bridges = ["3f1c...e2"]         # SHA-256 fingerprints of trusted bridges
    revocation = "hard-fail"
    sign_key = "bridge.key"         # or a key in a token: "pkcs11:token=...;object=..."
    sign_cert = "bridge.pem"
    sign_key_password_file = "bridge.key.pass"

    [trust.KR]                     # anchors declared for one country
    anchors = ["kr-root.pem"]
    pins = { KCS = "9a0b...77" }    # authority id -> its only certificate

    [pkcs11]                        # only for a pkcs11: sign_key without these in the URI
    module = "/usr/lib/softhsm/libsofthsm2.so"
    pin_source = "file:/run/secrets/hsm-pin"

    [metrics]
    listen = "127.0.0.1:9464"      # /metrics, /healthz, /readyz (the [metrics] extra)

A bridge serving many partners names its own country's system and each partner
instead of ``[nsw]`` and ``[unipass]`` (the two-party form is the mesh of the local NSW and
one partner, UNI-PASS for Korea)::

    [bridge]
    country = "KR"
    store = "bridge.db"

    [local]                        # this country's own system
    profile = "unipass"            # any registered profile (default asw)
    url = "https://unipass.example/eco/ExchangeService"   # or mailbox = "/srv/box"

    [[partners]]
    country = "ID"
    profile = "asw"
    url = "https://insw.example/mailbox"   # or mailbox; and the [nsw] keys (TLS, timeouts)
    pull = true                    # false: only deliver to it (its bridge carries the
                                   # other direction)
    enabled = true                 # false: hold its messages queued, pull nothing

A partner's signers are trusted for its country through ``[trust.CC]``.

Every key is optional except ``bridge.country``, ``bridge.store`` and one of ``url`` /
``mailbox`` per side. Unknown keys are refused (a typo must not silently fall back to a
default). docs/security.md lists every ``[trust]`` key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from aswbridge._settings import POLL_INTERVAL, Range, validate_country, validate_url
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
    token_env: str | None = None
    auth_header_file: Path | None = None


@attrs.frozen(kw_only=True)
class PartnerConfig:
    """``[[partners]]``: one partner country's system.

    Attributes:
        country: the partner's country (ISO 3166 alpha-2), the only one it speaks for.
        side: how to reach it and the profile it speaks.
        pull: whether this bridge pulls from it (False: only delivers to it).
        enabled: False holds its deliveries queued (pending) and pulls nothing.
    """

    country: str
    side: SideConfig
    pull: bool = True
    enabled: bool = True


@attrs.frozen(kw_only=True)
class Peer:
    """One side of the bridge as configured, in either form (see :meth:`RelayConfig.peers`).

    Attributes:
        name: the side's name in the store and the logs (``nsw`` and ``unipass`` in the
            two-party form; ``local`` and the partners' country codes in a mesh).
        country: the country it speaks for.
        side: how to reach it.
        profile: the profile it speaks.
        local: True for this country's own system.
        pull, enabled: as in :class:`PartnerConfig` (always True for the local side).
    """

    name: str
    country: str
    side: SideConfig
    profile: str
    local: bool = False
    pull: bool = True
    enabled: bool = True


@attrs.frozen(kw_only=True)
class CountryTrust:
    """``[trust.CC]``: what is trusted for one partner country.

    Attributes:
        anchors: anchors trusted for this country (a signer under them holds the roles
            its certificate's OIDs mark).
        authority, exporter: role anchors: every signer under them holds that role.
        authority_oids, exporter_oids: the OIDs (extended key usage or certificate
            policy) marking that role in this country's certificates, instead of
            aswbridge's.
        pins: issuing-authority id -> the only certificate (SHA-256 fingerprint) allowed
            to sign for it.
    """

    anchors: tuple[Path, ...] = ()
    authority: tuple[Path, ...] = ()
    exporter: tuple[Path, ...] = ()
    authority_oids: tuple[str, ...] = ()
    exporter_oids: tuple[str, ...] = ()
    pins: Mapping[str, str] = attrs.field(factory=dict)

    def anchor_specs(self, country: str) -> list[str]:
        """The anchors as :meth:`aswbridge.security.TrustStore.from_paths` reads them."""
        return [
            *(f"{country}={p}" for p in self.anchors),
            *(f"{country}:authority={p}" for p in self.authority),
            *(f"{country}:exporter={p}" for p in self.exporter),
        ]

    def oids(self) -> dict[str, tuple[str, ...]]:
        """Role -> OIDs configured for this country."""
        return {
            role: oids
            for role, oids in (("authority", self.authority_oids), ("exporter", self.exporter_oids))
            if oids
        }


@attrs.frozen(kw_only=True)
class TrustConfig:
    """``[trust]``: anchors and policy for incoming signatures; our signing key.

    Attributes:
        anchors: anchor files or folders (country folders scope their anchors; a file's
            anchor is trusted for its subject's country), or ``CC=path`` /
            ``CC:ROLE=path`` to declare the country (and role) as ``--trust`` does.
        crls: CRL files.
        bridges: SHA-256 fingerprints of bridges whose signature stands for the original
            signer they name.
        revocation: ``soft-fail`` or ``hard-fail``.
        require_exporter: refuse certificates whose exporter's declaration is unsigned.
        curves: allowed elliptic curves (default P-256 and P-384).
        countries: the ``[trust.CC]`` sections.
        sign_key, sign_cert, sign_chain: our signing key, certificate and intermediates.
        sign_key_password_file, sign_key_password_env: where the password of an
            encrypted signing key is read from (a file's first line, or a variable).
    """

    anchors: tuple[Path | str, ...] = ()
    crls: tuple[Path, ...] = ()
    bridges: tuple[str, ...] = ()
    revocation: str = "soft-fail"
    require_exporter: bool = False
    curves: tuple[str, ...] = ()
    countries: Mapping[str, CountryTrust] = attrs.field(factory=dict)
    sign_key: Path | str | None = None  # a PEM file, or a pkcs11: URI (str)
    sign_cert: Path | None = None
    sign_chain: Path | None = None
    sign_key_password_file: Path | None = None
    sign_key_password_env: str | None = None

    @property
    def configured(self) -> bool:
        """True when incoming signatures can be verified against configured anchors."""
        return bool(self.anchors) or any(
            c.anchors or c.authority or c.exporter for c in self.countries.values()
        )

    @property
    def pins(self) -> dict[str, str]:
        """Authority id -> pinned certificate, over every country."""
        return {k: v for c in self.countries.values() for k, v in c.pins.items()}


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
    nsw: SideConfig | None = None
    unipass: SideConfig | None = None
    local: SideConfig | None = None
    partners: tuple[PartnerConfig, ...] = ()
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    trust: TrustConfig = attrs.field(factory=TrustConfig)
    pkcs11: Pkcs11Config = attrs.field(factory=Pkcs11Config)
    allow_unsigned: bool = False
    poll_interval: float = 1.0
    batch: int = 50
    lease_seconds: float = 120.0
    workers: int = 4
    metrics_listen: str | None = None
    pid_file: Path | None = None

    def peers(self) -> tuple[Peer, ...]:
        """The local side and the partners, whichever form the file used.

        Raises:
            ConfigurationError: neither form is complete.
        """
        if self.local is not None:
            local = Peer(
                name="local",
                country=self.country,
                side=self.local,
                profile=self.local.profile or "asw",
                local=True,
            )
            return (
                local,
                *(
                    Peer(
                        name=p.country,
                        country=p.country,
                        side=p.side,
                        profile=p.side.profile or "asw",
                        pull=p.pull,
                        enabled=p.enabled,
                    )
                    for p in self.partners
                ),
            )
        if self.nsw is None or self.unipass is None:
            raise ConfigurationError("[local] and [[partners]], or [nsw] and [unipass]: required")
        return (
            Peer(
                name="nsw",
                country=self.country,
                side=self.nsw,
                profile=self.nsw.profile or "asw",
                local=True,
            ),
            Peer(
                name="unipass",
                country="KR",
                side=self.unipass,
                profile=self.unipass.profile or "unipass",
            ),
        )


# section -> key -> (type, kind): kind "path" resolves against the file's folder
_NUM = (int, float)
_SECONDS = Range(0, 86_400, low_open=True)
# kind: a Range for a number (retry's numbers are checked by RetryPolicy itself)
_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], str | Range]]] = {
    "bridge": {
        "country": ((str,), "str"),
        "store": ((str,), "store"),
        "allow_unsigned": ((bool,), "bool"),
        "poll_interval": (_NUM, POLL_INTERVAL),
        "batch": ((int,), Range(1, 100_000, integer=True)),
        "lease_seconds": (_NUM, Range(0, 86_400, low_open=True)),
        "workers": ((int,), Range(1, 1_024, integer=True)),
        "pid_file": ((str,), "path"),
    },
    "nsw": {
        "url": ((str,), "url"),
        "mailbox": ((str,), "path"),
        "profile": ((str,), "profile"),
        "connect_timeout": (_NUM, _SECONDS),
        "read_timeout": (_NUM, _SECONDS),
        "deadline": (_NUM, _SECONDS),
        "ca_bundle": ((str,), "path"),
        "client_cert": ((str,), "path"),
        "client_key": ((str,), "path"),
        "token_env": ((str,), "env"),
        "auth_header_file": ((str,), "path"),
    },
    "retry": {
        "max_attempts": ((int,), "retry"),
        "initial": (_NUM, "retry"),
        "maximum": (_NUM, "retry"),
        "jitter": (_NUM, "retry"),
        "horizon": (_NUM, "retry"),
        "retry_after_cap": (_NUM, "retry"),
    },
    "metrics": {"listen": ((str,), "str")},
    "trust": {
        "anchors": ((list,), "anchors"),
        "crls": ((list,), "paths"),
        "bridges": ((list,), "fingerprints"),
        "revocation": ((str,), "revocation"),
        "require_exporter": ((bool,), "bool"),
        "curves": ((list,), "curves"),
        "sign_key": ((str,), "key"),
        "sign_cert": ((str,), "path"),
        "sign_chain": ((str,), "path"),
        "sign_key_password_file": ((str,), "path"),
        "sign_key_password_env": ((str,), "str"),
    },
    "trust.CC": {
        "anchors": ((list,), "paths"),
        "authority": ((list,), "paths"),
        "exporter": ((list,), "paths"),
        "authority_oids": ((list,), "oids"),
        "exporter_oids": ((list,), "oids"),
        "pins": ((dict,), "pins"),
    },
    "pkcs11": {
        "module": ((str,), "path"),
        "pin_source": ((str,), "pin_source"),
    },
}
_ANCHOR_SPEC = re.compile(r"^([A-Za-z]{2}(?::[a-z]+)?)=(.+)$", re.DOTALL)
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_SCHEMA["unipass"] = {k: v for k, v in _SCHEMA["nsw"].items() if k != "mailbox"}
_SCHEMA["local"] = dict(_SCHEMA["nsw"])
_SCHEMA["partners"] = {
    **_SCHEMA["nsw"],
    "country": ((str,), "country"),
    "pull": ((bool,), "bool"),
    "enabled": ((bool,), "bool"),
}
_SECTIONS = frozenset(_SCHEMA) - {"trust.CC"}

_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    list: "a list",
    dict: "a table",
}


def _is(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # a bool is an int to Python, not to a configuration
    return isinstance(value, types)


def _anchor(value: str, base: Path) -> Path | str:
    match = _ANCHOR_SPEC.match(value)
    return f"{match[1]}={base / match[2]}" if match else base / value


def _fingerprint(name: str, value: object) -> str:
    text = value.replace(":", "").strip().lower() if isinstance(value, str) else ""
    if not _FINGERPRINT.match(text):
        raise ConfigurationError(
            f"{name}: expected a SHA-256 fingerprint (64 hex digits, colons allowed; "
            f"aswbridge pki fingerprint CERT prints it), got {value!r}"
        )
    return text


def _strings(name: str, value: list[Any], what: str) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{name}: expected a list of {what}")
    return tuple(value)


def _check_trust(kind: str, name: str, value: Any) -> Any:
    """The ``[trust]`` kinds: fingerprints, pins, OIDs, curves, revocation."""
    if kind == "fingerprints":
        return tuple(_fingerprint(f"{name}[{i}]", v) for i, v in enumerate(value))
    if kind == "pins":
        return {str(k): _fingerprint(f"{name}.{k}", v) for k, v in value.items()}
    if kind == "oids":
        bad = [v for v in _strings(name, value, "OIDs") if not _OID.match(v)]
        if bad or not value:
            raise ConfigurationError(f"{name}: expected dotted OIDs, got {bad or value!r}")
        return tuple(value)
    if kind == "curves":
        from aswbridge.security.policy import CURVE_NAMES

        if not value or not all(v in CURVE_NAMES for v in _strings(name, value, "curves")):
            raise ConfigurationError(
                f"{name}: expected curves among {', '.join(CURVE_NAMES)}, got {value!r}"
            )
        return tuple(value)
    if value not in ("soft-fail", "hard-fail"):
        raise ConfigurationError(f"{name}: expected soft-fail or hard-fail, got {value!r}")
    return value


def _check(section: str, key: str, value: Any, base: Path, *, label: str = "") -> Any:
    types, kind = _SCHEMA[section][key]
    name = f"{label or section}.{key}"
    if not _is(value, types):
        expected = "a number" if types == _NUM else _TYPE_NAMES.get(_SCHEMA[section][key][0][0])
        raise ConfigurationError(f"{name}: expected {expected}, got {value!r}")
    if isinstance(kind, Range):
        return kind.validate(name, value)
    if kind == "url":
        return validate_url(name, value)
    if kind == "env" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ConfigurationError(f"{name}: expected an environment variable's name, got {value!r}")
    if kind == "profile":
        from aswbridge import profiles

        if value not in profiles.names():
            known = ", ".join(profiles.names())
            raise ConfigurationError(f"{name}: unknown profile {value!r} (known: {known})")
    if kind == "country":
        return validate_country(name, value)
    if kind == "path":
        return base / value
    if kind == "key":
        return value if value[:7].lower() == "pkcs11:" else base / value
    if kind == "pin_source" and not re.match(r"^file:/|^/", value):
        raise ConfigurationError(f"{name}: expected file:/absolute/path, got {value!r}")
    if kind == "store":
        return value if "://" in value else str(base / value)
    if kind == "paths":
        return tuple(base / v for v in _strings(name, value, "file names"))
    if kind == "anchors":  # a path, or CC=path / CC:ROLE=path as TrustStore.from_paths reads
        return tuple(_anchor(v, base) for v in _strings(name, value, "file names"))
    if kind in ("fingerprints", "pins", "oids", "curves", "revocation"):
        return _check_trust(kind, name, value)
    return value


def _country_trust(country: str, content: Any, base: Path) -> CountryTrust:
    label = f"trust.{country}"
    if not isinstance(content, Mapping):
        raise ConfigurationError(f"{label}: expected a table")
    values = {}
    for key, value in content.items():
        if key not in _SCHEMA["trust.CC"]:
            raise ConfigurationError(f"{label}.{key}: unknown key")
        values[key] = _check("trust.CC", key, value, base, label=label)
    return CountryTrust(**values)


def parse_config(data: Mapping[str, Any], *, base_dir: Path | None = None) -> RelayConfig:
    """Validate a configuration mapping (as read from TOML) into a :class:`RelayConfig`.

    Relative paths are resolved against ``base_dir`` (the configuration file's folder).

    Raises:
        ConfigurationError: naming the bad key (``nsw.timeout: expected a number ...``).
    """
    base = base_dir or Path.cwd()
    values: dict[str, dict[str, Any]] = {}
    partners = _partners(data.get("partners"), base)
    for section, content in data.items():
        if section == "partners":
            continue
        if section not in _SECTIONS:
            raise ConfigurationError(
                f"{section}: unknown section (expected one of {', '.join(sorted(_SECTIONS))})"
            )
        if not isinstance(content, Mapping):
            raise ConfigurationError(f"{section}: expected a table")
        values[section] = {}
        for key, value in content.items():
            if section == "trust" and _COUNTRY.match(key):
                countries = values[section].setdefault("countries", {})
                countries[key] = _country_trust(key, value, base)
                continue
            if key not in _SCHEMA[section]:
                raise ConfigurationError(f"{section}.{key}: unknown key")
            values[section][key] = _check(section, key, value, base)
    bridge = values.get("bridge", {})
    for key in ("country", "store"):
        if key not in bridge:
            raise ConfigurationError(f"bridge.{key}: required")
    country = validate_country("bridge.country", bridge["country"])
    mesh = "local" in values or partners is not None
    if mesh and ("nsw" in values or "unipass" in values):
        raise ConfigurationError(
            "local: [local] and [[partners]] replace [nsw] and [unipass]; give one form"
        )
    sides: dict[str, SideConfig | None] = {"nsw": None, "unipass": None, "local": None}
    for name in ("local",) if mesh else ("nsw", "unipass"):
        sides[name] = _side(name, values.get(name, {}))
    for partner in partners or ():
        if partner.country == country:
            raise ConfigurationError(
                f"partners.{partner.country}: the bridge's own country is [local]"
            )
    trust = TrustConfig(**values.get("trust", {}))
    if (trust.sign_key is None) != (trust.sign_cert is None):
        raise ConfigurationError("trust.sign_cert: sign_key and sign_cert go together")
    if trust.sign_key_password_file and trust.sign_key_password_env:
        raise ConfigurationError(
            "trust.sign_key_password_env: give sign_key_password_file or _env, not both"
        )
    return RelayConfig(
        country=country,
        store=bridge["store"],
        nsw=sides["nsw"],
        unipass=sides["unipass"],
        local=sides["local"],
        partners=partners or (),
        retry=RetryPolicy(**values.get("retry", {})),
        trust=trust,
        pkcs11=Pkcs11Config(**values.get("pkcs11", {})),
        metrics_listen=values.get("metrics", {}).get("listen"),
        **{k: v for k, v in bridge.items() if k not in ("country", "store")},
    )


def _side(name: str, side: Mapping[str, Any], *, label: str = "") -> SideConfig:
    label = label or name
    if ("url" in side) == ("mailbox" in side):
        what = "url" if name == "unipass" else "url or mailbox"
        raise ConfigurationError(f"{label}.url: exactly one {what} is required")
    if "client_key" in side and "client_cert" not in side:
        raise ConfigurationError(f"{label}.client_key: given without {label}.client_cert")
    if side.get("profile") == "unipass" and "mailbox" in side:
        raise ConfigurationError(f"{label}.mailbox: UNI-PASS is reached by url")
    if "token_env" in side and "auth_header_file" in side:
        raise ConfigurationError(f"{label}.token_env: not with {label}.auth_header_file")
    if ("token_env" in side or "auth_header_file" in side) and "@" in side.get("url", ""):
        raise ConfigurationError(
            f"{label}.url: credentials in the URL and in a token setting; keep the token"
        )
    return SideConfig(**side)


def _partners(content: Any, base: Path) -> tuple[PartnerConfig, ...] | None:
    """``[[partners]]``: each table checked, countries given once."""
    if content is None:
        return None
    if not isinstance(content, list) or not all(isinstance(t, Mapping) for t in content):
        raise ConfigurationError("partners: expected [[partners]] tables")
    found: dict[str, PartnerConfig] = {}
    for index, table in enumerate(content):
        if "country" not in table:
            raise ConfigurationError(f"partners[{index}].country: required")
        label = f"partners.{str(table['country']).upper()}"
        values = {}
        for key, value in table.items():
            if key not in _SCHEMA["partners"]:
                raise ConfigurationError(f"{label}.{key}: unknown key")
            values[key] = _check("partners", key, value, base, label=label)
        country = values.pop("country")
        if country in found:
            raise ConfigurationError(f"{label}: the country is given twice")
        options = {k: values.pop(k) for k in ("pull", "enabled") if k in values}
        found[country] = PartnerConfig(
            country=country, side=_side("partner", values, label=label), **options
        )
    return tuple(found.values())


def load_config(path: str | Path) -> RelayConfig:
    """Read and validate a TOML configuration file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the configuration: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{path}: not UTF-8 (byte {exc.start}): TOML files are UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, base_dir=path.resolve().parent)
