"""Load as a test of correctness: thousands of short runs from many clients, nothing harmed.

Sixteen clients each create runs and read them back through a real server
(SQLite, default runner slots), as fast as it answers. Then: every run ended
``complete`` with exit code 0 and its own output in its log, no run is left
queued or running, every runner slot still takes work, the server printed no
traceback, and SIGTERM stops it within its grace period. A double close of a
descriptor in the runner (issue 8) showed here as ``setup_failed`` runs,
``Bad file descriptor`` tracebacks, runs left running and a server deaf to
SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import LiveServer, free_port, wait_for_run

CLIENTS = 16
RUNS = int(os.environ.get("ISHCD_TEST_LOAD_RUNS", "2000"))
SLOTS = 2
GRACE = 10


async def _client(server: LiveServer, count: int) -> list[str]:
    made: list[str] = []
    headers = {"Authorization": f"Bearer {server.token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as http:
        for _ in range(count):
            response = await http.post("/v1/projects/load/jobs/echo/runs")
            assert response.status_code == 201, response.text
            run_id = response.json()["id"]
            read = await http.get(f"/v1/runs/{run_id}")
            assert read.status_code == 200, read.text
            made.append(run_id)
    return made


async def _drive(server: LiveServer) -> list[str]:
    share = [RUNS // CLIENTS + (1 if i < RUNS % CLIENTS else 0) for i in range(CLIENTS)]
    batches = await asyncio.gather(*(_client(server, n) for n in share))
    return [run_id for batch in batches for run_id in batch]


def _all_runs(client: httpx.Client) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        response = client.get("/v1/projects/load/runs", params={"page": page, "per_page": 100})
        response.raise_for_status()
        batch = response.json()
        found.update((run["id"], run) for run in batch)
        if len(batch) < 100:
            return found
        page += 1


def _wait_quiet(client: httpx.Client) -> None:
    for status in ("queued", "running"):
        while client.get("/v1/projects/load/runs", params={"status": status}).json():
            time.sleep(0.2)


def test_thousands_of_runs_from_many_clients_all_complete(tmp_path: Path) -> None:
    server = LiveServer(
        data_dir=tmp_path / "data",
        port=free_port(),
        extra_env={"ISHCD_RUNNER_SLOTS": str(SLOTS), "ISHCD_SHUTDOWN_GRACE": str(GRACE)},
    )
    server.start()
    try:
        with server.client() as client:
            client.post("/v1/projects", json={"name": "load"}).raise_for_status()
            job = {"name": "echo", "script": 'echo "run $ISHCD_RUN_ID"'}
            client.post("/v1/projects/load/jobs", json=job).raise_for_status()
            made = asyncio.run(_drive(server))
            assert len(set(made)) == RUNS
            _wait_quiet(client)
            runs = _all_runs(client)
            assert set(runs) == set(made)
            harmed = [r for r in runs.values() if (r["status"], r["exit_code"]) != ("complete", 0)]
            assert harmed == [], harmed[:5]
            for run_id in made[:: max(1, RUNS // 50)]:
                assert client.get(f"/v1/runs/{run_id}/log").text == f"run {run_id}\n"
            _every_slot_takes_work(client, tmp_path / "go")
        process = server.process
        assert process is not None
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(GRACE + 5)
        except subprocess.TimeoutExpired:
            raise AssertionError("SIGTERM did not stop the server in its grace period") from None
    finally:
        server.stop()
    output = "".join(server.output)
    assert "Traceback" not in output, output[-5000:]
    assert "Bad file descriptor" not in output


def _every_slot_takes_work(client: httpx.Client, flag: Path) -> None:
    """As many waiting runs as slots: all of them run at once (none is stuck)."""
    job: dict[str, Any] = {
        "name": "hold",
        "script": 'while [ ! -e "$MARK" ]; do sleep 0.05; done',
        "variables": [{"name": "MARK", "required": True}],
    }
    client.post("/v1/projects/load/jobs", json=job).raise_for_status()
    runs = []
    for _ in range(SLOTS):
        response = client.post(
            "/v1/projects/load/jobs/hold/runs", json={"env": {"MARK": str(flag)}}
        )
        runs.append(response.json()["id"])
    try:
        for _ in range(600):
            states = [client.get(f"/v1/runs/{run_id}").json()["status"] for run_id in runs]
            if states.count("running") == SLOTS:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"not every slot took a run: {states}")
    finally:
        flag.touch()
    for run_id in runs:
        assert wait_for_run(client, run_id)["status"] == "complete"
