"""The web UI: its pages, its static files, and the security headers of every answer."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ishcd.web.headers import SecurityHeaders
from ishcd.web.pages import (
    account,
    admin,
    admin_runners,
    auth,
    dashboard,
    integrations,
    job_run,
    jobs,
    members,
    pipeline_actions,
    pipeline_trigger,
    pipelines,
    project_audit,
    project_badges,
    project_runs,
    project_settings,
    project_tests,
    project_tokens,
    projects,
    runs,
)

STATIC = resources.files("ishcd.web") / "static"
# One line per page module (routes are matched in order: fixed paths such as
# /projects/new before /projects/{project}).
ROUTERS = [
    dashboard.home,
    auth.rest,
    auth.router,
    dashboard.router,
    integrations.router,
    account.router,
    admin.router,
    admin_runners.router,
    runs.router,
    pipeline_trigger.router,  # /pipelines/new before /pipelines/{number}
    pipelines.router,
    pipeline_actions.router,
    projects.router,
    project_runs.router,
    project_tests.router,
    members.router,
    project_settings.router,
    project_tokens.router,
    project_badges.router,
    project_audit.router,
    jobs.router,
    job_run.router,
]


def install(app: FastAPI) -> None:
    """Mount the pages and static files on ``app`` (the API's application)."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityHeaders)
