"""Who a request on ``/v1/runner/jobs/…`` is from: a registered runner, by its credential.

Only a runner's credential (``Authorization: Bearer ishr_…``) works here: a
user's token or login session is a 401, as a runner's credential is anywhere
else (``services.auth`` knows no ``ishr_`` token). A deleted runner's
credential stops working at once: every request looks it up.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request

from ishcd import exceptions
from ishcd.api.deps import credential_from
from ishcd.server import Server
from ishcd.services import runners
from ishcd.services.runners import RunnerRecord


async def authenticate_runner(request: Request) -> RunnerRecord:
    """The runner whose credential the request carries; 401 for anything else."""
    raw = credential_from(request.headers.get("authorization"))
    if raw is None or not raw.startswith(runners.CREDENTIAL_PREFIX):
        raise exceptions.Unauthorized(
            f"send the runner's credential: Authorization: Bearer {runners.CREDENTIAL_PREFIX}…"
        )
    server: Server = request.app.state.server
    db = server.database
    now = time.time()
    async with db.read() as conn:
        runner = await runners.find(conn, raw)
    if runner is None:
        raise exceptions.Unauthorized("unknown or deleted runner")
    if runner.last_contact is None or now - runner.last_contact >= runners.TOUCH_EVERY:
        async with db.transaction() as conn:
            runner = await runners.touch(conn, runner, now)
    return runner


RunnerDep = Annotated[RunnerRecord, Depends(authenticate_runner)]
