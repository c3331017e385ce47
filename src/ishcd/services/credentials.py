"""Credentials: an account's own secrets, given to the runs it starts.

Each is ``{name, env, value}``: a run started by the account gets ``value``
as the environment variable ``env``. Nobody else sees or receives them, not
even site admins; project tokens have none.
"""

from __future__ import annotations

import time

from ishcd import exceptions
from ishcd.db import credentials as credentials_db
from ishcd.db.credentials import CredentialRecord
from ishcd.db.database import Connection
from ishcd.services import access, audit, envvars, ids
from ishcd.services import limits as limits_mod
from ishcd.services.limits import Limits
from ishcd.services.principal import Caller
from ishcd.vault import Vault, hint


async def list_credentials(
    conn: Connection, caller: Caller, limit: int, offset: int
) -> list[CredentialRecord]:
    access.require_account(caller)
    return await credentials_db.list_credentials(conn, caller.user_id, limit, offset)


async def create_credential(
    conn: Connection,
    caller: Caller,
    vault: Vault,
    *,
    name: str,
    env: str,
    value: str,
    limits: Limits = limits_mod.DEFAULT,
) -> CredentialRecord:
    access.require_account(caller)
    envvars.check_name(env, field="env")
    envvars.check_value(value, limits)
    if await credentials_db.credential_for_env(conn, caller.user_id, env) is not None:
        raise exceptions.Conflict(f"you already have a credential for {env}: delete it first")
    now = time.time()
    record = CredentialRecord(
        id=ids.new_id(),
        user_id=caller.user_id,
        name=name,
        env=env,
        value_encrypted=vault.encrypt(value),
        value_hint=hint(value),
        created=now,
        changed=now,
    )
    await credentials_db.insert_credential(conn, record)
    details = {"env": env}
    target = ("credential", record.id, name)
    await audit.record(conn, caller, "credential.create", target=target, details=details)
    return record


async def delete_credential(conn: Connection, caller: Caller, credential_id: str) -> None:
    access.require_account(caller)
    if not await credentials_db.delete_credential(conn, caller.user_id, credential_id):
        raise exceptions.NotFound(f"credential {credential_id!r} not found")
    target = ("credential", credential_id, None)
    await audit.record(conn, caller, "credential.delete", target=target)
