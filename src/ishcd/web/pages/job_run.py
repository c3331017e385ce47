"""The Run form: one field per declared variable; posting it starts a run.

It starts the run through the service ``POST /v1/projects/{p}/jobs/{j}/runs``
calls, for the same callers (write role). The form can be prefilled from the
URL (``…/run?NAME=value``): a value there replaces the variable's default.
Names the job does not declare are ignored and listed in a note (a link in a
wiki may outlive a variable); so are values for secret variables, which a
link should not carry. A secret's stored default never reaches the browser:
its field is empty, and left empty the run gets that default.

Posted, an empty field is left out of the run's env so the job's default
applies; a required one is sent empty instead, so that the service reports
it as missing. Each form carries a fresh ``request_token`` (the API's
idempotency key): a form sent twice starts one run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from ishcd import exceptions
from ishcd.api.schemas.runs import RunIn
from ishcd.db.jobs import JobRecord
from ishcd.services import jobs, runs
from ishcd.web.pages.jobs import find_job, job_path
from ishcd.web.project_page import ProjectPage, open_project
from ishcd.web.render import redirect
from ishcd.web.routing import Page, context_of, read_form, validate

router = APIRouter(route_class=Page, include_in_schema=False)
FIELD = "env."  # a variable's form field is "env.NAME"
MAX_TOKEN = 255  # as the API's Idempotency-Key
MAX_NOTED = 20  # ignored URL names listed at most
MAX_NOTED_NAME = 100


@dataclass(frozen=True, slots=True)
class RunField:
    name: str
    value: str  # never a secret's value
    required: bool
    secret: bool
    stored_default: bool  # a secret whose default stays on the server
    has_default: bool
    description: str | None
    problem: str | None = None

    @property
    def multiline(self) -> bool:
        return "\n" in self.value


def _fields(
    job: JobRecord, values: dict[str, str], problems: dict[str, str] | None = None
) -> list[RunField]:
    problems = problems or {}
    out = []
    for item in job.variables:
        name, secret = item["name"], item["secret"]
        default = item["default"] if item["default"] is not None else ""
        out.append(
            RunField(
                name=name,
                value="" if secret else values.get(name, default),
                required=item["required"],
                secret=secret,
                stored_default=secret and bool(item.get(jobs.ENCRYPTED_DEFAULT)),
                has_default=item["default"] is not None or bool(item.get(jobs.ENCRYPTED_DEFAULT)),
                description=item.get("description"),
                problem=problems.get(name),
            )
        )
    return out


def _prefill(job: JobRecord, request: Request) -> tuple[dict[str, str], list[str], list[str]]:
    """Values from the URL; the names ignored as unknown, and as secret."""
    declared = {item["name"]: item for item in job.variables}
    values: dict[str, str] = {}
    unknown: list[str] = []
    secret: list[str] = []
    for name, value in request.query_params.multi_items():
        item = declared.get(name)
        if item is None:
            if name not in unknown:
                unknown.append(name)
        elif item["secret"]:
            if name not in secret:
                secret.append(name)
        else:
            values[name] = value.replace("\r\n", "\n")
    noted = [n[:MAX_NOTED_NAME] for n in unknown[:MAX_NOTED]]
    if len(unknown) > MAX_NOTED:
        noted.append(f"and {len(unknown) - MAX_NOTED} more")
    return values, noted, secret


def _form_page(
    request: Request,
    page: ProjectPage,
    job: JobRecord,
    fields: list[RunField],
    status: int = 200,
    **context: Any,
) -> Response:
    context.setdefault("unknown", [])
    context.setdefault("secret_ignored", [])
    context.setdefault("problems", [])
    return page.render(
        request,
        "job_run.html",
        "jobs",
        status_code=status,
        job=job,
        job_url=job_path(page, job),
        fields=fields,
        request_token=secrets.token_urlsafe(18),
        **context,
    )


@router.get("/projects/{project_ish}/jobs/{job_ish}/run")
async def run_form(request: Request, project_ish: str, job_ish: str) -> Response:
    page = await open_project(request, project_ish, need="write")
    job = await find_job(request, page, job_ish)
    values, unknown, secret = _prefill(job, request)
    return _form_page(
        request, page, job, _fields(job, values), unknown=unknown, secret_ignored=secret
    )


def _env(job: JobRecord, sent: dict[str, str]) -> dict[str, str]:
    env = {}
    for item in job.variables:
        name = item["name"]
        value = sent.get(FIELD + name, "").replace("\r\n", "\n")
        keeps_stored = item["secret"] and item.get(jobs.ENCRYPTED_DEFAULT)
        if value or (item["required"] and not keeps_stored):
            env[name] = value
    return env


@router.post("/projects/{project_ish}/jobs/{job_ish}/run")
async def start_run(request: Request, project_ish: str, job_ish: str) -> Response:
    page = await open_project(request, project_ish, need="write")
    sent = await read_form(request, page.session)
    job = await find_job(request, page, job_ish)
    env = _env(job, sent)
    token = sent.get("request_token") or None
    ctx = context_of(request)
    try:
        if token is not None and len(token) > MAX_TOKEN:
            raise exceptions.ValidationFailed.one(
                "request_token", f"must be at most {MAX_TOKEN} characters"
            )
        body = validate(RunIn, {"env": env})
        async with ctx.db.transaction() as conn:
            created = await runs.create_run(
                conn,
                ctx.caller,
                page.project.id,
                job.id,
                env=body.env or {},
                idempotency_key=token,
                default_timeout=ctx.server.settings.default_job_timeout,
                signals=ctx.server.signals,
                vault=ctx.server.vault,
                limits=ctx.server.limits,
            )
    except exceptions.ValidationFailed as exc:
        problems = [e.as_dict() for e in exc.errors] or [{"field": "", "message": exc.message}]
        by_name = {
            p["field"].removeprefix(FIELD): p["message"]
            for p in problems
            if p["field"].startswith(FIELD)
        }
        kept = {item["name"]: sent.get(FIELD + item["name"], "") for item in job.variables}
        fields = _fields(job, kept, by_name)
        return _form_page(request, page, job, fields, 422, problems=problems)
    run = created.run
    notice = "Run started." if not created.replayed else "This form had already started this run."
    return redirect(f"{page.base}/runs/{run.id}", notice)
