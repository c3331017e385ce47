"""A run's JUnit reports: the files its job's patterns match, sent for parsing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ishcd.runner.keep import KeepContext


async def send(ctx: KeepContext, patterns: tuple[str, ...]) -> None:
    raise NotImplementedError  # issue 12, in progress
