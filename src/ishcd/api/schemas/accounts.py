"""Accounts and API tokens."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In
from ishcd.db.users import TokenRecord, UserRecord


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
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class TokenIn(In):
    name: str = Field(min_length=1, max_length=200, description="What the token is for")


class TokenOut(BaseModel):
    id: str
    name: str
    created: int
    last_used: int | None

    @classmethod
    def of(cls, token: TokenRecord) -> TokenOut:
        last_used = None if token.last_used is None else int(token.last_used)
        return cls(id=token.id, name=token.name, created=int(token.created), last_used=last_used)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The API token (a JWT). Shown this once only.")


class SessionTokenOut(BaseModel):
    token: str = Field(description="A JWT valid for 12 hours")
