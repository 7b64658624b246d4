"""``python -m worker``: run one RQ worker process (run several for more throughput)."""

from __future__ import annotations

import argparse
import logging
import sys

from conveyor_core import logs

from . import config, runtime
from .process import ConveyorWorker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--name", help="worker name (default: host.pid.random)")
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    args = parser.parse_args(argv)
    settings = config.load()
    logs.configure(config.SERVICE, settings["LOG_LEVEL"], settings.get("LOG_DIR"))
    rt = runtime.configure(settings)
    worker = ConveyorWorker.create(rt, args.name)
    logging.getLogger(__name__).info("worker starting", extra={"worker": worker.name})
    try:
        worker.work(burst=args.burst, with_scheduler=True, logging_level=settings["LOG_LEVEL"])
    finally:
        runtime.reset()
    return 0


if __name__ == "__main__":
    sys.exit(main())
