"""A run job's artifacts, cache and test_reports in ``.ishcd.yml``: into the plan,
through its JSON, and each mistake with its path and line."""

from __future__ import annotations

import json
import textwrap

from ishcd.outputs import ArtifactsSpec, CacheSpec, Outputs
from ishcd.pipelines.compile import compile_config, validate
from ishcd.pipelines.model import Context, Plan

CONFIG = textwrap.dedent(
    """\
    version: 1
    jobs:
      build:
        steps: [{run: make}]
        artifacts: [dist/*.whl, "**/*.log"]
        cache:
          restore: ['deps-{{ checksum "requirements.txt" }}', deps-]
          save: {key: 'deps-{{ checksum "requirements.txt" }}', paths: [.venv]}
      test:
        steps: [{run: pytest --junitxml=reports/junit.xml}]
        artifacts:
          paths: [screenshots]
          when: on_failure
          expire_in: 7d
        test_reports: [reports/*.xml]
      hold: {type: approval}
    workflows:
      main:
        jobs:
          - build
          - test: {requires: [build], matrix: {parameters: {py: ["3.11", "3.12"]}}}
          - hold: {requires: [test]}
    """
)


def test_the_outputs_are_in_the_plan_and_its_json() -> None:
    plan = compile_config(CONFIG, Context(number=1, branch="main"))
    jobs = {job.name: job for job in plan.workflows[0].jobs}
    build = Outputs(
        artifacts=ArtifactsSpec(("dist/*.whl", "**/*.log")),
        cache=CacheSpec(
            ('deps-{{ checksum "requirements.txt" }}', "deps-"),
            'deps-{{ checksum "requirements.txt" }}',
            (".venv",),
        ),
    )
    test = Outputs(
        artifacts=ArtifactsSpec(("screenshots",), "on_failure", 7 * 86400),
        test_reports=("reports/*.xml",),
    )
    assert Outputs.from_json(jobs["build"].outputs) == build
    for name in ("test-py3.11", "test-py3.12"):  # every matrix instance
        assert Outputs.from_json(jobs[name].outputs) == test
    assert jobs["hold"].outputs is None
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


def test_a_job_plan_stored_before_outputs_existed_has_none() -> None:
    plan = compile_config(CONFIG, Context(number=1, branch="main"))
    stored = Plan.job_to_json(plan.workflows[0].jobs[0])
    del stored["outputs"]
    assert Plan.job_from_json(stored).outputs is None


def test_mistakes_have_their_path_and_line() -> None:
    text = textwrap.dedent(
        """\
        version: 1
        jobs:
          build:
            steps: [{run: make}]
            artifacts:
              paths:
                - dist/*.whl
                - ../secrets
              when: sometimes
              expire_in: 1 year
              keep: true
            cache: {save: {paths: [.venv]}}
            test_reports: reports/*.xml
          hold:
            type: approval
            artifacts: [x]
        workflows:
          main:
            jobs: [build, hold]
        """
    )
    found = [(e.path, e.line, e.message) for e in validate(text)]
    assert found == [
        ("jobs.build.artifacts.paths[1]", 8, "has a '..' part: patterns stay inside the workspace"),
        ("jobs.build.artifacts.when", 9, "must be one of always, on_success, on_failure"),
        ("jobs.build.artifacts.expire_in", 10, found[2][2]),
        ("jobs.build.artifacts.keep", 11, "unknown key: expected paths, when, expire_in"),
        ("jobs.build.cache.save.key", 12, "is required: a key template"),
        ("jobs.build.test_reports", 13, "must be a list of patterns"),
        ("jobs.hold.artifacts", 16, found[6][2]),
    ]
    assert found[2][2].startswith("must be a number of seconds, or a duration such as 30d")
    assert "approval job has no" in found[6][2]
