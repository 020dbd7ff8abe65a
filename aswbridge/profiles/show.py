"""``python -m aswbridge.profiles.show NAME``: print the codec generated for a profile.

The decoder and encoder of every table, as compiled: what a traceback through generated
code points into.
"""

from __future__ import annotations

import sys

from aswbridge.profiles import get
from aswbridge.profiles.engine import generated_source


def main(argv: list[str] | None = None) -> int:
    """Print the generated codec of the profile named on the command line."""
    names = sys.argv[1:] if argv is None else argv
    if len(names) != 1:
        print("usage: python -m aswbridge.profiles.show PROFILE", file=sys.stderr)
        return 2
    sys.stdout.write(generated_source(get(names[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
