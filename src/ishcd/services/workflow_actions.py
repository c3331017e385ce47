"""What users do with workflows: read them, cancel, rerun, approve."""

from __future__ import annotations

import time

from ishcd import exceptions
from ishcd.db import pipelines as pipelines_db
from ishcd.db import projects as projects_db
from ishcd.db.database import Connection
from ishcd.db.pipelines import JobView, PipelineRecord, WorkflowJobRecord, WorkflowRecord
from ishcd.pipelines.model import Plan
from ishcd.services import audit, ids, pipelines, workflows
from ishcd.services.access import Role
from ishcd.services.principal import Caller
from ishcd.services.runtime import Runtime


async def workflow_for(
    conn: Connection, caller: Caller, workflow_id: str, need: Role = "read"
) -> tuple[PipelineRecord, WorkflowRecord]:
    workflow = None
    if ids.looks_like_uuid(workflow_id):
        workflow = await pipelines_db.get_workflow(conn, workflow_id)
    if workflow is None:
        raise exceptions.NotFound(f"workflow {workflow_id!r} not found")
    try:
        pipeline = await pipelines.pipeline_for(conn, caller, workflow.pipeline_id, need)
    except exceptions.NotFound as exc:
        raise exceptions.NotFound(f"workflow {workflow_id!r} not found") from exc
    if need != "read":  # the pipeline is locked now: read the workflow again
        workflow = await _reread(conn, workflow.id)
    return pipeline, workflow


async def job_views(
    conn: Connection, caller: Caller, workflow_id: str
) -> tuple[WorkflowRecord, list[JobView]]:
    _, workflow = await workflow_for(conn, caller, workflow_id)
    return workflow, await pipelines_db.job_views(conn, workflow.id)


async def _audit(
    conn: Connection,
    caller: Caller,
    action: str,
    pipeline: PipelineRecord,
    workflow: WorkflowRecord,
    **details: object,
) -> None:
    project = await projects_db.get_project(conn, pipeline.project_id)
    target = ("workflow", workflow.id, workflow.name)
    await audit.record(conn, caller, action, project=project, target=target, details=details)


async def cancel(
    conn: Connection, runtime: Runtime, caller: Caller, workflow_id: str
) -> WorkflowRecord:
    """Stop a workflow's runs; what has not started will not (callers who may cancel runs)."""
    pipeline, workflow = await workflow_for(conn, caller, workflow_id, "write")
    if workflow.status in (workflows.COMPLETE, workflows.ERROR):
        raise exceptions.Conflict(f"workflow {workflow.name!r} has already finished")
    await workflows.cancel(conn, runtime, workflow)
    await _audit(conn, caller, "workflow.cancel", pipeline, workflow)
    return await _reread(conn, workflow.id)


async def approve(
    conn: Connection, runtime: Runtime, caller: Caller, workflow_id: str, job_name: str
) -> WorkflowRecord:
    """Approve a held approval job: the workflow goes on."""
    pipeline, workflow = await workflow_for(conn, caller, workflow_id, "write")
    job = next(
        (j for j in await pipelines_db.jobs_of(conn, workflow.id) if j.name == job_name), None
    )
    if job is None:
        raise exceptions.NotFound(f"workflow {workflow.name!r} has no job {job_name!r}")
    if job.type != "approval":
        raise exceptions.Conflict(f"{job_name!r} is not an approval job")
    if job.status != workflows.ON_HOLD:
        raise exceptions.Conflict(f"{job_name!r} is {job.status}, not waiting for approval")
    now = time.time()
    values = {
        "status": workflows.COMPLETE,
        "approved_by": caller.user_id,
        "message": f"approved by {caller.username}",
        "finished": now,
        "changed": now,
    }
    await pipelines_db.update_job(conn, job.id, values)
    await _audit(conn, caller, "workflow.approve", pipeline, workflow, job=job_name)
    await workflows.advance(conn, runtime, workflow.id)
    return await _reread(conn, workflow.id)


async def rerun(
    conn: Connection,
    runtime: Runtime,
    caller: Caller,
    workflow_id: str,
    *,
    from_failed: bool,
    jobs: list[str] | None,
    request_token: str | None,
) -> tuple[WorkflowRecord, bool]:
    """A new workflow in the same pipeline that runs the jobs again; whether it is new.

    ``from_failed``: only the jobs that did not complete, and what requires
    them; ``jobs``: those jobs and what requires them. Jobs not run again keep
    their outcome (and their runs). The same ``request_token`` returns the
    same new workflow.
    """
    pipeline, original = await workflow_for(conn, caller, workflow_id, "write")
    if request_token is not None:
        earlier = await pipelines_db.rerun_for_token(conn, original.id, request_token)
        if earlier is not None:
            return earlier, False
    if original.status not in (workflows.COMPLETE, workflows.ERROR):
        raise exceptions.Conflict(
            f"workflow {original.name!r} is {original.status}: cancel it or let it finish first"
        )
    old = await pipelines_db.jobs_of(conn, original.id)
    again = _to_rerun(old, from_failed, jobs)
    workflow = await workflows.insert_workflow(
        conn, pipeline.id, original.name, rerun_of=original.id, request_token=request_token
    )
    for job in old:
        plan = Plan.job_from_json(job.spec)
        copy = None if job.name in again else job
        await workflows.insert_job(conn, workflow.id, job.position, plan, copy_of=copy)
    if pipeline.stop_requested:
        await pipelines_db.update_pipeline(conn, pipeline.id, {"stop_requested": False})
    await _audit(
        conn,
        caller,
        "workflow.rerun",
        pipeline,
        workflow,
        rerun_of=original.id,
        jobs=sorted(again),
    )
    await workflows.advance(conn, runtime, workflow.id)
    return await _reread(conn, workflow.id), True


def _to_rerun(
    jobs: list[WorkflowJobRecord], from_failed: bool, names: list[str] | None
) -> set[str]:
    """The jobs to run again: the chosen ones and everything that requires them."""
    known = {job.name for job in jobs}
    if names:
        for index, name in enumerate(names):
            if name not in known:
                raise exceptions.ValidationFailed.one(f"jobs[{index}]", f"no job {name!r} here")
        chosen = set(names)
    elif from_failed:
        chosen = {job.name for job in jobs if job.status != workflows.COMPLETE}
    else:
        chosen = set(known)
    grew = True
    while grew:
        grew = False
        for job in jobs:
            if job.name not in chosen and chosen.intersection(job.requires):
                chosen.add(job.name)
                grew = True
    return chosen


async def _reread(conn: Connection, workflow_id: str) -> WorkflowRecord:
    workflow = await pipelines_db.get_workflow(conn, workflow_id)
    assert workflow is not None
    return workflow
