"""The job pages: the job, new and edit forms, delete, and the Run form."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.api.web_session import browser, csrf_in, make_user, sign_in

# The script names the secret default in pieces, so that the pages can be searched for it.
SCRIPT = 'test "$TOKEN" = s3""cret\necho "deploying $TARGET to $REGION"\n'
VARIABLES = [
    {"name": "TARGET", "required": True, "description": "Where to deploy"},
    {"name": "REGION", "default": "eu-west", "description": "Cloud region"},
    {"name": "TOKEN", "secret": True, "default": "s3cret", "description": "API token"},
]


async def _project(api: Api, **members: str) -> dict[str, Any]:
    project = await api.project("Web shop")
    for username, role in members.items():
        await make_user(api, username)
        body = {"username": username, "role": role}
        response = await api.post(f"/v1/projects/{project['id']}/members", json=body)
        assert response.status_code == 201, response.text
    return project


async def _deploy_job(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return await api.job(
        project["id"], SCRIPT, name="Deploy", machine_name="deploy", variables=VARIABLES
    )


def _field(html: str, name: str) -> str:
    """The opening tag of the form field called ``name``."""
    found = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, f"no field {name!r} on the page"
    return found.group(0)


async def test_the_job_page_shows_its_script_variables_and_recent_runs(api: Api) -> None:
    project = await _project(api, alice="admin")
    job = await _deploy_job(api, project)
    run = await api.start(project["id"], job["id"], env={"TARGET": "web1"})
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/projects/web-shop/jobs/deploy")
    assert page.status_code == 200, page.text
    assert "echo &#34;deploying $TARGET to $REGION&#34;" in page.text
    assert "Where to deploy" in page.text
    assert "eu-west" in page.text
    assert "s3cret" not in page.text
    assert "set (hidden)" in page.text
    assert f'href="/projects/web-shop/runs/{run["id"]}"' in page.text
    assert 'href="/projects/web-shop/jobs/deploy/run"' in page.text
    assert 'href="/projects/web-shop/jobs/deploy/edit"' in page.text
    assert 'action="/projects/web-shop/jobs/deploy/delete"' in page.text
    assert "data-confirm=" in page.text


async def test_a_missing_job_is_a_404_page(api: Api) -> None:
    await _project(api, alice="admin")
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/projects/web-shop/jobs/nope")
    assert page.status_code == 404
    assert "nope" in page.text


async def test_a_reader_sees_no_write_controls_and_is_refused_when_posting(api: Api) -> None:
    project = await _project(api, rita="read")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "rita")
        page = await web.get("/projects/web-shop/jobs/deploy")
        assert page.status_code == 200
        assert "/jobs/deploy/run" not in page.text
        assert "/jobs/deploy/edit" not in page.text
        assert "/jobs/deploy/delete" not in page.text
        token = csrf_in(page.text)
        for path in ("/jobs/deploy/run", "/jobs/deploy/edit", "/jobs/new"):
            shown = await web.get("/projects/web-shop" + path)
            assert shown.status_code == 403, path
            assert "Not allowed" in shown.text
        for path, data in (
            ("/jobs/deploy/run", {"env.TARGET": "web1"}),
            ("/jobs/deploy/edit", {"name": "Mine", "script": "true"}),
            ("/jobs/deploy/delete", {}),
            ("/jobs/new", {"name": "Mine", "script": "true"}),
        ):
            posted = await web.post("/projects/web-shop" + path, data={"csrf_token": token, **data})
            assert posted.status_code == 403, path
    runs = await api.get(f"/v1/projects/{project['id']}/runs")
    assert runs.json() == []
    job = await api.get(f"/v1/projects/{project['id']}/jobs/deploy")
    assert job.json()["name"] == "Deploy"


async def test_a_writer_may_run_but_not_edit(api: Api) -> None:
    project = await _project(api, walt="write")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "walt")
        page = await web.get("/projects/web-shop/jobs/deploy")
        assert "/jobs/deploy/run" in page.text
        assert "/jobs/deploy/edit" not in page.text
        form = await web.get("/projects/web-shop/jobs/deploy/run")
        assert form.status_code == 200
        edit = await web.get("/projects/web-shop/jobs/deploy/edit")
        assert edit.status_code == 403


def _new_job_form(token: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "name": "Back up prod",
        "machine_name": "",
        "description": "Nightly\r\nbackup",
        "script": 'echo "backing up $DB"\r\ntest "$PASS" = hunter""2\r\n',
        "timeout": "120",
        "var_rows": "3",
        "var-0-name": "DB",
        "var-0-default": "",
        "var-0-description": "Database name",
        "var-0-required": "on",
        "var-1-name": "PASS",
        "var-1-default": "hunter2",
        "var-1-description": "",
        "var-1-secret": "on",
        "var-2-name": "",
        "var-2-default": "",
        "var-2-description": "",
        **fields,
    }


async def test_the_new_job_form_creates_a_job_with_variables(api: Api) -> None:
    project = await _project(api, alice="admin")
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/projects/web-shop/jobs/new")
        assert form.status_code == 200
        assert 'name="var-1-name"' in form.text
        assert "/static/js/jobform.js" in form.text
        created = await web.post(
            "/projects/web-shop/jobs/new", data=_new_job_form(csrf_in(form.text))
        )
        assert created.status_code == 303, created.text
        assert created.headers["location"] == "/projects/web-shop/jobs/back-up-prod"
        shown = await web.get(created.headers["location"])
        assert "Job Back up prod created." in shown.text
    job = (await api.get(f"/v1/projects/{project['id']}/jobs/back-up-prod")).json()
    assert job["script"] == 'echo "backing up $DB"\ntest "$PASS" = hunter""2\n'
    assert job["description"] == "Nightly\nbackup"
    assert job["timeout"] == 120
    assert job["variables"] == [
        {
            "name": "DB",
            "default": None,
            "required": True,
            "secret": False,
            "description": "Database name",
        },
        {"name": "PASS", "default": "***", "required": False, "secret": True, "description": None},
    ]
    run = await api.start(project["id"], job["id"], env={"DB": "shop"})
    assert (await api.wait(run["id"]))["status"] == "complete"


async def test_the_new_job_form_needs_its_csrf_token(api: Api) -> None:
    await _project(api, alice="admin")
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = _new_job_form("")
        del form["csrf_token"]
        refused = await web.post("/projects/web-shop/jobs/new", data=form)
    assert refused.status_code == 403


async def test_invalid_job_fields_show_the_form_again_naming_them(api: Api) -> None:
    await _project(api, alice="admin")
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        sent = _new_job_form(token, name="", timeout="soon", **{"var-0-name": "1BAD"})
        page = await web.post("/projects/web-shop/jobs/new", data=sent)
    assert page.status_code == 422
    assert "<strong>name</strong>" in page.text
    assert "<strong>timeout</strong>" in page.text
    assert 'value="1BAD"' in page.text
    assert "hunter2" not in page.text  # a secret default is not sent back
    assert "type them again" in page.text
    assert "Database name" in page.text


async def test_a_bad_variable_is_named_in_its_row(api: Api) -> None:
    await _project(api, alice="admin")
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        sent = _new_job_form(token, **{"var-1-name": "ISHCD_X"})
        page = await web.post("/projects/web-shop/jobs/new", data=sent)
    assert page.status_code == 422
    assert "variables[1].name" in page.text
    assert "name: ISHCD and ISHCD_* names are reserved" in page.text


async def test_a_taken_machine_name_is_a_conflict_on_the_form(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        sent = _new_job_form(token, machine_name="deploy")
        page = await web.post("/projects/web-shop/jobs/new", data=sent)
    assert page.status_code == 409
    assert "machine_name" in page.text
    assert 'value="deploy"' in page.text


async def test_more_variable_rows_without_javascript(api: Api) -> None:
    await _project(api, alice="admin")
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        linked = await web.get("/projects/web-shop/jobs/new?rows=6")
        assert 'name="var-5-name"' in linked.text
        assert 'name="var-6-name"' not in linked.text
        sent = _new_job_form(token, add_rows="1")
        more = await web.post("/projects/web-shop/jobs/new", data=sent)
    assert more.status_code == 200
    assert 'value="Back up prod"' in more.text
    assert 'value="DB"' in more.text
    assert 'name="var-5-name"' in more.text  # 2 variables, 1 blank row, 3 more
    assert 'name="var-6-name"' not in more.text
    assert 'name="var_rows" value="6"' in more.text


async def test_the_edit_form_is_prefilled_and_keeps_a_secret_default(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/projects/web-shop/jobs/deploy/edit")
        assert form.status_code == 200
        assert "s3cret" not in form.text
        assert 'value="Where to deploy"' in form.text
        assert 'name="var-2-stored" value="TOKEN"' in form.text
        assert 'type="password"' in _field(form.text, "var-2-default")
        sent = {
            "csrf_token": csrf_in(form.text),
            "name": "Deploy site",
            "machine_name": "deploy-site",
            "description": "",
            "script": SCRIPT,
            "timeout": "",
            "var_rows": "3",
            "var-0-name": "TARGET",
            "var-0-required": "on",
            "var-1-name": "REGION",
            "var-1-default": "us-east",
            "var-2-name": "TOKEN",
            "var-2-secret": "on",
            "var-2-stored": "TOKEN",
            "var-2-default": "",
        }
        saved = await web.post("/projects/web-shop/jobs/deploy/edit", data=sent)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/projects/web-shop/jobs/deploy-site"
    job = (await api.get(f"/v1/projects/{project['id']}/jobs/deploy-site")).json()
    assert job["name"] == "Deploy site"
    assert [v["default"] for v in job["variables"]] == [None, "us-east", "***"]
    run = await api.start(project["id"], job["id"], env={"TARGET": "web1"})
    assert (await api.wait(run["id"]))["status"] == "complete"  # the script checks TOKEN


async def test_renaming_a_stored_secret_asks_for_its_default_again(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        sent = {
            "csrf_token": token,
            "name": "Deploy",
            "script": SCRIPT,
            "var_rows": "1",
            "var-0-name": "API_TOKEN",
            "var-0-secret": "on",
            "var-0-stored": "TOKEN",
        }
        page = await web.post("/projects/web-shop/jobs/deploy/edit", data=sent)
        assert page.status_code == 422
        assert "variables[0].default" in page.text
        sent["var-0-clear"] = "on"
        cleared = await web.post("/projects/web-shop/jobs/deploy/edit", data=sent)
        assert cleared.status_code == 303
    job = (await api.get(f"/v1/projects/{project['id']}/jobs/deploy")).json()
    assert job["variables"][0]["name"] == "API_TOKEN"
    assert job["variables"][0]["default"] is None


async def test_delete_removes_the_job(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        no_csrf = await web.post("/projects/web-shop/jobs/deploy/delete", data={"csrf_token": "x"})
        assert no_csrf.status_code == 403
        gone = await web.post("/projects/web-shop/jobs/deploy/delete", data={"csrf_token": token})
        assert gone.status_code == 303
        assert gone.headers["location"] == "/projects/web-shop"
    missing = await api.get(f"/v1/projects/{project['id']}/jobs/deploy")
    assert missing.status_code == 404


async def test_the_run_form_is_built_from_the_declared_variables(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/projects/web-shop/jobs/deploy/run")
    assert form.status_code == 200
    assert "* required" in form.text
    assert "required" in _field(form.text, "env.TARGET")
    assert 'value="eu-west"' in _field(form.text, "env.REGION")
    secret = _field(form.text, "env.TOKEN")
    assert 'type="password"' in secret
    assert 'value=""' in secret
    assert "s3cret" not in form.text
    assert "Leave empty to use the stored default." in form.text
    assert "Cloud region" in form.text
    assert 'name="request_token"' in form.text


async def test_the_run_form_is_prefilled_from_the_url(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get(
            "/projects/web-shop/jobs/deploy/run",
            params={"TARGET": "web<b>1</b>", "REGION": "ap-south", "TOKEN": "leak", "EXTRA": "x"},
        )
    assert form.status_code == 200
    assert 'value="web&lt;b&gt;1&lt;/b&gt;"' in _field(form.text, "env.TARGET")
    assert 'value="ap-south"' in _field(form.text, "env.REGION")
    assert "leak" not in form.text
    assert "<code>EXTRA</code>" in form.text
    assert "were ignored" in form.text
    assert "Secret values are never taken from a link" in form.text


async def _start(web: httpx.AsyncClient, fields: dict[str, str]) -> httpx.Response:
    form = await web.get("/projects/web-shop/jobs/deploy/run")
    data = {"csrf_token": csrf_in(form.text), "request_token": "", **fields}
    return await web.post("/projects/web-shop/jobs/deploy/run", data=data)


async def test_the_run_form_starts_a_run_and_leaves_empty_fields_to_the_defaults(api: Api) -> None:
    project = await _project(api, walt="write")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "walt")
        started = await _start(web, {"env.TARGET": "web1", "env.REGION": "", "env.TOKEN": ""})
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert location.startswith("/projects/web-shop/runs/")
    run = await api.wait(location.rsplit("/", 1)[1])
    assert run["env"] == {"TARGET": "web1"}
    assert run["created_by"]["username"] == "walt"
    assert run["status"] == "complete"
    assert "deploying web1 to eu-west" in run["log"]


async def test_a_run_is_given_secret_and_changed_values(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        fields = {"env.TARGET": "web2", "env.REGION": "us-east", "env.TOKEN": "other"}
        started = await _start(web, fields)
    assert started.status_code == 303
    run = await api.wait(started.headers["location"].rsplit("/", 1)[1])
    assert run["env"] == {"TARGET": "web2", "REGION": "us-east", "TOKEN": "***"}
    assert run["status"] == "error"  # the script insists on the stored token


async def test_a_missing_required_variable_shows_the_form_again(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        fields = {"env.TARGET": "", "env.REGION": "ap-south", "env.TOKEN": "typed-secret"}
        page = await _start(web, fields)
    assert page.status_code == 422
    assert "env.TARGET" in page.text
    assert "TARGET is required" in page.text
    assert 'aria-invalid="true"' in _field(page.text, "env.TARGET")
    assert 'value="ap-south"' in _field(page.text, "env.REGION")
    assert "typed-secret" not in page.text
    runs = await api.get(f"/v1/projects/{project['id']}/runs")
    assert runs.json() == []


async def test_the_run_form_needs_its_csrf_token(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        refused = await web.post("/projects/web-shop/jobs/deploy/run", data={"env.TARGET": "web1"})
    assert refused.status_code == 403
    assert (await api.get(f"/v1/projects/{project['id']}/runs")).json() == []


async def test_a_run_form_sent_twice_starts_one_run(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get("/projects/web-shop/jobs/deploy/run")
        data = {
            "csrf_token": csrf_in(form.text),
            "request_token": re.findall(r'name="request_token" value="([^"]+)"', form.text)[0],
            "env.TARGET": "web1",
        }
        first = await web.post("/projects/web-shop/jobs/deploy/run", data=data)
        second = await web.post("/projects/web-shop/jobs/deploy/run", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len((await api.get(f"/v1/projects/{project['id']}/runs")).json()) == 1


async def test_run_again_links_prefill_the_old_env(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    old = await api.start(project["id"], "deploy", env={"TARGET": "web9", "TOKEN": "x"})
    query = "&".join(f"{k}={v}" for k, v in old["env"].items())  # TOKEN is ***
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get(f"/projects/web-shop/jobs/deploy/run?{query}")
    assert 'value="web9"' in _field(form.text, "env.TARGET")
    assert 'value=""' in _field(form.text, "env.TOKEN")


async def test_names_holding_html_show_as_text_on_the_job_pages(api: Api) -> None:
    project = await _project(api, alice="admin")
    evil = "<script>alert(1)</script>"
    variables = [{"name": "X", "default": evil, "description": evil}]
    await api.job(project["id"], evil, name=evil, machine_name="evil", variables=variables)
    async with browser(api) as web:
        await sign_in(web, "alice")
        for path in ("", "/run", "/edit"):
            page = await web.get(f"/projects/web-shop/jobs/evil{path}")
            assert page.status_code == 200
            assert evil not in page.text, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path


async def test_a_job_called_new_is_reached_by_its_id(api: Api) -> None:
    project = await _project(api, alice="admin")
    job = await api.job(project["id"], "true", name="New", machine_name="new")
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        page = await web.get(f"/projects/web-shop/jobs/{job['id']}")
        assert page.status_code == 200
        assert f'href="/projects/web-shop/jobs/{job["id"]}/run"' in page.text
        started = await web.post(
            f"/projects/web-shop/jobs/{job['id']}/run",
            data={"csrf_token": token},
        )
    assert started.status_code == 303


async def test_a_value_with_line_breaks_is_prefilled_in_a_text_area(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        await sign_in(web, "alice")
        form = await web.get(
            "/projects/web-shop/jobs/deploy/run", params={"TARGET": "web1\r\nweb2"}
        )
    assert '<textarea id="var-0" name="env.TARGET"' in form.text
    assert ">web1\nweb2</textarea>" in form.text


async def test_a_job_with_an_active_run_is_not_deleted(api: Api) -> None:
    project = await _project(api, alice="admin")
    job = await api.job(project["id"], "sleep 30", name="Slow", machine_name="slow")
    run = await api.start(project["id"], job["id"])
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        refused = await web.post("/projects/web-shop/jobs/slow/delete", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "cancel them first" in refused.text
    await api.post(f"/v1/runs/{run['id']}/cancel")
    await api.wait(run["id"])


async def test_an_edit_without_a_machine_name_keeps_the_old_one(api: Api) -> None:
    project = await _project(api, alice="admin")
    await _deploy_job(api, project)
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        sent = {"csrf_token": token, "name": "Renamed", "machine_name": "", "script": "true"}
        saved = await web.post("/projects/web-shop/jobs/deploy/edit", data=sent)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/projects/web-shop/jobs/deploy"
    job = (await api.get(f"/v1/projects/{project['id']}/jobs/deploy")).json()
    assert job["name"] == "Renamed"
    assert job["variables"] == []  # the form had no rows: it declares none


async def test_the_job_form_sets_runner_labels_and_retry(api: Api) -> None:
    project = await _project(api, alice="admin")
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        sent = _new_job_form(token, labels="gpu, linux  gpu", retry="2", retry_only_lost="on")
        created = await web.post("/projects/web-shop/jobs/new", data=sent)
        assert created.status_code == 303, created.text
        shown = await web.get(created.headers["location"])
        assert "<code>gpu</code> <code>linux</code>" in shown.text
        assert "up to 2 times, only when the runner was lost" in shown.text
        form = await web.get("/projects/web-shop/jobs/back-up-prod/edit")
        assert 'value="gpu linux"' in _field(form.text, "labels")
        assert 'value="2"' in _field(form.text, "retry")
        assert "checked" in _field(form.text, "retry_only_lost")
        for field, bad in (
            ("labels.0", {"labels": "no/slashes"}),
            ("retry.count", {"retry": "11"}),
        ):
            page = await web.post("/projects/web-shop/jobs/new", data=_new_job_form(token, **bad))
            assert page.status_code == 422
            assert f"<strong>{field}</strong>" in page.text
    job = (await api.get(f"/v1/projects/{project['id']}/jobs/back-up-prod")).json()
    assert job["labels"] == ["gpu", "linux"]
    assert job["retry"] == {"count": 2, "only_lost": True}


def _textarea(html: str, name: str) -> str:
    """The text of the textarea called ``name``."""
    found = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no textarea {name!r} on the page"
    return found.group(1)


async def test_the_job_form_sets_artifacts_test_reports_and_a_cache(api: Api) -> None:
    project = await _project(api, alice="admin")
    outputs = {
        "artifact_paths": "dist/*.whl\r\n\r\n  screenshots/**\r\n",
        "artifact_when": "on_failure",
        "artifact_expire_in": "12h",
        "test_reports": "reports/*.xml",
        "cache_restore": "deps-{{ branch }}\r\ndeps-",
        "cache_save_key": "deps-{{ branch }}",
        "cache_save_paths": ".venv",
    }
    async with browser(api) as web:
        token = await sign_in(web, "alice")
        created = await web.post(
            "/projects/web-shop/jobs/new", data=_new_job_form(token, **outputs)
        )
        assert created.status_code == 303, created.text
        shown = (await web.get(created.headers["location"])).text
        assert (
            "<code>dist/*.whl</code> <code>screenshots/**</code>, kept after a failed run, "
            "expire after 12h" in shown
        )
        assert '<dd class="test-reports"><code>reports/*.xml</code></dd>' in shown
        assert (
            "restored from <code>deps-{{ branch }}</code>, <code>deps-</code>; "
            "saved as <code>deps-{{ branch }}</code> from <code>.venv</code>" in shown
        )
        form = (await web.get("/projects/web-shop/jobs/back-up-prod/edit")).text
        assert _textarea(form, "artifact_paths") == "dist/*.whl\nscreenshots/**"
        assert '<option value="on_failure" selected>' in form
        assert 'value="12h"' in _field(form, "artifact_expire_in")
        assert _textarea(form, "cache_restore") == "deps-{{ branch }}\ndeps-"

        bad = {"artifact_paths": "ok\r\n../up", "cache_save_key": "", "cache_save_paths": "x"}
        page = await web.post("/projects/web-shop/jobs/new", data=_new_job_form(token, **bad))
        assert page.status_code == 422
        assert "<strong>cache.save.key</strong>" in page.text
        page = await web.post(
            "/projects/web-shop/jobs/new", data=_new_job_form(token, artifact_paths="ok\r\n../up")
        )
        assert page.status_code == 422
        assert "<strong>artifacts.paths[1]</strong>" in page.text

        # Emptied on the edit form: the job keeps none.
        emptied = dict.fromkeys(outputs, "") | {"artifact_when": "always"}
        edit = _new_job_form(token, **emptied) | {"machine_name": "back-up-prod"}
        saved = await web.post("/projects/web-shop/jobs/back-up-prod/edit", data=edit)
        assert saved.status_code == 303, saved.text
    job = (await api.get(f"/v1/projects/{project['id']}/jobs/back-up-prod")).json()
    assert (job["artifacts"], job["cache"], job["test_reports"]) == (None, None, None)
