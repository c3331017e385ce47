"""Stopping a runner is bounded: a slot stuck reporting its run does not hold the server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ishcd.runner import pool as pool_mod
from ishcd.runner.execute import RunnerConfig
from ishcd.runner.pool import RunnerPool
from ishcd.runner.protocol import Assignment, Control, Lease, Outcome, RunnerProtocol, Section


class FinishHangs(RunnerProtocol):
    """Hands out one run; its finish never returns (a server that never answers)."""

    def __init__(self) -> None:
        self.handed = False
        self.finishing = asyncio.Event()

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        if self.handed:
            await asyncio.sleep(wait_seconds)
            return None
        self.handed = True
        return Assignment("run-1", "p", "j", "echo up; sleep 60", {}, timeout=600)

    async def heartbeat(self, lease: Lease) -> Control:
        return Control.CONTINUE

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        await asyncio.sleep(timeout)
        return False

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        return None

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        return None

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        self.finishing.set()
        await asyncio.Event().wait()


async def test_a_stuck_slot_is_cancelled_after_the_kill_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol = FinishHangs()
    config = RunnerConfig(work_dir=tmp_path / "runs", heartbeat_interval=60, kill_grace=0.2)
    monkeypatch.setattr(pool_mod, "STUCK_SLACK", 0.5)
    pool = RunnerPool(protocol, "test", 1, config, claim_wait=0.1)
    await pool.start()
    while not (tmp_path / "runs" / "run-1").exists():
        await asyncio.sleep(0.01)
    await asyncio.wait_for(pool.stop(grace=0.1), timeout=10)
    assert protocol.finishing.is_set()
    assert all(task.done() for task in pool._tasks)
