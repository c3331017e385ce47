"""A job's pages: new, the job itself (script, variables, recent runs), edit, delete.

Each form calls the service its API operation calls (``POST``/``PATCH``/``DELETE
/v1/projects/{p}/jobs…``), with the API's own request model checking the
fields. Creating, editing and deleting a job is for project admins, as in
the API; the run form is in ``job_run``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from ishcd import exceptions, outputs_config
from ishcd.api.schemas.projects import JobIn, JobPatch
from ishcd.api.schemas.runs import run_fields
from ishcd.db.jobs import JobRecord
from ishcd.outputs import Outputs
from ishcd.services import jobs, runs
from ishcd.web.pages import job_form
from ishcd.web.pages.job_form import JobForm
from ishcd.web.project_page import ProjectPage, open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, context_of, read_form, server_of, validate

router = APIRouter(route_class=Page, include_in_schema=False)
RECENT_RUNS = 10
NEW = "new"  # /jobs/new is the form: a job with that machine name is reached by its id


def job_path(page: ProjectPage, job: JobRecord) -> str:
    """The job's page."""
    ish = job.id if job.machine_name == NEW else job.machine_name
    return f"{page.base}/jobs/{quote(ish, safe='')}"


async def find_job(request: Request, page: ProjectPage, job_ish: str) -> JobRecord:
    """The job of a page, with the caller's own access check (404 when absent)."""
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        _project, job = await jobs.get_job(conn, ctx.caller, page.project.id, job_ish)
    return job


def _form_page(
    request: Request,
    page: ProjectPage,
    form: JobForm,
    job: JobRecord | None,
    status: int = 200,
    problems: list[dict[str, str]] | None = None,
) -> Response:
    return page.render(
        request,
        "job_form.html",
        "jobs",
        status_code=status,
        form=form,
        job=job,
        action=f"{page.base}/jobs/new" if job is None else job_path(page, job) + "/edit",
        cancel=page.base if job is None else job_path(page, job),
        problems=problems or [],
        row_problems=job_form.problems_by_row(problems or []),
        empty_row=job_form.VariableRow(),
        max_rows=job_form.MAX_ROWS,
    )


def _problems(exc: exceptions.IshError, field: str = "") -> list[dict[str, str]]:
    return [e.as_dict() for e in exc.errors] or [{"field": field, "message": exc.message}]


def _with_more_rows(
    request: Request, page: ProjectPage, sent: dict[str, str], job: JobRecord | None
) -> Response | None:
    """The form again with more blank rows, when its "Add more rows" button sent it
    (the way to add rows without JavaScript; nothing is saved)."""
    if "add_rows" not in sent:
        return None
    form = job_form.parse(sent)
    blank = job_form.row_count(sent.get("var_rows"), 0) - len(form.rows)
    shown = form.with_spare_rows(max(blank, 0) + job_form.MORE_ROWS)
    return _form_page(request, page, shown, job)


@router.get("/projects/{project_ish}/jobs/new")
async def new_job(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, need="admin")
    spare = job_form.row_count(request.query_params.get("rows"))
    return _form_page(request, page, JobForm().with_spare_rows(spare), None)


@router.post("/projects/{project_ish}/jobs/new")
async def create_job(request: Request, project_ish: str) -> Response:
    page = await open_project(request, project_ish, need="admin")
    sent = await read_form(request, page.session)
    if (more := _with_more_rows(request, page, sent, None)) is not None:
        return more
    form = job_form.parse(sent)
    ctx = context_of(request)
    try:
        body = validate(JobIn, job_form.body(form, editing=False))
        names = body.names()
        async with ctx.db.transaction() as conn:
            _project, job = await jobs.create_job(
                conn,
                ctx.caller,
                page.project.id,
                ctx.server.vault,
                name=names["name"],
                machine_name=names.get("machine_name"),
                description=body.description,
                script=body.the_script,
                declared=[v.model_dump() for v in body.variables],
                timeout=body.timeout,
                labels=body.labels,
                retry=body.retry.count,
                retry_only_lost=body.retry.only_lost,
                outputs=body.outputs_sent(),
                limits=ctx.server.limits,
            )
    except exceptions.ValidationFailed as exc:
        return _form_page(request, page, form.with_spare_rows(), None, 422, _problems(exc))
    except exceptions.Conflict as exc:
        problems = _problems(exc, "machine_name")
        return _form_page(request, page, form.with_spare_rows(), None, 409, problems)
    return redirect(job_path(page, job), f"Job {job.name} created.")


@router.get("/projects/{project_ish}/jobs/{job_ish}")
async def show_job(request: Request, project_ish: str, job_ish: str) -> Response:
    page = await open_project(request, project_ish)
    ctx = context_of(request)
    async with ctx.db.read() as conn:
        _project, job = await jobs.get_job(conn, ctx.caller, page.project.id, job_ish)
        recent = await runs.list_runs(
            conn,
            ctx.caller,
            page.project.id,
            job_ish=job.id,
            status=None,
            limit=RECENT_RUNS,
            offset=0,
        )
    outputs = jobs.outputs_of(job)
    return page.render(
        request,
        "job_show.html",
        "jobs",
        job=job,
        job_url=job_path(page, job),
        declared=_declared(job),
        outputs=outputs,
        expire_in=_expire_in(outputs),
        runs=[run_fields(run) for run in recent],
        default_timeout=server_of(request).settings.default_job_timeout,
    )


def _expire_in(outputs: Outputs) -> str:
    """How long the job's artifacts are kept, as written in the form (30d, 12h...)."""
    if outputs.artifacts is None or outputs.artifacts.expire_in is None:
        return ""
    return outputs_config.duration_text(outputs.artifacts.expire_in)


def _declared(job: JobRecord) -> list[dict[str, Any]]:
    """The job's variables as the page shows them: a secret's default only as "set"."""
    return [
        {
            "name": item["name"],
            "required": item["required"],
            "secret": item["secret"],
            "description": item.get("description"),
            "has_default": item["default"] is not None or bool(item.get(jobs.ENCRYPTED_DEFAULT)),
            "default": None if item["secret"] else item["default"],
        }
        for item in job.variables
    ]


@router.get("/projects/{project_ish}/jobs/{job_ish}/edit")
async def edit_job(request: Request, project_ish: str, job_ish: str) -> Response:
    page = await open_project(request, project_ish, need="admin")
    job = await find_job(request, page, job_ish)
    spare = job_form.row_count(request.query_params.get("rows"))
    return _form_page(request, page, job_form.of_job(job).with_spare_rows(spare), job)


@router.post("/projects/{project_ish}/jobs/{job_ish}/edit")
async def update_job(request: Request, project_ish: str, job_ish: str) -> Response:
    page = await open_project(request, project_ish, need="admin")
    sent = await read_form(request, page.session)
    job = await find_job(request, page, job_ish)
    if (more := _with_more_rows(request, page, sent, job)) is not None:
        return more
    form = job_form.parse(sent)
    ctx = context_of(request)
    try:
        patch = validate(JobPatch, job_form.body(form, editing=True))
        async with ctx.db.transaction() as conn:
            _project, job = await jobs.update_job(
                conn,
                ctx.caller,
                page.project.id,
                job.id,
                ctx.server.vault,
                patch.changes(),
                ctx.server.limits,
            )
    except exceptions.ValidationFailed as exc:
        return _form_page(request, page, form.with_spare_rows(), job, 422, _problems(exc))
    except exceptions.Conflict as exc:
        problems = _problems(exc, "machine_name")
        return _form_page(request, page, form.with_spare_rows(), job, 409, problems)
    return redirect(job_path(page, job), f"Job {job.name} saved.")


@router.post("/projects/{project_ish}/jobs/{job_ish}/delete")
async def delete_job(request: Request, project_ish: str, job_ish: str) -> Response:
    page = await open_project(request, project_ish, need="admin")
    await read_form(request, page.session)
    ctx = context_of(request)
    async with ctx.db.transaction() as conn:
        _project, job = await jobs.get_job(conn, ctx.caller, page.project.id, job_ish)
        await jobs.delete_job(conn, ctx.caller, page.project.id, job.id, ctx.server.logs)
    return redirect(page.base, f"Job {job.name} deleted.")
