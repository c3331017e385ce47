"""Runners register with a registration token and get their own credential, shown once."""

from __future__ import annotations

import time
from typing import Any

from ishcd.services import runners
from tests.api.conftest import Api


async def registration_token(api: Api, description: str = "ci fleet") -> tuple[str, str]:
    """A registration token made by the site admin: (id, token)."""
    response = await api.post("/v1/runners/registration-tokens", json={"description": description})
    assert response.status_code == 201, response.text
    made = response.json()
    return made["id"], made["token"]


async def register(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    """A runner registered with ``token``: its id, name, labels and credential."""
    response = await api.http.post("/v1/runner/register", json=runner_body(token, **fields))
    assert response.status_code == 201, response.text
    return dict(response.json())


def runner_body(token: str, **fields: Any) -> dict[str, Any]:
    return {
        "token": token,
        "name": "builder-1",
        "labels": ["linux", "x86_64"],
        "version": "1.0",
        "host": "builder-1.example",
        "concurrency": 2,
        **fields,
    }


async def test_a_runner_registers_and_authenticates_with_its_credential(api: Api) -> None:
    _, token = await registration_token(api)
    assert token.startswith("ishrt_")
    response = await api.http.post("/v1/runner/register", json=runner_body(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "builder-1"
    assert body["labels"] == ["linux", "x86_64"]
    credential = body["credential"]
    assert credential.startswith("ishr_")
    async with api.server.database.transaction() as conn:
        runner = await runners.authenticate(conn, credential, time.time() + 5)
        assert runner is not None
        assert runner.id == body["id"]
        assert runner.labels == frozenset({"linux", "x86_64"})
        assert (runner.concurrency, runner.paused, runner.host) == (2, False, "builder-1.example")
        assert await runners.authenticate(conn, credential + "x", time.time()) is None
        assert await runners.authenticate(conn, token, time.time()) is None
    async with api.server.database.read() as conn:
        again = await runners.find(conn, credential)
    assert again is not None
    assert again.last_contact == runner.last_contact
    # A second registration with the same token is another runner with another credential.
    second = (await api.http.post("/v1/runner/register", json=runner_body(token))).json()
    assert second["id"] != body["id"]
    assert second["credential"] != credential


async def test_contact_is_written_at_most_about_once_a_second(api: Api) -> None:
    _, token = await registration_token(api)
    credential = (await api.http.post("/v1/runner/register", json=runner_body(token))).json()[
        "credential"
    ]
    now = time.time() + 100
    async with api.server.database.transaction() as conn:
        first = await runners.authenticate(conn, credential, now)
        soon = await runners.authenticate(conn, credential, now + 0.5)
        later = await runners.authenticate(conn, credential, now + 2)
    assert first is not None
    assert soon is not None
    assert later is not None
    assert (first.last_contact, soon.last_contact, later.last_contact) == (now, now, now + 2)


async def test_a_bad_or_revoked_registration_token_is_401(api: Api) -> None:
    token_id, token = await registration_token(api)
    for bad in ("ishrt_nope", "nope", token + "x"):
        response = await api.http.post("/v1/runner/register", json=runner_body(bad))
        assert response.status_code == 401, bad
        assert "registration token" in response.json()["message"]
    credential = (await api.http.post("/v1/runner/register", json=runner_body(token))).json()[
        "credential"
    ]
    assert (await api.delete(f"/v1/runners/registration-tokens/{token_id}")).status_code == 204
    assert (await api.http.post("/v1/runner/register", json=runner_body(token))).status_code == 401
    async with api.server.database.transaction() as conn:  # its runners keep working
        assert await runners.authenticate(conn, credential, time.time()) is not None


async def test_registration_input_is_checked(api: Api) -> None:
    _, token = await registration_token(api)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"labels": ["no spaces"]}, "labels[0]"),
        ({"labels": ["ok", ""]}, "labels[1]"),
        ({"labels": [f"l{i}" for i in range(9)]}, "labels"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 257}, "concurrency"),
        ({"version": "v" * 65}, "version"),
        ({"host": "h" * 256}, "host"),
    ]
    for fields, field in cases:
        response = await api.http.post("/v1/runner/register", json=runner_body(token, **fields))
        assert response.status_code == 422, fields
        assert field in [e["field"] for e in response.json()["errors"]], (fields, response.json())
