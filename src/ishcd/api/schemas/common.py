"""Shapes shared by several resources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class In(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


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
