"""What a run's script gets in its environment, and which values are secret.

A run's own variables (the job's defaults overlaid with the run's env) are
sealed (encrypted) when the run is created. When a runner claims the run,
they are opened and joined with the project's env vars and the credentials
of the account that started it, decrypted then and only then:

    CI=true  <  project env vars  <  credentials  <  the job's variables and
    the run's env  <  ISHCD=true, ISHCD_RUN_URL, ISHCD_PIPELINE_URL

``CI`` is a default a user may override (``CI=false`` for a tool that acts up
under CI); ``ISHCD`` and ``ISHCD_*`` are reserved: no user value has those
names, and the runner adds its own (``ISHCD_RUN_ID``…) on top. The URLs are
there only when the server knows its public URL (``ISHCD_PUBLIC_URL``).

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

# What every run gets unless its own variables say otherwise.
DEFAULTS = {"CI": "true"}


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


def run_url(public_url: str, run_id: str) -> str:
    return f"{public_url}/v1/runs/{run_id}"


def pipeline_url(public_url: str, pipeline_id: str) -> str:
    return f"{public_url}/v1/pipelines/{pipeline_id}"


def builtins(run: RunRecord, public_url: str | None) -> dict[str, str]:
    """The reserved variables the server gives a run (the runner adds its own)."""
    values = {"ISHCD": "true"}
    if public_url is not None:
        values["ISHCD_RUN_URL"] = run_url(public_url, run.id)
        pipeline = (run.origin or {}).get("pipeline")
        if pipeline is not None:
            values["ISHCD_PIPELINE_URL"] = pipeline_url(public_url, str(pipeline["id"]))
    return values


async def assemble(
    conn: Connection, vault: Vault, run: RunRecord, public_url: str | None = None
) -> RunEnv:
    """Everything a claimed run's script gets, decrypted, and its secret values."""
    shared = await _shared(conn, vault, run.project_id, run.credentials_of)
    env, secrets = {**DEFAULTS, **shared.env}, shared.secrets
    own, secret_names = unseal(vault, run.resolved_env_json)
    env.update(own)
    env.update(builtins(run, public_url))
    secrets.extend(own[name] for name in secret_names if name in own)
    return RunEnv(env, secrets)
