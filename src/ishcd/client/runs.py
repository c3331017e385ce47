"""Runs through the API: start one, list them, and act on one (wait, cancel, log)."""

from __future__ import annotations

import codecs
from collections.abc import Generator, Iterator, Mapping
from typing import Any

from ishcd.client import backoff, errors
from ishcd.client.artifacts import RunArtifacts
from ishcd.client.run import LogPart, Run
from ishcd.client.transport import Transport, decode, segment

RunList = list[Run]


class RunHandle:
    """One run, by id: under its job (``job.runs(id)``) or alone (``client.runs(id)``)."""

    def __init__(self, transport: Transport, run_id: str, prefix: str = "/v1"):
        self.id = run_id
        self._transport = transport
        self._path = f"{prefix}/runs/{segment(run_id)}"

    def __repr__(self) -> str:
        return f"RunHandle({self._path!r})"

    def __copy__(self) -> RunHandle:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> RunHandle:
        # A reference to the client's connections: copies of a Run share it.
        return self

    def get(self) -> Run:
        """Read the run."""
        return Run.from_json(self._transport.json("GET", self._path), self)

    refresh = get

    def cancel(self) -> Run:
        """Cancel the run: a queued one ends at once, a running one is stopped.

        A run that has already finished is a 409 :class:`~ishcd.client.errors.Conflict`.
        """
        return Run.from_json(self._transport.json("POST", self._path + "/cancel"), self)

    def wait(self, timeout: float | None = None) -> Run:
        """Poll until the run is ``complete`` or ``error`` and return it.

        Polls back off exponentially (0.1 s, doubling, at most 5 s apart). With a
        ``timeout`` in seconds, raise :class:`~ishcd.client.errors.WaitTimeout`
        (whose ``last`` is the run as last seen) if it has not finished by then.
        """
        try:
            return backoff.poll(self.get, lambda run: run.is_finished, timeout=timeout)
        except errors.WaitTimeout as exc:
            status = exc.last.status if isinstance(exc.last, Run) else "unfinished"
            raise errors.WaitTimeout(
                f"run {self.id} still {status} after {timeout:g}s", last=exc.last
            ) from None

    def log(self, offset: int = 0) -> LogPart:
        """The log from byte ``offset`` to its current end, and where to read on."""
        response = self._transport.request(
            "GET", self._path + "/log", params={"offset": offset}, headers={"Accept": "text/plain"}
        )
        try:
            next_offset = int(response.headers["X-Next-Offset"])
        except (KeyError, ValueError) as exc:
            raise errors.UnexpectedResponse("a log answer without X-Next-Offset") from exc
        complete = response.headers.get("X-Log-Complete", "").lower() == "true"
        return LogPart(response.content, next_offset, complete)

    def artifacts(self) -> RunArtifacts:
        """The run's kept files: list them, download them."""
        return RunArtifacts(self._transport, self._path)

    def stream_log(self, offset: int = 0, *, follow: bool = False) -> Iterator[bytes]:
        """The log's bytes from ``offset``, unchanged (ANSI colours, binary), in chunks.

        To its current end; with ``follow=True`` as it is written, until the run
        ends. Nothing is held whole in memory. Close the iterator to stop early.
        """
        params = {"offset": offset, "follow": 1 if follow else None}
        with self._transport.stream(self._path + "/log", params) as response:
            yield from response.iter_bytes()

    def follow(self, offset: int = 0) -> Generator[str, None, None]:
        """The log from byte ``offset`` as it is written, in chunks, until the run ends.

        Close the iterator (or stop iterating it inside ``contextlib.closing``)
        to stop following early.
        """
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        for chunk in self.stream_log(offset, follow=True):
            if text := decoder.decode(chunk):
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail


def run_of(transport: Transport, data: Any, *, replayed: bool = False) -> Run:
    """A run from its JSON, able to reach the server again by its id alone."""
    run_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(run_id, str):
        raise errors.UnexpectedResponse("expected a run, with an id")
    return Run.from_json(data, RunHandle(transport, run_id), replayed=replayed)


class _Runs:
    """A list of runs, newest first, with the filters of its path."""

    def __init__(self, transport: Transport, path: str):
        self._transport = transport
        self._path = path

    def _runs(self, items: list[Any]) -> RunList:
        return [run_of(self._transport, item) for item in items]

    def _list(
        self, filters: Mapping[str, str | None], page: int | None, per_page: int | None
    ) -> RunList:
        params = {**filters, "page": page, "per_page": per_page}
        return self._runs(self._transport.items(self._path, params))

    def _iter(self, filters: Mapping[str, str | None], per_page: int) -> Iterator[Run]:
        for items in self._transport.pages(self._path, {**filters, "per_page": per_page}):
            yield from self._runs(items)


class JobRuns(_Runs):
    """The runs of one job: ``client.projects(p).jobs(j).runs()``."""

    def create(
        self,
        env: Mapping[str, str] | None = None,
        *,
        wait: bool = False,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Run:
        """Start a run of the job with ``env`` values for its declared variables.

        Returns the queued run, or with ``wait=True`` the finished one (waiting
        at most ``timeout`` seconds, see :meth:`RunHandle.wait`). The same
        ``idempotency_key`` on the same job returns the first run again
        (``run.replayed`` is then True) instead of starting another.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        response = self._transport.request(
            "POST", self._path, json={"env": dict(env or {})}, headers=headers
        )
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        run = run_of(self._transport, decode(response), replayed=replayed)
        return run.wait(timeout) if wait else run

    def list(
        self, *, status: str | None = None, page: int | None = None, per_page: int | None = None
    ) -> RunList:
        """One page of the job's runs, newest first; ``status`` filters them."""
        return self._list({"status": status}, page, per_page)

    def iter_all(self, *, status: str | None = None, per_page: int = 100) -> Iterator[Run]:
        """Every run of the job, newest first, fetching page after page as needed."""
        return self._iter({"status": status}, per_page)


class ProjectRuns(_Runs):
    """The runs of all jobs of a project: ``client.projects(p).runs()``."""

    def list(
        self,
        *,
        status: str | None = None,
        job: str | None = None,
        pipeline: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> RunList:
        """One page of the project's runs, newest first.

        Filter by ``status``, stored ``job``, and ``pipeline`` (its number: the
        runs of that pipeline's jobs).
        """
        return self._list(_filters(status, job, pipeline), page, per_page)

    def iter_all(
        self,
        *,
        status: str | None = None,
        job: str | None = None,
        pipeline: int | None = None,
        per_page: int = 100,
    ) -> Iterator[Run]:
        """Every run of the project (filtered as :meth:`list`), newest first, page after page."""
        return self._iter(_filters(status, job, pipeline), per_page)


def _filters(status: str | None, job: str | None, pipeline: int | None) -> dict[str, str | None]:
    number = None if pipeline is None else str(int(pipeline))
    return {"status": status, "job": job, "pipeline": number}


def find_runs(transport: Transport, id_prefix: str, limit: int = 5) -> RunList:
    """The runs you can see whose id starts with ``id_prefix``, newest first, at most ``limit``."""
    params: dict[str, str | int | None] = {"id_prefix": id_prefix, "per_page": limit}
    return [run_of(transport, item) for item in transport.items("/v1/runs", params)]
