"""login, logout, the token file, and transparent refresh."""

from __future__ import annotations

import json
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import PASSWORD, Cli
from local_stack import LocalStack, free_port, http


def stored(cli: Cli) -> dict[str, str]:
    return dict(json.loads(cli.token_file.read_text())["servers"][cli.url])


def test_login_keeps_the_tokens_in_a_file_only_its_owner_reads(signed_in: Cli) -> None:
    assert stat.S_IMODE(signed_in.token_file.stat().st_mode) == 0o600
    assert stored(signed_in)["username"] == signed_in.username
    assert stored(signed_in)["access_token"] and stored(signed_in)["refresh_token"]


def test_login_asks_for_the_password_when_none_is_set(cli: Cli) -> None:
    done = cli.run("login", "--username", cli.username, input=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert f"as {cli.username}" in done.stdout


def test_login_prints_no_token(cli: Cli) -> None:
    done = cli.run("login", "--username", cli.username, "--json", CONVEYOR_PASSWORD=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["username"] == cli.username
    assert stored(cli)["access_token"] not in done.stdout


def test_wrong_password_exits_4_with_the_apis_message(stack: LocalStack, cli: Cli) -> None:
    body = {"username": cli.username, "password": "not the password"}
    expected = http("POST", f"{stack.url}/api/auth/login", body).json()["detail"]
    done = cli.run("login", "--username", cli.username, CONVEYOR_PASSWORD="not the password")
    assert done.returncode == 4
    assert expected in done.stderr
    assert not cli.token_file.exists()


def test_commands_before_login_exit_4(cli: Cli) -> None:
    done = cli.run("list")
    assert done.returncode == 4
    assert "not signed in" in done.stderr


def wait_until_expired(cli: Cli) -> None:
    """Poll until the stored access token has expired (the server's clock is this one)."""
    token = stored(cli)["access_token"]
    reply = http("GET", f"{cli.url}/api/jobs", headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + 30
    while reply.status == 200:
        assert time.monotonic() < deadline, "the access token did not expire"
        time.sleep(0.2)
        reply = http("GET", f"{cli.url}/api/jobs", headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 401


def test_an_expired_access_token_is_refreshed_without_asking(signed_in: Cli) -> None:
    before = stored(signed_in)
    wait_until_expired(signed_in)
    done = signed_in.run("list", "--json")
    assert done.returncode == 0, done.stderr
    after = stored(signed_in)
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert stat.S_IMODE(signed_in.token_file.stat().st_mode) == 0o600


def test_concurrent_commands_refresh_once_and_keep_the_session(signed_in: Cli) -> None:
    # Two processes spending one refresh token would revoke the whole session.
    wait_until_expired(signed_in)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: signed_in.run("list", "--quiet"), range(4)))
    assert [done.returncode for done in results] == [0, 0, 0, 0], [r.stderr for r in results]
    assert signed_in.run("list", "--quiet").returncode == 0


def test_logout_revokes_the_session_and_forgets_it(signed_in: Cli) -> None:
    refresh_token = stored(signed_in)["refresh_token"]  # lives for days, unlike the access one
    done = signed_in.run("logout")
    assert done.returncode == 0, done.stderr
    assert signed_in.url not in json.loads(signed_in.token_file.read_text())["servers"]
    body = {"refresh_token": refresh_token}
    assert http("POST", f"{signed_in.url}/api/auth/refresh", body).status == 401


def test_a_session_is_sent_to_its_own_server_only(signed_in: Cli) -> None:
    other = f"http://127.0.0.1:{free_port()}"
    done = signed_in.run("list", "--url", other)
    assert done.returncode == 4
    assert f"not signed in to {other}" in done.stderr


def test_a_stopped_server_exits_5_with_one_line(cli: Cli) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    done = cli.run("login", "--url", closed, "--username", cli.username,
                   CONVEYOR_PASSWORD=PASSWORD)  # fmt: skip
    assert done.returncode == 5
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "cannot reach" in done.stderr


def test_an_unknown_option_is_a_usage_error(cli: Cli) -> None:
    done: subprocess.CompletedProcess[str] = cli.run("list", "--colour")
    assert done.returncode == 2
    assert "--colour" in done.stderr
