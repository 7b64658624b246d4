"""``/api/queue``: the caller's place in the queue; for admins, the whole fleet."""

from .routes import blp

__all__ = ["blp"]
