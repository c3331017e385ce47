"""Runs as users see them: create, read, list, cancel."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ishcd import exceptions
from ishcd.db import runs as runs_db
from ishcd.db.database import Connection
from ishcd.db.runs import NewRun, RunRecord
from ishcd.services import access, audit, ids, jobs, run_end, run_env, run_state, variables
from ishcd.services import limits as limits_mod
from ishcd.services.limits import Limits
from ishcd.services.principal import Caller
from ishcd.services.runtime import Runtime
from ishcd.signals import Signals
from ishcd.vault import Vault


@dataclass(frozen=True)
class Created:
    run: RunRecord
    replayed: bool  # an earlier run returned for the same idempotency key


def _request_hash(vault: Vault, env: Mapping[str, object]) -> str:
    # Keyed: the env may hold secrets, and a plain hash could be guessed offline.
    return vault.fingerprint(json.dumps(env, sort_keys=True))


async def create_run(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    job_ish: str,
    *,
    env: Mapping[str, object],
    idempotency_key: str | None,
    default_timeout: int,
    signals: Signals,
    vault: Vault,
    limits: Limits = limits_mod.DEFAULT,
) -> Created:
    """Queue a run of a job with ``env`` (callers with write access)."""
    project, job = await access.job_for(conn, caller, project_ish, job_ish, "write")
    request_hash = _request_hash(vault, env)
    if idempotency_key is not None:
        earlier = await runs_db.get_run_by_key(conn, job.id, idempotency_key)
        if earlier is not None:
            if earlier.request_hash != request_hash:
                raise exceptions.ValidationFailed.one(
                    "Idempotency-Key", "was already used for a run with a different env"
                )
            return Created(earlier, replayed=True)
    resolved = variables.resolve_env(jobs.open_variables(vault, job.variables), env, limits)
    credentials_of = None if caller.is_project_token else caller.user_id
    given = await run_env.gather(conn, vault, project.id, credentials_of, resolved)
    limits_mod.check_env(given, limits, "env", "the run's environment (env vars, credentials, env)")
    secret = variables.secret_names(job.variables)
    shown = variables.masked({k: v for k, v in env.items() if isinstance(v, str)}, secret)
    kept = jobs.outputs_of(job)
    new = NewRun(
        id=ids.new_id(),
        project_id=project.id,
        job_id=job.id,
        status=run_state.QUEUED,
        script=job.script,
        env=shown,
        resolved_env=run_env.seal(vault, resolved, secret),
        timeout=job.timeout or default_timeout,
        created_by=caller.user_id,
        created_by_token=caller.token_name,
        # A project token acts for the project: its runs get no account's credentials.
        credentials_of=credentials_of,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created=time.time(),
        labels=job.labels,
        retry=job.retry,
        retry_only_lost=job.retry_only_lost,
        outputs=None if kept.empty else kept.to_json(),
    )
    await runs_db.insert_run(conn, new)
    target = ("run", new.id, job.machine_name)
    await audit.record(conn, caller, "run.create", project=project, target=target)
    conn.on_commit(signals.work.bump)
    run = RunRecord(
        seq=0,
        id=new.id,
        project_id=project.id,
        job_id=job.id,
        status=new.status,
        error_reason=None,
        exit_code=None,
        script=new.script,
        env_json=json.dumps(new.env),
        resolved_env_json=new.resolved_env,
        timeout=new.timeout,
        created_by=caller.user_id,
        credentials_of=new.credentials_of,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        runner_id=None,
        heartbeat=None,
        cancel_requested=False,
        log_size=None,
        created=new.created,
        changed=new.created,
        started=None,
        finished=None,
        workflow_job_id=None,
        origin_json=None,
        labels=job.labels,
        concurrency_group=None,
        checkout_json=None,
        log_removed=None,
        created_by_token=caller.token_name,
        attempt=0,
        retry=job.retry,
        retry_only_lost=job.retry_only_lost,
        outputs_json=None if new.outputs is None else json.dumps(new.outputs),
        branch=None,
        revision=None,
        project_machine_name=project.machine_name,
        job_machine_name=job.machine_name,
        job_name=job.name,
        created_by_username=caller.username,
    )
    return Created(run, replayed=False)


async def get_run(
    conn: Connection,
    caller: Caller,
    run_id: str,
    *,
    project_ish: str | None = None,
    job_ish: str | None = None,
) -> RunRecord:
    """A run the caller may see; by id alone, or under its project and job."""
    found = None
    if ids.looks_like_uuid(run_id):
        found = await runs_db.get_run_with_role(conn, run_id, caller.user_id)
    if found is None or access.role_in(caller, found[0].project_id, found[1]) is None:
        raise exceptions.NotFound(f"run {run_id!r} not found")
    run = found[0]
    if project_ish is not None and project_ish not in (run.project_id, run.project_machine_name):
        raise exceptions.NotFound(f"run {run_id!r} not found in project {project_ish!r}")
    if job_ish is not None and job_ish not in run.job_ref[:2]:
        raise exceptions.NotFound(f"run {run_id!r} not found in job {job_ish!r}")
    return run


async def list_runs(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    *,
    job_ish: str | None,
    status: str | None,
    limit: int,
    offset: int,
    pipeline_number: int | None = None,
) -> list[RunRecord]:
    """Runs of a project (or of one of its jobs, or of one of its pipelines), newest first."""
    project = await access.project_for(conn, caller, project_ish)
    job_id = None
    if job_ish is not None:
        job_id = (await access.job_in(conn, project, job_ish)).id
    return await runs_db.list_runs(
        conn,
        project.id,
        job_id=job_id,
        status=status,
        limit=limit,
        offset=offset,
        pipeline_number=pipeline_number,
    )


async def find_runs(
    conn: Connection, caller: Caller, id_prefix: str, *, limit: int, offset: int
) -> list[RunRecord]:
    """The runs the caller may see whose id starts with ``id_prefix``, newest first.

    A project token sees its project's runs; a site admin every run; anyone
    else the runs of the projects they are a member of.
    """
    prefix = id_prefix.lower()
    if caller.is_project_token:
        return await runs_db.runs_by_prefix(
            conn, prefix, user_id=None, project_id=caller.project_id, limit=limit, offset=offset
        )
    user_id = None if caller.is_admin else caller.user_id
    return await runs_db.runs_by_prefix(
        conn, prefix, user_id=user_id, project_id=None, limit=limit, offset=offset
    )


async def cancel_run(
    conn: Connection,
    caller: Caller,
    run_id: str,
    *,
    runtime: Runtime,
    project_ish: str | None = None,
    job_ish: str | None = None,
) -> RunRecord:
    """Cancel a run: a queued one ends at once, a running one is told to stop."""
    run = await get_run(conn, caller, run_id, project_ish=project_ish, job_ish=job_ish)
    project = await access.project_for(conn, caller, run.project_id, "write")
    if run.status in run_state.FINISHED:
        raise exceptions.Conflict(f"run {run.id} has already finished ({run.status})")
    target = ("run", run.id, run.job_ref[1])
    await audit.record(conn, caller, "run.cancel", project=project, target=target)
    stopped = await run_end.stop_run(conn, runtime, run)
    if stopped.status in run_state.FINISHED and stopped.error_reason != "canceled":
        raise exceptions.Conflict(f"run {run.id} has already finished ({stopped.status})")
    return stopped
