"""A run's JUnit reports: the files its job's patterns match, sent for parsing.

Each file goes to the server as it is (``upload`` kind ``test_report``, named by
its path in the workspace); the server parses it and answers with a line for
the log: how many tests, how many failed, or why it could not read it. A
report that cannot be read is a line in the log, never a failed run.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ishcd.runner import globs
from ishcd.runner.protocol import UploadRefused

if TYPE_CHECKING:
    from ishcd.runner.keep import KeepContext

# Report files sent from one run; the rest are named in the log as left out.
MAX_REPORTS = 200


async def send(ctx: KeepContext, patterns: tuple[str, ...]) -> None:
    matches = await asyncio.to_thread(globs.find_files, ctx.workspace, patterns)
    for problem in matches.problems:
        await ctx.log.note(f"test reports: {problem}")
    files = matches.files
    if len(files) > MAX_REPORTS:
        await ctx.log.note(
            f"test reports: {len(files)} files matched; only the first {MAX_REPORTS} are read"
        )
        files = files[:MAX_REPORTS]
    for name in files:
        try:
            answer = await ctx.protocol.upload(ctx.lease, "test_report", name, ctx.workspace / name)
        except UploadRefused as exc:
            await ctx.log.note(f"could not read test report {name}: {exc.message}")
            continue
        message = answer.get("message")
        await ctx.log.note(str(message) if message else f"test report {name} sent")
