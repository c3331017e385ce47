"""Artifacts: a run's kept files."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ishcd.db.artifacts import ArtifactRecord


class ArtifactOut(BaseModel):
    path: str = Field(description="The file's path in the run's workspace, `/`-separated")
    size: int = Field(description="Bytes")
    sha256: str = Field(description="The SHA-256 of its content (hex): also its `ETag`")
    content_type: str = Field(description="By the name's extension; else application/octet-stream")
    url: str = Field(description="Where to download it (`Range` and `If-None-Match` work there)")
    created: int = Field(description="When it was kept")
    expires: int | None = Field(
        description="When the expiry sweep may remove it (never while it belongs to the "
        "latest successful run of its job and branch); null: kept for ever"
    )

    @classmethod
    def of(cls, record: ArtifactRecord, url: str) -> ArtifactOut:
        return cls(
            path=record.path,
            size=record.size,
            sha256=record.sha256,
            content_type=record.content_type,
            url=url,
            created=int(record.created),
            expires=None if record.expires is None else int(record.expires),
        )
