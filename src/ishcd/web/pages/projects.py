"""A project's first pages: New project, and the Jobs tab (each job with its newest run)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api import errors
from ishcd.api.deps import public_base
from ishcd.api.schemas.projects import ProjectIn
from ishcd.services import badges, overview, projects
from ishcd.web.project_page import open_project
from ishcd.web.render import redirect, render
from ishcd.web.routing import Page, context_of, page_number, read_form, session_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
JOBS_PER_PAGE = 50
PROJECT_FIELDS = ("name", "machine_name", "description", "repository", "default_branch")


def problems_of(exc: exceptions.IshError) -> list[dict[str, str]]:
    """What a form shows above itself: each field's problem, or the message alone."""
    listed = [e.as_dict() for e in exc.errors]
    return listed or [{"field": "", "message": exc.message}]


def filled(form: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The form's non-blank values among ``names`` (a blank field means 'not given')."""
    return {name: form[name].strip() for name in names if form.get(name, "").strip()}


@router.get("/projects/new")
async def new_project_form(request: Request) -> Response:
    return render(request, "projects_new.html", session_of(request), values={}, problems=[])


@router.post("/projects/new")
async def create_project(request: Request) -> Response:
    session = session_of(request)
    form = await read_form(request, session)
    values = filled(form, PROJECT_FIELDS)
    ctx = context_of(request)
    try:
        body = validate(ProjectIn, values)
        async with ctx.server.database.transaction() as conn:
            project = await projects.create_project(
                conn,
                ctx.caller,
                name=body.name,
                machine_name=body.machine_name,
                description=body.description,
                repository=body.repository,
                default_branch=body.default_branch,
                log_retention_days=body.log_retention_days,
                server_retention_days=ctx.server.settings.log_retention_days,
            )
    except (exceptions.ValidationFailed, exceptions.Conflict) as exc:
        return render(
            request,
            "projects_new.html",
            session,
            status_code=errors.status_of(exc),
            values=values,
            problems=problems_of(exc),
        )
    return redirect(f"/projects/{project.machine_name}", f"Project {project.name} created.")


@router.get("/projects/{project_ish}")
async def jobs_tab(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish)
    number = page_number(request)
    ctx = context_of(request)
    async with ctx.server.database.read() as conn:
        _, found = await overview.list_job_overviews(
            conn,
            ctx.caller,
            page.project.id,
            JOBS_PER_PAGE + 1,
            (number - 1) * JOBS_PER_PAGE,
        )
    project = await badges.ensure_key(ctx.server.database, page.project)
    extra: dict[str, Any] = {
        "page": number,
        "has_next": len(found) > JOBS_PER_PAGE,
        "badge": badges.links(project, public_base(request)),
    }
    return page.render(request, "project_jobs.html", "jobs", jobs=found[:JOBS_PER_PAGE], **extra)
