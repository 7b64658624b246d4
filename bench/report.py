"""``bench.md`` (tables of medians, min-max and Conveyor / peer) and ``bench.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .context import Bench
from .results import CONVEYOR, TIMES, Results, Series, Target

DASH = "\u2013"

METHOD = """\
- Every figure is the median over the repetitions, with the smallest and largest run;
  "Conveyor ÷ this" divides Conveyor's median by the row's. For s, ms and µs lower is
  better, so there a ratio below 1 favours Conveyor.
- Systems run one after another on the same machine and the same private Redis, in an
  order rotated every repetition; nothing else of the bench runs meanwhile.
- (a) jobs are all submitted before the workers start; the time runs from the first job's
  start to the last job's end as the system recorded them (Conveyor: SQL rows, all
  `completed`; RQ: job hashes; BullMQ: `processedOn`/`finishedOn`; Celery: stamp jobs).
- (b) HTTP rows send the same request (bearer token, JSON body) through nginx to gunicorn
  with job-api's settings (`job_api.gunicorn_conf`: gevent, 2 workers; "sync workers" rows
  swap only the worker class); wrk with 1 thread. Library rows call the peers' client APIs
  in process. The batch is timed first in each repetition, on an idle job-api.
- (c) sequential jobs on one idle worker; "submit" is the client's clock before the call.
- (d) `conveyor_core.fair` driven directly: `pick()` + `finish()` per job, every user
  backlogged for the whole drain.
- (e) workers registered before one batch of `timed` jobs is submitted.
- (f) the same `GET /api/jobs/{id}` against job-api as configured and with
  `CACHE_TYPE=NullCache`.
"""


def fmt(value: float | None) -> str:
    if value is None:
        return DASH
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _row(results: Results, series: Series) -> str:
    if series.unavailable is not None:
        cells = [DASH, DASH, "0", DASH, f"not available: {series.unavailable}"]
    elif not series.values:
        cells = [DASH, DASH, "0", DASH, "not measured"]
    else:
        spread = f"{fmt(min(series.values))}{DASH}{fmt(max(series.values))}"
        ratio = results.conveyor_ratio(series)
        cells = [
            f"{fmt(series.median)} {series.unit}",
            spread,
            str(len(series.values)),
            "" if series.system == CONVEYOR else f"{fmt(ratio)}{TIMES}" if ratio else DASH,
            "; ".join(series.notes),
        ]
    name = f"**{series.system}**" if series.system == CONVEYOR else series.system
    return "| " + " | ".join([name, series.variant, *cells]).replace("\n", " ") + " |"


def _target(target: Target) -> str:
    value = DASH if target.value is None else f"{fmt(target.value)}{target.unit}"
    goal = f"{target.op} {fmt(target.threshold)}{target.unit}"
    status = {"pass": "✅ pass", "FAIL": "❌ FAIL", "n/a": "n/a (figure missing)"}[target.status]
    return f"| {target.name} | {target.rule} | {value} | {goal} | {status} |"


def markdown(bench: Bench, machine: dict[str, Any]) -> str:
    results = bench.results
    cores, start, end = machine["cores"], machine["load_at_start"], machine["load_at_end"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    database = "PostgreSQL (BENCH_DATABASE_URL)" if bench.config.database_url else "SQLite"
    lines = [
        "# Conveyor benchmark",
        "",
        f"Run {machine['time']} on **{cores} cores** ({machine['cpu']}), "
        f"load average {_load(start)} at start and {_load(end)} at the end.",
        f"Software: Python {machine['python']}, {versions}.",
        f"Conveyor code: {machine.get('code', 'unknown')}.",
        f"Conveyor's database: {database}. HTTP load: {bench.load_method}. "
        f"{bench.config.repeat} repetitions; {bench.config.jobs:,} jobs in (a); "
        f"{bench.config.http_seconds:.0f} s per HTTP run with "
        f"{bench.config.http_connections} connections. Took {machine['seconds'] / 60:.1f} min"
        f"{_per_scenario(machine.get('scenario_seconds', {}))}.",
        "",
        "## Targets",
        "",
        "| target | rule | value | goal | result |",
        "| --- | --- | --- | --- | --- |",
        *(_target(t) for t in results.targets),
        "",
        *(f"- {t.name}: {t.note}" for t in results.targets if t.note),
        *([""] if any(t.note for t in results.targets) else []),
        "## Results",
    ]
    sections: dict[str, list[Series]] = {}
    for series in results.series:
        sections.setdefault(series.section, []).append(series)
    for section, rows in sections.items():
        lines += [
            "",
            f"### {section}",
            "",
            f"| system | variant | median | min{DASH}max | runs | Conveyor \u00f7 this | notes |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *(_row(results, s) for s in rows),
        ]
    if bench.missing:
        lines += ["", "## Not available in this run", ""]
        lines += [f"- {name}: {reason}" for name, reason in bench.missing.items()]
    if results.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in results.notes)]
    lines += ["", "## Method", "", METHOD]
    return "\n".join(lines)


def _per_scenario(seconds: dict[str, float]) -> str:
    if not seconds:
        return ""
    return " (" + ", ".join(f"{k} {v / 60:.1f}" for k, v in seconds.items()) + ")"


def _load(values: list[float] | tuple[float, ...]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def write(bench: Bench, machine: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``bench.md`` and ``bench.json`` into the output directory; return their paths."""
    out = bench.config.out_dir
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "bench.md", out / "bench.json"
    md.write_text(markdown(bench, machine))
    data = {
        "machine": machine,
        "config": {
            "jobs": bench.config.jobs,
            "repeat": bench.config.repeat,
            "database": "postgresql" if bench.config.database_url else "sqlite",
            "scenarios": list(bench.config.scenarios),
            "peers": list(bench.config.peers),
            "http_seconds": bench.config.http_seconds,
            "http_connections": bench.config.http_connections,
            "load_generator": bench.load_method,
        },
        "targets": [t.to_dict() for t in bench.results.targets],
        "series": [s.to_dict() for s in bench.results.series],
        "missing": bench.missing,
        "notes": bench.results.notes,
    }
    js.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return md, js
