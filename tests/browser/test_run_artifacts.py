"""The run page's artifacts in Chromium: listed with their sizes; text and HTML open in
the browser (the HTML report sandboxed: its script does not run), the rest download."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import Account, login, unique
from tests.live import wait_for_run

SCRIPT = """\
mkdir -p report
printf 'all good\\n' > report/summary.txt
printf '<h1 id="title">Coverage</h1>' > report/index.html
printf '<script>document.getElementById("title").textContent = "ran"</script>' >> report/index.html
head -c 2500 /dev/zero > app.bin
"""


def test_the_run_page_lists_artifacts_and_opens_or_downloads_each(
    page: Page, api: httpx.Client, admin: Account, base_url: str
) -> None:
    project = unique("artifacts")
    made = api.post("/v1/projects", json={"name": project, "machine_name": project})
    assert made.status_code == 201, made.text
    body = {"name": "build", "script": SCRIPT, "artifacts": ["report/**", "app.bin"]}
    assert api.post(f"/v1/projects/{project}/jobs", json=body).status_code == 201
    started = api.post(f"/v1/projects/{project}/jobs/build/runs")
    assert started.status_code == 201, started.text
    run = wait_for_run(api, started.json()["id"])
    assert run["status"] == "complete", run

    login(page, base_url, admin.username, admin.password)
    page.goto(f"/projects/{project}/runs/{run['id']}")
    section = page.locator("section.run-artifacts")
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("app.bin")
    expect(rows.nth(0)).to_contain_text("2.5 kB")
    expect(rows.nth(1)).to_contain_text("report/index.html")
    expect(rows.nth(2)).to_contain_text("report/summary.txt")
    expect(rows.nth(2)).to_contain_text("9 bytes")

    # Text opens in a new tab, as text.
    with page.expect_popup() as opened:
        section.get_by_role("link", name="report/summary.txt").click()
    text = opened.value
    text.wait_for_load_state()
    assert "all good" in text.content()
    text.close()

    # The HTML report opens too, but sandboxed: its script never runs.
    with page.expect_popup() as opened:
        section.get_by_role("link", name="report/index.html").click()
    report = opened.value
    expect(report.locator("#title")).to_have_text("Coverage")
    assert report.evaluate("() => document.getElementById('title').textContent") == "Coverage"
    report.close()

    # Anything else downloads, under its own name.
    with page.expect_download() as downloading:
        section.get_by_role("link", name="app.bin").click()
    download = downloading.value
    assert download.suggested_filename == "app.bin"
    path = download.path()
    assert path.stat().st_size == 2500
