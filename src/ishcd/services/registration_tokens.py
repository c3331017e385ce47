"""Registration tokens: what a runner registers with. Site admins make and revoke them.

A token (``ishrt_…``) is shown once; only its sha256 is stored. Revoking one
deletes it: it registers no more runners, and those it registered keep working.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ishcd import exceptions
from ishcd.db import runners as runners_db
from ishcd.db.database import Connection
from ishcd.db.runners import ListedRegistrationToken, RegistrationTokenRecord
from ishcd.services import access, audit, ids, runners
from ishcd.services.principal import Caller

MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class NewRegistrationToken:
    record: RegistrationTokenRecord
    token: str  # shown once


def _target(token: RegistrationTokenRecord) -> tuple[str, str, str]:
    return ("runner_registration_token", token.id, token.description)


async def create_registration_token(
    conn: Connection, caller: Caller, description: str
) -> NewRegistrationToken:
    """A new registration token (site admins); the token itself is returned once."""
    access.require_site_admin(caller)
    if not description.strip() or len(description) > MAX_DESCRIPTION:
        raise exceptions.ValidationFailed.one(
            "description", f"must be 1 to {MAX_DESCRIPTION} characters"
        )
    token = runners.new_secret(runners.REGISTRATION_PREFIX)
    record = RegistrationTokenRecord(
        id=ids.new_id(),
        description=description,
        secret_hash=runners.hash_secret(token),
        created=time.time(),
        created_by=caller.user_id,
        last_used=None,
    )
    await runners_db.insert_registration_token(conn, record)
    await audit.record(conn, caller, "runner_registration_token.create", target=_target(record))
    return NewRegistrationToken(record, token)


async def revoke_registration_token(conn: Connection, caller: Caller, token_id: str) -> None:
    """Revoke a registration token (site admins): it registers no more runners."""
    access.require_site_admin(caller)
    token = await runners_db.get_registration_token(conn, token_id)
    if token is None or not await runners_db.delete_registration_token(conn, token_id):
        raise exceptions.NotFound(f"registration token {token_id!r} not found")
    await audit.record(conn, caller, "runner_registration_token.revoke", target=_target(token))


async def list_registration_tokens(
    conn: Connection, caller: Caller, limit: int, offset: int
) -> list[ListedRegistrationToken]:
    """Registration tokens, newest first (site admins); never the tokens themselves."""
    access.require_site_admin(caller)
    return await runners_db.list_registration_tokens(conn, limit, offset)
