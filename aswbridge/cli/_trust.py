"""The trust options shared by ``verify`` and ``translate``, and what they build."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import attrs

from aswbridge.errors import ConfigurationError

if TYPE_CHECKING:
    from aswbridge.security import TrustStore, VerificationPolicy

TRUST_HELP = (
    "anchors: a PEM file or folder, CC=PATH to declare the country they are trusted for, "
    "CC:authority=PATH or CC:exporter=PATH for anchors of one role (repeatable)"
)


@attrs.frozen(kw_only=True)
class TrustOptions:
    """What the trust options say: anchors, policy, authority pins and trusted bridges."""

    store: TrustStore | None
    policy: VerificationPolicy
    pins: dict[str, str]
    bridges: tuple[str, ...]


def add_trust_options(parser: Any, *, required: bool) -> None:
    """Add ``--trust``, ``--crl``, ``--pin``, ``--bridge``, ``--revocation``, ``--curve``."""
    parser.add_argument(
        "--trust",
        action="append",
        required=required,
        default=None,
        metavar="[CC[:ROLE]=]PATH",
        help=TRUST_HELP,
    )
    parser.add_argument(
        "--crl", action="append", default=[], metavar="F", help="CRL file (repeatable)"
    )
    parser.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="AUTHORITY=FPR",
        help="the only certificate (SHA-256 fingerprint or subject) allowed to "
        "sign for an issuing authority id (repeatable)",
    )
    parser.add_argument(
        "--bridge",
        action="append",
        default=[],
        metavar="FPR",
        help="a trusted bridge's certificate (SHA-256 fingerprint): its "
        "signature stands for the original signer it names (repeatable)",
    )
    parser.add_argument(
        "--revocation",
        choices=("soft-fail", "hard-fail"),
        default="soft-fail",
        help="when no current CRL says whether a certificate is revoked",
    )
    parser.add_argument(
        "--curve",
        action="append",
        default=None,
        metavar="NAME",
        help="an allowed elliptic curve (default P-256 and P-384; add P-521 "
        "with --curve P-256 --curve P-384 --curve P-521)",
    )


def trust_options(args: argparse.Namespace, **policy: Any) -> TrustOptions:
    """Build the store and policy the options name (no store without ``--trust``)."""
    from aswbridge.security import TrustStore, VerificationPolicy

    if not args.trust and (args.pin or args.bridge or args.crl):
        raise ConfigurationError("--pin, --bridge and --crl need --trust (nothing is verified)")
    pins: dict[str, str] = {}
    for item in args.pin:
        authority, sep, pin = item.partition("=")
        if not sep or not authority or not pin:
            raise ConfigurationError(f"--pin {item!r}: expected AUTHORITY_ID=FINGERPRINT")
        pins[authority] = pin
    if args.curve:
        policy["allowed_curves"] = frozenset(args.curve)
    return TrustOptions(
        store=TrustStore.from_paths(args.trust, crls=args.crl) if args.trust else None,
        policy=VerificationPolicy(revocation=args.revocation, **policy),
        pins=pins,
        bridges=tuple(args.bridge),
    )
