"""The soak report: each scenario adds its figures; ``make soak`` writes them to
``SOAK_REPORT_DIR`` as ``soak.json`` and ``soak.md`` (a plain ``make test`` writes nothing)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIGURES: dict[str, dict[str, Any]] = {}
"""Scenario name → its figures, in the order the scenarios ran."""
STARTED = datetime.now(UTC)
"""When the suite began (this module is imported as its session starts)."""


def record(scenario: str, **figures: Any) -> None:
    FIGURES.setdefault(scenario, {}).update(figures)


def write() -> Path | None:
    """Write the report if ``SOAK_REPORT_DIR`` is set; return the Markdown file."""
    folder = os.environ.get("SOAK_REPORT_DIR")
    if not folder or not FIGURES:
        return None
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    ended = datetime.now(UTC)
    made = {"started": STARTED.isoformat(timespec="seconds"),
            "at": ended.isoformat(timespec="seconds"),
            "minutes": round((ended - STARTED).total_seconds() / 60, 1),
            "scale": os.environ.get("SOAK_SCALE", "small"), "scenarios": FIGURES}  # fmt: skip
    (out / "soak.json").write_text(json.dumps(made, indent=2, default=str) + "\n")
    lines = [f"# Soak report ({made['scale']} scale, {made['started']} to {made['at']}, "
             f"{made['minutes']} minutes)", ""]  # fmt: skip
    for scenario, figures in FIGURES.items():
        lines += [f"## {scenario}", "", "| figure | value |", "| --- | --- |"]
        lines += [f"| {name} | {value} |" for name, value in figures.items()]
        lines.append("")
    path = out / "soak.md"
    path.write_text("\n".join(lines))
    return path
