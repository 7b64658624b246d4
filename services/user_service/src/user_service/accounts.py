"""Account rules: sign-up, login, changes and deletion, independent of HTTP."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from conveyor_web.auth import Principal
from conveyor_web.errors import Conflict, Forbidden, NotFound, Unprocessable

from . import caching, passwords, side_effects, throttle, tokens
from .exceptions import InvalidCredentials
from .extensions import db
from .models import MAX_ID, User

BAD_CREDENTIALS = "Invalid username, email or password."
"""The one answer for an unknown user and a wrong password alike."""

ADMIN_FIELDS = ("role", "tier")
"""Fields only an admin may change."""


def _check_unique(username: str | None, email: str | None, exclude: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if username is not None:
        found = db.session.scalar(select(User.id).where(User.username == username))
        if found is not None and found != exclude:
            errors["username"] = ["This username is already taken."]
    if email is not None:
        found = db.session.scalar(select(User.id).where(User.email == email))
        if found is not None and found != exclude:
            errors["email"] = ["This email is already registered."]
    if errors:
        raise Conflict("The username or email is already in use.", errors)


def create_user(
    username: str, email: str, password: str, role: str = "user", tier: str = "free"
) -> User:
    """Store a new account (inputs already validated and lower-cased) and send the welcome."""
    _check_unique(username, email)
    user = User(
        username=username,
        email=email,
        password_hash=passwords.hash_password(password),
        role=role,
        tier=tier,
    )
    db.session.add(user)
    db.session.commit()  # a racing duplicate fails here: IntegrityError -> 409
    caching.invalidate(user.id)
    side_effects.tier_known(user)
    side_effects.send_welcome(user)
    return user


def find_user(user_id: int) -> User:
    """Return the user or raise ``NotFound``."""
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound("User not found.")
    return user


def authenticate(
    password: str, address: str, *, username: str | None = None, email: str | None = None
) -> User:
    """Check credentials under the failed-login limits; rehash if the parameters changed."""
    column, value = (User.username, username) if username is not None else (User.email, email)
    user = db.session.scalar(select(User).where(column == (value or "").lower()))
    account = str(user.id) if user else f"name:{(value or '').lower()}"
    config = current_app.config
    throttle.check(account, address, config)
    if user is None:
        passwords.burn_time(password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    if user is None or not ok:
        throttle.record_failure(account, address, int(config["LOGIN_FAILURE_WINDOW"]))
        raise InvalidCredentials(BAD_CREDENTIALS)
    throttle.reset_account(account)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        db.session.commit()
    return user


def check_owner_or_admin(caller: Principal, user: User) -> None:
    """Only the account's owner or an admin may change or delete it."""
    if caller.id != user.id and not caller.is_admin:
        raise Forbidden("You may only change your own account.")


def _check_current_password(user: User, current: str | None) -> None:
    """Owners re-prove who they are before setting a new password (admins need not)."""
    if current is None:
        raise Unprocessable(
            "The current password is required to set a new one.",
            {"current_password": ["Required when changing the password."]},
        )
    if not passwords.verify_password(user.password_hash, current):
        raise Forbidden("The current password is wrong.", {"current_password": ["Wrong password."]})


def update_user(caller: Principal, user: User, changes: dict[str, Any], sid: str | None) -> User:
    """Apply a validated PATCH; a new password ends the user's other sessions, a new role all
    of them. A new tier ends none: the dispatcher reads it from its own record (set here), and
    the token's ``tier`` claim catches up at the next refresh."""
    check_owner_or_admin(caller, user)
    admin_only = sorted(field for field in ADMIN_FIELDS if field in changes)
    if admin_only and not caller.is_admin:
        raise Forbidden(
            "Only an admin may change these fields.",
            {field: ["Only an admin may change this field."] for field in admin_only},
        )
    password = changes.get("password")
    if password is not None and password.lower() == changes.get("username", user.username):
        raise Unprocessable(
            "The password may not equal the username.",
            {"password": ["The password may not equal the username."]},
        )
    if password is not None and caller.id == user.id:
        _check_current_password(user, changes.get("current_password"))
    _check_unique(changes.get("username"), changes.get("email"), exclude=user.id)
    role_changed = "role" in changes and changes["role"] != user.role
    for field in ("username", "email", "role", "tier"):
        if field in changes:
            setattr(user, field, changes[field])
    if password is not None:
        user.password_hash = passwords.hash_password(password)
    db.session.commit()
    caching.invalidate(user.id)
    if "tier" in changes:
        side_effects.tier_known(user)
    if password is not None or role_changed:
        # Tokens carry the role; a stolen session must not outlive a new password. The caller
        # keeps their own session for a new password, never for a new role: its token still
        # says the old one (an admin demoting themself would stay admin).
        own = caller.id == user.id and not role_changed
        tokens.revoke_sessions(user.id, keep=sid if own else None)
    return user


def delete_user(caller: Principal, user: User) -> None:
    """Delete the account, void all its tokens, and run the deletion hook."""
    check_owner_or_admin(caller, user)
    user_id = user.id
    db.session.delete(user)
    db.session.commit()
    tokens.revoke_user(user_id)
    caching.invalidate(user_id)
    side_effects.user_deleted(user_id)
