from __future__ import annotations

import pytest

from ishcd.exceptions import InvalidTransition
from ishcd.services import run_state


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("queued", "running"),
        ("queued", "error"),
        ("running", "complete"),
        ("running", "error"),
        ("running", "queued"),  # by its retry, for the next attempt
    ],
)
def test_allowed(current: str, to: str) -> None:
    run_state.check(current, to)


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("queued", "complete"),
        ("queued", "queued"),
        ("complete", "error"),
        ("error", "running"),
        ("complete", "complete"),
    ],
)
def test_refused(current: str, to: str) -> None:
    with pytest.raises(InvalidTransition):
        run_state.check(current, to)


def test_every_status_has_a_row() -> None:
    assert set(run_state.ALLOWED) == set(run_state.STATUSES)
    assert {s for s, nxt in run_state.ALLOWED.items() if not nxt} == run_state.FINISHED
