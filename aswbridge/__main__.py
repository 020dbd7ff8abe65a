"""``python -m aswbridge``."""

import sys

from aswbridge.cli import main

sys.exit(main())
