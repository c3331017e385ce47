"""What a run's script gets in its environment, and which values are secret.

A run's own variables (the job's defaults overlaid with the run's env) are
sealed (encrypted) when the run is created. When a runner claims the run,
they are opened and joined with the project's env vars and the credentials
of the account that started it, decrypted then and only then:

    project env vars  <  credentials  <  the job's variables and the run's env

Every value from a secret source (env vars, credentials, variables marked
``secret``) goes to the runner as a secret too, so it can mask them in the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ishcd.db import credentials as credentials_db
from ishcd.db import envvars as envvars_db
from ishcd.db.database import Connection
from ishcd.db.runs import RunRecord
from ishcd.vault import Vault


@dataclass(frozen=True)
class RunEnv:
    env: dict[str, str]
    secrets: list[str]  # values to mask in the log


def seal(vault: Vault, env: dict[str, str], secret_names: set[str]) -> str:
    """The run's variables, encrypted, noting which are secret."""
    return vault.encrypt(json.dumps({"env": env, "secret": sorted(secret_names)}))


def unseal(vault: Vault, sealed: str) -> tuple[dict[str, str], list[str]]:
    data: dict[str, Any] = json.loads(vault.decrypt(sealed))
    return data["env"], data["secret"]


async def _shared(
    conn: Connection, vault: Vault, project_id: str, credentials_of: str | None
) -> RunEnv:
    """The project's env vars and the credentials of ``credentials_of``, decrypted."""
    env: dict[str, str] = {}
    secrets: list[str] = []
    for envvar in await envvars_db.all_envvars(conn, project_id):
        env[envvar.name] = value = vault.decrypt(envvar.value_encrypted)
        secrets.append(value)
    if credentials_of is not None:
        for credential in await credentials_db.all_credentials(conn, credentials_of):
            env[credential.env] = value = vault.decrypt(credential.value_encrypted)
            secrets.append(value)
    return RunEnv(env, secrets)


async def gather(
    conn: Connection,
    vault: Vault,
    project_id: str,
    credentials_of: str | None,
    own: dict[str, str],
) -> dict[str, str]:
    """The variables a run would be given: shared ones overlaid with its ``own``."""
    shared = await _shared(conn, vault, project_id, credentials_of)
    return {**shared.env, **own}


async def assemble(conn: Connection, vault: Vault, run: RunRecord) -> RunEnv:
    """Everything a claimed run's script gets, decrypted, and its secret values."""
    shared = await _shared(conn, vault, run.project_id, run.credentials_of)
    env, secrets = shared.env, shared.secrets
    own, secret_names = unseal(vault, run.resolved_env_json)
    env.update(own)
    secrets.extend(own[name] for name in secret_names if name in own)
    return RunEnv(env, secrets)
