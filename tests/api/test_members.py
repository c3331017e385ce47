"""Members, invitations, and the last-admin rule."""

from __future__ import annotations

from typing import Any

import pytest

from ishcd.db import projects as projects_db
from tests.api.conftest import Api, bearer


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


async def members(api: Api) -> list[dict[str, Any]]:
    return list((await api.get("/v1/projects/ops/members")).json())


async def test_the_creator_is_the_first_admin(api: Api, project: dict[str, Any]) -> None:
    listed = await members(api)
    assert [(m["user"]["username"], m["role"], m["status"]) for m in listed] == [
        ("admin", "admin", "active")
    ]


async def test_add_change_remove_a_member(api: Api, project: dict[str, Any]) -> None:
    bob = await api.user("bob")
    added = await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "read"})
    assert added.status_code == 201
    member = added.json()
    assert member["user"]["username"] == "bob"
    assert member["email"] is None
    assert (await api.http.get("/v1/projects/ops", headers=bearer(bob))).status_code == 200
    changed = await api.patch(f"/v1/projects/ops/members/{member['id']}", json={"role": "write"})
    assert changed.json()["role"] == "write"
    assert (await api.post("/v1/projects/ops/jobs/x/runs", headers=bearer(bob))).status_code == 404
    assert (await api.delete(f"/v1/projects/ops/members/{member['id']}")).status_code == 204
    assert (await api.http.get("/v1/projects/ops", headers=bearer(bob))).status_code == 404


async def test_member_input_is_checked(api: Api, project: dict[str, Any]) -> None:
    await api.user("bob")
    await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "read"})
    again = await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "admin"})
    assert again.status_code == 409
    nobody = await api.post("/v1/projects/ops/members", json={"username": "nobody", "role": "read"})
    assert nobody.status_code == 422
    assert "invite" in nobody.json()["errors"][0]["message"]
    role = await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "owner"})
    assert role.json()["errors"][0]["field"] == "role"
    both = await api.post(
        "/v1/projects/ops/members", json={"username": "bob", "email": "b@x.io", "role": "read"}
    )
    assert both.status_code == 422
    assert (
        await api.patch("/v1/projects/ops/members/nope", json={"role": "read"})
    ).status_code == 404


async def test_the_last_admin_cannot_be_removed_or_demoted(
    api: Api, project: dict[str, Any]
) -> None:
    me = (await members(api))[0]
    demote = await api.patch(f"/v1/projects/ops/members/{me['id']}", json={"role": "write"})
    assert demote.status_code == 409
    assert "last admin" in demote.json()["message"]
    assert (await api.delete(f"/v1/projects/ops/members/{me['id']}")).status_code == 409
    await api.user("bob")
    await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "admin"})
    assert (
        await api.patch(f"/v1/projects/ops/members/{me['id']}", json={"role": "read"})
    ).status_code == 200


async def test_members_are_managed_by_project_admins(api: Api, project: dict[str, Any]) -> None:
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "write")
    assert (await api.get("/v1/projects/ops/members", headers=bearer(bob))).status_code == 200
    response = await api.post(
        "/v1/projects/ops/members",
        json={"email": "x@example.com", "role": "admin"},
        headers=bearer(bob),
    )
    assert response.status_code == 403


async def test_invite_someone_without_an_account(api: Api, project: dict[str, Any]) -> None:
    added = await api.post(
        "/v1/projects/ops/members", json={"email": "carol@example.com", "role": "write"}
    )
    member = added.json()
    assert member["status"] == "invited"
    assert member["user"] is None
    invite = await api.post(f"/v1/projects/ops/members/{member['id']}/invite")
    assert invite.status_code == 201
    link = invite.json()
    assert link["url"] == f"http://ishcd.test/v1/invitations/{link['token']}"
    info = await api.http.get(f"/v1/invitations/{link['token']}")
    assert info.json()["role"] == "write"
    assert info.json()["project"]["machine_name"] == "ops"
    accepted = await api.http.post(
        f"/v1/invitations/{link['token']}",
        json={"username": "carol", "password": "carols-password"},
    )
    assert accepted.status_code == 201
    body = accepted.json()
    assert body["user"]["username"] == "carol"
    assert body["user"]["email"] == "carol@example.com"
    assert body["role"] == "write"
    carol = bearer(body["token"])
    assert (await api.http.get("/v1/projects/ops", headers=carol)).status_code == 200
    active = next(m for m in await members(api) if m["id"] == member["id"])
    assert active["status"] == "active"
    assert active["user"]["username"] == "carol"
    again = await api.http.post(
        f"/v1/invitations/{link['token']}",
        json={"username": "carol2", "password": "carols-password"},
    )
    assert again.status_code == 404  # one time only
    login = await api.http.post(
        "/v1/auth/login", json={"username": "carol", "password": "carols-password"}
    )
    assert login.status_code == 200


async def test_a_new_invitation_replaces_the_old_one_and_they_expire(
    api: Api, project: dict[str, Any]
) -> None:
    member = (
        await api.post("/v1/projects/ops/members", json={"email": "d@example.com", "role": "read"})
    ).json()
    first = (await api.post(f"/v1/projects/ops/members/{member['id']}/invite")).json()["token"]
    second = (await api.post(f"/v1/projects/ops/members/{member['id']}/invite")).json()["token"]
    assert (await api.http.get(f"/v1/invitations/{first}")).status_code == 404
    assert (await api.http.get(f"/v1/invitations/{second}")).status_code == 200
    async with api.server.database.transaction() as conn:
        await projects_db.update_member(conn, member["id"], {"invitation_expires": 1.0})
    assert (await api.http.get(f"/v1/invitations/{second}")).status_code == 404


async def test_invitation_checks(api: Api, project: dict[str, Any]) -> None:
    await api.user("bob")
    bob = (
        await api.post("/v1/projects/ops/members", json={"username": "bob", "role": "read"})
    ).json()
    assert (await api.post(f"/v1/projects/ops/members/{bob['id']}/invite")).status_code == 409
    member = (
        await api.post("/v1/projects/ops/members", json={"email": "e@example.com", "role": "read"})
    ).json()
    token = (await api.post(f"/v1/projects/ops/members/{member['id']}/invite")).json()["token"]
    taken = await api.http.post(
        f"/v1/invitations/{token}", json={"username": "bob", "password": "long-enough"}
    )
    assert taken.status_code == 409
    weak = await api.http.post(
        f"/v1/invitations/{token}", json={"username": "eve", "password": "short"}
    )
    assert weak.status_code == 422
    assert (await api.http.get("/v1/invitations/not-a-token")).status_code == 404


async def test_pending_invitations_are_not_admins(api: Api, project: dict[str, Any]) -> None:
    await api.post("/v1/projects/ops/members", json={"email": "f@example.com", "role": "admin"})
    me = next(m for m in await members(api) if m["status"] == "active")
    assert (await api.delete(f"/v1/projects/ops/members/{me['id']}")).status_code == 409


async def test_the_same_email_is_invited_once(api: Api, project: dict[str, Any]) -> None:
    first = await api.post(
        "/v1/projects/ops/members", json={"email": "g@example.com", "role": "read"}
    )
    assert first.status_code == 201
    again = await api.post(
        "/v1/projects/ops/members", json={"email": "G@example.com", "role": "write"}
    )
    assert again.status_code == 409
