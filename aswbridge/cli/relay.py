"""``aswbridge run``, ``aswbridge status`` and ``aswbridge dead-letter``: the relay's CLI."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from aswbridge._settings import POLL_INTERVAL, Range
from aswbridge.config import RelayConfig, load_config, parse_config
from aswbridge.errors import AswBridgeError, ConfigurationError
from aswbridge.logs import escape, redact
from aswbridge.store import InboxEntry, OutboxEntry, Store, open_store
from aswbridge.transport.base import Side

if TYPE_CHECKING:
    from aswbridge.relay.bridge import Bridge

log = logging.getLogger("aswbridge.relay")


def register(subparsers: Any) -> None:
    """Add ``run``, ``status`` and ``dead-letter`` to the command line."""
    run = subparsers.add_parser(
        "run",
        help="run the relay between an NSW and UNI-PASS",
        description="Run the relay. Give --config, or the quick-start flags --side, "
        "--nsw-url, --unipass-url and --store. SIGTERM finishes in-flight work and exits; "
        "SIGHUP takes the trust anchors, the signing key and the partners of --config "
        "again (rotation, a partner joining or leaving).",
    )
    run.add_argument("--config", type=Path, help="bridge.toml")
    run.add_argument("--side", metavar="CC", help="the local NSW's country (ISO alpha-2)")
    run.add_argument("--nsw-url", help="the NSW gateway mailbox URL")
    run.add_argument("--nsw-mailbox", type=Path, help="or an NSW folder mailbox")
    run.add_argument("--unipass-url", help="the UNI-PASS e-CO service URL")
    run.add_argument("--store", help="the SQLite store file")
    run.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="PEM",
        help="a trust anchor for incoming signatures (repeatable)",
    )
    run.add_argument("--sign-key", help="our signing key (PEM, or a pkcs11: URI)")
    run.add_argument("--sign-cert", help="our signing certificate (PEM)")
    run.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="without trust anchors, accept unsigned messages (tests only)",
    )
    run.add_argument(
        "--poll-interval",
        type=POLL_INTERVAL.flag("--poll-interval"),
        help=f"seconds between idle passes ({POLL_INTERVAL})",
    )
    run.add_argument("--once", action="store_true", help="run one pass and exit")
    run.set_defaults(handler=run_command)

    status = subparsers.add_parser(
        "status",
        help="what the relay's store holds, by state",
        description="Counts by state (pending, in_flight, done, dead) and the journal.",
    )
    _store_arguments(status)
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.add_argument("--journal", action="store_true", help="print the journal")
    status.add_argument("--message", help="only this message id's journal")
    status.add_argument(
        "--limit",
        type=Range(1, 10**9, integer=True).flag("--limit"),
        help="the last N journal entries",
    )
    status.set_defaults(handler=status_command)

    purge = subparsers.add_parser(
        "purge",
        help="delete delivered messages and old dedup records from the store",
        description="Delete delivered outbox rows and inbox rows older than N days (the"
        " journal too with --journal). Pending, in-flight and dead messages stay. The inbox"
        " is how repeats are recognised: N must cover every partner's retry horizon.",
    )
    _store_arguments(purge)
    purge.add_argument(
        "--older-than-days",
        type=Range(0, 36_500, low_open=True).flag("--older-than-days"),
        required=True,
        metavar="N",
    )
    purge.add_argument("--journal", action="store_true", help="also purge the journal")
    purge.set_defaults(handler=purge_command)

    dead = subparsers.add_parser("dead-letter", help="list or retry dead-lettered messages")
    verbs = dead.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="list dead-lettered messages")
    _store_arguments(listing)
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=dead_list_command)
    retry = verbs.add_parser("retry", help="put dead-lettered messages back in the queue")
    _store_arguments(retry)
    retry.add_argument("message_ids", nargs="*", metavar="ID")
    retry.add_argument("--all", action="store_true", help="every dead-lettered message")
    retry.set_defaults(handler=dead_retry_command)


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--config", type=Path, help="bridge.toml")
    group.add_argument("--store", help="the SQLite store file")


def _open_existing_store(args: argparse.Namespace) -> Store:
    location = load_config(args.config).store if args.config else str(args.store)
    if "://" not in location and not Path(location).exists():
        raise ConfigurationError(f"no store at {location}")
    return open_store(location)


# --- run ----------------------------------------------------------------------------


def _quick_config(args: argparse.Namespace) -> RelayConfig:
    missing = [
        flag
        for flag, value in (
            ("--side", args.side),
            ("--unipass-url", args.unipass_url),
            ("--store", args.store),
        )
        if not value
    ]
    if not (args.nsw_url or args.nsw_mailbox):
        missing.append("--nsw-url")
    if missing:
        raise ConfigurationError(f"{', '.join(missing)}: required without --config")
    nsw: dict[str, Any] = (
        {"url": args.nsw_url} if args.nsw_url else {"mailbox": str(args.nsw_mailbox)}
    )
    data: dict[str, Any] = {
        "bridge": {
            "country": args.side,
            "store": args.store,
            "allow_unsigned": bool(args.allow_unsigned),
        },
        "nsw": nsw,
        "unipass": {"url": args.unipass_url},
    }
    trust: dict[str, Any] = {}
    if args.trust:
        trust["anchors"] = list(args.trust)
    if args.sign_key:
        trust["sign_key"] = args.sign_key
    if args.sign_cert:
        trust["sign_cert"] = args.sign_cert
    if trust:
        data["trust"] = trust
    return parse_config(data)


def run_command(args: argparse.Namespace) -> int:
    """Run the relay until SIGTERM/SIGINT (or one pass with ``--once``)."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.warning("signal %d: finishing in-flight work, then stopping", signum)
        stop.set()

    if not args.once:  # a SIGTERM while starting up stops the relay cleanly too
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    from aswbridge.relay.factory import build_bridge, configured_signing

    if args.config:
        given = [
            flag
            for flag, value in (
                ("--side", args.side),
                ("--nsw-url", args.nsw_url),
                ("--nsw-mailbox", args.nsw_mailbox),
                ("--unipass-url", args.unipass_url),
                ("--store", args.store),
                ("--trust", args.trust),
                ("--sign-key", args.sign_key),
                ("--sign-cert", args.sign_cert),
            )
            if value
        ]
        if given:
            raise ConfigurationError(f"{', '.join(given)}: not with --config (set it in the file)")
        config = load_config(args.config)
        if args.allow_unsigned and not config.allow_unsigned:
            config = attrs.evolve(config, allow_unsigned=True)
    else:
        config = _quick_config(args)
    signing = configured_signing(config)
    store = open_store(config.store, relay=True)
    try:
        metrics, server = _monitoring(config, store=store, signing=signing)
    except BaseException:
        store.close()
        raise
    bridge = build_bridge(config, store=store, signing=signing, metrics=metrics)
    if metrics is not None:
        metrics.breakers = lambda: {name: b.state for name, b in bridge.breakers.items()}
    retired: list[Side] = []
    pid_file = None if args.once else config.pid_file
    if pid_file is not None:
        _write_pid(pid_file)
    if args.config is not None and not args.once and hasattr(signal, "SIGHUP"):
        path = args.config

        def on_hangup(_signum: int, _frame: object) -> None:  # the work runs off the handler
            threading.Thread(
                target=_reload, args=(bridge, path, metrics, retired), name="reload"
            ).start()

        signal.signal(signal.SIGHUP, on_hangup)
    try:
        if args.once:
            log.info("one pass: %s", bridge.run_once())
            return 0
        interval = args.poll_interval if args.poll_interval is not None else config.poll_interval
        bridge.run_forever(stop, poll_interval=interval)
    finally:
        if server is not None:
            server.close()
        for side in [*bridge.sides.values(), *retired]:
            side.close()
        bridge.store.close()
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)
    return 0


def _write_pid(path: Path) -> None:
    """``[bridge] pid_file``: where ``aswbridge partners --reload`` finds this relay."""
    try:
        path.write_text(f"{os.getpid()}\n", encoding="ascii")
    except OSError as exc:
        raise ConfigurationError(f"bridge.pid_file: cannot write {path}: {exc.strerror}") from None


def _monitoring(config: RelayConfig, *, store: Store, signing: Any) -> tuple[Any, Any]:
    """The metrics and their listener, when ``[metrics] listen`` is configured."""
    if config.metrics_listen is None:
        return None, None
    try:
        from aswbridge.monitor import MetricsServer, RelayMetrics
    except ImportError as exc:
        raise ConfigurationError(
            f"metrics.listen: needs prometheus_client (pip install 'aswbridge[metrics]'): {exc}"
        ) from None
    from aswbridge.relay.factory import configured_trust

    trust, _ = configured_trust(config)
    metrics = RelayMetrics(store=store, signing=signing, trust=trust)
    return metrics, MetricsServer(metrics, listen=config.metrics_listen)


def _reload(
    bridge: Bridge, path: Path, metrics: Any = None, retired: list[Side] | None = None
) -> None:
    """SIGHUP: take the [trust] anchors and signing key (and [pkcs11]) from the file again,
    and the partners (added, changed, disabled); the sides no longer used go to
    ``retired``, closed when the relay stops."""
    from aswbridge.relay.factory import configured_trust, reload_keys, reload_partners

    try:
        config = load_config(path)
        signing = reload_keys(bridge, config)
        if metrics is not None:  # readiness and expiry follow the new key and anchors
            metrics.signing, metrics.trust = signing, configured_trust(config)[0]
    except AswBridgeError as exc:
        log.error("reload refused, keeping what the relay had: %s: %s", exc.code, exc.message)
        return
    try:
        gone = reload_partners(bridge, config, metrics)
    except AswBridgeError as exc:
        log.error(
            "reload of the partners refused, keeping the current ones: %s: %s",
            exc.code,
            exc.message,
        )
        return
    if retired is not None:
        retired += gone


# --- status -------------------------------------------------------------------------


def status_command(args: argparse.Namespace) -> int:
    """Print counts by state (and the journal with ``--journal``)."""
    store = _open_existing_store(args)
    try:
        counts = store.counts()
        journal = (
            store.journal(message_id=args.message, limit=args.limit)
            if args.journal or args.message
            else []
        )
        sides = _sides(store, load_config(args.config) if args.config else None)
    finally:
        store.close()
    if args.format == "json":
        out: dict[str, Any] = {**counts, "partners": sides}
        if journal:
            out["journal"] = [
                {
                    "seq": e.seq,
                    "at": e.at.isoformat(),
                    "message_id": e.message_id,
                    "event": e.event,
                    "state": e.state,
                    "detail": redact(e.detail),
                }
                for e in journal
            ]
        print(json.dumps(out, indent=2))
        return 0
    for key, value in counts.items():
        print(f"{key:>15}  {value}")
    for name, side in sides.items():
        states = ", ".join(f"{state} {n}" for state, n in side.items() if state != "breaker")
        print(f"{name:>15}  {states}; breaker {side['breaker']}")
    for entry in journal:  # written before URLs were redacted at the source, perhaps
        print(escape(redact(str(entry))))
    return 0


def _sides(store: Store, config: RelayConfig | None) -> dict[str, dict[str, Any]]:
    """Each side's queue by state and its breaker (as the relay last journaled it): the
    sides of ``config`` (when given) and every side the store has rows for."""
    from aswbridge.store.states import STATES

    by_side = store.counts_by_side()
    names = [peer.name for peer in config.peers()] if config is not None else []
    names += sorted(set(by_side) - set(names))
    result: dict[str, dict[str, Any]] = {}
    for name in names:
        last = store.journal(message_id=f"partner:{name}", limit=1)
        result[name] = {
            **by_side.get(name, dict.fromkeys(STATES, 0)),
            "breaker": last[-1].state if last else "closed",
        }
    return result


# --- retention --------------------------------------------------------------------


def purge_command(args: argparse.Namespace) -> int:
    """Delete what is settled and older than ``--older-than-days``."""
    days = float(args.older_than_days)
    horizon = load_config(args.config).retry.horizon if args.config else 86_400.0
    if days * 86_400 < max(horizon, 86_400.0):
        raise ConfigurationError(
            f"--older-than-days: {days:g} is shorter than the retry horizon"
            f" ({horizon / 86_400:g} days) or one day; repeats would be taken as new"
        )
    store = _open_existing_store(args)
    try:
        before = datetime.now(UTC) - timedelta(days=days)
        purged = store.purge(before=before, journal=args.journal)
    finally:
        store.close()
    print(", ".join(f"{count} {what}" for what, count in purged.items()) + " purged")
    return 0


# --- dead letters -------------------------------------------------------------------


def _entry(row: OutboxEntry) -> dict[str, Any]:
    return {
        "stage": "delivery",
        "message_id": row.message_id,
        "kind": row.kind,
        "dest": row.dest,
        "attempts": row.attempts,
        "code": row.last_code,
        "error": row.last_error,
        "source_message_id": row.source_message_id,
        "sha256": row.digest,
    }


def _refused(entry: InboxEntry) -> dict[str, Any]:
    return {
        "stage": "receipt",
        "message_id": entry.message_id,
        "kind": entry.kind,
        "sender": entry.sender,
        "source": entry.source,
        "code": entry.code,
        "error": entry.reason,
        "received_at": entry.received_at.isoformat(),
        "sha256": entry.digest,
    }


def dead_list_command(args: argparse.Namespace) -> int:
    """List dead-lettered messages: refused by the receiver or out of attempts (delivery),
    and refused on receipt (their source was told, with the code)."""
    store = _open_existing_store(args)
    try:
        rows = store.dead_letters()
        refused = store.rejected()
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps([_entry(r) for r in rows] + [_refused(e) for e in refused], indent=2))
        return 0
    for row in rows:  # a partner's text, escaped: one dead letter, one line
        print(
            escape(
                redact(
                    f"{row.message_id}  {row.kind} to {row.dest}  after {row.attempts} attempt(s)"
                    f"  {row.last_code}: {row.last_error}"
                )
            )
        )
    for entry in refused:
        print(
            escape(
                f"{entry.message_id}  {entry.kind} from {entry.sender} via {entry.source}"
                f"  refused on receipt  {entry.code}: {entry.reason}"
            )
        )
    if not rows and not refused:
        print("no dead letters")
    return 0


def dead_retry_command(args: argparse.Namespace) -> int:
    """Put dead-lettered messages back in the queue (the relay sends them again)."""
    if not args.message_ids and not args.all:
        raise ConfigurationError("dead-letter retry: give message ids or --all")
    store = _open_existing_store(args)
    try:
        ids = [r.message_id for r in store.dead_letters()] if args.all else args.message_ids
        refused = {e.message_id: e for e in store.rejected()}
        for message_id in ids:
            if store.get(message_id) is None and message_id in refused:
                entry = refused[message_id]
                raise ConfigurationError(
                    f"{message_id} was refused on receipt ({entry.code}) and its sender was"
                    " told: it must be sent again, corrected, by the sender"
                )
            store.retry_dead(message_id)
            print(f"{message_id}  queued again")
    finally:
        store.close()
    return 0
