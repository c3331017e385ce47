"""A minimal HTTP/1.1 client: one keep-alive connection, one request at a time.

The bench times the server, so its own client must cost next to nothing.
httpx costs about 2 ms of CPU per request on the 2-core machine the figures
come from, against 0.6 ms for a whole GET run round trip through the server
on a bare socket: in the latency loop that would be two or three client
overheads on the critical path of every run, and in the throughput test CPU
taken from the runs. This client writes the request in one piece and reads
the response by ``Content-Length`` or chunks (the log stream), nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.exceptions import BenchError

# Long enough for the throughput test's wait on the last of its runs.
TIMEOUT = 180.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, fixed_headers: bytes
    ):
        self.reader = reader
        self.writer = writer
        self.fixed_headers = fixed_headers  # Host and the caller's, ready to send

    @classmethod
    async def open(cls, base_url: str, headers: Mapping[str, str] | None = None) -> Connection:
        """Connect to ``http://host:port``; ``headers`` go with every request."""
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise BenchError(f"only http://host:port URLs are supported, not {base_url!r}")
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        lines = [f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        return cls(reader, writer, "".join(f"{line}\r\n" for line in lines).encode())

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(self, method: str, target: str, body: object = None) -> Response:
        """Send a request (``body`` as JSON, if given) and read its whole response."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {target} HTTP/1.1\r\n".encode() + self.fixed_headers
        if body is not None:
            head += b"Content-Type: application/json\r\n"
        if payload or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {len(payload)}\r\n".encode()
        self.writer.write(head + b"\r\n" + payload)
        try:
            async with asyncio.timeout(TIMEOUT):
                return await self.read_response()
        except TimeoutError:
            raise BenchError(f"no answer to {method} {target} in {TIMEOUT:g} s") from None

    async def read_response(self) -> Response:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = raw[:-4].decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(status_line.split(" ", 2)[1])
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunks()
        else:
            raise BenchError(f"a response with neither Content-Length nor chunks: {status_line}")
        return Response(status, headers, body)

    async def _read_chunks(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            chunks.append((await self.reader.readexactly(size + 2))[:-2])
