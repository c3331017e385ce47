"""What a run leaves behind, around its script: a cache restored before it;
artifacts, test reports and a cache saved after it.

Each part is its own module (``runner.artifacts``, ``runner.test_reports``,
``runner.caches``) and sends files through the runner protocol
(``RunnerProtocol.upload``), so the embedded runner and agents behave alike.
A part that fails writes a line in the run's log and the run goes on: what a
run leaves behind never changes how it ended. A lost lease stops everything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ishcd.outputs import Outputs
from ishcd.runner.protocol import Lease, LeaseLost, Outcome, RunnerProtocol

if TYPE_CHECKING:
    from ishcd.runner.execute import LogWriter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeepContext:
    protocol: RunnerProtocol
    lease: Lease
    log: LogWriter  # ``await log.note(...)``: a line from Ish CD in the run's log
    workspace: Path
    scratch: Path  # a directory of the run's own, outside the workspace (tars, downloads)
    env: dict[str, str]  # the run's environment (ISHCD_BRANCH, ISHCD_REVISION, ...)
    outputs: Outputs


def succeeded(outcome: Outcome) -> bool:
    return outcome.error_reason is None and outcome.exit_code == 0


async def before_script(ctx: KeepContext) -> None:
    """Restore the job's cache, if it names one."""
    from ishcd.runner import caches

    cache = ctx.outputs.cache
    if cache is not None and cache.restore:
        await _guarded(ctx, "restore the cache", lambda: caches.restore(ctx, cache))


async def after_script(ctx: KeepContext, outcome: Outcome) -> None:
    """Keep what the job declares: artifacts (as ``when`` says), test reports, and
    the cache (after a successful script only)."""
    from ishcd.runner import artifacts, caches, test_reports

    spec = ctx.outputs.artifacts
    ok = succeeded(outcome)
    if spec is not None and (spec.when == "always" or (spec.when == "on_success") == ok):
        await _guarded(ctx, "keep the artifacts", lambda: artifacts.keep(ctx, spec))
    reports = ctx.outputs.test_reports
    if reports:
        await _guarded(ctx, "send the test reports", lambda: test_reports.send(ctx, reports))
    cache = ctx.outputs.cache
    if ok and cache is not None and cache.save_key is not None:
        await _guarded(ctx, "save the cache", lambda: caches.save(ctx, cache))


async def _guarded(ctx: KeepContext, what: str, step: Callable[[], Awaitable[None]]) -> None:
    if ctx.log.lost.is_set():
        return
    try:
        await step()
    except LeaseLost:
        ctx.log.lost.set()
    except Exception as exc:
        logger.exception("run %s: could not %s", ctx.lease.run_id, what)
        await ctx.log.note(f"could not {what}: {exc}")
