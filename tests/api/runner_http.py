"""A live HTTP server (uvicorn, in the test's event loop) and a raw runner client.

The runner protocol is driven here by hand, with httpx over real sockets: held
requests, streamed bodies and dropped connections are HTTP's, not the ASGI
test transport's. The server's embedded runner is off (no slots), so every run
goes to the agents a test registers.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ishcd.api.app import create_app
from ishcd.server import Server
from tests.api.conftest import Api, make_settings

_jobs = itertools.count(1)


@dataclass
class Agent:
    """A registered runner, speaking the protocol as a raw HTTP client."""

    id: str
    credential: str
    http: httpx.AsyncClient

    async def request(self, slot: str = "0", wait: float = 0) -> httpx.Response:
        return await self.http.post("/v1/runner/jobs/request", json={"slot": slot, "wait": wait})

    async def claim(self, slot: str = "0", wait: float = 5) -> dict[str, Any]:
        """A run it got (its assignment): fails if none came within ``wait``."""
        response = await self.request(slot, wait)
        assert response.status_code == 200, (response.status_code, response.text)
        return dict(response.json())

    async def heartbeat(self, run_id: str, attempt: int) -> httpx.Response:
        return await self.http.post(
            f"/v1/runner/jobs/{run_id}/heartbeat", json={"attempt": attempt}
        )

    async def control(self, run_id: str, attempt: int, wait: float = 0) -> httpx.Response:
        body = {"attempt": attempt, "wait": wait}
        return await self.http.post(f"/v1/runner/jobs/{run_id}/control", json=body)

    async def log(self, run_id: str, attempt: int, offset: int, data: Any) -> httpx.Response:
        return await self.http.put(
            f"/v1/runner/jobs/{run_id}/log",
            params={"attempt": attempt, "offset": offset},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    async def sections(
        self, run_id: str, attempt: int, sections: list[dict[str, Any]]
    ) -> httpx.Response:
        body = {"attempt": attempt, "sections": sections}
        return await self.http.put(f"/v1/runner/jobs/{run_id}/sections", json=body)

    async def finish(
        self,
        run_id: str,
        attempt: int,
        log_size: int,
        exit_code: int | None = 0,
        error_reason: str | None = None,
    ) -> httpx.Response:
        body = {
            "attempt": attempt,
            "exit_code": exit_code,
            "error_reason": error_reason,
            "log_size": log_size,
        }
        return await self.http.post(f"/v1/runner/jobs/{run_id}/finish", json=body)


@dataclass
class Live:
    """The server, its URL, and the first admin's client (``api``) on it."""

    server: Server
    url: str
    api: Api
    agents: list[Agent]

    async def registration_token(self) -> str:
        made = await self.api.post("/v1/runners/registration-tokens", json={"description": "t"})
        assert made.status_code == 201, made.text
        return str(made.json()["token"])

    async def agent(self, name: str = "builder", labels: tuple[str, ...] = ()) -> Agent:
        """A runner registered with a fresh registration token from the admin API."""
        body = {
            "token": await self.registration_token(),
            "name": name,
            "labels": list(labels),
            "version": "test",
            "host": "localhost",
            "concurrency": 2,
        }
        response = await self.api.http.post("/v1/runner/register", json=body)
        assert response.status_code == 201, response.text
        registered = response.json()
        credential = registered["credential"]
        http = httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {credential}"}, timeout=60
        )
        agent = Agent(registered["id"], credential, http)
        self.agents.append(agent)
        return agent

    async def queue(self, script: str = "echo hi", **job: Any) -> dict[str, Any]:
        """A run of a new stored job in project ``p`` (made on first use)."""
        if (await self.api.get("/v1/projects/p")).status_code == 404:
            await self.api.project("P")
        name = job.pop("name", f"job {next(_jobs)}")
        made = await self.api.job("p", script, name=name, **job)
        return await self.api.start("p", made["machine_name"])


@asynccontextmanager
async def live_server(tmp_path: Path, database_url: str, **overrides: Any) -> AsyncIterator[Live]:
    settings = make_settings(tmp_path, database_url, runner_slots=0, **overrides)
    server = Server(settings)
    await server.start()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(settings, server)
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=2
    )
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve(sockets=[sock]))
    url = f"http://127.0.0.1:{port}"
    agents: list[Agent] = []
    try:
        while not web.started:
            assert not serving.done(), serving
            await asyncio.sleep(0.01)
        assert server.first_start is not None
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            yield Live(server, url, Api(http, server, server.first_start.token), agents)
    finally:
        for agent in agents:
            await agent.http.aclose()
        web.should_exit = True
        await serving
        sock.close()
        await server.stop()
