"""A pipeline's status, from its workflows'; and what happens when it is over.

A pipeline is ``queued`` until a workflow starts, ``running`` while any
runs, ``on_hold`` when only approvals are waiting, ``complete`` when every
workflow is (counting, for each workflow name, its latest rerun), else
``error`` once nothing can run any more. A config error makes it ``error``
from the start. When it completes, its automatic promotions start.

Why a workflow or a pipeline ended ``error`` (``error_reason``) follows one
rule at both levels: ``canceled`` when a user canceled it (a workflow's cancel,
a pipeline's stop); else from what ended ``error`` inside it (a workflow's jobs,
a pipeline's workflows), by ``cause``: ``failed`` if anything failed (a
non-zero exit, ``setup_failed``, ``runner_lost``…), else ``timed_out`` if
anything timed out, else ``canceled``. Jobs not run because a requirement
failed (``dependency_failed``) follow from another job and do not count.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
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


def cause(reasons: Iterable[str | None]) -> str:
    """Why something ended ``error``, from the reasons of what ended ``error`` in it."""
    causes = {reason for reason in reasons if reason != "dependency_failed"}
    if not causes or causes - {"timed_out", "canceled"}:
        return "failed"
    return "timed_out" if "timed_out" in causes else "canceled"


def status_of(workflows: list[WorkflowRecord], stop_requested: bool) -> tuple[str, str | None]:
    current = latest(workflows)
    statuses = {w.status for w in current}
    if statuses <= {COMPLETE}:
        return COMPLETE, None
    if statuses <= {COMPLETE, ERROR}:
        if stop_requested:
            return ERROR, "canceled"
        return ERROR, cause(w.error_reason for w in current if w.status == ERROR)
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
