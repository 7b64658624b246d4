"""``/api/users``: sign-up, the user list, one user."""

from .routes import blp

__all__ = ["blp"]
