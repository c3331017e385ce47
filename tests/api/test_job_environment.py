"""What a job sees: CI=true, ISHCD=true, and links to its run and pipeline (ISHCD_PUBLIC_URL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_pipelines import jobs_of, trigger, wait_pipeline, workflow_of

PUBLIC = "https://ci.example.com/ishcd"
WITH_PUBLIC_URL = pytest.mark.parametrize("settings_overrides", [{"public_url": PUBLIC + "/"}])
# ${X-unset}: whether a variable is there at all, not just empty.
SHOW = 'echo "CI=$CI ISHCD=$ISHCD RUN=${ISHCD_RUN_URL-unset} PIPELINE=${ISHCD_PIPELINE_URL-unset}"'


async def run_log(api: Api, project: str, job: str, **body: Any) -> tuple[str, str]:
    """Start the job, wait for it to complete: its id and log."""
    run = await api.wait((await api.start(project, job, **body))["id"])
    assert run["status"] == "complete", run
    return run["id"], run["log"]


async def test_every_run_knows_it_runs_in_ci(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", SHOW, name="show")
    _, log = await run_log(api, "ops", "show")
    # No public URL: no links, rather than links to an address nobody can reach.
    assert log == "CI=true ISHCD=true RUN=unset PIPELINE=unset\n"


@WITH_PUBLIC_URL
async def test_with_a_public_url_a_run_gets_the_api_link_to_itself(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", SHOW, name="show")
    run_id, log = await run_log(api, "ops", "show")
    url = f"{PUBLIC}/v1/runs/{run_id}"  # the trailing slash of the setting is gone
    assert log == f"CI=true ISHCD=true RUN={url} PIPELINE=unset\n"
    # The link is the API's own address of the run, under the proxy's prefix.
    read = await api.get(url.removeprefix(PUBLIC))
    assert read.status_code == 200
    assert read.json()["id"] == run_id


CONFIG = f"""\
version: 1
jobs:
  show:
    steps:
      - run: '{SHOW}'
workflows:
  main: {{jobs: [show]}}
"""


@pytest.mark.parametrize("settings_overrides", [{}, {"public_url": PUBLIC}])
async def test_a_pipeline_job_gets_the_links_to_its_run_and_pipeline(
    api: Api, settings_overrides: dict[str, Any]
) -> None:
    await api.project("CI")
    created = await trigger(api, CONFIG)
    pipeline = await wait_pipeline(api, created["id"])
    assert pipeline["status"] == "complete", pipeline
    job = (await jobs_of(api, (await workflow_of(api, created["id"]))["id"]))["show"]
    log = (await api.get(f"/v1/runs/{job['run_id']}")).json()["log"].split("\n", 1)[1]
    if not settings_overrides:
        assert log == "CI=true ISHCD=true RUN=unset PIPELINE=unset\n"
        return
    run_url, pipeline_url = f"{PUBLIC}/v1/runs/{job['run_id']}", f"{PUBLIC}/v1/pipelines/"
    assert log == f"CI=true ISHCD=true RUN={run_url} PIPELINE={pipeline_url}{created['id']}\n"
    read = await api.get(f"/v1/pipelines/{created['id']}")
    assert read.json()["number"] == created["number"]


async def test_a_user_s_own_ci_wins_but_ishcd_is_reserved(api: Api) -> None:
    await api.project("Ops")
    # Env var values are secrets, masked in the log: say which value it is without it.
    which = 'case "$CI" in false) echo project;; true) echo default;; *) echo other;; esac'
    await api.job("ops", which + '; echo "ISHCD=$ISHCD"', name="plain")
    declared = [{"name": "CI", "default": "from-the-job"}]
    await api.job("ops", 'echo "CI=[$CI]"', name="declares", variables=declared)
    assert (await run_log(api, "ops", "plain"))[1] == "default\nISHCD=true\n"
    # A project env var named CI: the run gets it, not the default "true".
    put = await api.post("/v1/projects/ops/envvars", json={"name": "CI", "value": "false"})
    assert put.status_code == 201, put.text
    assert (await run_log(api, "ops", "plain"))[1] == "project\nISHCD=true\n"
    # A job's variable beats the project's env var, as every job variable does; even "".
    assert (await run_log(api, "ops", "declares"))[1] == "CI=[from-the-job]\n"
    assert (await run_log(api, "ops", "declares", env={"CI": ""}))[1] == "CI=[]\n"
    # ISHCD, like ISHCD_*, is Ish CD's: nobody may give it another value.
    refused = [
        ("/v1/projects/ops/envvars", {"name": "ISHCD", "value": "no"}, "name"),
        ("/v1/projects/ops/envvars", {"name": "ishcd", "value": "no"}, "name"),
        ("/v1/credentials", {"name": "x", "env": "ISHCD", "value": "no"}, "env"),
        (
            "/v1/projects/ops/jobs",
            {"name": "x", "script": "true", "variables": [{"name": "Ishcd"}]},
            "variables[0].name",
        ),
    ]
    for path, body, field in refused:
        response = await api.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        error = response.json()["errors"][0]
        assert error["field"] == field
        assert error["message"] == "ISHCD and ISHCD_* names are reserved"


@WITH_PUBLIC_URL
async def test_absolute_links_use_the_public_url(api: Api) -> None:
    for name in ("One", "Two"):
        await api.project(name)
    listed = await api.get("/v1/projects?per_page=1")
    assert listed.headers["Link"] == (
        f'<{PUBLIC}/v1/projects?page=1&per_page=1>; rel="first", '
        f'<{PUBLIC}/v1/projects?page=2&per_page=1>; rel="next"'
    )
    member = await api.post("/v1/projects/one/members", json={"email": "c@x.io", "role": "read"})
    invite = (await api.post(f"/v1/projects/one/members/{member.json()['id']}/invite")).json()
    assert invite["url"] == f"{PUBLIC}/v1/invitations/{invite['token']}"


async def test_without_a_public_url_links_use_the_request_s_host(api: Api) -> None:
    for name in ("One", "Two"):
        await api.project(name)
    listed = await api.get("/v1/projects?per_page=1")
    assert listed.headers["Link"].startswith("<http://ishcd.test/v1/projects?page=1&per_page=1>")
