"""``/api/jobs``: submit, list, inspect, cancel, retry, delete and download jobs."""

from . import timeline  # noqa: F401  (adds GET /api/jobs/{id}/events to the blueprint)
from .routes import blp

__all__ = ["blp"]
