"""Branch and tag filters: which jobs a pipeline runs, and what leaves with a filtered job."""

from __future__ import annotations

import textwrap

import pytest

from ishcd.pipelines.compile import compile_config, validate
from ishcd.pipelines.filters import matches
from ishcd.pipelines.model import ConfigErrors, Context, Plan


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("main", None, False),
        ("/release-.*/", "release-1.2", True),
        ("/release-.*/", "pre-release-1.2", False),  # the whole name must match
        ("/release-.*/", "release-", True),
        ("/v[0-9]+/", "v12x", False),
        ("/main/", "main", True),
        ("/", "/", True),  # one slash is a name, not a pattern
        ("//", "", True),
        ("/[/", "[", False),  # not a valid regex: matches nothing
        ("release-.*", "release-1", False),  # without slashes: exact
    ],
)
def test_matches(pattern: str, value: str | None, expected: bool) -> None:
    assert matches(pattern, value) is expected


def config(filters: str) -> str:
    return textwrap.dedent(
        """\
        version: 1
        jobs:
          build: {steps: [run: make]}
          test: {steps: [run: test]}
          deploy: {steps: [run: deploy]}
          notify: {steps: [run: notify]}
        workflows:
          main:
            jobs:
              - build
              - test: {requires: [build]}
              - deploy:
                  requires: [test]
                  filters: FILTERS
              - notify: {requires: [deploy]}
        """
    ).replace("FILTERS", filters)


def job_names(text: str, branch: str | None = None, tag: str | None = None) -> list[list[str]]:
    plan: Plan = compile_config(text, Context(number=1, branch=branch, tag=tag))
    return [[job.name for job in workflow.jobs] for workflow in plan.workflows]


ALL = [["build", "test", "deploy", "notify"]]
WITHOUT_DEPLOY = [["build", "test"]]


@pytest.mark.parametrize(
    ("branch", "tag", "expected"),
    [
        ("main", None, ALL),
        ("release-2", None, ALL),
        ("feature/x", None, WITHOUT_DEPLOY),
        (None, "v1.0", WITHOUT_DEPLOY),  # branches.only: no branch, no job
        (None, None, WITHOUT_DEPLOY),
    ],
)
def test_branches_only(branch: str | None, tag: str | None, expected: list[list[str]]) -> None:
    text = config("{branches: {only: [main, /release-.*/]}}")
    assert job_names(text, branch, tag) == expected


@pytest.mark.parametrize(
    ("branch", "tag", "expected"),
    [
        ("main", None, ALL),
        ("wip-thing", None, WITHOUT_DEPLOY),
        (None, "v1.0", ALL),  # no branch: nothing to ignore
    ],
)
def test_branches_ignore(branch: str | None, tag: str | None, expected: list[list[str]]) -> None:
    assert job_names(config("{branches: {ignore: /wip-.*/}}"), branch, tag) == expected


@pytest.mark.parametrize(
    ("branch", "tag", "expected"),
    [
        (None, "v1.0", ALL),
        (None, "nightly", WITHOUT_DEPLOY),
        ("main", None, WITHOUT_DEPLOY),  # tags.only: no tag, no job
        ("main", "v2.3", ALL),
    ],
)
def test_tags_only(branch: str | None, tag: str | None, expected: list[list[str]]) -> None:
    assert job_names(config(r"{tags: {only: '/v\d+\.\d+/'}}"), branch, tag) == expected


@pytest.mark.parametrize(
    ("branch", "tag", "expected"),
    [
        ("main", None, ALL),
        (None, "v1.0", WITHOUT_DEPLOY),
        (None, None, ALL),
    ],
)
def test_tags_ignore(branch: str | None, tag: str | None, expected: list[list[str]]) -> None:
    assert job_names(config("{tags: {ignore: /.*/}}"), branch, tag) == expected


def test_branch_and_tag_filters_both_apply() -> None:
    text = config("{branches: {only: main}, tags: {ignore: /.*/}}")
    assert job_names(text, "main", None) == ALL
    assert job_names(text, "main", "v1") == WITHOUT_DEPLOY


def test_a_job_without_filters_runs_for_anything() -> None:
    text = config("{}")
    for branch, tag in [("main", None), (None, "v1"), (None, None)]:
        assert job_names(text, branch, tag) == ALL


def test_jobs_requiring_a_filtered_job_leave_with_it_transitively() -> None:
    text = config("{branches: {only: main}}").replace(
        "- build\n", "- build: {filters: {branches: {only: main}}}\n"
    )
    assert job_names(text, "dev") == []


def test_a_workflow_left_without_jobs_is_left_out() -> None:
    text = config("{}") + "  tagged:\n    jobs:\n      - deploy: {filters: {tags: {only: /.*/}}}\n"
    plan = compile_config(text, Context(number=1, branch="main"))
    assert [workflow.name for workflow in plan.workflows] == ["main"]
    plan = compile_config(text, Context(number=1, tag="v1"))
    assert [workflow.name for workflow in plan.workflows] == ["main", "tagged"]


def test_filters_apply_to_every_matrix_instance() -> None:
    text = config("{}").replace(
        "- test: {requires: [build]}",
        "- test: {requires: [build], matrix: {parameters: {v: [a, b]}}, "
        "filters: {branches: {ignore: dev}}}",
    )
    assert job_names(text, "dev") == [["build"]]
    assert job_names(text, "main") == [["build", "test-va", "test-vb", "deploy", "notify"]]


def errors(filters: str) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in validate(config(filters))]


def test_an_invalid_regex_is_a_config_error_with_its_place() -> None:
    found = errors("{branches: {only: [main, '/release-(.*/']}}")
    assert [(path, line) for path, line, _ in found] == [
        ("workflows.main.jobs[2].deploy.filters.branches.only[1]", 14)
    ]
    assert found[0][2].startswith('"/release-(.*/" is not a valid regular expression: ')


def test_filters_are_checked_even_where_they_do_not_apply() -> None:
    # Whatever the trigger, a broken filter is an error.
    text = config("{tags: {only: '/(/'}}")
    with pytest.raises(ConfigErrors, match="not a valid regular expression"):
        compile_config(text, Context(number=1, branch="main"))


@pytest.mark.parametrize(
    ("filters", "path", "message"),
    [
        ("{branch: {only: main}}", "filters.branch", 'unknown key "branch" (did you mean "branches"?)'),
        ("{branches: {only: []}}", "filters.branches.only", "at least one pattern is needed"),
        ("{branches: {}}", "filters.branches", 'expected "only" or "ignore" (or both)'),
        ("{branches: {only: 1}}", "filters.branches.only", "expected a pattern or a list of patterns, got an integer"),
        ("{branches: main}", "filters.branches", "expected a mapping (only, ignore), got a string"),
        ("{branches: {only: ''}}", "filters.branches.only", "the pattern is empty"),
    ],
)  # fmt: skip
def test_filter_shapes_are_checked(filters: str, path: str, message: str) -> None:
    assert errors(filters) == [(f"workflows.main.jobs[2].deploy.{path}", 14, message)]
