"""Files runners send (artifacts, test reports, caches): one way in, for every kind.

A runner's file arrives staged (``services.staging``: a complete local file,
its size and SHA-256 known) through the runner protocol: over HTTP for an
agent (``PUT /v1/runner/jobs/{run}/uploads/{kind}``), copied from the
workspace for the embedded runner. ``receive`` checks the lease (the run is
still running for that attempt of that runner), hands the file to the
handler of its kind, and removes the staged file if the handler left it.

A handler (``HANDLERS``, one per kind, each in its own service) keeps the
file as a blob (``keeping.blobs.adopt``) and records what refers to it, or
refuses it with ``UploadRefused(message, status)`` (413 too big, 422 a bad
name...). What it returns is the runner's answer (JSON).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ishcd import exceptions
from ishcd.blobstore import BlobStore
from ishcd.db import runners as runners_db
from ishcd.db import runs as runs_db
from ishcd.db.database import Database
from ishcd.db.runners import RunnerRecord
from ishcd.db.runs import RunRecord
from ishcd.runner.protocol import Lease, UploadRefused
from ishcd.services import artifacts, caches, ids, run_state, staging, test_reports
from ishcd.services.runner_jobs import LeaseLost
from ishcd.services.staging import Staged, TooLarge
from ishcd.settings import Settings

__all__ = [
    "HANDLERS",
    "LIMITS",
    "MAX_NAME",
    "Handler",
    "Keeping",
    "Staged",
    "TooLarge",
    "UploadRefused",
    "agent_lease",
    "max_upload",
    "receive",
]

MAX_NAME = 1024  # characters of an upload's name (a path in the workspace, a cache key)
MAX_KIND = 50


@dataclass(frozen=True)
class Keeping:
    """What a handler needs of the server."""

    db: Database
    blobs: BlobStore
    settings: Settings


Handler = Callable[[Keeping, RunRecord, str, Staged], Awaitable[dict[str, Any]]]

# Each kind's handler, added by the service that owns the kind: "artifact" ->
# services.artifacts.receive, "test_report" -> services.test_reports.receive,
# "cache" -> services.caches.receive.
HANDLERS: dict[str, Handler] = {}

# Each kind's limit on a file's size (bytes), from the settings; a kind without one
# has ISHCD_UPLOAD_MAX_BYTES, which also caps every kind's.
LIMITS: dict[str, Callable[[Settings], int]] = {}


def max_upload(settings: Settings, kind: str) -> int:
    """The largest file of ``kind`` a runner may send, in bytes."""
    limit = LIMITS.get(kind)
    cap = settings.upload_max_bytes
    return cap if limit is None else min(cap, limit(settings))


def check_kind(kind: str) -> None:
    """``ValidationFailed`` naming ``kind`` when no handler takes it."""
    if kind not in HANDLERS:
        known = ", ".join(sorted(HANDLERS)) or "none on this server"
        raise exceptions.ValidationFailed.one(
            "kind", f"{exceptions.shorten(kind)!r} is not a kind of upload (kinds: {known})"
        )


def name_problem(name: str) -> str | None:
    if not name:
        return "must not be empty"
    if len(name) > MAX_NAME:
        return f"must be at most {MAX_NAME} characters"
    if "\x00" in name:
        return "must not contain NUL characters"
    return None


async def agent_lease(db: Database, runner: RunnerRecord, run_id: str, attempt: int) -> Lease:
    """The lease an agent holds on the run at ``attempt``: ``NotFound`` without such a
    run, ``LeaseLost`` (409) when that attempt is not this runner's (any more)."""
    run = None
    if ids.looks_like_uuid(run_id):
        async with db.read() as conn:
            run = await runs_db.get_run(conn, run_id)
    if run is None:
        raise exceptions.NotFound(f"run {run_id!r} not found")
    prefix = runners_db.run_prefix(runner.id)
    if not _running(run, attempt) or not (run.runner_id or "").startswith(prefix):
        raise LeaseLost(f"run {run_id} attempt {attempt} is not this runner's (any more)")
    return Lease(run_id, run.runner_id or "", attempt)


def _running(run: RunRecord, attempt: int) -> bool:
    return run.status == run_state.RUNNING and run.attempt == attempt


async def receive(
    keeping: Keeping, lease: Lease, kind: str, name: str, staged: Staged
) -> dict[str, Any]:
    """Give the staged file to ``kind``'s handler; its answer for the runner.

    ``LeaseLost`` (409) when the run is no longer this lease's, ``UploadRefused``
    from the handler (or for a bad name or kind). The staged file is gone after."""
    try:
        handler = HANDLERS.get(kind)
        if handler is None:
            raise UploadRefused(f"{exceptions.shorten(kind)!r} is not a kind of upload", 422)
        problem = name_problem(name)
        if problem is not None:
            raise UploadRefused(f"the name {problem}", 422)
        async with keeping.db.read() as conn:
            run = await runs_db.get_run(conn, lease.run_id)
        if run is None or not _running(run, lease.attempt) or run.runner_id != lease.runner_id:
            raise LeaseLost(
                f"run {lease.run_id} attempt {lease.attempt} is not this runner's (any more)"
            )
        return await handler(keeping, run, name, staged)
    finally:
        staging.remove(staged.path)


# Each kind's handler and size limit: one line each, by the service that owns the kind.
# Registered here, in one place: the services import nothing of this module at run
# time (it imports them), so there is no import cycle to trip over.
HANDLERS["artifact"] = artifacts.receive
LIMITS["artifact"] = artifacts.max_file
HANDLERS["cache"] = caches.receive
LIMITS["cache"] = caches.max_archive
HANDLERS["test_report"] = test_reports.receive
LIMITS["test_report"] = test_reports.max_report
