"""The Pipelines tab, the trigger form and a pipeline's page with its graph and actions."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_pipeline_git import Repo
from tests.api.test_pipelines import jobs_of, wait_pipeline, workflow_of
from tests.api.web_session import browser, make_user, sign_in

TYPED = """\
version: 1
parameters:
  greeting:
    type: string
    default: Hello
    description: what the build says first
  loud: {type: boolean, default: true}
  count: {type: integer, default: 3}
  target:
    type: enum
    values: [staging, production]
    default: production
  ticket: {type: string}
jobs:
  build:
    steps:
      - run: echo "<< pipeline.parameters.greeting >> << pipeline.parameters.ticket >>"
  test: {steps: [{run: echo << matrix.sh >>}]}
  hold: {type: approval}
  package: {steps: [{run: echo packaged}]}
workflows:
  main:
    jobs:
      - build
      - test:
          requires: [build]
          matrix: {parameters: {sh: [bash, dash]}}
      - hold: {requires: [test]}
      - package: {requires: [hold]}
promotions:
  - name: deploy
    pipeline_file: deploy.yml
"""
DEPLOY = (
    "version: 1\njobs:\n  ship: {steps: [{run: echo shipped}]}\nworkflows:\n  d: {jobs: [ship]}\n"
)
INLINE = """\
version: 1
parameters:
  who: {type: string, default: world}
jobs:
  hello: {steps: [{run: echo hello << pipeline.parameters.who >>}]}
workflows:
  main: {jobs: [hello]}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    made = Repo(tmp_path / "repo")
    made.push({".ishcd.yml": TYPED, "deploy.yml": DEPLOY})
    return made


@pytest.fixture
async def project(api: Api, repo: Repo) -> dict[str, Any]:
    project = await api.project("App", repository=str(repo.origin))
    for name, role in (("alice", "write"), ("rita", "read")):
        await make_user(api, name)
        body = {"username": name, "role": role}
        response = await api.post(f"/v1/projects/{project['id']}/members", json=body)
        assert response.status_code == 201, response.text
    return project


async def trigger_api(api: Api, **body: Any) -> dict[str, Any]:
    body.setdefault("parameters", {"ticket": "T-1"})
    response = await api.post("/v1/projects/app/pipelines", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def inputs(page: str) -> dict[str, str]:
    """Each named control of the trigger form: its tag and type."""
    found: dict[str, str] = {}
    for match in re.finditer(r'<(input|select)([^>]*)name="(param\.[^"]+)"([^>]*)>', page):
        attributes = match.group(2) + match.group(4)
        kind = re.search(r'type="([^"]+)"', attributes)
        found.setdefault(match.group(3), "")
        found[match.group(3)] += f"{match.group(1)}:{kind.group(1) if kind else ''};"
    return found


async def test_the_trigger_form_has_an_input_of_each_parameter_s_type(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    async with browser(api) as web:
        await sign_in(web, "alice")
        tab = await web.get("/projects/app/pipelines")
        assert tab.status_code == 200
        assert "/projects/app/pipelines/new" in tab.text  # Trigger pipeline
        page = await web.get("/projects/app/pipelines/new")
        assert page.status_code == 200, page.text
        controls = inputs(page.text)
        assert controls == {
            "param.greeting": "input:text;",
            "param.loud": "input:hidden;input:checkbox;",  # unchecked sends false
            "param.count": "input:number;",
            "param.target": "select:;",
            "param.ticket": "input:text;",
        }
        assert 'name="param.greeting" value="Hello"' in page.text
        assert re.search(r'name="param.loud" value="true" checked', page.text)
        assert 'name="param.count" value="3"' in page.text
        assert '<option value="production" selected>' in page.text
        assert re.search(r'name="param.ticket" value=""[^>]*required', page.text)
        assert "what the build says first" in page.text
        assert "branch <strong>main</strong>" in page.text
        # Another branch: its config's parameters.
        repo.push({".ishcd.yml": TYPED.replace("  ticket: {type: string}\n", "")}, branch="lean")
        lean = await web.get("/projects/app/pipelines/new", params={"branch": "lean"})
        assert lean.status_code == 200
        assert "param.ticket" not in lean.text
        assert 'name="branch" value="lean"' in lean.text
        missing = await web.get("/projects/app/pipelines/new", params={"branch": "nope"})
        assert missing.status_code == 422
        assert "<strong>branch</strong>" in missing.text


async def test_triggering_from_the_form_lands_on_the_new_pipeline(
    api: Api, project: dict[str, Any]
) -> None:
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        form = {
            "csrf_token": csrf,
            "param.greeting": "Hi",
            "param.loud": "false",
            "param.count": "",  # blank: the default
            "param.target": "staging",
            "param.ticket": "T-9",
        }
        sent = await web.post("/projects/app/pipelines/new", data=form)
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == "/projects/app/pipelines/1"
        pipeline = (await api.get("/v1/projects/app/pipelines/1")).json()
        assert pipeline["parameters"] == {
            "greeting": "Hi",
            "loud": False,
            "count": 3,
            "target": "staging",
            "ticket": "T-9",
        }
        assert pipeline["vcs"]["branch"] == "main"
        assert pipeline["trigger"]["actor"]["username"] == "alice"
        landed = await web.get(sent.headers["location"])
        assert "Pipeline #1 triggered" in landed.text


async def test_a_wrong_parameter_shows_the_form_again_with_the_field_named(
    api: Api, project: dict[str, Any]
) -> None:
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        form = {"csrf_token": csrf, "param.count": "many", "param.ticket": "<b>T-1</b>"}
        sent = await web.post("/projects/app/pipelines/new", data=form)
        assert sent.status_code == 422
        assert "parameters.count" in sent.text
        assert 'value="many"' in sent.text  # kept
        assert 'value="&lt;b&gt;T-1&lt;/b&gt;"' in sent.text  # kept, escaped
        missing = await web.post("/projects/app/pipelines/new", data={"csrf_token": csrf})
        assert missing.status_code == 422
        assert "parameters.ticket" in missing.text  # required: no default
        both = {"csrf_token": csrf, "branch": "main", "tag": "v1", "param.ticket": "x"}
        refs = await web.post("/projects/app/pipelines/new", data=both)
        assert refs.status_code == 422
        assert "<strong>tag</strong>" in refs.text
        no_csrf = await web.post("/projects/app/pipelines/new", data={"param.ticket": "x"})
        assert no_csrf.status_code == 403
    assert (await api.get("/v1/projects/app/pipelines")).json() == []


def graph_of(page: str) -> str:
    found = re.search(r"<svg class=\"pipeline-graph\".*?</svg>", page, re.S)
    assert found, "no graph on the page"
    return found.group(0)


async def test_the_pipeline_page_draws_the_graph_and_approves_the_hold(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger_api(api)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    workflow = await workflow_of(api, created["id"])
    jobs = await jobs_of(api, workflow["id"])
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        page = await web.get("/projects/app/pipelines/1")
        assert page.status_code == 200, page.text
        assert "/static/js/pipeline.js" in page.text
        graph = graph_of(page.text)
        # One box per job, one for the matrix with its two instances inside.
        boxes = re.findall(r'data-box="([^"]+)"', graph)
        assert boxes == ["build", "test", "hold", "package"]
        assert graph.count('class="box box-complete matrix"') == 1
        assert ">bash<" in graph
        assert ">dash<" in graph
        # Edges from requires: build → test → hold → package.
        edges = re.findall(r'data-from="([^"]+)" data-to="([^"]+)"', graph)
        assert edges == [("build", "test"), ("test", "hold"), ("hold", "package")]
        # Status as words on every node, and links to runs.
        assert "✓ complete" in graph
        assert "‖ on hold" in graph
        assert "◷ queued" in graph
        run = jobs["build"]["run_id"]
        assert f'href="/projects/app/runs/{run}"' in graph
        assert f'href="/projects/app/runs/{jobs["test-shbash"]["run_id"]}"' in graph
        assert "Approve hold" in page.text
        assert "Stop pipeline" in page.text
        assert (await web.get(f"/projects/app/runs/{run}")).status_code == 200  # where it links
        assert "Promote" in page.text
        approved = await web.post(
            f"/projects/app/pipelines/1/workflows/{workflow['id']}/approve",
            data={"csrf_token": csrf, "job": "hold"},
        )
        assert approved.status_code == 303, approved.text
        assert approved.headers["location"] == "/projects/app/pipelines/1"
        assert (await wait_pipeline(api, created["id"]))["status"] == "complete"
        done = await web.get("/projects/app/pipelines/1")
        assert "Approved hold in workflow main" in done.text
        assert "approved by alice" in done.text
        assert "Approve hold" not in done.text
        assert "Stop pipeline" not in done.text
        assert "data-live" not in done.text
        assert 'data-status="complete"' in done.text
        assert "✗" not in graph_of(done.text)
        again = await web.post(
            f"/projects/app/pipelines/1/workflows/{workflow['id']}/approve",
            data={"csrf_token": csrf, "job": "hold"},
        )
        assert again.status_code == 409


async def test_promote_by_hand_and_see_it(api: Api, project: dict[str, Any]) -> None:
    created = await trigger_api(api)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        path = "/projects/app/pipelines/1/promotions"
        refused = await web.post(path, data={"csrf_token": csrf, "name": "deploy"})
        assert refused.status_code == 409  # not passed: override needed
        assert "override" in refused.text
        unknown = await web.post(path, data={"csrf_token": csrf, "name": "nope"})
        assert unknown.status_code == 422
        assert "<strong>name</strong>" in unknown.text
        body = {"csrf_token": csrf, "name": "deploy", "override": "true"}
        promoted = await web.post(path, data=body)
        assert promoted.status_code == 303, promoted.text
        shown = await web.get("/projects/app/pipelines/1")
        assert "Promotion deploy started pipeline #2" in shown.text
        assert 'href="/projects/app/pipelines/2">#2</a>' in shown.text
        child = await web.get("/projects/app/pipelines/2")
        assert 'promotion <strong>deploy</strong> of <a href="/projects/app/pipelines/1">' in (
            child.text
        )


async def test_stop_then_rerun_from_failed(api: Api, project: dict[str, Any]) -> None:
    created = await trigger_api(api)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    workflow = await workflow_of(api, created["id"])
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        stopped = await web.post("/projects/app/pipelines/1/stop", data={"csrf_token": csrf})
        assert stopped.status_code == 303, stopped.text
        assert (await wait_pipeline(api, created["id"]))["error_reason"] == "canceled"
        page = await web.get("/projects/app/pipelines/1")
        assert "Rerun from failed" in page.text
        token = re.search(r'name="request_token" value="([^"]+)"', page.text)
        assert token
        path = f"/projects/app/pipelines/1/workflows/{workflow['id']}/rerun"
        body = {"csrf_token": csrf, "from_failed": "true", "request_token": token.group(1)}
        first = await web.post(path, data=body)
        second = await web.post(path, data=body)  # posted twice: one rerun
        assert first.status_code == second.status_code == 303
        workflows = (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json()
        assert len(workflows) == 2
        rerun = workflows[1]
        assert rerun["rerun_of"] == workflow["id"]
        await wait_pipeline(api, created["id"], until=("on_hold",))
        page = await web.get("/projects/app/pipelines/1")
        assert "replaced by a rerun" in page.text
        assert page.text.count("<svg") == 2
        bad = await web.post(path, data={"csrf_token": csrf, "from_failed": "maybe"})
        assert bad.status_code == 422
        assert "from_failed" in bad.text
        cancel = f"/projects/app/pipelines/1/workflows/{rerun['id']}/cancel"
        assert (await web.post(cancel, data={"csrf_token": csrf})).status_code == 303
        assert (await wait_pipeline(api, created["id"]))["status"] == "error"
        elsewhere = await web.post(
            f"/projects/app/pipelines/2/workflows/{rerun['id']}/cancel", data={"csrf_token": csrf}
        )
        assert elsewhere.status_code == 404


async def test_a_reader_sees_no_actions_and_is_refused(api: Api, project: dict[str, Any]) -> None:
    created = await trigger_api(api)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    workflow = await workflow_of(api, created["id"])
    async with browser(api) as web:
        csrf = await sign_in(web, "rita")
        tab = await web.get("/projects/app/pipelines")
        assert tab.status_code == 200
        assert "#1" in tab.text
        assert "/pipelines/new" not in tab.text
        assert (await web.get("/projects/app/pipelines/new")).status_code == 403
        page = await web.get("/projects/app/pipelines/1")
        assert page.status_code == 200
        for action in ("Approve", "Stop pipeline", "Rerun", "Cancel workflow", "Promote</button>"):
            assert action not in page.text
        assert "waiting for approval" in page.text
        wf = f"/projects/app/pipelines/1/workflows/{workflow['id']}"
        posts: list[tuple[str, dict[str, str]]] = [
            (wf + "/approve", {"job": "hold"}),
            (wf + "/cancel", {}),
            (wf + "/rerun", {}),
            ("/projects/app/pipelines/1/stop", {}),
            ("/projects/app/pipelines/1/promotions", {"name": "deploy", "override": "true"}),
            ("/projects/app/pipelines/new", {"param.ticket": "x"}),
        ]
        for path, body in posts:
            refused = await web.post(path, data={"csrf_token": csrf, **body})
            assert refused.status_code == 403, (path, refused.text)
    assert (await api.get(f"/v1/pipelines/{created['id']}")).json()["status"] == "on_hold"


async def test_actions_without_the_csrf_token_are_refused(
    api: Api, project: dict[str, Any]
) -> None:
    created = await trigger_api(api)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    workflow = await workflow_of(api, created["id"])
    async with browser(api) as web:
        await sign_in(web, "alice")
        wf = f"/projects/app/pipelines/1/workflows/{workflow['id']}"
        for path in (wf + "/approve", wf + "/cancel", "/projects/app/pipelines/1/stop"):
            refused = await web.post(path, data={"job": "hold"})
            assert refused.status_code == 403, path
    assert (await api.get(f"/v1/pipelines/{created['id']}")).json()["status"] == "on_hold"


async def test_the_list_shows_each_pipeline_with_its_workflows_and_filters(
    api: Api, project: dict[str, Any]
) -> None:
    first = await trigger_api(api)
    await wait_pipeline(api, first["id"], until=("on_hold",))
    second = await trigger_api(api, parameters={"ticket": "x", "count": 1})
    await wait_pipeline(api, second["id"], until=("on_hold",))
    await api.post(f"/v1/pipelines/{second['id']}/stop")
    await wait_pipeline(api, second["id"])
    async with browser(api) as web:
        await sign_in(web, "rita")
        tab = await web.get("/projects/app/pipelines")
        assert tab.status_code == 200
        assert tab.text.index('href="/projects/app/pipelines/2"') < tab.text.index(
            'href="/projects/app/pipelines/1"'
        )  # newest first
        assert "⎇ main" in tab.text
        assert "on hold" in tab.text
        assert "(canceled)" in tab.text
        assert "main" in tab.text
        assert "<td>admin</td>" in tab.text  # who triggered it
        held = await web.get("/projects/app/pipelines", params={"status": "on_hold"})
        assert 'href="/projects/app/pipelines/1"' in held.text
        assert 'href="/projects/app/pipelines/2"' not in held.text
        bad = await web.get("/projects/app/pipelines", params={"status": "sleeping"})
        assert bad.status_code == 422
        assert "status" in bad.text
        other = await web.get("/projects/app/pipelines", params={"branch": "other"})
        assert "No pipelines match" in other.text
        assert (await web.get("/projects/app/pipelines/3")).status_code == 404
        assert (await web.get("/projects/app/pipelines/abc")).status_code == 404


async def test_a_project_without_a_repository_sends_its_config(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    await api.project("<script>alert(1)</script>", machine_name="ops")
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        form = await web.get("/projects/ops/pipelines/new")
        assert form.status_code == 200
        assert 'name="config"' in form.text
        assert "<script>alert(1)</script>" not in form.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form.text
        bad = {"csrf_token": csrf, "config": INLINE, "parameters": "no equals sign"}
        refused = await web.post("/projects/ops/pipelines/new", data=bad)
        assert refused.status_code == 422
        assert "<strong>parameters</strong>" in refused.text
        assert html.escape(INLINE.splitlines()[0]) in refused.text  # the config is kept
        body = {"csrf_token": csrf, "config": INLINE, "parameters": "who=<i>you</i>\n"}
        sent = await web.post("/projects/ops/pipelines/new", data=body)
        assert sent.status_code == 303, sent.text
        pipeline = (await api.get("/v1/projects/ops/pipelines/1")).json()
        await wait_pipeline(api, pipeline["id"])
        page = await web.get("/projects/ops/pipelines/1")
        assert "&lt;i&gt;you&lt;/i&gt;" in page.text
        assert "<i>you</i>" not in page.text
        assert "(inline)" in page.text
        assert "echo hello &lt;&lt; pipeline.parameters.who &gt;&gt;" in page.text  # its config


async def test_signed_out_visitors_are_sent_to_log_in(api: Api, project: dict[str, Any]) -> None:
    async with browser(api) as web:
        page = await web.get("/projects/app/pipelines/1")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=")


async def test_a_config_that_did_not_compile_shows_its_errors(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    await api.project("Ops", machine_name="ops")
    broken = "version: 1\njobs:\n  a: {steps: [{run: 'true'}]}\nworkflows:\n  main: {jobs: [b]}\n"
    async with browser(api) as web:
        csrf = await sign_in(web, "alice")
        sent = await web.post(
            "/projects/ops/pipelines/new", data={"csrf_token": csrf, "config": broken}
        )
        assert sent.status_code == 303, sent.text
        page = await web.get(sent.headers["location"])
        assert page.status_code == 200
        assert "(config error)" in page.text
        assert "The config did not compile" in page.text
        assert "line 5" in page.text
        assert "<svg" not in page.text
        assert "Promote" not in page.text


async def test_a_filtered_list_shows_the_workflows_of_pipelines_far_apart(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    await api.project("Ops", machine_name="ops")
    created = []
    for number in range(1, 8):
        script = "exit 1" if number in (1, 7) else "true"
        config = f"version: 1\njobs:\n  j: {{steps: [{{run: '{script}'}}]}}\n"
        config += f"workflows:\n  flow{number}: {{jobs: [j]}}\n"
        response = await api.post("/v1/projects/ops/pipelines", json={"config": config})
        created.append(response.json()["id"])
    for pipeline_id in created:
        await wait_pipeline(api, pipeline_id)
    async with browser(api) as web:
        await sign_in(web, "alice")
        failed = await web.get("/projects/ops/pipelines", params={"status": "error"})
        assert failed.status_code == 200
        assert "flow1" in failed.text
        assert "flow7" in failed.text
        assert "flow4" not in failed.text
        every = await web.get("/projects/ops/pipelines")
        assert all(f"flow{n}" in every.text for n in range(1, 8))


async def test_trigger_again_fills_the_form_in_as_the_pipeline_was_triggered(
    api: Api, project: dict[str, Any]
) -> None:
    body = {"parameters": {"ticket": "T-7", "loud": False, "count": 5}}
    created = await trigger_api(api, **body)
    await wait_pipeline(api, created["id"], until=("on_hold",))
    async with browser(api) as web:
        await sign_in(web, "alice")
        page = await web.get("/projects/app/pipelines/1")
        again = re.search(r'href="(/projects/app/pipelines/new\?[^"]+)">Trigger again', page.text)
        assert again
        form = await web.get(html.unescape(again.group(1)))
        assert form.status_code == 200
        assert 'name="branch" value="main"' in form.text
        assert 'name="param.ticket" value="T-7"' in form.text
        assert 'name="param.count" value="5"' in form.text
        assert not re.search(r'name="param.loud" value="true" checked', form.text)
        assert 'name="param.greeting" value="Hello"' in form.text
    async with browser(api) as web:
        await sign_in(web, "rita")
        page = await web.get("/projects/app/pipelines/1")
        assert "Trigger again" not in page.text


async def test_the_list_pages_keep_its_filter(api: Api) -> None:
    await make_user(api, "alice", admin=True)
    await api.project("Ops", machine_name="ops")
    held = "version: 1\njobs:\n  wait: {type: approval}\nworkflows:\n  main: {jobs: [wait]}\n"
    for _ in range(31):
        response = await api.post("/v1/projects/ops/pipelines", json={"config": held})
        assert response.status_code == 201
    async with browser(api) as web:
        await sign_in(web, "alice")
        first = await web.get("/projects/ops/pipelines", params={"status": "on_hold"})
        assert 'href="/projects/ops/pipelines?status=on_hold&amp;page=2"' in first.text
        second = await web.get("/projects/ops/pipelines?status=on_hold&page=2")
        assert 'href="/projects/ops/pipelines/1"' in second.text
        assert 'href="/projects/ops/pipelines/31"' not in second.text
