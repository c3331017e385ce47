"""Jobs through the API: ``project.jobs()`` and ``project.jobs("backup-prod")``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from ishcd.client.models import Job, Variable
from ishcd.client.runs import JobRuns, RunHandle
from ishcd.client.transport import Transport, segment

JobList = list[Job]
VariableSpec = Variable | Mapping[str, Any]


def _variables(variables: Sequence[VariableSpec]) -> list[dict[str, Any]]:
    return [v.to_json() if isinstance(v, Variable) else dict(v) for v in variables]


def _encode(fields: Mapping[str, object]) -> dict[str, object]:
    body = dict(fields)
    variables = body.get("variables")
    if isinstance(variables, list | tuple):
        body["variables"] = [v.to_json() if isinstance(v, Variable) else v for v in variables]
    return body


def _artifacts(artifacts: Sequence[str] | Mapping[str, Any] | None) -> object:
    if artifacts is None or isinstance(artifacts, Mapping):
        return None if artifacts is None else dict(artifacts)
    return list(artifacts)


class Jobs:
    """The jobs of one project."""

    def __init__(self, transport: Transport, project_path: str):
        self._transport = transport
        self._path = project_path + "/jobs"

    def list(self, *, page: int | None = None, per_page: int | None = None) -> JobList:
        """One page of the project's jobs, by machine name."""
        items = self._transport.items(self._path, {"page": page, "per_page": per_page})
        return [Job.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Job]:
        """Every job of the project, fetching page after page as needed."""
        for items in self._transport.pages(self._path, {"per_page": per_page}):
            yield from (Job.from_json(item) for item in items)

    def create(
        self,
        name: str,
        script: str,
        *,
        machine_name: str | None = None,
        description: str | None = None,
        variables: Sequence[VariableSpec] = (),
        timeout: int | None = None,
        labels: Sequence[str] = (),
        retry: int = 0,
        retry_only_lost: bool = False,
        artifacts: Sequence[str] | Mapping[str, Any] | None = None,
        cache: Mapping[str, Any] | None = None,
        test_reports: Sequence[str] | None = None,
    ) -> Job:
        """Create a job: a shell script, the variables a run may set, a timeout in seconds.

        ``variables`` are :class:`~ishcd.client.models.Variable` objects or dicts
        with the same keys (``name``, ``default``, ``required``, ``secret``,
        ``description``). A run goes only to a runner with all of ``labels``; one
        that ends error goes back to the queue up to ``retry`` times (only when its
        runner was lost, with ``retry_only_lost``).

        What its runs leave behind: ``artifacts``, glob patterns relative to the
        workspace (``["dist/*.whl"]``) or ``{"paths": [...], "when": "always" |
        "on_success" | "on_failure", "expire_in": "30d"}``; ``cache``, ``{"restore":
        [key templates], "save": {"key": template, "paths": [...]}}``; ``test_reports``,
        JUnit XML patterns. ``update`` takes the same fields (None clears one).
        """
        body = {
            "name": name,
            "script": script,
            "machine_name": machine_name,
            "description": description,
            "variables": _variables(variables),
            "timeout": timeout,
            "labels": list(labels),
            "retry": {"count": retry, "only_lost": retry_only_lost},
            "artifacts": _artifacts(artifacts),
            "cache": None if cache is None else dict(cache),
            "test_reports": None if test_reports is None else list(test_reports),
        }
        return Job.from_json(self._transport.json("POST", self._path, json=body))


class JobHandle:
    """One job of a project, by id or machine name ("job-ish")."""

    def __init__(self, transport: Transport, project_path: str, job: str):
        self.ish = job
        self._transport = transport
        self.path = f"{project_path}/jobs/{segment(job)}"

    def __repr__(self) -> str:
        return f"JobHandle({self.path!r})"

    def get(self) -> Job:
        """Read the job."""
        return Job.from_json(self._transport.json("GET", self.path))

    def update(self, **fields: object) -> Job:
        """Change the fields given (``name``, ``script``, ``variables``, ``timeout`` …).

        Runs already created keep the script and env they had.
        """
        return Job.from_json(self._transport.json("PATCH", self.path, json=_encode(fields)))

    def delete(self) -> None:
        """Delete the job with its runs and logs (none may be queued or running)."""
        self._transport.request("DELETE", self.path)

    @overload
    def runs(self) -> JobRuns: ...

    @overload
    def runs(self, run_id: str) -> RunHandle: ...

    def runs(self, run_id: str | None = None) -> JobRuns | RunHandle:
        """The job's runs (to start or list them), or with ``run_id`` that one run."""
        if run_id is None:
            return JobRuns(self._transport, self.path + "/runs")
        return RunHandle(self._transport, run_id, self.path)
