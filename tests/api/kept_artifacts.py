"""A run with a kept artifact, without a runner: the file goes through the "artifact"
upload handler (``services.artifacts.receive``) as a runner's would, and the run is
marked finished. For tests that need one to read (the authorization matrix)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from ishcd.db import runs as runs_db
from ishcd.db.query import Query
from ishcd.db.tables import runs
from ishcd.server import Server
from ishcd.services import artifacts, staging, uploads

_FINISH = Query(
    sa.update(runs)
    .where(runs.c.id == sa.bindparam("id"))
    .values(status="complete", exit_code=0, finished=sa.bindparam("now"))
)


async def keep_artifact(server: Server, run_id: str, path: str, data: bytes) -> None:
    """Keep ``data`` as the run's artifact at ``path``; the run ends ``complete``."""
    settings = server.settings
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "file"
        source.write_bytes(data)
        staged = await staging.stage_file(source, settings.staging_dir, len(data) + 1)
    async with server.database.read() as conn:
        run = await runs_db.get_run(conn, run_id)
    assert run is not None
    keeping = uploads.Keeping(server.database, server.blobs, settings)
    await artifacts.receive(keeping, run, path, staged)
    async with server.database.transaction() as conn:
        await conn.execute(_FINISH, id=run_id, now=time.time())
