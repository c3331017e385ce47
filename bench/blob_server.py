"""``python -m bench.blob_server server …``: the real ``ishcd server``, plus what the
artifacts bench needs where the product does not have it yet.

- An ``artifact`` upload handler that keeps the file as a blob, only when the
  server has none of its own (``services.artifacts`` registers the real one).
- ``GET /v1/bench-only/blobs/{sha256}``: a blob through ``api.blob_response``,
  the download the public artifact routes make, for a server without them.
  The bench uses the public route when the OpenAPI document has it.

Uploads go through the real runner route and staging either way.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response

from ishcd import cli
from ishcd.api import app as app_module
from ishcd.api.blob_response import blob_response
from ishcd.db.runs import RunRecord
from ishcd.server import Server
from ishcd.services import uploads
from ishcd.services.staging import Staged
from ishcd.settings import Settings

BLOB_PATH = "/v1/bench-only/blobs/{sha256}"
_create_app = app_module.create_app


async def keep(
    keeping: uploads.Keeping, run: RunRecord, name: str, staged: Staged
) -> dict[str, Any]:
    blob = await keeping.blobs.adopt(staged.path, staged.sha256, staged.size)
    return {"stored": True, "sha256": blob.sha256, "size": blob.size}


def create_app(settings: Settings, server: Server | None = None) -> Any:
    app: FastAPI = _create_app(settings, server)
    the_server: Server = app.state.server

    @app.get(BLOB_PATH, include_in_schema=False)
    async def blob(request: Request, sha256: str) -> Response:
        size = await the_server.blobs.size(sha256)
        if size is None:
            raise HTTPException(404)
        return await blob_response(
            request,
            the_server.blobs,
            sha256,
            size,
            "application/octet-stream",
            "big.bin",
            inline=False,
            sandbox=False,
        )

    return app


if __name__ == "__main__":
    uploads.HANDLERS.setdefault("artifact", keep)
    app_module.create_app = create_app
    cli.main()
