"""``aswbridge partners``: the routing table a configuration describes."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aswbridge.config import Peer, load_config
from aswbridge.errors import ConfigurationError


def register(subparsers: Any) -> None:
    """Add ``partners`` to the command line."""
    partners = subparsers.add_parser(
        "partners",
        help="the sides of a bridge and how messages are routed between them",
        description="Print the local side and the partners of --config: the country each "
        "speaks for, its profile and address, whether this bridge pulls from it, and the "
        "routing rule (by the verified receiver).",
    )
    partners.add_argument("--config", type=Path, required=True, help="bridge.toml")
    partners.add_argument("--format", choices=("text", "json"), default="text")
    partners.add_argument(
        "--reload",
        action="store_true",
        help="signal the running relay (its [bridge] pid_file) to take the"
        " file's partners, trust and keys again (SIGHUP)",
    )
    partners.set_defaults(handler=partners_command)


def _address(peer: Peer) -> str:
    """The side's URL without credentials, or its mailbox folder."""
    if peer.side.url is None:
        return str(peer.side.mailbox)
    parts = urlsplit(peer.side.url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _row(peer: Peer) -> dict[str, Any]:
    return {
        "side": peer.name,
        "country": peer.country,
        "role": "local" if peer.local else "partner",
        "profile": peer.profile,
        "address": _address(peer),
        "pull": peer.pull,
        "enabled": peer.enabled,
    }


def partners_command(args: argparse.Namespace) -> int:
    """Print the routing table."""
    config = load_config(args.config)
    rows = [_row(peer) for peer in config.peers()]
    if args.reload:
        _signal_relay(config.pid_file)
    local = next(row["side"] for row in rows if row["role"] == "local")
    routes = {row["country"]: row["side"] for row in rows if row["role"] == "partner"}
    if args.format == "json":
        table = {
            "country": config.country,
            "local": local,
            "sides": rows,
            "routes": {config.country: local, **routes},
        }
        print(json.dumps(table, indent=2))
        return 0
    print(f"bridge for {config.country}")
    print(
        f"{'side':<8} {'country':<7} {'role':<7} {'profile':<9} {'pull':<4} {'enabled':<7} address"
    )
    for row in rows:
        print(
            f"{row['side']:<8} {row['country']:<7} {row['role']:<7} {row['profile']:<9} "
            f"{'yes' if row['pull'] else 'no':<4} {'yes' if row['enabled'] else 'no':<7} "
            f"{row['address']}"
        )
    print(
        f"routing: from {local}, to the partner of the receiver's country"
        f" ({', '.join(sorted(routes)) or 'none'}); from a partner, to {local} (for"
        f" {config.country}); anything else is refused at its source with NO_ROUTE"
    )
    return 0


def _signal_relay(pid_file: Path | None) -> None:
    """Send SIGHUP to the relay whose pid ``pid_file`` holds."""
    if pid_file is None:
        raise ConfigurationError(
            "bridge.pid_file: required for --reload (or send the relay SIGHUP yourself)"
        )
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"bridge.pid_file: no running relay found through {pid_file}: {exc}"
        ) from None
    print(f"relay {pid} signalled to reload {pid_file.name}'s configuration", file=sys.stderr)
