"""A blob as an HTTP answer (``api.blob_response``), over real HTTP: ranges (206, 416),
the ETag and If-None-Match (304), and headers that keep HTML inert; on both stores.

The public artifact routes use it; here a route of the test's own serves it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from ishcd import blobstore_db
from ishcd.api import errors
from ishcd.api.blob_response import blob_response, parse_range
from ishcd.server import Server
from ishcd.services.staging import stage_file
from tests.api.conftest import make_settings

DATA = os.urandom(5000)
SHA = hashlib.sha256(DATA).hexdigest()
GONE = hashlib.sha256(b"gone").hexdigest()


def app_of(server: Server) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/blob/{sha}")
    async def blob(request: Request, sha: str, name: str, inline: bool, sandbox: bool) -> Response:
        content_type = "text/html" if name.endswith(".html") else "application/octet-stream"
        size = len(DATA)
        return await blob_response(
            request, server.blobs, sha, size, content_type, name, inline=inline, sandbox=sandbox
        )

    return app


@pytest.fixture
async def http(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(blobstore_db, "CHUNK", 1024)  # a range spans several chunks
    server = Server(make_settings(tmp_path, database_url, runner_slots=0))
    await server.start()
    source = tmp_path / "source"
    source.write_bytes(DATA)
    staged = await stage_file(source, server.settings.staging_dir, len(DATA))
    await server.blobs.adopt(staged.path, staged.sha256, staged.size)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app_of(server), lifespan="off", log_level="warning")
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve(sockets=[sock]))
    try:
        while not web.started:
            assert not serving.done(), serving
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=url) as client:
            yield client
    finally:
        web.should_exit = True
        await serving
        sock.close()
        await server.stop()


def path(
    name: str = "a.bin", *, inline: bool = False, sandbox: bool = False, sha: str = SHA
) -> str:
    return f"/blob/{sha}?name={name}&inline={inline}&sandbox={sandbox}"


async def test_the_whole_file_with_its_validators(http: httpx.AsyncClient) -> None:
    whole = await http.get(path())
    assert whole.status_code == 200
    assert whole.content == DATA
    assert whole.headers["content-length"] == str(len(DATA))
    assert whole.headers["etag"] == f'"{SHA}"'
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["content-disposition"] == (
        "attachment; filename=\"a.bin\"; filename*=UTF-8''a.bin"
    )
    assert "content-security-policy" not in whole.headers


async def test_ranges_are_206_and_past_the_end_416(http: httpx.AsyncClient) -> None:
    size = len(DATA)
    for header, start, end in [
        ("bytes=0-0", 0, 1),
        ("bytes=1000-3100", 1000, 3101),
        ("bytes=4000-", 4000, size),
        ("bytes=-1024", size - 1024, size),
        ("bytes=4990-99999", 4990, size),
        ("bytes=-99999", 0, size),
    ]:
        part = await http.get(path(), headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == DATA[start:end], header
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{size}", header
        assert part.headers["content-length"] == str(end - start)
    for header in (f"bytes={size}-", "bytes=9999-10000", "bytes=-0"):
        past = await http.get(path(), headers={"Range": header})
        assert past.status_code == 416, header
        assert past.headers["content-range"] == f"bytes */{size}"
        assert past.content == b""
    # Malformed, several ranges, or another version's: the whole file.
    for headers in (
        {"Range": "bytes=5-2"},
        {"Range": "items=0-1"},
        {"Range": "bytes=0-1,5-6"},
        {"Range": "bytes=0-1", "If-Range": '"another"'},
    ):
        whole = await http.get(path(), headers=headers)
        assert whole.status_code == 200, headers
        assert whole.content == DATA
    same = await http.get(path(), headers={"Range": "bytes=0-1", "If-Range": f'"{SHA}"'})
    assert same.status_code == 206


async def test_if_none_match_is_304(http: httpx.AsyncClient) -> None:
    for tag in (f'"{SHA}"', f'W/"{SHA}"', f'"other", "{SHA}"', "*"):
        cached = await http.get(path(), headers={"If-None-Match": tag})
        assert cached.status_code == 304, tag
        assert cached.content == b""
        assert cached.headers["etag"] == f'"{SHA}"'
    changed = await http.get(path(), headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert changed.content == DATA


async def test_html_is_inline_sandboxed_and_names_are_escaped(http: httpx.AsyncClient) -> None:
    report = await http.get(path("report.html", inline=True, sandbox=True))
    assert report.status_code == 200
    assert report.headers["content-security-policy"] == "sandbox"
    assert report.headers["content-disposition"].startswith("inline; ")
    assert report.headers["content-type"].startswith("text/html")
    odd = 'ré"sumé;\\x%.txt'
    named = await http.get(f"/blob/{SHA}", params={"name": odd, "inline": 0, "sandbox": 0})
    assert named.headers["content-disposition"] == (
        'attachment; filename="r__sum___x_.txt"; '
        "filename*=UTF-8''r%C3%A9%22sum%C3%A9%3B%5Cx%25.txt"
    )


async def test_a_blob_no_longer_stored_is_404(http: httpx.AsyncClient) -> None:
    gone = await http.get(path(sha=GONE))
    assert gone.status_code == 404
    assert gone.json()["message"] == "the file is no longer stored"


def test_parse_range_edges() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=-", 10) is None
    assert parse_range("bytes=3-3", 10) == (3, 4)
    assert parse_range(" bytes=9-", 10) == (9, 10)
