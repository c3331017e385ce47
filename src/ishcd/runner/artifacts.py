"""A run's artifacts: the files its job's patterns match, sent after the script.

Each file goes through the runner protocol (``upload``, kind "artifact", named
by its path in the workspace), so the embedded runner and agents keep the same.
What is refused (a pattern or a symlink leaving the workspace, a file past a
size limit) is a line in the log and the other files are still sent; a summary
line ends it: ``[ishcd] kept 3 artifacts (12.4 MB)``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ishcd.outputs import ArtifactsSpec
from ishcd.runner import globs
from ishcd.runner.protocol import UploadRefused
from ishcd.sizes import human_size

if TYPE_CHECKING:
    from ishcd.runner.keep import KeepContext


@dataclass
class _Tally:
    kept: int = 0
    size: int = 0
    refused: int = 0
    # Learned from the server's answers: files past them are not sent at all.
    max_file: int | None = None
    max_run: int | None = None
    run_total: int = 0

    def learn(self, answer: dict[str, Any]) -> None:
        for name in ("max_file", "max_run", "run_total"):
            value = answer.get(name)
            if isinstance(value, int):
                setattr(self, name, value)

    def past_limit(self, size: int) -> str | None:
        if self.max_file is not None and size > self.max_file:
            return (
                f"it is {size:,} bytes, past the limit of {self.max_file:,} bytes per file "
                "(ISHCD_ARTIFACT_MAX_FILE)"
            )
        if self.max_run is not None and self.run_total + size > self.max_run:
            return (
                f"it is {size:,} bytes and the run has kept {self.run_total:,}: past the "
                f"limit of {self.max_run:,} bytes per run (ISHCD_ARTIFACT_MAX_RUN)"
            )
        return None


async def keep(ctx: KeepContext, spec: ArtifactsSpec) -> None:
    """Send the files ``spec.paths`` match, one by one, and say what was kept."""
    matches = await asyncio.to_thread(globs.find_files, ctx.workspace, spec.paths)
    for problem in matches.problems:
        await ctx.log.note(f"artifacts: {problem}")
    tally = _Tally()
    for name in matches.files:
        refusal = await _send(ctx, tally, name)
        if refusal is not None:
            tally.refused += 1
            await ctx.log.note(
                refusal
                if refusal.startswith("artifact")
                else f"artifact {name!r} not kept: {refusal}"
            )
    await ctx.log.note(_summary(tally))


async def _send(ctx: KeepContext, tally: _Tally, name: str) -> str | None:
    """Send one file; why it was not kept, or None."""
    path = ctx.workspace / name
    try:
        size = path.stat().st_size
        problem = tally.past_limit(size)
        if problem is not None:
            return problem
        answer = await ctx.protocol.upload(ctx.lease, "artifact", name, path)
    except UploadRefused as exc:
        return exc.message
    except OSError as exc:  # gone or unreadable since it was found
        return exc.strerror or str(exc)
    tally.learn(answer)
    tally.kept += 1
    stored = answer.get("size")
    tally.size += stored if isinstance(stored, int) else size
    return None


def _summary(tally: _Tally) -> str:
    noun = "artifact" if tally.kept == 1 else "artifacts"
    line = f"kept {tally.kept} {noun} ({human_size(tally.size)})"
    if tally.refused:
        line += f"; {tally.refused} not kept"
    return line
