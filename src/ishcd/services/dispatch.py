"""Runs as runners see them: claim, heartbeat, finish; and giving up lost runs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from ishcd.db import run_queue
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.runs import RunRecord
from ishcd.services import run_end, run_env, run_state
from ishcd.services.runtime import Runtime

Heartbeat = Literal["continue", "cancel", "gone"]
Ended = Literal["ended", "queued"] | None


@dataclass(frozen=True)
class Claimed:
    run: RunRecord
    env: run_env.RunEnv | None  # decrypted: only ever handed to the runner
    problem: str | None = None  # why the run could not be given out: it ended setup_failed


async def claim_run(
    conn: Connection,
    runtime: Runtime,
    runner_id: str,
    labels: frozenset[str] = frozenset(),
    unable: str | None = None,
    write_problem: Callable[[str, str], Awaitable[int]] | None = None,
) -> Claimed | None:
    """The oldest queued run this runner may take, now ``running``, with its environment.

    A run whose secrets cannot be decrypted (the server key changed) ends
    ``error``/``setup_failed`` here instead of being claimed again forever;
    so does every run while the server is ``unable`` to start one (e.g. its
    disk is full), for that reason. ``write_problem(run_id, problem)`` writes
    the reason to the run's log, and answers its size, before the run ends:
    who sees the run ended sees why.
    """
    run_id = await run_queue.claim_next(conn, runner_id, time.time(), labels)
    if run_id is None:
        return None
    run = await runs_db.get_run(conn, run_id)
    assert run is not None  # claimed inside this very transaction
    if unable is not None:
        return await _setup_failed(conn, runtime, run, unable, write_problem)
    try:
        env = await run_env.assemble(conn, runtime.vault, run, runtime.public_url)
        return Claimed(run, env)
    except ValueError as exc:
        return await _setup_failed(conn, runtime, run, str(exc), write_problem)


async def _setup_failed(
    conn: Connection,
    runtime: Runtime,
    run: RunRecord,
    problem: str,
    write_problem: Callable[[str, str], Awaitable[int]] | None,
) -> Claimed:
    # The log first: written again at the same offset if this transaction is retried.
    size = await write_problem(run.id, problem) if write_problem is not None else None
    await run_end.end_run(conn, runtime, run, run_state.ERROR, reason="setup_failed", log_size=size)
    return Claimed(run, None, problem)


async def heartbeat(conn: Connection, run_id: str, runner_id: str, attempt: int) -> Heartbeat:
    """Record a runner's heartbeat for ``attempt`` of the run; tell it whether to go on."""
    canceled = await run_queue.heartbeat(conn, run_id, runner_id, attempt, time.time())
    if canceled is None:
        return "gone"
    return "cancel" if canceled else "continue"


async def check_lease(conn: Connection, run_id: str, runner_id: str, attempt: int) -> Heartbeat:
    """Like ``heartbeat``, without recording one (before a log append)."""
    canceled = await run_queue.lease(conn, run_id, runner_id, attempt)
    if canceled is None:
        return "gone"
    return "cancel" if canceled else "continue"


async def finish_run(
    conn: Connection,
    runtime: Runtime,
    run_id: str,
    runner_id: str,
    attempt: int,
    *,
    exit_code: int | None,
    error_reason: run_state.Reason | None,
    log_size: int,
) -> Ended:
    """Record how ``attempt`` of a running run ended: ``ended``, or ``queued`` again by its
    retry; None if it was not this runner's current attempt any more."""
    run = await runs_db.get_run(conn, run_id)
    if (
        run is None
        or run.status != run_state.RUNNING
        or run.runner_id != runner_id
        or run.attempt != attempt
    ):
        return None
    if error_reason is None and exit_code != 0:
        error_reason = "failed"
    to: Literal["complete", "error"] = "complete" if error_reason is None else "error"
    return await run_end.end_attempt(
        conn, runtime, run, to, reason=error_reason, exit_code=exit_code, log_size=log_size
    )


async def give_up_runs(
    conn: Connection, runtime: Runtime, run_ids: list[str], silent_since: float | None = None
) -> dict[str, str]:
    """End these running runs ``error``/``runner_lost`` (or queue them again, by their
    retry): the ids actually moved, each with ``ended`` or ``queued``.

    With ``silent_since``, only runs with no heartbeat since then.
    """
    moved: dict[str, str] = {}
    for run_id in run_ids:
        run = await runs_db.get_run(conn, run_id)
        if run is None or run.status != run_state.RUNNING:
            continue
        if silent_since is not None and (run.heartbeat or 0) >= silent_since:
            continue
        how = await run_end.end_attempt(conn, runtime, run, run_state.ERROR, reason="runner_lost")
        if how is not None:
            moved[run_id] = how
    return moved


async def stale_runs(conn: Connection, silent_since: float) -> list[str]:
    """Running runs whose runner has sent no heartbeat since ``silent_since``."""
    return await run_queue.stale_running(conn, silent_since)


async def runs_held_by(conn: Connection, runner_prefix: str) -> list[str]:
    return await run_queue.running_held_by(conn, runner_prefix)
