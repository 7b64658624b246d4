"""``conveyor login`` and ``conveyor logout``."""

from __future__ import annotations

import click

from .app import App, common_options, pass_app
from .errors import ExitCode, Refused, ServerProblem


@click.command()
@click.option("--username", "-u", prompt=True, help="Username, or email (anything with an @).")
@click.option("--password", envvar="CONVEYOR_PASSWORD", prompt=True, hide_input=True,
              help="Password (default: $CONVEYOR_PASSWORD, else asked for).")  # fmt: skip
@common_options
@pass_app
def login(app: App, username: str, password: str) -> int:
    """Sign in and keep the tokens for this server."""
    pair = app.api.login(username, password)
    # Tokens stay in the token file: printing them would put them in logs and history.
    shown = {"url": app.url, "username": username, "token_type": pair.get("token_type"),
             "expires_in": pair.get("expires_in"), "token_file": str(app.store.path)}  # fmt: skip
    app.printer.result(
        shown, [username], lambda _: app.printer.say(f"Signed in to {app.url} as {username}.")
    )
    return ExitCode.OK


@click.command()
@common_options
@pass_app
def logout(app: App) -> int:
    """End the session on the server and forget its tokens."""
    session = app.api.session()
    try:
        app.api.call("POST", "/api/auth/logout")
    except Refused:
        pass  # the session had already ended on the server (expired, revoked)
    except ServerProblem as error:
        raise ServerProblem(
            f"{error.message}; the tokens were forgotten here but not revoked on the server"
        ) from None
    finally:
        app.store.remove(app.url)
    app.printer.result(
        {"url": app.url, "username": session.username},
        [session.username],
        lambda _: app.printer.say(f"Signed out of {app.url}."),
    )
    return ExitCode.OK
