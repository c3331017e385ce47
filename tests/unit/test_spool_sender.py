"""The agent's HTTP protocol over a fake server (``httpx.MockTransport``): the spool's sender,
and how each answer maps (409, 416, 401, 5xx, no answer)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ishcd import exceptions
from ishcd.runner import http
from ishcd.runner.protocol import Control, Lease, LeaseLost, Outcome

RUN = "6f1c4e1e-8f43-4d7e-9a51-0d8f1f0e2a11"
ASSIGNMENT = {
    "run_id": RUN,
    "attempt": 1,
    "log_offset": 0,
    "project": "ops",
    "job": "hello",
    "script": "echo hi",
    "env": {},
    "timeout": 60,
    "secrets": [],
    "checkout": None,
    "sections": False,
}


class FakeServer:
    """Keeps one run's log as the real server does; ``down`` makes every call fail."""

    def __init__(self) -> None:
        self.log = bytearray()
        self.down = False
        self.status: dict[str, int] = {}  # a forced answer, by the call's last path part
        self.finished: dict[str, Any] | None = None
        self.puts = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        kind = request.url.path.rsplit("/", 1)[-1]
        if kind in self.status:
            return httpx.Response(self.status[kind], json={"message": "no", "errors": []})
        if kind == "request":
            return httpx.Response(200, json=ASSIGNMENT)
        if kind == "heartbeat":
            return httpx.Response(200, json={"control": "continue"})
        if kind == "log":
            self.puts += 1
            offset = int(request.url.params["offset"])
            if offset > len(self.log):
                return httpx.Response(
                    416, headers={"X-Log-Size": str(len(self.log))}, json={"message": "gap"}
                )
            self.log += request.content[len(self.log) - offset :]
            return httpx.Response(200, json={"size": len(self.log)})
        if kind == "finish":
            body = json.loads(request.content)
            if body["log_size"] > len(self.log):
                return httpx.Response(416, headers={"X-Log-Size": str(len(self.log))})
            self.finished = body
            return httpx.Response(200, json={"status": "complete"})
        return httpx.Response(404)


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
async def protocol(server: FakeServer, tmp_path: Path) -> Any:
    made = http.HttpProtocol(
        "http://ci.test",
        "ishr_x",
        tmp_path / "spool",
        buffer_bytes=1024 * 1024,
        transport=httpx.MockTransport(server.handle),
        retry_max_delay=0.05,
    )
    yield made
    await made.close()


async def claimed(protocol: http.HttpProtocol) -> Lease:
    assignment = await protocol.claim("s/0", 1)
    assert assignment is not None
    return Lease(assignment.run_id, "s/0", assignment.attempt)


async def test_output_is_taken_while_the_server_is_away_and_sent_when_it_is_back(
    protocol: http.HttpProtocol, server: FakeServer
) -> None:
    lease = await claimed(protocol)
    server.down = True
    offset = 0
    for n in range(100):
        line = f"line {n}\n".encode()
        # Never waits for the server.
        await asyncio.wait_for(protocol.append_log(lease, offset, line), 0.5)
        offset += len(line)
    with pytest.raises(exceptions.Unavailable):
        await protocol.heartbeat(lease)
    with pytest.raises(exceptions.Unavailable):
        await protocol.finish(lease, Outcome(0))  # once the sender's next try fails
    server.down = False
    # resilient.py retries it: it waits for the sender's next try, which goes through.
    await protocol.finish(lease, Outcome(0))
    assert bytes(server.log) == b"".join(f"line {n}\n".encode() for n in range(100))
    assert server.finished == {
        "attempt": 1,
        "exit_code": 0,
        "error_reason": None,
        "log_size": offset,
    }


async def test_a_gap_is_sent_again_from_the_servers_size(
    protocol: http.HttpProtocol, server: FakeServer
) -> None:
    lease = await claimed(protocol)
    await protocol.append_log(lease, 0, b"first\n")
    while len(server.log) < 6:  # the sender has sent it
        await asyncio.sleep(0.01)
    del server.log[2:]  # the server lost part of it
    await protocol.append_log(lease, 6, b"second\n")
    await protocol.finish(lease, Outcome(0))
    assert bytes(server.log) == b"first\nsecond\n"


async def test_a_lost_lease_stops_the_output_and_the_heartbeat_says_abandon(
    protocol: http.HttpProtocol, server: FakeServer, tmp_path: Path
) -> None:
    lease = await claimed(protocol)
    server.status["log"] = 409
    await protocol.append_log(lease, 0, b"late\n")
    for _ in range(100):
        if not (tmp_path / "spool" / f"{RUN}.1").exists():
            break
        await asyncio.sleep(0.01)
    with pytest.raises(LeaseLost):
        await protocol.append_log(lease, 5, b"later\n")
    with pytest.raises(LeaseLost):
        await protocol.finish(lease, Outcome(0))
    assert not (tmp_path / "spool" / f"{RUN}.1").exists()  # its output dropped
    server.status["heartbeat"] = 409
    assert await protocol.heartbeat(lease) is Control.ABANDON


async def test_5xx_is_unavailable_and_401_means_the_runner_was_deleted(
    protocol: http.HttpProtocol, server: FakeServer
) -> None:
    lease = await claimed(protocol)
    server.status["heartbeat"] = 503
    with pytest.raises(exceptions.Unavailable):
        await protocol.heartbeat(lease)
    server.status["heartbeat"] = 401
    assert await protocol.heartbeat(lease) is Control.ABANDON
    assert protocol.gone.is_set()
    server.status["request"] = 401
    assert await protocol.claim("s/0", 0) is None


async def test_a_server_slower_than_the_script_slows_the_script_and_loses_nothing(
    server: FakeServer, tmp_path: Path
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.002)  # it takes every chunk, slowly
        return server.handle(request)

    protocol = http.HttpProtocol(
        "http://ci.test",
        "ishr_x",
        tmp_path / "spool",
        buffer_bytes=64 * 1024,
        transport=httpx.MockTransport(slow),
    )
    try:
        lease = await claimed(protocol)
        data = b"".join(f"line {n:07d}\n".encode() for n in range(100_000))  # 1.3 MB
        for at in range(0, len(data), 4096):
            await protocol.append_log(lease, at, data[at : at + 4096])
        await protocol.finish(lease, Outcome(0))
    finally:
        await protocol.close()
    assert bytes(server.log) == data  # nothing dropped: the writes waited instead


async def test_a_server_that_takes_nothing_does_not_hold_the_script_past_the_bound(
    server: FakeServer, tmp_path: Path
) -> None:
    async def hung(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/log"):
            await asyncio.sleep(3600)  # a cut link: no answer, no error
        return server.handle(request)

    protocol = http.HttpProtocol(
        "http://ci.test",
        "ishr_x",
        tmp_path / "spool",
        buffer_bytes=64 * 1024,
        transport=httpx.MockTransport(hung),
    )
    try:
        lease = await claimed(protocol)
        data = b"".join(f"line {n:07d}\n".encode() for n in range(100_000))
        for at in range(0, len(data), 4096):
            await protocol.append_log(lease, at, data[at : at + 4096])
        run = protocol._runs[(RUN, 1)]
        assert run.spool.dropped > 0
        assert run.spool.unsent <= 64 * 1024 + run.spool.segment_bytes
    finally:
        await protocol.close()
