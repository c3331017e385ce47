"""Promotions: follow-on pipelines (a deploy, say) from another config file.

A pipeline's config names its promotions; each starts a new pipeline of the
same commit from ``pipeline_file`` (read when the first pipeline was
triggered). By hand (``promote``), or automatically when the pipeline
completes on a matching branch. Promoting a pipeline that has not passed
takes ``override``.
"""

from __future__ import annotations

import json
import time

from ishcd import exceptions
from ishcd.db import pipelines as pipelines_db
from ishcd.db import projects as projects_db
from ishcd.db.database import Connection
from ishcd.db.pipelines import PipelineRecord, PromotionRecord
from ishcd.pipelines import filters
from ishcd.pipelines.model import Promotion
from ishcd.services import ids, pipelines
from ishcd.services.principal import Caller
from ishcd.services.runtime import Runtime


async def list_promotions(
    conn: Connection, caller: Caller, pipeline_id: str
) -> list[PromotionRecord]:
    pipeline = await pipelines.pipeline_for(conn, caller, pipeline_id)
    return await pipelines_db.promotions_of(conn, pipeline.id)


async def promote(
    conn: Connection,
    runtime: Runtime,
    caller: Caller,
    pipeline_id: str,
    *,
    name: str,
    override: bool,
) -> PromotionRecord:
    """Start a pipeline's promotion by hand (callers who may start runs)."""
    pipeline = await pipelines.pipeline_for(conn, caller, pipeline_id, "write")
    plan = pipelines.plan_of(pipeline)
    found = next((p for p in plan.promotions if p.name == name), None) if plan else None
    if found is None:
        raise exceptions.ValidationFailed.one(
            "name", f"pipeline {pipeline.number}'s config has no promotion {name!r}"
        )
    if pipeline.status != "complete" and not override:
        raise exceptions.Conflict(
            f"pipeline {pipeline.number} is {pipeline.status}, not complete: "
            "send override: true to promote it anyway"
        )
    project = await projects_db.get_project(conn, pipeline.project_id)
    assert project is not None
    if project.repository is None and found.pipeline_file not in pipeline.promotion_sources:
        raise exceptions.Conflict(
            f"project {project.machine_name!r} has no repository to read "
            f"{found.pipeline_file} from: set its repository to promote"
        )
    return await _start(conn, runtime, pipeline, found, "manual", caller, override)


async def promote_automatically(conn: Connection, runtime: Runtime, pipeline_id: str) -> None:
    """Start the promotions whose ``auto_promote`` a just-completed pipeline meets."""
    pipeline = await pipelines_db.get_pipeline(conn, pipeline_id)
    assert pipeline is not None
    plan = pipelines.plan_of(pipeline)
    project = await projects_db.get_project(conn, pipeline.project_id)
    for promotion in plan.promotions if plan else ():
        if project is None or (
            project.repository is None and promotion.pipeline_file not in pipeline.promotion_sources
        ):
            continue  # nothing to read the promotion's config from
        if promotion.auto_branch is None and promotion.auto_result is None:
            continue  # no auto_promote: promoted by hand only
        if promotion.auto_result not in (None, "passed"):  # passed is the one result known
            continue
        if promotion.auto_branch is not None and not filters.matches(
            promotion.auto_branch, pipeline.branch
        ):
            continue
        await _start(conn, runtime, pipeline, promotion, "auto", None, False)


async def _start(
    conn: Connection,
    runtime: Runtime,
    pipeline: PipelineRecord,
    promotion: Promotion,
    triggered_by: str,
    caller: Caller | None,
    override: bool,
) -> PromotionRecord:
    project = await projects_db.get_project(conn, pipeline.project_id)
    assert project is not None
    sources = pipeline.promotion_sources
    text = sources.get(promotion.pipeline_file)
    # An automatic promotion acts for whoever triggered the pipeline it follows.
    actor = caller or _acting_for(pipeline)
    trigger = pipelines.Trigger(
        branch=pipeline.branch,
        tag=pipeline.tag,
        revision=pipeline.revision,
        parameters={},
        config_file=promotion.pipeline_file,
        config=text,
        sources=sources,
    )
    origin = pipelines.Origin(
        "promotion",
        actor,
        parent_id=pipeline.id,
        promotion=promotion.name,
        credentials_of=pipeline.credentials_of,
        actor_credentials=caller is not None,
    )
    scheduled = await pipelines.create_pipeline(
        conn, runtime, project, trigger, origin, strict=False
    )
    record = PromotionRecord(
        id=ids.new_id(),
        pipeline_id=pipeline.id,
        name=promotion.name,
        triggered_by=triggered_by,
        actor_user_id=actor.user_id if actor else None,
        actor_username=actor.username if actor else None,
        override=override,
        scheduled_pipeline_id=scheduled.id,
        status="promoted" if scheduled.error_reason != "config_error" else "failed",
        errors_json=json.dumps(scheduled.errors),
        created=time.time(),
    )
    await pipelines_db.insert_promotion(conn, record)
    return record


def _acting_for(pipeline: PipelineRecord) -> Caller | None:
    if pipeline.actor_user_id is None or pipeline.actor_username is None:
        return None
    return Caller(pipeline.actor_user_id, pipeline.actor_username, False)
