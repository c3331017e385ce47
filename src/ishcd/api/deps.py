"""Request dependencies: the server's parts, the caller, pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response

from ishcd import exceptions
from ishcd.db.database import Database
from ishcd.server import Server
from ishcd.services import tokens
from ishcd.services.principal import Caller

T = TypeVar("T")


async def get_server(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


ServerDep = Annotated[Server, Depends(get_server)]


def credential_from(header: str | None) -> str | None:
    """The raw token in ``Authorization: Bearer|Token <t>`` or ``Basic base64(<t>:)``."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    scheme = scheme.lower()
    if scheme in ("bearer", "token") and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.Unauthorized("malformed Basic credentials") from exc
        user, _, _password = decoded.partition(":")
        return user or None
    raise exceptions.Unauthorized("use Authorization: Bearer <token>")


@dataclass(frozen=True, slots=True)
class Context:
    """What an authenticated route works with: the server's parts and the caller."""

    server: Server
    caller: Caller

    @property
    def db(self) -> Database:
        return self.server.database


async def get_context(request: Request) -> Context:
    """Authenticate the request.

    One dependency rather than a chain of them: FastAPI's dependency solving
    costs more per level than the token check itself (see bench/). The auth
    schemes are declared in the OpenAPI document by ``ishcd.api.app``.
    """
    server: Server = request.app.state.server
    raw = credential_from(request.headers.get("authorization"))
    if raw is None:
        raise exceptions.Unauthorized("authentication required: send Authorization: Bearer <token>")
    db = server.database
    async with db.read() as conn:
        caller = await tokens.authenticate(conn, server.keys, raw)
    if caller.touch_token and caller.token_id is not None:
        async with db.transaction() as conn:
            await tokens.touch_token(conn, caller.token_id)
    return Context(server, caller)


ContextDep = Annotated[Context, Depends(get_context)]


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def fetch(self) -> int:
        """Rows to fetch: one more than a page tells whether there is a next one."""
        return self.per_page + 1

    def finish(self, request: Request, response: Response, rows: list[T]) -> list[T]:
        """Cut ``rows`` to the page and set the ``Link`` header."""
        has_next = len(rows) > self.per_page
        links = [("first", 1)]
        if self.page > 1:
            links.append(("prev", self.page - 1))
        if has_next:
            links.append(("next", self.page + 1))
        response.headers["Link"] = ", ".join(
            f'<{request.url.include_query_params(page=n, per_page=self.per_page)}>; rel="{rel}"'
            for rel, n in links
        )
        return rows[: self.per_page]


async def get_page(
    page: Annotated[int, Query(ge=1, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="Items per page")] = 30,
) -> Page:
    return Page(page, per_page)


PageDep = Annotated[Page, Depends(get_page)]
