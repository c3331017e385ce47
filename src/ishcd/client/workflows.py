"""Workflows through the API: their jobs, cancel, rerun and approve, by workflow id."""

from __future__ import annotations

from collections.abc import Sequence

from ishcd.client import errors
from ishcd.client.pipeline_models import Workflow, WorkflowJob
from ishcd.client.transport import Transport, decode, segment


class WorkflowHandle:
    """One workflow, by id: ``client.workflows(workflow_id)``."""

    def __init__(self, transport: Transport, workflow_id: str):
        self.id = workflow_id
        self._transport = transport
        self.path = f"/v1/workflows/{segment(workflow_id)}"

    def __repr__(self) -> str:
        return f"WorkflowHandle({self.id!r})"

    def get(self) -> Workflow:
        """Read the workflow."""
        return Workflow.from_json(self._transport.json("GET", self.path))

    refresh = get

    def jobs(self) -> list[WorkflowJob]:
        """The workflow's jobs in DAG order, each with its run and what it requires."""
        items = self._transport.items(self.path + "/jobs")
        return [WorkflowJob.from_json(item) for item in items]

    def cancel(self) -> Workflow:
        """Cancel the workflow: its runs are stopped, what has not started will not.

        A workflow that has already finished is a 409 :class:`~ishcd.client.errors.Conflict`.
        """
        return Workflow.from_json(self._transport.json("POST", self.path + "/cancel"))

    def rerun(
        self,
        *,
        from_failed: bool = False,
        jobs: Sequence[str] | None = None,
        request_token: str | None = None,
    ) -> Workflow:
        """Run the finished workflow again, as a new workflow of the same pipeline.

        All of it by default; with ``from_failed`` only the jobs that did not
        complete; with ``jobs`` only those. What requires a job run again runs
        again too; the other jobs keep their outcome and their runs. The same
        ``request_token`` returns the same new workflow (``replayed`` is then
        True) instead of starting another. A workflow still going is a 409
        :class:`~ishcd.client.errors.Conflict`; an unknown job a
        :class:`~ishcd.client.errors.ValidationFailed` on ``jobs[i]``.
        """
        body = {"from_failed": from_failed, "jobs": None if jobs is None else list(jobs)}
        response = self._transport.request(
            "POST", self.path + "/rerun", params={"request_token": request_token}, json=body
        )
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        answer = decode(response)
        new_id = answer.get("workflow_id") if isinstance(answer, dict) else None
        if not isinstance(new_id, str):
            raise errors.UnexpectedResponse(f"POST {self.path}/rerun: expected a workflow_id")
        data = self._transport.json("GET", f"/v1/workflows/{segment(new_id)}")
        return Workflow.from_json(data, replayed=replayed)

    def approve(self, job: str) -> Workflow:
        """Approve the workflow's approval job ``job``, held ``on_hold``: the workflow goes on.

        A job that is not an approval, or not waiting, is a 409
        :class:`~ishcd.client.errors.Conflict`; an unknown one a 404
        :class:`~ishcd.client.errors.NotFound`.
        """
        path = f"{self.path}/approve/{segment(job)}"
        return Workflow.from_json(self._transport.json("POST", path))
