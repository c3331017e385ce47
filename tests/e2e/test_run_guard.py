"""A run's processes do not outlive the server that runs them (``kill -9`` included).

Each script sleeps, then leaves a marker file: straight from the script, from
a background child in its process group, and from a ``setsid`` escapee. The
server is killed with SIGKILL while they sleep; no marker may ever appear,
since a run the server no longer owns must not still be doing its work.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.e2e.conftest import LiveServer, guards_of, wait_for_run

SLEEP = 3


def _script(markers: Path) -> str:
    return (
        f"(sleep {SLEEP}; touch {markers}/background-$ISHCD_RUN_ID) &\n"
        f"setsid bash -c 'sleep {SLEEP}; touch {markers}/escaped-$ISHCD_RUN_ID' &\n"
        "echo started\n"
        f"sleep {SLEEP}\n"
        f"touch {markers}/script-$ISHCD_RUN_ID\n"
    )


def _wait_started(client: httpx.Client, run_ids: list[str]) -> None:
    deadline = time.monotonic() + 30
    for run_id in run_ids:
        while b"started" not in client.get(f"/v1/runs/{run_id}/log").content:
            assert time.monotonic() < deadline, "the runs did not start"
            time.sleep(0.05)


def test_killing_the_server_kills_its_runs_processes(
    live_server: LiveServer, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    with live_server.client() as client:
        client.post("/v1/projects", json={"name": "p"}).raise_for_status()
        job = {"name": "slow", "script": _script(markers)}
        client.post("/v1/projects/p/jobs", json=job).raise_for_status()
        runs = [client.post("/v1/projects/p/jobs/slow/runs").json()["id"] for _ in range(2)]
        _wait_started(client, runs)

    live_server.kill()
    time.sleep(SLEEP + 2)
    assert sorted(p.name for p in markers.iterdir()) == []

    live_server.start()
    with live_server.client() as client:
        for run_id in runs:
            assert wait_for_run(client, run_id)["error_reason"] == "runner_lost"


def test_a_clean_stop_leaves_no_guard_behind(live_server: LiveServer, tmp_path: Path) -> None:
    assert live_server.process is not None
    server_pid = live_server.process.pid
    guards = guards_of(server_pid)
    assert len(guards) == 1
    live_server.stop()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{guards[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{guards[0]}").exists()
