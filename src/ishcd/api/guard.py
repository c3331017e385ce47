"""The request guard: what is refused before routing, authentication or parsing.

A pure ASGI middleware (``BaseHTTPMiddleware`` would cost every request a task
and a stream): for a request with no body and no NUL in its URL, as when a
client polls a run, it adds three cheap checks (path, query, method).

- A body larger than ``max_body_bytes`` is a 413, whether its Content-Length
  says so or, sent chunked, it grows past the limit while it is read ahead.
  The body is never held past the limit, and nobody is authenticated first.
  Paths matching ``streamed`` are left alone: their routes read their body
  as it streams in, with a limit of their own (an agent's log chunks).
- A NUL character (``%00``) in the path is a 404: no project, job or run has
  one in its name or id. In the query it is a 422 naming the parameter.
  PostgreSQL cannot store NUL in text, and no name or token ever holds one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ishcd.api import errors
from ishcd.exceptions import FieldError, ValidationFailed

# No route reads a body with these, so one sent is never held (uvicorn stops
# reading past its buffer and drops the rest): the body checks are skipped.
BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    pass


class RequestGuard:
    def __init__(
        self, app: ASGIApp, max_body_bytes: int, streamed: re.Pattern[str] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:
            await errors.error_response(404, "not found")(scope, receive, send)
            return
        query: bytes = scope["query_string"]
        if b"%00" in query or b"\x00" in query:
            await self._nul_in_query(query)(scope, receive, send)
            return
        if scope["method"] in BODILESS or (
            self.streamed is not None and self.streamed.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        length, chunked = _body_framing(scope)
        if length is not None:
            if length > self.max_body_bytes:
                await self._too_large()(scope, receive, send)
                return
        elif chunked:
            try:
                receive = await self._read_ahead(receive)
            except BodyTooLarge:
                await self._too_large()(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _read_ahead(self, receive: Receive) -> Receive:
        """A chunked body, read whole up to the limit, given to the app as one message."""
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return _replay([message], receive)
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            parts.append(chunk)
            if not message.get("more_body", False):
                body: Message = {"type": "http.request", "body": b"".join(parts)}
                return _replay([body], receive)

    def _too_large(self) -> JSONResponse:
        limit = self.max_body_bytes
        response = errors.error_response(
            413,
            f"the request body is larger than the limit of {limit} bytes",
            [{"field": "body", "message": f"must be at most {limit} bytes"}],
        )
        # The rest of the body is not read: the connection cannot be reused.
        response.headers["Connection"] = "close"
        return response

    @staticmethod
    def _nul_in_query(query: bytes) -> JSONResponse:
        names = [
            name.replace("\x00", "\\x00")
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            if "\x00" in name or "\x00" in value
        ] or ["query"]
        problems = [FieldError(name, "must not contain NUL characters") for name in names]
        failed = ValidationFailed.many("invalid input", problems)
        return errors.error_response(422, failed.message, [e.as_dict() for e in failed.errors])


def _body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The Content-Length (None without one) and whether the body is chunked."""
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    return length, chunked


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay
