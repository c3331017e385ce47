"""The same server on PostgreSQL: real process, real runner."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import wait_for_run


async def test_server_on_postgresql_runs_jobs_and_survives_a_crash(
    live_server_factory: Any, empty_postgres_url: str
) -> None:
    server = live_server_factory(database_url=empty_postgres_url, ISHCD_RUNNER_SLOTS="2")
    with server.client() as client:
        assert client.post("/v1/projects", json={"name": "pg"}).status_code == 201
        job = {
            "name": "j",
            "script": "echo on postgres; sleep $NAP",
            "variables": [{"name": "NAP", "default": "0"}],
        }
        assert client.post("/v1/projects/pg/jobs", json=job).status_code == 201
        done = wait_for_run(client, client.post("/v1/projects/pg/jobs/j/runs").json()["id"])
        assert done["status"] == "complete"
        assert done["log"] == "on postgres\n"
        slow = client.post("/v1/projects/pg/jobs/j/runs", json={"env": {"NAP": "300"}}).json()
        for _ in range(200):
            if client.get(f"/v1/runs/{slow['id']}").json()["status"] == "running":
                break
    server.kill()
    server.start()
    with server.client() as client:
        lost = wait_for_run(client, slow["id"])
        assert lost["error_reason"] == "runner_lost"
        assert len(client.get("/v1/projects/pg/runs").json()) == 2
