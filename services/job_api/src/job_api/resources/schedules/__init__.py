"""``/api/schedules``: create, list, change, delete and run recurring jobs."""

from .routes import blp

__all__ = ["blp"]
