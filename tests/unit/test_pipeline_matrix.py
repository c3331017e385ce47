"""Matrix jobs: instance names, the cartesian product's order, requiring instances."""

from __future__ import annotations

import textwrap

from ishcd.pipelines import matrix
from ishcd.pipelines.compile import preview, validate
from ishcd.pipelines.model import WorkflowPlan


def workflow(body: str) -> WorkflowPlan:
    return preview("version: 1\n" + textwrap.dedent(body)).workflows[0]


def names(body: str) -> list[str]:
    return [job.name for job in workflow(body).jobs]


def errors(body: str) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in validate("version: 1\n" + textwrap.dedent(body))]


def test_instance_names_add_each_parameter_name_and_value() -> None:
    assert matrix.instance_name("test", {"py": "3.11"}) == "test-py3.11"
    assert matrix.instance_name("test", {"os": "linux", "py": "3.12"}) == "test-oslinux-py3.12"


def test_characters_outside_names_become_underscores() -> None:
    assert matrix.instance_name("t", {"img": "node:20 slim/x"}) == "t-imgnode_20_slim_x"
    assert matrix.instance_name("t", {"v": "ünï"}) == "t-v_n_"


def test_combinations_are_in_declared_order_first_parameter_slowest() -> None:
    combos = matrix.combinations([("os", ["linux", "mac"]), ("py", ["3.11", "3.12"])])
    assert combos == [
        {"os": "linux", "py": "3.11"},
        {"os": "linux", "py": "3.12"},
        {"os": "mac", "py": "3.11"},
        {"os": "mac", "py": "3.12"},
    ]
    assert matrix.count([("os", ["linux", "mac"]), ("py", ["3.11", "3.12", "3.13"])]) == 6


MATRIX = """\
jobs:
  build: {steps: [run: make]}
  test: {steps: [run: "tox -e py<< matrix.py >> on << matrix.os >>"]}
  report: {steps: [run: report]}
workflows:
  main:
    jobs:
      - build
      - test:
          requires: [build]
          matrix:
            parameters:
              os: [linux, mac]
              py: ["3.11", 3.12]
      - report: {requires: [test]}
"""


def test_a_matrix_job_expands_into_one_job_per_combination() -> None:
    jobs = workflow(MATRIX).jobs
    assert [job.name for job in jobs] == [
        "build",
        "test-oslinux-py3.11",
        "test-oslinux-py3.12",
        "test-osmac-py3.11",
        "test-osmac-py3.12",
        "report",
    ]
    assert jobs[2].matrix == {"os": "linux", "py": "3.12"}
    assert jobs[2].job == "test"
    assert jobs[2].steps[0].command == "tox -e py3.12 on linux"


def test_values_are_kept_as_written() -> None:
    plan = workflow(
        """\
        jobs:
          t: {steps: [run: x]}
        workflows:
          main:
            jobs: [t: {matrix: {parameters: {v: [3.10, 1e3, true, 007]}}}]
        """
    )
    assert [job.matrix["v"] for job in plan.jobs] == ["3.10", "1e3", "true", "007"]


def test_requiring_a_matrix_job_by_its_base_name_requires_every_instance() -> None:
    report = workflow(MATRIX).jobs[-1]
    assert report.requires == (
        "test-oslinux-py3.11",
        "test-oslinux-py3.12",
        "test-osmac-py3.11",
        "test-osmac-py3.12",
    )


def test_one_instance_can_be_required_by_its_full_name() -> None:
    body = MATRIX.replace("report: {requires: [test]}", "report: {requires: [test-osmac-py3.12]}")
    assert workflow(body).jobs[-1].requires == ("test-osmac-py3.12",)


def test_a_matrix_job_can_require_its_matching_instance() -> None:
    body = """\
        jobs:
          build: {steps: [run: "make << matrix.os >>"]}
          test: {steps: [run: "test << matrix.os >>"]}
        workflows:
          main:
            jobs:
              - build: {matrix: {parameters: {os: [linux, mac]}}}
              - test:
                  requires: ["build-os<< matrix.os >>"]
                  matrix: {parameters: {os: [linux, mac]}}
        """
    jobs = {job.name: job for job in workflow(body).jobs}
    assert jobs["test-oslinux"].requires == ("build-oslinux",)
    assert jobs["test-osmac"].requires == ("build-osmac",)


def test_every_instance_of_a_matrix_job_after_what_it_requires() -> None:
    order = names(MATRIX)
    assert order.index("build") < order.index("test-oslinux-py3.11") < order.index("report")


def test_a_matrix_needs_parameters_with_values() -> None:
    body = """\
        jobs:
          t: {steps: [run: x]}
        workflows:
          main:
            jobs:
              - t: {matrix: {parameters: {}}}
              - t: {matrix: {parameters: {v: []}}}
              - t: {matrix: {parameters: {v: [~]}}}
              - t: {matrix: {parameters: {1v: [a]}}}
              - t: {matrix: {params: {v: [a]}}}
        """
    assert [(path, line) for path, line, _ in errors(body)] == [
        ("workflows.main.jobs[0].t.matrix.parameters", 7),
        ("workflows.main.jobs[1].t.matrix.parameters.v", 8),
        ("workflows.main.jobs[2].t.matrix.parameters.v[0]", 9),
        ("workflows.main.jobs[3].t.matrix.parameters.1v", 10),
        ("workflows.main.jobs[4].t.matrix.params", 11),
        ("workflows.main.jobs[4].t.matrix.parameters", 11),
    ]


def test_instances_with_the_same_name_are_an_error() -> None:
    body = """\
        jobs:
          t: {steps: [run: x]}
        workflows:
          main:
            jobs:
              - t: {matrix: {parameters: {v: ["a b", "a_b"]}}}
        """
    assert errors(body) == [
        ("workflows.main.jobs[0]", 7, 'two jobs of workflow "main" are named "t-va_b"')
    ]


def test_the_same_job_twice_in_a_workflow_is_an_error() -> None:
    body = """\
        jobs:
          t: {steps: [run: x]}
        workflows:
          main:
            jobs: [t, t]
        """
    assert errors(body) == [
        ("workflows.main.jobs[1]", 6, 'two jobs of workflow "main" are named "t"')
    ]


def test_a_huge_matrix_is_refused_without_being_made() -> None:
    values = "[" + ", ".join(str(i) for i in range(20)) + "]"
    body = f"""\
        jobs:
          t: {{steps: [run: x]}}
        workflows:
          main:
            jobs:
              - t: {{matrix: {{parameters: {{a: {values}, b: {values}, c: {values}, d: {values}}}}}}}
        """
    assert errors(body) == [
        ("workflows.main.jobs[0].t.matrix", 7, "the matrix makes 160000 jobs: at most 256")
    ]
