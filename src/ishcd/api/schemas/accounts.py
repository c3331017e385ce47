"""Accounts, users, login and API tokens."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In, ProjectRef
from ishcd.db.users import TokenRecord, UserRecord
from ishcd.services.access import Role
from ishcd.services.passwords import MIN_LENGTH

EMAIL = r"^[^@\s]+@[^@\s]+$"
Password = Field(min_length=MIN_LENGTH, max_length=1024)


def _stamp(value: float | None) -> int | None:
    return None if value is None else int(value)


class AccountOut(BaseModel):
    id: str
    username: str
    name: str | None
    email: str | None
    is_admin: bool
    created: int
    changed: int

    @classmethod
    def of(cls, user: UserRecord) -> AccountOut:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            is_admin=user.is_admin,
            created=int(user.created),
            changed=int(user.changed),
        )


class AccountPatch(In):
    username: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    password: str | None = Field(
        default=None, min_length=MIN_LENGTH, max_length=1024, description="A new password"
    )
    current_password: str | None = Field(
        default=None, max_length=1024, description="Required with `password`"
    )


class UserOut(AccountOut):
    disabled: bool

    @classmethod
    def of(cls, user: UserRecord) -> UserOut:
        return cls(**AccountOut.of(user).model_dump(), disabled=user.disabled)


class UserCreatedOut(UserOut):
    password: str | None = Field(description="The generated password, when none was given")


class UserIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=1024,
        description="A random one is made (and returned once) when absent",
    )
    is_admin: bool = False
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL)


class UserPatch(In):
    username: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    is_admin: bool | None = None
    disabled: bool | None = Field(default=None, description="A disabled user's tokens stop at once")
    password: str | None = Field(default=None, min_length=MIN_LENGTH, max_length=1024)


class LoginIn(In):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(In):
    name: str = Field(min_length=1, max_length=200, description="What the token is for")
    expires: int | None = Field(
        default=None, ge=1, le=3650, description="Days until it stops working; never when null"
    )


class ProjectTokenIn(TokenIn):
    role: Role = Field(description="At most your own role in the project")


class TokenOut(BaseModel):
    id: str
    name: str
    created: int
    last_used: int | None
    expires: int | None

    @classmethod
    def of(cls, token: TokenRecord) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            created=int(token.created),
            last_used=_stamp(token.last_used),
            expires=_stamp(token.expires),
        )


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The API token (a JWT). Shown this once only.")


class ProjectTokenOut(TokenOut):
    role: Role
    project: ProjectRef

    @classmethod
    def of_project(cls, token: TokenRecord, project: ProjectRef) -> ProjectTokenOut:
        return cls(
            **TokenOut.of(token).model_dump(),
            role=token.role,
            project=project,
        )


class ProjectTokenCreatedOut(ProjectTokenOut):
    token: str = Field(description="The API token (a JWT). Shown this once only.")


class SessionTokenOut(BaseModel):
    token: str = Field(description="A JWT valid for 12 hours")
