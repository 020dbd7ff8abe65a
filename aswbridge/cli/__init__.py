"""The ``aswbridge`` command line: a thin layer over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function
that adds its parser and sets ``handler``. Exit status: 0 success, 1 the input was
refused (or a check failed), 2 a usage or configuration error. Every error ends with
one line ``aswbridge: CODE: message`` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from aswbridge.errors import AswBridgeError, ConfigurationError
from aswbridge.logs import escape, redact

#: Modules under aswbridge.cli that contribute sub-commands, in help order.
COMMAND_MODULES = ("translate", "relay", "mesh", "security", "mock", "sample", "demo")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """Usage errors end like every other error: ``aswbridge: USAGE: message``, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"aswbridge: USAGE: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = _Parser(
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
        return _fail(EXIT_USAGE, exc.code, exc.message)
    except AswBridgeError as exc:
        problems = exc.problems
        if len(problems) > 1 or any(p.path or p.code != exc.code for p in problems):
            for problem in problems:
                print(escape(str(problem)), file=sys.stderr)
        return _fail(EXIT_REFUSED, exc.code, exc.message)
    except KeyboardInterrupt:
        logging.getLogger("aswbridge").warning("interrupted")
        return 130
    except OSError as exc:  # a place named on the command line: unwritable, missing, full
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(EXIT_USAGE, "IO_ERROR", f"{exc.strerror or exc}:{where}".rstrip(":"))
    except Exception as exc:  # a bug: say so in one line; -vv shows where
        logging.getLogger("aswbridge").debug("unexpected error", exc_info=True)
        return _fail(
            EXIT_REFUSED,
            "INTERNAL_ERROR",
            f"{type(exc).__name__}: {exc} (a bug; -vv shows the traceback)",
        )
    return status


def _fail(status: int, code: str, message: str) -> int:
    print(f"aswbridge: {code}: {escape(redact(message))}", file=sys.stderr)
    return status
