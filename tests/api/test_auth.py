"""Authentication: API tokens as JWTs, exchange, revocation, the account."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from ishcd.db import users as users_db
from tests.api.conftest import Api, bearer


async def test_no_credentials_is_401_with_a_challenge(api: Api) -> None:
    response = await api.http.get("/v1/projects")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["message"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Digest abc", "Basic !!!"])
async def test_bad_credentials_are_401(api: Api, header: str) -> None:
    response = await api.http.get("/v1/projects", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["errors"] == []


async def test_token_and_basic_schemes_work_too(api: Api) -> None:
    token = api.token
    assert (
        await api.http.get("/v1/account", headers={"Authorization": f"Token {token}"})
    ).status_code == 200
    basic = base64.b64encode(f"{token}:".encode()).decode()
    response = await api.http.get("/v1/account", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    assert response.json()["username"] == "admin"


async def test_a_token_signed_with_another_key_is_refused(api: Api) -> None:
    forged = jwt.encode(
        {"iss": "ishcd", "sub": "x", "typ": "api", "jti": "y", "iat": 1},
        "w" * 32,
        algorithm="HS256",
    )
    assert (await api.http.get("/v1/account", headers=bearer(forged))).status_code == 401


async def test_create_list_and_revoke_tokens(api: Api) -> None:
    response = await api.post("/v1/tokens", json={"name": "chatbot integration"})
    assert response.status_code == 201
    created = response.json()
    new_token = created["token"]
    assert created["name"] == "chatbot integration"
    assert created["last_used"] is None
    assert (await api.http.get("/v1/account", headers=bearer(new_token))).status_code == 200
    listed = (await api.get("/v1/tokens")).json()
    names = {t["name"]: t for t in listed}
    assert set(names) == {"initial token", "chatbot integration"}
    assert all("token" not in t for t in listed)
    assert names["chatbot integration"]["last_used"] is not None
    assert (await api.delete(f"/v1/tokens/{created['id']}")).status_code == 204
    response = await api.http.get("/v1/account", headers=bearer(new_token))
    assert response.status_code == 401
    assert response.json()["message"] == "the token has been revoked"
    assert [t["name"] for t in (await api.get("/v1/tokens")).json()] == ["initial token"]
    assert (await api.delete(f"/v1/tokens/{created['id']}")).status_code == 404


async def test_nobody_revokes_someone_elses_token(api: Api) -> None:
    bob = await api.user("bob")
    bobs = (await api.get("/v1/tokens", headers=bearer(bob))).json()[0]
    assert (await api.delete(f"/v1/tokens/{bobs['id']}")).status_code == 404
    assert (await api.http.get("/v1/account", headers=bearer(bob))).status_code == 200


async def test_token_names_are_validated(api: Api) -> None:
    response = await api.post("/v1/tokens", json={"name": ""})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


async def test_exchange_an_api_token_for_a_12_hour_jwt(api: Api) -> None:
    response = await api.http.get("/v1/auth/token", params={"api_token": api.token})
    assert response.status_code == 200
    session = response.json()["token"]
    claims = jwt.decode(session, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert (await api.http.get("/v1/account", headers=bearer(session))).json()[
        "username"
    ] == "admin"


async def test_exchange_refuses_bad_tokens(api: Api) -> None:
    assert (await api.http.get("/v1/auth/token", params={"api_token": "x"})).status_code == 401
    missing = await api.http.get("/v1/auth/token")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "api_token"
    session = (await api.http.get("/v1/auth/token", params={"api_token": api.token})).json()[
        "token"
    ]
    # A session JWT is not an API token: no chaining sessions forever.
    assert (await api.http.get("/v1/auth/token", params={"api_token": session})).status_code == 401


async def test_revoking_the_api_token_ends_its_exchanged_jwts(api: Api) -> None:
    created = (await api.post("/v1/tokens", json={"name": "ci"})).json()
    session = (await api.http.get("/v1/auth/token", params={"api_token": created["token"]})).json()[
        "token"
    ]
    assert (await api.http.get("/v1/account", headers=bearer(session))).status_code == 200
    await api.delete(f"/v1/tokens/{created['id']}")
    assert (await api.http.get("/v1/account", headers=bearer(session))).status_code == 401


async def test_an_expired_jwt_is_401(api: Api) -> None:
    account = (await api.get("/v1/account")).json()
    now = int(time.time())
    claims = {
        "iss": "ishcd",
        "sub": account["id"],
        "typ": "session",
        "iat": now - 100,
        "exp": now - 10,
    }
    expired = jwt.encode(claims, api.server.keys.jwt, algorithm="HS256")
    response = await api.http.get("/v1/account", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["message"] == "the token has expired"


async def test_a_disabled_account_is_locked_out_at_once(api: Api) -> None:
    bob = await api.user("bob")
    account = (await api.http.get("/v1/account", headers=bearer(bob))).json()
    async with api.server.database.transaction() as conn:
        await users_db.update_user(conn, account["id"], {"disabled": True})
    response = await api.http.get("/v1/account", headers=bearer(bob))
    assert response.status_code == 401
    assert response.json()["message"] == "the account is disabled"


async def test_read_and_change_the_account(api: Api) -> None:
    account = (await api.get("/v1/account")).json()
    assert account["username"] == "admin"
    assert account["is_admin"] is True
    assert account["name"] is None
    response = await api.patch("/v1/account", json={"name": "Ada", "email": "ada@example.com"})
    assert response.status_code == 200
    assert response.json()["name"] == "Ada"
    assert response.json()["email"] == "ada@example.com"
    assert (await api.patch("/v1/account", json={"email": "nope"})).status_code == 422
    await api.user("bob")
    assert (await api.patch("/v1/account", json={"username": "bob"})).status_code == 409
    assert (await api.patch("/v1/account", json={"username": "ada"})).json()["username"] == "ada"
    assert (await api.patch("/v1/account", json={"username": None})).status_code == 422
    assert (await api.patch("/v1/account", json={"password": "x"})).status_code == 422
