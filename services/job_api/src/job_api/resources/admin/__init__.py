"""``/api/admin``: figures over every user's jobs for the dashboard's operator view."""

from .routes import blp

__all__ = ["blp"]
