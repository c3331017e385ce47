"""Runs."""

from __future__ import annotations

import time
from typing import Any

import pydantic_core
from fastapi import Response
from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In, JobRef, ProjectRef, UserRef
from ishcd.api.schemas.logs import SectionOut
from ishcd.api.schemas.test_reports import TestsSummaryOut
from ishcd.db.runs import RunRecord
from ishcd.logstore import Inline
from ishcd.services.run_state import Reason, Status


class RunIn(In):
    env: dict[str, str] | None = Field(
        default=None,
        description="Values for the job's declared variables",
        examples=[{"VAR1": "value1", "VAR2": "value two"}],
    )


class PipelineRefOut(BaseModel):
    id: str
    number: int


class WorkflowRefOut(BaseModel):
    id: str
    name: str


class RunOut(BaseModel):
    id: str
    status: Status
    duration: int = Field(description="Whole seconds the run has been (or was) running")
    created: int
    changed: int = Field(description="When the status last changed")
    started: int | None
    finished: int | None
    exit_code: int | None
    error_reason: Reason | None
    env: dict[str, str] = Field(description="The env the run was given; secrets shown as ***")
    log: str | None = Field(
        description="A finished run's log: whole up to 1 MiB, else its first and last 512 KiB"
    )
    log_truncated: bool
    log_removed: int | None = Field(
        description="When the log was deleted, past its retention (`log` is then null, "
        "and reading it answers 410)"
    )
    job: JobRef = Field(description="The stored job, or the pipeline job (a workflow job) it runs")
    project: ProjectRef
    pipeline: PipelineRefOut | None = Field(description="A pipeline job's run: its pipeline")
    workflow: WorkflowRefOut | None = Field(description="A pipeline job's run: its workflow")
    created_by: UserRef | None
    created_by_token: str | None = Field(
        description="The name of the API token the run was started with (null when it was "
        "started from a login, such as the web UI, or by a pipeline)"
    )
    sections: list[SectionOut] | None = Field(
        description="A pipeline job's steps, each a section of the log, in order, as far as "
        "they have started ([] for a stored job's run, whose script is one piece). Null in "
        "lists and in the answer to starting a run: read the run"
    )
    tests: TestsSummaryOut | None = Field(
        default=None,
        description="The cases of the run's JUnit reports (its job's `test_reports`), "
        "counted by result (`GET …/tests` lists them). Null when no report was stored; "
        "null in lists and in the answers to starting and canceling a run: read the run",
    )

    @classmethod
    def of(cls, run: RunRecord, inline: Inline | None = None) -> RunOut:
        return cls.model_validate(run_fields(run, inline))


def run_fields(
    run: RunRecord,
    inline: Inline | None = None,
    sections: list[dict[str, Any]] | None = None,
    tests: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A run as the API shows it (``RunOut``'s shape), as plain data.

    The run endpoints serialize this straight to JSON (``run_json``) rather
    than validating a ``RunOut`` first: on ``GET …/runs/{id}`` that took a
    sixth of the request (bench/); tests check the two stay the same.
    """
    duration = 0.0 if run.started is None else (run.finished or time.time()) - run.started
    creator = None
    if run.created_by is not None and run.created_by_username is not None:
        creator = {"id": run.created_by, "username": run.created_by_username}
    job_id, job_machine_name, job_name = run.job_ref
    origin = run.origin
    return {
        "id": run.id,
        "status": run.status,
        "duration": round(duration),
        "created": int(run.created),
        "changed": int(run.changed),
        "started": None if run.started is None else int(run.started),
        "finished": None if run.finished is None else int(run.finished),
        "exit_code": run.exit_code,
        "error_reason": run.error_reason,
        "env": run.env,
        "log": None if inline is None else inline.text,
        "log_truncated": False if inline is None else inline.truncated,
        "log_removed": None if run.log_removed is None else int(run.log_removed),
        "job": {"id": job_id, "machine_name": job_machine_name, "name": job_name},
        "project": {"id": run.project_id, "machine_name": run.project_machine_name},
        "pipeline": origin["pipeline"] if origin else None,
        "workflow": origin["workflow"] if origin else None,
        "created_by": creator,
        "created_by_token": run.created_by_token,
        "sections": sections,
        "tests": tests,
    }


def run_json(
    run: RunRecord,
    inline: Inline | None = None,
    status_code: int = 200,
    sections: list[dict[str, Any]] | None = None,
    tests: dict[str, int] | None = None,
) -> Response:
    """A JSON response holding one run."""
    content = pydantic_core.to_json(run_fields(run, inline, sections, tests))
    return Response(content, status_code=status_code, media_type="application/json")


def runs_json(runs: list[RunRecord]) -> list[dict[str, Any]]:
    """Runs for a list response (no logs)."""
    return [run_fields(run) for run in runs]
