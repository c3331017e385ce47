"""Flips and percentiles: the arithmetic behind flaky tests and insights."""

from __future__ import annotations

from ishcd.db.test_cases import RunCase
from ishcd.services.test_reports import _flips, percentile


def _case(result: str, revision: str, at: float) -> RunCase:
    return RunCase(f"run-{at}", result, revision, "main", "test", at)


def test_flips_count_changes_on_each_revision_only() -> None:
    history = [
        _case("passed", "a", 1),
        _case("failed", "b", 2),  # another revision: no flip against "a"
        _case("error", "a", 3),  # a failing result: a flip on "a"
        _case("skipped", "a", 4),  # neither: ignored
        _case("failed", "a", 5),  # still failing: no flip
        _case("passed", "a", 6),  # a flip
        _case("failed", "b", 7),  # "b" fails every time
    ]
    assert _flips(history) == (2, {"a"})
    assert _flips([]) == (0, set())


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([4.0], 0.95) == 4.0
    assert percentile([1.0, 2.0, 9.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 9.0], 0.95) == 9.0
    values = [float(i) for i in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (50.0, 95.0)
