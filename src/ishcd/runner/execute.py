"""Executing one run: workspace, bash in its own process group, live log.

The script runs as ``bash --noprofile --norc -eo pipefail script.sh`` in a
fresh workspace, in a new session (so its process group holds everything it
starts), with a clean environment. Output (stdout and stderr merged) goes to
the log as it is read, chunk by chunk; nothing accumulates in memory.
Timeout, cancel and shutdown end the whole group: TERM, a grace period, KILL.
When the script's bash exits, whatever it left running in its group is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ishcd.runner import keep
from ishcd.runner.child import Output, spawn
from ishcd.runner.guard import Guard
from ishcd.runner.masking import Masker
from ishcd.runner.processes import kill_processes_of, signal_group
from ishcd.runner.protocol import (
    Assignment,
    Control,
    Lease,
    LeaseLost,
    Outcome,
    RunnerProtocol,
)
from ishcd.runner.sections import SectionTracker

logger = logging.getLogger(__name__)

BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail")
READ_CHUNK = 64 * 1024
DRAIN_SECONDS = 1.0


@dataclass(frozen=True)
class RunnerConfig:
    work_dir: Path
    heartbeat_interval: float = 5.0
    kill_grace: float = 5.0
    keep_workspaces: bool = False


def base_env() -> dict[str, str]:
    """The clean environment every run starts from."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }


class LogWriter:
    """Appends to the run's log through the protocol, masked, keeping the byte offset.

    When the server says the lease is lost, ``lost`` is set and later output is
    dropped: the run is no longer this runner's to write.
    """

    def __init__(
        self,
        protocol: RunnerProtocol,
        lease: Lease,
        secrets: list[str],
        sections: SectionTracker | None = None,
        offset: int = 0,
    ):
        self.protocol = protocol
        self.lease = lease
        self.run_id = lease.run_id
        self.offset = offset  # a run queued again keeps its earlier attempts' log
        self.sections = sections  # the script's steps, found in what is written
        self.lost = asyncio.Event()
        self._masker = Masker(secrets)
        self._lock = asyncio.Lock()
        self._at_line_start = True

    async def write(self, data: bytes) -> None:
        """The script's output: secrets masked, even across writes."""
        await self._append(self._masker.feed(data))

    async def flush(self) -> None:
        """The output has ended (for now): write what the masker held back."""
        await self._append(self._masker.flush())

    async def note(self, message: str) -> None:
        """A line from Ish CD itself, set apart from the script's output."""
        await self.flush()
        apart = "" if self._at_line_start else "\n"  # after output that did not end its line
        await self._append(f"{apart}[ishcd] {message}\n".encode())

    async def _append(self, data: bytes) -> None:
        if not data or self.lost.is_set():
            return
        async with self._lock:
            try:
                await self.protocol.append_log(self.lease, self.offset, data)
            except LeaseLost:
                self.lost.set()
                return
            if self.sections is not None and self.sections.feed(self.offset, data):
                await self._report_sections()
            self.offset += len(data)
            self._at_line_start = data.endswith(b"\n")

    async def end_sections(self, outcome: Outcome) -> None:
        """The run is over: its last section ends as the run did."""
        if self.sections is None or not self.sections.sections:
            return
        async with self._lock:
            self.sections.finish(self.offset, outcome)
            await self._report_sections()

    async def _report_sections(self) -> None:
        assert self.sections is not None
        try:
            await self.protocol.report_sections(self.lease, list(self.sections.sections))
        except LeaseLost:
            self.lost.set()
        except Exception:  # the steps are a view of the log: the run goes on without them
            logger.exception("could not report the steps of run %s", self.run_id)


def exit_code_of(returncode: int) -> int:
    """Shell convention: a process killed by signal N exits 128+N."""
    return returncode if returncode >= 0 else 128 - returncode


async def _watch(protocol: RunnerProtocol, log: LogWriter, every: float) -> Control:
    """Heartbeats until the run is canceled or lost (by a heartbeat or a log append)."""
    lost = asyncio.create_task(log.lost.wait())
    canceled: asyncio.Task[bool] | None = None
    try:
        while True:
            canceled = asyncio.create_task(protocol.wait_canceled(log.lease, every))
            await asyncio.wait({canceled, lost}, return_when=asyncio.FIRST_COMPLETED)
            if lost.done():
                return Control.ABANDON
            if canceled.result():
                return Control.CANCEL
            control = await protocol.heartbeat(log.lease)
            if control is not Control.CONTINUE:
                return control
    finally:
        lost.cancel()
        if canceled is not None:
            canceled.cancel()


class _Writing:
    """Whether the pump is writing to the log (an append may wait out an outage)."""

    now = False


async def _pump(stream: Output, log: LogWriter, writing: _Writing) -> None:
    while chunk := await stream.read(READ_CHUNK):
        writing.now = True
        try:
            await log.write(chunk)
        finally:
            writing.now = False


class Execution:
    """One run on one slot; ``abort()`` ends it early (the runner is stopping)."""

    def __init__(
        self,
        assignment: Assignment,
        protocol: RunnerProtocol,
        runner_id: str,
        config: RunnerConfig,
        guard: Guard,
    ):
        self.assignment = assignment
        self.guard = guard
        self.protocol = protocol
        self.runner_id = runner_id
        self.config = config
        self.run_dir = config.work_dir / assignment.run_id
        self.lease = Lease(assignment.run_id, runner_id, assignment.attempt)
        tracker = SectionTracker() if assignment.sections else None
        self.log = LogWriter(
            protocol, self.lease, assignment.secrets, tracker, assignment.log_offset
        )
        self._abort = asyncio.Event()

    def abort(self) -> None:
        self._abort.set()

    async def run(self) -> Outcome:
        """Execute and report the outcome (unless the run was taken away)."""
        try:
            outcome, report = await self._execute()
        except Exception as exc:  # the runner must never leave a run unreported
            with contextlib.suppress(Exception):
                await self.log.note(f"runner failure: {exc!r}")
            outcome, report = Outcome(None, "setup_failed"), True
        # Before the finish: a run its retry queues again may start at once, here.
        if not self.config.keep_workspaces:
            await asyncio.to_thread(shutil.rmtree, self.run_dir, True)
        if report and not self.log.lost.is_set():
            await self.log.end_sections(outcome)
            try:
                await self.protocol.finish(self.lease, outcome)
            except LeaseLost:
                logger.warning("run %s was no longer this runner's at its end", self.lease.run_id)
        return outcome

    def _prepare(self) -> tuple[Path, Path]:
        if self.assignment.attempt > 1:  # a kept workspace of an earlier attempt
            shutil.rmtree(self.run_dir, ignore_errors=True)
        workspace = self.run_dir / "workspace"
        workspace.mkdir(parents=True, exist_ok=True)
        script = self.run_dir / "script.sh"
        script.write_text(self.assignment.script)
        return workspace, script

    def _env(self, workspace: Path) -> dict[str, str]:
        a = self.assignment
        return {
            **base_env(),
            **a.env,
            "ISHCD_RUN_ID": a.run_id,
            "ISHCD_PROJECT": a.project,
            "ISHCD_JOB": a.job,
            "ISHCD_WORKSPACE": str(workspace),
        }

    async def _execute(self) -> tuple[Outcome, bool]:
        try:
            workspace, script = self._prepare()
        except OSError as exc:
            await self.log.note(f"could not prepare the workspace: {exc}")
            return Outcome(None, "setup_failed"), True
        if self.assignment.checkout is not None:
            problem = await self._checkout(self.assignment.checkout, workspace)
            if problem is not None:
                await self.log.note(f"could not check the code out: {problem}")
                return Outcome(None, "setup_failed"), True
        outputs = self._keep_context(workspace)
        if outputs is not None:
            control = await self._beating(keep.before_script(outputs))
            if control is Control.CANCEL:
                await self.log.note("run canceled")
                return Outcome(None, "canceled"), True
            if control is Control.ABANDON or self.log.lost.is_set():
                return Outcome(None, "runner_lost"), False
        run_id = self.assignment.run_id
        self.guard.watch(run_id)  # from here, its processes die with this runner
        try:
            outcome, report = await self._supervise(workspace, script)
        finally:
            self.guard.release(run_id)
        if outputs is not None and report and outcome.error_reason in (None, "timed_out"):
            control = await self._beating(keep.after_script(outputs, outcome))
            if control is Control.CANCEL:
                await self.log.note("run canceled: its outputs were not all kept")
        return outcome, report

    def _keep_context(self, workspace: Path) -> keep.KeepContext | None:
        """What the run keeps around its script; None when its job declares nothing."""
        a = self.assignment
        if a.outputs.empty:
            return None
        return keep.KeepContext(
            self.protocol,
            self.lease,
            self.log,
            workspace,
            self.run_dir,
            self._env(workspace),
            a.outputs,
        )

    async def _beating(self, work: Coroutine[Any, Any, None]) -> Control:
        """Run ``work`` (restoring or keeping outputs, outside the script's timeout)
        with heartbeats, so that a long upload is not taken for a lost runner.
        A cancel or a lost lease stops it; what stopped it, or CONTINUE."""
        task = asyncio.create_task(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.config.heartbeat_interval)
                if task in done:
                    task.result()
                    return Control.CONTINUE
                if self.log.lost.is_set():
                    return Control.ABANDON
                control = await self.protocol.heartbeat(self.lease)
                if control is Control.ABANDON:
                    self.log.lost.set()
                if control is not Control.CONTINUE or self._abort.is_set():
                    return control if control is not Control.CONTINUE else Control.ABANDON
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _checkout(self, where: dict[str, str], workspace: Path) -> str | None:
        """Clone the run's code from where the protocol says; what went wrong, or None."""
        try:
            repository = await self.protocol.fetch_source(self.lease, where, self.run_dir)
        except LeaseLost:
            self.log.lost.set()
            return "the run is no longer this runner's"
        except Exception as exc:
            return f"could not fetch the code: {exc}"
        return await checkout({**where, "repository": repository}, workspace, self.log)

    async def _supervise(self, workspace: Path, script: Path) -> tuple[Outcome, bool]:
        """Start the script and see it to its end; every process of it gone on return."""
        try:
            child = await spawn([*BASH, str(script)], workspace, self._env(workspace))
        except OSError as exc:
            await self.log.note(f"could not start the run: {exc}")
            return Outcome(None, "setup_failed"), True
        self.guard.group(self.assignment.run_id, child.pid)
        exited = child.exited
        writing = _Writing()
        pump = asyncio.create_task(_pump(child.output, self.log, writing))
        watch = asyncio.create_task(_watch(self.protocol, self.log, self.config.heartbeat_interval))
        aborted = asyncio.create_task(self._abort.wait())
        try:
            waits: set[asyncio.Future[Any]] = {exited, watch, aborted}
            done, _ = await asyncio.wait(
                waits,
                timeout=self.assignment.timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            control = watch.result() if watch in done else None
            reason, report = await self._stop_if_needed(child.pid, exited, control)
        finally:
            watch.cancel()
            aborted.cancel()
            # Whatever the script left behind in its group goes with it.
            signal_group(child.pid, signal.SIGKILL)
            returncode = await exited
            await self._drain(pump, writing)
            await self.log.flush()
            child.close()
        return Outcome(exit_code_of(returncode), reason), report

    async def _drain(self, pump: asyncio.Task[None], writing: _Writing) -> None:
        """Read the output to its end; if a process that left the group still
        holds the pipe, find it by ``ISHCD_RUN_ID`` in its environment and kill it."""
        for attempt in range(2):
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(pump), DRAIN_SECONDS)
                    return
                if not writing.now:  # waiting on the pipe, not on the log: a holder
                    break
            if attempt == 0:
                run_id = self.assignment.run_id
                killed = await asyncio.to_thread(kill_processes_of, {run_id})
                if killed:
                    await self.log.note(f"killed {killed} processes the run left running")
        pump.cancel()

    async def _stop_if_needed(
        self, pgid: int, exited: asyncio.Future[int], control: Control | None
    ) -> tuple[str | None, bool]:
        """Stop the group unless the script ended; the error reason and whether to report."""
        if exited.done():
            return None, True
        if control is Control.ABANDON:
            reason, report, message = "runner_lost", False, "the server gave this run up"
        elif control is Control.CANCEL:
            reason, report, message = "canceled", True, "run canceled"
        elif self._abort.is_set():
            reason, report, message = "runner_lost", True, "the runner is shutting down"
        else:
            reason, report = "timed_out", True
            message = f"run timed out after {self.assignment.timeout} s"
        await self.log.note(f"{message}: stopping its processes")
        signal_group(pgid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), self.config.kill_grace)
        except TimeoutError:
            signal_group(pgid, signal.SIGKILL)
        return reason, report


async def checkout(where: dict[str, str], workspace: Path, log: LogWriter) -> str | None:
    """Clone ``where["repository"]`` into the (empty) workspace at ``where["revision"]``.

    A local mirror is cloned ``--shared`` (its objects are used, not copied).
    Returns what went wrong, or None.
    """
    repository, revision = where["repository"], where["revision"]
    await log.note(f"checking out {revision}")
    env = {**base_env(), "GIT_TERMINAL_PROMPT": "0", "LANG": "C"}
    steps = [
        ["git", "clone", "--quiet", "--shared", "--no-checkout", "--", repository, "."],
        ["git", "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", revision],
    ]
    for args in steps:
        done = await asyncio.to_thread(
            subprocess.run, args, cwd=workspace, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()
            return last[-1] if last else f"{' '.join(args[:2])} failed"
    return None
