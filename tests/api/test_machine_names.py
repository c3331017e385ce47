"""Machine names made at the same moment (issue 8, defect 8).

On PostgreSQL 50 jobs named alike and created at once got 32 409s showing the
raw database error, its constraint name and the project's id; SQLite gave 50
201s with numbered machine names. Both now give what SQLite gave.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import Api

AT_ONCE = 50


async def test_fifty_jobs_named_alike_at_once(api: Api) -> None:
    await api.project("Ops")
    body = {"name": "Deploy", "script": "true"}
    responses = await asyncio.gather(
        *(api.post("/v1/projects/ops/jobs", json=body) for _ in range(AT_ONCE))
    )
    assert [r.status_code for r in responses] == [201] * AT_ONCE, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    names = {r.json()["machine_name"] for r in responses}
    assert names == {"deploy", *(f"deploy-{n}" for n in range(2, AT_ONCE + 1))}


async def test_fifty_projects_named_alike_at_once(api: Api) -> None:
    responses = await asyncio.gather(
        *(api.post("/v1/projects", json={"name": "Web Site"}) for _ in range(AT_ONCE))
    )
    assert [r.status_code for r in responses] == [201] * AT_ONCE
    names = {r.json()["machine_name"] for r in responses}
    assert names == {"web-site", *(f"web-site-{n}" for n in range(2, AT_ONCE + 1))}


def _is_plain(response: Any) -> bool:
    text = response.text.lower()
    return not any(word in text for word in ("constraint", "unique", "duplicate key", "sql"))


async def test_a_chosen_name_taken_at_once_is_our_own_409(api: Api) -> None:
    await api.project("Ops")
    body = {"name": "Deploy", "machine_name": "deploy", "script": "true"}
    responses = await asyncio.gather(
        *(api.post("/v1/projects/ops/jobs", json=body) for _ in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9
    for response in responses:
        assert _is_plain(response), response.text
        if response.status_code == 409:
            assert response.json()["message"] == "machine_name 'deploy' is taken in project 'ops'"
    projects = await asyncio.gather(
        *(api.post("/v1/projects", json={"name": "x", "machine_name": "same"}) for _ in range(10))
    )
    assert sorted(r.status_code for r in projects) == [201] + [409] * 9
    assert all(_is_plain(r) for r in projects)


async def test_users_created_at_once_conflict_plainly(api: Api) -> None:
    responses = await asyncio.gather(
        *(api.post("/v1/users", json={"username": "alice"}) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    assert all(_is_plain(r) for r in responses), [r.text for r in responses]
