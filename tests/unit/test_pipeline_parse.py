"""Reading a config: every mistake is reported, each with its path and line."""

from __future__ import annotations

import textwrap

import pytest

from ishcd.pipelines.compile import validate
from ishcd.pipelines.model import ConfigError


def errors(text: str) -> list[tuple[str, int | None]]:
    """(path, line) of every problem ``validate`` finds."""
    return [(e.path, e.line) for e in validate(textwrap.dedent(text))]


def messages(text: str) -> list[str]:
    return [e.message for e in validate(textwrap.dedent(text))]


MINIMAL = """\
version: 1
jobs:
  build:
    steps:
      - run: make
workflows:
  main:
    jobs: [build]
"""


def test_a_minimal_config_is_valid() -> None:
    assert validate(MINIMAL) == []


@pytest.mark.parametrize("text", ["", "   \n\t\n", "# only a comment\n"])
def test_an_empty_config_is_one_error(text: str) -> None:
    assert validate(text) == [ConfigError("the config is empty", "", None)]


def test_a_yaml_syntax_error_is_one_error_with_its_line() -> None:
    found = validate("version: 1\njobs:\n  build: {}\n  test: x: y\nworkflows: {}\n")
    assert len(found) == 1
    assert found[0].message == "invalid YAML: mapping values are not allowed here"
    assert found[0].message.startswith("invalid YAML: ")
    assert found[0].path == ""
    assert found[0].line == 4


def test_a_tab_indentation_is_a_yaml_error_on_its_line() -> None:
    found = validate("version: 1\njobs:\n\tbuild: {}\n")
    assert [(e.path, e.line) for e in found] == [("", 3)]


def test_two_documents_are_one_error() -> None:
    found = validate(MINIMAL + "---\nversion: 1\n")
    assert len(found) == 1
    assert "single document" in found[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- a\n- b\n",
            "expected a mapping (version, parameters, jobs, workflows, promotions), got a list",
        ),
        (
            "42\n",
            "expected a mapping (version, parameters, jobs, workflows, promotions), got an integer",
        ),
        (
            "hello\n",
            "expected a mapping (version, parameters, jobs, workflows, promotions), got a string",
        ),
    ],
)
def test_a_document_that_is_not_a_mapping_says_what_it_is(text: str, expected: str) -> None:
    assert validate(text) == [ConfigError(expected, "", 1)]


def test_version_is_required() -> None:
    assert errors(MINIMAL.replace("version: 1\n", "")) == [("version", 1)]
    assert messages(MINIMAL.replace("version: 1\n", "")) == [
        '"version" is required: write version: 1'
    ]


@pytest.mark.parametrize("version", ["2", '"1"', "1.0", "true", "[1]"])
def test_only_version_1_is_known(version: str) -> None:
    found = validate(MINIMAL.replace("version: 1", f"version: {version}"))
    assert [(e.path, e.line) for e in found] == [("version", 1)]
    assert "only version 1 is known" in found[0].message


def test_jobs_and_workflows_are_required() -> None:
    assert errors("version: 1\n") == [("jobs", 1), ("workflows", 1)]


def test_unknown_keys_are_errors_at_their_own_line_with_a_guess() -> None:
    text = """\
        version: 1
        jobs:
          build:
            stpes:
              - run: make
            timeout: 60
        workflows:
          main:
            jobs: [build]
            when: always
        promotion: []
        """
    found = validate(textwrap.dedent(text))
    assert [(e.path, e.line) for e in found] == [
        ("jobs.build.stpes", 4),
        ("jobs.build.steps", 4),
        ("workflows.main.when", 10),
        ("promotion", 11),
    ]
    assert found[0].message == 'unknown key "stpes" (did you mean "steps"?)'
    assert found[3].message == 'unknown key "promotion" (did you mean "promotions"?)'
    assert found[2].message == 'unknown key "when" (expected one of: jobs)'


def test_wrong_types_name_the_expected_type() -> None:
    text = """\
        version: 1
        jobs:
          build:
            steps: make
            timeout: "600"
            labels: linux
            environment: [A=1]
          test:
            steps:
              - run: [make, test]
            retry: yes
        workflows:
          main:
            jobs: {build: {}}
        """
    found = validate(textwrap.dedent(text))
    assert [(e.path, e.line, e.message) for e in found] == [
        ("jobs.build.steps", 4, "expected a list of steps, got a string"),
        ("jobs.build.timeout", 5, "expected an integer, got a string"),
        ("jobs.build.labels", 6, "expected a list of labels, got a string"),
        ("jobs.build.environment", 7, "expected a mapping of variables, got a list"),
        ("jobs.test.steps[0].run", 10, "expected a command, or {name, command}, got a list"),
        ("jobs.test.retry", 11, "expected an integer or {count, only_lost}, got a boolean"),
        (
            "workflows.main.jobs",
            14,
            "expected a list of jobs, got a mapping",
        ),
    ]


def test_a_number_where_a_string_is_expected_says_to_quote_it() -> None:
    text = MINIMAL.replace("run: make", "run: {name: 42, command: make}")
    assert messages(text) == ['expected a string, got an integer (quote it: "42")']


def test_paths_into_workflow_jobs_name_the_item_and_the_job() -> None:
    text = """\
        version: 1
        jobs:
          build: {steps: [run: make]}
          test: {steps: [run: pytest]}
        workflows:
          main:
            jobs:
              - build
              - test:
                  requires: [built]
                  filter: {}
        """
    found = validate(textwrap.dedent(text))
    assert [(e.path, e.line) for e in found] == [
        ("workflows.main.jobs[1].test.requires[0]", 10),
        ("workflows.main.jobs[1].test.filter", 11),
    ]
    assert found[0].message == 'unknown job "built": not a job of workflow "main"'


def test_a_workflow_job_must_be_defined_under_jobs() -> None:
    text = MINIMAL.replace("jobs: [build]", "jobs: [build, biuld]")
    found = validate(text)
    assert [(e.path, e.line) for e in found] == [("workflows.main.jobs[1]", 8)]
    assert (
        found[0].message == 'unknown job "biuld": not defined under "jobs" (did you mean "build"?)'
    )


def test_a_workflow_job_mapping_has_one_key() -> None:
    text = MINIMAL.replace("jobs: [build]", "jobs: [{build: {}, test: {}}]")
    assert errors(text) == [("workflows.main.jobs[0]", 8)]


@pytest.mark.parametrize(
    ("key", "what"),
    [("bad name", "job"), ("a.b", "job"), ("ünï", "job")],
)
def test_job_names_are_letters_digits_dash_underscore(key: str, what: str) -> None:
    text = f'version: 1\njobs:\n  "{key}": {{steps: [run: x]}}\nworkflows: {{main: {{jobs: ["{key}"]}}}}\n'
    found = validate(text)
    assert len(found) == 1
    assert found[0].line == 3
    assert f"is not a valid {what} name" in found[0].message


def test_parameter_names_do_not_start_with_a_digit_but_job_names_may() -> None:
    text = """\
        version: 1
        parameters:
          1st: {type: string, default: x}
        jobs:
          1st: {steps: [run: x]}
        workflows:
          2nd: {jobs: [1st]}
        """
    assert errors(text) == [("parameters.1st", 3)]


def test_duplicate_keys_are_errors_not_the_last_one_silently() -> None:
    text = """\
        version: 1
        jobs:
          build: {steps: [run: make]}
          build: {steps: [run: make again]}
        workflows:
          main: {jobs: [build]}
        """
    found = validate(textwrap.dedent(text))
    assert [(e.path, e.line, e.message) for e in found] == [
        ("jobs.build", 4, "duplicate key 'build'"),
    ]


def test_at_least_one_job_workflow_step() -> None:
    text = """\
        version: 1
        jobs:
          build: {steps: []}
        workflows:
          main: {jobs: []}
        """
    assert errors(text) == [("jobs.build.steps", 3), ("workflows.main.jobs", 5)]
    assert errors("version: 1\njobs: {}\nworkflows: {}\n") == [("jobs", 2), ("workflows", 3)]


def test_every_problem_is_reported_at_once() -> None:
    text = """\
        version: 3
        jobs:
          build:
            steps: [run: ""]
            timeout: 0
            retry: 11
            labels: ["has space"]
            environment: {1BAD: x, GOOD: ~}
        workflows:
          main: {jobs: [build]}
        """
    assert errors(text) == [
        ("version", 1),
        ("jobs.build.steps[0].run", 4),
        ("jobs.build.timeout", 5),
        ("jobs.build.retry", 6),
        ("jobs.build.labels[0]", 7),
        ("jobs.build.environment.1BAD", 8),
        ("jobs.build.environment.GOOD", 8),
    ]


def test_unsupported_yaml_tags_are_errors() -> None:
    text = MINIMAL.replace("run: make", "run: !!python/object:os.system make")
    found = validate(text)
    assert [(e.path, e.line) for e in found] == [("jobs.build.steps[0].run", 5)]
    assert "unsupported YAML tag" in found[0].message


def test_anchors_and_merge_keys_work_and_errors_point_at_the_anchor() -> None:
    text = """\
        version: 1
        jobs:
          build: &defaults
            steps: [run: make]
            timeout: 60
          test:
            <<: *defaults
            timeout: 120
        workflows:
          main: {jobs: [build, test]}
        """
    assert validate(textwrap.dedent(text)) == []
    bad = textwrap.dedent(text).replace("timeout: 60", "timeout: -1")
    assert [(e.path, e.line) for e in validate(bad)] == [("jobs.build.timeout", 5)]


def test_keys_that_are_not_plain_names_are_quoted_in_paths() -> None:
    text = MINIMAL.replace("    steps:", '    "my key": 1\n    steps:')
    assert errors(text) == [('jobs.build["my key"]', 4)]
