"""How ``ishcd pipeline`` shows pipelines, workflows and jobs, and waits for them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

from ishcd.cli import lists
from ishcd.cli.config import error_line
from ishcd.client import Client, Pipeline, Workflow, WorkflowJob

Held = list[tuple[Workflow, WorkflowJob]]


def status_text(status: str, reason: str | None) -> str:
    """``error (failed)``, or the status alone."""
    return f"{status} ({reason})" if reason else status


def pipeline_line(pipeline: Pipeline) -> str:
    """What ``ishcd pipeline trigger`` prints once the pipeline is created."""
    return (
        f"pipeline {pipeline.id} #{pipeline.number} {pipeline.status} "
        f"({pipeline.project.machine_name})"
    )


def final_line(pipeline: Pipeline) -> str:
    """The pipeline's status once waited for, with how long it ran if it has finished."""
    line = f"pipeline {pipeline.id} #{pipeline.number} "
    line += status_text(pipeline.status, pipeline.error_reason)
    if pipeline.started is not None and pipeline.finished is not None:
        line += f" after {lists.duration_text(max(0, pipeline.finished - pipeline.started))}"
    return line


def error_lines(pipeline: Pipeline) -> list[str]:
    """The config's errors, ``FILE:LINE: PATH: MESSAGE`` as ``ishcd config validate`` has them."""
    return ["  " + error_line(pipeline.config_file, error) for error in pipeline.errors]


def workflow_line(workflow: Workflow) -> str:
    status = status_text(workflow.status, workflow.error_reason)
    line = f"workflow {workflow.name} {workflow.id} {status}"
    return line + (f", rerun of {workflow.rerun_of}" if workflow.rerun_of else "")


def job_detail(job: WorkflowJob, exit_code: int | None = None) -> str:
    """Why a job stands where it does: its reason, message and exit code, its run and attempt."""
    if job.type == "approval" and job.status == "on_hold":
        return "waiting for approval"
    if job.not_run:
        head = status_text("not run", job.error_reason)
        message = (job.message or "").removeprefix("not run").removeprefix(":").strip()
        return f"{head}: {message}" if message else head
    parts = []
    if job.error_reason:
        parts.append(job.error_reason)
        if exit_code is not None:
            parts.append(f"exit code {exit_code}")
    # "its run ended failed" says again what the reason has said
    if job.message and not (job.error_reason and job.message.endswith(job.error_reason)):
        parts.append(job.message)
    if job.run_id:
        parts.append(f"run {job.run_id}")
    if job.attempt > 1:
        parts.append(f"attempt {job.attempt}")
    return ", ".join(parts)


def columns(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Rows as lines of left-aligned columns two spaces apart, no spaces at the end."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    return [
        (
            indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def latest(workflows: Iterable[Workflow]) -> list[Workflow]:
    """For each workflow name, its latest run (a rerun replaces what it reruns)."""
    by_name: dict[str, Workflow] = {}
    for workflow in sorted(workflows, key=lambda w: w.created):
        by_name[workflow.name] = workflow
    return list(by_name.values())


def workflow_report(
    client: Client, pipeline: Pipeline, *, only_latest: bool
) -> tuple[list[str], Held]:
    """Each workflow of the pipeline with its jobs, as lines; the approval jobs on hold."""
    workflows = client.pipelines(pipeline.id).workflows()
    lines: list[str] = []
    held: Held = []
    for workflow in latest(workflows) if only_latest else workflows:
        jobs = client.workflows(workflow.id).jobs()
        rows = [(j.name, j.status, job_detail(j, _exit_code(client, j))) for j in jobs]
        lines.append(workflow_line(workflow))
        lines.extend(columns(rows, indent="  "))
        held.extend((workflow, j) for j in jobs if j.type == "approval" and j.status == "on_hold")
    return lines, held


def held_approvals(client: Client, pipeline: Pipeline) -> Held:
    """The approval jobs on hold in the pipeline's workflows (the latest of each name)."""
    workflows = latest(client.pipelines(pipeline.id).workflows())
    return [
        (workflow, job)
        for workflow in workflows
        if not workflow.is_finished  # on hold, or still running another branch
        for job in client.workflows(workflow.id).jobs()
        if job.type == "approval" and job.status == "on_hold"
    ]


def _exit_code(client: Client, job: WorkflowJob) -> int | None:
    """The exit code of a job whose script failed (read from its run), else None."""
    if job.error_reason != "failed" or job.run_id is None:
        return None
    return client.runs(job.run_id).get().exit_code


def describe(pipeline: Pipeline) -> list[str]:
    trigger = pipeline.trigger
    who = f" by {trigger.actor.username}" if trigger.actor else ""
    vcs = pipeline.vcs
    refs = [
        f"{name} {value}"
        for name, value in (("branch", vcs.branch), ("tag", vcs.tag), ("revision", vcs.revision))
        if value
    ]
    params = [
        f"{k}={v if isinstance(v, str) else json.dumps(v)}"
        for k, v in sorted(pipeline.parameters.items())
    ]
    status = status_text(pipeline.status, pipeline.error_reason)
    if pipeline.started is not None:
        end = pipeline.finished if pipeline.finished is not None else int(time.time())
        took = lists.duration_text(max(0, end - pipeline.started))
        status += f" after {took}" if pipeline.finished is not None else f" for {took}"
    rows = [
        ("status:", status),
        ("trigger:", f"{trigger.type}{who}, {lists.ago(trigger.received, time.time())}"),
        ("vcs:", ", ".join(refs) or "none"),
        ("config:", pipeline.config_file),
        ("parameters:", ", ".join(params) or "none"),
    ]
    if pipeline.promoted_from is not None:
        parent = pipeline.promoted_from
        rows.append(("promoted:", f"from #{parent.number} {parent.id} as {pipeline.promotion}"))
    lines = [f"pipeline {pipeline.id} #{pipeline.number} ({pipeline.project.machine_name})"]
    lines.extend(columns(rows))
    if pipeline.errors:
        lines.append("errors:")
        lines.extend(error_lines(pipeline))
    return lines
