"""Build a running :class:`Bridge` from a :class:`~aswbridge.config.RelayConfig`."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aswbridge.config import Peer, RelayConfig, SideConfig, TrustConfig
from aswbridge.errors import ConfigurationError
from aswbridge.relay.bridge import Bridge
from aswbridge.relay.notify import Notifier, failure_receipt
from aswbridge.relay.routing import Link
from aswbridge.relay.translator import Translator, pipeline_translator
from aswbridge.store import Store, open_store
from aswbridge.transport.base import Side

if TYPE_CHECKING:
    from aswbridge.monitor import RelayMetrics
    from aswbridge.pipeline import Pipeline, SigningKey
    from aswbridge.security import TrustStore, VerificationPolicy

log = logging.getLogger("aswbridge.relay")


def _authorization(side: SideConfig) -> dict[str, str]:
    """The ``Authorization`` header of ``token_env`` (a bearer token) or ``auth_header_file``
    (the header's whole value), read at start; none without either."""
    if side.token_env is not None:
        token = os.environ.get(side.token_env, "").strip()
        if not token:
            raise ConfigurationError(
                f"token_env: the environment variable {side.token_env} is not set or empty"
            )
        value = f"Bearer {token}"
    elif side.auth_header_file is not None:
        try:
            value = side.auth_header_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeError) as exc:
            raise ConfigurationError(
                f"auth_header_file: cannot read {side.auth_header_file}: {exc}"
            ) from None
        if not value:
            raise ConfigurationError(f"auth_header_file: {side.auth_header_file} is empty")
    else:
        return {}
    if not value.isascii() or not value.isprintable():
        raise ConfigurationError("the Authorization header holds a control or non-ASCII character")
    return {"Authorization": value}


def _http_policy(side: SideConfig) -> Any:
    from aswbridge.transport._http import HttpPolicy

    return HttpPolicy(
        headers=_authorization(side),
        connect_timeout=side.connect_timeout,
        read_timeout=side.read_timeout,
        deadline=side.deadline,
        ca_bundle=str(side.ca_bundle) if side.ca_bundle else None,
        client_cert=str(side.client_cert) if side.client_cert else None,
        client_key=str(side.client_key) if side.client_key else None,
    )


def _side_of(peer: Peer, config: RelayConfig) -> Side:
    """UNI-PASS SOAP for the ``unipass`` profile; otherwise the mailbox, over HTTP or in
    folders."""
    from aswbridge.transport.filebox import FileboxSide
    from aswbridge.transport.nsw import NswHttpSide
    from aswbridge.transport.unipass import UnipassSide

    side = peer.side
    if peer.profile == "unipass":
        if side.url is None:
            raise ConfigurationError(f"{peer.name}.url: required")
        # a partner's UNI-PASS holds messages for several countries: take only ours
        recipient = None if peer.local else config.country or None
        return UnipassSide(url=side.url, policy=_http_policy(side), recipient=recipient)
    if side.mailbox is not None:
        return FileboxSide(root=side.mailbox, name=peer.name)
    assert side.url is not None
    return NswHttpSide(url=side.url, policy=_http_policy(side), name=peer.name)


def build_links(
    config: RelayConfig,
    *,
    keep: Mapping[str, Link] | None = None,
    metrics: RelayMetrics | None = None,
) -> tuple[Link, ...]:
    """The local side and the partners, each with its transport, as the relay routes.

    A side in ``keep`` (the running bridge's) whose address and transport settings are
    unchanged keeps its transport; the others get new ones (counted by ``metrics``).
    """
    links = []
    for peer in config.peers():
        old = (keep or {}).get(peer.name)
        reach = (peer.side, peer.profile, peer.local)
        if old is not None and old.built_from == reach:
            side = old.side
        else:
            side = _side_of(peer, config)
            if metrics is not None:
                from aswbridge.monitor import metered_side

                side = metered_side(side, peer.name, metrics)
        links.append(
            Link(
                name=peer.name,
                side=side,
                country=peer.country,
                profile=peer.profile,
                local=peer.local,
                pull=peer.pull,
                enabled=peer.enabled,
                built_from=reach,
            )
        )
    return tuple(links)


def reload_partners(
    bridge: Bridge, config: RelayConfig, metrics: RelayMetrics | None = None
) -> list[Side]:
    """Take the partners of ``config`` into a running ``bridge``: added, changed (a new
    transport), removed or disabled (their queues held). Returns the sides no longer used.

    Raises:
        ConfigurationError: the new sides cannot be built, or the local side is renamed.
    """
    links = build_links(config, keep=bridge.links, metrics=metrics)
    retired = bridge.relink(links)
    log.info(
        "reloaded: serving %s",
        ", ".join(f"{link.name}{'' if link.enabled else ' (disabled)'}" for link in links),
    )
    return retired


def build_sides(config: RelayConfig) -> tuple[Side, Side]:
    """The NSW side and the UNI-PASS side of a two-party configuration."""
    sides = {link.name: link.side for link in build_links(config)}
    if set(sides) != {"nsw", "unipass"}:
        raise ConfigurationError("[nsw] and [unipass]: required here (a two-party relay)")
    return sides["nsw"], sides["unipass"]


def _key_password(trust: TrustConfig) -> bytes | None:
    if trust.sign_key_password_file is not None:
        try:
            text = trust.sign_key_password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"trust.sign_key_password_file: cannot read {trust.sign_key_password_file}: {exc}"
            ) from None
        return text.splitlines()[0].encode() if text else b""
    if trust.sign_key_password_env is not None:
        value = os.environ.get(trust.sign_key_password_env)
        if value is None:
            raise ConfigurationError(
                f"trust.sign_key_password_env: {trust.sign_key_password_env} is not set"
            )
        return value.encode()
    return None


def configured_signing(config: RelayConfig) -> SigningKey | None:
    """The relay's signing key, certificate and chain, if configured (files read once; a
    key in a token is logged in to once)."""
    from aswbridge.pipeline import SigningKey

    trust, token = config.trust, config.pkcs11
    if trust.sign_key is None or trust.sign_cert is None:
        return None
    return SigningKey.from_files(
        key=str(trust.sign_key),
        cert=str(trust.sign_cert),
        chain=str(trust.sign_chain) if trust.sign_chain else None,
        module=str(token.module) if token.module else None,
        pin_source=token.pin_source,
        password=_key_password(trust),
    )


def configured_trust(config: RelayConfig) -> tuple[TrustStore | None, VerificationPolicy]:
    """The trust store and verification policy ``[trust]`` describes (files read once)."""
    from aswbridge.security import TrustStore, VerificationPolicy
    from aswbridge.security.policy import DEFAULT_CURVES

    trust = config.trust
    policy = VerificationPolicy(
        revocation=trust.revocation,
        require_exporter_signature=trust.require_exporter,
        allowed_curves=frozenset(trust.curves) if trust.curves else DEFAULT_CURVES,
    )
    if not trust.configured:
        return None, policy
    specs: list[str | Path] = list(trust.anchors)
    for country, section in trust.countries.items():
        specs += section.anchor_specs(country)
    oids = {cc: c.oids() for cc, c in trust.countries.items() if c.oids()}
    return TrustStore.from_paths(specs, crls=trust.crls, oids=oids), policy


def configured_pipeline(config: RelayConfig, *, signing: SigningKey | None = None) -> Pipeline:
    """The pipeline with the configured trust, policy, pins and bridges, signing with
    ``signing``."""
    from aswbridge.pipeline import Pipeline

    store, policy = configured_trust(config)
    return Pipeline(
        trust=store,
        verification=policy,
        pins=config.trust.pins,
        bridges=config.trust.bridges,
        signing=signing,
    )


def configured_translator(config: RelayConfig, *, signing: SigningKey | None = None) -> Translator:
    """The relay's translator over :func:`configured_pipeline`."""
    return pipeline_translator(
        pipeline=configured_pipeline(config, signing=signing), allow_unsigned=config.allow_unsigned
    )


def _profiles(config: RelayConfig) -> dict[str, str]:
    return {peer.name: peer.profile for peer in config.peers()}


def _notifier(config: RelayConfig, signing: SigningKey | None) -> Notifier:
    return functools.partial(failure_receipt, signing=signing, profiles=_profiles(config))


def reload_keys(bridge: Bridge, config: RelayConfig) -> SigningKey | None:
    """Take a new signing key and certificate and new trust anchors from ``config`` into a
    running ``bridge`` (key rotation, a partner's new root). Everything is loaded first:
    when anything fails the bridge keeps what it had. Messages already queued keep the
    signature they were queued with; the previous key is left to in-flight work.

    Returns the new signing key (None: the relay does not sign).

    Raises:
        ConfigurationError: the new key, certificate or anchors cannot be used.
    """
    signing = configured_signing(config)
    translate = configured_translator(config, signing=signing)
    bridge.reconfigure(translate=translate, notify=_notifier(config, signing))
    log.info(
        "reloaded: %d trust anchor file(s), signing as %s",
        len(config.trust.anchors)
        + sum(len(c.anchor_specs(cc)) for cc, c in config.trust.countries.items()),
        signing.cert.subject.rfc4514_string() if signing else "nobody (unsigned output)",
    )
    return signing


def build_bridge(
    config: RelayConfig,
    *,
    store: Store | None = None,
    translate: Translator | None = None,
    signing: SigningKey | None = None,
    metrics: RelayMetrics | None = None,
) -> Bridge:
    """A :class:`Bridge` wired as configured (sides, store, pipeline, retry policy).

    ``signing`` replaces the configured key (already loaded); with ``metrics``, the store's
    and the sides' traffic is counted there.
    """
    if not config.trust.configured:
        if not config.allow_unsigned:
            log.warning(
                "no trust anchors configured: every unsigned or unverifiable message will be"
                " refused (configure [trust] anchors, or allow_unsigned for tests)"
            )
        else:
            log.warning(
                "no trust anchors configured and allow_unsigned is set: messages are NOT"
                " verified; do not run this way in production"
            )
    longest = max(peer.side.deadline for peer in config.peers())
    if config.lease_seconds <= longest:
        log.warning(
            "bridge.lease_seconds (%s) is not longer than a call's deadline (%s s): another"
            " relay on the same store could send a message again (receivers recognise it)",
            config.lease_seconds,
            longest,
        )
    signing = signing or configured_signing(config)
    links = build_links(config, metrics=metrics)
    store = store or open_store(config.store, relay=True)
    if metrics is not None:
        from aswbridge.monitor import metered_store

        store = metered_store(store, metrics)
    return Bridge(
        links=links,
        store=store,
        translate=translate or configured_translator(config, signing=signing),
        notify=_notifier(config, signing),
        country=config.country,
        policy=config.retry,
        batch=config.batch,
        lease_s=config.lease_seconds,
        workers=config.workers,
    )
