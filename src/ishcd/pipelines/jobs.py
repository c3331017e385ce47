"""The ``jobs:`` section: each job's definition, its shape checked.

A job is of type ``run`` (the default: steps, environment, timeout, labels, retry,
concurrency, and what its runs leave behind: artifacts, cache, test_reports) or
``approval`` (a person approves it; only a ``description``).
"""

from __future__ import annotations

import re

from ishcd.pipelines import outputs, schema
from ishcd.pipelines.issues import Issues, child, item
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import JobSpec, StepSpec, Text
from ishcd.pipelines.yamlmap import Map, Node, Scalar

RUN_KEYS = (
    "type",
    "description",
    "steps",
    "environment",
    "timeout",
    "labels",
    "retry",
    "concurrency",
    *outputs.KEYS,
)
APPROVAL_KEYS = ("type", "description")
MAX_TIMEOUT = 7 * 24 * 3600
MAX_RETRY = 10
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse(node: Node, issues: Issues) -> tuple[dict[str, JobSpec], frozenset[str]]:
    """The jobs that could be read, by name, and every name under ``jobs:``."""
    found = schema.mapping(node, "jobs", issues, what="a mapping of jobs")
    if found is None:
        return {}, frozenset()
    if not found.entries:
        issues.add("at least one job is needed", "jobs", found.line)
    jobs: dict[str, JobSpec] = {}
    for entry in found.entries:
        path = child("jobs", entry.key)
        schema.name(entry.key, path, entry.key_line, issues, what="job")
        job = _job(entry.key, entry.value, path, issues)
        if job is not None:
            jobs[entry.key] = job
    return jobs, frozenset(e.key for e in found.entries)


def _job(name: str, node: Node, path: str, issues: Issues) -> JobSpec | None:
    found = schema.mapping(node, path, issues, keys=RUN_KEYS, what="a mapping (steps, …)")
    if found is None:
        return None
    job_type = "run"
    type_node = found.get("type")
    if type_node is not None:
        job_type = schema.string(type_node, child(path, "type"), issues) or "run"
        if job_type not in ("run", "approval"):
            issues.add(
                f"unknown job type {quote(job_type)}: expected run or approval",
                child(path, "type"),
                type_node.line,
            )
            # What else it should have depends on the type: not checked.
            return JobSpec(name=name, type="run", path=path, line=found.line)
    description = found.get("description")
    if description is not None:
        schema.string(description, child(path, "description"), issues)
    if job_type == "approval":
        for entry in found.entries:
            if entry.key not in APPROVAL_KEYS:
                issues.add(
                    f'an approval job has no {quote(entry.key)}: it takes only "description"',
                    child(path, entry.key),
                    entry.key_line,
                )
        return JobSpec(name=name, type="approval", path=path, line=found.line)
    return _run_job(name, found, path, issues)


def _run_job(name: str, found: Map, path: str, issues: Issues) -> JobSpec:
    steps_node = found.get("steps")
    steps: tuple[StepSpec, ...] = ()
    if steps_node is None:
        issues.add(
            '"steps" is required: a list of steps (- run: COMMAND)',
            child(path, "steps"),
            found.line,
        )
    else:
        steps = _steps(steps_node, child(path, "steps"), issues)
    retry, only_lost = _retry(found.get("retry"), child(path, "retry"), issues)
    concurrency = found.get("concurrency")
    return JobSpec(
        name=name,
        type="run",
        path=path,
        line=found.line,
        steps=steps,
        environment=_environment(found.get("environment"), child(path, "environment"), issues),
        timeout=_optional_int(found.get("timeout"), child(path, "timeout"), issues, 1, MAX_TIMEOUT),
        labels=_labels(found.get("labels"), child(path, "labels"), issues),
        retry=retry,
        retry_only_lost=only_lost,
        concurrency=(
            None
            if concurrency is None
            else schema.text(concurrency, child(path, "concurrency"), issues)
        ),
        outputs=outputs.parse(found, path, issues),
    )


def _steps(node: Node, path: str, issues: Issues) -> tuple[StepSpec, ...]:
    listed = schema.sequence(node, path, issues, what="a list of steps")
    if listed is None:
        return ()
    if not listed.items:
        issues.add("at least one step is needed", path, listed.line)
    steps = (_step(step, item(path, i), issues) for i, step in enumerate(listed.items))
    return tuple(step for step in steps if step is not None)


def _step(node: Node, path: str, issues: Issues) -> StepSpec | None:
    what = "a step (run: COMMAND, or run: {name: NAME, command: COMMAND})"
    found = schema.mapping(node, path, issues, keys=("run",), required=("run",), what=what)
    run = None if found is None else found.get("run")
    if run is None:
        return None
    run_path = child(path, "run")
    if isinstance(run, Map):
        details = schema.mapping(
            run, run_path, issues, keys=("name", "command"), required=("command",)
        )
        name_node = run.get("name")
        command_node = run.get("command")
        name = (
            None if name_node is None else schema.text(name_node, child(run_path, "name"), issues)
        )
        if name is not None and not name.value.strip():
            issues.add("the step name is empty", name.path, name.line)
        if details is None or command_node is None:
            return None
        command = schema.text(command_node, child(run_path, "command"), issues)
    else:
        name = None
        command = schema.text(run, run_path, issues, what="a command, or {name, command}")
    if command is None:
        return None
    if not command.value.strip():
        issues.add("the command is empty", command.path, command.line)
    return StepSpec(name=name, command=command)


def _environment(node: Node | None, path: str, issues: Issues) -> tuple[tuple[str, Text], ...]:
    if node is None:
        return ()
    found = schema.mapping(node, path, issues, what="a mapping of variables")
    if found is None:
        return ()
    variables = []
    for entry in found.entries:
        value_path = child(path, entry.key)
        if not ENV_NAME.fullmatch(entry.key):
            issues.add(
                f"{quote(entry.key)} is not a variable name: use letters, digits and _, "
                "not starting with a digit",
                value_path,
                entry.key_line,
            )
        value = entry.value
        # Numbers and booleans are strings as written: VERSION: 1.10 is "1.10", not 1.1.
        if isinstance(value, Scalar) and value.value is not None:
            variables.append((entry.key, Text(value.text, value_path, value.line)))
        else:
            schema.wrong_type(value, "a string", value_path, issues)
    return tuple(variables)


def _optional_int(node: Node | None, path: str, issues: Issues, low: int, high: int) -> int | None:
    return None if node is None else schema.integer(node, path, issues, low=low, high=high)


def _labels(node: Node | None, path: str, issues: Issues) -> tuple[Text, ...]:
    if node is None:
        return ()
    listed = schema.sequence(node, path, issues, what="a list of labels")
    if listed is None:
        return ()
    labels = (schema.text(label, item(path, i), issues) for i, label in enumerate(listed.items))
    return tuple(label for label in labels if label is not None)


def _retry(node: Node | None, path: str, issues: Issues) -> tuple[int, bool]:
    if node is None:
        return 0, False
    if not isinstance(node, Map):
        if (
            isinstance(node, Scalar)
            and isinstance(node.value, int)
            and not isinstance(node.value, bool)
        ):
            return schema.integer(node, path, issues, low=0, high=MAX_RETRY) or 0, False
        schema.wrong_type(node, "an integer or {count, only_lost}", path, issues)
        return 0, False
    schema.mapping(node, path, issues, keys=("count", "only_lost"), required=("count",))
    count_node = node.get("count")
    only_lost_node = node.get("only_lost")
    count = (
        0
        if count_node is None
        else schema.integer(count_node, child(path, "count"), issues, low=0, high=MAX_RETRY)
    )
    only_lost = (
        None
        if only_lost_node is None
        else schema.boolean(only_lost_node, child(path, "only_lost"), issues)
    )
    return count or 0, bool(only_lost)
