"""``ishcd runners …`` and ``ishcd runners tokens …`` as processes against a real server,
and the Python client's calls behind them."""

from __future__ import annotations

import json

import httpx
import pytest

from ishcd.client import Client, Forbidden, NotFound
from tests.e2e.conftest import LiveServer
from tests.e2e.test_cli_access import PASSWORD, ishcd, rows, token_of


def test_tokens_create_list_revoke_and_runners_list_pause_resume_delete(
    live_server: LiveServer,
) -> None:
    made = ishcd(live_server, "runners", "tokens", "create", "linux fleet")
    assert made.returncode == 0, made.stderr
    said, secret = made.stdout.splitlines()
    assert said.startswith("created registration token 'linux fleet', id ")
    assert said.endswith("; shown this once:")
    assert secret.startswith("ishrt_")
    token_id = said.removeprefix("created registration token 'linux fleet', id ").split(";")[0]
    listed = rows(ishcd(live_server, "runners", "tokens", "list").stdout)
    assert listed[0] == ["DESCRIPTION", "CREATED", "BY", "LAST USED", "ID"]
    assert listed[1] == ["linux fleet", "just now", "admin", "never", token_id]
    assert secret not in ishcd(live_server, "runners", "tokens", "list", "--json").stdout

    assert ishcd(live_server, "runners", "list").stderr == "no runners\n"
    body = {"token": secret, "name": "builder-1", "labels": ["linux", "x86_64"], "host": "b1"}
    with httpx.Client(base_url=live_server.url) as agent:
        registered = agent.post("/v1/runner/register", json=body)
    assert registered.status_code == 201, registered.text
    runner_id = registered.json()["id"]
    listed = rows(ishcd(live_server, "runners", "list").stdout)
    assert listed == [
        ["NAME", "STATE", "RUNNING", "LABELS", "CONTACT", "VERSION", "HOST", "ID"],
        ["builder-1", "online", "0", "linux,x86_64", "just now", "b1", runner_id],
    ]  # no version: the empty cell joins the spaces around it
    as_json = json.loads(ishcd(live_server, "runners", "list", "--json").stdout)
    assert as_json[0]["labels"] == ["linux", "x86_64"]

    paused = ishcd(live_server, "runners", "pause", runner_id)
    assert paused.stdout == "paused runner builder-1\n", paused.stderr
    assert rows(ishcd(live_server, "runners", "list").stdout)[1][1] == "paused"
    resumed = ishcd(live_server, "runners", "resume", runner_id)
    assert resumed.stdout == "resumed runner builder-1 (online)\n"
    deleted = ishcd(live_server, "runners", "delete", runner_id)
    assert deleted.stdout == f"deleted runner {runner_id}\n"
    missing = ishcd(live_server, "runners", "delete", runner_id)
    assert missing.returncode != 0
    assert "not found" in missing.stderr

    revoked = ishcd(live_server, "runners", "tokens", "revoke", token_id)
    assert revoked.stdout == f"revoked registration token {token_id}\n"
    assert ishcd(live_server, "runners", "tokens", "list").stderr == "no registration tokens\n"


def test_the_client_manages_runners_and_only_site_admins_may(live_server: LiveServer) -> None:
    with Client(live_server.token, host=live_server.url) as admin:
        made = admin.registration_tokens().create("fleet")
        assert made.token.startswith("ishrt_")
        assert [t.description for t in admin.registration_tokens().list()] == ["fleet"]
        with httpx.Client(base_url=live_server.url) as agent:
            body = {"token": made.token, "name": "r1", "labels": ["arm64"], "concurrency": 3}
            runner_id = agent.post("/v1/runner/register", json=body).json()["id"]
        runner = admin.runners(runner_id).get()
        assert (runner.name, runner.labels, runner.concurrency) == ("r1", ("arm64",), 3)
        assert (runner.state, runner.running) == ("online", 0)
        assert admin.runners(runner_id).pause().state == "paused"
        assert [r.state for r in admin.runners().iter_all()] == ["paused"]
        assert admin.runners(runner_id).resume().state == "online"
        admin.users().create("eve", password=PASSWORD)
        with Client(token_of(live_server, "eve"), host=live_server.url) as eve:
            with pytest.raises(Forbidden):
                eve.runners().list()
            with pytest.raises(Forbidden):
                eve.registration_tokens().create("mine")
        admin.runners(runner_id).delete()
        with pytest.raises(NotFound):
            admin.runners(runner_id).get()
        admin.registration_tokens(made.id).revoke()
        assert admin.registration_tokens().list() == []
