"""The Ish CD Python client: the HTTP API as objects, on httpx.

    from ishcd.client import Client

    with Client(token, host="http://127.0.0.1:8080") as client:
        run = client.projects("my-corp").jobs("backup-prod").runs().create(
            env={"A": "b"}, wait=True
        )
        print(run.status, run.exit_code, run.log)

It stands alone: nothing here imports the rest of Ish CD.
"""

from __future__ import annotations

from ishcd.client.access_models import (
    Actor,
    AuditEvent,
    CreatedProjectToken,
    CreatedUser,
    Credential,
    Envvar,
    Invitation,
    Member,
    ProjectToken,
    Target,
    User,
)
from ishcd.client.artifacts import Artifact, ProjectArtifacts, RunArtifacts
from ishcd.client.client import Client
from ishcd.client.errors import (
    ApiError,
    BadRequest,
    ClientError,
    Conflict,
    ConnectionFailed,
    FieldError,
    Forbidden,
    NotFound,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
    ValidationFailed,
    WaitTimeout,
)
from ishcd.client.models import (
    Account,
    CreatedToken,
    Job,
    JobRef,
    Project,
    ProjectRef,
    Token,
    UserRef,
    Variable,
)
from ishcd.client.pipeline_models import (
    ConfigProblem,
    Pipeline,
    PipelineConfig,
    PipelineRef,
    PipelineTrigger,
    Promotion,
    Vcs,
    Workflow,
    WorkflowJob,
    WorkflowRef,
)
from ishcd.client.pipelines import PipelineHandle, ProjectPipelines
from ishcd.client.run import LogPart, Run
from ishcd.client.runners import CreatedRegistrationToken, RegistrationToken, Runner
from ishcd.client.runs import RunHandle
from ishcd.client.transport import DEFAULT_HOST
from ishcd.client.workflows import WorkflowHandle

__all__ = [
    "DEFAULT_HOST",
    "Account",
    "Actor",
    "ApiError",
    "Artifact",
    "AuditEvent",
    "BadRequest",
    "Client",
    "ClientError",
    "ConfigProblem",
    "Conflict",
    "ConnectionFailed",
    "CreatedProjectToken",
    "CreatedRegistrationToken",
    "CreatedToken",
    "CreatedUser",
    "Credential",
    "Envvar",
    "FieldError",
    "Forbidden",
    "Invitation",
    "Job",
    "JobRef",
    "LogPart",
    "Member",
    "NotFound",
    "Pipeline",
    "PipelineConfig",
    "PipelineHandle",
    "PipelineRef",
    "PipelineTrigger",
    "Project",
    "ProjectArtifacts",
    "ProjectPipelines",
    "ProjectRef",
    "ProjectToken",
    "Promotion",
    "RegistrationToken",
    "Run",
    "RunArtifacts",
    "RunHandle",
    "Runner",
    "ServerError",
    "Target",
    "Token",
    "Unauthorized",
    "UnexpectedResponse",
    "User",
    "UserRef",
    "ValidationFailed",
    "Variable",
    "Vcs",
    "WaitTimeout",
    "Workflow",
    "WorkflowHandle",
    "WorkflowJob",
    "WorkflowRef",
]
