"""``python -m tests.e2e.failing_server server …``: the real ``ishcd server`` with
two routes added by the test, that fail the way a bug would, so a test can see
how an unexpected error is answered over a real connection. Nothing in the
product changes: the routes are added to the app ``create_app`` returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from ishcd import cli
from ishcd.api import app as app_module
from ishcd.server import Server
from ishcd.settings import Settings

FAIL_PATH = "/v1/test-only/fail"
_create_app = app_module.create_app


def create_app(settings: Settings, server: Server | None = None) -> FastAPI:
    app = _create_app(settings, server)

    @app.get(FAIL_PATH)
    async def fail() -> None:
        raise RuntimeError("a bug in a route")

    @app.post(FAIL_PATH)
    async def fail_before_reading(request: Request) -> Any:
        raise RuntimeError("a bug before the body was read")

    return app


if __name__ == "__main__":
    app_module.create_app = create_app
    cli.main()
