"""Members, invitations, environment variables, credentials, audit events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from ishcd.api.schemas.accounts import EMAIL, AccountOut, Password
from ishcd.api.schemas.common import In, ProjectRef, UserRef
from ishcd.db.audit import AuditRecord
from ishcd.db.credentials import CredentialRecord
from ishcd.db.envvars import EnvvarRecord
from ishcd.db.projects import MemberRecord, ProjectRecord
from ishcd.services.access import ROLES, Role


def _role_of(value: Any) -> Any:
    """``{"type": "write"}`` (the official JavaScript client's shape) is ``"write"``."""
    if isinstance(value, dict):
        if set(value) != {"type"}:
            raise PydanticCustomError(
                "role_object", 'must be read, write or admin, or {"type": one of them}'
            )
        return value["type"]
    return value


_ROLE_NAME = {"type": "string", "enum": list(ROLES)}
RoleIn = Annotated[
    Role,
    BeforeValidator(_role_of),
    WithJsonSchema(
        {
            "anyOf": [
                _ROLE_NAME,
                {
                    "type": "object",
                    "properties": {"type": _ROLE_NAME},
                    "required": ["type"],
                    "additionalProperties": False,
                },
            ],
            "description": 'read, write or admin; or {"type": "write"}, as the official '
            "JavaScript client sends it",
        },
        mode="validation",
    ),
]


class MemberIn(In):
    username: str | None = Field(default=None, description="An existing account")
    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=EMAIL,
        description="The account with this e-mail address (when exactly one has it) becomes "
        "a member; with none, someone to invite (then POST .../invite)",
    )
    role: RoleIn = "read"


class MemberPatch(In):
    role: RoleIn


class MemberOut(BaseModel):
    id: str
    user: UserRef | None = Field(description="null until an invitation is accepted")
    email: str | None = Field(description="Who was invited (invitations only)")
    role: Role
    status: Literal["active", "invited"]
    created: int
    changed: int

    @classmethod
    def of(cls, member: MemberRecord) -> MemberOut:
        user = None
        if member.user_id is not None and member.username is not None:
            user = UserRef(id=member.user_id, username=member.username)
        return cls(
            id=member.id,
            user=user,
            email=member.invited_email,
            role=member.role,
            status="invited" if member.user_id is None else "active",
            created=int(member.created),
            changed=int(member.changed),
        )


class InvitationOut(BaseModel):
    url: str = Field(description="The acceptance link: POST a user name and password to it")
    token: str = Field(description="The one-time token in the link; shown this once")
    expires: int


class InvitationInfoOut(BaseModel):
    project: ProjectRef
    project_name: str
    role: Role
    email: str | None
    expires: int

    @classmethod
    def of(cls, member: MemberRecord, project: ProjectRecord) -> InvitationInfoOut:
        return cls(
            project=ProjectRef(id=project.id, machine_name=project.machine_name),
            project_name=project.name,
            role=member.role,
            email=member.invited_email,
            expires=int(member.invitation_expires or 0),
        )


class AcceptIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Password
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL)


class AcceptedOut(BaseModel):
    user: AccountOut
    project: ProjectRef
    role: Role
    token: str = Field(description="A JWT valid for 12 hours, to go on with")


class EnvvarIn(In):
    name: str = Field(min_length=1, max_length=128)
    value: str = Field(description="Write-only: never shown again")


class EnvvarOut(BaseModel):
    name: str
    value: str = Field(description="Masked: xxxx and the last 4 characters when longer than 8")
    created: int
    changed: int

    @classmethod
    def of(cls, record: EnvvarRecord) -> EnvvarOut:
        return cls(
            name=record.name,
            value=record.value_hint,
            created=int(record.created),
            changed=int(record.changed),
        )


class CredentialIn(In):
    name: str = Field(min_length=1, max_length=200)
    env: str = Field(min_length=1, max_length=128, description="The variable runs get it as")
    value: str = Field(description="Write-only: never shown again")


class CredentialOut(BaseModel):
    id: str
    name: str
    env: str
    value: str = Field(description="Masked: xxxx and the last 4 characters when longer than 8")
    created: int

    @classmethod
    def of(cls, record: CredentialRecord) -> CredentialOut:
        return cls(
            id=record.id,
            name=record.name,
            env=record.env,
            value=record.value_hint,
            created=int(record.created),
        )


class ActorOut(BaseModel):
    type: Literal["user", "token", "anonymous"]
    user: UserRef | None
    token: dict[str, str] | None = Field(description="{id, name} of the token used, if any")


class TargetOut(BaseModel):
    type: str
    id: str | None
    name: str | None


class AuditOut(BaseModel):
    id: str
    action: str = Field(description="e.g. run.create, job.update, member.remove, login.failed")
    actor: ActorOut
    project: ProjectRef | None
    target: TargetOut | None
    details: dict[str, Any]
    ip: str | None
    created: int

    @classmethod
    def of(cls, event: AuditRecord) -> AuditOut:
        user = None
        if event.actor_user_id is not None and event.actor_username is not None:
            user = UserRef(id=event.actor_user_id, username=event.actor_username)
        token = None
        if event.actor_token_id is not None:
            token = {"id": event.actor_token_id, "name": event.actor_token_name or ""}
        kind: Literal["user", "token", "anonymous"] = (
            "token" if token else "user" if user else "anonymous"
        )
        project = None
        if event.project_id is not None:
            project = ProjectRef(id=event.project_id, machine_name=event.project_machine_name or "")
        target = None
        if event.target_type is not None:
            target = TargetOut(type=event.target_type, id=event.target_id, name=event.target_name)
        return cls(
            id=event.id,
            action=event.action,
            actor=ActorOut(type=kind, user=user, token=token),
            project=project,
            target=target,
            details=event.details,
            ip=event.ip,
            created=int(event.created),
        )
