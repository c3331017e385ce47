"""The API tier: the real app, a real database, the real embedded runner, in-process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ishcd.api.app import create_app
from ishcd.server import Server
from ishcd.services import tokens, users
from ishcd.settings import Settings

FINISHED = ("complete", "error")


@dataclass
class Api:
    """An HTTP client on the app, authenticated as the first admin."""

    http: httpx.AsyncClient
    server: Server
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return await self.http.get(path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return await self.http.post(path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return await self.http.patch(path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return await self.http.delete(path, **kwargs)

    async def user(self, username: str, *, admin: bool = False) -> str:
        """Create another account; its API token."""
        db = self.server.database
        async with db.transaction() as conn:
            user = await users.create_user(conn, username, password_hash=None, is_admin=admin)
            new = await tokens.mint(conn, self.server.keys, user.id, "test")
        return new.token

    async def grant(self, project_id: str, token: str, role: str) -> None:
        """Make the token's user a member of a project with ``role``."""
        username = (await self.get("/v1/account", headers=bearer(token))).json()["username"]
        body = {"username": username, "role": role}
        response = await self.post(f"/v1/projects/{project_id}/members", json=body)
        assert response.status_code == 201, response.text

    async def project(self, name: str = "My Corp", **fields: Any) -> dict[str, Any]:
        response = await self.post("/v1/projects", json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def job(self, project: str, script: str, **fields: Any) -> dict[str, Any]:
        body = {"name": fields.pop("name", "Job"), "script": script, **fields}
        response = await self.post(f"/v1/projects/{project}/jobs", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def start(self, project: str, job: str, **body: Any) -> dict[str, Any]:
        response = await self.post(f"/v1/projects/{project}/jobs/{job}/runs", json=body or None)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def wait(
        self, run_id: str, timeout: float = 30, until: tuple[str, ...] = FINISHED
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = await self.get(f"/v1/runs/{run_id}")
            assert response.status_code == 200, response.text
            run = dict(response.json())
            if run["status"] in until:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"run still {run['status']} after {timeout}s: {run}")
            await asyncio.sleep(0.02)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "runner_slots": 2,
        "heartbeat_interval": 0.5,
        "kill_grace": 1.0,
        "shutdown_grace": 1.0,
        "secret_key": "test-secret-key",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the server's settings."""
    return {}


@asynccontextmanager
async def serving(settings: Settings, token: str | None = None) -> AsyncIterator[Api]:
    """The app on a started server, as the first admin (or as ``token``)."""
    server = Server(settings)
    await server.start()
    try:
        if token is None:
            assert server.first_start is not None, "no first admin here: pass a token"
            token = server.first_start.token
        transport = httpx.ASGITransport(app=create_app(settings, server))
        async with httpx.AsyncClient(transport=transport, base_url="http://ishcd.test") as http:
            yield Api(http, server, token)
    finally:
        await server.stop()


@pytest.fixture
async def api(
    tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]
) -> AsyncIterator[Api]:
    async with serving(make_settings(tmp_path, database_url, **settings_overrides)) as api:
        yield api
