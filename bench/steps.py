"""Per-step detail for ``python -m bench.anatomy``: what a worker does for one job.

- :class:`CommandTrace` records Redis ``MONITOR`` output (``redis-cli monitor``) while a few
  jobs run; :func:`redis_steps` turns it into commands per job by key family, which names
  the step that sent them (RQ's queue, job hash, registries, worker hash; Conveyor's events,
  lease, fair dispatcher). Commands a Lua script runs are counted apart ("in Lua").
- :class:`Sampler` runs ``py-spy record`` on a worker (raw collapsed stacks, active threads
  only, so samples follow CPU); :func:`cpu_steps` gives each step's share of the samples.

Both perturb the worker, so anatomy runs them in passes of their own, not the timed one.
"""

from __future__ import annotations

import re
import shutil
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .context import BIN, Bench
from .exceptions import Unavailable
from .procs import Proc, wait_until

_LINE = re.compile(r"^\d+\.\d+ \[\d+ (?P<client>[^\]]+)\] (?P<args>.*)$")
_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')

KEY_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"^rq:queue:", "RQ queue list"),
    (r"^rq:job:[^:]+:dependents", "RQ job dependents"),
    (r"^rq:job:", "RQ job hash"),
    (r"^rq:results:", "RQ result stream"),
    (r"^rq:execution", "RQ execution records"),
    (r"^rq:(wip|started|finished|failed|deferred|scheduled|canceled|ready):", "RQ registries"),
    (r"^rq:workers", "RQ worker sets"),
    (r"^rq:worker:", "RQ worker hash"),
    (r"^rq:(queues|suspended|scheduler|clean)", "RQ bookkeeping"),
    (r"^conveyor:events:", "Conveyor event stream"),
    (r"^conveyor:jobs:lease:", "Conveyor job lease"),
    (r"^conveyor:jobs:cancel:", "Conveyor cancel flag"),
    (r"^conveyor:jobs:", "Conveyor jobs (other)"),
    (r"^conveyor:fair:", "Conveyor fair dispatcher"),
    (r"^conveyor:", "Conveyor (other)"),
)
"""Key pattern → the family its commands are counted under (first match wins)."""

NO_KEY = {"multi", "exec", "discard", "ping", "time", "info", "client", "evalsha", "eval",
          "fcall", "script", "watch", "unwatch", "select", "hello"}  # fmt: skip
"""Commands whose first argument is not a key (``watch`` is counted by itself)."""


def family(command: str, args: list[str]) -> str:
    """The key family a command belongs to (its first key decides)."""
    if command in NO_KEY or not args:
        return f"({command})"
    for pattern, name in KEY_FAMILIES:
        if re.search(pattern, args[0]):
            return name
    return "other keys"


@dataclass
class CommandTrace:
    """``redis-cli monitor`` on the private Redis, to a file, for as long as it runs."""

    bench: Bench
    name: str
    proc: Proc | None = None

    @property
    def path(self) -> Path:
        return self.bench.work_dir / f"{self.name}.monitor"

    def start(self) -> CommandTrace:
        if shutil.which("redis-cli") is None:
            raise Unavailable("redis-cli is not on PATH")
        self.path.unlink(missing_ok=True)
        argv = ["redis-cli", "-u", self.bench.redis_url, "monitor"]
        self.proc = Proc(self.name, argv, self.path, self.bench.env())
        if not wait_until(lambda: self.path.exists() and self.path.stat().st_size > 0, 10):
            raise Unavailable("redis-cli monitor printed nothing")
        return self

    def stop(self) -> str:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None
        return self.path.read_text(errors="replace")


def redis_steps(text: str, jobs: int) -> dict[str, dict[str, float]]:
    """Commands per job from a MONITOR trace: ``{family: {command: per job}}``."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in text.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        args = [a.encode().decode("unicode_escape", errors="replace") for a in
                _ARG.findall(found.group("args"))]  # fmt: skip
        if not args:
            continue
        command = args[0].lower()
        where = family(command, args[1:])
        if found.group("client") == "lua":
            where = f"{where} (in Lua)"
        counts[(where, command)] += 1
    out: dict[str, dict[str, float]] = {}
    for (where, command), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        out.setdefault(where, {})[command] = round(n / jobs, 2)
    return out


def totals(steps: dict[str, dict[str, float]]) -> dict[str, float]:
    """Commands per job per family, largest first."""
    summed = {name: round(sum(c.values()), 2) for name, c in steps.items()}
    return dict(sorted(summed.items(), key=lambda kv: -kv[1]))


STEPS: tuple[tuple[str, str], ...] = (
    ("Conveyor: claim the row (runs.claim)", "claim (conveyor_core/jobs/runs.py"),
    ("Conveyor: complete the row (runs.complete)", "complete (conveyor_core/jobs/runs.py"),
    ("Conveyor: event payloads (events.publish)", "publish (conveyor_core/streams.py"),
    ("Conveyor: event payloads (events.publish)", "publish_job (conveyor_core/streams.py"),
    ("Conveyor: re-read the row to announce (_announce)", "_announce (worker/execution.py"),
    ("Conveyor: lease take/drop (Monitor.begin/end)", "begin (worker/monitor.py"),
    ("Conveyor: lease take/drop (Monitor.begin/end)", "end (worker/monitor.py"),
    ("Conveyor: SQL commits", "commit (sqlalchemy/orm/session.py"),
    ("Conveyor: session close", "close (sqlalchemy/orm/session.py"),
    ("Conveyor: RQ's record of the run (rq_adapter)", "conveyor_core/rq_adapter.py"),
    (
        "Conveyor: Redis round trips at the job's edges (execution._send)",
        "_send (worker/execution.py",
    ),
    (
        "Conveyor: fair pick + control queue (Dispatcher.pick)",
        "pick (conveyor_core/fair/dispatcher.py",
    ),
    ("Conveyor: job handler and its context", "worker/handlers/"),
    ("Conveyor: job handler and its context", "worker/context.py"),
    ("Conveyor: rest of the attempt (execution.attempt, run)", "attempt (worker/execution.py"),
    ("Conveyor: rest of the attempt (execution.attempt, run)", "run (worker/execution.py"),
    ("Conveyor: rest of the direct run (run_pick)", "run_pick (worker/process.py"),
    ("Conveyor: rest of the dequeue loop", "dequeue_job_and_maintain_ttl (worker/process.py"),
    ("Conveyor: monitor thread", "worker/monitor.py"),
    ("RQ: worker heartbeats (heartbeat)", "heartbeat (rq/worker/base.py"),
    ("RQ: job heartbeat (Job.heartbeat)", "heartbeat (rq/job.py"),
    ("RQ: worker state (set_state)", "set_state (rq/"),
    ("RQ: suspension check (check_for_suspension)", "check_for_suspension (rq/"),
    ("logging", "logging/__init__.py"),
    ("RQ: pop + fetch a job (dequeue_any)", "dequeue_any (rq/queue.py"),
    ("RQ: execution record (prepare_execution)", "prepare_execution (rq/"),
    ("RQ: prepare_job_execution", "prepare_job_execution (rq/"),
    ("RQ: handle_job_success", "handle_job_success (rq/"),
    ("RQ: rest of perform_job/execute_job", "perform_job (rq/"),
    ("RQ: rest of perform_job/execute_job", "execute_job (rq/"),
    ("RQ: rest of the dequeue loop", "dequeue_job_and_maintain_ttl (rq/"),
    ("RQ: scheduler thread", "rq/scheduler.py"),
    ("RQ: rest of the work loop", "rq/worker/"),
)
"""Step → a substring of a frame (``function (file:line)``). A sample counts for the step of
its innermost matching frame, so the shares add up to 1 (with "other")."""


class Sampler:
    """``py-spy record`` of one process (raw collapsed stacks) until :meth:`stop`."""

    def __init__(self, bench: Bench, pid: int, name: str, rate: int = 250) -> None:
        self.bench = bench
        self.pid = pid
        self.path = bench.work_dir / f"{name}.pyspy.txt"
        self.rate = rate
        self.proc: Proc | None = None

    def start(self) -> Sampler:
        spy = shutil.which("py-spy") or str(BIN / "py-spy")
        if not Path(spy).exists():
            raise Unavailable("py-spy is not installed (bench/requirements.txt)")
        self.path.unlink(missing_ok=True)
        argv = [spy, "record", "--pid", str(self.pid), "--rate", str(self.rate), "--format",
                "raw", "--threads", "--nonblocking", "--output", str(self.path)]  # fmt: skip
        self.proc = Proc("py-spy", argv, self.bench.log("py-spy"), self.bench.env())
        return self

    def stop(self) -> str:
        """Stop sampling (py-spy writes its file on SIGINT) and return the collapsed stacks."""
        if self.proc is not None:
            self.proc.signal(signal.SIGINT)
            wait_until(lambda: self.proc is None or not self.proc.alive(), 20)
            self.proc.stop()
            self.proc = None
        return self.path.read_text(errors="replace") if self.path.exists() else ""


def cpu_steps(raw: str) -> tuple[int, dict[str, float]]:
    """Return ``(samples, {step: share of the samples})``, largest first."""
    total = 0
    hits: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        step = "other"
        for frame in reversed(stack.split(";")):
            step = next((name for name, marker in STEPS if marker in frame), "")
            if step:
                break
        hits[step or "other"] += int(count)
    if not total:
        return 0, {}
    return total, {name: round(n / total, 4) for name, n in hits.most_common()}


def socket_ports(pid: int) -> set[str]:
    """``127.0.0.1:port`` of every TCP socket process ``pid`` holds open (from /proc)."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir() if fd_dir.exists() else []:
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                port = int(fields[1].rsplit(":", 1)[1], 16)
                found.add(f"127.0.0.1:{port}")
    return found


def only_clients(text: str, clients: set[str]) -> str:
    """The MONITOR lines sent by ``clients``, with the Lua lines their scripts ran."""
    kept = []
    owner = ""
    for line in text.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        client = found.group("client")
        if client != "lua":
            owner = client
        if owner in clients:
            kept.append(line)
    return "\n".join(kept)
