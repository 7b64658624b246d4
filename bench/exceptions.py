"""Errors of the bench: one root, and the one that turns a row into "not available"."""

from __future__ import annotations


class BenchError(Exception):
    """Root of every error the bench raises on purpose."""


class Unavailable(BenchError):
    """A piece a measurement needs is missing or broken; the row says why instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
