"""``python -m analysis``: see :mod:`analysis.cli` (no Django needed)."""

import sys

from .cli import main

sys.exit(main())
