"""``aswbridge sign``, ``aswbridge verify``, ``aswbridge pki init`` and ``pki fingerprint``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from lxml import etree

from aswbridge import _xml
from aswbridge.cli._trust import add_trust_options, trust_options
from aswbridge.cli.translate import read_input, write_output
from aswbridge.errors import ConfigurationError
from aswbridge.security import (
    Signer,
    Verifier,
    country_of,
    fingerprint,
    load_certificates,
    pki,
    roles,
)
from aswbridge.security.binding import bind
from aswbridge.security.errors import SignerNotAuthority, SignerNotExporter


def register(subparsers: Any) -> None:
    """Add the ``sign``, ``verify`` and ``pki`` sub-commands."""
    sign = subparsers.add_parser("sign", help="add an enveloped XML signature to a message")
    sign.add_argument(
        "--key",
        required=True,
        help="PEM private key (RSA ≥ 2048, P-256 or P-384), or the pkcs11: URI of a key in"
        " a token (module and PIN from the URI or $ASWBRIDGE_PKCS11_MODULE/_PIN)",
    )
    sign.add_argument("--cert", required=True, help="PEM signer certificate")
    sign.add_argument("--chain", help="PEM file of intermediate CA certificates")
    sign.add_argument(
        "--exporter", action="store_true", help="sign the exporter's declaration (box 11)"
    )
    sign.add_argument("input", help="XML file, or - for standard input")
    sign.add_argument("-o", "--output", help="output file (default: standard output)")
    sign.set_defaults(handler=_sign)

    verify = subparsers.add_parser("verify", help="verify a signed message and its signer")
    add_trust_options(verify, required=True)
    verify.add_argument("--at", help="validation time, ISO 8601 (default: now)")
    verify.add_argument(
        "--require-exporter", action="store_true", help="require the exporter's signature"
    )
    verify.add_argument(
        "--no-bind",
        action="store_true",
        help="skip decoding and the signer/issuing-authority binding",
    )
    verify.add_argument("input", help="XML file, or - for standard input")
    verify.set_defaults(handler=_verify)

    pki_parser = subparsers.add_parser("pki", help="a throwaway TEST-ONLY PKI")
    pki_sub = pki_parser.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    init = pki_sub.add_parser("init", help="write a TEST-ONLY PKI into DIR")
    init.add_argument("dir")
    init.add_argument("--country", action="append", help="limit to these countries")
    init.add_argument("--key-type", choices=("ec", "p384", "rsa"), default="ec")
    init.add_argument(
        "--pkcs11",
        action="store_true",
        help="also import the signers' keys into a SoftHSM2 token in DIR/softhsm (needs "
        "softhsm2) and print their pkcs11: URIs",
    )
    init.set_defaults(handler=_pki_init)
    fpr = pki_sub.add_parser(
        "fingerprint",
        help="print certificates' SHA-256 fingerprints and subjects",
        description="Print, for each certificate in the files, its SHA-256 fingerprint, "
        "subject, country and roles: what partners compare before trusting an anchor, "
        "and what --bridge and --pin take.",
    )
    fpr.add_argument("certs", nargs="+", metavar="CERT", help="PEM or DER certificate file")
    fpr.set_defaults(handler=_pki_fingerprint)


def _sign(args: argparse.Namespace) -> int:
    from aswbridge.pipeline import SigningKey

    root = _xml.parse(read_input(args.input))
    signing = SigningKey.from_files(key=args.key, cert=args.cert, chain=args.chain)
    _check_role(signing.cert, exporter=args.exporter)
    signer = Signer()
    method = signer.sign_declaration if args.exporter else signer.sign
    signed = method(root, key=signing.key, cert=signing.cert, chain=signing.chain)
    write_output(args.output, etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
    return 0


_EARLIEST = datetime(1950, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _parse_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise ConfigurationError(f"--at {text!r} is not an ISO 8601 date-time") from None
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
        value = _EARLIEST - timedelta(days=1)
    if not _EARLIEST <= value < _LATEST:  # what an X.509 validity can say, with room
        raise ConfigurationError(f"--at {text!r}: expected a time from 1950 to 9998")
    return value


def _check_role(cert: x509.Certificate, *, exporter: bool) -> None:
    """Refuse to sign with a certificate whose marked roles exclude the signature's."""
    marked = roles.marked_roles(cert, roles.role_oids())
    wanted = {roles.EXPORTER} if exporter else {roles.AUTHORITY, roles.BRIDGE}
    if marked and not marked & wanted:
        error = SignerNotExporter if exporter else SignerNotAuthority
        what = "an exporter's declaration" if exporter else "a certification"
        raise error(
            f"this certificate holds the role {', '.join(sorted(marked))}: it may not sign {what}"
        )


def _verify(args: argparse.Namespace) -> int:
    options = trust_options(
        args, at=_parse_at(args.at), require_exporter_signature=args.require_exporter
    )
    assert options.store is not None  # --trust is required
    verified = Verifier(options.policy).verify(read_input(args.input), trust=options.store)
    original = None
    if not args.no_bind:
        original = bind(verified, pins=options.pins, bridges=options.bridges).original_signer
    print(f"subject: {verified.subject}")
    print(f"fingerprint: {verified.fingerprint}")
    print(f"roles: {', '.join(sorted(verified.authority.roles)) or '-'}")
    if original is not None:
        print(f"original signer: {original.subject}")
        print(f"original fingerprint: {original.fingerprint}")
    if verified.exporter is not None:
        print(f"exporter: {verified.exporter.subject}")
        print(f"exporter fingerprint: {verified.exporter.fingerprint}")
    for warning in verified.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _pki_fingerprint(args: argparse.Namespace) -> int:
    for name in args.certs:
        certs = load_certificates(name)
        if not certs:
            raise ConfigurationError(f"{name} holds no certificate")
        for cert in certs:
            marked = roles.marked_roles(cert, roles.role_oids())
            print(f"{name}: SHA256 {fingerprint(cert)}")
            print(f"  subject: {cert.subject.rfc4514_string()}")
            print(
                f"  country: {country_of(cert) or '-'}  roles: {', '.join(sorted(marked)) or '-'}"
            )
    return 0


def _pki_init(args: argparse.Namespace) -> int:
    try:
        created = pki.create(
            args.dir, countries=args.country or pki.COUNTRIES, key_type=args.key_type
        )
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the PKI into {args.dir}: {exc.strerror}"
            f"{f' ({exc.filename})' if exc.filename else ''}"
        ) from None
    print(f"TEST-ONLY PKI for {', '.join(created.countries)} written to {created.path}")
    if args.pkcs11:
        from aswbridge.testing.softhsm import TEST_TOKEN, token_for_pki

        hsm, uris = token_for_pki(created, created.path / "softhsm")
        print(
            f"SoftHSM2 token {TEST_TOKEN} (keys not extractable; PIN in {hsm.path / 'pin'});"
            f" before using it:\n  export SOFTHSM2_CONF={hsm.conf}"
        )
        for label, uri in uris.items():
            print(f"  {label}: {uri}")
    return 0
