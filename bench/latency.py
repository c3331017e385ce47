"""End-to-end latency: from ``POST …/runs`` to the run being ``complete``.

The clock starts before the POST is sent and stops when the run's log
stream (``GET /v1/runs/{id}/log?follow=1``, sent the moment the POST
answers) ends, which the server does as soon as the run has finished: one
extra request per run, woken by the server's own in-process signal, so the
measurement adds no polling delay and next to no load. Polling at 1 ms
instead would put a request on the server's event loop every millisecond,
the same loop that claims, spawns and finishes the run, and slow down the
very thing it measures (measured: a p50 about 3 ms higher). The follow
request does cost the server one request's work, as it does for any client
waiting on its run. A GET outside the timed span then confirms that the run
is ``complete``. Runs go one after another on one keep-alive
connection, through ``bench.wire`` so that the client adds next to nothing.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from bench import api

RUNS = 200
WARMUP = 10


@dataclass(frozen=True)
class Latency:
    runs: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    not_complete: int  # runs the confirming GET did not find ``complete``
    last_run_id: str


async def measure(base_url: str, token: str, runs: int = RUNS) -> Latency:
    samples: list[float] = []
    not_complete = 0
    run_id = ""
    async with await api.connect(base_url, token) as conn:
        for index in range(WARMUP + runs):
            start = time.perf_counter()
            run_id = await api.submit(conn)
            await api.follow(conn, run_id)
            elapsed = time.perf_counter() - start
            status = (await api.get_run(conn, run_id))["status"]
            if index < WARMUP:
                continue
            samples.append(elapsed * 1000)
            if status != "complete":
                not_complete += 1
    return Latency(
        runs=runs,
        p50_ms=statistics.median(samples),
        p95_ms=statistics.quantiles(samples, n=20, method="inclusive")[-1],
        mean_ms=statistics.fmean(samples),
        min_ms=min(samples),
        max_ms=max(samples),
        not_complete=not_complete,
        last_run_id=run_id,
    )
