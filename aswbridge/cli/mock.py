"""``aswbridge mock unipass|nsw``: run a mock service on loopback for testers."""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
from typing import Any

from aswbridge._settings import Range, validate_country
from aswbridge.errors import ConfigurationError


def register(subparsers: Any) -> None:
    """Add ``mock unipass`` and ``mock nsw`` to the command line."""
    mock = subparsers.add_parser(
        "mock",
        help="run a mock UNI-PASS service or NSW mailbox (for testing)",
        description="Run a stateful mock service with fault injection. It prints its URL, "
        "then serves until interrupted (Ctrl-C or SIGTERM). Inspect it with "
        "GET /_mock/stats; queue a message for the bridge with POST /_mock/outbound; "
        "change its faults while it runs with POST /_mock/faults.",
    )
    roles = mock.add_subparsers(dest="role", metavar="ROLE", required=True)
    unipass = roles.add_parser("unipass", help="UNI-PASS's e-CO exchange service (SOAP)")
    _common(unipass)
    nsw = roles.add_parser("nsw", help="an NSW gateway mailbox (HTTP)")
    nsw.add_argument("--country", required=True, metavar="CC", help="the NSW's country")
    nsw.add_argument("--token", help="require this bearer token on every API call")
    nsw.add_argument(
        "--profile", default="asw", help="the profile the NSW speaks (any registered; asw)"
    )
    _common(nsw)
    mock.set_defaults(handler=mock_command)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument(
        "--port",
        type=Range(0, 65_535, integer=True).flag("--port"),
        default=0,
        help="port (default: a free one)",
    )
    parser.add_argument(
        "--fail-rate",
        type=Range(0, 1).flag("--fail-rate"),
        default=0.0,
        metavar="R",
        help="share of requests answered 503 (0..1)",
    )
    parser.add_argument(
        "--drop-rate",
        type=Range(0, 1).flag("--drop-rate"),
        default=0.0,
        metavar="R",
        help="share of requests processed, then dropped unanswered (0..1)",
    )
    parser.add_argument(
        "--latency-ms",
        type=Range(0, 600_000, integer=True).flag("--latency-ms"),
        default=0,
        metavar="L",
        help="pause before each answer",
    )
    parser.add_argument("--seed", type=int, help="seed of the fault draws")
    parser.add_argument(
        "--no-respond",
        action="store_true",
        help="do not answer certificates with a customs response",
    )
    parser.add_argument(
        "--sign-key", help="sign the customs responses with this key (PEM, or a pkcs11: URI)"
    )
    parser.add_argument("--sign-cert", help="the certificate of --sign-key (PEM)")
    parser.add_argument("--sign-chain", help="intermediate certificates of --sign-cert (PEM)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the key of --tls-cert (PEM)")
    parser.add_argument("--tls-client-ca", help="require client certificates from this CA")


def _ssl_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls_cert:
        if args.tls_key or args.tls_client_ca:
            raise ConfigurationError("--tls-key and --tls-client-ca need --tls-cert")
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.tls_client_ca)
    return context


def _signing(args: argparse.Namespace) -> Any:
    if not (args.sign_key or args.sign_cert):
        if args.sign_chain:
            raise ConfigurationError("--sign-chain needs --sign-key and --sign-cert")
        return None
    if not (args.sign_key and args.sign_cert):
        raise ConfigurationError("--sign-key and --sign-cert go together")
    from aswbridge.pipeline import SigningKey

    return SigningKey.from_files(key=args.sign_key, cert=args.sign_cert, chain=args.sign_chain)


def mock_command(args: argparse.Namespace) -> int:
    """Start the mock, print its URL, serve until SIGINT or SIGTERM."""
    from aswbridge.testing.mocks import Faults, MockNsw, MockServer, MockUnipass

    faults = Faults(
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        latency_ms=args.latency_ms,
        seed=args.seed,
    )
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "faults": faults,
        "respond": not args.no_respond,
        "ssl_context": _ssl_context(args),
        "signing": _signing(args),
    }
    server: MockServer
    if args.role == "unipass":
        server = MockUnipass(**common)
    else:
        args.country = validate_country("--country", args.country)
        from aswbridge import profiles

        if args.profile not in profiles.names():
            known = ", ".join(profiles.names())
            raise ConfigurationError(f"--profile: no profile {args.profile!r} (known: {known})")
        server = MockNsw(country=args.country, profile=args.profile, token=args.token, **common)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        try:
            url = server.start()
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
        print(f"mock {args.role} listening on {url}", flush=True)
        print(f"stats: {server.root_url}/_mock/stats", file=sys.stderr, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0
