"""Request dependencies: the server's parts, the caller, pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import URL

from ishcd import exceptions
from ishcd.db.database import Database
from ishcd.server import Server
from ishcd.services import auth, sessions, tokens
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


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


SESSION_COOKIE = "ishcd_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def find_session(request: Request) -> sessions.WebSession | None:
    """The request's live web session (its cookie), if it has one; touched when stale."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    server: Server = request.app.state.server
    async with server.database.read() as conn:
        found = await sessions.find_session(
            conn, secret, sessions.Limits.of(server.settings), client_ip(request)
        )
    if found is not None and found.stale:
        await sessions.touch_session(server.database, found)
    return found


async def _authenticate_session(request: Request, server: Server) -> Context:
    """A request with no Authorization: its login session, if any. Unsafe methods
    must also carry the session's CSRF token, so another site cannot make them."""
    session = await find_session(request)
    if session is None:
        raise exceptions.Unauthorized("authentication required: send Authorization: Bearer <token>")
    if request.method not in SAFE_METHODS:
        sessions.check_csrf(session, request.headers.get(CSRF_HEADER))
    return Context(server, session.caller)


async def authenticate(request: Request) -> Context:
    """Who the request is from; 401 unless it carries a valid token or login session."""
    server: Server = request.app.state.server
    raw = credential_from(request.headers.get("authorization"))
    if raw is None:
        return await _authenticate_session(request, server)
    db = server.database
    async with db.read() as conn:
        caller = await auth.authenticate(conn, server.keys, raw, client_ip(request))
    if caller.touch_token and caller.token_id is not None:
        async with db.transaction() as conn:
            await tokens.touch_token(conn, caller.token_id)
    return Context(server, caller)


class Authenticated(APIRoute):
    """A route that authenticates every request before anything else.

    Used as the ``route_class`` of every router that needs a caller, so no
    route can forget it. Done here rather than as a FastAPI dependency: on
    ``GET …/runs/{id}`` the dependency machinery cost a quarter of the request
    (bench/). The auth schemes are declared in the OpenAPI document by
    ``ishcd.api.app``; handlers get the result with ``context(request)``.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            request.state.ishcd = await authenticate(request)
            return await handler(request)

        return authenticated


class PathOnly(Authenticated):
    """An authenticated route whose only inputs are string path parameters.

    It calls its endpoint with ``request.path_params`` directly, skipping
    FastAPI's request parsing, and the endpoint returns a ``Response`` it has
    serialized itself. Used for reading a run, the endpoint clients poll:
    the parsing cost more than authenticating, the lookup and the JSON
    together (bench/). Routing and the OpenAPI document are FastAPI's as usual.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        dependant = self.dependant
        if (
            dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.body_params
            or dependant.dependencies
            or dependant.request_param_name != "request"
        ):
            raise TypeError(f"{self.path}: a PathOnly endpoint takes (request, *path_params)")
        names = [param.name for param in dependant.path_params]
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            request.state.ishcd = await authenticate(request)
            params = request.path_params
            response: Response = await endpoint(request, **{name: params[name] for name in names})
            return response

        return handle


def context(request: Request) -> Context:
    """The server and caller of a request on an ``Authenticated`` route."""
    found: Context = request.state.ishcd
    return found


def public_link(request: Request, url: URL) -> str:
    """``url``, one of this server's, as users reach it: under ``ISHCD_PUBLIC_URL`` when
    that is set (a proxy in front), else at the host and scheme the request came to."""
    server: Server = request.app.state.server
    base = server.settings.public_url
    if base is None:
        return str(url)
    return base + url.path + (f"?{url.query}" if url.query else "")


def public_base(request: Request) -> str:
    """This server's address as users reach it (no trailing slash): ``ISHCD_PUBLIC_URL``
    when set, else the scheme and host the request came to."""
    server: Server = request.app.state.server
    base = server.settings.public_url
    return (base if base is not None else str(request.base_url)).rstrip("/")


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
        url = request.url
        response.headers["Link"] = ", ".join(
            f"<{public_link(request, url.include_query_params(page=n, per_page=self.per_page))}>"
            f'; rel="{rel}"'
            for rel, n in links
        )
        return rows[: self.per_page]


# Past this a page number is a 422: far beyond any list, and (page - 1) * per_page
# always fits the databases' 64-bit integers.
MAX_PAGE = 1_000_000
# A 64-bit signed integer: the largest offset or count a database column holds.
MAX_INT64 = 2**63 - 1
# A 32-bit signed integer: the largest pipeline number a database column holds.
MAX_INT32 = 2**31 - 1


async def get_page(
    page: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description=f"Page number, from 1 (at most {MAX_PAGE:,})")
    ] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="Items per page")] = 30,
) -> Page:
    return Page(page, per_page)


PageDep = Annotated[Page, Depends(get_page)]
