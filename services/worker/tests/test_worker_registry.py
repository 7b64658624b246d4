"""What RQ's own admin tools show of the fleet, read with the real ``rq info`` CLI: the
queues with work waiting, the workers alive, and what each of them ran."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conveyor_core.jobs.models import Job, utcnow
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

RQ = str(Path(sys.executable).parent / "rq")
WORKER_LINE = re.compile(r"^worker (\S+) \(.*\) (\S+) .*jobs: (\d+) finished, (\d+) failed$")


@dataclass(frozen=True)
class Listed:
    """A worker as ``rq info`` lists it."""

    name: str
    state: str
    finished: int
    failed: int


def _rq_info(redis_url: str, *flags: str) -> list[str]:
    done = subprocess.run(
        [RQ, "info", "--url", redis_url, "--raw", *flags],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.splitlines()


def _queues(redis_url: str) -> set[str]:
    return {line.split()[1] for line in _rq_info(redis_url, "--only-queues")}


def _workers(redis_url: str) -> dict[str, Listed]:
    listed = {}
    for line in _rq_info(redis_url, "--only-workers"):
        match = WORKER_LINE.match(line)
        assert match, line
        name, state, finished, failed = match.groups()
        listed[name] = Listed(name, state, int(finished), int(failed))
    return listed


def _pid(name: str) -> int:
    return int(name.split(".")[-2])


def _completed(row: Callable[[str], Job], jobs: list[Job]) -> Callable[[], bool]:
    return lambda: all(row(job.id).status in ("completed", "failed") for job in jobs)


def test_only_queues_with_work_waiting_are_listed(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet, redis_url: str
) -> None:
    workers.start(2)
    jobs = [submit({"duration_seconds": 0}, user_id=user) for user in range(1, 101)]
    wait_for(_completed(row, jobs), timeout=60, what="100 users' jobs")
    workers.stop()
    assert {q for q in _queues(redis_url) if q.startswith("user.")} == set()
    submit({"duration_seconds": 0}, user_id=7, priority="high")  # user 7 comes back
    assert {q for q in _queues(redis_url) if q.startswith("user.")} == {"user.7.high"}


def test_killed_worker_leaves_the_listing_within_a_sweep(
    workers: WorkerFleet, redis_url: str
) -> None:
    workers.start(2)
    victim, survivor = sorted(_workers(redis_url))
    os.kill(_pid(victim), signal.SIGKILL)
    # Its alive key lapses after the lease (2 s here); the survivor's next sweep drops it.
    wait_for(lambda: victim not in _workers(redis_url), timeout=10, what="the dead worker to go")
    assert survivor in _workers(redis_url)


def test_stopped_worker_leaves_the_listing_as_it_exits(
    workers: WorkerFleet, redis_url: str
) -> None:
    (process,) = workers.start(1)
    (name,) = _workers(redis_url)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert name not in _workers(redis_url)


def test_busy_worker_stays_listed_through_a_job_longer_than_the_lease(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet, redis_url: str
) -> None:
    workers.start(1)
    job = submit({"duration_seconds": 12})
    started = wait_for(lambda: row(job.id).started_at, what="job to run")
    submit({"duration_seconds": 0}, user_id=2)  # waits: `rq info` lists user 2's queue
    # Past a lease (2 s) and a sweep (0.5 s): only the monitor's beats keep the worker listed.
    wait_for(lambda: (utcnow() - started).total_seconds() > 3, what="a lease to pass")
    queues, listed = _queues(redis_url), _workers(redis_url)
    assert row(job.id).status == "running"  # both listings were read while it ran
    assert "user.2.normal" in queues
    assert listed.keys() == {row(job.id).worker_name}


def test_counts_are_the_jobs_each_worker_ran(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet, redis_url: str
) -> None:
    workers.start(1)
    jobs = [submit({"duration_seconds": 0}, user_id=u) for u in (1, 2, 3)]
    jobs += [submit({"duration_seconds": 0, "fail_attempts": 9}, user_id=4, max_retries=0)]
    wait_for(_completed(row, jobs), timeout=30, what="the jobs to end")
    (listed,) = _workers(redis_url).values()
    assert (listed.finished, listed.failed) == (3, 1)
