"""``ishcd login``, ``logout``, ``whoami`` and where commands find their server and token.

Every command runs as a process with ``ISHCD_CONFIG`` in the test's tmp_path
and, unless a test sets them, no ``ISHCD_URL``/``ISHCD_TOKEN``. The tests share
one server (starting one costs seconds); each logs in as an account of its own.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ishcd.client import Client
from tests.e2e.conftest import ISHCD, LiveServer, free_port

PASSWORD = "alice s passphrase"
_ACCOUNTS = itertools.count(1)


class Shell:
    """Runs ``ishcd`` as a user's shell would: a config file of its own, no ISHCD_* set."""

    def __init__(self, server: LiveServer, config: Path, user: str):
        self.server = server
        self.config = config
        self.user = user  # the account this test logs in as (alice, one of each test's own)
        self.env = {k: v for k, v in server.env.items() if k not in ("ISHCD_URL", "ISHCD_TOKEN")}
        self.env["ISHCD_CONFIG"] = str(config)
        self.env["COLUMNS"] = "40"  # narrow: piped output must not depend on it

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ISHCD, *args],
            env={**self.env, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **kw,
        )

    def saved(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.config.read_text())
        return data


@pytest.fixture(scope="module")
def live_server(shared_live_server: LiveServer) -> LiveServer:
    """One server for the module's tests (the one that stops it has its own)."""
    return shared_live_server


def make_shell(server: LiveServer, tmp_path: Path) -> Shell:
    """A shell of the test's own, and a fresh account (no tokens yet) to log in as."""
    user = f"alice{next(_ACCOUNTS)}"
    with Client(server.token, host=server.url) as admin:
        admin.users().create(user, password=PASSWORD)
    return Shell(server, tmp_path / "home" / ".config" / "ishcd" / "config.json", user)


@pytest.fixture
def shell(live_server: LiveServer, tmp_path: Path) -> Shell:
    return make_shell(live_server, tmp_path)


def login(shell: Shell) -> subprocess.CompletedProcess[str]:
    result = shell("login", shell.server.url, input=f"{shell.user}\n{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    return result


def test_login_asks_for_a_name_and_password_and_saves_a_0600_file(shell: Shell) -> None:
    result = shell("login", shell.server.url, input=f"{shell.user}\n{PASSWORD}\n", umask=0)
    assert result.returncode == 0, result.stderr
    name = f"ishcd CLI on {socket.gethostname()}"
    assert result.stdout == (
        f"Logged in to {shell.server.url} as {shell.user}; token {name!r} saved in {shell.config}\n"
    )
    assert "User name: " in result.stderr
    assert "Password: " in result.stderr
    # Even with umask 0, the file is the user's alone, and so is the directory made for it.
    assert stat.S_IMODE(shell.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(shell.config.parent.stat().st_mode) == 0o700
    assert [p.name for p in shell.config.parent.iterdir()] == ["config.json"]  # no temp file left
    saved = shell.saved()
    assert set(saved) == {"url", "token", "username", "token_id"}
    assert (saved["url"], saved["username"]) == (shell.server.url, shell.user)
    assert PASSWORD not in shell.config.read_text()
    with Client(saved["token"], host=shell.server.url) as client:
        assert [(t.id, t.name) for t in client.tokens().list()] == [(saved["token_id"], name)]

    # Every client command now finds the server and the token.
    listed = shell("projects", "list", "--json")
    assert (listed.returncode, listed.stdout.strip()) == (0, "[]"), listed.stderr


def test_whoami_says_who_on_which_server_and_where_that_came_from(shell: Shell) -> None:
    login(shell)
    result = shell("whoami")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"server: {shell.server.url} (from the config file {shell.config})",
        f"user:   {shell.user}",
        "admin:  no",
        f"token:  from the config file {shell.config}",
    ]
    as_admin = shell("whoami", env={"ISHCD_TOKEN": shell.server.token})
    assert as_admin.stdout.splitlines()[1:] == [
        "user:   admin",
        "admin:  yes (site admin)",
        "token:  from ISHCD_TOKEN",
    ]


def test_options_beat_the_environment_which_beats_the_config_file(shell: Shell) -> None:
    login(shell)
    env = {"ISHCD_TOKEN": shell.server.token, "ISHCD_URL": shell.server.url}
    by_env = shell("whoami", env=env)
    assert "user:   admin" in by_env.stdout
    assert f"server: {shell.server.url} (from ISHCD_URL)" in by_env.stdout
    with Client(shell.saved()["token"], host=shell.server.url) as alice:
        another = alice.tokens().create("another").token
    by_option = shell("whoami", "--token", another, env=env)
    assert f"user:   {shell.user}" in by_option.stdout
    assert "token:  from --token" in by_option.stdout

    # The saved token only ever goes to the saved server.
    elsewhere = f"http://127.0.0.1:{free_port()}"
    no_token = shell("projects", "list", env={"ISHCD_URL": elsewhere})
    assert no_token.returncode == 2
    assert no_token.stderr == (
        f"error: no API token for {elsewhere}: run `ishcd login`, pass --token or set ISHCD_TOKEN\n"
    )


def test_login_from_a_script_with_username_and_password_stdin(shell: Shell) -> None:
    result = shell(
        "login", shell.server.url, "--username", shell.user, "--password-stdin", input=PASSWORD
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert shell.saved()["username"] == shell.user


def test_a_wrong_password_saves_nothing_and_exits_1(shell: Shell) -> None:
    result = shell("login", shell.server.url, input=f"{shell.user}\nnot the password\n")
    assert result.returncode == 1
    assert result.stderr.endswith("error: wrong user name or password\n")
    assert result.stderr.count("wrong user name") == 1
    assert not shell.config.exists()


def test_login_with_a_token_checks_it_before_saving_it(shell: Shell) -> None:
    bad = shell("login", shell.server.url, "--token", "not-a-token")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ")
    assert not shell.config.exists()

    good = shell("login", shell.server.url, "--token", shell.server.token)
    assert good.returncode == 0, good.stderr
    assert (
        good.stdout == f"Logged in to {shell.server.url} as admin; token saved in {shell.config}\n"
    )
    saved = shell.saved()
    assert (saved["token"], saved["username"], saved["token_id"]) == (
        shell.server.token,
        "admin",
        None,
    )
    assert stat.S_IMODE(shell.config.stat().st_mode) == 0o600
    from_stdin = shell("login", shell.server.url, "--token", "-", input=shell.server.token + "\n")
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert shell.saved()["token"] == shell.server.token
    both = shell("login", "--token", "t", "--username", shell.user)
    assert both.returncode == 2


def test_logout_revokes_the_token_login_made_and_removes_the_file(shell: Shell) -> None:
    login(shell)
    token = shell.saved()["token"]
    result = shell("logout")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Logged out of {shell.server.url}: removed {shell.config}\n"
    assert "Revoked the token" in result.stderr
    assert not shell.config.exists()
    with shell.server.client(token) as client:
        assert client.get("/v1/account").status_code == 401

    again = shell("logout")
    assert again.returncode == 0
    assert again.stdout == f"Not logged in: there is no {shell.config}\n"
    after = shell("projects", "list")
    assert after.returncode == 2
    assert "run `ishcd login`" in after.stderr


def test_a_saved_token_that_stopped_working_says_to_log_in_again(shell: Shell) -> None:
    login(shell)
    with Client(shell.saved()["token"], host=shell.server.url) as alice:
        alice.tokens(shell.saved()["token_id"]).revoke()
    result = shell("projects", "list")
    assert result.returncode == 1
    assert result.stderr == (
        "error: the token has been revoked\n"
        f"(the token `ishcd login` saved in {shell.config} no longer works: "
        "run `ishcd login` again)\n"
    )
    by_env = shell("projects", "list", env={"ISHCD_TOKEN": "bad"})
    assert by_env.returncode == 1
    assert "ishcd login" not in by_env.stderr


def test_logout_leaves_a_token_given_with_token_working(shell: Shell) -> None:
    shell("login", shell.server.url, "--token", shell.server.token)
    result = shell("logout")
    assert result.returncode == 0
    assert "not revoked" in result.stderr
    assert not shell.config.exists()
    with shell.server.client() as client:
        assert client.get("/v1/account").status_code == 200


def test_logout_with_the_token_already_revoked_or_the_server_down(
    live_server_factory: Any, tmp_path: Path
) -> None:
    shell = make_shell(live_server_factory(), tmp_path)  # a server of its own: it stops it
    login(shell)
    with Client(shell.server.token, host=shell.server.url) as admin:
        assert admin.users(shell.user).get().username == shell.user
    with Client(shell.saved()["token"], host=shell.server.url) as alice:
        alice.tokens(shell.saved()["token_id"]).revoke()
    revoked = shell("logout")
    assert revoked.returncode == 0
    assert "The token was already revoked." in revoked.stderr
    assert not shell.config.exists()

    login(shell)
    shell.server.stop()
    down = shell("logout")
    assert down.returncode == 0
    assert "cannot reach" in down.stderr
    assert "The token was not revoked" in down.stderr
    assert "removed" in down.stdout
    assert not shell.config.exists()


def test_logging_in_again_revokes_the_token_of_the_login_it_replaces(shell: Shell) -> None:
    login(shell)
    first = shell.saved()["token"]
    login(shell)
    assert shell.saved()["token"] != first
    with shell.server.client(first) as client:
        assert client.get("/v1/account").status_code == 401
    with Client(shell.saved()["token"], host=shell.server.url) as alice:
        assert len(alice.tokens().list()) == 1


def test_an_unreadable_config_file_is_an_error_and_login_replaces_it(shell: Shell) -> None:
    shell.config.parent.mkdir(parents=True)
    shell.config.write_text("{not json")
    broken = shell("projects", "list")
    assert broken.returncode == 1
    assert f"{shell.config} is not a config file ishcd wrote" in broken.stderr
    login(shell)
    assert shell("projects", "list").returncode == 0


def test_shell_completion_can_be_installed(shell: Shell) -> None:
    result = shell("--help", env={"COLUMNS": "200"})
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout
    script = str(Path(sys.executable).with_name("ishcd"))  # the installed command
    shown = subprocess.run(
        [script, "--show-completion"],
        env={**shell.env, "SHELL": "/bin/bash"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "_ISHCD_COMPLETE=complete_bash" in shown.stdout


def test_the_real_config_directory_is_used_without_ishcd_config(
    shell: Shell, tmp_path: Path
) -> None:
    env = {k: v for k, v in shell.env.items() if k != "ISHCD_CONFIG"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    env["HOME"] = str(tmp_path / "home2")
    result = subprocess.run(
        [*ISHCD, "login", shell.server.url, "--token", shell.server.token],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xdg" / "ishcd" / "config.json").exists()
    assert os.stat(tmp_path / "xdg" / "ishcd" / "config.json").st_mode & 0o077 == 0
