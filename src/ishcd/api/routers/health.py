"""Liveness and readiness: no authentication.

``/health`` says the process is up and answering (a restart would not help
otherwise); ``/health/ready`` says whether it can serve requests now, i.e.
whether its database answers, so a load balancer sends traffic elsewhere
during an outage without the process being restarted.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ishcd import __version__
from ishcd.api.deps import ServerDep
from ishcd.api.schemas.common import HealthOut, ReadyOut
from ishcd.services import readiness

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
async def health() -> HealthOut:
    """Report that the server is up (liveness)."""
    return HealthOut(status="ok", version=__version__)


@router.get(
    "/health/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "Not ready: the database does not answer"}},
)
async def ready(server: ServerDep) -> JSONResponse:
    """Report whether the server can serve requests now (readiness)."""
    ok = await readiness.check_database(server.database, server.settings.ready_timeout)
    answer = ReadyOut(
        status="ok" if ok else "unavailable", database="ok" if ok else "down", version=__version__
    )
    return JSONResponse(answer.model_dump(), status_code=200 if ok else 503)
