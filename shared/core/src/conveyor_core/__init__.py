"""Conveyor's job engine: the SQL record of jobs and schedules, fair dispatch, runs and
their recovery, event streams, logging. No Flask: the worker and the notifier run on it."""
