"""A server killed with -9 in the middle of an upload: no blob, no half file; what the
upload had staged is removed at the next start, and the next upload goes through."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from ishcd.db import postgres
from tests.e2e.conftest import LiveServer, free_port

SIZE = 8 * 1024 * 1024


def serve(tmp_path: Path, database_url: str | None, **env: str) -> LiveServer:
    server = LiveServer(
        data_dir=tmp_path / "data",
        port=free_port(),
        database_url=database_url,
        extra_env={"ISHCD_RUNNER_SLOTS": "0", **env},
        command=[sys.executable, "-m", "tests.e2e.upload_server"],
    )
    server.start()
    return server


def claimed(server: LiveServer) -> tuple[str, str]:
    """A registered agent's credential and a run it holds (attempt 1)."""
    with server.client() as admin:
        made = admin.post("/v1/runners/registration-tokens", json={"description": "t"})
        body = {"token": made.json()["token"], "name": "a", "version": "t", "host": "h"}
        credential = admin.post("/v1/runner/register", json=body).json()["credential"]
        assert admin.post("/v1/projects", json={"name": "P"}).status_code == 201
        job = {"name": "j", "script": "true"}
        assert admin.post("/v1/projects/p/jobs", json=job).status_code == 201
        assert admin.post("/v1/projects/p/jobs/j/runs").status_code == 201
    with server.client(credential) as agent:
        claim = agent.post("/v1/runner/jobs/request", json={"slot": "0", "wait": 5})
        assert claim.status_code == 200, claim.text
        return credential, claim.json()["run_id"]


def start_upload(server: LiveServer, credential: str, run_id: str, sent: bytes) -> socket.socket:
    """An upload of ``SIZE`` bytes of which only ``sent`` goes."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (
        f"PUT /v1/runner/jobs/{run_id}/uploads/test?attempt=1&name=f HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Bearer {credential}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {SIZE}\r\n\r\n"
    )
    sock.sendall(head.encode() + sent)
    return sock


def wait_for(check: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def staged(server: LiveServer) -> list[Path]:
    directory = server.data_dir / "staging"
    return sorted(directory.iterdir()) if directory.exists() else []


def stored(server: LiveServer, database_url: str | None) -> tuple[int, int, int]:
    """Blob rows, chunk rows, and blob files."""
    files = sum(len(files) for _, _, files in os.walk(server.data_dir / "blobs"))
    if database_url is None:
        with sqlite3.connect(server.data_dir / "ishcd.db") as conn:
            blobs = conn.execute("SELECT count(*) FROM blobs").fetchone()[0]
            chunks = conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0]
        return blobs, chunks, files

    async def count() -> tuple[int, int]:
        conn = await asyncpg.connect(postgres.dsn_from_url(database_url))
        try:
            blobs = await conn.fetchval("SELECT count(*) FROM blobs")
            chunks = await conn.fetchval("SELECT count(*) FROM blob_chunks")
            return int(blobs), int(chunks)
        finally:
            await conn.close()

    return (*asyncio.run(count()), files)


def upload_whole(server: LiveServer, credential: str, run_id: str, data: bytes) -> None:
    with server.client(credential) as agent:
        done = agent.put(
            f"/v1/runner/jobs/{run_id}/uploads/test",
            params={"attempt": 1, "name": "f"},
            content=data,
        )
    assert done.status_code == 200, done.text
    assert done.json() == {"stored": True, "sha256": hashlib.sha256(data).hexdigest(), "size": SIZE}


def test_a_kill_mid_body_leaves_no_blob_and_staging_is_cleared(tmp_path: Path) -> None:
    """On SQLite and the file store (PostgreSQL's store: the next test)."""
    database = None
    server = serve(tmp_path, database)
    try:
        credential, run_id = claimed(server)
        data = os.urandom(SIZE)
        sock = start_upload(server, credential, run_id, data[: SIZE // 2])
        wait_for(lambda: any(p.stat().st_size > 0 for p in staged(server)), "nothing was staged")
        server.kill()
        sock.close()
        assert len(staged(server)) == 1  # the half file, until the next start
        server.start()
        assert staged(server) == []
        assert stored(server, database) == (0, 0, 0)
        upload_whole(server, credential, run_id, data)
        assert stored(server, database) == (1, 0, 1)
    finally:
        server.stop()


def test_a_kill_mid_transaction_of_the_database_store_leaves_no_blob(
    tmp_path: Path, postgres_url: str
) -> None:
    marker = tmp_path / "adopting"
    server = serve(tmp_path, postgres_url, ISHCD_TEST_STALL_ADOPT=str(marker))
    try:
        credential, run_id = claimed(server)
        data = os.urandom(SIZE)
        sock = start_upload(server, credential, run_id, data)
        wait_for(marker.exists, "the store never started writing the blob")
        assert stored(server, postgres_url)[0] == 0  # its row is not committed
        server.kill()
        sock.close()
        del server.extra_env["ISHCD_TEST_STALL_ADOPT"]
        server.start()
        assert staged(server) == []
        assert stored(server, postgres_url) == (0, 0, 0)
        upload_whole(server, credential, run_id, data)
        assert stored(server, postgres_url) == (1, SIZE // (1024 * 1024), 0)
    finally:
        server.stop()
