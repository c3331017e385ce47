"""The run page: a run's details, its log's tail, Cancel and Run again, as a browser sees them."""

from __future__ import annotations

import html
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.api.test_retention import finished_days_ago
from tests.api.web_session import browser, csrf_in, make_user, sign_in


async def _member(api: Api, project: str, name: str, role: str) -> None:
    await make_user(api, name)
    body = {"username": name, "role": role}
    response = await api.post(f"/v1/projects/{project}/members", json=body)
    assert response.status_code == 201, response.text


async def _finished(api: Api, script: str, **body: Any) -> dict[str, Any]:
    job = await api.job("ops", script, name="Deploy", **body.pop("job", {}))
    run = await api.start("ops", job["machine_name"], **body)
    return await api.wait(run["id"])


async def _page(client: httpx.AsyncClient, run_id: str) -> str:
    response = await client.get(f"/projects/ops/runs/{run_id}")
    assert response.status_code == 200, response.text
    return response.text


async def test_a_complete_run_shows_its_details_masked_env_and_log(api: Api) -> None:
    await api.project("Ops")
    variables = [{"name": "TARGET"}, {"name": "PASSWORD", "secret": True}]
    run = await _finished(
        api,
        'echo "deploying $TARGET"',
        job={"variables": variables},
        env={"TARGET": "eu & us", "PASSWORD": "hunter2-secret"},
    )
    assert run["status"] == "complete"
    await _member(api, "ops", "wendy", "write")
    async with browser(api) as client:
        await sign_in(client, "wendy")
        page = await _page(client, run["id"])
        raw = await client.get(f"/v1/runs/{run['id']}/log")  # the Raw log link, by cookie
        assert raw.status_code == 200
        assert raw.text == "deploying eu & us\n"
    assert "complete" in page
    assert "deploying eu &amp; us" in page
    assert "hunter2-secret" not in page
    assert "*** (secret)" in page
    assert f'href="/v1/runs/{run["id"]}/log"' in page  # the raw log
    assert 'href="/projects/ops/jobs/deploy"' in page
    assert "Started by" in page
    # Run again: the job's form prefilled with the env, the secret left out.
    assert 'href="/projects/ops/jobs/deploy/run?TARGET=eu+%26+us"' in page
    assert "Cancel run" not in page  # it has finished
    assert 'src="/static/js/runpage.js' in page


async def test_a_failed_run_shows_its_exit_code_and_reason(api: Api) -> None:
    await api.project("Ops")
    run = await _finished(api, "echo nope; exit 3")
    assert run["status"] == "error"
    await _member(api, "ops", "rita", "read")
    async with browser(api) as client:
        await sign_in(client, "rita")
        page = await _page(client, run["id"])
    assert "error" in page
    assert "failed" in page
    assert "<code>3</code>" in page
    assert "Run again" not in page  # a read member: no write controls


async def test_the_log_tail_is_escaped_and_shown_as_a_terminal_would(api: Api) -> None:
    await api.project("Ops")
    script = (
        "echo '<img src=x onerror=alert(1)>'\n"
        "printf '\\033[31mred text\\033[0m\\n'\n"
        "printf 'progress 10%%\\rprogress 50%%\\rprogress 100%%\\n'\n"
    )
    run = await _finished(api, script)
    await _member(api, "ops", "wendy", "write")
    async with browser(api) as client:
        await sign_in(client, "wendy")
        page = await _page(client, run["id"])
    assert "<img src=x" not in page
    assert html.escape("<img src=x onerror=alert(1)>", quote=False) in page
    assert "red text" in page
    assert "\x1b" not in page
    assert "progress 100%" in page
    assert "progress 10%" not in page


async def test_a_big_log_shows_only_its_tail(api: Api) -> None:
    await api.project("Ops")
    run = await _finished(api, "seq 1 200000")
    await _member(api, "ops", "wendy", "write")
    async with browser(api) as client:
        await sign_in(client, "wendy")
        page = await _page(client, run["id"])
    assert "\n200000\n" in page or "\n200000</pre>" in page
    assert "\n100\n" not in page
    assert 'data-lines="200000"' in page
    assert "of 200000 lines" in page


async def test_a_running_run_is_canceled_from_its_page(api: Api) -> None:
    await api.project("Ops")
    job = await api.job("ops", "echo started; sleep 60", name="Slow")
    run = await api.start("ops", job["machine_name"])
    await api.wait(run["id"], until=("running",))
    await _member(api, "ops", "wendy", "write")
    await _member(api, "ops", "rita", "read")
    path = f"/projects/ops/runs/{run['id']}"
    async with browser(api) as reader:
        await sign_in(reader, "rita")
        page = await _page(reader, run["id"])
        assert "running" in page
        assert "Cancel run" not in page
        refused = await reader.post(path + "/cancel", data={"csrf_token": csrf_in(page)})
        assert refused.status_code == 403
    async with browser(api) as client:
        await sign_in(client, "wendy")
        page = await _page(client, run["id"])
        assert "Cancel run" in page
        assert 'href="/projects/ops/jobs/slow/run"' in page
        no_csrf = await client.post(path + "/cancel", data={"confirm": "yes"})
        assert no_csrf.status_code == 403
        assert (await api.get(f"/v1/runs/{run['id']}")).json()["status"] == "running"
        done = await client.post(path + "/cancel", data={"csrf_token": csrf_in(page)})
        assert done.status_code == 303
        assert done.headers["location"] == path
        ended = await api.wait(run["id"])
        assert ended["error_reason"] == "canceled"
        # The summary alone (the page's script reloads it) leaves the notice for the page.
        summary = await client.get(path + "/summary")
        assert summary.status_code == 200
        assert summary.text.lstrip().startswith('<section id="run-summary"')
        assert "canceled" in summary.text
        assert "set-cookie" not in summary.headers
        page = await _page(client, run["id"])
        assert "canceled" in page
        assert "Run canceled." in page or "Cancel requested." in page
        again = await client.post(path + "/cancel", data={"csrf_token": csrf_in(page)})
        assert again.status_code == 409


async def test_a_run_of_another_project_or_unknown_is_not_found(api: Api) -> None:
    await api.project("Ops")
    await api.project("Other")
    job = await api.job("other", "true", name="Elsewhere")
    run = await api.start("other", job["machine_name"])
    await make_user(api, "ada", admin=True)
    async with browser(api) as client:
        await sign_in(client, "ada")
        elsewhere = await client.get(f"/projects/ops/runs/{run['id']}")
        assert elsewhere.status_code == 404
        unknown = await client.get("/projects/ops/runs/not-a-run")
        assert unknown.status_code == 404
    async with browser(api) as stranger:
        signed_out = await stranger.get(f"/projects/other/runs/{run['id']}")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/login?next=")


async def test_a_script_project_name_is_escaped(api: Api) -> None:
    await api.project("<script>alert(1)</script>", machine_name="xss")
    job = await api.job("xss", "true", name="<b>job</b>")
    run = await api.start("xss", job["machine_name"])
    await api.wait(run["id"])
    await make_user(api, "ada", admin=True)
    async with browser(api) as client:
        await sign_in(client, "ada")
        response = await client.get(f"/projects/xss/runs/{run['id']}")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<b>job</b>" not in response.text


async def test_who_started_a_run_names_the_token_or_the_login(api: Api) -> None:
    await api.project("Ops")
    job = await api.job("ops", "true", name="Deploy")
    by_token = await api.start("ops", job["machine_name"])
    tokens = (await api.get("/v1/tokens")).json()
    assert by_token["created_by_token"] == tokens[0]["name"]
    assert by_token["created_by"]["username"] == "admin"
    await _member(api, "ops", "wendy", "write")
    async with browser(api) as client:
        csrf = await sign_in(client, "wendy")
        started = await client.post(
            "/v1/projects/ops/jobs/deploy/runs", headers={"X-CSRF-Token": csrf}
        )
        assert started.status_code == 201, started.text
        by_login = started.json()
        assert by_login["created_by_token"] is None
        assert by_login["created_by"]["username"] == "wendy"
        await api.wait(by_login["id"])
        read = await client.get(f"/v1/runs/{by_token['id']}")
        assert read.json()["created_by_token"] == tokens[0]["name"]
        page = await _page(client, by_token["id"])
        assert f"with the API token</span> <q>{html.escape(tokens[0]['name'])}</q>" in page
        page = await _page(client, by_login["id"])
        assert "with the API token" not in page


async def test_a_run_whose_log_was_deleted_says_so(api: Api) -> None:
    await api.project("Ops", log_retention_days=2)
    await api.job("ops", "echo old output", name="j")
    run = await finished_days_ago(api, "ops", 3)
    assert api.server.sweeper is not None
    assert await api.server.sweeper.sweep_once() == [run["id"]]
    await _member(api, "ops", "rita", "read")
    async with browser(api) as client:
        await sign_in(client, "rita")
        page = await _page(client, run["id"])
    assert "log was deleted on" in page
    assert "old output" not in page
    assert 'id="log-viewer"' not in page
