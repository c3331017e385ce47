"""Runners and their registration tokens."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In
from ishcd.db.run_queue import MAX_RUNNER_LABELS
from ishcd.db.runners import ListedRegistrationToken
from ishcd.services import registration_tokens, runners


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


def _stamp(value: float | None) -> int | None:
    return None if value is None else int(value)


class RunnerOut(BaseModel):
    id: str
    name: str
    labels: list[str]
    version: str | None
    host: str | None
    concurrency: int
    created: int
    last_contact: int | None
    running: int = Field(description="Runs it is running now")
    state: runners.State = Field(
        description="`paused` (gets no new work), `online` (heard from within "
        "`ISHCD_RUNNER_LOST_AFTER` seconds) or `offline`"
    )

    @classmethod
    def of(cls, status: runners.RunnerStatus) -> RunnerOut:
        runner = status.runner
        return cls(
            id=runner.id,
            name=runner.name,
            labels=sorted(runner.labels),
            version=runner.version,
            host=runner.host,
            concurrency=runner.concurrency,
            created=int(runner.created),
            last_contact=_stamp(runner.last_contact),
            running=status.running,
            state=status.state,
        )


class RegistrationTokenIn(In):
    description: str = Field(
        min_length=1,
        max_length=registration_tokens.MAX_DESCRIPTION,
        description="What the runners it registers are (e.g. `linux build fleet`)",
    )


class RegistrationTokenOut(BaseModel):
    id: str
    description: str
    created: int
    created_by: str | None = Field(description="The user name of its maker")
    last_used: int | None = Field(description="When it last registered a runner")

    @classmethod
    def of(cls, listed: ListedRegistrationToken) -> RegistrationTokenOut:
        token = listed.token
        return cls(
            id=token.id,
            description=token.description,
            created=int(token.created),
            created_by=listed.created_by_username,
            last_used=_stamp(token.last_used),
        )


class RegistrationTokenCreatedOut(RegistrationTokenOut):
    token: str = Field(
        description=f"The registration token (`{runners.REGISTRATION_PREFIX}…`), shown once"
    )
