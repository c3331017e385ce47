"""A log follower's database checks: a burst at once, then a steady rate."""

from __future__ import annotations

import pytest

from ishcd.services.logs import CheckBudget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_checks_is_free_then_they_are_spaced() -> None:
    clock = Clock()
    budget = CheckBudget(rate=4, burst=3, clock=clock)
    # the first check, and the wake-ups right after it (a run's end), go at once
    assert [budget.delay() for _ in range(3)] == [0, 0, 0]
    assert budget.delay() == pytest.approx(0.25)
    clock.now += 0.25
    assert budget.delay() == 0
    assert budget.delay() == pytest.approx(0.25)


def test_an_idle_follower_earns_back_its_burst_and_no_more() -> None:
    clock = Clock()
    budget = CheckBudget(rate=4, burst=3, clock=clock)
    for _ in range(3):
        budget.delay()
    clock.now += 60
    assert [budget.delay() for _ in range(3)] == [0, 0, 0]
    assert budget.delay() > 0
