"""``aswbridge sample``: a sample message in any profile, fresh ids on request (for testers)."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime

import attrs

from aswbridge.model import Certificate, Message


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from aswbridge import profiles
    from aswbridge.samples import SCENARIOS

    parser = sub.add_parser(
        "sample",
        help="write a sample message (fresh ids with --fresh)",
        description="Write one of the shipped sample messages. With --fresh the message gets "
        "a new message id (and a certificate a new certificate number), so a mock or a "
        "partner's test system takes it as a new message.",
    )
    parser.add_argument(
        "name",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help=f"one of: {', '.join(sorted(SCENARIOS))}",
    )
    parser.add_argument(
        "--profile",
        default="asw",
        help=f"output profile: {', '.join(profiles.names())} or canonical",
    )
    parser.add_argument("--fresh", action="store_true", help="new message id and CO number")
    parser.add_argument("-o", "--output", help="output file (default: standard output)")
    parser.set_defaults(handler=_sample)


def fresh(message: Message, *, now: datetime | None = None) -> Message:
    """``message`` with a new message id, creation time and (for a certificate) number."""
    token = uuid.uuid4()
    envelope = attrs.evolve(
        message.envelope, message_id=str(token), created_at=now or datetime.now(UTC)
    )
    document = message.document
    if isinstance(document, Certificate):
        document = attrs.evolve(document, id=f"{document.id[:20]}-{token.hex[:8].upper()}")
    return attrs.evolve(message, envelope=envelope, document=document)


def _sample(args: argparse.Namespace) -> int:
    from aswbridge import pipeline
    from aswbridge.cli.translate import write_output
    from aswbridge.samples import SCENARIOS

    message = SCENARIOS[args.name]()
    if args.fresh:
        message = fresh(message)
    write_output(args.output, pipeline.write(message, profile=args.profile))
    return 0
