"""A supervisord event listener: a program that crashes more than ``LIMIT`` times in a
minute is stopped, with a loud line, and the rest of the stack keeps running.

supervisord itself bounds only failed starts (``startretries``); a program that crashes
after a healthy start is restarted forever. This listener adds the per-minute bound,
through supervisord's own event protocol (``supervisor.childutils``).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict, deque

from supervisor import childutils

LIMIT = 10
"""Unexpected exits of one program within ``WINDOW`` seconds that make it be stopped."""

WINDOW = 60.0


def crashed_too_often(exits: deque[float], now: float) -> bool:
    """Record one crash at ``now``; return whether the last minute now holds too many."""
    exits.append(now)
    while exits and exits[0] < now - WINDOW:
        exits.popleft()
    return len(exits) > LIMIT


def main() -> None:
    exits: defaultdict[str, deque[float]] = defaultdict(deque)
    rpc = childutils.getRPCInterface(os.environ)
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        fields, _ = childutils.eventdata(payload + "\n")
        unexpected = headers["eventname"] == "PROCESS_STATE_EXITED" and fields["expected"] == "0"
        name = fields.get("processname", "")
        if unexpected and crashed_too_often(exits[name], time.monotonic()):
            message = (f"[conveyor] {name} crashed more than {LIMIT} times in {WINDOW:.0f} s: "
                       "stopped, the rest keeps running; see var/log/supervisord.log, then "
                       f"`make restart NAME={name}`")  # fmt: skip
            print(message, file=sys.stderr, flush=True)
            rpc.supervisor.stopProcess(name, False)
            exits[name].clear()
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
