"""Members, invitations, environment variables, credentials, audit events."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ishcd.api.schemas.accounts import EMAIL, AccountOut, Password
from ishcd.api.schemas.common import In, ProjectRef, UserRef
from ishcd.db.audit import AuditRecord
from ishcd.db.credentials import CredentialRecord
from ishcd.db.envvars import EnvvarRecord
from ishcd.db.projects import MemberRecord, ProjectRecord
from ishcd.services.access import Role


class MemberIn(In):
    username: str | None = Field(default=None, description="An existing account")
    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=EMAIL,
        description="Someone without an account: invite them with .../invite",
    )
    role: Role


class MemberPatch(In):
    role: Role


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
