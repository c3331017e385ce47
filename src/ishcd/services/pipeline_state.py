"""A pipeline's status, from its workflows'; and what happens when it is over.

A pipeline is ``queued`` until a workflow starts, ``running`` while any
runs, ``on_hold`` when only approvals are waiting, ``complete`` when every
workflow is (counting, for each workflow name, its latest rerun), else
``error`` once nothing can run any more. A config error makes it ``error``
from the start. When it completes, its automatic promotions start.
"""

from __future__ import annotations

import time
from typing import Any

from ishcd.db import pipelines as pipelines_db
from ishcd.db.database import Connection
from ishcd.db.pipelines import WorkflowRecord
from ishcd.services import promotions
from ishcd.services.runtime import Runtime

QUEUED, RUNNING, COMPLETE, ERROR, ON_HOLD = "queued", "running", "complete", "error", "on_hold"
INLINE = "(inline)"  # the config file of a pipeline whose config came in the trigger


def latest(workflows: list[WorkflowRecord]) -> list[WorkflowRecord]:
    """For each workflow name, its latest run (a rerun replaces what it reruns)."""
    by_name: dict[str, WorkflowRecord] = {}
    for workflow in sorted(workflows, key=lambda w: w.created):
        by_name[workflow.name] = workflow
    return list(by_name.values())


def status_of(workflows: list[WorkflowRecord], stop_requested: bool) -> tuple[str, str | None]:
    current = latest(workflows)
    statuses = {w.status for w in current}
    if statuses <= {COMPLETE}:
        return COMPLETE, None
    if statuses <= {COMPLETE, ERROR}:
        canceled = stop_requested or any(w.error_reason == "canceled" for w in current)
        return ERROR, "canceled" if canceled else "failed"
    if statuses <= {COMPLETE, ERROR, ON_HOLD}:
        return ON_HOLD, None
    if statuses == {QUEUED}:
        return QUEUED, None
    return RUNNING, None


async def settle(conn: Connection, runtime: Runtime, pipeline_id: str) -> None:
    """Set a pipeline's status from its workflows; promote it if it just completed."""
    pipeline = await pipelines_db.get_pipeline(conn, pipeline_id)
    assert pipeline is not None
    if pipeline.error_reason == "config_error":
        return
    workflows = await pipelines_db.workflows_of(conn, pipeline_id)
    status, reason = status_of(workflows, pipeline.stop_requested)
    if (status, reason) == (pipeline.status, pipeline.error_reason):
        return
    now = time.time()
    values: dict[str, Any] = {"status": status, "error_reason": reason, "changed": now}
    if pipeline.started is None and status != QUEUED:
        values["started"] = now
    values["finished"] = now if status in (COMPLETE, ERROR) else None
    await pipelines_db.update_pipeline(conn, pipeline_id, values)
    if status == COMPLETE and workflows:  # one that ran nothing (all filtered out) promotes nothing
        await promotions.promote_automatically(conn, runtime, pipeline_id)
