"""API tokens: minted as JWTs, stored as a hash, checked on every request.

An API token is a JWT signed with the server key whose ``jti`` is a random
secret; the database keeps only ``sha256(jti)``. ``exchange_token`` trades
one for a 12-hour JWT that names the token (``tid``), so revoking the token
ends the exchanged JWTs at once too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt

from ishcd import exceptions
from ishcd.db import users as users_db
from ishcd.db.database import Connection
from ishcd.db.users import TokenRecord, UserRecord
from ishcd.keys import Keys
from ishcd.services import ids
from ishcd.services.principal import Caller

ISSUER = "ishcd"
SESSION_SECONDS = 12 * 3600
# last_used is written at most this often per token, not on every request.
TOUCH_EVERY = 60.0


@dataclass(frozen=True)
class NewToken:
    record: TokenRecord
    token: str  # the JWT, shown once


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _encode(keys: Keys, claims: dict[str, object]) -> str:
    return jwt.encode({"iss": ISSUER, **claims}, keys.jwt, algorithm="HS256")


async def create_token(
    conn: Connection, keys: Keys, user: UserRecord | Caller, name: str
) -> NewToken:
    """Mint a named API token for ``user``, valid until revoked."""
    user_id = user.id if isinstance(user, UserRecord) else user.user_id
    secret = secrets.token_urlsafe(32)
    now = time.time()
    record = TokenRecord(
        id=ids.new_id(),
        user_id=user_id,
        name=name,
        secret_hash=_secret_hash(secret),
        created=now,
        last_used=None,
        revoked=None,
    )
    await users_db.insert_token(conn, record)
    token = _encode(keys, {"sub": user_id, "typ": "api", "jti": secret, "iat": int(now)})
    return NewToken(record, token)


async def list_tokens(
    conn: Connection, caller: Caller, limit: int, offset: int
) -> list[TokenRecord]:
    return await users_db.list_live_tokens(conn, caller.user_id, limit, offset)


async def revoke_token(conn: Connection, caller: Caller, token_id: str) -> None:
    if not await users_db.revoke_token(conn, caller.user_id, token_id, time.time()):
        raise exceptions.NotFound(f"token {token_id!r} not found")


async def touch_token(conn: Connection, token_id: str) -> None:
    await users_db.touch_token(conn, token_id, time.time())


# Verified claims by raw token: checking the HMAC again for a token already
# seen gives the same answer. Expiry and revocation are still checked each time.
_verified: dict[tuple[bytes, str], dict[str, object]] = {}
_VERIFIED_MAX = 4096


def _decode(keys: Keys, raw: str) -> dict[str, object]:
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
            issuer=ISSUER,
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


def _caller(user: UserRecord, token: TokenRecord | None, now: float) -> Caller:
    if user.disabled:
        raise exceptions.Unauthorized("the account is disabled")
    if token is None:
        return Caller(user.id, user.username, user.is_admin)
    if token.revoked is not None:
        raise exceptions.Unauthorized("the token has been revoked")
    stale = token.last_used is None or now - token.last_used > TOUCH_EVERY
    return Caller(user.id, user.username, user.is_admin, token_id=token.id, touch_token=stale)


async def authenticate(conn: Connection, keys: Keys, raw: str) -> Caller:
    """The caller a raw token (API token or session JWT) stands for."""
    claims = _decode(keys, raw)
    now = time.time()
    if claims["typ"] == "api":
        secret = claims.get("jti")
        if not isinstance(secret, str):
            raise exceptions.Unauthorized("the token is not valid")
        found = await users_db.token_and_user_by_secret(conn, _secret_hash(secret))
        if found is None or not hmac.compare_digest(found[0].secret_hash, _secret_hash(secret)):
            raise exceptions.Unauthorized("the token has been revoked")
        token, user = found
        if token.user_id != claims["sub"]:
            raise exceptions.Unauthorized("the token is not valid")
        return _caller(user, token, now)
    if claims["typ"] == "session":
        token_id = claims.get("tid")
        if isinstance(token_id, str):
            found = await users_db.token_and_user_by_id(conn, token_id)
            if found is None or found[1].id != claims["sub"]:
                raise exceptions.Unauthorized("the token has been revoked")
            return _caller(found[1], found[0], now)
        account = await users_db.get_user(conn, str(claims["sub"]))
        if account is None:
            raise exceptions.Unauthorized("the account no longer exists")
        return _caller(account, None, now)
    raise exceptions.Unauthorized("the token is not valid")


async def exchange_token(conn: Connection, keys: Keys, api_token: str) -> str:
    """A 12-hour JWT for a valid API token (``GET /v1/auth/token``)."""
    claims = _decode(keys, api_token)
    if claims["typ"] != "api":
        raise exceptions.Unauthorized("api_token must be an API token")
    caller = await authenticate(conn, keys, api_token)
    return session_jwt(keys, caller.user_id, caller.token_id)


def session_jwt(keys: Keys, user_id: str, token_id: str | None) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "typ": "session",
        "iat": now,
        "exp": now + SESSION_SECONDS,
    }
    if token_id is not None:
        claims["tid"] = token_id
    return _encode(keys, claims)
