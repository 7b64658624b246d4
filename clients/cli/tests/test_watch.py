"""watch: live progress bars from /api/events, resuming streams, Ctrl-C."""

from __future__ import annotations

import re
import signal

from conftest import COMMAND_TIMEOUT, Cli, read_until

LONG = '{"duration_seconds": 120}'
"""A job that outlasts any test; the test cancels it (the stack has one worker)."""


def test_watch_draws_a_bar_that_reaches_100_percent(signed_in: Cli) -> None:
    job_id = signed_in.submit('{"duration_seconds": 1.5}')
    done = signed_in.run("watch", job_id)
    assert done.returncode == 0, done.stderr
    assert re.search(rf"{job_id[:8]} timed ━+\s+100% completed", done.stdout), done.stdout


def test_watch_resumes_with_the_last_event_id_when_the_stream_ends(signed_in: Cli) -> None:
    # The test stack ends every stream after 2 s (EVENTS_MAX_STREAM_SECONDS).
    job_id = signed_in.submit(LONG)
    with signed_in.start("watch", job_id, CONVEYOR_DEBUG="1") as watching:
        read_until(watching.stdout, f"{job_id[:8]} timed running")
        read_until(watching.stderr, "reopening it with Last-Event-ID ")
        # What happens after the reconnection still reaches the watcher.
        assert signed_in.run("cancel", job_id).returncode == 0
        assert watching.wait(timeout=COMMAND_TIMEOUT) == 3
        assert watching.stdout is not None
        assert f"{job_id[:8]} timed canceled" in watching.stdout.read().decode()


def test_watch_without_ids_follows_every_unfinished_job(signed_in: Cli) -> None:
    # The stack has one worker: the first job runs while the second waits in line.
    running = signed_in.submit(LONG)
    waiting = signed_in.submit(LONG)
    with signed_in.start("watch") as watching:
        read_until(watching.stdout, f"{running[:8]} timed running", f"{waiting[:8]} timed queued")
        for job_id in (waiting, running):
            assert signed_in.run("cancel", job_id).returncode == 0
        assert watching.wait(timeout=COMMAND_TIMEOUT) == 3


def test_watch_shows_a_queued_jobs_place_in_line(signed_in: Cli) -> None:
    running = signed_in.submit(LONG)
    waiting = signed_in.submit(LONG, "--priority", "low")
    with signed_in.start("watch", waiting) as watching:
        read_until(watching.stdout, f"{waiting[:8]} timed queued (#1 in line)")
        for job_id in (waiting, running):
            assert signed_in.run("cancel", job_id).returncode == 0
        assert watching.wait(timeout=COMMAND_TIMEOUT) == 3


def test_watch_exits_1_when_a_watched_job_failed(signed_in: Cli) -> None:
    ok = signed_in.submit('{"duration_seconds": 0.2}')
    failing = signed_in.submit(
        '{"duration_seconds": 0.2, "fail_attempts": 1}', "--max-retries", "0"
    )
    done = signed_in.run("watch", ok, failing)
    assert done.returncode == 1
    assert "failing attempt 1" in done.stdout


def test_ctrl_c_exits_130_and_leaves_the_job_running(signed_in: Cli) -> None:
    job_id = signed_in.submit(LONG)
    with signed_in.start("watch", job_id) as watching:
        read_until(watching.stdout, f"{job_id[:8]} timed running")
        watching.send_signal(signal.SIGINT)
        assert watching.wait(timeout=COMMAND_TIMEOUT) == 130
        assert watching.stderr is not None
        assert b"no job was canceled" in watching.stderr.read()
    assert signed_in.job(job_id)["status"] == "running"
    signed_in.run("cancel", job_id)  # frees the stack's one worker for the next test
