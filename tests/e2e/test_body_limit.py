"""A body too large is refused before it is read, by a real server (issue 8, defect 6).

One 100 MB body to an authenticated endpoint peaked the server at 645 MB, and
eight unauthenticated ones to /v1/auth/login at 1,080 MB. Now a body over
``max_body_bytes`` is a 413 whether its Content-Length says so or it comes
chunked, and the server's peak memory (VmHWM) hardly moves.
"""

from __future__ import annotations

import select
import socket
from pathlib import Path

from tests.e2e.conftest import LiveServer

MB = 1024 * 1024
BODY = 100 * MB
# Generous: the server reads at most the limit (1 MiB) and a socket buffer or two.
GROWTH_BOUND = 40 * MB


def peak_memory(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def post_large(server: LiveServer, path: str, token: str | None, *, chunked: bool) -> int:
    """Send a 100 MB body as fast as the server takes it; the status it answers."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}")
    piece = b"x" * (64 * 1024)
    frame = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        try:
            while sent < BODY:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # it answered before the body was sent: read that
                sock.sendall(frame)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_large_bodies_are_refused_without_being_read(live_server: LiveServer) -> None:
    assert live_server.process is not None
    pid = live_server.process.pid
    with live_server.client() as client:
        assert client.get("/v1/projects").status_code == 200
    before = peak_memory(pid)
    statuses = []
    for chunked in (False, True):
        statuses.append(post_large(live_server, "/v1/projects", live_server.token, chunked=chunked))
        for _ in range(4):
            statuses.append(post_large(live_server, "/v1/auth/login", None, chunked=chunked))
    growth = peak_memory(pid) - before
    assert growth < GROWTH_BOUND, f"peak memory grew by {growth / MB:.0f} MB"
    assert statuses == [413] * 10
    with live_server.client() as client:
        created = client.post("/v1/projects", json={"name": "still here"})
        assert created.status_code == 201, created.text
