"""Apply the Alembic migrations (at server start and before admin commands).

Several processes may start at once (replicas, an admin command beside the
server): PostgreSQL serializes them with a transaction-level advisory lock,
SQLite with a lock file beside the database.
"""

from __future__ import annotations

import asyncio
import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config

from ishcd.db import sqlite

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: "ishcd" in ASCII.
ADVISORY_LOCK_KEY = 0x697368636400


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision``; blocks."""
    config = alembic_config(url)
    if url.startswith("sqlite"):
        path = sqlite.path_from_url(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            command.upgrade(config, revision)
    else:
        command.upgrade(config, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade from async code; Alembic runs in a thread with its own loop."""
    await asyncio.to_thread(upgrade_sync, url, revision)
