"""``ishcd members``, ``tokens``, ``envvars``, ``credentials``, ``users``, ``audit`` as
processes against a real server. Piped output is one line per row at any width."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ishcd.client import Client
from tests.e2e.conftest import ISHCD, LiveServer

PASSWORD = "a long enough passphrase"
UUID = r"[0-9a-f-]{36}"


def ishcd(
    server: LiveServer, *args: str, token: str | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """``ishcd ARGS`` as the server's admin (or with ``token``), in a narrow terminal."""
    env = {**server.env, "COLUMNS": "30"}
    if token is not None:
        env["ISHCD_TOKEN"] = token
    return subprocess.run(
        [*ISHCD, *args], env=env, capture_output=True, text=True, timeout=60, check=False, **kw
    )


def rows(output: str) -> list[list[str]]:
    """A table's lines split on runs of two or more spaces (cells hold single spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines()]


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """Project "p" (admin: the site admin), and users alice and bob."""
    with Client(live_server.token, host=live_server.url) as admin:
        admin.projects().create("p")
        admin.users().create("alice", password=PASSWORD, email="alice@example.com")
        admin.users().create("bob", password=PASSWORD)
    return live_server


def token_of(server: LiveServer, username: str) -> str:
    with Client(None, host=server.url) as anonymous:
        return anonymous.login(username, PASSWORD)


def test_members_add_list_role_remove(server: LiveServer) -> None:
    added = ishcd(server, "members", "add", "p", "alice", "--role", "write")
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(rf"added alice to p as write \(member {UUID}\)\n", added.stdout)
    ishcd(server, "members", "add", "p", "bob")  # read by default
    listed = ishcd(server, "members", "list", "p")
    assert rows(listed.stdout) == [
        ["MEMBER", "ROLE", "STATUS", "ID"],
        ["admin", "admin", "active", rows(listed.stdout)[1][3]],
        ["alice", "write", "active", rows(listed.stdout)[2][3]],
        ["bob", "read", "active", rows(listed.stdout)[3][3]],
    ]
    as_json = json.loads(ishcd(server, "members", "list", "p", "--json").stdout)
    assert [(m["user"]["username"], m["role"]) for m in as_json] == [
        ("admin", "admin"),
        ("alice", "write"),
        ("bob", "read"),
    ]

    changed = ishcd(server, "members", "role", "p", "bob", "admin")
    assert changed.stdout == "bob now has the admin role in p\n"
    removed = ishcd(server, "members", "remove", "p", "alice")
    assert removed.stdout == "removed alice from p\n"
    with Client(token_of(server, "alice"), host=server.url) as alice:
        assert alice.projects().list() == []

    missing = ishcd(server, "members", "remove", "p", "nobody")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == "error: 'nobody' is not a member of project 'p'\n"
    bad_role = ishcd(server, "members", "role", "p", "bob", "owner")
    assert bad_role.returncode == 2
    as_bob = ishcd(server, "members", "add", "p", "alice", token=token_of(server, "alice"))
    assert as_bob.returncode == 1
    assert as_bob.stderr == "error: project 'p' not found\n"


def test_members_invite_prints_the_link_alone_on_the_last_line(server: LiveServer) -> None:
    invited = ishcd(server, "members", "invite", "p", "dana@example.com", "--role", "write")
    assert invited.returncode == 0, invited.stderr
    first, link = invited.stdout.splitlines()
    assert first.startswith("invitation for dana@example.com to join p as write, valid until ")
    assert re.fullmatch(rf"{server.url}/v1/invitations/\S+", link)
    with server.client() as client:
        accepted = client.post(link, json={"username": "dana", "password": PASSWORD})
    assert accepted.status_code == 201, accepted.text
    listed = rows(ishcd(server, "members", "list", "p").stdout)
    assert listed[-1][:3] == ["dana", "write", "active"]

    added = ishcd(server, "members", "add", "p", "erin@example.com", "-r", "read")
    assert "invited erin@example.com to p as read" in added.stdout
    again = ishcd(server, "members", "invite", "p", "erin@example.com")
    assert again.returncode == 0, again.stderr
    assert "/v1/invitations/" in again.stdout.splitlines()[-1]
    unknown = ishcd(server, "members", "invite", "p", "frank@example.com")  # new: needs --role
    assert unknown.returncode == 1
    assert "'frank@example.com' is not a member" in unknown.stderr


def test_an_email_address_an_account_has_adds_that_account(server: LiveServer) -> None:
    added = ishcd(server, "members", "add", "p", "Alice@Example.com")
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(rf"added alice to p as read \(member {UUID}\)\n", added.stdout)
    ishcd(server, "members", "remove", "p", "alice")
    invited = ishcd(server, "members", "invite", "p", "alice@example.com", "--role", "write")
    assert invited.returncode == 0, invited.stderr
    assert invited.stdout == "added alice (alice@example.com) to p as write\n"
    listed = rows(ishcd(server, "members", "list", "p").stdout)
    assert listed[-1][:3] == ["alice", "write", "active"]


def test_tokens_create_prints_a_working_token_on_the_last_line(server: LiveServer) -> None:
    alice = token_of(server, "alice")
    made = ishcd(server, "tokens", "create", "laptop", "--expires", "30", token=alice)
    assert made.returncode == 0, made.stderr
    token = made.stdout.splitlines()[-1]
    assert re.fullmatch(r"\S+\.\S+\.\S+", token)
    with server.client(token) as client:
        assert client.get("/v1/account").json()["username"] == "alice"
    listed = rows(ishcd(server, "tokens", "list", token=token).stdout)
    assert listed[0] == ["NAME", "CREATED", "LAST USED", "EXPIRES", "ID"]
    assert listed[1][0] == "laptop"
    token_id = listed[1][-1]
    assert token_id in made.stdout

    revoked = ishcd(server, "tokens", "revoke", token_id, token=alice)
    assert revoked.stdout == f"revoked token {token_id}\n"
    with server.client(token) as client:
        assert client.get("/v1/account").status_code == 401


def test_project_tokens_create_list_revoke(server: LiveServer) -> None:
    made = ishcd(server, "tokens", "create", "chatbot", "--project", "p", "--role", "write")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created project token 'chatbot' for p (write), id ")
    bot = made.stdout.splitlines()[-1]
    with server.client(bot) as client:
        assert client.get("/v1/projects/p").status_code == 200
        assert client.get("/v1/account").status_code == 403
    listed = rows(ishcd(server, "tokens", "list", "-p", "p").stdout)
    assert listed[0] == ["NAME", "ROLE", "CREATED", "LAST USED", "EXPIRES", "ID"]
    assert listed[1][:2] == ["chatbot", "write"]
    assert ishcd(server, "tokens", "list", "-p", "p", "--json").stdout.count('"token"') == 0
    revoked = ishcd(server, "tokens", "revoke", listed[1][-1], "-p", "p")
    assert revoked.returncode == 0, revoked.stderr
    with server.client(bot) as client:
        assert client.get("/v1/projects/p").status_code == 401
    none = ishcd(server, "tokens", "list", "-p", "p")
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "no tokens\n")

    no_role = ishcd(server, "tokens", "create", "x", "--project", "p")
    assert no_role.returncode == 2
    assert no_role.stderr == "error: a project token (--project) needs a --role\n"


def test_envvars_set_from_stdin_never_in_argv_and_listed_masked(server: LiveServer) -> None:
    secret = "s3cr3t-deploy-key-1234"
    env = {**server.env, "COLUMNS": "30"}
    process = subprocess.Popen(
        [*ISHCD, "envvars", "set", "p", "DEPLOY_KEY"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)  # the command is running, waiting for its value
    argv = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
    assert secret.encode() not in b" ".join(argv)
    out, err = process.communicate(secret + "\n", timeout=60)
    assert process.returncode == 0, err
    assert out == "set DEPLOY_KEY in p (xxxx1234)\n"

    listed = ishcd(server, "envvars", "list", "p")
    assert rows(listed.stdout)[0] == ["NAME", "VALUE", "CHANGED"]
    assert rows(listed.stdout)[1][:2] == ["DEPLOY_KEY", "xxxx1234"]
    assert secret not in listed.stdout
    with Client(server.token, host=server.url) as run:
        run.projects("p").jobs().create("show", 'printf %s "$DEPLOY_KEY" | base64')
        finished = run.projects("p").jobs("show").runs().create(wait=True, timeout=30)
    assert finished.log is not None
    assert finished.log.strip() == "czNjcjN0LWRlcGxveS1rZXktMTIzNA=="  # the value, exactly

    as_argument = ishcd(server, "envvars", "set", "p", "OTHER", "the-value")
    assert as_argument.returncode == 2
    empty = ishcd(server, "envvars", "set", "p", "OTHER", input="")
    assert (empty.returncode, empty.stderr) == (2, "error: the value of OTHER is empty\n")


def test_envvars_from_a_file_and_delete(server: LiveServer, tmp_path: Path) -> None:
    (tmp_path / "stage").write_text("production-stage\n")
    made = ishcd(server, "envvars", "set", "p", "STAGE", "--from-file", str(tmp_path / "stage"))
    assert made.stdout == "set STAGE in p (xxxxtage)\n"
    as_json = json.loads(ishcd(server, "envvars", "list", "p", "--json").stdout)
    assert [(e["name"], e["value"]) for e in as_json] == [("STAGE", "xxxxtage")]
    deleted = ishcd(server, "envvars", "delete", "p", "STAGE")
    assert deleted.stdout == "deleted STAGE from p\n"
    again = ishcd(server, "envvars", "delete", "p", "STAGE")
    assert (again.returncode, again.stderr) == (
        1,
        "error: environment variable 'STAGE' not found\n",
    )
    missing = ishcd(server, "envvars", "set", "p", "X", "--from-file", str(tmp_path / "nope"))
    assert missing.returncode == 2


def test_credentials_create_list_delete(server: LiveServer, tmp_path: Path) -> None:
    alice = token_of(server, "alice")
    made = ishcd(
        server,
        "credentials",
        "create",
        "alice on AWS",
        "--env",
        "AWS_KEY",
        token=alice,
        input="wJalrXUtnFEMI/K7MDENG\n",
    )
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(
        rf"created credential 'alice on AWS' \(AWS_KEY=xxxxDENG\), id {UUID}\n", made.stdout
    )
    listed = rows(ishcd(server, "credentials", "list", token=alice).stdout)
    assert listed[0] == ["NAME", "ENV", "VALUE", "CREATED", "ID"]
    assert listed[1][:3] == ["alice on AWS", "AWS_KEY", "xxxxDENG"]
    deleted = ishcd(server, "credentials", "delete", listed[1][-1], token=alice)
    assert deleted.returncode == 0, deleted.stderr
    assert ishcd(server, "credentials", "list", "--json", token=alice).stdout.strip() == "[]"


def test_users_list_show_create_update_delete(server: LiveServer) -> None:
    created = ishcd(server, "users", "create", "carol", "--email", "carol@example.com")
    assert created.returncode == 0, created.stderr
    first, password = created.stdout.splitlines()
    assert first == "created user carol"
    assert re.fullmatch(r"password: \S{16,}", password)
    given = ishcd(
        server, "users", "create", "dave", "--admin", "--password-stdin", input=PASSWORD + "\n"
    )
    assert given.stdout == "created user dave (site admin)\n"
    with Client(None, host=server.url) as anonymous:
        assert anonymous.login("dave", PASSWORD)

    listed = rows(ishcd(server, "users", "list").stdout)
    assert listed[0] == ["USERNAME", "NAME", "EMAIL", "ADMIN", "DISABLED", "ID"]
    assert [row[0] for row in listed[1:]] == ["admin", "alice", "bob", "carol", "dave"]
    shown = ishcd(server, "users", "show", "carol")
    assert shown.stdout.splitlines()[:5] == [
        "username: carol",
        "name:",
        "email:    carol@example.com",
        "admin:    no",
        "disabled: no",
    ]
    assert json.loads(ishcd(server, "users", "show", "carol", "--json").stdout)["email"] == (
        "carol@example.com"
    )
    disabled = ishcd(server, "users", "update", "carol", "--disable", "--name", "Carol C")
    assert disabled.returncode == 0, disabled.stderr
    assert "disabled: yes" in disabled.stdout
    assert "name:     Carol C" in disabled.stdout
    nothing = ishcd(server, "users", "update", "carol")
    assert nothing.returncode == 2
    deleted = ishcd(server, "users", "delete", "carol")
    assert deleted.stdout == "deleted user carol\n"
    gone = ishcd(server, "users", "show", "carol")
    assert (gone.returncode, gone.stderr) == (1, "error: user 'carol' not found\n")
    not_admin = ishcd(server, "users", "list", token=token_of(server, "alice"))
    assert not_admin.returncode == 1
    assert not_admin.stderr.count("error:") == 1


def test_audit_list_of_the_site_and_of_a_project(server: LiveServer) -> None:
    ishcd(server, "members", "add", "p", "alice")
    site = rows(ishcd(server, "audit", "list", "--limit", "2").stdout)
    assert site[0] == ["WHEN", "ACTION", "ACTOR", "PROJECT", "TARGET"]
    assert site[1][1:] == ["member.add", "admin (token initial token)", "p", "member alice"]
    assert len(site) == 3
    logins = json.loads(ishcd(server, "audit", "list", "--action", "user.create", "--json").stdout)
    assert [e["target"]["name"] for e in logins] == ["bob", "alice", "admin"]
    of_p = rows(ishcd(server, "audit", "list", "--project", "p").stdout)
    assert [row[1] for row in of_p[1:]] == ["member.add", "project.create"]
    as_alice = ishcd(server, "audit", "list", token=token_of(server, "alice"))
    assert as_alice.returncode == 1


def test_commands_need_a_token(server: LiveServer) -> None:
    env = {k: v for k, v in server.env.items() if k != "ISHCD_TOKEN"}
    for args in (("members", "list", "p"), ("tokens", "list"), ("users", "list")):
        result = subprocess.run(
            [*ISHCD, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 2
        assert "no API token" in result.stderr
