"""Pipelines through the API: trigger and list a project's, and act on one by id."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from ishcd.client import backoff, errors
from ishcd.client.pipeline_models import (
    SETTLED,
    STATUSES,
    Pipeline,
    PipelineConfig,
    Promotion,
    Workflow,
)
from ishcd.client.transport import Params, Transport, segment

PipelineList = list[Pipeline]


class PipelineHandle:
    """One pipeline, by id: ``client.pipelines(pipeline_id)``."""

    def __init__(self, transport: Transport, pipeline_id: str):
        self.id = pipeline_id
        self._transport = transport
        self.path = f"/v1/pipelines/{segment(pipeline_id)}"

    def __repr__(self) -> str:
        return f"PipelineHandle({self.id!r})"

    def get(self) -> Pipeline:
        """Read the pipeline: trigger, commit, parameters, config errors, status."""
        return Pipeline.from_json(self._transport.json("GET", self.path))

    refresh = get

    def config(self) -> PipelineConfig:
        """The pipeline's config as read (or sent) and as compiled into a plan."""
        return PipelineConfig.from_json(self._transport.json("GET", self.path + "/config"))

    def workflows(self) -> list[Workflow]:
        """The pipeline's workflows, reruns included, oldest first."""
        items = self._transport.items(self.path + "/workflows")
        return [Workflow.from_json(item) for item in items]

    def stop(self) -> Pipeline:
        """Stop the pipeline: every workflow is canceled and its runs stopped.

        A pipeline that has already finished is a 409 :class:`~ishcd.client.errors.Conflict`.
        The answer may still say ``running`` while the runs stop; :meth:`wait` for the end.
        """
        return Pipeline.from_json(self._transport.json("POST", self.path + "/stop"))

    def promotions(self) -> list[Promotion]:
        """The pipeline's promotions, automatic and by hand."""
        items = self._transport.items(self.path + "/promotions")
        return [Promotion.from_json(item) for item in items]

    def promote(self, name: str, *, override: bool = False) -> Promotion:
        """Start the promotion ``name`` of the pipeline's config: a follow-on pipeline.

        A pipeline that is not ``complete`` needs ``override=True`` (else a 409
        :class:`~ishcd.client.errors.Conflict`); a name the config does not have is a
        :class:`~ishcd.client.errors.ValidationFailed` on ``name``. The promotion's
        ``status`` is ``failed`` (with ``errors``) when its config did not compile.
        """
        body = {"name": name, "override": override}
        return Promotion.from_json(
            self._transport.json("POST", self.path + "/promotions", json=body)
        )

    def wait(self, timeout: float | None = None, until: Collection[str] = SETTLED) -> Pipeline:
        """Poll until the pipeline's status is one of ``until`` and return it.

        By default that is ``complete``, ``error`` or ``on_hold``: a pipeline on
        hold waits for someone to approve a job, so waiting on would never end
        by itself. Pass ``until={"complete", "error"}`` to wait through holds.
        Polls back off as :meth:`RunHandle.wait <ishcd.client.RunHandle.wait>`'s do;
        with a ``timeout`` in seconds, raise :class:`~ishcd.client.errors.WaitTimeout`
        (whose ``last`` is the pipeline as last seen) if it is not there by then.
        """
        wanted = _statuses(until)
        try:
            return backoff.poll(self.get, lambda p: p.status in wanted, timeout=timeout)
        except errors.WaitTimeout as exc:
            status = exc.last.status if isinstance(exc.last, Pipeline) else "unfinished"
            raise errors.WaitTimeout(
                f"pipeline {self.id} still {status} after {timeout:g}s", last=exc.last
            ) from None


def _statuses(until: Collection[str]) -> frozenset[str]:
    """``until`` as a set, checked: a typo would otherwise wait forever."""
    if isinstance(until, str):
        until = (until,)
    wanted = frozenset(until)
    unknown = sorted(wanted.difference(STATUSES))
    if unknown or not wanted:
        raise ValueError(f"until: {unknown or 'nothing'} is not among {', '.join(STATUSES)}")
    return wanted


class ProjectPipelines:
    """The pipelines of one project: ``client.projects(p).pipelines()``."""

    def __init__(self, transport: Transport, project_path: str):
        self._transport = transport
        self._path = project_path + "/pipelines"

    def trigger(
        self,
        branch: str | None = None,
        tag: str | None = None,
        revision: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        config: str | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Pipeline:
        """Trigger a pipeline and return it (read again after the trigger, so complete).

        The project's ``.ishcd.yml`` at ``branch``, ``tag`` or ``revision`` (the
        default branch if none), or ``config``: a config's text to use instead
        (required for a project without a repository). ``parameters`` are values
        for the config's ``parameters``; strings are fine for integers and
        booleans. Bad values are a :class:`~ishcd.client.errors.ValidationFailed`
        naming each (``parameters.NAME``); a config that does not compile is not
        an exception but a pipeline in ``error`` with ``error_reason``
        ``config_error`` and its ``errors``.

        With ``wait=True``, wait as :meth:`PipelineHandle.wait` does by default:
        until the pipeline is ``complete``, ``error`` or ``on_hold``, at most
        ``timeout`` seconds.
        """
        body = {
            "branch": branch,
            "tag": tag,
            "revision": revision,
            "parameters": dict(parameters or {}),
            "config": config,
        }
        created = self._transport.json("POST", self._path, json=body)
        pipeline_id = created.get("id") if isinstance(created, dict) else None
        if not isinstance(pipeline_id, str):
            raise errors.UnexpectedResponse(f"POST {self._path}: expected a pipeline, with an id")
        handle = PipelineHandle(self._transport, pipeline_id)
        return handle.wait(timeout) if wait else handle.get()

    def get(self, number: int) -> Pipeline:
        """The project's pipeline with this ``number`` (1, 2, …)."""
        return Pipeline.from_json(self._transport.json("GET", f"{self._path}/{int(number)}"))

    def list(
        self,
        *,
        branch: str | None = None,
        status: str | None = None,
        mine: bool = False,
        page: int | None = None,
        per_page: int | None = None,
    ) -> PipelineList:
        """One page of the project's pipelines, newest first.

        ``branch`` and ``status`` filter them; ``mine`` keeps those you triggered.
        """
        params = {**_filters(branch, status, mine), "page": page, "per_page": per_page}
        return [Pipeline.from_json(item) for item in self._transport.items(self._path, params)]

    def iter_all(
        self,
        *,
        branch: str | None = None,
        status: str | None = None,
        mine: bool = False,
        per_page: int = 100,
    ) -> Iterator[Pipeline]:
        """Every pipeline of the project, newest first, fetching page after page."""
        params = {**_filters(branch, status, mine), "per_page": per_page}
        for items in self._transport.pages(self._path, params):
            yield from (Pipeline.from_json(item) for item in items)


def _filters(branch: str | None, status: str | None, mine: bool) -> Params:
    return {"branch": branch, "status": status, "mine": "true" if mine else None}
