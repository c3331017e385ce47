"""A runner: N slots, each claiming the oldest queued run and executing it.

The slots speak to the server through ``resilient.ResilientProtocol``, so a
run rides out an outage of the server or its database, and a slot with
nothing to do waits for the server's return without filling the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ishcd import exceptions
from ishcd.runner import resilient
from ishcd.runner.execute import Execution, RunnerConfig
from ishcd.runner.guard import Guard
from ishcd.runner.processes import kill_leftovers
from ishcd.runner.protocol import Assignment, RunnerProtocol

log = logging.getLogger(__name__)

STUCK_SLACK = 5.0  # seconds past the kill grace an aborted run may take to report


class RunnerPool:
    def __init__(
        self,
        protocol: RunnerProtocol,
        name: str,
        slots: int,
        config: RunnerConfig,
        claim_wait: float = 1.0,
        retry_max_delay: float = resilient.MAX_DELAY,
    ):
        self.protocol = resilient.ResilientProtocol(protocol, max_delay=retry_max_delay)
        self.name = name
        self.slots = slots
        self.config = config
        self.claim_wait = claim_wait
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._executions: set[Execution] = set()
        self.guard = Guard()

    async def start(self) -> None:
        """Clean up after an earlier process, then start claiming."""
        cleaned = await asyncio.to_thread(kill_leftovers, self.config.work_dir)
        if cleaned:
            log.warning("cleaned up %d runs left behind by an earlier runner", len(cleaned))
        self.config.work_dir.mkdir(parents=True, exist_ok=True)
        self.guard.start()
        self._tasks = [
            asyncio.create_task(self._slot(f"{self.name}/{index}")) for index in range(self.slots)
        ]

    async def stop(self, grace: float) -> None:
        """Stop claiming; give running runs ``grace`` seconds, then abort them."""
        self._stopping.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace)
            if pending:
                for execution in list(self._executions):
                    execution.abort()
                # A run that cannot report its end now never will: the next start gives it up.
                self.protocol.stop_retrying()
                # Aborting takes a kill grace; a slot stuck past that must not keep the
                # server from stopping (its run is given up at the next start).
                _, stuck = await asyncio.wait(pending, timeout=self.config.kill_grace + STUCK_SLACK)
                for task in stuck:
                    log.error("a runner slot did not stop; cancelling it")
                    task.cancel()
                if stuck:
                    await asyncio.wait(stuck)
        await asyncio.to_thread(self.guard.stop)

    async def _slot(self, runner_id: str) -> None:
        while not self._stopping.is_set():
            try:
                assignment = await self._claim(runner_id)
                if assignment is None:
                    continue
                execution = Execution(assignment, self.protocol, runner_id, self.config, self.guard)
                self._executions.add(execution)
                log.info(
                    "run %s (%s/%s, attempt %d) started on %s",
                    assignment.run_id,
                    assignment.project,
                    assignment.job,
                    assignment.attempt,
                    runner_id,
                )
                try:
                    outcome = await execution.run()
                finally:
                    self._executions.discard(execution)
                how = outcome.error_reason or ("complete" if outcome.exit_code == 0 else "failed")
                code = outcome.exit_code
                log.info("run %s ended: %s (exit code %s)", assignment.run_id, how, code)
            except exceptions.Unavailable:
                log.warning("runner slot %s stopped retrying: the server is unavailable", runner_id)
            except Exception:
                log.exception("runner slot %s failed; going on in a second", runner_id)
                await asyncio.sleep(1.0)

    async def _claim(self, runner_id: str) -> Assignment | None:
        claim = asyncio.create_task(self.protocol.claim(runner_id, self.claim_wait))
        stopping = asyncio.create_task(self._stopping.wait())
        done, _ = await asyncio.wait({claim, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if claim not in done:
            claim.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await claim
            if claim.cancelled():
                return None
        return claim.result()
