"""``/api/auth``: login, refresh-token rotation, logout."""

from .routes import blp

__all__ = ["blp"]
