"""The systems Conveyor is compared with: bare RQ, Celery and BullMQ.

Each module offers the same three measurements: ``throughput`` (jobs per second over
pre-submitted no-op jobs, first start to last end, as the systems' own timestamps say),
``latency`` (sequential jobs on an idle worker) and ``enqueue`` (library submit rates).
"""
