"""``flask --app user_service create-admin USERNAME EMAIL PASSWORD``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from users_helpers import PASSWORD

from user_service.extensions import db
from user_service.models import User


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["create-admin", *args])


def role_of(app: Flask, username: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(User.role).where(User.username == username)))


def test_create_admin_makes_a_new_admin(app: Flask) -> None:
    result = run(app, "Root", "root@example.com", PASSWORD)
    assert result.exit_code == 0, result.output
    assert role_of(app, "root") == "admin"


def test_create_admin_promotes_an_existing_user(app: Flask, signup: Callable[..., Any]) -> None:
    signup("alice")
    assert run(app, "alice", "alice@example.com", PASSWORD).exit_code == 0
    assert role_of(app, "alice") == "admin"


def test_create_admin_rejects_bad_input(app: Flask) -> None:
    result = run(app, "x", "not-an-email", "short")
    assert result.exit_code != 0
    assert "username" in result.output
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_create_admin_refuses_a_taken_email(app: Flask, signup: Callable[..., Any]) -> None:
    signup("alice")
    result = run(app, "root", "alice@example.com", PASSWORD)
    assert result.exit_code != 0
    assert role_of(app, "alice") == "user"
