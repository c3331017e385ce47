"""Throughput: how many ``true`` runs a server on its default slots finishes per second.

All runs are submitted at once by a few concurrent clients, then the bench
waits until every one has finished: runs/s = runs / (first submit → last
finished). The wait follows the log stream of the run submitted last (the
queue is claimed oldest first, so by its end little else can be left), then
follows whatever a listing still shows queued or running, until nothing is:
event-driven waits, so there is no polling load on the server while it
works, and the clock stops within a request's time of the last finish.
Whether every run ended ``complete`` is checked afterwards, off the clock.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench import api

RUNS = 500
SUBMITTERS = 4  # concurrent clients, each on a keep-alive connection of its own


@dataclass(frozen=True)
class Throughput:
    runs: int
    submitters: int
    seconds: float
    runs_per_s: float
    submit_seconds: float  # first submit to the last one answered
    complete: int
    not_complete: int


async def _submit_all(base_url: str, token: str, runs: int) -> list[str]:
    """Submit ``runs`` runs; their ids in the order the server answered."""
    ids: list[str] = []
    left = runs

    async def submitter() -> None:
        nonlocal left
        async with await api.connect(base_url, token) as conn:
            while left > 0:
                left -= 1
                ids.append(await api.submit(conn))

    await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
    return ids


async def _follow(base_url: str, token: str, run_id: str) -> None:
    async with await api.connect(base_url, token) as conn:
        await api.follow(conn, run_id)


async def _wait_all_finished(base_url: str, token: str, last_id: str) -> None:
    async with await api.connect(base_url, token) as conn:
        await api.follow(conn, last_id)
        while True:
            pending = await api.run_ids(conn, "queued", everything=False)
            pending |= await api.run_ids(conn, "running", everything=False)
            if not pending:
                return
            await asyncio.gather(*(_follow(base_url, token, run_id) for run_id in pending))


async def measure(base_url: str, token: str, runs: int = RUNS) -> Throughput:
    start = time.perf_counter()
    ids = await _submit_all(base_url, token, runs)
    submitted = time.perf_counter()
    await _wait_all_finished(base_url, token, ids[-1])
    seconds = time.perf_counter() - start
    async with await api.connect(base_url, token) as conn:
        complete = len(set(ids) & await api.run_ids(conn, "complete"))
    return Throughput(
        runs=runs,
        submitters=SUBMITTERS,
        seconds=seconds,
        runs_per_s=runs / seconds,
        submit_seconds=submitted - start,
        complete=complete,
        not_complete=runs - complete,
    )
