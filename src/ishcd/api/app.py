"""The FastAPI application: routers under /v1, errors, docs, the server's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from ishcd import __version__
from ishcd.api import errors, guard
from ishcd.api.routers import (
    account,
    artifacts,
    audit,
    auth,
    badges,
    caches,
    envvars,
    health,
    jobs,
    logs,
    members,
    pipelines,
    project_tokens,
    projects,
    runner,
    runner_uploads,
    runners,
    runs,
    test_reports,
    users,
    workflows,
)
from ishcd.server import Server
from ishcd.settings import Settings
from ishcd.web import app as web

PREFIX = "/v1"
# Most-used first: routes are matched in order.
ROUTERS = (
    runs.reads,
    runners.registration,
    runner.router,
    runner_uploads.router,
    *(
        m.router
        for m in (
            runs,
            logs,
            artifacts,
            test_reports,
            pipelines,
            workflows,
            jobs,
            badges,
            projects,
            members,
            project_tokens,
            envvars,
            caches,
            audit,
            account,
            users,
            runners,
            auth,
            health,
        )
    ),
    badges.keys,
)
DESCRIPTION = """\
Ish CD runs your ops jobs and CI/CD pipelines. Everything the web UI does goes
through this API.

Authenticate with `Authorization: Bearer <token>` (an API token, or a 12-hour
JWT from `GET /v1/auth/token?api_token=…`); `Authorization: Token <token>` and
HTTP Basic with the token as the user name work too.

Timestamps are Unix seconds. Lists are JSON arrays, paginated with `page` and
`per_page` (at most 100) and a `Link` header. Errors are
`{"message": "…", "errors": [{"field": "…", "message": "…"}]}`.
"""


def create_app(settings: Settings, server: Server | None = None) -> FastAPI:
    """The API application; it starts and stops ``server`` (made from ``settings``)."""
    the_server = server or Server(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await the_server.start()
        try:
            yield
        finally:
            await the_server.stop()

    app = FastAPI(
        title="Ish CD",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/swagger.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.server = the_server
    errors.install(app)
    app.add_middleware(
        guard.RequestGuard, max_body_bytes=settings.max_body_bytes, streamed=runner.STREAMED
    )
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    _mount_docs(app)
    web.install(app)
    _finish_openapi(app)
    return app


# Swagger UI, started by a script file: the Content-Security-Policy allows no inline script.
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ish CD API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script>
</body></html>
"""

PUBLIC = {
    f"{PREFIX}/health",
    f"{PREFIX}/health/ready",
    f"{PREFIX}/auth/token",
    f"{PREFIX}/auth/login",
    f"{PREFIX}/invitations/{{token}}",
    f"{PREFIX}/runner/register",
}

# Badges: a token or login if any, else the badge key (?key=) or public_badges.
BADGES = (
    f"{PREFIX}/projects/{{project_ish}}/badge.svg",
    f"{PREFIX}/projects/{{project_ish}}/jobs/{{job_ish}}/badge.svg",
)

# Agents' calls: only a runner's credential works there (ishcd.api.runner_auth).
RUNNER_PATHS = f"{PREFIX}/runner/jobs/"
RUNNER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A runner's credential (`ishr_…`, from `POST /v1/runner/register`): "
    "the only one `/v1/runner/jobs/…` takes, and taken nowhere else",
}


def _finish_openapi(app: FastAPI) -> None:
    """Declare the auth schemes once (instead of a parsing dependency on every
    route), and document FastAPI's own 422 answers with our error shape."""
    make = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = make()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An API token, or a JWT from /v1/auth/token. "
                "`Authorization: Token <token>` works too.",
            },
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "The API token as the user name, no password",
            },
        }
        schema["components"]["securitySchemes"]["runner"] = RUNNER_SCHEME
        schema["security"] = [{"bearer": []}, {"basic": []}]
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                if path in PUBLIC:
                    operation["security"] = []
                elif path in BADGES:
                    operation["security"] = [{"bearer": []}, {"basic": []}, {}]
                elif path.startswith(RUNNER_PATHS):
                    operation["security"] = [{"runner": []}]
                # The request guard answers these to any operation (ishcd.api.guard):
                # 422 for a NUL in the query, 413 for a body over the limit.
                operation["responses"].setdefault("422", {})
                _use_error_schema(operation)
                if path != f"{PREFIX}/health":  # liveness never asks the database
                    _document_unavailable(operation)
                if "requestBody" in operation:
                    operation["responses"].setdefault(
                        "413", {"description": errors.DESCRIPTIONS[413], "content": ERROR_CONTENT}
                    )
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def _use_error_schema(operation: dict[str, Any]) -> None:
    invalid = operation["responses"].get("422")
    if invalid is not None:
        invalid["description"] = errors.DESCRIPTIONS[422]
        invalid["content"] = ERROR_CONTENT


def _document_unavailable(operation: dict[str, Any]) -> None:
    """Any route that reads the database answers 503 while it is unavailable."""
    operation["responses"].setdefault(
        "503",
        {
            "description": errors.DESCRIPTIONS[503],
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        },
    )


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI, vendored in the web UI's static files: works with no internet access."""

    @app.get(f"{PREFIX}/documentation", include_in_schema=False)
    async def documentation() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
