"""What job-api and the workers share about jobs: the SQL record, its transitions, the RQ
queues and Redis keys, and the reconciler that keeps Redis in step with SQL.

The SQL row (:mod:`.models`) is the durable truth for a job's status, attempts, progress,
result, error and timestamps; RQ only carries the work. Every change of status is a
conditional ``UPDATE`` in :mod:`.store` (a row and its owner's changes) or :mod:`.runs` (a
run's claim, progress and end), so two processes racing on one job (a duplicate delivery from
RQ's scheduler, a cancel during a claim, a sweep during a finish) cannot both win. See
:mod:`.reconcile` for how accepted jobs survive crashes and Redis flushes.
"""
