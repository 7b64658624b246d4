"""The ``conveyor`` command: its commands, and one place that turns every failure into a
message on stderr and the exit code SPEC section 7 gives it, never a traceback."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click
import httpx

from . import __version__
from .app import common_options
from .auth import login, logout
from .errors import INTERRUPTED_MESSAGE, CliError, ExitCode
from .jobs import cancel, download, list_jobs, retry, show, submit, watch
from .schedules import schedules


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conveyor")
@common_options
def cli() -> None:
    """Conveyor from the command line.

    Exit codes: 0 success (with --wait: completed), 1 job failed, 2 usage error,
    3 job canceled, 4 not signed in or refused, 5 server or network error.
    """


for command in (login, logout, submit, list_jobs, show, watch, cancel, retry, download, schedules):
    cli.add_command(command)


def _fail(lines: list[str], code: int) -> NoReturn:
    for line in lines:
        print(f"conveyor: {line}" if not line.startswith(" ") else line, file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run one command and exit with its code."""
    try:
        code = cli.main(args=argv, prog_name="conveyor", standalone_mode=False)
    except CliError as error:
        _fail(error.lines(), error.exit_code)
    except click.ClickException as error:  # bad options and arguments: usage errors
        error.show()
        sys.exit(ExitCode.USAGE)
    except click.exceptions.Abort as error:
        if isinstance(error.__cause__, EOFError):  # a prompt with nothing on stdin
            _fail(["no input to answer a prompt (set CONVEYOR_PASSWORD?)"], ExitCode.USAGE)
        _fail([INTERRUPTED_MESSAGE], ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        _fail([INTERRUPTED_MESSAGE], ExitCode.INTERRUPTED)
    except httpx.TransportError as error:
        _fail([f"network error: {error or type(error).__name__}"], ExitCode.SERVER)
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, without a second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitCode.OK)
    except Exception as error:  # a bug or a server answer we cannot read: still one line
        if os.environ.get("CONVEYOR_DEBUG"):
            raise
        _fail([f"unexpected {type(error).__name__}: {error}"], ExitCode.SERVER)
    sys.exit(int(code or 0))
