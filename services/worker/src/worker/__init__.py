"""Conveyor worker: one RQ worker process that runs jobs one at a time.

Design: a ``SimpleWorker`` subclass (no fork per job, see :mod:`.process`) whose job runs in
the main thread while a monitor thread (:mod:`.monitor`) renews the job's lease, enforces
its timeout, stops it on cancel or shutdown (by a signal that raises in the job), and runs
the reconciler sweep that recovers jobs of dead workers.
"""
