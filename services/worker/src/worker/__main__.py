"""``python -m worker``: run one RQ worker process (run several for more throughput)."""

from __future__ import annotations

import argparse
import logging
import sys

from conveyor_core import logs

from . import runtime, settings
from .process import ConveyorWorker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--name", help="worker name (default: host.pid.random)")
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    args = parser.parse_args(argv)
    config = settings.load()
    logs.configure(settings.SERVICE, config["LOG_LEVEL"], config.get("LOG_DIR"))
    rt = runtime.configure(config)
    worker = ConveyorWorker.create(rt, args.name)
    logging.getLogger(__name__).info("worker starting", extra={"worker": worker.name})
    try:
        worker.work(burst=args.burst, with_scheduler=True, logging_level=config["LOG_LEVEL"])
    finally:
        runtime.reset()
    return 0


if __name__ == "__main__":
    sys.exit(main())
