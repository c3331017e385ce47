"""Soak: 32 clients creating and reading runs against one server for a minute.

Each client, on a keep-alive connection of its own, creates a run of the
``true`` job and reads it back, again and again, for the whole duration.
A client keeps at most ``PENDING`` of its runs unfinished: with that many,
it reads its oldest one (every ``POLL`` seconds) until it has finished
before it creates another, as a script waiting for its runs does. So the
queue stays bounded (32 x 4 runs) however fast or slow the machine is, and
the soak measures a server under steady load, not a backlog it would take
minutes to drain. Every request's round trip is timed; a request that fails
(a status other than the one expected, or a broken connection, after which
the client opens another) counts as an error. When the time is up the bench
waits for every run it created to finish (giving up only when none has
finished for ``STALL`` seconds), then counts the harmed ones: runs that did
not end ``complete``. The server's resident memory is read before and
after. A correct server answers with 0 errors and 0 harmed runs; the
latencies and the memory are the figures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from bench import api, wire
from bench.exceptions import BenchError

FINISHED = {"complete", "error"}
CLIENTS = 32
DURATION = 60.0
PENDING = 4
POLL = 0.05
STALL = 60.0


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
    pending: deque[str] = deque()
    while time.monotonic() < until:
        try:
            if conn is None:
                conn = await api.connect(base_url, token)
            if len(pending) >= PENDING:
                if await _read(conn, pending[0], tally) in FINISHED:
                    pending.popleft()
                else:
                    await asyncio.sleep(POLL)
                continue
            began = time.perf_counter()
            run_id = await api.submit(conn)
            tally.timings.append(time.perf_counter() - began)
            tally.runs.append(run_id)
            pending.append(run_id)
            await _read(conn, run_id, tally)
        except (BenchError, OSError, asyncio.IncompleteReadError):
            tally.errors += 1
            if conn is not None:
                await conn.close()
                conn = None
    if conn is not None:
        await conn.close()


async def _read(conn: wire.Connection, run_id: str, tally: _Tally) -> str:
    began = time.perf_counter()
    run = await api.get_run(conn, run_id)
    tally.timings.append(time.perf_counter() - began)
    status: str = run["status"]
    return status


async def _harmed(base_url: str, token: str, runs: list[str]) -> int:
    async with await api.connect(base_url, token) as conn:
        left = -1
        progress = time.monotonic()
        while True:
            unfinished = len(await api.run_ids(conn, "queued", False)) + len(
                await api.run_ids(conn, "running", False)
            )
            if unfinished == 0:
                break
            if unfinished != left:
                left, progress = unfinished, time.monotonic()
            elif time.monotonic() - progress > STALL:
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
