"""Workflows: a DAG of jobs inside a pipeline, each job executed as a run.

A workflow job is ``queued`` until what it requires is complete and then
while its run waits and runs (its run's own status says which),
``on_hold`` when it is an approval waiting for someone, then ``complete``
or ``error``. A job whose requirement ended in error is not run:
``error``/``dependency_failed``, with a message naming the requirement.

``advance`` moves a workflow on from its current state: it starts what can
start, gives up what cannot, and sets the workflow's status, then its
pipeline's. It runs inside the transaction of whatever changed, so the DAG
never lags behind its runs.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any, Literal

from ishcd.db import pipelines as pipelines_db
from ishcd.db import projects as projects_db
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.pipelines import PipelineRecord, WorkflowJobRecord, WorkflowRecord
from ishcd.db.runs import NewRun, RunRecord
from ishcd.pipelines.model import JobPlan, Plan
from ishcd.services import ids, pipeline_state, run_end, run_env, run_state
from ishcd.services.runtime import Runtime

QUEUED, RUNNING, COMPLETE, ERROR, ON_HOLD = "queued", "running", "complete", "error", "on_hold"


def script_of(plan: JobPlan) -> str:
    """The bash script a job's steps make: each step in a subshell, announced in the log."""
    parts = []
    for number, step in enumerate(plan.steps, 1):
        banner = f"[ishcd] step {number}/{len(plan.steps)}: {step.name}"
        # ":" first: a step that is only a comment still makes a valid subshell.
        parts.append(f"printf '%s\\n' {shlex.quote(banner)}\n(\n:\n{step.command}\n)\n")
    return "".join(parts)


async def create_workflows(
    conn: Connection, runtime: Runtime, pipeline: PipelineRecord, plan: Plan
) -> None:
    """The workflows of a new pipeline's plan, started."""
    for workflow_plan in plan.workflows:
        workflow = await insert_workflow(conn, pipeline.id, workflow_plan.name)
        for position, job in enumerate(workflow_plan.jobs):
            await insert_job(conn, workflow.id, position, job)
        await advance(conn, runtime, workflow.id)


async def insert_workflow(
    conn: Connection,
    pipeline_id: str,
    name: str,
    *,
    rerun_of: str | None = None,
    request_token: str | None = None,
) -> WorkflowRecord:
    now = time.time()
    workflow = WorkflowRecord(
        id=ids.new_id(),
        pipeline_id=pipeline_id,
        name=name,
        status=QUEUED,
        error_reason=None,
        cancel_requested=False,
        rerun_of=rerun_of,
        request_token=request_token,
        created=now,
        changed=now,
        started=None,
        finished=None,
    )
    await pipelines_db.insert_workflow(conn, workflow)
    return workflow


async def insert_job(
    conn: Connection,
    workflow_id: str,
    position: int,
    plan: JobPlan,
    *,
    copy_of: WorkflowJobRecord | None = None,
) -> WorkflowJobRecord:
    """A workflow job, waiting; or, with ``copy_of``, that job's outcome as it was."""
    now = time.time()
    spec = json.dumps(Plan.job_to_json(plan))
    job = WorkflowJobRecord(
        id=ids.new_id(),
        workflow_id=workflow_id,
        name=plan.name,
        position=position,
        type=plan.type,
        status=copy_of.status if copy_of else QUEUED,
        error_reason=copy_of.error_reason if copy_of else None,
        message=copy_of.message if copy_of else None,
        spec_json=spec,
        run_id=copy_of.run_id if copy_of else None,
        attempt=copy_of.attempt if copy_of else 0,
        approved_by=copy_of.approved_by if copy_of else None,
        created=now,
        changed=now,
        started=copy_of.started if copy_of else None,
        finished=copy_of.finished if copy_of else None,
    )
    await pipelines_db.insert_job(conn, job)
    return job


async def _start_run(
    conn: Connection,
    runtime: Runtime,
    pipeline: PipelineRecord,
    workflow: WorkflowRecord,
    job: WorkflowJobRecord,
) -> str:
    """Queue a run of a workflow job; its id."""
    plan = Plan.job_from_json(job.spec)
    project = await projects_db.get_project(conn, pipeline.project_id)
    checkout = None
    if project is not None and project.repository and pipeline.revision is not None:
        mirror = str(runtime.mirrors.path(pipeline.project_id))
        checkout = {"repository": mirror, "revision": pipeline.revision}
    env = {**plan.environment, **pipeline_env(pipeline, workflow, job)}
    new = NewRun(
        id=ids.new_id(),
        project_id=pipeline.project_id,
        job_id=None,
        status=run_state.QUEUED,
        script=script_of(plan),
        env={},
        resolved_env=run_env.seal(runtime.vault, env, set()),
        timeout=plan.timeout or runtime.default_timeout,
        created_by=pipeline.actor_user_id,
        credentials_of=pipeline.credentials_of,
        idempotency_key=None,
        request_hash=None,
        created=time.time(),
        workflow_job_id=job.id,
        origin={
            "pipeline": {"id": pipeline.id, "number": pipeline.number},
            "workflow": {"id": workflow.id, "name": workflow.name},
            "job": {"id": job.id, "name": job.name},
        },
        labels=",".join(sorted(set(plan.labels))),
        concurrency_group=plan.concurrency,
        checkout=checkout,
        outputs=plan.outputs,
        branch=pipeline.branch,
        revision=pipeline.revision,
    )
    await runs_db.insert_run(conn, new)
    conn.on_commit(runtime.signals.work.bump)
    return new.id


def pipeline_env(
    pipeline: PipelineRecord, workflow: WorkflowRecord, job: WorkflowJobRecord
) -> dict[str, str]:
    """What a pipeline job's script is told about its pipeline (after its own environment)."""
    values = {
        "ISHCD_PIPELINE_ID": pipeline.id,
        "ISHCD_PIPELINE_NUMBER": str(pipeline.number),
        "ISHCD_WORKFLOW_ID": workflow.id,
        "ISHCD_WORKFLOW": workflow.name,
        "ISHCD_BRANCH": pipeline.branch,
        "ISHCD_TAG": pipeline.tag,
        "ISHCD_REVISION": pipeline.revision,
    }
    return {name: value for name, value in values.items() if value is not None}


async def _set_job(
    conn: Connection, jobs: dict[str, WorkflowJobRecord], job: WorkflowJobRecord, **values: Any
) -> None:
    values["changed"] = time.time()
    await pipelines_db.update_job(conn, job.id, values)
    jobs[job.name] = job._replace(**values)


async def advance(conn: Connection, runtime: Runtime, workflow_id: str) -> None:
    """Start what can start, give up what cannot, then settle the statuses."""
    workflow = await pipelines_db.get_workflow(conn, workflow_id)
    assert workflow is not None
    pipeline = await pipelines_db.get_pipeline(conn, workflow.pipeline_id)
    assert pipeline is not None
    jobs = {job.name: job for job in await pipelines_db.jobs_of(conn, workflow_id)}
    moved = True
    while moved:
        moved = False
        for job in sorted(jobs.values(), key=lambda j: j.position):
            if job.status != QUEUED or job.run_id is not None:
                continue  # started, on hold or over
            required = [jobs[name] for name in job.requires]
            failed = next((r for r in required if r.status == ERROR), None)
            if workflow.cancel_requested:
                await _set_job(
                    conn,
                    jobs,
                    job,
                    status=ERROR,
                    error_reason="canceled",
                    message="the workflow was canceled",
                    finished=time.time(),
                )
            elif failed is not None:
                await _set_job(
                    conn,
                    jobs,
                    job,
                    status=ERROR,
                    error_reason="dependency_failed",
                    message=f"not run: required job {failed.name!r} ended {failed.error_reason}",
                    finished=time.time(),
                )
            elif all(r.status == COMPLETE for r in required):
                if job.type == "approval":
                    await _set_job(conn, jobs, job, status=ON_HOLD, started=time.time())
                else:
                    run_id = await _start_run(conn, runtime, pipeline, workflow, job)
                    await _set_job(conn, jobs, job, run_id=run_id, attempt=1)
            else:
                continue
            moved = True
    await _settle(conn, runtime, pipeline, workflow, list(jobs.values()))


def workflow_status(
    workflow: WorkflowRecord, jobs: list[WorkflowJobRecord]
) -> tuple[str, str | None]:
    """A workflow's status (and error reason) from its jobs', once ``advance`` has run.

    After ``advance`` a queued job without a run waits on a job that is in flight or
    on hold, so: ``running`` while any run is in flight, else ``on_hold`` while an
    approval waits (approving it can still finish the workflow), else ``error``,
    for the reason ``pipeline_state`` says.
    """
    if all(job.status == COMPLETE for job in jobs):
        return COMPLETE, None
    in_flight = any(job.status == QUEUED and job.run_id is not None for job in jobs)
    if not in_flight and any(job.status == ON_HOLD for job in jobs):
        return ON_HOLD, None
    ended = [job.error_reason for job in jobs if job.status == ERROR]
    if not in_flight and ended:
        if workflow.cancel_requested:
            return ERROR, "canceled"
        return ERROR, pipeline_state.cause(ended)
    if any(job.run_id is not None or job.status != QUEUED for job in jobs):
        return RUNNING, None
    return QUEUED, None


async def _settle(
    conn: Connection,
    runtime: Runtime,
    pipeline: PipelineRecord,
    workflow: WorkflowRecord,
    jobs: list[WorkflowJobRecord],
) -> None:
    status, reason = workflow_status(workflow, jobs)
    if (status, reason) != (workflow.status, workflow.error_reason):
        now = time.time()
        values: dict[str, Any] = {"status": status, "error_reason": reason, "changed": now}
        if workflow.started is None and status != QUEUED:
            values["started"] = now
        values["finished"] = now if status in (COMPLETE, ERROR) else None
        await pipelines_db.update_workflow(conn, workflow.id, values)
    await pipeline_state.settle(conn, runtime, pipeline.id)


async def run_ended(
    conn: Connection,
    runtime: Runtime,
    run: RunRecord,
    to: Literal["complete", "error"],
    reason: run_state.Reason | None,
) -> None:
    """A workflow job's run ended: retry it if its job says so, else record it; move on."""
    assert run.workflow_job_id is not None
    job = await pipelines_db.get_job(conn, run.workflow_job_id)
    if job is None or job.run_id != run.id:
        return  # an earlier attempt's run
    workflow = await pipelines_db.get_workflow(conn, job.workflow_id)
    assert workflow is not None
    jobs = {job.name: job}
    now = time.time()
    if to == run_state.COMPLETE:
        await _set_job(conn, jobs, job, status=COMPLETE, finished=now)
    elif _should_retry(job, reason) and not workflow.cancel_requested:
        pipeline = await pipelines_db.get_pipeline(conn, workflow.pipeline_id)
        assert pipeline is not None
        run_id = await _start_run(conn, runtime, pipeline, workflow, job)
        message = f"attempt {job.attempt + 1}: attempt {job.attempt} ended {reason}"
        await _set_job(conn, jobs, job, run_id=run_id, attempt=job.attempt + 1, message=message)
    else:
        await _set_job(
            conn,
            jobs,
            job,
            status=ERROR,
            error_reason=reason,
            finished=now,
            message=f"its run ended {reason}",
        )
    await advance(conn, runtime, workflow.id)


def _should_retry(job: WorkflowJobRecord, reason: str | None) -> bool:
    spec = job.spec
    if reason == "canceled" or job.attempt > int(spec["retry"]):
        return False
    return reason == "runner_lost" or not spec["retry_only_lost"]


async def cancel(conn: Connection, runtime: Runtime, workflow: WorkflowRecord) -> None:
    """Stop every run of the workflow; what has not started will not."""
    if workflow.status in (COMPLETE, ERROR):
        return
    await pipelines_db.update_workflow(
        conn, workflow.id, {"cancel_requested": True, "changed": time.time()}
    )
    for job in await pipelines_db.jobs_of(conn, workflow.id):
        if job.status in (QUEUED, ON_HOLD) and job.run_id is not None:
            run = await runs_db.get_run(conn, job.run_id)
            if run is not None and run.status not in run_state.FINISHED:
                await run_end.stop_run(conn, runtime, run)
        elif job.status == ON_HOLD:
            values = {
                "status": ERROR,
                "error_reason": "canceled",
                "message": "the workflow was canceled",
                "finished": time.time(),
                "changed": time.time(),
            }
            await pipelines_db.update_job(conn, job.id, values)
    await advance(conn, runtime, workflow.id)
