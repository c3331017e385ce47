"""``<< … >>``: every name, where it may be used, and how unknown names are reported."""

from __future__ import annotations

import json
import textwrap

import pytest

from ishcd.pipelines.compile import compile_config, validate
from ishcd.pipelines.model import ConfigErrors, Context, JobPlan, Plan

HEAD = """\
version: 1
parameters:
  env: {type: enum, values: [staging, production], default: staging}
  fast: {type: boolean, default: true}
  shards: {type: integer, default: 4}
  image: {type: string, default: app}
"""


def config(body: str) -> str:
    return HEAD + textwrap.dedent(body)


def plan(body: str, **context: object) -> Plan:
    number = context.pop("number", 7)
    assert isinstance(number, int)
    return compile_config(config(body), Context(number=number, **context))  # type: ignore[arg-type]


def only_job(body: str, **context: object) -> JobPlan:
    return plan(body, **context).workflows[0].jobs[0]


def command_of(command: str, **context: object) -> str:
    body = f"""\
        jobs:
          build:
            steps:
              - run: {json.dumps(command)}
        workflows:
          main: {{jobs: [build]}}
        """
    return only_job(body, **context).steps[0].command


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("<< pipeline.parameters.env >>", "staging"),
        ("<< pipeline.parameters.fast >>", "true"),
        ("<< pipeline.parameters.shards >>", "4"),
        ("<< pipeline.parameters.image >>", "app"),
        ("<< pipeline.number >>", "7"),
        ("<< pipeline.git.branch >>", "main"),
        ("<< pipeline.git.tag >>", "v1.2"),
        ("<< pipeline.git.revision >>", "abc123"),
        ("<<pipeline.number>>", "7"),
        ("<<   pipeline.number\t>>", "7"),
        ("a<<pipeline.number>>b<< pipeline.number >>c", "a7b7c"),
    ],
)
def test_each_name_is_replaced_with_or_without_spaces(command: str, expected: str) -> None:
    found = command_of(command, branch="main", tag="v1.2", revision="abc123")
    assert found == expected


def test_booleans_read_true_false_and_integers_decimal() -> None:
    found = command_of(
        "<< pipeline.parameters.fast >> << pipeline.parameters.shards >>",
        parameters={"fast": "false", "shards": "012"},
    )
    assert found == "false 12"


def test_missing_git_values_are_empty() -> None:
    assert (
        command_of("[<< pipeline.git.branch >>|<< pipeline.git.tag >>|<< pipeline.git.revision >>]")
        == "[||]"
    )


def test_an_escaped_opener_is_literal() -> None:
    assert command_of(r"cat \<<EOF >> out.txt") == "cat <<EOF >> out.txt"
    assert command_of(r"echo \<< pipeline.number >>") == "echo << pipeline.number >>"


def test_things_that_are_not_names_are_left_alone() -> None:
    assert command_of("echo $((1 << 3)) >> x; cat <<EOF") == "echo $((1 << 3)) >> x; cat <<EOF"


def test_a_value_is_not_expanded_again() -> None:
    found = command_of(
        "<< pipeline.parameters.image >>", parameters={"image": "<< pipeline.number >>"}
    )
    assert found == "<< pipeline.number >>"


def test_every_string_of_a_job_is_interpolated() -> None:
    job = only_job(
        """\
        jobs:
          deploy:
            steps:
              - run: {name: "Deploy to << pipeline.parameters.env >>", command: "deploy << pipeline.number >>"}
            environment: {TARGET: "<< pipeline.parameters.env >>"}
            labels: ["<< pipeline.parameters.env >>"]
            concurrency: deploy-<< pipeline.parameters.env >>
        workflows:
          main: {jobs: [deploy]}
        """,
        parameters={"env": "production"},
    )
    assert job.steps[0].name == "Deploy to production"
    assert job.steps[0].command == "deploy 7"
    assert job.environment == {"TARGET": "production"}
    assert job.labels == ("production",)
    assert job.concurrency == "deploy-production"


def test_a_step_without_a_name_is_named_after_its_interpolated_first_line() -> None:
    job = only_job(
        """\
        jobs:
          build:
            steps:
              - run: |

                  make << pipeline.parameters.image >> ARGS="a very long list of arguments that goes on and on"
                  make test
        workflows:
          main: {jobs: [build]}
        """
    )
    first_line = 'make app ARGS="a very long list of arguments that goes on and on"'
    assert job.steps[0].name == first_line[:60]


def errors(body: str) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in validate(config(body))]


def test_an_unknown_parameter_is_reported_with_path_and_line() -> None:
    assert errors(
        """\
        jobs:
          build:
            steps:
              - run: echo << pipeline.parameters.imgae >>
        workflows:
          main: {jobs: [build]}
        """
    ) == [
        (
            "jobs.build.steps[0].run",
            10,
            'unknown name "pipeline.parameters.imgae": no parameter "imgae" is declared',
        )
    ]


@pytest.mark.parametrize(
    "name", ["pipeline.branch", "pipeline.git.sha", "pipline.number", "env.HOME"]
)
def test_other_unknown_names_list_the_known_ones(name: str) -> None:
    found = errors(
        f"""\
        jobs:
          build:
            steps: [run: make]
            environment: {{X: "<< {name} >>"}}
        workflows:
          main: {{jobs: [build]}}
        """
    )
    assert [(path, line) for path, line, _ in found] == [("jobs.build.environment.X", 10)]
    assert found[0][2].startswith(f'unknown name "{name}": expected pipeline.parameters.NAME')


def test_matrix_names_outside_a_matrix_are_reported_once_per_place() -> None:
    found = errors(
        """\
        jobs:
          test:
            steps:
              - run: pytest --python << matrix.python >>
        workflows:
          main: {jobs: [test]}
          nightly: {jobs: [test]}
        """
    )
    assert found == [
        (
            "jobs.test.steps[0].run",
            10,
            'unknown name "matrix.python": job "test" in workflow "main" has no matrix parameter "python"',
        )
    ]


def test_a_matrix_name_the_matrix_lacks_is_reported_once_not_per_instance() -> None:
    found = errors(
        """\
        jobs:
          test:
            steps:
              - run: pytest --os << matrix.os >>
        workflows:
          main:
            jobs:
              - test: {matrix: {parameters: {python: ["3.11", "3.12", "3.13"]}}}
        """
    )
    assert [(path, line) for path, line, _ in found] == [("jobs.test.steps[0].run", 10)]


def test_matrix_names_are_not_available_in_filters_and_promotions() -> None:
    found = errors(
        """\
        jobs:
          test: {steps: [run: make]}
        workflows:
          main:
            jobs:
              - test:
                  matrix: {parameters: {v: ["<< matrix.v >>"]}}
                  filters: {branches: {only: "<< matrix.v >>"}}
        promotions:
          - {name: prod, pipeline_file: "<< matrix.v >>.yml"}
        """
    )
    assert [(path, line) for path, line, _ in found] == [
        ("workflows.main.jobs[0].test.matrix.parameters.v[0]", 13),
        ("workflows.main.jobs[0].test.filters.branches.only", 14),
        ("promotions[0].pipeline_file", 16),
    ]
    assert found[0][2].startswith('"matrix.v" cannot be used here')


def test_parameters_work_in_workflow_options_and_promotions() -> None:
    result = plan(
        """\
        jobs:
          test: {steps: [run: "echo << matrix.v >>"]}
        workflows:
          main:
            jobs:
              - test:
                  matrix: {parameters: {v: ["<< pipeline.parameters.image >>", b]}}
                  filters: {branches: {only: "<< pipeline.parameters.env >>"}}
        promotions:
          - name: prod
            pipeline_file: deploy/<< pipeline.parameters.env >>.yml
            auto_promote: {when: {branch: "<< pipeline.parameters.env >>"}}
        """,
        branch="staging",
    )
    assert [job.name for job in result.workflows[0].jobs] == ["test-vapp", "test-vb"]
    assert result.promotions[0].pipeline_file == "deploy/staging.yml"
    assert result.promotions[0].auto_branch == "staging"


def test_jobs_no_workflow_runs_are_still_checked_for_parameter_names() -> None:
    found = errors(
        """\
        jobs:
          build: {steps: [run: make]}
          unused:
            steps:
              - run: echo << matrix.anything >> << pipeline.parameters.nope >>
        workflows:
          main: {jobs: [build]}
        """
    )
    assert [(path, line) for path, line, _ in found] == [("jobs.unused.steps[0].run", 11)]


def test_an_interpolated_label_must_still_be_a_label() -> None:
    with pytest.raises(ConfigErrors) as caught:
        plan(
            """\
            jobs:
              build:
                steps: [run: make]
                labels: ["<< pipeline.parameters.image >>"]
            workflows:
              main: {jobs: [build]}
            """,
            parameters={"image": "has spaces"},
        )
    assert [(e.path, e.line) for e in caught.value.errors] == [("jobs.build.labels[0]", 10)]
    assert caught.value.errors[0].message.startswith('"has spaces" is not a valid label')
