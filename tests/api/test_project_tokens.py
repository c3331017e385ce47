"""Project tokens: one project only, a role no higher than their maker's."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ishcd.db import users as users_db
from ishcd.db.query import Query
from ishcd.db.tables import api_tokens, project_members
from tests.api.conftest import Api, bearer


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    project = await api.project("Ops")
    await api.job("ops", "echo deploying", name="deploy")
    await api.project("Other")
    await api.job("other", "true", name="deploy")
    return project


async def make_token(
    api: Api, role: str = "write", headers: dict[str, str] | None = None, **extra: Any
) -> Any:
    return await api.post(
        "/v1/projects/ops/tokens",
        json={"name": "chat bot", "role": role, **extra},
        headers=headers or api.auth,
    )


async def test_a_write_token_starts_runs_on_its_project_only(
    api: Api, project: dict[str, Any]
) -> None:
    created = await make_token(api)
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == "write"
    assert body["project"] == {"id": project["id"], "machine_name": "ops"}
    bot = bearer(body["token"])
    run = await api.post("/v1/projects/ops/jobs/deploy/runs", headers=bot)
    assert run.status_code == 201
    assert (await api.wait(run.json()["id"]))["log"] == "deploying\n"
    assert (await api.http.get(f"/v1/runs/{run.json()['id']}", headers=bot)).status_code == 200
    assert (
        await api.http.post("/v1/projects/other/jobs/deploy/runs", headers=bot)
    ).status_code == 404
    assert (await api.http.get("/v1/projects/other", headers=bot)).status_code == 404
    assert [
        p["machine_name"] for p in (await api.http.get("/v1/projects", headers=bot)).json()
    ] == ["ops"]
    job = {"name": "x", "script": "true"}
    assert (await api.http.post("/v1/projects/ops/jobs", json=job, headers=bot)).status_code == 403


async def test_project_tokens_have_no_account(api: Api, project: dict[str, Any]) -> None:
    bot = bearer((await make_token(api, "admin")).json()["token"])
    for method, path in [
        ("GET", "/v1/account"),
        ("GET", "/v1/tokens"),
        ("POST", "/v1/tokens"),
        ("GET", "/v1/credentials"),
        ("GET", "/v1/users"),
        ("GET", "/v1/audit"),
        ("POST", "/v1/projects"),
    ]:
        response = await api.http.request(method, path, headers=bot, json={"name": "x"})
        assert response.status_code == 403, (method, path)
        assert "project token" in response.json()["message"]


async def test_a_site_admins_project_token_is_no_site_admin(
    api: Api, project: dict[str, Any]
) -> None:
    bot = bearer((await make_token(api, "admin")).json()["token"])
    assert (await api.http.get("/v1/projects/other/jobs", headers=bot)).status_code == 404


async def test_listed_without_the_token_and_revoked_by_any_project_admin(
    api: Api, project: dict[str, Any]
) -> None:
    created = (await make_token(api)).json()
    listed = (await api.get("/v1/projects/ops/tokens")).json()
    assert [t["name"] for t in listed] == ["chat bot"]
    assert "token" not in listed[0]
    assert listed[0]["last_used"] is None
    await api.http.get("/v1/projects/ops", headers=bearer(created["token"]))
    assert (await api.get("/v1/projects/ops/tokens")).json()[0]["last_used"] is not None
    # Project tokens are not among the maker's own account tokens.
    assert "chat bot" not in [t["name"] for t in (await api.get("/v1/tokens")).json()]
    other_admin = await api.user("carol")
    await api.grant(project["id"], other_admin, "admin")
    response = await api.delete(
        f"/v1/projects/ops/tokens/{created['id']}", headers=bearer(other_admin)
    )
    assert response.status_code == 204
    assert (
        await api.http.get("/v1/projects/ops", headers=bearer(created["token"]))
    ).status_code == 401
    assert (await api.delete(f"/v1/projects/ops/tokens/{created['id']}")).status_code == 404


async def test_the_maker_losing_their_role_caps_the_token(
    api: Api, project: dict[str, Any]
) -> None:
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "admin")
    token = (await make_token(api, "write", headers=bearer(bob))).json()["token"]
    assert (
        await api.http.post("/v1/projects/ops/jobs/deploy/runs", headers=bearer(token))
    ).status_code == 201
    members = (await api.get("/v1/projects/ops/members")).json()
    bob_member = next(m for m in members if m["user"]["username"] == "bob")
    await api.patch(f"/v1/projects/ops/members/{bob_member['id']}", json={"role": "read"})
    assert (
        await api.http.post("/v1/projects/ops/jobs/deploy/runs", headers=bearer(token))
    ).status_code == 403
    assert (await api.http.get("/v1/projects/ops", headers=bearer(token))).status_code == 200
    await api.delete(f"/v1/projects/ops/members/{bob_member['id']}")
    gone = await api.http.get("/v1/projects/ops", headers=bearer(token))
    assert gone.status_code == 401
    assert gone.json()["message"] == "the token has been revoked"
    # Adding the maker back does not bring the token back.
    await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "admin"})
    assert (await api.http.get("/v1/projects/ops", headers=bearer(token))).status_code == 401
    removed = (await api.get("/v1/projects/ops/audit", params={"action": "member.remove"})).json()
    assert removed[0]["details"] == {"project_tokens_revoked": 1}


async def test_only_project_admins_make_project_tokens(api: Api, project: dict[str, Any]) -> None:
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "write")
    assert (await make_token(api, "read", headers=bearer(bob))).status_code == 403
    assert (await api.get("/v1/projects/ops/tokens", headers=bearer(bob))).status_code == 403
    assert (await make_token(api, "owner")).status_code == 422


async def test_an_admin_project_token_may_make_tokens_for_its_project(
    api: Api, project: dict[str, Any]
) -> None:
    admin_bot = bearer((await make_token(api, "admin")).json()["token"])
    assert (await make_token(api, "write", headers=admin_bot)).status_code == 201


@pytest.mark.parametrize("path", ["/v1/tokens", "/v1/projects/ops/tokens"])
async def test_tokens_can_expire(api: Api, project: dict[str, Any], path: str) -> None:
    body = {"name": "short lived", "expires": 30, "role": "read"}
    if path == "/v1/tokens":
        del body["role"]
    created = (await api.post(path, json=body)).json()
    assert created["expires"] - created["created"] == 30 * 86400
    headers = bearer(created["token"])
    assert (await api.http.get("/v1/projects/ops", headers=headers)).status_code == 200
    async with api.server.database.transaction() as conn:
        stmt = (
            sa.update(api_tokens).where(api_tokens.c.id == sa.bindparam("id")).values(expires=1.0)
        )
        await conn.execute(Query(stmt), id=created["id"])
    expired = await api.http.get("/v1/projects/ops", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["message"] == "the token has expired"
    assert (await api.post(path, json={**body, "expires": 0})).status_code == 422


async def test_an_exchanged_project_token_keeps_its_scope(
    api: Api, project: dict[str, Any]
) -> None:
    token = (await make_token(api)).json()["token"]
    session = (await api.http.get("/v1/auth/token", params={"api_token": token})).json()["token"]
    assert (await api.http.get("/v1/projects/other", headers=bearer(session))).status_code == 404
    assert (
        await api.http.post("/v1/projects/ops/jobs/deploy/runs", headers=bearer(session))
    ).status_code == 201


async def test_a_token_whose_maker_has_no_membership_is_refused(
    api: Api, project: dict[str, Any]
) -> None:
    # A maker without a membership (here: it was deleted behind the API's back).
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "admin")
    token = (await make_token(api, "read", headers=bearer(bob))).json()["token"]
    members = (await api.get("/v1/projects/ops/members")).json()
    bob_id = next(m["user"]["id"] for m in members if m["user"]["username"] == "bob")
    async with api.server.database.transaction() as conn:
        delete = sa.delete(project_members).where(project_members.c.user_id == sa.bindparam("u"))
        await conn.execute(Query(delete), u=bob_id)
    refused = await api.http.get("/v1/projects/ops", headers=bearer(token))
    assert refused.status_code == 401
    assert "no longer a member" in refused.json()["message"]


async def test_disabling_the_makers_account_kills_the_token(
    api: Api, project: dict[str, Any]
) -> None:
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "admin")
    token = (await make_token(api, "read", headers=bearer(bob))).json()["token"]
    await api.patch("/v1/users/bob", json={"disabled": True})
    assert (await api.http.get("/v1/projects/ops", headers=bearer(token))).status_code == 401
    async with api.server.database.read() as conn:
        assert await users_db.get_user_by_username(conn, "bob") is not None
