"""``/api/events``: live job events for the signed-in user, as Server-Sent Events."""

from .routes import blp

__all__ = ["blp"]
