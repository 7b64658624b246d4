"""(a) The ceiling the SQL record sets on a worker: each job's claim and completion, each
committed, as the worker runs them (``runs.claim``, ``runs.complete``, its engine and
session settings), and nothing else: no Redis, no handler, no events, no logging.

A Conveyor worker cannot run more jobs a second than this: it is the row ``GET
/api/jobs/{id}`` reads, what crash recovery trusts, and what the job's events and emails
wait for. Celery solo keeps no such record, so its whole job can cost less than this part
of Conveyor's. Timed from the first claim to the last commit, over the processes together.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

from .. import conveyor_runner
from ..context import Bench
from ..exceptions import BenchError

SYSTEM = "Conveyor's SQL record alone (claim + completion)"
"""The row of (a) that is the ceiling of Conveyor's per-process throughput."""

CHUNK = 1000
"""Rows inserted per statement while the jobs are set up."""


def _submitted(url: str, count: int) -> list[tuple[str, str]]:
    """Queued rows as job-api writes them; their ``(job id, run id)``."""
    from conveyor_core.jobs import store
    from conveyor_core.jobs.db import make_engine
    from conveyor_core.jobs.models import Base, utcnow

    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        spec = store.NewJob(user_id=1, type="timed", payload={"duration_seconds": 0},
                            priority="normal", max_retries=0, timeout_seconds=60,
                            notify_email=False, notify_to=None, owner_name="bench",
                            request_id=None, run_at=None)  # fmt: skip
        jobs = [store.build(spec, utcnow()) for _ in range(count)]
        for start in range(0, count, CHUNK):
            with engine.begin() as connection:
                store.insert(connection, jobs[start : start + CHUNK])
        return [(job.id, job.run_id) for job in jobs if job.run_id]
    finally:
        engine.dispose()


def _work(url: str, runs_of_mine: list[tuple[str, str]], go: object, out: object) -> None:
    """One process's share, run as the worker runs a job's two records."""
    from sqlalchemy.orm import sessionmaker

    from conveyor_core.jobs import runs
    from conveyor_core.jobs.db import make_engine
    from conveyor_core.jobs.models import utcnow

    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    worker = f"record-{uuid.uuid4().hex[:8]}"
    with sessions() as session:  # a first connection before the clock starts
        session.connection()
    go.wait()  # type: ignore[attr-defined]
    began = time.time()
    try:
        for job_id, run_id in runs_of_mine:
            with sessions() as session:
                claimed = runs.claim(session, job_id, run_id, worker, utcnow())
                session.commit()
            with sessions() as session:
                done = runs.complete(session, job_id, run_id, result=None, elapsed=0.0,
                                     now=utcnow())  # fmt: skip
                session.commit()
            if claimed is None or done is None:
                raise BenchError(f"job {job_id}: claimed {claimed}, completed {done}")
    except Exception as error:
        out.put(f"{type(error).__name__}: {error}")  # type: ignore[attr-defined]
        raise
    finally:
        engine.dispose()
    out.put((began, time.time()))  # type: ignore[attr-defined]


def jobs_per_second(bench: Bench, processes: int, rep: int) -> float:
    """Jobs a second the SQL record allows ``processes`` workers together."""
    count = bench.config.jobs
    database = bench.work_dir / "record" / f"{processes}-{rep}" / "record.db"
    with conveyor_runner.fresh_database(bench, database) as url:
        pairs = _submitted(url, count)
        spawn = multiprocessing.get_context("spawn")
        go, out = spawn.Event(), spawn.Queue()
        children = [
            spawn.Process(target=_work, args=(url, pairs[n::processes], go, out))
            for n in range(processes)
        ]
        for child in children:
            child.start()
        try:
            go.set()
            spans = [out.get(timeout=bench.config.run_timeout) for _ in children]
        finally:
            for child in children:
                child.join(timeout=60)
                if child.is_alive():
                    child.kill()
        failed = [span for span in spans if isinstance(span, str)]
        if failed:
            raise BenchError(f"a record process failed: {failed[0]}")
        seconds = max(end for _, end in spans) - min(start for start, _ in spans)
        return count / seconds
