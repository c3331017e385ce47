"""Secrets: env vars and credentials reach runs, encrypted at rest, masked everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ishcd.db import envvars as envvars_db
from ishcd.db import postgres
from ishcd.keys import derive_keys
from ishcd.vault import Vault
from tests import stored_logs
from tests.api.conftest import Api, bearer

ENV_SECRET = "envvar-s3cr3t-value"
CRED_SECRET = "credential-s3cr3t-value"
VAR_SECRET = "variable-s3cr3t-value"
RUN_SECRET = "run-env-s3cr3t-value"


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


async def test_envvars_are_write_only_and_listed_masked(api: Api, project: dict[str, Any]) -> None:
    response = await api.post(
        "/v1/projects/ops/envvars", json={"name": "DB_PASSWORD", "value": "abcdefgh12345"}
    )
    assert response.status_code == 201
    assert response.json()["value"] == "xxxx2345"
    await api.post("/v1/projects/ops/envvars", json={"name": "SHORT", "value": "12345678"})
    listed = (await api.get("/v1/projects/ops/envvars")).json()
    assert [(e["name"], e["value"]) for e in listed] == [
        ("DB_PASSWORD", "xxxx2345"),
        ("SHORT", "xxxx"),
    ]
    one = await api.get("/v1/projects/ops/envvars/DB_PASSWORD")
    assert one.json()["value"] == "xxxx2345"
    replaced = await api.post(
        "/v1/projects/ops/envvars", json={"name": "DB_PASSWORD", "value": "new-value-9876"}
    )
    assert replaced.status_code == 201
    assert replaced.json()["value"] == "xxxx9876"
    assert (await api.delete("/v1/projects/ops/envvars/SHORT")).status_code == 204
    assert (await api.get("/v1/projects/ops/envvars/SHORT")).status_code == 404
    assert (await api.delete("/v1/projects/ops/envvars/SHORT")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "1X", "value": "v"}, "name"),
        ({"name": "ISHCD_X", "value": "v"}, "name"),
        ({"name": "X", "value": "a\u0000b"}, "value"),
        ({"name": "X"}, "value"),
        ({"name": "X", "value": 5}, "value"),
    ],
)
async def test_bad_envvars_are_422(
    api: Api, project: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/projects/ops/envvars", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_credentials_are_their_accounts_own(api: Api, project: dict[str, Any]) -> None:
    created = await api.post(
        "/v1/credentials", json={"name": "AWS", "env": "AWS_KEY", "value": "AKIA1234567890"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["value"] == "xxxx7890"
    assert body["env"] == "AWS_KEY"
    again = await api.post(
        "/v1/credentials", json={"name": "AWS 2", "env": "AWS_KEY", "value": "x"}
    )
    assert again.status_code == 409
    bob = await api.user("bob")
    assert (await api.get("/v1/credentials", headers=bearer(bob))).json() == []
    assert (
        await api.delete(f"/v1/credentials/{body['id']}", headers=bearer(bob))
    ).status_code == 404
    assert [c["name"] for c in (await api.get("/v1/credentials")).json()] == ["AWS"]
    assert (await api.delete(f"/v1/credentials/{body['id']}")).status_code == 204
    assert (await api.get("/v1/credentials")).json() == []


async def secret_world(api: Api) -> dict[str, Any]:
    await api.post("/v1/projects/ops/envvars", json={"name": "ENV_SECRET", "value": ENV_SECRET})
    await api.post(
        "/v1/credentials", json={"name": "c", "env": "CRED_SECRET", "value": CRED_SECRET}
    )
    variables = [
        {"name": "VAR_SECRET", "default": VAR_SECRET, "secret": True},
        {"name": "RUN_SECRET", "secret": True},
        {"name": "PLAIN", "default": "visible"},
    ]
    script = (
        'echo "env=$ENV_SECRET cred=$CRED_SECRET var=$VAR_SECRET run=$RUN_SECRET plain=$PLAIN"\n'
        'echo "again:$ENV_SECRET$ENV_SECRET"\n'
    )
    return await api.job("ops", script, name="leaky", variables=variables)


async def test_runs_get_every_secret_and_the_log_shows_none(
    api: Api, project: dict[str, Any]
) -> None:
    job = await secret_world(api)
    assert job["variables"][0]["default"] == "***"
    run = await api.start("ops", "leaky", env={"RUN_SECRET": RUN_SECRET, "PLAIN": "shown"})
    assert run["env"] == {"RUN_SECRET": "***", "PLAIN": "shown"}
    done = await api.wait(run["id"])
    assert done["status"] == "complete"
    assert done["log"] == "env=*** cred=*** var=*** run=*** plain=shown\nagain:******\n"
    raw = (await api.get(f"/v1/runs/{run['id']}/log")).text
    assert raw == done["log"]
    listed = str((await api.get("/v1/projects/ops/runs")).json())
    for secret in (ENV_SECRET, CRED_SECRET, VAR_SECRET, RUN_SECRET):
        assert secret not in listed
        assert secret not in str((await api.get("/v1/projects/ops/jobs/leaky")).json())


async def test_a_secret_split_across_output_chunks_is_masked(
    api: Api, project: dict[str, Any]
) -> None:
    await api.post("/v1/projects/ops/envvars", json={"name": "PW", "value": ENV_SECRET})
    half = len(ENV_SECRET) // 2
    script = (
        f"printf 'start %s' \"${{PW:0:{half}}}\"; sleep 0.3; "
        f"printf '%s end\\n' \"${{PW:{half}}}\"; sleep 0.3; printf '%s' \"$PW\""
    )
    await api.job("ops", script, name="split")
    done = await api.wait((await api.start("ops", "split"))["id"])
    assert done["log"] == "start *** end\n***"


async def test_only_the_starter_gets_their_credentials(api: Api, project: dict[str, Any]) -> None:
    await api.post("/v1/credentials", json={"name": "c", "env": "MY_CRED", "value": CRED_SECRET})
    await api.job("ops", 'echo "cred=${MY_CRED:-none}"', name="j")
    bob = await api.user("bob")
    await api.grant(project["id"], bob, "write")
    mine = await api.wait((await api.start("ops", "j"))["id"])
    assert mine["log"] == "cred=***\n"
    bobs = await api.post("/v1/projects/ops/jobs/j/runs", headers=bearer(bob))
    assert (await api.wait(bobs.json()["id"]))["log"] == "cred=none\n"
    token = (
        await api.post("/v1/projects/ops/tokens", json={"name": "bot", "role": "write"})
    ).json()
    by_token = await api.post("/v1/projects/ops/jobs/j/runs", headers=bearer(token["token"]))
    assert (await api.wait(by_token.json()["id"]))["log"] == "cred=none\n"


async def test_declared_variables_win_over_envvars_and_credentials(
    api: Api, project: dict[str, Any]
) -> None:
    await api.post("/v1/projects/ops/envvars", json={"name": "WHO", "value": "from-envvar"})
    await api.post(
        "/v1/projects/ops/envvars", json={"name": "ONLY_ENVVAR", "value": "envvar-value"}
    )
    await api.post("/v1/credentials", json={"name": "c", "env": "WHO", "value": "from-credential"})
    await api.job(
        "ops", 'echo "$WHO"', name="j", variables=[{"name": "WHO", "default": "from-job"}]
    )
    await api.job("ops", 'echo "$WHO"', name="k")
    assert (await api.wait((await api.start("ops", "j"))["id"]))["log"] == "from-job\n"
    assert (await api.wait((await api.start("ops", "k"))["id"]))["log"] == "***\n"


async def all_database_text(api: Api, tmp_path: Path) -> bytes:
    """Everything the database holds, as bytes: the SQLite files, or every PostgreSQL row."""
    url = api.server.database.url
    if url.startswith("sqlite"):
        db = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    conn = await asyncpg.connect(postgres.dsn_from_url(url))
    try:
        tables = [
            r[0]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        dump = []
        for table in tables:
            for row in await conn.fetch(f'SELECT t::text FROM "{table}" t'):
                dump.append(row[0])
        return "\n".join(dump).encode()
    finally:
        await conn.close()


async def test_the_database_alone_never_reveals_a_secret(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    await secret_world(api)
    run = await api.start("ops", "leaky", env={"RUN_SECRET": RUN_SECRET})
    await api.wait(run["id"])
    await api.post(
        "/v1/credentials", json={"name": "c2", "env": "OTHER", "value": "zz-another-s3cr3t"}
    )
    dump = await all_database_text(api, tmp_path)
    assert b"visible" in dump  # the dump does hold the data...
    for secret in (ENV_SECRET, CRED_SECRET, VAR_SECRET, RUN_SECRET, "zz-another-s3cr3t"):
        assert secret.encode() not in dump  # ...but no secret in clear
    logs = await stored_logs.stored_bytes(api.server)
    for secret in (ENV_SECRET, CRED_SECRET, VAR_SECRET, RUN_SECRET):
        assert secret.encode() not in logs


async def test_a_server_with_another_key_cannot_read_the_secrets(
    api: Api, project: dict[str, Any]
) -> None:
    await api.post("/v1/projects/ops/envvars", json={"name": "X", "value": ENV_SECRET})
    async with api.server.database.read() as conn:
        stored = (await envvars_db.all_envvars(conn, project["id"]))[0].value_encrypted
    assert api.server.vault.decrypt(stored) == ENV_SECRET
    with pytest.raises(ValueError, match="server key"):
        Vault(derive_keys("some-other-key")).decrypt(stored)
