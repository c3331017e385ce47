"""The audit log: who (user or token) did what, and when."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, bearer


async def actions(api: Api, path: str, **params: Any) -> list[str]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return [e["action"] for e in response.json()]


async def test_project_changes_are_recorded_newest_first(api: Api) -> None:
    project = await api.project("Ops")
    await api.job("ops", "sleep 30", name="j")
    await api.patch("/v1/projects/ops/jobs/j", json={"description": "x"})
    run = await api.start("ops", "j")
    await api.post(f"/v1/runs/{run['id']}/cancel")
    await api.post("/v1/projects/ops/envvars", json={"name": "X", "value": "secret-value"})
    await api.delete("/v1/projects/ops/envvars/X")
    assert await actions(api, "/v1/projects/ops/audit") == [
        "envvar.delete",
        "envvar.create",
        "run.cancel",
        "run.create",
        "job.update",
        "job.create",
        "project.create",
    ]
    events = (await api.get("/v1/projects/ops/audit")).json()
    update = events[4]
    assert update["actor"] == {
        "type": "token",
        "user": {"id": update["actor"]["user"]["id"], "username": "admin"},
        "token": {"id": update["actor"]["token"]["id"], "name": "initial token"},
    }
    assert update["project"] == {"id": project["id"], "machine_name": "ops"}
    assert update["target"]["type"] == "job"
    assert update["target"]["name"] == "j"
    assert update["details"] == {"fields": ["description"]}
    assert isinstance(update["created"], int)
    assert "secret-value" not in str(events)


async def test_a_project_tokens_actions_name_the_token(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", "true", name="j")
    token = (
        await api.post("/v1/projects/ops/tokens", json={"name": "deploy bot", "role": "write"})
    ).json()
    await api.http.post("/v1/projects/ops/jobs/j/runs", headers=bearer(token["token"]))
    event = (await api.get("/v1/projects/ops/audit", params={"action": "run.create"})).json()[0]
    assert event["actor"]["token"] == {"id": token["id"], "name": "deploy bot"}


async def test_paginated_and_filtered_like_every_list(api: Api) -> None:
    await api.project("Ops")
    for name in ("a", "b", "c"):
        await api.job("ops", "true", name=name)
    response = await api.get(
        "/v1/projects/ops/audit", params={"per_page": 2, "action": "job.create"}
    )
    assert [e["target"]["name"] for e in response.json()] == ["c", "b"]
    assert 'rel="next"' in response.headers["Link"]


async def test_only_admins_read_a_projects_audit(api: Api) -> None:
    project = await api.project("Ops")
    bob = await api.user("bob")
    assert (await api.http.get("/v1/projects/ops/audit", headers=bearer(bob))).status_code == 404
    await api.grant(project["id"], bob, "write")
    assert (await api.http.get("/v1/projects/ops/audit", headers=bearer(bob))).status_code == 403


async def test_the_site_audit_has_tokens_users_and_logins(api: Api) -> None:
    created = (await api.post("/v1/tokens", json={"name": "ci"})).json()
    await api.delete(f"/v1/tokens/{created['id']}")
    await api.post("/v1/users", json={"username": "alice", "password": "long-enough"})
    await api.http.post("/v1/auth/login", json={"username": "alice", "password": "wrong-one"})
    await api.http.post("/v1/auth/login", json={"username": "alice", "password": "long-enough"})
    assert (await actions(api, "/v1/audit"))[:5] == [
        "login",
        "login.failed",
        "user.create",
        "token.revoke",
        "token.create",
    ]
    bob = await api.user("bob")
    assert (await api.http.get("/v1/audit", headers=bearer(bob))).status_code == 403


async def test_the_history_outlives_a_deleted_project(api: Api) -> None:
    project = await api.project("Ops")
    await api.delete("/v1/projects/ops")
    events = await actions(api, "/v1/audit", project=project["id"])
    assert events == ["project.delete", "project.create"]
