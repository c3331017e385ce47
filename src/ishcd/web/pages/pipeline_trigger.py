"""The trigger form: a pipeline's parameters as typed inputs, read from the config first.

The form is built from ``GET /v1/projects/{p}/pipelines/parameters``'s service: the
config at the branch, tag or revision named in the query (the default branch when
none), so a form exists before any pipeline does. Posting it is ``POST
/v1/projects/{p}/pipelines``. A project without a repository sends its config in
the trigger: the form asks for it, and for parameters as ``name=value`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.schemas.pipelines import PipelineIn
from ishcd.pipelines import params
from ishcd.services import pipeline_parameters, pipelines
from ishcd.services.pipeline_parameters import Declared
from ishcd.web.project_page import ProjectPage, open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, read_form, server_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
PARAM = "param."
REF_FIELDS = ("branch", "tag", "revision")
MAX_REF = 255


@dataclass(frozen=True)
class Field:
    """One parameter as the form shows it."""

    name: str
    type: str  # string | boolean | integer | enum
    value: str  # what the input holds: the value sent back, else the default
    required: bool
    values: tuple[str, ...]
    description: str | None


def _refs(source: dict[str, str]) -> dict[str, str | None]:
    """The branch, tag and revision a query or form names (blank: not named)."""
    found: dict[str, str | None] = {}
    for name in REF_FIELDS:
        value = source.get(name, "").strip()[: MAX_REF + 1]
        found[name] = value or None
    return found


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fields(declared: Declared | None, sent: dict[str, str]) -> list[Field]:
    if declared is None:
        return []
    return [
        Field(
            name=spec.name,
            type=spec.type,
            value=sent[spec.name] if spec.name in sent else _text(spec.default),
            required=spec.default is None,
            values=spec.values,
            description=spec.description,
        )
        for spec in declared.parameters
    ]


async def _declared(
    request: Request, page: ProjectPage, refs: dict[str, str | None]
) -> tuple[Declared | None, list[dict[str, str]]]:
    """The config's parameters at ``refs``; or, when they cannot be read, why not."""
    if page.project.repository is None:
        return None, []
    server = server_of(request)
    try:
        declared = await pipeline_parameters.declared_parameters(
            server.database,
            server.runtime,
            page.session.caller,
            page.project.id,
            branch=refs["branch"],
            tag=refs["tag"],
            revision=refs["revision"],
        )
    except exceptions.ValidationFailed as exc:
        return None, [e.as_dict() for e in exc.errors] or [{"field": "", "message": exc.message}]
    return declared, []


def _form(
    request: Request,
    page: ProjectPage,
    refs: dict[str, str | None],
    declared: Declared | None,
    *,
    sent: dict[str, str] | None = None,
    problems: list[dict[str, str]] | None = None,
    config: str = "",
    parameters_text: str = "",
    status_code: int = 200,
) -> Response:
    response = page.render(
        request,
        "pipeline_trigger.html",
        "pipelines",
        refs=refs,
        declared=declared,
        fields=_fields(declared, sent or {}),
        inline=page.project.repository is None,
        config=config,
        parameters_text=parameters_text,
        problems=problems or [],
    )
    response.status_code = status_code
    return response


@router.get("/projects/{project_ish}/pipelines/new")
async def trigger_form(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "write")
    query = dict(request.query_params)
    refs = _refs(query)
    declared, problems = await _declared(request, page, refs)
    # Values in the URL fill the form in (a link from a wiki, "Trigger again").
    sent = {
        key[len(PARAM) :]: value[: params.MAX_STRING]
        for key, value in query.items()
        if key.startswith(PARAM)
    }
    return _form(
        request,
        page,
        refs,
        declared,
        sent=sent,
        problems=problems,
        status_code=422 if problems else 200,
    )


def _inline_parameters(text: str) -> dict[str, str]:
    """``name=value`` lines (blank lines skipped) as a trigger's parameters."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise exceptions.ValidationFailed.one(
                "parameters", f"line {number}: write one name=value on each line"
            )
        found[name.strip()] = value
    return found


@router.post("/projects/{project_ish}/pipelines/new")
async def trigger(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, "write")
    form = await read_form(request, page.session)
    refs = _refs(form)
    inline = page.project.repository is None
    sent = {k[len(PARAM) :]: v for k, v in form.items() if k.startswith(PARAM)}
    config, parameters_text = form.get("config", ""), form.get("parameters", "")
    try:
        values: dict[str, Any] = {n: v for n, v in sent.items() if v != ""}  # blank: the default
        if inline:
            values = _inline_parameters(parameters_text)
        body = validate(
            PipelineIn,
            {**refs, "parameters": values, "config": (config or None) if inline else None},
        )
        server = server_of(request)
        pipeline = await pipelines.trigger_pipeline(
            server.database,
            server.runtime,
            page.session.caller,
            page.project.id,
            branch=body.branch,
            tag=body.tag,
            revision=body.revision,
            parameters=body.parameters,
            config=body.config,
        )
    except exceptions.ValidationFailed as exc:
        problems = [e.as_dict() for e in exc.errors] or [{"field": "", "message": exc.message}]
        declared, more = await _declared(request, page, refs)
        return _form(
            request,
            page,
            refs,
            declared,
            sent=sent,
            problems=problems + [p for p in more if p not in problems],
            config=config,
            parameters_text=parameters_text,
            status_code=422,
        )
    return redirect(
        f"{page.base}/pipelines/{pipeline.number}", f"Pipeline #{pipeline.number} triggered"
    )
