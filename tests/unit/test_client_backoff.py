"""The client's polling schedule and its wait, on a fake clock (no server, no sleeping)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from ishcd.client import backoff, errors


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_delays_start_small_double_and_stop_growing_at_the_cap() -> None:
    assert list(itertools.islice(backoff.delays(), 9)) == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    )


def test_delays_take_their_start_factor_and_cap() -> None:
    assert list(itertools.islice(backoff.delays(1, 3, 10), 4)) == [1, 3, 9, 10]


def test_poll_returns_the_first_value_that_is_done_sleeping_by_the_schedule() -> None:
    fake = FakeClock()
    answers = iter(["queued", "running", "running", "complete", "never read"])
    got = backoff.poll(
        lambda: next(answers),
        lambda status: status == "complete",
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert got == "complete"
    assert fake.sleeps == pytest.approx([0.1, 0.2, 0.4])


def test_poll_does_not_sleep_when_the_first_answer_is_done() -> None:
    fake = FakeClock()
    assert backoff.poll(lambda: 1, lambda n: n == 1, sleep=fake.sleep, clock=fake.clock) == 1
    assert fake.sleeps == []


def test_poll_times_out_with_the_last_value_and_never_sleeps_past_the_deadline() -> None:
    fake = FakeClock()
    polls: list[float] = []

    def fetch() -> str:
        polls.append(fake.now)
        return "running"

    with pytest.raises(errors.WaitTimeout) as caught:
        backoff.poll(
            fetch, lambda s: s == "complete", timeout=1.0, sleep=fake.sleep, clock=fake.clock
        )
    assert caught.value.last == "running"
    assert "1s" in str(caught.value)
    # 0.1 + 0.2 + 0.4 = 0.7, then the rest of the second (0.3), then one last poll.
    assert fake.sleeps == pytest.approx([0.1, 0.2, 0.4, 0.3])
    assert polls[-1] == pytest.approx(101.0)
    assert isinstance(caught.value, TimeoutError)


def test_poll_with_a_zero_timeout_polls_once() -> None:
    fake = FakeClock()
    with pytest.raises(errors.WaitTimeout):
        backoff.poll(lambda: 0, lambda n: n == 1, timeout=0, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


def test_the_client_package_imports_nothing_else_of_ishcd() -> None:
    code = (
        "import sys, ishcd.client\n"
        "print(sorted(m for m in sys.modules if m.startswith('ishcd')"
        " and m != 'ishcd' and not m.startswith('ishcd.client')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
