"""``python -m tests.e2e.upload_server server …``: the real ``ishcd server`` with an
upload kind of the test's own, ``test``, whose handler keeps each file as a blob.

With ``ISHCD_TEST_STALL_ADOPT`` set to a path, the database store stalls after
the first chunk of each blob it writes, having created that file: a test
kills the server there, in the middle of the transaction. Nothing else in the
product changes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from ishcd import cli
from ishcd.db import blobs as blobs_db
from ishcd.db.database import Connection
from ishcd.db.runs import RunRecord
from ishcd.services import uploads
from ishcd.services.staging import Staged


async def keep(
    keeping: uploads.Keeping, run: RunRecord, name: str, staged: Staged
) -> dict[str, Any]:
    blob = await keeping.blobs.adopt(staged.path, staged.sha256, staged.size)
    return {"stored": True, "sha256": blob.sha256, "size": blob.size}


_insert_chunk = blobs_db.insert_chunk


async def stalling_insert_chunk(conn: Connection, sha256: str, start: int, data: bytes) -> None:
    await _insert_chunk(conn, sha256, start, data)
    if start == 0:
        Path(os.environ["ISHCD_TEST_STALL_ADOPT"]).touch()
        await asyncio.sleep(3600)


if __name__ == "__main__":
    uploads.HANDLERS["test"] = keep
    if os.environ.get("ISHCD_TEST_STALL_ADOPT"):
        blobs_db.insert_chunk = stalling_insert_chunk
    cli.main()
