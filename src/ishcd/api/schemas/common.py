"""Shapes shared by several resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

NUL = "\x00"
NUL_ERROR = "nul_character"


def _nul_in(value: Any) -> str | None:
    """Where ``value`` holds a NUL character: a path below it ("" for itself), or None.

    A key that holds one is reported as the mapping itself. Nested request
    models check their own fields, so they are not walked here.
    """
    if isinstance(value, str):
        return "" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return ""
            where = _nul_in(item)
            if where is not None:
                return f".{key}{where}"
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            where = _nul_in(item)
            if where is not None:
                return f"[{index}]{where}"
    return None


class In(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped, and no
    text anywhere in them may hold a NUL character (PostgreSQL cannot store one,
    and no name, script or value needs one): a 422 naming the field, on every
    database alike."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        where = _nul_in(value)
        if where is not None:
            # ``below`` lengthens the field's path in the answer (ishcd.api.errors).
            raise PydanticCustomError(
                NUL_ERROR, "must not contain NUL characters", {"below": where}
            )
        return value


class ProjectRef(BaseModel):
    id: str
    machine_name: str


class JobRef(BaseModel):
    id: str
    machine_name: str
    name: str


class UserRef(BaseModel):
    id: str
    username: str


class HealthOut(BaseModel):
    status: str
    version: str


class ReadyOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "down"]
    version: str
