"""Pipelines: triggering a project's config, reading, listing, stopping.

Triggering takes three steps so that no transaction waits on git: fetch the
project's mirror and read the config at the commit (and the config files of
its promotions, transitively); then, in one transaction, number the
pipeline, compile its plan and start its workflows. A config error never
fails the trigger: the pipeline is created ``error`` with its ``errors``.
Bad parameter values from the trigger are the trigger's fault: a 422.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ishcd import exceptions, source
from ishcd.db import pipelines as pipelines_db
from ishcd.db import projects as projects_db
from ishcd.db.database import Connection, Database
from ishcd.db.pipelines import PipelineRecord, WorkflowRecord
from ishcd.db.projects import ProjectRecord
from ishcd.pipelines import compile as compiler
from ishcd.pipelines.model import ConfigError, ConfigErrors, Context, Plan
from ishcd.services import access, audit, ids, pipeline_state, workflows
from ishcd.services.principal import Caller
from ishcd.services.runtime import Runtime

CONFIG_FILE = ".ishcd.yml"
PROMOTION_DEPTH = 5
LISTED_SPAN = 3  # read the workflows of listed pipelines at once when their numbers are this close


@dataclass(frozen=True)
class Trigger:
    """What a pipeline is made from."""

    branch: str | None
    tag: str | None
    revision: str | None
    parameters: dict[str, object]
    config_file: str
    config: str | None  # None: the file was not found at that revision
    sources: dict[str, str]  # other config files at that revision, for promotions


@dataclass(frozen=True)
class Origin:
    """Who or what triggered it."""

    trigger_type: str  # api | promotion
    actor: Caller | None
    parent_id: str | None = None
    promotion: str | None = None
    # Whose credentials its runs get when not the actor's own (a promotion: its parent's).
    credentials_of: str | None = None
    actor_credentials: bool = True


async def trigger_pipeline(
    db: Database,
    runtime: Runtime,
    caller: Caller,
    project_ish: str,
    *,
    branch: str | None,
    tag: str | None,
    revision: str | None,
    parameters: dict[str, object],
    config: str | None,
) -> PipelineRecord:
    """Trigger a pipeline of a project (callers who may start runs)."""
    async with db.read() as conn:
        project = await access.project_for(conn, caller, project_ish, "write")
    trigger = await _gather(runtime, project, branch, tag, revision, parameters, config)
    async with db.transaction() as conn:
        project = await access.project_for(conn, caller, project.id, "write")
        return await create_pipeline(
            conn, runtime, project, trigger, Origin("api", caller), strict=True
        )


def check_refs(branch: str | None, tag: str | None, revision: str | None) -> None:
    if branch is not None and tag is not None:
        raise exceptions.ValidationFailed.one("tag", "give a branch or a tag, not both")
    for field, value in (("branch", branch), ("tag", tag)):
        if value is not None and not source.valid_ref(value):
            raise exceptions.ValidationFailed.one(field, "is not a valid git name")
    if revision is not None and not source.valid_revision(revision):
        raise exceptions.ValidationFailed.one("revision", "must be a commit id (hex)")


async def _gather(
    runtime: Runtime,
    project: ProjectRecord,
    branch: str | None,
    tag: str | None,
    revision: str | None,
    parameters: dict[str, object],
    config: str | None,
) -> Trigger:
    """Everything from git a pipeline needs, read before any transaction."""
    check_refs(branch, tag, revision)
    if project.repository is None:
        if config is None:
            raise exceptions.ValidationFailed.one(
                "config", "this project has no repository: send the config in the trigger"
            )
        return Trigger(branch, tag, revision, parameters, pipeline_state.INLINE, config, {})
    mirror, branch, sha = await fetch_commit(runtime, project, branch, tag, revision)
    config_file = pipeline_state.INLINE if config is not None else CONFIG_FILE
    if config is None:
        config = await runtime.mirrors.read(mirror, sha, CONFIG_FILE)
    sources: dict[str, str] = {}
    wanted = _promotion_files(config, Context(0, branch, tag, sha, parameters))
    for _ in range(PROMOTION_DEPTH):
        unread = [file for file in wanted if file not in sources]
        if not unread:
            break
        for file in unread:
            text = await runtime.mirrors.read(mirror, sha, file)
            if text is not None:
                sources[file] = text
                wanted |= _promotion_files(text, Context(0, branch, tag, sha, {}))
    return Trigger(branch, tag, sha, parameters, config_file, config, sources)


async def fetch_commit(
    runtime: Runtime,
    project: ProjectRecord,
    branch: str | None,
    tag: str | None,
    revision: str | None,
) -> tuple[Path, str | None, str]:
    """Fetch a project's mirror: its path, the branch (the default one when nothing is
    named) and the commit a trigger names. The project has a repository."""
    assert project.repository is not None
    if branch is None and tag is None and revision is None:
        branch = project.default_branch
    try:
        mirror = await runtime.mirrors.fetch(project.id, project.repository)
    except source.GitError as exc:
        raise exceptions.ValidationFailed.one(
            "repository", f"could not fetch {project.repository}: {exc}"
        ) from exc
    resolved = await runtime.mirrors.resolve(mirror, branch=branch, tag=tag, revision=revision)
    return mirror, branch, resolved.revision


def _promotion_files(text: str | None, context: Context) -> set[str]:
    """The config files a config's promotions name (none if it does not compile)."""
    if text is None:
        return set()
    try:
        plan = compiler.compile_config(text, context)
    except ConfigErrors:
        return set()
    return {promotion.pipeline_file for promotion in plan.promotions}


async def create_pipeline(
    conn: Connection,
    runtime: Runtime,
    project: ProjectRecord,
    trigger: Trigger,
    origin: Origin,
    *,
    strict: bool,
) -> PipelineRecord:
    """Number, compile and start a pipeline. ``strict``: bad parameter values are a 422."""
    number = await pipelines_db.next_number(conn, project.id)
    context = Context(number, trigger.branch, trigger.tag, trigger.revision, trigger.parameters)
    plan, errors = _compile(trigger, context)
    trigger_errors = [e for e in errors if e.trigger]
    if strict and trigger_errors:
        fields = [exceptions.FieldError(e.path, e.message) for e in trigger_errors]
        raise exceptions.ValidationFailed("invalid parameters", fields)
    actor = origin.actor
    now = time.time()
    pipeline = PipelineRecord(
        id=ids.new_id(),
        project_id=project.id,
        number=number,
        status=pipeline_state.QUEUED if plan else pipeline_state.ERROR,
        error_reason=None if plan else "config_error",
        errors_json=json.dumps([e.as_dict() for e in errors]),
        config_file=trigger.config_file,
        config_source=trigger.config,
        plan_json=None if plan is None else json.dumps(plan.to_json()),
        promotion_sources_json=json.dumps(trigger.sources),
        trigger_type=origin.trigger_type,
        actor_user_id=actor.user_id if actor else None,
        actor_username=actor.username if actor else None,
        actor_token_id=actor.token_id if actor else None,
        credentials_of=_credentials_of(origin),
        branch=trigger.branch,
        tag=trigger.tag,
        revision=trigger.revision,
        # The values it runs with, defaults included (as sent, when nothing compiled).
        parameters_json=json.dumps(trigger.parameters if plan is None else plan.parameters),
        parent_id=origin.parent_id,
        promotion=origin.promotion,
        stop_requested=False,
        created=now,
        changed=now,
        started=None,
        finished=None if plan else now,
        project_machine_name=project.machine_name,
    )
    await pipelines_db.insert_pipeline(conn, pipeline)
    target = ("pipeline", pipeline.id, f"#{number}")
    details = {"trigger": origin.trigger_type, "branch": trigger.branch, "tag": trigger.tag}
    await audit.record(
        conn, actor, "pipeline.create", project=project, target=target, details=details
    )
    if plan is not None:
        await workflows.create_workflows(conn, runtime, pipeline, plan)
        await pipeline_state.settle(conn, runtime, pipeline.id)
    found = await pipelines_db.get_pipeline(conn, pipeline.id)
    assert found is not None
    return found


def _credentials_of(origin: Origin) -> str | None:
    actor = origin.actor
    if not origin.actor_credentials:
        return origin.credentials_of
    return None if actor is None or actor.is_project_token else actor.user_id


def _compile(trigger: Trigger, context: Context) -> tuple[Plan | None, list[ConfigError]]:
    if trigger.config is None:
        missing = ConfigError(f"{trigger.config_file} is not in the repository at this commit", "")
        return None, [missing]
    try:
        return compiler.compile_config(trigger.config, context), []
    except ConfigErrors as exc:
        return None, exc.errors


async def pipeline_for(
    conn: Connection, caller: Caller, pipeline_id: str, need: access.Role = "read"
) -> PipelineRecord:
    """A pipeline the caller may see (and ``need``)."""
    pipeline = None
    if ids.looks_like_uuid(pipeline_id):
        pipeline = await pipelines_db.get_pipeline(conn, pipeline_id)
    if pipeline is None:
        raise exceptions.NotFound(f"pipeline {pipeline_id!r} not found")
    try:
        await access.project_for(conn, caller, pipeline.project_id, need)
    except exceptions.NotFound as exc:
        raise exceptions.NotFound(f"pipeline {pipeline_id!r} not found") from exc
    if need != "read":  # about to change it: hold it, and see it as it is now
        await pipelines_db.lock_pipeline(conn, pipeline.id)
        found = await pipelines_db.get_pipeline(conn, pipeline.id)
        assert found is not None
        return found
    return pipeline


async def pipeline_by_number(
    conn: Connection, caller: Caller, project_ish: str, number: int
) -> PipelineRecord:
    project = await access.project_for(conn, caller, project_ish)
    pipeline = await pipelines_db.pipeline_by_number(conn, project.id, number)
    if pipeline is None:
        raise exceptions.NotFound(f"pipeline {number} not found in {project.machine_name!r}")
    return pipeline


async def list_pipelines(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    *,
    branch: str | None,
    status: str | None,
    mine: bool,
    limit: int,
    offset: int,
) -> list[PipelineRecord]:
    project = await access.project_for(conn, caller, project_ish)
    return await pipelines_db.list_pipelines(
        conn,
        project.id,
        branch=branch,
        status=status,
        actor=caller.user_id if mine else None,
        limit=limit,
        offset=offset,
    )


async def workflows_of(
    conn: Connection, caller: Caller, pipeline_id: str
) -> tuple[PipelineRecord, list[WorkflowRecord]]:
    pipeline = await pipeline_for(conn, caller, pipeline_id)
    return pipeline, await pipelines_db.workflows_of(conn, pipeline.id)


async def current_workflows(
    conn: Connection, listed: list[PipelineRecord]
) -> dict[str, list[WorkflowRecord]]:
    """The workflows that count (a rerun replaces what it reruns) of pipelines a caller
    has just listed (of one project), by pipeline id."""
    found: dict[str, list[WorkflowRecord]] = {pipeline.id: [] for pipeline in listed}
    numbers = [pipeline.number for pipeline in listed]
    one_project = len({pipeline.project_id for pipeline in listed}) == 1
    if one_project and max(numbers) - min(numbers) < LISTED_SPAN * len(numbers):
        # A page of a list: one query for the numbers it spans.
        project_id = listed[0].project_id
        for workflow in await pipelines_db.workflows_of_numbers(
            conn, project_id, min(numbers), max(numbers)
        ):
            if workflow.pipeline_id in found:
                found[workflow.pipeline_id].append(workflow)
    else:  # pipelines far apart (a filtered list): one query each
        for pipeline in listed:
            found[pipeline.id] = await pipelines_db.workflows_of(conn, pipeline.id)
    return {pipeline_id: pipeline_state.latest(rows) for pipeline_id, rows in found.items()}


async def stop_pipeline(
    conn: Connection, runtime: Runtime, caller: Caller, pipeline_id: str
) -> PipelineRecord:
    """Cancel every workflow of a pipeline (callers who may cancel runs)."""
    pipeline = await pipeline_for(conn, caller, pipeline_id, "write")
    if pipeline.status in (pipeline_state.COMPLETE, pipeline_state.ERROR):
        raise exceptions.Conflict(f"pipeline {pipeline.number} has already finished")
    await pipelines_db.update_pipeline(
        conn, pipeline.id, {"stop_requested": True, "changed": time.time()}
    )
    for workflow in await pipelines_db.workflows_of(conn, pipeline.id):
        await workflows.cancel(conn, runtime, workflow)
    project = await projects_db.get_project(conn, pipeline.project_id)
    target = ("pipeline", pipeline.id, f"#{pipeline.number}")
    await audit.record(conn, caller, "pipeline.stop", project=project, target=target)
    found = await pipelines_db.get_pipeline(conn, pipeline.id)
    assert found is not None
    return found


def plan_of(pipeline: PipelineRecord) -> Plan | None:
    data: dict[str, Any] | None = pipeline.plan
    return None if data is None else Plan.from_json(data)
