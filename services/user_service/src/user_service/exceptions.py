"""Errors raised by user-service's domain code (the API turns them into problems)."""

from __future__ import annotations


class UserServiceError(Exception):
    """Root of every error user-service raises on purpose."""

    status = 400

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Invalid(UserServiceError):
    """The request is well-formed but cannot be accepted as it is."""

    status = 422


class Conflict(UserServiceError):
    """A username or email is already taken."""

    status = 409


class Forbidden(UserServiceError):
    """The caller may not do this to this account."""

    status = 403


class NotFound(UserServiceError):
    """No such user."""

    status = 404


class InvalidCredentials(UserServiceError):
    """Login or refresh failed; the message never says which part was wrong."""

    status = 401


class TooManyAttempts(UserServiceError):
    """Too many failed logins for this account or address."""

    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
