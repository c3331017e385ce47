"""Pipelines in Chromium: the typed trigger form, the graph, approving a hold, live statuses."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.api.test_pipeline_git import Repo
from tests.browser.helpers import Account, create_user, login, save_for_docs, unique

PASSWORD = "correct horse battery"
WAIT_MS = 60_000  # jobs run in the server's runner: as long as a busy machine takes
CONFIG = """\
version: 1
parameters:
  greeting:
    type: string
    default: Hello
    description: what the build says first
  loud: {type: boolean, default: true}
  shards: {type: integer, default: 2}
  target:
    type: enum
    values: [staging, production]
    default: staging
    description: where the package goes
jobs:
  build:
    steps:
      - run: echo "<< pipeline.parameters.greeting >> to << pipeline.parameters.target >>"
  test: {steps: [{run: echo testing with << matrix.sh >>}]}
  hold: {type: approval}
  package: {steps: [{run: "while [ ! -e FLAGS/packaged ]; do sleep 0.1; done"}]}
  publish: {steps: [{run: "while [ ! -e FLAGS/published ]; do sleep 0.1; done"}]}
workflows:
  main:
    jobs:
      - build
      - test:
          requires: [build]
          matrix: {parameters: {sh: [bash, dash]}}
      - hold: {requires: [test]}
      - package: {requires: [hold]}
      - publish: {requires: [package]}
"""


@pytest.fixture
def project(api: httpx.Client, tmp_path: Path) -> tuple[str, Repo]:
    """A project on a local git repository whose config holds at an approval."""
    repo = Repo(tmp_path / "repo")
    config = CONFIG.replace("FLAGS", str(tmp_path))  # the jobs after the hold wait for these
    repo.push({".ishcd.yml": config})
    repo.push({".ishcd.yml": config.replace("  shards: {type: integer, default: 2}\n", "")}, "lean")
    name = unique("shop")
    body = {"name": f"Shop {name}", "machine_name": name, "repository": str(repo.origin)}
    created = api.post("/v1/projects", json=body)
    assert created.status_code == 201, created.text
    return name, repo


@pytest.fixture
def writer(api: httpx.Client, project: tuple[str, Repo]) -> Account:
    account = create_user(api, unique("dev"), PASSWORD)
    body = {"username": account.username, "role": "write"}
    added = api.post(f"/v1/projects/{project[0]}/members", json=body)
    assert added.status_code == 201, added.text
    return account


def test_the_trigger_form_has_an_input_of_each_parameter_s_type(
    page: Page, base_url: str, project: tuple[str, Repo], writer: Account
) -> None:
    name, _ = project
    login(page, base_url, writer.username, writer.password)
    page.goto(f"/projects/{name}/pipelines")
    page.get_by_role("link", name="Trigger pipeline").click()
    expect(page).to_have_url(f"{base_url}/projects/{name}/pipelines/new")
    expect(page.locator('input[name="param.greeting"]')).to_have_attribute("type", "text")
    expect(page.locator('input[name="param.greeting"]')).to_have_value("Hello")
    expect(page.get_by_label("loud")).to_be_checked()
    expect(page.locator('input[name="param.shards"]')).to_have_attribute("type", "number")
    expect(page.locator('input[name="param.shards"]')).to_have_value("2")
    expect(page.locator('select[name="param.target"]')).to_have_value("staging")
    expect(page.get_by_text("where the package goes")).to_be_visible()
    save_for_docs(page, "pipeline-trigger.png")
    # Another branch's config: the form is read again from there.
    page.get_by_label("Branch").fill("lean")
    page.get_by_role("button", name="Read parameters").click()
    expect(page).to_have_url(f"{base_url}/projects/{name}/pipelines/new?branch=lean&tag=&revision=")
    expect(page.locator('input[name="param.greeting"]')).to_be_visible()
    expect(page.locator('input[name="param.shards"]')).to_have_count(0)


def test_a_pipeline_triggered_from_the_form_is_approved_on_its_page_and_completes(
    page: Page,
    base_url: str,
    api: httpx.Client,
    project: tuple[str, Repo],
    writer: Account,
    tmp_path: Path,
) -> None:
    name, _ = project
    login(page, base_url, writer.username, writer.password)
    page.goto(f"/projects/{name}/pipelines/new")
    page.locator('input[name="param.greeting"]').fill("Hi <b>there</b>")
    page.get_by_label("loud").uncheck()
    page.locator('input[name="param.shards"]').fill("4")
    page.locator('select[name="param.target"]').select_option("production")
    page.get_by_role("button", name="Trigger pipeline").click()
    expect(page).to_have_url(f"{base_url}/projects/{name}/pipelines/1")
    expect(page.get_by_text("Pipeline #1 triggered")).to_be_visible()
    pipeline = api.get(f"/v1/projects/{name}/pipelines/1").json()
    assert pipeline["parameters"] == {
        "greeting": "Hi <b>there</b>",
        "loud": False,
        "shards": 4,
        "target": "production",
    }
    # The graph: a box per job, the matrix's instances inside one, edges from requires.
    graph = page.locator("svg.pipeline-graph")
    expect(graph).to_be_visible()
    expect(graph.locator("g[data-box]")).to_have_count(5)
    expect(graph.locator('g[data-box="test"] a[data-job]')).to_have_count(2)
    expect(graph.locator("path.edge")).to_have_count(4)
    expect(page.get_by_text("Hi <b>there</b>")).to_be_visible()  # shown as text
    # The page follows the pipeline by itself until the hold waits for someone.
    approve = page.get_by_role("button", name="Approve hold")
    expect(approve).to_be_visible(timeout=WAIT_MS)
    hold = graph.locator('g[data-box="hold"] [data-status-text]')
    expect(hold).to_have_text("‖ on hold")
    build = graph.locator('g[data-box="build"] a')
    expect(build).to_have_attribute("href", f"/projects/{name}/runs/" + build_run(api, name))
    save_for_docs(page, "pipeline.png")
    approve.click()
    expect(page.get_by_text("Approved hold in workflow main")).to_be_visible()
    package = graph.locator('g[data-box="package"] [data-status-text]')
    expect(package).to_have_text("◔ running", timeout=WAIT_MS)
    # While the pipeline runs, its script redraws the nodes in place (no reload).
    page.evaluate("window.sameDocument = true")
    (tmp_path / "packaged").touch()
    expect(package).to_have_text("✓ complete", timeout=WAIT_MS)
    expect(graph.locator('g[data-box="package"]')).to_have_class("box box-complete")
    expect(graph.locator('path[data-from="package"]')).to_have_class("edge edge-complete")
    publish = graph.locator('g[data-box="publish"] [data-status-text]')
    expect(publish).to_have_text("◔ running", timeout=WAIT_MS)
    assert page.evaluate("window.sameDocument") is True
    (tmp_path / "published").touch()
    section = page.locator(".pipeline-page")
    expect(section).to_have_attribute("data-status", "complete", timeout=WAIT_MS)
    expect(page.locator("[data-pipeline-status]")).to_contain_text("complete")
    expect(publish).to_have_text("✓ complete")
    expect(page.get_by_text("approved by " + writer.username)).to_be_visible()
    expect(page.get_by_role("button", name="Approve hold")).to_have_count(0)
    lean = api.post(f"/v1/projects/{name}/pipelines", json={"branch": "lean"})
    assert lean.status_code == 201, lean.text
    assert api.post(f"/v1/pipelines/{lean.json()['id']}/stop").status_code == 200
    page.goto(f"/projects/{name}/pipelines")
    expect(page.locator("table.pipelines tbody tr")).to_have_count(2)
    expect(page.locator("table.pipelines tbody tr").first).to_contain_text("⎇ lean")
    save_for_docs(page, "pipelines.png")


def build_run(api: httpx.Client, project: str) -> str:
    pipeline = api.get(f"/v1/projects/{project}/pipelines/1").json()
    workflow = api.get(f"/v1/pipelines/{pipeline['id']}/workflows").json()[0]
    jobs = {j["name"]: j for j in api.get(f"/v1/workflows/{workflow['id']}/jobs").json()}
    run_id: str = jobs["build"]["run_id"]
    return run_id
