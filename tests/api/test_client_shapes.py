"""Request bodies in the shapes of Ish CD's official JavaScript client (drush.io's).

Projects and jobs take ``{name, label}`` (label the display name, name the
machine name), jobs ``rawCommands`` as the script, members ``{email}`` alone
and a role as ``{"type": …}``. The answers keep their usual shapes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

# Body shapes are translated before any storage: SQLite alone (tests/conftest.py database_url).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MEMBERS = "/v1/projects/ops/members"


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def test_a_project_from_name_and_label(api: Api) -> None:
    created = await api.post("/v1/projects", json={"name": "my-site", "label": "My Site"})
    assert created.status_code == 201, created.text
    project = created.json()
    assert (project["machine_name"], project["name"]) == ("my-site", "My Site")
    read = await api.get("/v1/projects/my-site")
    assert read.json() == project


async def test_without_label_name_is_the_display_name_as_before(api: Api) -> None:
    project = await api.project("My Site")
    assert (project["machine_name"], project["name"]) == ("my-site", "My Site")
    again = await api.project("My Site")
    assert again["machine_name"] == "my-site-2"


@pytest.mark.parametrize(
    "name", ["My Site", "-site", "a" * 65, "3abed1d7-68ec-4151-ae87-edcc918315b4"]
)
async def test_with_label_a_name_that_is_no_machine_name_is_422_naming_name(
    api: Api, name: str
) -> None:
    response = await api.post("/v1/projects", json={"name": name, "label": "My Site"})
    assert response.status_code == 422
    assert fields(response) == ["name"]
    assert "machine name" in response.json()["errors"][0]["message"]


async def test_label_with_machine_name_too_is_422(api: Api) -> None:
    body = {"name": "my-site", "label": "My Site", "machine_name": "other"}
    response = await api.post("/v1/projects", json=body)
    assert response.status_code == 422
    assert fields(response) == ["machine_name"]


async def test_label_needs_a_name_and_a_free_machine_name(api: Api) -> None:
    missing = await api.post("/v1/projects", json={"label": "My Site"})
    assert missing.status_code == 422
    assert fields(missing) == ["name"]
    await api.post("/v1/projects", json={"name": "my-site", "label": "My Site"})
    taken = await api.post("/v1/projects", json={"name": "my-site", "label": "Another"})
    assert taken.status_code == 409


async def test_a_project_updated_with_name_and_label(api: Api) -> None:
    await api.post("/v1/projects", json={"name": "my-site", "label": "My Site"})
    renamed = await api.patch("/v1/projects/my-site", json={"label": "Our Site"})
    assert (renamed.json()["machine_name"], renamed.json()["name"]) == ("my-site", "Our Site")
    both = await api.patch("/v1/projects/my-site", json={"name": "our-site", "label": "Our Site"})
    assert both.status_code == 200, both.text
    assert (both.json()["machine_name"], both.json()["name"]) == ("our-site", "Our Site")
    plain = await api.patch("/v1/projects/our-site", json={"name": "Plain Name"})
    assert (plain.json()["machine_name"], plain.json()["name"]) == ("our-site", "Plain Name")
    bad = await api.patch("/v1/projects/our-site", json={"name": "Not A Slug", "label": "x"})
    assert bad.status_code == 422
    assert fields(bad) == ["name"]
    null = await api.patch("/v1/projects/our-site", json={"name": None, "label": "x"})
    assert fields(null) == ["name"]


async def test_a_job_from_label_name_and_raw_commands_runs_its_script(api: Api) -> None:
    await api.project("Ops")
    body = {"label": "Clear Cache", "name": "cc", "rawCommands": "echo cleared"}
    created = await api.post("/v1/projects/ops/jobs", json=body)
    assert created.status_code == 201, created.text
    job = created.json()
    assert (job["machine_name"], job["name"], job["script"]) == (
        "cc",
        "Clear Cache",
        "echo cleared",
    )
    assert "rawCommands" not in job
    run = await api.wait((await api.start("ops", "cc"))["id"])
    assert run["status"] == "complete"
    assert "cleared" in run["log"]


async def test_raw_commands_alone_with_a_display_name(api: Api) -> None:
    await api.project("Ops")
    created = await api.post(
        "/v1/projects/ops/jobs", json={"name": "My Job", "rawCommands": "true"}
    )
    assert created.status_code == 201, created.text
    assert (created.json()["machine_name"], created.json()["script"]) == ("my-job", "true")


async def test_job_script_errors_name_the_field(api: Api) -> None:
    await api.project("Ops")
    both = await api.post(
        "/v1/projects/ops/jobs", json={"name": "j", "rawCommands": "true", "script": "true"}
    )
    assert both.status_code == 422
    assert fields(both) == ["script"]
    assert "rawCommands" in both.json()["errors"][0]["message"]
    neither = await api.post("/v1/projects/ops/jobs", json={"name": "j"})
    assert neither.status_code == 422
    assert fields(neither) == ["script"]
    empty = await api.post("/v1/projects/ops/jobs", json={"name": "j", "rawCommands": ""})
    assert fields(empty) == ["rawCommands"]
    slug = await api.post(
        "/v1/projects/ops/jobs", json={"name": "Not A Slug", "label": "J", "rawCommands": "true"}
    )
    assert fields(slug) == ["name"]


async def test_a_job_updated_with_label_name_and_raw_commands(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", "echo one", name="Backup")
    changed = await api.patch(
        "/v1/projects/ops/jobs/backup",
        json={"label": "Nightly Backup", "name": "nightly", "rawCommands": "echo two"},
    )
    assert changed.status_code == 200, changed.text
    job = changed.json()
    assert (job["machine_name"], job["name"], job["script"]) == (
        "nightly",
        "Nightly Backup",
        "echo two",
    )
    both = await api.patch(
        "/v1/projects/ops/jobs/nightly", json={"rawCommands": "echo 3", "script": "echo 3"}
    )
    assert both.status_code == 422
    assert fields(both) == ["script"]
    script = await api.patch("/v1/projects/ops/jobs/nightly", json={"script": "echo four"})
    assert script.json()["script"] == "echo four"


async def add_user(api: Api, username: str, email: str | None) -> None:
    response = await api.post("/v1/users", json={"username": username, "email": email})
    assert response.status_code == 201, response.text


async def test_email_alone_adds_its_account_as_reader(api: Api) -> None:
    await api.project("Ops")
    await add_user(api, "alice", "Alice@Example.com")
    added = await api.post(MEMBERS, json={"email": "alice@example.com"})
    assert added.status_code == 201, added.text
    member = added.json()
    assert (member["user"]["username"], member["role"], member["status"]) == (
        "alice",
        "read",
        "active",
    )
    assert member["email"] is None
    again = await api.post(MEMBERS, json={"email": "alice@example.com"})
    assert again.status_code == 409


async def test_email_no_account_has_adds_an_invitation(api: Api) -> None:
    await api.project("Ops")
    added = await api.post(MEMBERS, json={"email": "dana@example.com"})
    assert added.status_code == 201, added.text
    member = added.json()
    assert (member["user"], member["email"], member["role"], member["status"]) == (
        None,
        "dana@example.com",
        "read",
        "invited",
    )
    link = await api.post(f"{MEMBERS}/{member['id']}/invite")
    assert link.status_code == 201, link.text
    again = await api.post(MEMBERS, json={"email": "dana@example.com"})
    assert again.status_code == 409


async def test_an_email_several_accounts_have_is_422(api: Api) -> None:
    await api.project("Ops")
    await add_user(api, "bob", "shared@example.com")
    await add_user(api, "bobby", "shared@example.com")
    response = await api.post(MEMBERS, json={"email": "shared@example.com"})
    assert response.status_code == 422
    assert fields(response) == ["email"]
    assert "username" in response.json()["message"]


async def test_a_role_object_in_create_and_update(api: Api) -> None:
    await api.project("Ops")
    await add_user(api, "carol", None)
    added = await api.post(MEMBERS, json={"username": "carol", "role": {"type": "write"}})
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "write"
    path = f"{MEMBERS}/{added.json()['id']}"
    changed = await api.patch(path, json={"role": {"type": "admin"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "admin"
    plain = await api.patch(path, json={"role": "read"})
    assert plain.json()["role"] == "read"


@pytest.mark.parametrize(
    "role",
    [{"type": "owner"}, {"kind": "write"}, {"type": "write", "extra": 1}, {}, ["write"], None, 3],
)
async def test_a_bad_role_is_422_naming_role(api: Api, role: Any) -> None:
    await api.project("Ops")
    created = await api.post(MEMBERS, json={"email": "erin@example.com", "role": role})
    assert created.status_code == 422
    assert fields(created) == ["role"]
    me = (await api.get(MEMBERS)).json()[0]
    updated = await api.patch(f"{MEMBERS}/{me['id']}", json={"role": role})
    assert updated.status_code == 422
    assert fields(updated) == ["role"]
