"""Conveyor's benchmark suite: ``python -m bench`` (``make bench``).

Measures Conveyor against bare RQ (``Worker`` and ``SimpleWorker``), Celery (solo pool) and
BullMQ in one run, on a private Redis, and writes ``var/reports/bench.md`` and ``bench.json``.
Settings come from ``BENCH_*`` environment variables (see :mod:`bench.config`).
"""
