"""What agents and the server say to each other over HTTP (``/v1/runner/jobs/…``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ishcd.api.deps import MAX_INT64
from ishcd.api.schemas.common import In
from ishcd.api.schemas.outputs import OutputsOut
from ishcd.runner.protocol import Assignment
from ishcd.services import runner_jobs
from ishcd.services.run_state import Reason

MAX_ATTEMPT = 2**31 - 1
Attempt = Field(ge=1, le=MAX_ATTEMPT, description="The lease's attempt (from the assignment)")
WAIT_DOC = f"Seconds to hold the request, 0 to {runner_jobs.MAX_WAIT}"


class JobRequestIn(In):
    slot: str = Field(
        default="0",
        min_length=1,
        max_length=100,
        pattern=runner_jobs.SLOT.pattern,
        description=f"Which of the agent's slots asks ({runner_jobs.SLOT_RULE}); the run is "
        "held by it",
    )
    wait: float = Field(default=runner_jobs.MAX_WAIT, ge=0, le=runner_jobs.MAX_WAIT)


class CheckoutOut(BaseModel):
    repository: str = Field(
        description="Where the server checks the code out from; an agent gets it from "
        "`GET /v1/runner/jobs/{run_id}/source` instead"
    )
    revision: str = Field(description="The commit to check out")


class AssignmentOut(BaseModel):
    run_id: str
    attempt: int = Field(description="The lease's fencing token: name it in every call")
    log_offset: int = Field(description="Where this attempt's log starts (runner's bytes)")
    project: str = Field(description="The project's machine name")
    job: str = Field(description="The job's machine name")
    script: str
    env: dict[str, str]
    timeout: int = Field(description="Seconds")
    secrets: list[str] = Field(description="Values to mask in the log")
    checkout: CheckoutOut | None = Field(description="A pipeline job's code")
    sections: bool = Field(description="Whether to report the script's steps as sections")
    outputs: OutputsOut = Field(
        description="What to keep after the script (artifacts, test reports, a cache to save) "
        "and the cache to restore before it; send the files with PUT …/uploads/{kind}"
    )

    @classmethod
    def of(cls, assignment: Assignment) -> AssignmentOut:
        checkout = assignment.checkout
        return cls(
            run_id=assignment.run_id,
            attempt=assignment.attempt,
            log_offset=assignment.log_offset,
            project=assignment.project,
            job=assignment.job,
            script=assignment.script,
            env=assignment.env,
            timeout=assignment.timeout,
            secrets=assignment.secrets,
            checkout=None if checkout is None else CheckoutOut(**checkout),
            sections=assignment.sections,
            outputs=OutputsOut.of(assignment.outputs),
        )


class AttemptIn(In):
    attempt: int = Attempt


class ControlIn(In):
    attempt: int = Attempt
    wait: float = Field(default=runner_jobs.MAX_WAIT, ge=0, le=runner_jobs.MAX_WAIT)


class ControlOut(BaseModel):
    control: Literal["continue", "cancel"] = Field(
        description="`cancel`: someone canceled the run; stop it"
    )


class LogSizeOut(BaseModel):
    size: int = Field(description="Bytes of the log received so far (the runner's offsets)")


class SectionIn(In):
    number: int = Field(ge=1, le=runner_jobs.MAX_SECTIONS)
    name: str = Field(max_length=200)
    start: int = Field(ge=0, le=MAX_INT64)
    started: float = Field(ge=0, le=MAX_INT64)
    end: int | None = Field(default=None, ge=0, le=MAX_INT64)
    finished: float | None = Field(default=None, ge=0, le=MAX_INT64)
    status: Literal["running", "complete", "error"] = "running"
    exit_code: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    error_reason: Reason | None = None


class SectionsIn(In):
    attempt: int = Attempt
    sections: list[SectionIn] = Field(max_length=runner_jobs.MAX_SECTIONS)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [section.model_dump() for section in self.sections]


class FinishIn(In):
    attempt: int = Attempt
    exit_code: int | None = Field(ge=-(2**31), le=2**31 - 1)
    error_reason: Reason | None = Field(
        default=None, description="null: by the exit code (non-zero is `failed`)"
    )
    log_size: int = Field(ge=0, le=MAX_INT64, description="Bytes of log the runner sent")


class FinishOut(BaseModel):
    status: Literal["complete", "error", "queued"] = Field(
        description="The run's status after: `queued` when its retry queued it again"
    )
