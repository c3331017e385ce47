"""A TCP proxy a test can switch off: a database outage without stopping the database.

``TcpProxy`` forwards a local port to a target (e.g. the machine's PostgreSQL)
from a thread of its own, so it keeps working while the test blocks on a
synchronous HTTP client. ``cut()`` closes the listening socket (new
connections are refused) and resets every connection in flight; ``restore()``
listens again on the same port.

With several targets it is a load balancer: each new connection goes to the
next target in turn, and on to the one after when that one refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *more: tuple[str, int]):
        self.target = (target_host, target_port)
        self.targets = [self.target, *more]
        self._turn = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=10)

    def start(self) -> int:
        """Start forwarding; the local port."""
        self._thread.start()
        self._call(self._listen())
        return self.port

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self._cut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in self.targets:
            target = self.targets[self._turn % len(self.targets)]
            self._turn += 1
            try:
                up_reader, up_writer = await asyncio.open_connection(*target)
                break
            except OSError:
                continue
        else:
            writer.transport.abort()
            return
        self._links.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        for end in (writer, up_writer):
            self._links.discard(end)
            end.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()


@contextlib.contextmanager
def proxy_to(host: str, port: int, *more: tuple[str, int]) -> Iterator[TcpProxy]:
    proxy = TcpProxy(host, port, *more)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def through_proxy(url: str, port: int) -> str:
    """``url`` (``postgresql://user@host:port/db``) with its host and port replaced."""
    scheme, _, rest = url.partition("://")
    credentials, _, location = rest.rpartition("@")
    _, _, database = location.partition("/")
    user = f"{credentials}@" if credentials else ""
    return f"{scheme}://{user}127.0.0.1:{port}/{database}"
