"""The few Ish CD API calls the benchmarks make, each on a ``wire.Connection``."""

from __future__ import annotations

from typing import Any

from bench import wire
from bench.exceptions import BenchError

PROJECT = "bench"
JOB = "true"
RUNS = f"/v1/projects/{PROJECT}/jobs/{JOB}/runs"


async def connect(base_url: str, token: str) -> wire.Connection:
    return await wire.Connection.open(base_url, {"Authorization": f"Bearer {token}"})


def run_url(run_id: str) -> str:
    return f"{RUNS}/{run_id}"


async def _call(
    conn: wire.Connection, method: str, target: str, expect: int, body: object = None
) -> wire.Response:
    response = await conn.request(method, target, body)
    if response.status != expect:
        raise BenchError(
            f"{method} {target} answered {response.status}, not {expect}: "
            f"{response.body[:500].decode(errors='replace')}"
        )
    return response


async def create_job(conn: wire.Connection) -> None:
    """The project ``bench`` and its job ``true`` (script: ``true``)."""
    await _call(conn, "POST", "/v1/projects", 201, {"name": PROJECT})
    job = {"name": JOB, "script": "true"}
    created = (await _call(conn, "POST", f"/v1/projects/{PROJECT}/jobs", 201, job)).json()
    if created["machine_name"] != JOB:
        raise BenchError(f"the job was named {created['machine_name']!r}, not {JOB!r}")


async def submit(conn: wire.Connection) -> str:
    """Start a run of the job; its id."""
    run = (await _call(conn, "POST", RUNS, 201)).json()
    if run["status"] != "queued":
        raise BenchError(f"a new run is {run['status']!r}, not 'queued'")
    run_id: str = run["id"]
    return run_id


async def follow(conn: wire.Connection, run_id: str) -> None:
    """Read the run's log stream to its end, which comes once the run has finished."""
    await _call(conn, "GET", f"/v1/runs/{run_id}/log?follow=1", 200)


async def get_run(conn: wire.Connection, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = (await _call(conn, "GET", run_url(run_id), 200)).json()
    return run


async def run_ids(conn: wire.Connection, status: str, everything: bool = True) -> set[str]:
    """Ids of the job's runs in ``status``: all of them, or only the first page of 100."""
    found: set[str] = set()
    page = 1
    while True:
        target = f"{RUNS}?status={status}&per_page=100&page={page}"
        runs = (await _call(conn, "GET", target, 200)).json()
        found.update(run["id"] for run in runs)
        if not everything or len(runs) < 100:
            return found
        page += 1
