"""Liveness: no authentication."""

from __future__ import annotations

from fastapi import APIRouter

from ishcd import __version__
from ishcd.api.schemas.common import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
async def health() -> HealthOut:
    """Report that the server is up."""
    return HealthOut(status="ok", version=__version__)
