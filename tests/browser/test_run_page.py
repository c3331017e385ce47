"""The run page in Chromium: the live log, Cancel, escaping, ANSI colours, and a 100 MB log."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import Account, login, save_for_docs, unique
from tests.live import wait_for_run

# A 100,000,000-byte log: a million lines of 100 bytes, "needle" on every 1,000th.
BIG_LOG = (
    'python3 -c "import sys\n'
    "w = sys.stdout.write\n"
    "for i in range(1, 1000001):\n"
    "    w('line %07d %s %s\\n' % (i, 'needle' if i % 1000 == 0 else 'hay   ', 'x' * 79))\"\n"
)


def _job(
    api: httpx.Client, script: str, name: str = "Job", project_name: str | None = None
) -> tuple[str, str]:
    """A new project with one job running ``script``: (project, job) machine names."""
    project = unique("runs")
    body = {"name": project_name or project, "machine_name": project}
    made = api.post("/v1/projects", json=body)
    assert made.status_code == 201, made.text
    job = api.post(f"/v1/projects/{project}/jobs", json={"name": name, "script": script})
    assert job.status_code == 201, job.text
    return project, job.json()["machine_name"]


def _start(api: httpx.Client, project: str, job: str) -> dict[str, Any]:
    started = api.post(f"/v1/projects/{project}/jobs/{job}/runs")
    assert started.status_code == 201, started.text
    return dict(started.json())


def _open(page: Page, admin: Account, base_url: str, project: str, run_id: str) -> None:
    login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{project}/runs/{run_id}")


def _row(page: Page, text: str) -> Any:
    return page.locator(".log-row", has_text=text)


def test_a_printed_line_appears_live_and_the_status_follows(
    page: Page, api: httpx.Client, admin: Account, base_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    script = f"echo waiting; while [ ! -e '{go}' ]; do sleep 0.05; done; echo 'hello from the run'"
    project, job = _job(api, script)
    run = _start(api, project, job)
    _open(page, admin, base_url, project, run["id"])
    expect(_row(page, "waiting")).to_be_visible()
    expect(_row(page, "hello from the run")).to_have_count(0)
    go.touch()
    expect(_row(page, "hello from the run")).to_be_visible()
    # The stream's last event says the run ended: the summary says so, no reload.
    expect(page.locator("#run-summary .status-complete").first).to_be_visible()
    expect(page.locator("#run-summary")).not_to_contain_text("Cancel run")


def test_a_long_run_is_canceled_from_its_page(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project, job = _job(api, "echo started; sleep 300")
    run = _start(api, project, job)
    _open(page, admin, base_url, project, run["id"])
    expect(_row(page, "started")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator(".notice")).to_be_visible()
    # "Canceled" at once, or "Cancel requested" until the runner has stopped it: the
    # summary changes by itself when the log's stream says the run has ended.
    ended = page.locator("#run-summary .status-error").first
    expect(ended).to_contain_text("canceled", timeout=60_000)
    assert wait_for_run(api, run["id"])["error_reason"] == "canceled"


def test_a_log_line_holding_html_shows_as_text(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project, job = _job(api, "echo '<img src=x onerror=alert(1)><b>bold?</b>'")
    run = _start(api, project, job)
    wait_for_run(api, run["id"])
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    _open(page, admin, base_url, project, run["id"])
    line = _row(page, "<img src=x onerror=alert(1)><b>bold?</b>")
    expect(line).to_be_visible()
    assert page.locator(".log-scroll img, .log-scroll b").count() == 0
    # A search finds the text as written; a bad regex says what is wrong.
    page.get_by_label("Search the log").fill("<b>bold?")
    page.get_by_role("button", name="Find").click()
    expect(page.locator(".log-search-count")).to_have_text("1 of 1 match (line 1)")
    expect(line.locator("mark.log-match")).to_have_text("<b>bold?")
    page.get_by_label("Search the log").fill("bold(")
    page.get_by_label("Regex").check()
    page.get_by_role("button", name="Find").click()
    expect(page.locator(".log-search-count.log-search-error")).to_contain_text("q")


def test_ansi_colours_render_and_a_progress_line_shows_its_last_state(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    script = (
        "printf '\\033[1;31mred\\033[0m \\033[38;5;82mgreen\\033[0m "
        "\\033[38;2;255;100;0morange\\033[0m\\n'\n"
        "printf '\\033[4mstill underlined\\n on the next line\\033[0m\\n'\n"
        "printf 'progress 10%%\\rprogress 50%%\\rprogress 100%%\\n'\n"
        "printf 'wide%.0s' $(seq 1 100); echo\n"
    )
    project, job = _job(api, script)
    run = _start(api, project, job)
    wait_for_run(api, run["id"])
    _open(page, admin, base_url, project, run["id"])
    red = page.locator(".log-row span.ansi-fg-1.ansi-bold", has_text="red")
    expect(red).to_be_visible()
    green = page.locator(".log-t span").get_by_text("green", exact=True)
    assert green.evaluate("span => span.style.color") == "rgb(95, 255, 0)"
    orange = page.locator(".log-t span").get_by_text("orange", exact=True)
    assert orange.evaluate("span => getComputedStyle(span).color") == "rgb(255, 100, 0)"
    # SGR state carries over a line break.
    underlined = page.locator(".log-row span.ansi-underline", has_text="on the next line")
    expect(underlined).to_be_visible()
    # A line wider than the box scrolls sideways (rows never wrap).
    scroller = page.locator(".log-scroll")
    assert scroller.evaluate("s => s.scrollWidth > s.clientWidth")
    progress = _row(page, "progress")
    expect(progress.locator(".log-t")).to_have_text("progress 100%")
    # The same parser, called in the page: state carried across chunks of a stream.
    carried = page.evaluate(
        """async () => {
            const ansi = await import('/static/js/ansi.js');
            const split = new ansi.LineSplitter();
            const lines = [...split.push('a\\x1b[3'), ...split.push('2mgreen\\nmore\\n')];
            const first = ansi.parseLine(lines[0]);
            const second = ansi.parseLine(lines[1], first.state);
            return [first.segments[1].style.fg, second.segments[0].style.fg];
        }"""
    )
    assert carried == [2, 2]


def test_a_100_mb_log_opens_at_its_tail_jumps_to_a_line_and_is_searched(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project, job = _job(api, BIG_LOG + "echo the very end", "Load test", "Web shop")
    run = _start(api, project, job)
    done = wait_for_run(api, run["id"], timeout=600)
    assert done["status"] == "complete", done
    size = api.get(f"/v1/runs/{run['id']}/log", params={"tail": 1}).headers["X-Log-Size"]
    assert int(size) >= 100_000_000
    page.set_viewport_size({"width": 1280, "height": 900})
    _open(page, admin, base_url, project, run["id"])
    # The tail, at once; only the rows near the viewport are in the DOM.
    last = page.locator(".log-row[data-line='1000001']")
    expect(last).to_contain_text("the very end")
    expect(page.locator(".log-info")).to_have_text("1,000,001 lines")
    assert page.locator(".log-row").count() < 200
    # Scrolling reads earlier lines by range: the wheel, then the scroll bar to the top.
    page.locator(".log-scroll").hover()
    page.mouse.wheel(0, -2000)
    expect(page.locator(".log-row[data-line='999900']")).to_contain_text("line 0999900")
    page.locator(".log-scroll").evaluate("scroller => { scroller.scrollTop = 0; }")
    expect(page.locator(".log-row[data-line='1']")).to_contain_text("line 0000001 hay")
    assert page.locator(".log-row").count() < 200
    # A line's link works for a line that was not loaded.
    page.goto(f"/projects/{project}/runs/{run['id']}#L123456")
    line = page.locator(".log-row.log-highlight[data-line='123456']")
    expect(line).to_contain_text("line 0123456 hay")
    assert page.locator(".log-row").count() < 200
    # Clicking a line number links to it.
    page.locator(".log-row[data-line='123460'] a.log-n").click()
    expect(page).to_have_url(re.compile(r"#L123460$"))
    expect(page.locator(".log-row.log-highlight[data-line='123460']")).to_be_visible()
    # "Go to line" goes where a link would.
    page.get_by_label("Line", exact=True).fill("777777")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page).to_have_url(re.compile(r"#L777777$"))
    expect(page.locator(".log-row.log-highlight[data-line='777777']")).to_contain_text("0777777")
    # The server searches the whole log: the exact count, then match after match.
    page.get_by_label("Search the log").fill("needle")
    page.get_by_role("button", name="Find").click()
    count = page.locator(".log-search-count")
    expect(count).to_have_text("1 of 1,000 matches (line 1,000)")
    expect(page.locator(".log-current-match[data-line='1000'] mark.log-match")).to_have_text(
        "needle"
    )
    page.get_by_role("button", name="↓ Next").click()
    expect(count).to_have_text("2 of 1,000 matches (line 2,000)")
    page.get_by_role("button", name="↑ Previous").click()
    page.get_by_role("button", name="↑ Previous").click()
    expect(count).to_have_text("1,000 of 1,000 matches (line 1,000,000)")
    expect(page.locator(".log-current-match[data-line='1000000']")).to_contain_text("needle")
    save_for_docs(page, "run.png")


SECTIONS_CONFIG = """\
version: 1
jobs:
  build:
    steps:
      - run: {name: prepare, command: "for i in 1 2 3 4 5; do echo preparing $i; done"}
      - run: {name: compile, command: "echo compiling; exit 4"}
workflows:
  main:
    jobs:
      - build
"""


def test_a_pipeline_jobs_steps_are_collapsible_sections(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project = unique("pipe")
    made = api.post("/v1/projects", json={"name": project, "machine_name": project})
    assert made.status_code == 201, made.text
    created = api.post(f"/v1/projects/{project}/pipelines", json={"config": SECTIONS_CONFIG})
    assert created.status_code == 201, created.text
    pipeline = created.json()
    workflow = _wait_workflow(api, pipeline["id"])
    jobs = api.get(f"/v1/workflows/{workflow['id']}/jobs").json()
    run = wait_for_run(api, jobs[0]["run_id"])
    assert [s["name"] for s in run["sections"]] == ["prepare", "compile"]
    _open(page, admin, base_url, project, run["id"])
    summary = page.locator("#run-summary")
    expect(summary.get_by_role("link", name=f"#{pipeline['number']}")).to_have_attribute(
        "href", f"/projects/{project}/pipelines/{pipeline['number']}"
    )
    prepare = page.locator(".log-section-toggle", has_text="prepare")
    expect(prepare).to_contain_text("complete")
    expect(prepare).to_have_attribute("aria-expanded", "true")
    compile_ = page.locator(".log-section-toggle", has_text="compile")
    expect(compile_).to_contain_text("error")
    expect(compile_).to_contain_text("exit 4")
    expect(_row(page, "preparing 3")).to_be_visible()
    prepare.click()
    expect(prepare).to_have_attribute("aria-expanded", "false")
    expect(_row(page, "preparing 3")).to_have_count(0)
    expect(_row(page, "compiling")).to_be_visible()
    prepare.click()
    expect(_row(page, "preparing 3")).to_be_visible()
    save_for_docs(page, "run-sections.png")


def _wait_workflow(api: httpx.Client, pipeline_id: str) -> dict[str, Any]:
    for _ in range(600):
        pipeline = api.get(f"/v1/pipelines/{pipeline_id}").json()
        if pipeline["status"] in ("complete", "error", "canceled"):
            break
        time.sleep(0.05)
    workflows = api.get(f"/v1/pipelines/{pipeline_id}/workflows").json()
    return dict(workflows[0])
