"""Site admins manage users: create, list, disable, delete."""

from __future__ import annotations

from tests.api.conftest import Api, bearer


async def test_create_list_read_users(api: Api) -> None:
    response = await api.post("/v1/users", json={"username": "alice", "email": "a@example.com"})
    assert response.status_code == 201
    created = response.json()
    assert created["username"] == "alice"
    assert created["disabled"] is False
    assert len(created["password"]) >= 16  # generated, shown once
    with_password = await api.post("/v1/users", json={"username": "bob", "password": "long-enough"})
    assert with_password.json()["password"] is None
    names = [u["username"] for u in (await api.get("/v1/users")).json()]
    assert names == ["admin", "alice", "bob"]
    by_name = (await api.get("/v1/users/alice")).json()
    by_id = (await api.get(f"/v1/users/{created['id']}")).json()
    assert by_name == by_id
    assert "password" not in by_name
    assert (await api.get("/v1/users/nobody")).status_code == 404


async def test_user_input_is_checked(api: Api) -> None:
    await api.post("/v1/users", json={"username": "alice"})
    assert (await api.post("/v1/users", json={"username": "alice"})).status_code == 409
    bad = await api.post("/v1/users", json={"username": "no spaces"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "username"
    short = await api.post("/v1/users", json={"username": "carol", "password": "short"})
    assert short.json()["errors"][0]["field"] == "password"


async def test_only_site_admins_manage_users(api: Api) -> None:
    bob = await api.user("bob")
    for method, path in [
        ("GET", "/v1/users"),
        ("POST", "/v1/users"),
        ("GET", "/v1/users/bob"),
        ("DELETE", "/v1/users/bob"),
    ]:
        response = await api.http.request(method, path, headers=bearer(bob), json={"username": "x"})
        assert response.status_code == 403, (method, path)


async def test_disabling_a_user_stops_their_tokens_at_once(api: Api) -> None:
    bob = await api.user("bob")
    assert (await api.http.get("/v1/account", headers=bearer(bob))).status_code == 200
    response = await api.patch("/v1/users/bob", json={"disabled": True})
    assert response.status_code == 200
    assert response.json()["disabled"] is True
    assert (await api.http.get("/v1/account", headers=bearer(bob))).status_code == 401
    await api.patch("/v1/users/bob", json={"disabled": False})
    assert (await api.http.get("/v1/account", headers=bearer(bob))).status_code == 200


async def test_the_last_site_admin_stays(api: Api) -> None:
    me = (await api.get("/v1/account")).json()["id"]
    assert (await api.patch(f"/v1/users/{me}", json={"disabled": True})).status_code == 409
    assert (await api.patch(f"/v1/users/{me}", json={"is_admin": False})).status_code == 409
    assert (await api.delete(f"/v1/users/{me}")).status_code == 409
    await api.user("second", admin=True)
    assert (await api.patch(f"/v1/users/{me}", json={"is_admin": False})).status_code == 200


async def test_delete_a_user_with_their_tokens(api: Api) -> None:
    bob = await api.user("bob")
    assert (await api.delete("/v1/users/bob")).status_code == 204
    assert (await api.get("/v1/users/bob")).status_code == 404
    assert (await api.http.get("/v1/account", headers=bearer(bob))).status_code == 401


async def test_the_last_admin_of_a_project_cannot_be_deleted(api: Api) -> None:
    bob = await api.user("bob")
    await api.http.post("/v1/projects", json={"name": "Bobs"}, headers=bearer(bob))
    response = await api.delete("/v1/users/bob")
    assert response.status_code == 409
    assert "bobs" in response.json()["message"]


async def test_an_admin_sets_a_password_and_the_user_logs_in(api: Api) -> None:
    await api.user("bob")
    assert (await api.patch("/v1/users/bob", json={"password": "set-by-admin"})).status_code == 200
    login = await api.http.post(
        "/v1/auth/login", json={"username": "bob", "password": "set-by-admin"}
    )
    assert login.status_code == 200
