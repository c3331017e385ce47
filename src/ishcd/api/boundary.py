"""The last word on every request: an unexpected error is a JSON 500, and a
connection the server is going to close is closed cleanly.

Without this, Starlette's ``ServerErrorMiddleware`` answers an unhandled
exception with the app's 500 handler and then re-raises it to the server, so
the server can log it; uvicorn, finding the answer already sent, logs it and
closes the socket at once. The answer had promised keep-alive, so the client
sends its next request down a closed connection and gets a reset; and when
the request body was not read, closing with unread bytes makes the kernel
send a reset at once, which can destroy the 500 before the client reads it.

``ErrorBoundary`` sits just inside ``ServerErrorMiddleware``. It logs the
traceback once, answers ``{"message": "internal server error", "errors": []}``
with ``Connection: close`` and returns normally, so uvicorn closes the
connection after the answer, as announced. Any answer that says
``Connection: close`` (this 500, the 503 of an unavailable database) first
reads what is left of the request body, within a bound, so that closing does
not reset the connection under the client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# Reading what is left of a request body before closing: at most this much, this long.
DRAIN_LIMIT = 4 * 1024 * 1024
DRAIN_SECONDS = 2.0


def closes_connection(message: Message) -> bool:
    """Whether a ``http.response.start`` says ``Connection: close``."""
    for name, value in message.get("headers", ()):
        if name.lower() == b"connection" and b"close" in value.lower():
            return True
    return False


class _Body:
    """The request's ``receive``, noting whether the body has been read to its end."""

    def __init__(self, receive: Receive):
        self._receive = receive
        self.done = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.done = True
        return message

    async def drain(self) -> None:
        left = DRAIN_LIMIT
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_SECONDS
        while not self.done and left > 0:
            try:
                message = await asyncio.wait_for(self.receive(), deadline - loop.time())
            except Exception:  # too slow, or refused by a body limit: stop reading
                return
            left -= len(message.get("body", b""))


class ErrorBoundary:
    """``answer`` makes the 500 (``errors.unexpected_response``); it must say
    ``Connection: close``."""

    def __init__(self, app: ASGIApp, answer: Callable[[], Response]):
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _Body(receive)
        started = False

        async def send_clean(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if closes_connection(message):
                    await body.drain()
            await send(message)

        try:
            await self.app(scope, body.receive, send_clean)
        except Exception:
            if started:
                raise  # half an answer: only the server can end it, by cutting the connection
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            await self.answer()(scope, body.receive, send_clean)
