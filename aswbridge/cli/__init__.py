"""The ``aswbridge`` command line: a thin layer over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function
that adds its parser and sets ``handler``. Exit status: 0 success, 1 the input was
refused (or a check failed), 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from aswbridge.errors import AswBridgeError, ConfigurationError

#: Modules under aswbridge.cli that contribute sub-commands, in help order.
COMMAND_MODULES = ("translate", "relay", "mesh", "security", "mock", "sample", "demo")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="aswbridge",
        description="Exchange e-COs between an ASEAN NSW and Korea's UNI-PASS.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--log-json", action="store_true", help="log as JSON lines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"aswbridge.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from aswbridge.logs import configure

    configure(verbosity=args.verbose, json_format=args.log_json)
    try:
        status: int = args.handler(args)
    except ConfigurationError as exc:
        print(f"aswbridge: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except AswBridgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        logging.getLogger("aswbridge").warning("interrupted")
        return 130
    return status
