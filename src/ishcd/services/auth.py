"""Who a request is from: checking tokens, exchanging them, logging in.

Every request's token is checked against the database (one indexed lookup),
so revoking a token, disabling an account, or taking a project token's
maker out of the project takes effect at once. The HMAC check of a JWT seen
before is cached (the answer cannot change); nothing else is.
"""

from __future__ import annotations

import time

import jwt

from ishcd import exceptions
from ishcd.db import users as users_db
from ishcd.db.database import Connection
from ishcd.db.users import AuthRow, TokenRecord, UserRecord
from ishcd.keys import Keys
from ishcd.services import access, tokens
from ishcd.services.principal import Caller

SESSION_SECONDS = 12 * 3600
# last_used is written at most this often per token, not on every request.
TOUCH_EVERY = 60.0

# Verified claims by raw token: checking the HMAC again for a token already
# seen gives the same answer. Expiry and revocation are still checked each time.
_verified: dict[tuple[bytes, str], dict[str, object]] = {}
_VERIFIED_MAX = 4096


def decode(keys: Keys, raw: str) -> dict[str, object]:
    cached = _verified.get((keys.jwt, raw))
    if cached is not None:
        expires = cached.get("exp")
        if isinstance(expires, int) and expires <= time.time():
            raise exceptions.Unauthorized("the token has expired")
        return cached
    try:
        claims: dict[str, object] = jwt.decode(
            raw,
            keys.jwt,
            algorithms=["HS256"],
            issuer=tokens.ISSUER,
            options={"require": ["sub", "typ", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise exceptions.Unauthorized("the token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise exceptions.Unauthorized("the token is not valid") from exc
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[(keys.jwt, raw)] = claims
    return claims


def _check_user(user: UserRecord) -> None:
    if user.disabled:
        raise exceptions.Unauthorized("the account is disabled")


def _from_token(found: AuthRow, now: float, ip: str | None) -> Caller:
    token, user = found.token, found.user
    _check_user(user)
    if token.revoked is not None:
        raise exceptions.Unauthorized("the token has been revoked")
    if token.expires is not None and token.expires <= now:
        raise exceptions.Unauthorized("the token has expired")
    stale = token.last_used is None or now - token.last_used > TOUCH_EVERY
    if token.project_id is None:
        return Caller(
            user.id,
            user.username,
            user.is_admin,
            token_id=token.id,
            token_name=token.name,
            touch_token=stale,
            ip=ip,
        )
    return Caller(
        user.id,
        user.username,
        False,  # a project token never carries its maker's site-admin powers
        token_id=token.id,
        token_name=token.name,
        project_id=token.project_id,
        project_role=_project_token_role(token, user, found.maker_role),
        touch_token=stale,
        ip=ip,
    )


def _project_token_role(token: TokenRecord, maker: UserRecord, maker_role: str | None) -> str:
    """The token's role, capped by what its maker may do in the project now."""
    assert token.role is not None
    if maker.is_admin:
        return token.role
    if maker_role is None:
        raise exceptions.Unauthorized("the token's maker is no longer a member of its project")
    return min(token.role, maker_role, key=access.rank)


async def authenticate(conn: Connection, keys: Keys, raw: str, ip: str | None = None) -> Caller:
    """The caller a raw token (API token, exchanged or login JWT) stands for."""
    claims = decode(keys, raw)
    now = time.time()
    if claims["typ"] == "api":
        secret = claims.get("jti")
        if not isinstance(secret, str):
            raise exceptions.Unauthorized("the token is not valid")
        found = await users_db.auth_by_secret(conn, tokens.secret_hash(secret))
        if found is None or found.token.user_id != claims["sub"]:
            raise exceptions.Unauthorized("the token has been revoked")
        return _from_token(found, now, ip)
    if claims["typ"] == "session":
        token_id = claims.get("tid")
        if isinstance(token_id, str):
            found = await users_db.auth_by_token_id(conn, token_id)
            if found is None or found.user.id != claims["sub"]:
                raise exceptions.Unauthorized("the token has been revoked")
            return _from_token(found, now, ip)
        account = await users_db.get_user(conn, str(claims["sub"]))
        if account is None:
            raise exceptions.Unauthorized("the account no longer exists")
        _check_user(account)
        if claims.get("sv", 0) != account.session_epoch:
            raise exceptions.Unauthorized("the password has changed since this login: log in again")
        return Caller(account.id, account.username, account.is_admin, ip=ip)
    raise exceptions.Unauthorized("the token is not valid")


async def exchange_token(conn: Connection, keys: Keys, api_token: str) -> str:
    """A 12-hour JWT for a valid API token (``GET /v1/auth/token``)."""
    claims = decode(keys, api_token)
    if claims["typ"] != "api":
        raise exceptions.Unauthorized("api_token must be an API token")
    caller = await authenticate(conn, keys, api_token)
    token = await users_db.get_token(conn, str(caller.token_id))
    expires = None if token is None else token.expires
    return session_jwt(keys, caller.user_id, caller.token_id, not_after=expires)


def session_jwt(
    keys: Keys,
    user_id: str,
    token_id: str | None,
    not_after: float | None = None,
    epoch: int = 0,
) -> str:
    """A JWT valid for 12 hours (or until ``not_after``, if sooner).

    A login's JWT (no ``token_id``) carries the account's session ``epoch``:
    a password change bumps it, and ends every login made before.
    """
    now = int(time.time())
    expires = now + SESSION_SECONDS
    if not_after is not None:
        expires = min(expires, int(not_after))
    claims: dict[str, object] = {"sub": user_id, "typ": "session", "iat": now, "exp": expires}
    if token_id is not None:
        claims["tid"] = token_id
    else:
        claims["sv"] = epoch
    return tokens.encode(keys, claims)
