"""The floor: what spawning and reaping ``bash -c true`` costs from Python here.

No run can finish faster than its process can be started and waited for, so
end-to-end latency is judged against this, measured on the same machine in
the same bench run. The machine's speed drifts by a fifth from one minute to
the next (a VM), so half the spawns are made just before the latency runs
and half just after them, with the server idle; the median is over both.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import dataclass

from bench.exceptions import BenchError

SPAWNS = 300  # in all, over both halves
WARMUP = 20


@dataclass(frozen=True)
class Floor:
    spawns: int
    p50_ms: float
    p95_ms: float
    min_ms: float


def sample(spawns: int) -> list[float]:
    """Milliseconds each of ``spawns`` spawn-and-reap took, after a warm-up."""
    samples: list[float] = []
    for index in range(WARMUP + spawns):
        start = time.perf_counter()
        code = subprocess.call(["bash", "-c", "true"])
        elapsed = time.perf_counter() - start
        if code != 0:
            raise BenchError(f"bash -c true exited with status {code}")
        if index >= WARMUP:
            samples.append(elapsed * 1000)
    return samples


def summarize(samples: list[float]) -> Floor:
    return Floor(
        spawns=len(samples),
        p50_ms=statistics.median(samples),
        p95_ms=statistics.quantiles(samples, n=20, method="inclusive")[-1],
        min_ms=min(samples),
    )
