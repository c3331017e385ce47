"""Soak: 32 clients creating and reading runs against one server for a minute.

Each client, on a keep-alive connection of its own, creates a run of the
``true`` job and reads it back, again and again, for the whole duration.
Every request's round trip is timed; a request that fails (a status other
than the one expected, or a broken connection, after which the client opens
another) counts as an error. When the time is up the bench waits for every
run it created to finish, then counts the harmed ones: runs that did not end
``complete``. The server's resident memory is read before and after. A
correct server answers with 0 errors and 0 harmed runs; the latencies and
the memory are the figures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench import api, wire
from bench.exceptions import BenchError

CLIENTS = 32
DURATION = 60.0


@dataclass(frozen=True)
class Soak:
    clients: int
    seconds: float
    requests: int
    errors: int
    runs: int
    harmed: int  # runs that did not end complete
    p50_ms: float
    p99_ms: float
    rss_before_mb: float
    rss_after_mb: float


def rss_mb(pid: int) -> float:
    """A process's resident memory now (Linux /proc; 0 elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _Tally:
    def __init__(self) -> None:
        self.timings: list[float] = []
        self.errors = 0
        self.runs: list[str] = []


async def _client(base_url: str, token: str, until: float, tally: _Tally) -> None:
    conn: wire.Connection | None = None
    while time.monotonic() < until:
        try:
            if conn is None:
                conn = await api.connect(base_url, token)
            began = time.perf_counter()
            run_id = await api.submit(conn)
            tally.timings.append(time.perf_counter() - began)
            tally.runs.append(run_id)
            began = time.perf_counter()
            await api.get_run(conn, run_id)
            tally.timings.append(time.perf_counter() - began)
        except (BenchError, OSError, asyncio.IncompleteReadError):
            tally.errors += 1
            if conn is not None:
                await conn.close()
                conn = None
    if conn is not None:
        await conn.close()


async def _harmed(base_url: str, token: str, runs: list[str]) -> int:
    async with await api.connect(base_url, token) as conn:
        deadline = time.monotonic() + 300
        while await api.run_ids(conn, "queued", False) | await api.run_ids(conn, "running", False):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        complete = await api.run_ids(conn, "complete")
    return len(set(runs) - complete)


def _percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] * 1000


async def measure(base_url: str, token: str, server_pid: int, seconds: float = DURATION) -> Soak:
    before = rss_mb(server_pid)
    tally = _Tally()
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(base_url, token, until, tally) for _ in range(CLIENTS)))
    harmed = await _harmed(base_url, token, tally.runs)
    return Soak(
        clients=CLIENTS,
        seconds=seconds,
        requests=len(tally.timings) + tally.errors,
        errors=tally.errors,
        runs=len(tally.runs),
        harmed=harmed,
        p50_ms=_percentile(tally.timings, 0.50),
        p99_ms=_percentile(tally.timings, 0.99),
        rss_before_mb=before,
        rss_after_mb=rss_mb(server_pid),
    )
