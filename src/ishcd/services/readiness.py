"""Whether this server can do its work now: the readiness a load balancer asks about."""

from __future__ import annotations

import asyncio

from ishcd import exceptions
from ishcd.db.database import Database


async def check_database(db: Database, timeout: float) -> bool:
    """True if a trivial query answers within ``timeout`` seconds."""
    try:
        await asyncio.wait_for(db.ping(), timeout)
    except (exceptions.Unavailable, TimeoutError):
        return False
    return True
