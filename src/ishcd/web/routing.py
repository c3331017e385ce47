"""How a page is served: its session, its form, and its errors as pages.

``Page`` is the route class of every web router (as ``api.deps.Authenticated``
is of the API's): it finds the request's login session before the handler
runs, sends a signed-out visitor to the login page, and turns the services'
errors into an HTML page with the same status the API would answer.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from ishcd import exceptions
from ishcd.api import deps, errors
from ishcd.api.deps import Context
from ishcd.server import Server
from ishcd.services import sessions
from ishcd.services.sessions import WebSession
from ishcd.web.render import redirect, render

M = TypeVar("M", bound=BaseModel)
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 500


class LoginRequired(Exception):
    pass


class Page(APIRoute):
    """A page that needs a signed-in user (see ``Public`` for the others)."""

    needs_session = True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needs_session = self.needs_session

        async def page(request: Request) -> Response:
            session = await deps.find_session(request)
            request.state.web_session = session
            if session is None and needs_session:
                return _to_login(request)
            try:
                return await handler(request)
            except exceptions.IshError as exc:
                return _error_page(request, session, exc)
            except LoginRequired:
                return _to_login(request)

        return page


class Public(Page):
    """A page anyone may open (login, invitation); the session is found if there is one."""

    needs_session = False


def _to_login(request: Request) -> Response:
    if request.method != "GET":
        return redirect("/login")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(target, safe='')}")


def _error_page(request: Request, session: WebSession | None, exc: exceptions.IshError) -> Response:
    status = errors.status_of(exc)
    if status == 401:
        return _to_login(request)
    return render(
        request,
        "error.html",
        session,
        status_code=status,
        status=status,
        message=exc.message,
        problems=[e.as_dict() for e in exc.errors],
    )


def session_of(request: Request) -> WebSession:
    """The signed-in session of a ``Page`` request."""
    found: WebSession | None = request.state.web_session
    if found is None:
        raise LoginRequired
    return found


def maybe_session(request: Request) -> WebSession | None:
    found: WebSession | None = request.state.web_session
    return found


MAX_PAGE = 100_000


def page_number(request: Request) -> int:
    """The ``page`` query parameter (1 when absent); 422 when not a number in range."""
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise exceptions.ValidationFailed.one(
            "page", f"must be a whole number from 1 to {MAX_PAGE}"
        )
    return int(raw)


def server_of(request: Request) -> Server:
    found: Server = request.app.state.server
    return found


def context_of(request: Request) -> Context:
    """The server and the signed-in caller, as API handlers have them."""
    return Context(server_of(request), session_of(request).caller)


async def read_form(request: Request, session: WebSession | None = None) -> dict[str, str]:
    """An urlencoded form's fields (the last value of a repeated one); 403 unless it
    carries ``session``'s CSRF token in ``csrf_token``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise exceptions.UnsupportedMediaType(f"send the form as {FORM_TYPE}")
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise exceptions.ValidationFailed(f"a form has at most {MAX_FIELDS} fields") from exc
    fields = dict(pairs)
    if session is not None:
        sessions.check_csrf_form(session, fields.get("csrf_token"))
    return fields


def validate(model: type[M], values: dict[str, Any]) -> M:
    """``values`` checked by the API's own request model, so a form accepts exactly
    what the API does; 422 naming each field otherwise."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = [exceptions.FieldError(errors.field_of(p), p["msg"]) for p in exc.errors()]
        raise exceptions.ValidationFailed.many("invalid input", problems) from exc
