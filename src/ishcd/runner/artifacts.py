"""A run's artifacts: the files its job's patterns match, sent after the script."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ishcd.outputs import ArtifactsSpec

if TYPE_CHECKING:
    from ishcd.runner.keep import KeepContext


async def keep(ctx: KeepContext, spec: ArtifactsSpec) -> None:
    raise NotImplementedError  # issue 12, in progress
