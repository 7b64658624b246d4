"""What a run measured: series of repeated values, and the targets judged from them."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

CONVEYOR = "Conveyor"
"""System name of the rows every peer is compared with."""

TIMES = "\u00d7"
"""The sign ratios are printed with."""


@dataclass
class Series:
    """One quantity of one system, measured once per repetition."""

    scenario: str
    section: str
    system: str
    variant: str
    unit: str
    higher_is_better: bool = True
    values: list[float] = field(default_factory=list)
    unavailable: str | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(float(value))

    def fail(self, reason: str) -> None:
        """Mark the row as not available (the first reason wins)."""
        if self.unavailable is None:
            self.unavailable = reason

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def ok(self) -> bool:
        return self.unavailable is None and bool(self.values)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "section": self.section,
            "system": self.system,
            "variant": self.variant,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "values": self.values,
            "median": self.median,
            "min": min(self.values) if self.values else None,
            "max": max(self.values) if self.values else None,
            "unavailable": self.unavailable,
            "notes": self.notes,
        }


@dataclass
class Target:
    """A goal the report shows as pass, fail or not available."""

    name: str
    rule: str
    value: float | None = None
    threshold: float = 0.0
    op: str = ">="
    unit: str = ""
    note: str = ""

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        passed = {
            ">=": self.value >= self.threshold,
            "<=": self.value <= self.threshold,
            "<": self.value < self.threshold,
        }[self.op]
        return "pass" if passed else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "value": self.value,
            "threshold": self.threshold,
            "op": self.op,
            "unit": self.unit,
            "status": self.status,
            "note": self.note,
        }


@dataclass
class Results:
    """Every series of a run, in the order they were first asked for."""

    series: list[Series] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def get(
        self,
        scenario: str,
        section: str,
        system: str,
        variant: str,
        unit: str,
        higher_is_better: bool = True,
    ) -> Series:
        """Return the series with these names, creating it on first use."""
        for found in self.series:
            key = (found.scenario, found.section, found.system, found.variant)
            if key == (scenario, section, system, variant):
                return found
        made = Series(scenario, section, system, variant, unit, higher_is_better)
        self.series.append(made)
        return made

    def find(self, scenario: str, section: str, system: str, variant: str) -> Series | None:
        for found in self.series:
            key = (found.scenario, found.section, found.system, found.variant)
            if key == (scenario, section, system, variant):
                return found
        return None

    def median(self, scenario: str, section: str, system: str, variant: str) -> float | None:
        found = self.find(scenario, section, system, variant)
        return found.median if found is not None and found.ok else None

    def conveyor_ratio(self, row: Series) -> float | None:
        """Conveyor's median over ``row``'s, for the same section and variant."""
        if row.system == CONVEYOR or not row.ok:
            return None
        mine = self.median(row.scenario, row.section, CONVEYOR, row.variant)
        theirs = row.median
        if mine is None or not theirs:
            return None
        return mine / theirs


def ratio(top: float | None, bottom: float | None) -> float | None:
    """``top / bottom``, or None when either is missing or the bottom is zero."""
    if top is None or not bottom:
        return None
    return top / bottom


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (``pct`` in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
