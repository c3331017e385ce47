"""Users, members, project tokens, secrets and audit events as the API returns them.

Like :mod:`ishcd.client.models`: the JSON fields as attributes, ``raw`` the
JSON object as received. A ``role`` is ``read``, ``write`` or ``admin``.
Secret values are never returned: ``value`` is the API's mask (``xxxx`` and,
for values longer than 8 characters, their last 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ishcd.client import models
from ishcd.client.models import Json, int_or_none, parse

ROLES: Final = ("read", "write", "admin")


@dataclass(frozen=True, kw_only=True)
class User:
    """An account as site admins see it (``client.users()``)."""

    id: str
    username: str
    name: str | None
    email: str | None
    is_admin: bool
    disabled: bool
    created: int
    changed: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> User:
        return parse("user", data, lambda d: cls(**_user_fields(d), raw=dict(d)))


@dataclass(frozen=True, kw_only=True)
class CreatedUser(User):
    """A user just created: ``password`` is the generated one (shown this once), or None."""

    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedUser:
        def build(d: Json) -> CreatedUser:
            return cls(**_user_fields(d), password=d.get("password"), raw=dict(d))

        return parse("user", data, build)


def _user_fields(d: Json) -> dict[str, Any]:
    return {
        "id": d["id"],
        "username": d["username"],
        "name": d["name"],
        "email": d["email"],
        "is_admin": bool(d["is_admin"]),
        "disabled": bool(d.get("disabled", False)),
        "created": int(d["created"]),
        "changed": int(d["changed"]),
    }


@dataclass(frozen=True, kw_only=True)
class Member:
    """A project member: an account (``user``), or someone invited by ``email``."""

    id: str
    user: models.UserRef | None
    email: str | None
    role: str
    status: str  # "active", or "invited" until the invitation is accepted
    created: int
    changed: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def who(self) -> str:
        """The user name, or the invited e-mail address."""
        return self.user.username if self.user else (self.email or "")

    @classmethod
    def from_json(cls, data: Any) -> Member:
        def build(d: Json) -> Member:
            return cls(
                id=d["id"],
                user=models.user_ref(d["user"]),
                email=d["email"],
                role=d["role"],
                status=d["status"],
                created=int(d["created"]),
                changed=int(d["changed"]),
                raw=dict(d),
            )

        return parse("member", data, build)


@dataclass(frozen=True, kw_only=True)
class Invitation:
    """A one-time link for an invited member: pass ``url`` on (Ish CD sends no mail)."""

    url: str
    token: str = field(repr=False)
    expires: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Invitation:
        def build(d: Json) -> Invitation:
            return cls(url=d["url"], token=d["token"], expires=int(d["expires"]), raw=dict(d))

        return parse("invitation", data, build)


@dataclass(frozen=True, kw_only=True)
class ProjectToken:
    """A project token's record (never the token itself): it acts with ``role``."""

    id: str
    name: str
    role: str
    project: models.ProjectRef
    created: int
    last_used: int | None
    expires: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ProjectToken:
        return parse("project token", data, lambda d: cls(**_token_fields(d), raw=dict(d)))


@dataclass(frozen=True, kw_only=True)
class CreatedProjectToken(ProjectToken):
    """A project token just created: ``token`` is the API token, shown this once."""

    token: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedProjectToken:
        def build(d: Json) -> CreatedProjectToken:
            return cls(**_token_fields(d), token=d["token"], raw=dict(d))

        return parse("project token", data, build)


def _token_fields(d: Json) -> dict[str, Any]:
    return {
        "id": d["id"],
        "name": d["name"],
        "role": d["role"],
        "project": models.project_ref(d["project"]),
        "created": int(d["created"]),
        "last_used": int_or_none(d["last_used"]),
        "expires": int_or_none(d["expires"]),
    }


@dataclass(frozen=True, kw_only=True)
class Envvar:
    """A project env var: every run of the project gets it; ``value`` is masked."""

    name: str
    value: str
    created: int
    changed: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Envvar:
        def build(d: Json) -> Envvar:
            return cls(
                name=d["name"],
                value=d["value"],
                created=int(d["created"]),
                changed=int(d["changed"]),
                raw=dict(d),
            )

        return parse("env var", data, build)


@dataclass(frozen=True, kw_only=True)
class Credential:
    """One of your credentials: runs you start get it as ``env``; ``value`` is masked."""

    id: str
    name: str
    env: str
    value: str
    created: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Credential:
        def build(d: Json) -> Credential:
            return cls(
                id=d["id"],
                name=d["name"],
                env=d["env"],
                value=d["value"],
                created=int(d["created"]),
                raw=dict(d),
            )

        return parse("credential", data, build)


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who did it: ``type`` is ``user`` (a login), ``token`` or ``anonymous``."""

    type: str
    user: models.UserRef | None
    token_id: str | None
    token_name: str | None

    def __str__(self) -> str:
        if self.user is None:
            return self.type
        if self.token_name is not None:
            return f"{self.user.username} (token {self.token_name})"
        return self.user.username


@dataclass(frozen=True, kw_only=True)
class Target:
    """What an audit event is about: ``type`` (``run``, ``member`` …), its id and name."""

    type: str
    id: str | None
    name: str | None


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """One change (or login) in the audit log."""

    id: str
    action: str
    actor: Actor
    project: models.ProjectRef | None
    target: Target | None
    details: dict[str, Any]
    ip: str | None
    created: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> AuditEvent:
        def build(d: Json) -> AuditEvent:
            actor, token, target = d["actor"], d["actor"].get("token"), d["target"]
            return cls(
                id=d["id"],
                action=d["action"],
                actor=Actor(
                    type=actor["type"],
                    user=models.user_ref(actor["user"]),
                    token_id=None if token is None else token["id"],
                    token_name=None if token is None else token["name"],
                ),
                project=None if d["project"] is None else models.project_ref(d["project"]),
                target=None
                if target is None
                else Target(type=target["type"], id=target["id"], name=target["name"]),
                details=dict(d["details"]),
                ip=d["ip"],
                created=int(d["created"]),
                raw=dict(d),
            )

        return parse("audit event", data, build)
