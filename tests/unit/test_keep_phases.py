"""The runner's keep phases: a cache restored before the script, outputs kept after
it, with heartbeats while they take long, and never after a cancel or a lost lease."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ishcd.outputs import CacheSpec, Outputs
from ishcd.runner import keep
from ishcd.runner.execute import RunnerConfig
from ishcd.runner.pool import RunnerPool
from ishcd.runner.protocol import Assignment, Control, Lease, Outcome, RunnerProtocol, Section

OUTPUTS = Outputs(cache=CacheSpec(restore=("deps",), save_key="deps", save_paths=("x",)))


class OneRun(RunnerProtocol):
    """Hands out one run and records what the runner says about it."""

    def __init__(self, script: str, outputs: Outputs = OUTPUTS, cancel: bool = False) -> None:
        self.assignment = Assignment("run-1", "p", "j", script, {}, timeout=600, outputs=outputs)
        self.handed = False
        self.cancel = cancel
        self.log = b""
        self.heartbeats = 0
        self.control = Control.CONTINUE
        self.finished: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        if self.handed:
            await asyncio.sleep(wait_seconds)
            return None
        self.handed = True
        return self.assignment

    async def heartbeat(self, lease: Lease) -> Control:
        self.heartbeats += 1
        return self.control

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        if self.cancel:
            await asyncio.sleep(0.2)
            return True
        await asyncio.sleep(timeout)
        return False

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        assert offset == len(self.log)
        self.log += data

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        return None

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        self.finished.set_result(outcome)


class Phases:
    """Stands in for the keep parts; records what they saw."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, after_takes: float = 0.0) -> None:
        self.calls: list[str] = []
        self.outcome: Outcome | None = None
        self.after_takes = after_takes
        self.after_cancelled = False
        monkeypatch.setattr(keep, "before_script", self.before)
        monkeypatch.setattr(keep, "after_script", self.after)

    async def before(self, ctx: keep.KeepContext) -> None:
        self.calls.append("before")
        (ctx.workspace / "restored.txt").write_text("from the cache\n")

    async def after(self, ctx: keep.KeepContext, outcome: Outcome) -> None:
        self.calls.append("after")
        self.outcome = outcome
        self.seen = (ctx.workspace / "built.txt").read_text()
        try:
            await asyncio.sleep(self.after_takes)
        except asyncio.CancelledError:
            self.after_cancelled = True
            raise


async def _run(protocol: OneRun, tmp_path: Path, beat: float = 60) -> Outcome | None:
    config = RunnerConfig(work_dir=tmp_path / "runs", heartbeat_interval=beat, kill_grace=0.2)
    pool = RunnerPool(protocol, "test", 1, config, claim_wait=0.1)
    await pool.start()
    try:
        return await asyncio.wait_for(asyncio.shield(protocol.finished), 20)
    except TimeoutError:
        return None
    finally:
        await pool.stop(grace=1)


async def test_restore_comes_before_the_script_and_keeping_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    phases = Phases(monkeypatch)
    protocol = OneRun("cat restored.txt; echo built > built.txt; exit 3")
    outcome = await _run(protocol, tmp_path)
    assert outcome == Outcome(3, None)
    assert phases.calls == ["before", "after"]
    assert phases.outcome == Outcome(3, None)
    assert phases.seen == "built\n"
    assert b"from the cache" in protocol.log


async def test_a_long_keep_phase_sends_heartbeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Phases(monkeypatch, after_takes=0.5)
    protocol = OneRun("echo built > built.txt")
    assert await _run(protocol, tmp_path, beat=0.05) == Outcome(0, None)
    assert protocol.heartbeats >= 3


async def test_a_lost_lease_stops_keeping_and_the_run_is_not_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    phases = Phases(monkeypatch, after_takes=30)
    protocol = OneRun("echo built > built.txt")
    config = RunnerConfig(work_dir=tmp_path / "runs", heartbeat_interval=0.05, kill_grace=0.2)
    pool = RunnerPool(protocol, "test", 1, config, claim_wait=0.1)
    await pool.start()
    try:
        while "after" not in phases.calls:
            await asyncio.sleep(0.01)
        protocol.control = Control.ABANDON
        while not phases.after_cancelled:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert not protocol.finished.done()
    finally:
        await pool.stop(grace=1)


async def test_nothing_is_kept_after_a_cancel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    phases = Phases(monkeypatch)
    protocol = OneRun("echo built > built.txt; sleep 30", cancel=True)
    outcome = await _run(protocol, tmp_path, beat=0.05)
    assert outcome is not None
    assert outcome.error_reason == "canceled"
    assert phases.calls == ["before"]


async def test_a_job_without_outputs_has_no_keep_phases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    phases = Phases(monkeypatch)
    protocol = OneRun("echo built > built.txt", outputs=Outputs())
    assert await _run(protocol, tmp_path) == Outcome(0, None)
    assert phases.calls == []


async def test_a_failing_part_is_a_log_line_and_the_run_ends_as_its_script_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: keep.KeepContext, spec: CacheSpec) -> None:
        raise OSError("disk on fire")

    from ishcd.runner import caches

    monkeypatch.setattr(caches, "restore", broken)
    protocol = OneRun("echo hi")
    assert await _run(protocol, tmp_path) == Outcome(0, None)
    assert b"[ishcd] could not restore the cache: disk on fire" in protocol.log
