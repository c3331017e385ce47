"""Building one workflow's plan: matrix instances, requires, filters, order.

A workflow job becomes one instance, or one per matrix combination. ``requires``
names a workflow job (all its instances) or one instance by its full name. Jobs come
out each after what it requires; a job the filters leave out takes with it every job
that requires it, directly or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ishcd.pipelines import build, dag, filters, interpolate, matrix
from ishcd.pipelines.filters import Filters
from ishcd.pipelines.interpolate import Scope
from ishcd.pipelines.issues import Issues
from ishcd.pipelines.model import JobPlan, WorkflowPlan
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import FilterSpec, JobSpec, Text, WorkflowJobSpec, WorkflowSpec

MAX_JOBS = 1000


@dataclass(frozen=True)
class Trigger:
    """What filters test: the pipeline's branch and tag; ``None`` for offline checks."""

    branch: str | None
    tag: str | None


@dataclass(frozen=True)
class _Instance:
    name: str
    source: WorkflowJobSpec
    matrix: dict[str, str]


def workflow_plan(
    spec: WorkflowSpec,
    jobs: Mapping[str, JobSpec],
    scope: Scope,
    issues: Issues,
    trigger: Trigger | None,
) -> WorkflowPlan | None:
    """The workflow's plan for ``trigger`` (None: no filtering); None if no job is left."""
    instances = _instances(spec, scope, issues)
    if instances is None:
        return None
    by_job: dict[str, list[str]] = {source.job: [] for source in spec.jobs}
    for instance in instances:
        by_job.setdefault(instance.source.job, []).append(instance.name)
    known = {instance.name for instance in instances}
    plans: dict[str, JobPlan] = {}
    requires: dict[str, tuple[str, ...]] = {}
    for instance in instances:
        job_scope = scope.with_matrix(
            instance.matrix, f"job {quote(instance.source.job)} in workflow {quote(spec.name)}"
        )
        required = _requires(instance, by_job, known, spec.name, job_scope, issues)
        job = jobs.get(instance.source.job)
        if job is not None:
            plans[instance.name] = build.job_plan(
                job, instance.name, instance.matrix, required, job_scope, issues
            )
        requires[instance.name] = required
    names = [instance.name for instance in instances]
    ordered, cycles = dag.order(names, requires)
    sources = {instance.name: instance.source for instance in instances}
    for cycle in cycles:
        first = sources[cycle[0]]
        issues.add(
            f"jobs require each other in a cycle: {' → '.join(cycle)}", first.path, first.line
        )
    job_filters = {id(source): _filters(source, scope, issues) for source in spec.jobs}
    left_out: set[str] = set()
    if trigger is not None:
        filtered_out = {
            instance.name
            for instance in instances
            if not job_filters[id(instance.source)].runs_for(trigger.branch, trigger.tag)
        }
        left_out = dag.dependents(filtered_out, names, requires)
    kept = tuple(plans[name] for name in ordered if name in plans and name not in left_out)
    return WorkflowPlan(name=spec.name, jobs=kept) if kept else None


def _instances(spec: WorkflowSpec, scope: Scope, issues: Issues) -> list[_Instance] | None:
    total = 0
    expanded: list[tuple[WorkflowJobSpec, list[dict[str, str]]]] = []
    for source in spec.jobs:
        combinations: list[dict[str, str]] = [{}]
        if source.matrix is not None:
            parameters = [
                (name, [interpolate.expand(value, scope, issues) for value in values])
                for name, values in source.matrix.parameters
            ]
            size = matrix.count(parameters) if parameters else 0  # none: already reported
            if size > matrix.MAX_INSTANCES:
                issues.add(
                    f"the matrix makes {size} jobs: at most {matrix.MAX_INSTANCES}",
                    source.matrix.path,
                    source.matrix.line,
                )
                size = 0
            combinations = matrix.combinations(parameters) if size else []
        total += len(combinations)
        expanded.append((source, combinations))
    if total > MAX_JOBS:
        issues.add(f"the workflow has {total} jobs: at most {MAX_JOBS}", spec.path, spec.line)
        return None
    instances: list[_Instance] = []
    taken: set[str] = set()
    for source, combinations in expanded:
        for values in combinations:
            name = matrix.instance_name(source.job, values)
            if name in taken:
                issues.add(
                    f"two jobs of workflow {quote(spec.name)} are named {quote(name)}",
                    source.path,
                    source.line,
                    once=("duplicate", name),
                )
                continue
            taken.add(name)
            instances.append(_Instance(name, source, values))
    return instances


def _requires(
    instance: _Instance,
    by_job: Mapping[str, list[str]],
    known: set[str],
    workflow: str,
    scope: Scope,
    issues: Issues,
) -> tuple[str, ...]:
    required: list[str] = []
    for text in instance.source.requires:
        name = interpolate.expand_known(text, scope, issues)
        if name is None:
            continue
        if name == instance.source.job or name == instance.name:
            issues.add("a job cannot require itself", text.path, text.line, once="self")
            continue
        if name in by_job:
            found = by_job[name]
        elif name in known:
            found = [name]
        else:
            issues.add(
                f"unknown job {quote(name)}: not a job of workflow {quote(workflow)}",
                text.path,
                text.line,
                once=("requires", name),
            )
            continue
        required.extend(found)
    return tuple(dict.fromkeys(required))


def _filters(source: WorkflowJobSpec, scope: Scope, issues: Issues) -> Filters:
    branches_only, branches_ignore = _patterns(source.branches, scope, issues)
    tags_only, tags_ignore = _patterns(source.tags, scope, issues)
    return Filters(branches_only, branches_ignore, tags_only, tags_ignore)


def _patterns(
    spec: FilterSpec, scope: Scope, issues: Issues
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    def checked(texts: tuple[Text, ...]) -> tuple[str, ...]:
        patterns = []
        for text in texts:
            pattern = interpolate.expand_known(text, scope, issues)
            if pattern is not None and filters.check(pattern, text, issues):
                patterns.append(pattern)
        return tuple(patterns)

    return checked(spec.only), checked(spec.ignore)
