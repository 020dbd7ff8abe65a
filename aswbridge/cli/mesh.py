"""``aswbridge partners``: the routing table a configuration describes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aswbridge.config import Peer, load_config


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
    local = next(row["side"] for row in rows if row["role"] == "local")
    routes = {
        row["country"]: row["side"] for row in rows if row["role"] == "partner"
    }
    if args.format == "json":
        table = {"country": config.country, "local": local, "sides": rows,
                 "routes": {config.country: local, **routes}}
        print(json.dumps(table, indent=2))
        return 0
    print(f"bridge for {config.country}")
    print(f"{'side':<8} {'country':<7} {'role':<7} {'profile':<9} {'pull':<4} "
          f"{'enabled':<7} address")
    for row in rows:
        print(f"{row['side']:<8} {row['country']:<7} {row['role']:<7} {row['profile']:<9} "
              f"{'yes' if row['pull'] else 'no':<4} {'yes' if row['enabled'] else 'no':<7} "
              f"{row['address']}")
    print(f"routing: from {local}, to the partner of the receiver's country"
          f" ({', '.join(sorted(routes)) or 'none'}); from a partner, to {local} (for"
          f" {config.country}); anything else is refused at its source with NO_ROUTE")
    return 0
