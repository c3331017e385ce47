"""Rendering pages: one Jinja2 environment, autoescaping everything.

Every value a user or a job wrote reaches a template as data and is escaped
there; no template marks such a value safe. Pages get the signed-in user,
the session's CSRF token for their forms, and a one-time notice.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ishcd import __version__
from ishcd.services.sessions import WebSession

NOTICE_COOKIE = "ishcd_notice"
NOTICE_MAX = 300

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("ishcd.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(stamp: float | None) -> str:
    """A timestamp as UTC date and time (the page's script shows local time)."""
    if stamp is None:
        return "—"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(stamp: float | None) -> str:
    return "" if stamp is None else datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def _ago(stamp: float | None) -> str:
    if stamp is None:
        return "never"
    seconds = max(0, int(time.time() - stamp))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


_env.filters["when"] = _when
_env.filters["ago"] = _ago
_env.filters["iso"] = _iso
_env.filters["duration"] = _duration
_env.filters["urlpart"] = lambda value: quote(str(value), safe="")
_env.globals["version"] = __version__


def render(
    request: Request,
    template: str,
    session: WebSession | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` as a page for ``session``'s user (None: signed out)."""
    notice = request.cookies.get(NOTICE_COOKIE)
    html = _env.get_template(template).render(
        request=request,
        user=None if session is None else session.user,
        csrf_token="" if session is None else session.csrf_token,
        notice=None if notice is None else unquote(notice)[:NOTICE_MAX],
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    """After a form: go to ``url`` (303, so a reload does not post again), saying ``notice``."""
    response = RedirectResponse(url, status_code=303)
    if notice is not None:
        response.set_cookie(
            NOTICE_COOKIE, quote(notice[:NOTICE_MAX]), path="/", httponly=True, samesite="lax"
        )
    return response
