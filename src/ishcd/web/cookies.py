"""The session cookie: HttpOnly, SameSite=Lax, Secure when users reach the server by https."""

from __future__ import annotations

from fastapi import Response

from ishcd.api.deps import SESSION_COOKIE
from ishcd.server import Server

# Before login there is no session: the login form's CSRF token is a random
# value in this cookie and in the form ("double submit"), so another site
# cannot sign a browser in to an account of its choosing.
LOGIN_CSRF_COOKIE = "ishcd_login_csrf"


def secure(server: Server) -> bool:
    public = server.settings.public_url
    return public is not None and public.startswith("https://")


def set_session_cookie(response: Response, server: Server, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=server.settings.session_max_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(server),
    )


def clear_session_cookie(response: Response, server: Server) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure(server)
    )


def set_login_csrf(response: Response, server: Server, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure(server),
    )
