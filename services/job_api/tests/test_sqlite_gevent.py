"""SQLite under gevent, as job-api's gunicorn workers run it: a greenlet waiting for the write
lock lets the others run, the greenlet holding the lock among them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey

    monkey.patch_all()

    import json, sys, time
    import gevent
    from sqlalchemy import text
    from conveyor_core.jobs.db import make_engine

    engine = make_engine(sys.argv[1])
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE things (name TEXT)"))
    holding, ticks, order = gevent.event.Event(), [0], []

    def holder():
        with engine.begin() as connection:  # the write lock, held across I/O
            connection.execute(text("INSERT INTO things VALUES ('holder')"))
            holding.set()
            gevent.sleep(0.3)  # stands for a Redis round trip inside the transaction
            order.append("holder")

    def writer():
        holding.wait()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO things VALUES ('writer')"))
        order.append("writer")

    def ticker():
        while len(order) < 2:
            ticks[0] += 1
            gevent.sleep(0.01)

    started = time.monotonic()
    gevent.joinall([gevent.spawn(f) for f in (holder, writer, ticker)], timeout=60)
    print(json.dumps({"order": order, "ticks": ticks[0], "seconds": time.monotonic() - started}))
    """
)


def test_a_waiting_writer_does_not_stall_the_other_greenlets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gevent.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["order"] == ["holder", "writer"]
    # The writer waited for the holder's commit without blocking the hub: the holder's
    # 0.3 s of I/O ran meanwhile (in C, the wait would stall all three for the busy
    # timeout, 30 s), and the ticker kept ticking.
    assert outcome["seconds"] < 20
    assert outcome["ticks"] >= 5
