"""``python -m bench``: run every scenario and write the reports."""

from __future__ import annotations

import sys

from .suite import main

if __name__ == "__main__":
    sys.exit(main())
