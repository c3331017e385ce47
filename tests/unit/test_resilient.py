"""The runner protocol retried through an outage: a fake server that is away N times."""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

import pytest

from ishcd import exceptions
from ishcd.runner.execute import RunnerConfig
from ishcd.runner.pool import RunnerPool
from ishcd.runner.protocol import Assignment, Control, Lease, Outcome, RunnerProtocol, Section
from ishcd.runner.resilient import ResilientProtocol, backoff

LEASE = Lease("run-1", "r", 1)


class AwayProtocol(RunnerProtocol):
    """Raises ``Unavailable`` for the first ``away`` calls of each method, then answers."""

    def __init__(self, away: int, control: Control = Control.CONTINUE):
        self.away = away
        self.control = control
        self.calls: dict[str, int] = {}
        self.log: list[tuple[int, bytes]] = []
        self.finished: list[Outcome] = []

    def _call(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        if self.calls[method] <= self.away:
            raise exceptions.Unavailable()

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        self._call("claim")
        return Assignment("run-1", "p", "j", "true", {}, 60)

    async def heartbeat(self, lease: Lease) -> Control:
        self._call("heartbeat")
        return self.control

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        self._call("wait_canceled")
        return False

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        self._call("append_log")
        self.log.append((offset, data))

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        self._call("report_sections")

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        self._call("finish")
        self.finished.append(outcome)


def resilient(inner: RunnerProtocol) -> ResilientProtocol:
    return ResilientProtocol(inner, first_delay=0.001, max_delay=0.004)


async def test_heartbeat_log_and_finish_are_retried_until_the_server_is_back() -> None:
    inner = AwayProtocol(away=5)
    protocol = resilient(inner)
    assert await protocol.heartbeat(LEASE) is Control.CONTINUE
    await protocol.append_log(LEASE, 0, b"out\n")
    await protocol.finish(LEASE, Outcome(3))
    assert inner.calls == {"heartbeat": 6, "append_log": 6, "finish": 6}
    assert inner.log == [(0, b"out\n")]
    assert inner.finished == [Outcome(3)]


async def test_an_answer_is_not_retried_the_run_is_gone() -> None:
    inner = AwayProtocol(away=2, control=Control.ABANDON)
    assert await resilient(inner).heartbeat(LEASE) is Control.ABANDON
    assert inner.calls == {"heartbeat": 3}


async def test_other_errors_are_not_retried() -> None:
    class Broken(AwayProtocol):
        async def finish(self, lease: Lease, outcome: Outcome) -> None:
            self._call("finish")
            raise exceptions.NotFound()

    inner = Broken(away=0)
    with pytest.raises(exceptions.NotFound):
        await resilient(inner).finish(LEASE, Outcome(0))
    assert inner.calls == {"finish": 1}


async def test_a_claim_during_an_outage_finds_no_work_and_waits() -> None:
    inner = AwayProtocol(away=2)
    protocol = resilient(inner)
    assert await protocol.claim("r", 1.0) is None
    assert await protocol.claim("r", 1.0) is None
    claimed = await protocol.claim("r", 1.0)
    assert claimed is not None
    assert claimed.run_id == "run-1"


async def test_waiting_for_cancel_during_an_outage_is_not_a_cancel() -> None:
    protocol = resilient(AwayProtocol(away=1))
    assert await protocol.wait_canceled(LEASE, 0.001) is False
    assert await protocol.wait_canceled(LEASE, 0.001) is False


async def test_stop_retrying_ends_a_retry_in_progress() -> None:
    protocol = ResilientProtocol(AwayProtocol(away=10**9), first_delay=0.01, max_delay=0.05)
    finishing = asyncio.create_task(protocol.finish(LEASE, Outcome(0)))
    await asyncio.sleep(0.05)
    assert not finishing.done()
    protocol.stop_retrying()
    with pytest.raises(exceptions.Unavailable):
        await asyncio.wait_for(finishing, 5)


async def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protocol = resilient(AwayProtocol(away=20))
    with caplog.at_level(logging.WARNING, logger="ishcd.runner.resilient"):
        await protocol.heartbeat(LEASE)
        await protocol.heartbeat(LEASE)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert "retrying with back-off" in messages[0]
    assert "reachable again" in messages[1]


async def test_a_call_that_needs_no_server_does_not_end_the_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class LocalLogs(AwayProtocol):
        async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
            self.log.append((offset, data))

    protocol = resilient(LocalLogs(away=3))
    with caplog.at_level(logging.WARNING, logger="ishcd.runner.resilient"):
        heartbeat = asyncio.create_task(protocol.heartbeat(LEASE))
        await protocol.append_log(LEASE, 0, b"x")
        await heartbeat
    messages = [record.getMessage() for record in caplog.records]
    assert [("retrying" in m, "reachable" in m) for m in messages] == [
        (True, False),
        (False, True),
    ]


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    plain = list(itertools.islice(backoff(0.2, 5.0, jitter=lambda: 1.0), 8))
    assert plain == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0])
    halved = list(itertools.islice(backoff(0.2, 5.0, jitter=lambda: 0.0), 3))
    assert halved == pytest.approx([0.1, 0.2, 0.4])
    for delay in itertools.islice(backoff(0.2, 5.0), 50):
        assert 0.1 <= delay <= 5.0


async def test_idle_slots_wait_out_an_outage_without_tracebacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inner = AwayProtocol(away=10**9)
    pool = RunnerPool(inner, "r", 2, RunnerConfig(work_dir=tmp_path), retry_max_delay=0.02)
    pool.protocol.first_delay = 0.001
    with caplog.at_level(logging.WARNING):
        await pool.start()
        while inner.calls.get("claim", 0) < 10:
            await asyncio.sleep(0.01)
        await pool.stop(grace=1.0)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert all(r.exc_info is None for r in caplog.records)
