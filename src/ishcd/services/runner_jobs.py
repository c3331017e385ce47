"""The runner protocol's server side for agents over HTTP (``/v1/runner/jobs/…``).

Each call does what ``engine.local.LocalProtocol`` does for the embedded
runner, through the same services (``dispatch``, ``assignments``), and checks
the lease first: the run must be running for this runner (``runner:{id}:{slot}``,
whichever slot) at the attempt the call names, else ``LeaseLost`` (409) and
nothing of the call is stored.

A held request for work claims a run only in the step that answers it: a
client that went away during the wait claims nothing. One that goes away
after the claim (the answer lost on the way) leaves the run running for a
runner that never got it: that run ends ``runner_lost`` (or is queued again
by its retry) after ``ISHCD_RUNNER_LOST_AFTER`` seconds without a heartbeat,
as any lost run does.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, cast

from ishcd import exceptions, source
from ishcd.db import projects as projects_db
from ishcd.db import runners as runners_db
from ishcd.db import runs as runs_db
from ishcd.db.caches import CacheRecord
from ishcd.db.database import Connection, Database
from ishcd.db.runners import RunnerRecord
from ishcd.db.runs import RunRecord
from ishcd.logstore import LogStore
from ishcd.runner.protocol import Assignment
from ishcd.services import caches, dispatch, ids, run_state
from ishcd.services.assignments import assignment_of, write_problem
from ishcd.services.runtime import Runtime
from ishcd.signals import wait

MAX_WAIT = 30  # seconds a request for work or for a cancel is held, at most
MAX_LOG_CHUNK = 4 * 1024 * 1024  # bytes in one log append
MAX_SECTIONS = 1000
SLOT = re.compile(r"[A-Za-z0-9_.:/-]{1,100}")
SLOT_RULE = "1 to 100 letters, digits, '_', '.', ':', '/' or '-'"
# A held request looks at its client this often, to stop waiting for one gone.
LOOK_EVERY = 1.0

Control = Literal["continue", "cancel"]
Finished = Literal["complete", "error", "queued"]
Disconnected = Callable[[], Awaitable[bool]]


class LeaseLost(exceptions.Conflict):
    """The run is not this runner's at that attempt (any more): it ended, or was given
    to another attempt."""


class LogShort(exceptions.LogGap):
    """The runner finished a run whose log the server has not all received."""

    def __init__(self, log_size: int, size: int):
        super().__init__(log_size, size)
        self.message = (
            f"the log has {size} bytes, not the {log_size} the runner sent: send from byte {size}"
        )


@dataclass(frozen=True)
class Desk:
    """What serving agents needs of the server."""

    db: Database
    logs: LogStore
    runtime: Runtime


def runner_id_of(runner: RunnerRecord, slot: str) -> str:
    """A run's ``runner_id`` while one of this runner's slots runs it."""
    if not SLOT.fullmatch(slot):
        raise exceptions.ValidationFailed.one("slot", f"must be {SLOT_RULE}")
    return runners_db.run_prefix(runner.id) + slot


# Work.


async def request_job(
    desk: Desk, runner: RunnerRecord, slot: str, wait_seconds: float, disconnected: Disconnected
) -> Assignment | None:
    """The oldest queued run this runner may take (all of the run's labels among its
    own), now running for its ``slot``; None after ``wait_seconds`` without one, for
    a paused runner, or when the client has gone away. ``Unauthorized`` when the
    runner has been deleted meanwhile."""
    runner_id = runner_id_of(runner, slot)
    signals = desk.runtime.signals
    deadline = time.monotonic() + wait_seconds
    while True:
        work = signals.work.listen()  # before looking: a run queued after this wakes us
        if await disconnected():
            return None
        try:
            claimed = await _claim(desk, runner.id, runner_id)
        except exceptions.Conflict:
            # Another claim took the last free place of a concurrency group first.
            await asyncio.sleep(0.05)
            continue
        if claimed is not None:
            run = claimed.run
            if claimed.env is None:  # it ended setup_failed, its log says why: go on
                signals.run.close(run.id)
                continue
            signals.run.bump(run.id)
            return await assignment_of(claimed, desk.logs)
        if not await _hold(work, deadline, disconnected):
            return None


async def _claim(desk: Desk, runner_id: str, claimant: str) -> dispatch.Claimed | None:
    async with desk.db.transaction() as conn:
        runner = await runners_db.get_runner(conn, runner_id)
        if runner is None:
            raise exceptions.Unauthorized("the runner has been deleted")
        if runner.paused:
            return None
        problem = functools.partial(write_problem, desk.logs)
        return await dispatch.claim_run(conn, desk.runtime, claimant, runner.labels, None, problem)


async def _hold(event: asyncio.Event, deadline: float, disconnected: Disconnected) -> bool:
    """Wait for ``event`` until ``deadline``, while the client is there; whether it came."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if await wait(event, min(remaining, LOOK_EVERY)):
            return True
        if await disconnected():
            return False


# The lease.


async def _current(conn: Connection, runner: RunnerRecord, run_id: str, attempt: int) -> RunRecord:
    """The run, if ``attempt`` of it is running for this runner; else ``LeaseLost``."""
    run = await _run(conn, run_id)
    if not _holds(run, runner, attempt) or run.status != run_state.RUNNING:
        raise LeaseLost(f"run {run_id} attempt {attempt} is not this runner's (any more)")
    return run


async def _run(conn: Connection, run_id: str) -> RunRecord:
    run = await runs_db.get_run(conn, run_id) if ids.looks_like_uuid(run_id) else None
    if run is None:
        raise exceptions.NotFound(f"run {run_id!r} not found")
    return run


def _holds(run: RunRecord, runner: RunnerRecord, attempt: int) -> bool:
    prefix = runners_db.run_prefix(runner.id)
    return run.attempt == attempt and (run.runner_id or "").startswith(prefix)


async def heartbeat(desk: Desk, runner: RunnerRecord, run_id: str, attempt: int) -> Control:
    """Record a heartbeat of the run's ``attempt``: go on, or stop (canceled)."""
    async with desk.db.transaction() as conn:
        run = await _current(conn, runner, run_id, attempt)
        answer = await dispatch.heartbeat(conn, run_id, cast(str, run.runner_id), attempt)
    if answer == "gone":
        raise LeaseLost(f"run {run_id} attempt {attempt} is not this runner's (any more)")
    return answer


# Held requests for a cancel, per run (this process's): the run's latch is
# registered while one is held, and dropped with the last.
_held: dict[str, int] = {}


async def control(
    desk: Desk,
    runner: RunnerRecord,
    run_id: str,
    attempt: int,
    wait_seconds: float,
    disconnected: Disconnected,
) -> Control:
    """``cancel`` as soon as someone cancels the run, else ``continue`` after the wait."""
    latches = desk.runtime.signals.cancel
    canceled = latches.register(run_id)  # before reading: a cancel after this sets it
    _held[run_id] = _held.get(run_id, 0) + 1
    try:
        async with desk.db.read() as conn:
            run = await _current(conn, runner, run_id, attempt)
        if run.cancel_requested:
            return "cancel"
        deadline = time.monotonic() + wait_seconds
        if await _hold(canceled, deadline, disconnected):
            return "cancel"
        async with desk.db.read() as conn:
            run = await _current(conn, runner, run_id, attempt)
        return "cancel" if run.cancel_requested else "continue"
    finally:
        _held[run_id] -= 1
        if not _held[run_id]:
            del _held[run_id]
            latches.discard(run_id)


# The log.


async def append_log(
    desk: Desk, runner: RunnerRecord, run_id: str, attempt: int, offset: int, data: bytes
) -> int:
    """Add ``data`` at the runner's ``offset`` of the run's log; the log's size after.

    What is there already is skipped (a resent chunk is stored once, an
    overlapping one adds its new part); ``LogGap`` when ``offset`` is past the end.
    """
    async with desk.db.read() as conn:
        await _current(conn, runner, run_id, attempt)
    size = await store_log(desk.logs, run_id, offset, data)
    desk.runtime.signals.run.bump(run_id)  # live followers
    return size


async def store_log(logs: LogStore, run_id: str, offset: int, data: bytes) -> int:
    """The one place an agent's log chunk meets the log store: the runner's offset after.

    ``exceptions.LogGap`` (with the size received) for a chunk past the end.
    """
    return await logs.append(run_id, offset, data)


async def close_log(logs: LogStore, run_id: str, log_size: int) -> int:
    """Stop writing the run's log, if it holds the ``log_size`` bytes the runner sent
    (``LogShort`` if not); the stored log's size."""
    received = await logs.received(run_id)
    if received < log_size:
        raise LogShort(log_size, received)
    return await logs.close(run_id)


async def set_sections(
    desk: Desk, runner: RunnerRecord, run_id: str, attempt: int, sections: list[dict[str, Any]]
) -> None:
    """The run's step sections so far, all of them (in the runner's offsets)."""
    if len(sections) > MAX_SECTIONS:
        raise exceptions.ValidationFailed.one("sections", f"at most {MAX_SECTIONS} sections")
    async with desk.db.read() as conn:
        await _current(conn, runner, run_id, attempt)
    await desk.logs.set_sections(run_id, sections)
    desk.runtime.signals.run.bump(run_id)


# The end.


async def finish(
    desk: Desk,
    runner: RunnerRecord,
    run_id: str,
    attempt: int,
    *,
    exit_code: int | None,
    error_reason: run_state.Reason | None,
    log_size: int,
) -> Finished:
    """Record how the run's ``attempt`` ended: the run's status after (``complete``,
    ``error``, or ``queued`` again by its retry).

    Sent again after it went through (an answer lost on the way), it answers
    the same. ``LogGap`` when the server holds fewer than ``log_size`` bytes.
    """
    if error_reason is None and exit_code != 0:
        error_reason = "failed"
    async with desk.db.read() as conn:
        run = await _run(conn, run_id)
    if _ended_so(run, runner, attempt, exit_code, error_reason):
        return cast(Finished, run.status)
    if not _holds(run, runner, attempt) or run.status != run_state.RUNNING:
        raise LeaseLost(f"run {run_id} attempt {attempt} is not this runner's (any more)")
    size = await close_log(desk.logs, run_id, log_size)
    async with desk.db.transaction() as conn:
        how = await dispatch.finish_run(
            conn,
            desk.runtime,
            run_id,
            cast(str, run.runner_id),
            attempt,
            exit_code=exit_code,
            error_reason=error_reason,
            log_size=size,
        )
        run = await _run(conn, run_id)
    if how is None and not _ended_so(run, runner, attempt, exit_code, error_reason):
        raise LeaseLost(f"run {run_id} attempt {attempt} is not this runner's (any more)")
    desk.runtime.signals.cancel.discard(run_id)
    return "queued" if how == "queued" else cast(Finished, run.status)


def _ended_so(
    run: RunRecord,
    runner: RunnerRecord,
    attempt: int,
    exit_code: int | None,
    error_reason: str | None,
) -> bool:
    """Whether this attempt's finish, with this outcome, already ended the run."""
    return (
        run.status in run_state.FINISHED
        and _holds(run, runner, attempt)
        and (run.exit_code, run.error_reason) == (exit_code, error_reason)
    )


# The code.


async def source_bundle(desk: Desk, runner: RunnerRecord, run_id: str, attempt: int) -> BinaryIO:
    """A git bundle of the run's checkout revision, open for reading; its file is
    already deleted, so nothing is left behind whatever becomes of the request."""
    async with desk.db.read() as conn:
        run = await _current(conn, runner, run_id, attempt)
    checkout = run.checkout
    if checkout is None:
        raise exceptions.NotFound(f"run {run_id} has no code to check out")
    mirrors, revision = desk.runtime.mirrors, checkout["revision"]
    try:
        path = await mirrors.bundle(run.project_id, revision)
    except source.GitError:
        # Not in this server's mirror (another replica fetched it): fetch, then again.
        async with desk.db.read() as conn:
            project = await projects_db.get_project(conn, run.project_id)
        if project is None or project.repository is None:
            raise exceptions.NotFound(f"run {run_id}'s project has no repository") from None
        try:
            await mirrors.fetch(project.id, project.repository)
            path = await mirrors.bundle(run.project_id, revision)
        except source.GitError as exc:
            message = f"the revision of run {run_id} could not be fetched: {exc}"
            raise exceptions.NotFound(message) from exc
    try:
        return path.open("rb")
    finally:
        path.unlink()


# Caches (``services.caches``).


async def find_cache(
    desk: Desk, runner: RunnerRecord, run_id: str, attempt: int, keys: list[str]
) -> CacheRecord | None:
    """The cache of the run's project that its restore ``keys`` match, or None."""
    caches.check_restore_keys(keys)
    async with desk.db.read() as conn:
        run = await _current(conn, runner, run_id, attempt)
        return await caches.find(conn, run.project_id, keys)


async def use_cache(
    desk: Desk, runner: RunnerRecord, run_id: str, attempt: int, cache_id: int
) -> CacheRecord:
    """A cache of the run's project, to restore (its use recorded); NotFound when gone."""
    async with desk.db.transaction() as conn:
        run = await _current(conn, runner, run_id, attempt)
        found = await caches.use(conn, run.project_id, cache_id)
    if found is None:
        raise exceptions.NotFound(f"cache {cache_id} not found")
    return found
