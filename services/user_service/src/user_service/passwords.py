"""argon2id password hashing with parameters from config (rehash on login when they change)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

EXTENSION = "user_service_passwords"
"""Key of the hasher in ``app.extensions``."""

DEFAULTS = {"ARGON2_TIME_COST": 3, "ARGON2_MEMORY_COST": 65536, "ARGON2_PARALLELISM": 4}
"""argon2-cffi's RFC 9106 low-memory profile; tests lower them to stay fast."""


def init_app(app: Flask) -> None:
    """Build the hasher from ``ARGON2_*`` settings."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    hasher = PasswordHasher(
        time_cost=int(app.config["ARGON2_TIME_COST"]),
        memory_cost=int(app.config["ARGON2_MEMORY_COST"]),
        parallelism=int(app.config["ARGON2_PARALLELISM"]),
    )
    app.extensions[EXTENSION] = hasher
    # Hashed once so that a login for an unknown user costs as much as a real one.
    app.extensions[EXTENSION + "_dummy"] = hasher.hash("not a real password")


def _hasher() -> PasswordHasher:
    hasher: PasswordHasher = current_app.extensions[EXTENSION]
    return hasher


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``stored_hash`` (never raises on a mismatch)."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Verify against a dummy hash, so unknown users cannot be told apart by timing."""
    verify_password(current_app.extensions[EXTENSION + "_dummy"], password)


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether ``stored_hash`` was made with other parameters than the current ones."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
