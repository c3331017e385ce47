"""Site admins manage runners and their registration tokens."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from ishcd.db import run_queue
from ishcd.services import runners
from tests.api.conftest import Api, bearer
from tests.api.test_runner_registration import register, registration_token, runner_body


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"runner_slots": 0}  # runs stay queued until a test claims them


async def test_registration_tokens_are_made_listed_and_revoked(api: Api) -> None:
    made = (await api.post("/v1/runners/registration-tokens", json={"description": "fleet"})).json()
    assert made["token"].startswith("ishrt_")
    assert made["created_by"] == "admin"
    assert made["last_used"] is None
    await registration_token(api, "second")
    listed = (await api.get("/v1/runners/registration-tokens")).json()
    assert [t["description"] for t in listed] == ["second", "fleet"]
    assert all("token" not in t for t in listed)
    await register(api, made["token"])
    first = (await api.get("/v1/runners/registration-tokens")).json()[1]
    assert first["last_used"] is not None
    assert first["created_by"] == "admin"
    path = f"/v1/runners/registration-tokens/{made['id']}"
    assert (await api.delete(path)).status_code == 204
    assert (await api.delete(path)).status_code == 404
    listed = (await api.get("/v1/runners/registration-tokens")).json()
    assert [t["description"] for t in listed] == ["second"]
    bad = await api.post("/v1/runners/registration-tokens", json={"description": ""})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "description"
    blank = await api.post("/v1/runners/registration-tokens", json={"description": "  "})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "description"


async def test_runners_are_listed_with_their_state_and_running_runs(api: Api) -> None:
    _, token = await registration_token(api)
    builder = await register(api, token, name="builder", labels=["linux"])
    async with api.server.database.transaction() as conn:
        old, _ = await runners.register(
            conn,
            token,
            name="asleep",
            labels=[],
            version=None,
            host=None,
            concurrency=1,
            now=time.time() - 3600,
        )
    await api.project("Ops")
    await api.job("ops", "true", name="deploy")
    for _ in range(3):
        await api.start("ops", "deploy")
    async with api.server.database.transaction() as conn:
        for slot in (0, 1):
            claimed = await run_queue.claim_next(
                conn, f"runner:{builder['id']}:{slot}", time.time()
            )
            assert claimed is not None
        # Another runner whose id starts like this one's is not counted with it.
        other = f"runner:{builder['id'][:-1]}x:0"
        assert await run_queue.claim_next(conn, other, time.time()) is not None
    response = await api.get("/v1/runners")
    assert response.status_code == 200
    assert 'rel="first"' in response.headers["Link"]
    listed = {r["name"]: r for r in response.json()}
    assert set(listed) == {"asleep", "builder"}
    assert listed["builder"]["running"] == 2
    assert listed["builder"]["state"] == "online"
    assert listed["builder"]["labels"] == ["linux"]
    assert listed["builder"]["concurrency"] == 2
    assert listed["builder"]["host"] == "builder-1.example"
    assert listed["builder"]["version"] == "1.0"
    assert listed["asleep"] == {
        "id": old.id,
        "name": "asleep",
        "labels": [],
        "version": None,
        "host": None,
        "concurrency": 1,
        "created": int(old.created),
        "last_contact": int(old.created),
        "running": 0,
        "state": "offline",
    }
    one = (await api.get(f"/v1/runners/{builder['id']}")).json()
    assert one == listed["builder"]
    paged = await api.get("/v1/runners", params={"per_page": 1})
    assert [r["name"] for r in paged.json()] == ["asleep"]
    assert 'rel="next"' in paged.headers["Link"]
    for missing in ("nope", "00000000-0000-4000-8000-000000000000"):
        assert (await api.get(f"/v1/runners/{missing}")).status_code == 404


async def test_pause_resume_and_delete(api: Api) -> None:
    _, token = await registration_token(api)
    made = await register(api, token)
    path = f"/v1/runners/{made['id']}"
    paused = await api.post(f"{path}/pause")
    assert paused.status_code == 200
    assert paused.json()["state"] == "paused"
    assert (await api.post(f"{path}/pause")).json()["state"] == "paused"  # idempotent
    async with api.server.database.transaction() as conn:
        runner = await runners.authenticate(conn, made["credential"], time.time())
    assert runner is not None
    assert runner.paused
    resumed = await api.post(f"{path}/resume")
    assert resumed.json()["state"] == "online"
    async with api.server.database.transaction() as conn:
        runner = await runners.authenticate(conn, made["credential"], time.time())
    assert runner is not None
    assert not runner.paused
    assert (await api.delete(path)).status_code == 204
    async with api.server.database.transaction() as conn:
        assert await runners.authenticate(conn, made["credential"], time.time()) is None
    assert (await api.delete(path)).status_code == 404
    assert (await api.post(f"{path}/pause")).status_code == 404
    assert (await api.get("/v1/runners")).json() == []


async def test_runner_administration_is_audited(api: Api) -> None:
    token_id, token = await registration_token(api)
    made = await register(api, token)
    await api.post(f"/v1/runners/{made['id']}/pause")
    await api.post(f"/v1/runners/{made['id']}/resume")
    await api.delete(f"/v1/runners/{made['id']}")
    await api.delete(f"/v1/runners/registration-tokens/{token_id}")
    events = (await api.get("/v1/audit", params={"per_page": 6})).json()
    assert [(e["action"], e["target"]["id"]) for e in events] == [
        ("runner_registration_token.revoke", token_id),
        ("runner.delete", made["id"]),
        ("runner.resume", made["id"]),
        ("runner.pause", made["id"]),
        ("runner.register", made["id"]),
        ("runner_registration_token.create", token_id),
    ]
    assert events[4]["actor"]["type"] == "anonymous"  # the registration token's holder
    assert events[4]["ip"] == "127.0.0.1"
    assert events[4]["details"]["registration_token"] == token_id


async def test_only_site_admins_manage_runners(api: Api) -> None:
    _, token = await registration_token(api)
    made = await register(api, token)
    bob = await api.user("bob")
    for method, path in [
        ("GET", "/v1/runners"),
        ("GET", f"/v1/runners/{made['id']}"),
        ("POST", f"/v1/runners/{made['id']}/pause"),
        ("DELETE", f"/v1/runners/{made['id']}"),
        ("GET", "/v1/runners/registration-tokens"),
        ("POST", "/v1/runners/registration-tokens"),
    ]:
        response = await api.http.request(
            method, path, headers=bearer(bob), json={"description": "x"}
        )
        assert response.status_code == 403, (method, path)


async def test_a_runner_credential_is_refused_outside_the_runner_protocol(api: Api) -> None:
    _, token = await registration_token(api)
    credential = (await register(api, token))["credential"]
    for path in ("/v1/account", "/v1/runners", "/v1/projects"):
        response = await api.http.get(path, headers=bearer(credential))
        assert response.status_code == 401, path
    again = await api.http.post("/v1/runner/register", json=runner_body(credential))
    assert again.status_code == 401


async def test_a_runner_credential_opens_no_operation_outside_the_runner_protocol(
    api: Api,
) -> None:
    """Every authenticated operation of the OpenAPI document but ``/v1/runner/…``: 401."""
    _, token = await registration_token(api)
    credential = (await register(api, token))["credential"]
    spec = (await api.http.get("/v1/swagger.json")).json()
    checked = []
    for path, operations in spec["paths"].items():
        if path.startswith("/v1/runner/"):
            continue
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue  # public
            url = re.sub(r"\{[^}]+\}", "x", path)
            response = await api.http.request(method.upper(), url, headers=bearer(credential))
            assert response.status_code == 401, (method, path, response.text)
            checked.append((method, path))
    assert len(checked) > 50
