"""``flask --app user_service create-admin USERNAME EMAIL PASSWORD``."""

from __future__ import annotations

import click
import marshmallow as ma
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from conveyor_web.errors import Conflict

from . import accounts, caching, tokens
from .extensions import db
from .models import User
from .resources.users.schemas import SignupSchema


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.argument("email")
@click.argument("password")
def create_admin(username: str, email: str, password: str) -> None:
    """Create an admin account, or make the existing user USERNAME an admin."""
    try:
        data = SignupSchema().load({"username": username, "email": email, "password": password})
    except ma.ValidationError as error:
        raise click.ClickException(f"invalid input: {error.messages}") from None
    user = db.session.scalar(select(User).where(User.username == data["username"]))
    if user is None:
        try:
            user = accounts.create_user(
                data["username"], data["email"], data["password"], role="admin"
            )
        except Conflict as error:
            raise click.ClickException(f"{error.detail} {error.errors}") from None
        click.echo(f"created admin {user.username} (id {user.id})")
        return
    if user.role != "admin":
        user.role = "admin"
        db.session.commit()
        caching.invalidate(user.id)
        tokens.revoke_sessions(user.id)  # old tokens still say "user"
    click.echo(f"{user.username} (id {user.id}) is an admin")


def init_app(app: Flask) -> None:
    """Register the service's CLI commands."""
    app.cli.add_command(create_admin)
