"""``aswbridge translate``, ``validate`` and ``schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aswbridge._xml import DEFAULT_MAX_BYTES
from aswbridge.cli._trust import add_trust_options, trust_options
from aswbridge.errors import ConfigurationError, InputTooLarge

PROFILE_CHOICES = "asw, unipass, canonical (or a profile registered by entry point)"


def register(sub: Any) -> None:
    """Add the translate, validate and schema sub-commands."""
    p = sub.add_parser(
        "translate",
        help="translate a message between profiles",
        description="Translate a message; input and output are both validated.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="P", help=PROFILE_CHOICES)
    p.add_argument("--to", dest="target", required=True, metavar="Q", help=PROFILE_CHOICES)
    p.add_argument(
        "input", nargs="?", default="-", help="input file, a folder of messages, or - for stdin"
    )
    p.add_argument(
        "-o", "--output", help="output file (default: stdout); the output folder for a folder input"
    )
    add_trust_options(p, required=False)
    p.add_argument("--sign-key", metavar="K", help="sign the output with this PEM key")
    p.add_argument("--sign-cert", metavar="C", help="the signing certificate (PEM)")
    p.add_argument("--sign-chain", metavar="F", help="intermediates to include (PEM)")
    p.set_defaults(handler=run_translate)

    v = sub.add_parser("validate", help="check a message against schema and business rules")
    v.add_argument("--profile", required=True, metavar="P", help=PROFILE_CHOICES)
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.add_argument("input", help="input file, or - for stdin")
    v.set_defaults(handler=run_validate)

    s = sub.add_parser("schema", help="print the path of a profile's root payload XSD")
    s.add_argument("profile", metavar="P")
    s.set_defaults(handler=run_schema)


def read_input(name: str, *, cap: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file or standard input, as bytes, up to ``cap`` (``/dev/zero`` is refused,
    not read for ever)."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(cap + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(cap + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {name}: {exc.strerror}") from None
    if len(data) > cap:
        raise InputTooLarge(f"{name}: input over the cap of {cap} bytes")
    return data


def write_output(name: str | None, data: bytes, *, source: str | None = None) -> None:
    """Write to standard output, or to a file: a regular file (or a new one) atomically
    through a temporary name, anything else (``/dev/null``, a FIFO) in place, never
    replaced. ``source``, the input file, is never overwritten."""
    if name is None or name == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(name)
    try:
        if source not in (None, "-") and path.exists() and path.samefile(source):
            raise ConfigurationError(f"-o {name} is the input: it would be overwritten")
        if path.exists() and not path.is_file():
            with path.open("wb") as handle:  # a device or a FIFO: write into it
                handle.write(data)
            return
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {name}: {exc.strerror}") from None


def run_translate(args: argparse.Namespace) -> int:
    """Translate one message."""
    from aswbridge.pipeline import Pipeline, SigningKey

    trust = trust_options(args)
    signing = None
    if args.sign_key or args.sign_cert:
        if not (args.sign_key and args.sign_cert):
            raise ConfigurationError("--sign-key and --sign-cert go together")
        signing = SigningKey.from_files(
            key=args.sign_key, cert=args.sign_cert, chain=args.sign_chain
        )
    pipeline = Pipeline(
        trust=trust.store,
        verification=trust.policy,
        signing=signing,
        pins=trust.pins,
        bridges=trust.bridges,
    )

    def one(data: bytes, name: str = "") -> bytes:
        done = pipeline.translate(data, source=args.source, target=args.target)
        for warning in done.warnings:  # the output is written; the reader should know
            print(f"warning: {name + ': ' if name else ''}{warning}", file=sys.stderr)
        return done.output

    if args.input != "-" and Path(args.input).is_dir():
        from aswbridge.cli.batch import translate_folder

        if not args.output:
            raise ConfigurationError("a folder input needs -o OUTPUT_FOLDER")
        if Path(args.output).exists() and Path(args.output).samefile(args.input):
            raise ConfigurationError(
                f"-o {args.output} is the input folder: the originals would be overwritten"
            )
        suffix = ".json" if args.target == "canonical" else ".xml"
        return translate_folder(Path(args.input), Path(args.output), one, suffix=suffix)
    write_output(args.output, one(read_input(args.input)), source=args.input)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Validate one message; print its problems."""
    from aswbridge.pipeline import problems_of

    problems = problems_of(read_input(args.input), profile=args.profile)
    errors = [p for p in problems if p.severity == "error"]
    if args.format == "json":
        json.dump([p.as_dict() for p in problems], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(f"{p.severity}: {p}", file=sys.stderr if p.severity == "error" else sys.stdout)
        if not errors:
            print(f"valid {args.profile} message")
    return 1 if errors else 0


def run_schema(args: argparse.Namespace) -> int:
    """Print the installed path of a profile's root XSD."""
    from aswbridge import _xml, profiles

    print(_xml.schema_path(profiles.get(args.profile).schema))
    return 0
