"""The plan: what a job becomes, approval jobs, and the plan's JSON round trip."""

from __future__ import annotations

import json
import textwrap

import pytest

from ishcd.pipelines.compile import compile_config, preview, validate
from ishcd.pipelines.model import Context, JobPlan, Plan, Step

FULL = textwrap.dedent(
    """\
    version: 1
    parameters:
      env: {type: enum, values: [staging, production], default: staging}
      fast: {type: boolean, default: false}
      shards: {type: integer, default: 2}
    jobs:
      build:
        steps:
          - run: make build
          - run: {name: Package, command: "tar czf app.tgz build/"}
        environment: {TARGET: "<< pipeline.parameters.env >>", DEBUG: 1, RATIO: 1.50, ON: true}
        timeout: 600
        labels: [linux, docker, linux]
        retry: {count: 2, only_lost: true}
        concurrency: deploy-<< pipeline.parameters.env >>
      hold: {type: approval, description: Ship it}
      test:
        steps: [{run: "pytest -k << matrix.py >>"}]
        retry: 1
    workflows:
      main:
        jobs:
          - build
          - test: {requires: [build], matrix: {parameters: {py: ["3.11", "3.12"]}}}
          - hold: {requires: [test]}
    promotions:
      - {name: prod, pipeline_file: .ishcd/deploy.yml, auto_promote: {when: {branch: main, result: passed}}}
    """
)


def plan(**parameters: object) -> Plan:
    return compile_config(FULL, Context(number=3, branch="main", parameters=parameters))


def test_a_run_job_becomes_a_job_plan() -> None:
    build = plan(env="production").workflows[0].jobs[0]
    assert build == JobPlan(
        name="build",
        job="build",
        type="run",
        steps=(Step("make build", "make build"), Step("Package", "tar czf app.tgz build/")),
        environment={"TARGET": "production", "DEBUG": "1", "RATIO": "1.50", "ON": "true"},
        timeout=600,
        labels=("linux", "docker"),
        retry=2,
        retry_only_lost=True,
        concurrency="deploy-production",
        requires=(),
        matrix={},
    )


def test_defaults_of_a_run_job() -> None:
    test = plan().workflows[0].jobs[1]
    assert (test.timeout, test.labels, test.retry, test.retry_only_lost, test.concurrency) == (
        None,
        (),
        1,
        False,
        None,
    )
    assert test.environment == {}


def test_an_approval_job_has_nothing_to_run() -> None:
    hold = plan().workflows[0].jobs[-1]
    assert hold == JobPlan(
        name="hold",
        job="hold",
        type="approval",
        steps=(),
        environment={},
        timeout=None,
        labels=(),
        retry=0,
        retry_only_lost=False,
        concurrency=None,
        requires=("test-py3.11", "test-py3.12"),
        matrix={},
    )


def errors(jobs: str) -> list[tuple[str, int | None, str]]:
    text = "version: 1\njobs:\n" + textwrap.indent(textwrap.dedent(jobs), "  ")
    text += "workflows:\n  main: {jobs: [j]}\n"
    return [(e.path, e.line, e.message) for e in validate(text)]


@pytest.mark.parametrize(
    ("job", "path", "message"),
    [
        ("{type: approval, steps: [run: x]}", "jobs.j.steps", 'an approval job has no "steps": it takes only "description"'),
        ("{type: approval, timeout: 5}", "jobs.j.timeout", 'an approval job has no "timeout": it takes only "description"'),
        ("{type: manual}", "jobs.j.type", 'unknown job type "manual": expected run or approval'),
        ("{timeout: 60}", "jobs.j.steps", '"steps" is required: a list of steps (- run: COMMAND)'),
        ("{steps: [make]}", "jobs.j.steps[0]", "expected a step (run: COMMAND, or run: {name: NAME, command: COMMAND}), got a string"),
        ("{steps: [{run: make, name: x}]}", "jobs.j.steps[0].name", 'unknown key "name" (expected one of: run)'),
        ("{steps: [{run: {name: x}}]}", "jobs.j.steps[0].run.command", '"command" is required'),
        ("{steps: [{run: {command: x, name: ''}}]}", "jobs.j.steps[0].run.name", "the step name is empty"),
        ("{steps: [{run: '  '}]}", "jobs.j.steps[0].run", "the command is empty"),
        ("{steps: [run: x], timeout: 604801}", "jobs.j.timeout", "604801 is out of range: expected 1 to 604800"),
        ("{steps: [run: x], timeout: 1.5}", "jobs.j.timeout", "expected an integer, got a number"),
        ("{steps: [run: x], retry: -1}", "jobs.j.retry", "-1 is out of range: expected 0 to 10"),
        ("{steps: [run: x], retry: {only_lost: true}}", "jobs.j.retry.count", '"count" is required'),
        ("{steps: [run: x], retry: {count: 1, only_lost: 1}}", "jobs.j.retry.only_lost", "expected a boolean (true or false), got an integer"),
        ("{steps: [run: x], labels: [a b]}", "jobs.j.labels[0]", '"a b" is not a valid label: use 1 to 64 letters, digits, _ . : -'),
        ("{steps: [run: x], labels: [" + "x" * 65 + "]}", "jobs.j.labels[0]", f'"{"x" * 59}…" is not a valid label: use 1 to 64 letters, digits, _ . : -'),
        ("{steps: [run: x], concurrency: 'two words'}", "jobs.j.concurrency", '"two words" is not a valid concurrency group: use 1 to 100 letters, digits, _ . : / -'),
        ("{steps: [run: x], environment: {A-B: x}}", "jobs.j.environment.A-B", '"A-B" is not a variable name: use letters, digits and _, not starting with a digit'),
        ("{steps: [run: x], environment: {A: [x]}}", "jobs.j.environment.A", "expected a string, got a list"),
        ("[run: x]", "jobs.j", "expected a mapping (steps, …), got a list"),
    ],
)  # fmt: skip
def test_job_mistakes(job: str, path: str, message: str) -> None:
    assert errors(f"j: {job}\n") == [(path, 3, message)]


def test_the_plan_survives_a_json_round_trip() -> None:
    original = plan(env="production", fast="true", shards="4")
    stored = json.loads(json.dumps(original.to_json()))
    assert Plan.from_json(stored) == original
    assert Plan.from_json(original.to_json()) == original


def test_the_parameters_of_the_plan_are_typed() -> None:
    assert plan(fast="true", shards="4").parameters == {
        "env": "staging",
        "fast": True,
        "shards": 4,
    }


def test_the_plan_has_the_promotions() -> None:
    promotion = plan().promotions[0]
    assert (promotion.name, promotion.auto_branch, promotion.auto_result) == (
        "prod",
        "main",
        "passed",
    )


def test_preview_counts_what_validate_checks() -> None:
    offline = preview(FULL)
    assert [job.name for job in offline.workflows[0].jobs] == [
        "build",
        "test-py3.11",
        "test-py3.12",
        "hold",
    ]
    assert validate(FULL) == []
