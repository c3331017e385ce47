"""The runner protocol fulfilled in-process, for the server's embedded runner."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from pathlib import Path
from typing import Any, cast

from ishcd import exceptions
from ishcd.blobstore import BlobMissing, BlobStore
from ishcd.db.database import Database
from ishcd.disk import DiskGuard
from ishcd.logstore import LogStore
from ishcd.runner.protocol import (
    Assignment,
    CacheHit,
    Control,
    Lease,
    LeaseLost,
    Outcome,
    RunnerProtocol,
    Section,
    UploadRefused,
)
from ishcd.services import (
    assignments,
    caches,
    dispatch,
    run_state,
    runner_jobs,
    staging,
    uploads,
)
from ishcd.services.assignments import assignment_of
from ishcd.services.runtime import Runtime
from ishcd.settings import Settings
from ishcd.signals import wait

_CONTROL = {"continue": Control.CONTINUE, "cancel": Control.CANCEL, "gone": Control.ABANDON}


class LocalProtocol(RunnerProtocol):
    def __init__(
        self,
        db: Database,
        logs: LogStore,
        runtime: Runtime,
        labels: frozenset[str] = frozenset(),
        disk: DiskGuard | None = None,
        *,
        blobs: BlobStore | None = None,
        settings: Settings | None = None,
    ):
        self.disk = disk  # checked before each claim: a full disk fails new runs
        self.db = db
        self.logs = logs
        self.runtime = runtime
        self.signals = runtime.signals
        self.labels = labels
        self.blobs = blobs  # with settings: where uploads are kept (None: refused)
        self.settings = settings
        # A run that could not start: why, alone in its log (as for agents' claims).
        self._write_problem = functools.partial(assignments.write_problem, logs)

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        deadline = time.monotonic() + wait_seconds
        while True:
            work = self.signals.work.listen()
            unable = self.disk.problem() if self.disk is not None else None
            try:
                async with self.db.transaction() as conn:
                    claimed = await dispatch.claim_run(
                        conn, self.runtime, runner_id, self.labels, unable, self._write_problem
                    )
            except exceptions.Conflict:
                # Another claim took the last free place of a concurrency group first.
                await asyncio.sleep(0.05)
                continue
            if claimed is not None:
                run, env = claimed.run, claimed.env
                if env is None:  # it ended setup_failed, its log says why: go on
                    self.signals.run.close(run.id)
                    continue
                self.signals.cancel.register(run.id)
                if run.cancel_requested:
                    self.signals.cancel.set(run.id)
                self.signals.run.bump(run.id)
                return await assignment_of(claimed, self.logs)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await wait(work, remaining):
                return None

    async def heartbeat(self, lease: Lease) -> Control:
        async with self.db.transaction() as conn:
            answer = await dispatch.heartbeat(conn, lease.run_id, lease.runner_id, lease.attempt)
        return _CONTROL[answer]

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        return await wait(self.signals.cancel.register(lease.run_id), timeout)

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        # Not checked against the database per chunk (the hot path): this process's
        # own runner is lost only when its heartbeats stop landing, and the next
        # heartbeat then answers ABANDON.
        await self.logs.append(lease.run_id, offset, data)
        self.signals.run.bump(lease.run_id)

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        await self.logs.set_sections(
            lease.run_id, [dataclasses.asdict(section) for section in sections]
        )

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        run_id = lease.run_id
        size = await self.logs.close(run_id)
        async with self.db.transaction() as conn:
            how = await dispatch.finish_run(
                conn,
                self.runtime,
                run_id,
                lease.runner_id,
                lease.attempt,
                exit_code=outcome.exit_code,
                error_reason=cast(run_state.Reason | None, outcome.error_reason),
                log_size=size,
            )
        self.signals.cancel.discard(run_id)
        if how is None:
            raise LeaseLost(run_id)

    async def upload(self, lease: Lease, kind: str, name: str, path: Path) -> dict[str, Any]:
        """Stage a copy of the file (the workspace goes when the run ends), then keep it
        as an agent's upload is kept (``services.uploads``)."""
        if self.blobs is None or self.settings is None:
            raise UploadRefused("this runner keeps no files", 422)
        limit = uploads.max_upload(self.settings, kind)
        try:
            staged = await staging.stage_file(path, self.settings.staging_dir, limit)
        except staging.TooLarge as exc:
            raise UploadRefused(str(exc), 413) from None
        keeping = uploads.Keeping(self.db, self.blobs, self.settings)
        try:
            return await uploads.receive(keeping, lease, kind, name, staged)
        except runner_jobs.LeaseLost:
            raise LeaseLost(lease.run_id) from None

    async def find_cache(self, lease: Lease, keys: list[str]) -> CacheHit | None:
        hit = await caches.find_for_run(self.db, lease.run_id, keys)
        return None if hit is None else CacheHit(hit.id, hit.key, hit.sha256, hit.size)

    async def fetch_cache(self, lease: Lease, hit: CacheHit, into: Path) -> bool:
        found = await caches.use_for_run(self.db, lease.run_id, hit.id)
        if found is None or self.blobs is None:
            return False
        try:
            await self.blobs.copy_to(found.sha256, into)
        except BlobMissing:
            return False
        return True
