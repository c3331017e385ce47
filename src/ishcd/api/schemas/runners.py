"""Runners and their registration tokens."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In
from ishcd.db.runs import MAX_RUNNER_LABELS
from ishcd.services import runners


class RegisterIn(In):
    token: str = Field(
        min_length=1,
        max_length=runners.MAX_SECRET,
        description=f"A registration token (`{runners.REGISTRATION_PREFIX}…`) from a site admin",
    )
    name: str = Field(min_length=1, max_length=runners.MAX_NAME)
    labels: list[str] = Field(
        default_factory=list,
        max_length=MAX_RUNNER_LABELS,
        description=f"At most {MAX_RUNNER_LABELS}, each {runners.LABEL_RULE}: a job runs here "
        "only when its labels are all among them",
    )
    version: str | None = Field(default=None, max_length=runners.MAX_VERSION)
    host: str | None = Field(default=None, max_length=runners.MAX_HOST)
    concurrency: int = Field(
        default=1, ge=1, le=runners.MAX_CONCURRENCY, description="Runs it takes at once"
    )


class RegisteredOut(BaseModel):
    id: str
    name: str
    labels: list[str]
    credential: str = Field(
        description=f"The runner's credential (`{runners.CREDENTIAL_PREFIX}…`), shown once: "
        "send it as `Authorization: Bearer …` on `/v1/runner/…`"
    )
