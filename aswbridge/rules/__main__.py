"""``python -m aswbridge.rules --markdown``: print the rule reference (docs/rules.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Print the rules as Markdown (``--markdown``) or as one ``CODE kind`` line each."""
    parser = argparse.ArgumentParser(prog="python -m aswbridge.rules")
    parser.add_argument("--markdown", action="store_true", help="print docs/rules.md")
    args = parser.parse_args(argv)
    from aswbridge.rules import RULES
    from aswbridge.rules.docs import markdown

    if args.markdown:
        sys.stdout.write(markdown())
    else:
        for kind, rules in RULES.items():
            for rule in rules:
                sys.stdout.write(f"{rule.code}\t{kind}\t{rule.severity}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
