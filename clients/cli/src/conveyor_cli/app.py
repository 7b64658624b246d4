"""The state one ``conveyor`` command runs with: options common to every command, the
token store, the API client and the output mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import click

from .client import DEFAULT_URL, Api, normalize_url
from .credentials import TokenStore, config_dir
from .errors import UsageProblem
from .output import Printer

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    url_option: str | None = None
    as_json: bool = False
    quiet: bool = False

    @cached_property
    def store(self) -> TokenStore:
        return TokenStore(config_dir())

    @cached_property
    def url(self) -> str:
        """``--url`` or ``$CONVEYOR_URL``, else the server of the latest login, else local."""
        return normalize_url(self.url_option or self.store.current_url() or DEFAULT_URL)

    @cached_property
    def api(self) -> Api:
        api = Api(self.url, self.store)
        click.get_current_context().call_on_close(api.close)
        return api

    @cached_property
    def printer(self) -> Printer:
        if self.as_json and self.quiet:
            raise UsageProblem("give --json or --quiet, not both")
        return Printer(as_json=self.as_json, quiet=self.quiet)


pass_app = click.make_pass_decorator(App, ensure=True)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    app = ctx.ensure_object(App)
    if value:  # an option given at the group level is not undone by the command's default
        setattr(app, {"url": "url_option", "json": "as_json"}.get(str(param.name), str(param.name)),
                value)  # fmt: skip
    return value


def common_options(function: F) -> F:
    """Add ``--url``, ``--json`` and ``--quiet`` (to the group and to every command)."""
    options = [
        click.option("--url", envvar="CONVEYOR_URL", metavar="URL", expose_value=False,
                     callback=_remember, is_eager=True,
                     help=f"Server (default: $CONVEYOR_URL, the latest login's, {DEFAULT_URL})."),
        click.option("--json", is_flag=True, expose_value=False, callback=_remember,
                     help="Print the API's JSON."),
        click.option("--quiet", "-q", is_flag=True, expose_value=False, callback=_remember,
                     help="Print ids only."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function
