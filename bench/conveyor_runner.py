"""Conveyor under test: a fresh jobs database, job-api under gunicorn, N ``python -m worker``.

A :class:`ConveyorStack` is made per measurement so runs never see each other's rows or
queued jobs. Anything missing (job-api not written yet, no worker package, a failed
migration) raises :class:`Unavailable` with the reason the report prints.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import redis
from sqlalchemy import Engine, create_engine, func, select

from conveyor_testing import free_port

from .context import BIN, Bench
from .exceptions import BenchError, Unavailable
from .infra import gunicorn_argv
from .net import Client, wait_answers
from .peers.timing import epoch
from .procs import Proc, stop_all, wait_until

JOB_API_APP = "job_api:create_app()"
BATCH = 1000
"""Most jobs per ``POST /api/jobs/batch``."""

FINISHED = ("completed", "failed", "canceled")


def _package_file(package: str, relative: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / relative).exists():
            return Path(location) / relative
    return None


def api_missing() -> str | None:
    """Why job-api cannot be benchmarked, or None if it can."""
    init = _package_file("job_api", "__init__.py")
    if init is None:
        return "job-api is not installed (no job_api package)"
    if "def create_app" not in init.read_text():
        return "job_api has no create_app()"
    if _package_file("job_api", "migrations") is None:
        return "job_api has no migrations directory"
    return None


def worker_missing() -> str | None:
    """Why the worker cannot be benchmarked, or None if it can."""
    if _package_file("worker", "__main__.py") is None:
        return "the worker service is not installed (no `python -m worker`)"
    return None


def api_has_cache(env: Mapping[str, str]) -> bool:
    """Whether job-api registers Flask-Caching (so ``CACHE_TYPE=NullCache`` turns it off)."""
    probe = "from job_api import create_app; print('cache' in create_app().extensions)"
    try:
        done = subprocess.run(
            [str(BIN / "python"), "-c", probe], env=dict(env), capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False
    return done.stdout.strip().endswith("True")


@contextlib.contextmanager
def fresh_database(bench: Bench, sqlite_file: Path) -> Iterator[str]:
    """An empty database's URL: ``sqlite_file`` (created afresh), or with
    ``BENCH_DATABASE_URL`` a new PostgreSQL database on that server, dropped afterwards."""
    server = bench.config.database_url
    if not server:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        sqlite_file.unlink(missing_ok=True)
        yield f"sqlite:///{sqlite_file}"
        return
    from conveyor_testing import postgres_database

    with contextlib.ExitStack() as exits:
        try:
            url = exits.enter_context(postgres_database(server))
        except Exception as error:
            raise Unavailable(f"cannot create a PostgreSQL database: {error}") from None
        yield url


class ConveyorStack:
    """One isolated Conveyor: its own database, Redis contents, keys and processes."""

    def __init__(self, bench: Bench, name: str, extra_env: Mapping[str, str] | None = None) -> None:
        self.bench = bench
        self.name = name
        self.extra_env = dict(extra_env or {})
        self.dir = bench.work_dir / "stacks" / name
        self.procs: list[Proc] = []
        self.workers: list[Proc] = []
        self.engine: Engine | None = None
        self.api_port = 0
        self.env: dict[str, str] = {}
        self._database = contextlib.ExitStack()
        self._private_pem = ""

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> ConveyorStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        reason = api_missing()
        if reason:
            raise Unavailable(reason)
        from conveyor_web import jwt_keys

        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.bench.flush_conveyor()
        database = self._make_database()
        self._private_pem, public_pem = jwt_keys.generate()
        self.env = self.bench.env(
            DATABASE_URL=database,
            REDIS_URL=self.bench.conveyor_url,
            VAR_DIR=str(self.dir),
            LOG_DIR=str(self.dir / "log"),
            JWT_PUBLIC_KEY=public_pem,
            JWT_PRIVATE_KEY=self._private_pem,
            **self.extra_env,
        )
        self._migrate()
        self.api_port = self.start_api("job-api", JOB_API_APP)
        # Autocommit reads: every poll sees the latest commit and never holds a lock (the
        # services' SQLite engine begins IMMEDIATE, which would block the workers' writes).
        self.engine = create_engine(database, isolation_level="AUTOCOMMIT")

    def _make_database(self) -> str:
        return self._database.enter_context(fresh_database(self.bench, self.dir / "jobs.db"))

    def _migrate(self) -> None:
        argv = [str(BIN / "flask"), "--app", "job_api", "db", "upgrade"]
        try:
            done = subprocess.run(
                argv, env=self.env, cwd=self.dir, capture_output=True, text=True, timeout=180
            )
        except subprocess.TimeoutExpired:
            raise Unavailable("`flask --app job_api db upgrade` took over 180 s") from None
        if done.returncode:
            tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
            raise Unavailable(f"job-api migrations failed: {tail[-300:]}")

    def start_api(self, name: str, app: str) -> int:
        """Serve ``app`` with the project's gunicorn settings; return its port."""
        port = free_port()
        argv, _source = gunicorn_argv(app, port, name)
        proc = Proc(f"{self.name}-{name}", argv, self.bench.log(f"{self.name}-{name}"), self.env)
        self.procs.append(proc)
        if not wait_answers(port, "/healthz", timeout=90):
            raise Unavailable(f"{name} did not answer /healthz: {proc.tail(3)[-300:]}")
        return port

    def close(self) -> None:
        stop_all(self.workers + self.procs)
        self.workers, self.procs = [], []
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        self._database.close()

    # -- clients ------------------------------------------------------------------------
    def token(self, user_id: int, tier: str = "free") -> str:
        from conveyor_testing import access_token

        return access_token(self._private_pem, user_id, tier=tier, ttl=24 * 3600)

    def client(self, user_id: int, port: int | None = None) -> Client:
        return Client(port or self.api_port, token=self.token(user_id))

    def submit(self, user_id: int, count: int, duration: float = 0.0) -> list[str]:
        """Submit ``count`` timed jobs in batches of 1,000; return their ids."""
        client = self.client(user_id)
        spec = {"type": "timed", "payload": {"duration_seconds": duration}}
        ids: list[str] = []
        try:
            for done in range(0, count, BATCH):
                body = {"jobs": [spec] * min(BATCH, count - done)}
                status, answer = client.request("POST", "/api/jobs/batch", body)
                if status != 201:
                    raise BenchError(f"POST /api/jobs/batch answered {status}: {answer}")
                ids += [job["id"] for job in answer["jobs"]]
        finally:
            client.close()
        return ids

    # -- workers ------------------------------------------------------------------------
    def start_workers(self, count: int, env: Mapping[str, str] | None = None) -> list[Proc]:
        """Start ``count`` more ``python -m worker`` processes (``env`` added to the stack's)."""
        reason = worker_missing()
        if reason:
            raise Unavailable(reason)
        start = len(self.workers)
        for number in range(start, start + count):
            name = f"{self.name}-worker-{number}"
            argv = [str(BIN / "python"), "-m", "worker"]
            proc = Proc(name, argv, self.bench.log(name), {**self.env, **(env or {})})
            self.workers.append(proc)
        return self.workers[start:]

    def stop_workers(self) -> None:
        stop_all(self.workers)
        self.workers = []

    def wait_workers_ready(self, count: int, timeout: float = 60.0) -> bool:
        """Wait until ``count`` workers have registered with RQ (``rq:workers``)."""
        connection = self.bench.conveyor_redis()
        try:

            def ready() -> bool:
                self._check_workers()
                return int(connection.scard("rq:workers")) >= count

            return wait_until(ready, timeout, interval=0.1)
        finally:
            connection.close()

    def _check_workers(self) -> None:
        if self.workers and not any(w.alive() for w in self.workers):
            raise BenchError(f"every worker exited: {self.workers[0].tail(3)[-400:]}")

    # -- the jobs table -------------------------------------------------------------------
    def counts(self, user_id: int) -> dict[str, int]:
        """Jobs of ``user_id`` per status."""
        from conveyor_core.jobs.models import Job

        assert self.engine is not None
        query = select(Job.status, func.count()).where(Job.user_id == user_id).group_by(Job.status)
        with self.engine.connect() as conn:
            return {str(status): int(n) for status, n in conn.execute(query)}

    def wait_finished(
        self, user_id: int, count: int, timeout: float, interval: float = 0.2
    ) -> None:
        """Wait until ``count`` of the user's jobs have finished; raise if they do not."""

        def finished() -> bool:
            self._check_workers()
            counts = self.counts(user_id)
            return sum(counts.get(s, 0) for s in FINISHED) >= count

        if not wait_until(finished, timeout, interval):
            raise BenchError(f"not finished in {timeout:.0f} s: {self.counts(user_id)}")

    def times(self, user_id: int) -> list[dict[str, Any]]:
        """Status and timestamps (epoch seconds) of every job of ``user_id``."""
        from conveyor_core.jobs.models import Job

        assert self.engine is not None
        columns = (Job.id, Job.status, Job.created_at, Job.started_at, Job.finished_at)
        with self.engine.connect() as conn:
            rows = conn.execute(select(*columns).where(Job.user_id == user_id)).all()
        return [
            {"id": r[0], "status": r[1], "created": _epoch(r[2]), "started": _epoch(r[3]),
             "finished": _epoch(r[4])}
            for r in rows
        ]  # fmt: skip


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else epoch(value)


@dataclass
class RedisTraffic:
    """What the workers asked of Redis per job during one throughput run."""

    round_trips: float
    """``total_reads_processed`` deltas: one read event per request or pipeline a client
    sends, so pipelined commands count once, as they cost one round trip."""
    commands: float


def _redis_counters(connection: redis.Redis) -> tuple[int, int]:
    """``(read events, commands)`` the server has processed so far."""
    stats = connection.info("stats")
    return int(stats.get("total_reads_processed", 0)), int(stats["total_commands_processed"])


def throughput(
    conveyor: ConveyorStack, user_id: int, jobs: int, workers: int, timeout: float
) -> tuple[float, RedisTraffic]:
    """Jobs/s of ``workers`` over ``jobs`` pre-submitted jobs, first start to last finish,
    and the Redis traffic per job from the workers' start to the last job's end."""
    conveyor.submit(user_id, jobs)
    connection = conveyor.bench.conveyor_redis()
    before = _redis_counters(connection)
    conveyor.start_workers(workers)
    started = time.monotonic()
    try:
        conveyor.wait_finished(user_id, jobs, timeout)
        after = _redis_counters(connection)
    finally:
        conveyor.stop_workers()
        connection.close()
    rows = conveyor.times(user_id)
    failed = [r for r in rows if r["status"] != "completed"]
    if failed:
        raise BenchError(f"{len(failed)} of {jobs} jobs did not complete ({failed[0]['status']})")
    starts = [r["started"] for r in rows if r["started"] is not None]
    ends = [r["finished"] for r in rows if r["finished"] is not None]
    if not starts or not ends:
        raise BenchError("the jobs table holds no started_at/finished_at")
    elapsed = max(ends) - min(starts)
    if elapsed <= 0:
        elapsed = time.monotonic() - started
    # The bench's own polling (wait_finished reads SQL, not Redis) adds nothing here; the
    # two INFO calls add one read each.
    traffic = RedisTraffic((after[0] - before[0] - 1) / jobs, (after[1] - before[1] - 1) / jobs)
    return jobs / elapsed, traffic
