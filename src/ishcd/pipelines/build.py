"""Making plan pieces from checked specs: a job instance, a promotion.

Strings are interpolated here, and what can only be checked once interpolated (labels,
concurrency groups, paths, patterns) is checked here, once per place in the config.
"""

from __future__ import annotations

import re

from ishcd.pipelines import filters, interpolate
from ishcd.pipelines.interpolate import REFERENCE, Scope
from ishcd.pipelines.issues import Issues
from ishcd.pipelines.model import JobPlan, Promotion, Step
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import JobSpec, PromotionSpec, Text

LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
CONCURRENCY = re.compile(r"[A-Za-z0-9_.:/-]{1,100}")
STEP_NAME_FROM_COMMAND = 60


def job_plan(
    spec: JobSpec,
    name: str,
    matrix: dict[str, str],
    requires: tuple[str, ...],
    scope: Scope,
    issues: Issues,
) -> JobPlan:
    """One instance of a job: ``scope`` holds its matrix values."""
    if spec.type == "approval":
        return JobPlan(
            name=name, job=spec.name, type="approval", steps=(), environment={}, timeout=None,
            labels=(), retry=0, retry_only_lost=False, concurrency=None, requires=requires,
            matrix=matrix,
        )  # fmt: skip
    return JobPlan(
        name=name,
        job=spec.name,
        type="run",
        steps=tuple(_step(s.name, s.command, scope, issues) for s in spec.steps),
        environment={key: interpolate.expand(v, scope, issues) for key, v in spec.environment},
        timeout=spec.timeout,
        labels=tuple(dict.fromkeys(_label(label, scope, issues) for label in spec.labels)),
        retry=spec.retry,
        retry_only_lost=spec.retry_only_lost,
        concurrency=None if spec.concurrency is None else _group(spec.concurrency, scope, issues),
        requires=requires,
        matrix=matrix,
        outputs=None if spec.outputs.empty else spec.outputs.to_json(),
    )


def _step(name: Text | None, command: Text, scope: Scope, issues: Issues) -> Step:
    command_text = interpolate.expand(command, scope, issues)
    if name is not None:
        return Step(name=interpolate.expand(name, scope, issues), command=command_text)
    return Step(name=step_name(command_text), command=command_text)


def step_name(command: str) -> str:
    """A step's name when it has none: its command's first line, cut to 60 characters."""
    for line in command.splitlines():
        if line.strip():
            return line.strip()[:STEP_NAME_FROM_COMMAND]
    return "run"


def _label(label: Text, scope: Scope, issues: Issues) -> str:
    value = interpolate.expand_known(label, scope, issues)
    if value is None:
        return ""
    if not LABEL.fullmatch(value):
        issues.add(
            f"{quote(value)} is not a valid label: use 1 to 64 letters, digits, _ . : -",
            label.path,
            label.line,
            once="label",
        )
    return value


def _group(group: Text, scope: Scope, issues: Issues) -> str | None:
    value = interpolate.expand_known(group, scope, issues)
    if value is not None and not CONCURRENCY.fullmatch(value):
        issues.add(
            f"{quote(value)} is not a valid concurrency group: use 1 to 100 letters, "
            "digits, _ . : / -",
            group.path,
            group.line,
            once="concurrency",
        )
    return value


def promotion(spec: PromotionSpec, scope: Scope, issues: Issues) -> Promotion:
    """A promotion, its strings interpolated (no matrix values here)."""
    if any(m.group(1) == "pipeline.number" for m in REFERENCE.finditer(spec.pipeline_file.value)):
        # The promotion files are read before the pipeline has its number.
        issues.add(
            "pipeline_file cannot use << pipeline.number >>",
            spec.pipeline_file.path,
            spec.pipeline_file.line,
        )
        return Promotion(spec.name, "", None, spec.auto_result)
    pipeline_file = interpolate.expand_known(spec.pipeline_file, scope, issues)
    if pipeline_file is not None and not is_relative_path(pipeline_file):
        issues.add(
            f"{quote(pipeline_file)} is not a relative path in the repository "
            "(no leading /, no .., no \\)",
            spec.pipeline_file.path,
            spec.pipeline_file.line,
        )
    auto_branch = None
    if spec.auto_branch is not None:
        auto_branch = interpolate.expand_known(spec.auto_branch, scope, issues)
        if auto_branch is not None:
            filters.check(auto_branch, spec.auto_branch, issues)
    return Promotion(
        name=spec.name,
        pipeline_file=pipeline_file or "",
        auto_branch=auto_branch,
        auto_result=spec.auto_result,
    )


def is_relative_path(path: str) -> bool:
    """Whether ``path`` names a file inside a repository: relative, without ``..``."""
    if not path or path.startswith("/") or "\\" in path or "\0" in path or len(path) > 1000:
        return False
    parts = path.split("/")
    return ".." not in parts and parts[-1] not in ("", ".")
