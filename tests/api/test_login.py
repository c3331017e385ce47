"""Logging in, failed logins slowed down, changing one's password."""

from __future__ import annotations

import asyncio

import pytest

from ishcd.services import login, passwords
from tests.api.conftest import Api, bearer

PASSWORD = "correct horse battery"


@pytest.fixture
async def alice(api: Api) -> str:
    response = await api.post("/v1/users", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    return "alice"


async def log_in(
    api: Api, username: str, password: str
) -> tuple[int, dict[str, object], dict[str, str]]:
    response = await api.http.post(
        "/v1/auth/login", json={"username": username, "password": password}
    )
    return response.status_code, response.json(), dict(response.headers)


async def test_login_gives_a_12_hour_jwt(api: Api, alice: str) -> None:
    status, body, _ = await log_in(api, "alice", PASSWORD)
    assert status == 200
    token = str(body["token"])
    account = await api.http.get("/v1/account", headers=bearer(token))
    assert account.json()["username"] == "alice"


async def test_wrong_password_and_unknown_user_look_the_same(api: Api, alice: str) -> None:
    wrong = await log_in(api, "alice", "nope-nope")
    unknown = await log_in(api, "nobody", "nope-nope")
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1] == {"message": "wrong user name or password", "errors": []}


async def test_a_disabled_user_cannot_log_in_and_is_told_nothing_more(api: Api, alice: str) -> None:
    await api.patch("/v1/users/alice", json={"disabled": True})
    status, body, _ = await log_in(api, "alice", PASSWORD)
    assert status == 401
    assert body["message"] == "wrong user name or password"


async def test_repeated_failures_lock_the_name_for_longer_each_time(api: Api, alice: str) -> None:
    for _ in range(login.FREE_FAILURES):
        assert (await log_in(api, "alice", "guess"))[0] == 401
    # The next failure locks the name for 1 s; during it even the right password is refused.
    assert (await log_in(api, "alice", "guess"))[0] == 401
    status, body, headers = await log_in(api, "alice", PASSWORD)
    assert status == 429
    assert headers["retry-after"] == "1"
    assert "try again" in str(body["message"])
    await asyncio.sleep(1.1)
    assert (await log_in(api, "alice", "guess"))[0] == 401  # now locked 2 s
    status, _, headers = await log_in(api, "alice", PASSWORD)
    assert status == 429
    assert headers["retry-after"] == "2"


async def test_unknown_names_are_throttled_just_the_same(api: Api) -> None:
    for _ in range(login.FREE_FAILURES + 1):
        await log_in(api, "ghost", "guess")
    assert (await log_in(api, "ghost", "guess"))[0] == 429


async def test_a_success_clears_the_count(api: Api, alice: str) -> None:
    for _ in range(login.FREE_FAILURES):
        await log_in(api, "alice", "guess")
    assert (await log_in(api, "alice", PASSWORD))[0] == 200
    for _ in range(login.FREE_FAILURES):
        assert (await log_in(api, "alice", "guess"))[0] == 401


async def test_login_failures_are_in_the_site_audit(api: Api, alice: str) -> None:
    await log_in(api, "alice", "guess")
    events = (await api.get("/v1/audit", params={"action": "login.failed"})).json()
    assert events[0]["details"] == {"username": "alice", "failures": 1}
    assert events[0]["actor"]["type"] == "anonymous"
    assert events[0]["ip"] is not None


async def test_change_password_needs_the_current_one(api: Api, alice: str) -> None:
    token = str((await log_in(api, "alice", PASSWORD))[1]["token"])
    headers = bearer(token)
    missing = await api.http.patch(
        "/v1/account", json={"password": "new-password-1"}, headers=headers
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "current_password"
    wrong = await api.http.patch(
        "/v1/account",
        json={"password": "new-password-1", "current_password": "nope"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    short = await api.http.patch(
        "/v1/account", json={"password": "short", "current_password": PASSWORD}, headers=headers
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "password"
    ok = await api.http.patch(
        "/v1/account",
        json={"password": "new-password-1", "current_password": PASSWORD, "name": "Alice"},
        headers=headers,
    )
    assert ok.status_code == 200
    assert ok.json()["name"] == "Alice"
    assert (await log_in(api, "alice", PASSWORD))[0] == 401
    assert (await log_in(api, "alice", "new-password-1"))[0] == 200


async def test_the_password_is_stored_as_an_argon2_hash(api: Api, alice: str) -> None:
    from ishcd.db import users as users_db

    async with api.server.database.read() as conn:
        user = await users_db.get_user_by_username(conn, "alice")
    assert user is not None
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


async def test_a_missing_user_costs_a_real_argon2_check(
    api: Api, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = passwords._hasher

    class Spy:
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hashed: str, password: str) -> bool:
            checked.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    await log_in(api, "nobody-at-all", "x")
    await log_in(api, "alice", "x")
    assert len(checked) == 2
    assert all(h.startswith("$argon2id$") for h in checked)


async def test_a_new_password_ends_earlier_logins(api: Api, alice: str) -> None:
    old = str((await log_in(api, "alice", PASSWORD))[1]["token"])
    api_token = (await api.http.post("/v1/tokens", json={"name": "t"}, headers=bearer(old))).json()
    changed = await api.http.patch(
        "/v1/account",
        json={"password": "brand-new-password", "current_password": PASSWORD},
        headers=bearer(old),
    )
    assert changed.status_code == 200
    ended = await api.http.get("/v1/account", headers=bearer(old))
    assert ended.status_code == 401
    assert "log in again" in ended.json()["message"]
    new = str((await log_in(api, "alice", "brand-new-password"))[1]["token"])
    assert (await api.http.get("/v1/account", headers=bearer(new))).status_code == 200
    # API tokens are managed on their own: they keep working.
    assert (
        await api.http.get("/v1/account", headers=bearer(api_token["token"]))
    ).status_code == 200
    await api.patch("/v1/users/alice", json={"password": "set-by-the-admin"})
    assert (await api.http.get("/v1/account", headers=bearer(new))).status_code == 401


async def test_a_failing_account_change_changes_nothing(api: Api, alice: str) -> None:
    token = str((await log_in(api, "alice", PASSWORD))[1]["token"])
    await api.user("taken")
    response = await api.http.patch(
        "/v1/account",
        json={"username": "taken", "password": "another-password", "current_password": PASSWORD},
        headers=bearer(token),
    )
    assert response.status_code == 409
    assert (await log_in(api, "alice", PASSWORD))[0] == 200  # the password did not change
    assert (await api.http.get("/v1/account", headers=bearer(token))).status_code == 200
