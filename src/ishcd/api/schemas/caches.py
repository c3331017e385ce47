"""A project's caches: as listed to members, and as the runner protocol finds them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ishcd.api.schemas.common import In
from ishcd.api.schemas.runner_jobs import Attempt
from ishcd.db.caches import CacheRecord
from ishcd.runner.cache_keys import MAX_KEY
from ishcd.services.caches import MAX_RESTORE_KEYS

Key = Annotated[str, Field(min_length=1, max_length=MAX_KEY)]


class CacheOut(BaseModel):
    id: int
    key: str = Field(description="The key it was saved under (resolved from the job's template)")
    size: int = Field(description="Bytes of its archive")
    sha256: str = Field(description="The archive's SHA-256 (hex)")
    created: int = Field(description="When it was saved")
    last_used: int = Field(description="When it was last saved or restored (eviction goes by it)")
    run_id: str | None = Field(description="The run that saved it")

    @classmethod
    def of(cls, record: CacheRecord) -> CacheOut:
        return cls(
            id=record.id,
            key=record.key,
            size=record.size,
            sha256=record.sha256,
            created=int(record.created),
            last_used=int(record.last_used),
            run_id=record.run_id,
        )


class CacheFindIn(In):
    attempt: int = Attempt
    keys: list[Key] = Field(
        min_length=1,
        max_length=MAX_RESTORE_KEYS,
        description="Resolved restore keys, in order: each matches a saved key equal to it, "
        "else the newest one it is a prefix of",
    )


class CacheHitOut(BaseModel):
    id: int = Field(description="Fetch its archive with GET …/caches/{id}")
    key: str
    sha256: str
    size: int


class CacheFindOut(BaseModel):
    cache: CacheHitOut | None = Field(description="The cache to restore; null: none matched")
