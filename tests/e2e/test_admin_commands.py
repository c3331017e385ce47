"""Local admin commands (``ishcd admin …``) work on a server's data dir, beside a running server.

The tests share one server (each makes users of its own names); the one that reads the
whole audit log has a server of its own.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import ISHCD, LiveServer


@pytest.fixture(scope="module")
def live_server(shared_live_server: LiveServer) -> LiveServer:
    return shared_live_server


def test_users_create_with_a_random_password(live_server: LiveServer) -> None:
    result = live_server.ishcd("admin", "users", "create", "alice")
    assert "created user alice" in result.stdout
    password = result.stdout.split("password:")[1].strip()
    assert len(password) >= 16


def test_users_create_admin_with_a_given_password(live_server: LiveServer) -> None:
    result = live_server.ishcd(
        "admin", "users", "create", "root2", "--admin", "--password", "s3cret-pass"
    )
    assert "site admin" in result.stdout
    assert "s3cret-pass" not in result.stdout


def test_tokens_create_prints_the_token_alone_on_the_last_line(live_server: LiveServer) -> None:
    live_server.ishcd("admin", "users", "create", "bob")
    result = live_server.ishcd("admin", "tokens", "create", "--user", "bob", "--name", "chatbot")
    token = result.stdout.strip().splitlines()[-1]
    with live_server.client(token) as client:
        account = client.get("/v1/account")
        assert account.status_code == 200
        assert account.json()["username"] == "bob"
        assert [t["name"] for t in client.get("/v1/tokens").json()] == ["chatbot"]


def test_a_short_password_is_refused(live_server: LiveServer) -> None:
    result = live_server.ishcd(
        "admin", "users", "create", "shorty", "--password", "ab", check=False
    )
    assert result.returncode == 2
    assert "at least 8 characters" in result.stderr


def test_local_commands_are_in_the_audit_log(live_server_factory: Any) -> None:
    live_server = live_server_factory()
    live_server.ishcd("admin", "users", "create", "dave")
    live_server.ishcd("admin", "tokens", "create", "--user", "dave", "--name", "from-the-shell")
    with live_server.client() as client:
        events = client.get("/v1/audit").json()
    by_cli = [(e["action"], e["details"]) for e in events if "via" in e["details"]]
    assert by_cli == [
        ("token.create", {"via": "ishcd admin tokens create", "for": "dave"}),
        ("user.create", {"is_admin": False, "via": "ishcd admin users create"}),
    ]


def test_errors_are_clear_and_exit_1(live_server: LiveServer) -> None:
    missing = live_server.ishcd(
        "admin", "tokens", "create", "--user", "nobody", "--name", "x", check=False
    )
    assert missing.returncode == 1
    assert "user 'nobody' not found" in missing.stderr
    taken = live_server.ishcd("admin", "users", "create", "admin", check=False)
    assert taken.returncode == 1
    assert "already exists" in taken.stderr
    bad = live_server.ishcd("admin", "users", "create", "not a name", check=False)
    assert bad.returncode == 1
    assert "username" in bad.stderr


def test_admin_commands_work_without_a_server(tmp_path: object) -> None:
    env = {"ISHCD_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [*ISHCD, "admin", "users", "create", "first", "--admin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "created user first" in result.stdout
    token = subprocess.run(
        [*ISHCD, "admin", "tokens", "create", "--user", "first", "--name", "t"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    assert token.count(".") == 2  # a JWT
