"""Shared helpers for the top-level tests: the repository layout and the infra scripts."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "infra" / "scripts"

# The infra scripts are plain modules that import each other by name, as when run directly.
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
