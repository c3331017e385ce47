"""Requires: jobs in an order where each comes after what it requires; cycles named."""

from __future__ import annotations

import textwrap

import pytest

from ishcd.pipelines import dag
from ishcd.pipelines.compile import preview, validate


def test_order_puts_each_node_after_what_it_requires() -> None:
    ordered, cycles = dag.order(["c", "b", "a"], {"c": ["b"], "b": ["a"]})
    assert ordered == ["a", "b", "c"]
    assert cycles == []


def test_order_is_stable_where_it_is_free() -> None:
    nodes = ["lint", "build", "unit", "docs", "deploy"]
    requires = {"unit": ["build"], "deploy": ["unit", "lint"]}
    assert dag.order(nodes, requires)[0] == ["lint", "build", "unit", "docs", "deploy"]


def test_a_node_comes_as_early_as_its_requirements_allow() -> None:
    nodes = ["z", "a", "b"]
    assert dag.order(nodes, {"z": ["b"]})[0] == ["a", "b", "z"]


def test_cycles_are_found_and_named_as_a_path() -> None:
    ordered, cycles = dag.order(
        ["a", "b", "c", "d"], {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    )
    assert ordered == []
    assert cycles == [["a", "b", "c", "a"]]


def test_separate_cycles_are_each_named() -> None:
    requires = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"], "e": []}
    ordered, cycles = dag.order(["a", "b", "c", "d", "e"], requires)
    assert ordered == ["e"]
    assert cycles == [["a", "b", "a"], ["c", "d", "c"]]


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    nodes = [f"j{i}" for i in range(5000)]
    requires = {f"j{i}": [f"j{i - 1}"] for i in range(1, 5000)}
    assert dag.order(list(reversed(nodes)), requires)[0] == nodes
    looped = {**requires, "j0": ["j4999"]}
    cycle = dag.order(nodes, looped)[1][0]
    assert len(cycle) == 5001


def test_dependents_are_found_transitively() -> None:
    requires = {"b": ["a"], "c": ["b"], "d": ["x"]}
    assert dag.dependents({"a"}, ["a", "b", "c", "d", "x"], requires) == {"a", "b", "c"}


def config(workflow_jobs: str) -> str:
    return (
        "version: 1\njobs:\n"
        + "".join(f"  {name}: {{steps: [run: {name}]}}\n" for name in ("a", "b", "c", "d"))
        + "workflows:\n  main:\n    jobs:\n"
        + textwrap.indent(textwrap.dedent(workflow_jobs), "      ")
    )


def test_a_workflow_is_planned_in_requires_order() -> None:
    plan = preview(
        config(
            """\
            - d: {requires: [c, a]}
            - c: {requires: [b]}
            - b
            - a
            """
        )
    )
    jobs = plan.workflows[0].jobs
    assert [job.name for job in jobs] == ["b", "c", "a", "d"]
    assert jobs[3].requires == ("c", "a")


def test_requires_listing_a_job_twice_keeps_it_once() -> None:
    plan = preview(config("- a\n- b: {requires: [a, a]}\n"))
    assert plan.workflows[0].jobs[1].requires == ("a",)


def errors(text: str) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in validate(text)]


def test_a_cycle_is_an_error_naming_it() -> None:
    found = errors(config("- a: {requires: [c]}\n- b: {requires: [a]}\n- c: {requires: [b]}\n"))
    assert found == [
        ("workflows.main.jobs[0]", 10, "jobs require each other in a cycle: a → c → b → a")
    ]


def test_a_two_job_cycle() -> None:
    found = errors(config("- a: {requires: [b]}\n- b: {requires: [a]}\n"))
    assert found == [
        ("workflows.main.jobs[0]", 10, "jobs require each other in a cycle: a → b → a")
    ]


def test_a_job_requiring_itself_is_an_error() -> None:
    found = errors(config("- a\n- b: {requires: [a, b]}\n"))
    assert found == [("workflows.main.jobs[1].b.requires[1]", 11, "a job cannot require itself")]


def test_a_matrix_job_requiring_its_own_name_is_told_once() -> None:
    found = errors(config("- a: {requires: [a], matrix: {parameters: {v: [x, y, z]}}}\n"))
    assert found == [("workflows.main.jobs[0].a.requires[0]", 10, "a job cannot require itself")]


@pytest.mark.parametrize(
    ("jobs", "path", "line", "name"),
    [
        ("- a\n- b: {requires: [e]}\n", "workflows.main.jobs[1].b.requires[0]", 11, "e"),
        (
            "- a\n- b:\n    requires:\n      - a\n      - c\n",
            "workflows.main.jobs[1].b.requires[1]",
            14,
            "c",
        ),
    ],
)
def test_requiring_a_job_not_in_the_workflow_is_an_error(
    jobs: str, path: str, line: int, name: str
) -> None:
    assert errors(config(jobs)) == [
        (path, line, f'unknown job "{name}": not a job of workflow "main"')
    ]


def test_requires_is_a_list_of_names() -> None:
    found = errors(config("- a\n- b: {requires: a}\n"))
    assert found == [
        ("workflows.main.jobs[1].b.requires", 11, "expected a list of job names, got a string")
    ]


def test_a_job_of_another_workflow_cannot_be_required() -> None:
    text = config("- a\n") + "  other:\n    jobs:\n      - b: {requires: [a]}\n"
    assert errors(text) == [
        (
            "workflows.other.jobs[0].b.requires[0]",
            13,
            'unknown job "a": not a job of workflow "other"',
        )
    ]


def test_an_approval_job_can_be_required() -> None:
    text = """\
        version: 1
        jobs:
          build: {steps: [run: make]}
          hold: {type: approval, description: Ship it}
          deploy: {steps: [run: deploy]}
        workflows:
          main:
            jobs: [build, {hold: {requires: [build]}}, {deploy: {requires: [hold]}}]
        """
    jobs = preview(textwrap.dedent(text)).workflows[0].jobs
    assert [(job.name, job.type, job.requires) for job in jobs] == [
        ("build", "run", ()),
        ("hold", "approval", ("build",)),
        ("deploy", "run", ("hold",)),
    ]
