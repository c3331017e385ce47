"""Pipeline latency: a three-job chain (a → b → c, each ``true``) from trigger to ``complete``.

The config goes inline in the trigger (no git), so what is measured is the
pipeline machinery: compiling the config, creating the workflow, and for
each job queueing its run, claiming, spawning, and on its end advancing the
DAG to the next job in the same transaction. There is no stream that ends
with a pipeline, so the pipeline is polled every ``POLL_S`` (1 ms): the
figure can be up to that much late, and the polling GETs share the event
loop with the work measured. Per job it is comparable with the single-run
latency (which includes the same claim, spawn and finish).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

from bench import api, wire
from bench.exceptions import BenchError

PIPELINES = 50
WARMUP = 5
POLL_S = 0.001
JOBS = 3
CONFIG = """\
version: 1
jobs:
  a: {steps: [run: 'true']}
  b: {steps: [run: 'true']}
  c: {steps: [run: 'true']}
workflows:
  chain:
    jobs: [a, {b: {requires: [a]}}, {c: {requires: [b]}}]
"""


@dataclass(frozen=True)
class PipelineLatency:
    pipelines: int
    jobs: int
    p50_ms: float
    p95_ms: float
    not_complete: int


async def _finished(conn: wire.Connection, pipeline_id: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await conn.request("GET", f"/v1/pipelines/{pipeline_id}")
        status: str = response.json()["status"]
        if status in ("complete", "error"):
            return status
        await asyncio.sleep(POLL_S)
    raise BenchError(f"pipeline {pipeline_id} did not finish in {timeout:g} s")


async def measure(base_url: str, token: str, pipelines: int = PIPELINES) -> PipelineLatency:
    samples: list[float] = []
    not_complete = 0
    target = f"/v1/projects/{api.PROJECT}/pipelines"
    async with await api.connect(base_url, token) as conn:
        for index in range(WARMUP + pipelines):
            start = time.perf_counter()
            response = await conn.request("POST", target, {"config": CONFIG})
            if response.status != 201:
                raise BenchError(
                    f"POST {target} answered {response.status}: {response.body[:300]!r}"
                )
            status = await _finished(conn, response.json()["id"])
            elapsed = time.perf_counter() - start
            if index < WARMUP:
                continue
            samples.append(elapsed * 1000)
            not_complete += status != "complete"
    return PipelineLatency(
        pipelines=pipelines,
        jobs=JOBS,
        p50_ms=statistics.median(samples),
        p95_ms=statistics.quantiles(samples, n=20, method="inclusive")[-1],
        not_complete=not_complete,
    )
