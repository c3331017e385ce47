"""The front door: a config's text and a trigger in, a ``Plan`` (or every problem) out.

Pure: parse (``yamlmap``, ``parse``) → parameters (``params``) → workflows
(``expand``: interpolation, matrix, requires, filters, order) → promotions. Any text
gives a ``Plan`` or ``ConfigErrors``; nothing else is raised.
"""

from __future__ import annotations

from ishcd.pipelines import build, expand, interpolate, params, parse, yamlmap
from ishcd.pipelines.expand import Trigger
from ishcd.pipelines.interpolate import Scope
from ishcd.pipelines.issues import Issues
from ishcd.pipelines.model import ConfigError, ConfigErrors, Context, Plan, WorkflowPlan
from ishcd.pipelines.source import ConfigSpec, ParamSpec

OFFLINE_CONTEXT = Context(number=1)


def compile_config(text: str, context: Context) -> Plan:
    """The plan of the config in ``text`` for the trigger ``context``.

    Raises ``ConfigErrors`` with every problem found, in the config or in the trigger's
    parameter values (those are marked ``trigger``), each with its path and line.
    """
    return _compile(text, context, offline=False)


def preview(text: str) -> Plan:
    """The plan of the config in ``text`` without a trigger, as ``validate`` checks it.

    Parameters have their defaults (or a placeholder of their type), the git values are
    placeholders, and no filter leaves a job out. Raises ``ConfigErrors``.
    """
    return _compile(text, OFFLINE_CONTEXT, offline=True)


def validate(text: str) -> list[ConfigError]:
    """Every problem that can be found in the config without a trigger (none: it is valid)."""
    try:
        preview(text)
    except ConfigErrors as exc:
        return exc.errors
    return []


def declared_parameters(text: str) -> tuple[tuple[ParamSpec, ...], list[ConfigError]]:
    """The parameters the config in ``text`` declares (those that can be read), and every
    problem ``validate`` finds in it: what a trigger form asks for, and why it may fail."""
    issues = Issues()
    root = yamlmap.load(text, issues)
    spec = None if root is None else parse.parse(root, issues)
    return (() if spec is None else spec.parameters), validate(text)


def _compile(text: str, context: Context, *, offline: bool) -> Plan:
    issues = Issues()
    root = yamlmap.load(text, issues)
    spec = None if root is None else parse.parse(root, issues)
    if spec is None:
        issues.raise_if_any()
        raise AssertionError("a config that cannot be read has a problem to show")
    parameters = params.resolve(spec.parameters, context.parameters, issues, offline=offline)
    scope = Scope(interpolate.pipeline_values(context, parameters, offline=offline))
    trigger = None if offline else Trigger(branch=context.branch, tag=context.tag)
    workflows: list[WorkflowPlan] = []
    try:
        for workflow in spec.workflows:
            plan = expand.workflow_plan(workflow, spec.jobs, scope, issues, trigger)
            if plan is not None:
                workflows.append(plan)
        _check_jobs_no_workflow_runs(spec, scope, issues)
        promotions = tuple(build.promotion(p, scope, issues) for p in spec.promotions)
    except interpolate.PlanTooBig as exc:
        issues.add(exc.message, exc.text.path, exc.text.line)
    issues.raise_if_any()
    return Plan(parameters=parameters, workflows=tuple(workflows), promotions=promotions)


def _check_jobs_no_workflow_runs(spec: ConfigSpec, scope: Scope, issues: Issues) -> None:
    # Their strings are checked too (a typo in a parameter name, a bad label), but
    # what their matrix names mean cannot be known.
    used = {job.job for workflow in spec.workflows for job in workflow.jobs}
    for name, job in spec.jobs.items():
        if name not in used:
            build.job_plan(job, name, {}, (), scope.for_any_matrix(), issues)
