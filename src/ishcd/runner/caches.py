"""A job's cache: restored before the script, saved after a successful one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ishcd.outputs import CacheSpec

if TYPE_CHECKING:
    from ishcd.runner.keep import KeepContext


async def restore(ctx: KeepContext, spec: CacheSpec) -> None:
    raise NotImplementedError  # issue 12, in progress


async def save(ctx: KeepContext, spec: CacheSpec) -> None:
    raise NotImplementedError  # issue 12, in progress
