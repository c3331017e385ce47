"""A run as the API returns it, and a slice of its log."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ishcd.client import models, pipeline_models

if TYPE_CHECKING:
    from ishcd.client.runs import RunHandle

QUEUED: Final = "queued"
RUNNING: Final = "running"
COMPLETE: Final = "complete"
ERROR: Final = "error"
STATUSES: Final = (QUEUED, RUNNING, COMPLETE, ERROR)
FINISHED: Final = frozenset({COMPLETE, ERROR})


@dataclass(frozen=True)
class LogPart:
    """Part of a run's log: the bytes from an offset to the log's current end."""

    data: bytes
    next_offset: int  # where to read on from
    complete: bool  # the run has finished and this part reaches the end of its log

    @property
    def text(self) -> str:
        """The bytes as text (a character cut by the offset shows as U+FFFD)."""
        return self.data.decode("utf-8", "replace")


@dataclass(frozen=True, kw_only=True)
class Run:
    """One execution of a job; ``status`` goes queued → running → complete | error.

    The JSON fields are attributes (``finished`` is the Unix time it ended, or
    None; ``log`` is a finished run's log). ``is_finished`` and ``ok`` say where
    it stands; ``refresh``, ``wait``, ``cancel``, ``read_log`` and ``follow`` act
    on it through the client that returned it, each returning fresh data.
    """

    id: str
    status: str
    duration: int
    created: int
    changed: int
    started: int | None
    finished: int | None
    exit_code: int | None
    error_reason: str | None
    env: dict[str, str]
    log: str | None
    log_truncated: bool
    log_removed: int | None = None  # when its log was deleted, past its retention
    job: models.JobRef
    project: models.ProjectRef
    created_by: models.UserRef | None
    # A pipeline job's run: its pipeline and workflow (None for a stored job's run).
    pipeline: pipeline_models.PipelineRef | None = None
    workflow: pipeline_models.WorkflowRef | None = None
    raw: dict[str, Any] = field(repr=False, compare=False)
    replayed: bool = False  # returned again for an idempotency key already used
    handle: RunHandle = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, handle: RunHandle, *, replayed: bool = False) -> Run:
        """A run from its JSON; ``handle`` is how it reaches the server again."""

        def build(d: models.Json) -> Run:
            return cls(
                id=d["id"],
                status=d["status"],
                duration=int(d["duration"]),
                created=int(d["created"]),
                changed=int(d["changed"]),
                started=models.int_or_none(d["started"]),
                finished=models.int_or_none(d["finished"]),
                exit_code=models.int_or_none(d["exit_code"]),
                error_reason=d["error_reason"],
                env=dict(d["env"]),
                log=d["log"],
                log_truncated=bool(d["log_truncated"]),
                log_removed=models.int_or_none(d.get("log_removed")),
                job=models.job_ref(d["job"]),
                project=models.project_ref(d["project"]),
                created_by=models.user_ref(d["created_by"]),
                pipeline=pipeline_models.pipeline_ref(d.get("pipeline")),
                workflow=pipeline_models.workflow_ref(d.get("workflow")),
                raw=dict(d),
                replayed=replayed,
                handle=handle,
            )

        return models.parse("run", data, build)

    @property
    def is_finished(self) -> bool:
        """True once the run is ``complete`` or ``error``: it will not change again."""
        return self.status in FINISHED

    @property
    def ok(self) -> bool:
        """True if the run ended ``complete`` (its script exited 0)."""
        return self.status == COMPLETE

    def refresh(self) -> Run:
        """The run as it is now."""
        return self.handle.get()

    def wait(self, timeout: float | None = None) -> Run:
        """Poll with back-off until the run has finished; see :meth:`RunHandle.wait`."""
        return self if self.is_finished else self.handle.wait(timeout)

    def cancel(self) -> Run:
        """Cancel the run (a 409 :class:`~ishcd.client.errors.Conflict` if it has finished)."""
        return self.handle.cancel()

    def read_log(self, offset: int = 0) -> LogPart:
        """The log from byte ``offset`` to its current end."""
        return self.handle.log(offset)

    def follow(self, offset: int = 0) -> Generator[str, None, None]:
        """The log from ``offset`` as it is written, until the run ends."""
        return self.handle.follow(offset)
