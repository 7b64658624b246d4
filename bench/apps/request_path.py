"""Conveyor's request path with nothing stored: the ceiling ``POST /api/jobs`` can reach.

job-api's own app, routes and settings, with one part swapped: its group commit
(:mod:`job_api.group_commit`) gets a handler that stores nothing and queues nothing. A
``POST /api/jobs`` without an ``Idempotency-Key`` is then checked (token, revocation,
schema), built and rendered exactly as job-api does it, but no SQL row is written and nothing
reaches RQ: storing and queueing can only add to its cost.

``gunicorn 'bench.apps.request_path:create_app()'`` with job-api's environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask

import job_api
from job_api import group_commit


def _store_nothing(_group: Sequence[Any]) -> Mapping[str, int]:
    """Stand in for job-api's commit: no row, no push, so no place in any line."""
    return {}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build job-api's app with a group commit that stores nothing."""
    app = job_api.create_app(config)
    group_commit.init_app(app, _store_nothing)  # replaces job-api's commit_group
    return app
