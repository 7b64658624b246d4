"""``/api/jobs``: submit, list, inspect, cancel, retry, delete and download jobs."""

from .routes import blp

__all__ = ["blp"]
