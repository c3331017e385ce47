"""Why a workflow or a pipeline ended error, from what ended error inside it."""

from __future__ import annotations

import pytest

from ishcd.services.pipeline_state import cause


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["failed"], "failed"),
        (["setup_failed"], "failed"),
        (["runner_lost"], "failed"),
        (["timed_out"], "timed_out"),
        (["canceled"], "canceled"),
        (["timed_out", "dependency_failed"], "timed_out"),
        (["canceled", "dependency_failed", "dependency_failed"], "canceled"),
        (["canceled", "timed_out"], "timed_out"),
        (["timed_out", "runner_lost"], "failed"),
        (["canceled", "failed", "timed_out"], "failed"),
        # Nothing that explains it (cannot happen: a dependency failed because of
        # something): the plain word.
        (["dependency_failed"], "failed"),
        ([], "failed"),
        ([None], "failed"),
    ],
)
def test_a_failure_outweighs_a_timeout_which_outweighs_a_cancel(
    reasons: list[str | None], expected: str
) -> None:
    assert cause(reasons) == expected
