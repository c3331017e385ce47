"""The run guard: a runner's end (its pipe closing) kills the runs it still held."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from ishcd.runner.guard import Guard


def _sleeper(run_id: str) -> subprocess.Popen[bytes]:
    env = {"PATH": os.environ["PATH"], "ISHCD_RUN_ID": run_id}
    return subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)


def _ended(process: subprocess.Popen[bytes]) -> bool:
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return True


@pytest.fixture
def guard() -> Guard:
    g = Guard()
    g.start()
    return g


def test_held_runs_die_when_the_runner_goes_and_released_ones_do_not(guard: Guard) -> None:
    held, released, escaped = _sleeper("run-a"), _sleeper("run-b"), _sleeper("run-c")
    guard.watch("run-a")
    guard.group("run-a", held.pid)
    guard.watch("run-b")
    guard.group("run-b", released.pid)
    guard.release("run-b")
    guard.watch("run-c")  # never told its group: found by ISHCD_RUN_ID
    os.close(guard._pipe)  # what the kernel does when the runner dies
    try:
        assert _ended(held)
        assert _ended(escaped)
        assert held.returncode == escaped.returncode == -signal.SIGKILL
        assert released.poll() is None
    finally:
        released.kill()
        released.wait()
        assert guard._process is not None
        guard._process.wait(timeout=10)


def test_a_killed_guard_is_started_again_and_told_what_is_live(guard: Guard) -> None:
    held = _sleeper("run-d")
    guard.watch("run-d")
    guard.group("run-d", held.pid)
    first = guard._process
    assert first is not None
    first.kill()
    first.wait()
    time.sleep(0.05)
    guard.watch("run-e")  # the write fails: a new guard is started
    assert guard._process is not None
    assert guard._process.pid != first.pid
    os.close(guard._pipe)
    try:
        assert _ended(held)
    finally:
        guard._process.wait(timeout=10)


def test_a_clean_stop_kills_nothing(guard: Guard) -> None:
    process = _sleeper("run-f")
    guard.watch("run-f")
    guard.group("run-f", process.pid)
    guard.release("run-f")
    guard.stop()
    assert process.poll() is None
    process.kill()
    process.wait()
