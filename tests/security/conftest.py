"""The security suite's fixtures live in :mod:`world`; registered here for pytest."""

from .world import apps, database_urls, world

__all__ = ["apps", "database_urls", "world"]
