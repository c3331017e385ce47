"""Checking a job's artifacts, cache and test_reports as written (JSON or YAML alike)."""

from __future__ import annotations

from typing import Any

import pytest

from ishcd import outputs_config
from ishcd.outputs import ArtifactsSpec, CacheSpec


@pytest.mark.parametrize(
    ("written", "seconds"),
    [(3600, 3600), ("3600", 3600), ("3600s", 3600), ("90m", 5400), ("12h", 43200),
     ("30d", 2592000), ("1w", 604800), ("1d12h", 129600), (" 2D ", 172800)],
)  # fmt: skip
def test_durations(written: Any, seconds: int) -> None:
    assert outputs_config.duration(written) == seconds


@pytest.mark.parametrize("written", [0, -1, True, 1.5, "", "30 days", "d", "11000d", "1y", None])
def test_bad_durations(written: Any) -> None:
    with pytest.raises(ValueError, match="30d, 12h"):
        outputs_config.duration(written)


def test_the_two_shapes_of_artifacts() -> None:
    assert outputs_config.artifacts(["a/*", "b", "a/*"]) == ArtifactsSpec(("a/*", "b"))
    assert outputs_config.artifacts([]) is None
    assert outputs_config.artifacts(None) is None
    written = {"paths": ["x"], "when": "on_success", "expire_in": "12h"}
    assert outputs_config.artifacts(written) == ArtifactsSpec(("x",), "on_success", 43200)


def test_cache_parts_are_optional_but_one_is_needed() -> None:
    assert outputs_config.cache({"restore": ["k-"]}) == CacheSpec(("k-",))
    saved = outputs_config.cache({"save": {"key": "k-{{ branch }}", "paths": ["node_modules"]}})
    assert saved == CacheSpec((), "k-{{ branch }}", ("node_modules",))
    with pytest.raises(outputs_config.OutputsInvalid, match="needs restore, save or both"):
        outputs_config.cache({})


def test_every_problem_is_told_with_where_it_is() -> None:
    written = {
        "paths": ["ok", "/abs", 3, "a/../../b"],
        "when": "never",
        "expire_in": "forever",
        "keep": True,
    }
    with pytest.raises(outputs_config.OutputsInvalid) as caught:
        outputs_config.artifacts(written)
    where = [problem.path("jobs.build.artifacts") for problem in caught.value.problems]
    assert where == [
        "jobs.build.artifacts.keep",
        "jobs.build.artifacts.paths[1]",
        "jobs.build.artifacts.paths[2]",
        "jobs.build.artifacts.paths[3]",
        "jobs.build.artifacts.when",
        "jobs.build.artifacts.expire_in",
    ]
    with pytest.raises(outputs_config.OutputsInvalid) as caught:
        outputs_config.cache({"save": {"paths": "x"}, "restore": "k"})
    messages = {p.path("cache"): p.message for p in caught.value.problems}
    assert messages == {
        "cache.restore": "must be a list of key templates",
        "cache.save.key": "is required: a key template",
        "cache.save.paths": "must be a list of patterns",
    }
    with pytest.raises(outputs_config.OutputsInvalid, match=r"test_reports\[0\]: is empty"):
        outputs_config.test_reports([" "])
