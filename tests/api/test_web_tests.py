"""The run page's tests and the project's Tests tab, as a browser without JavaScript sees them."""

from __future__ import annotations

from tests import junit_samples
from tests.api.conftest import Api
from tests.api.web_session import browser, make_user, sign_in
from tests.junit_samples import write_files


async def test_the_tests_of_a_run_and_the_tests_tab(api: Api) -> None:
    await api.project("Ops")
    files = {"reports/jest.xml": junit_samples.JEST}
    await api.job("ops", write_files(files), name="unit", test_reports=["reports/*.xml"])
    await api.job("ops", "true", name="plain")
    run = await api.wait((await api.start("ops", "unit"))["id"])
    plain = await api.wait((await api.start("ops", "plain"))["id"])
    await make_user(api, "rita")
    body = {"username": "rita", "role": "read"}
    assert (await api.post("/v1/projects/ops/members", json=body)).status_code == 201
    await make_user(api, "olga")
    async with browser(api) as client:
        await sign_in(client, "rita")
        page = (await client.get(f"/projects/ops/runs/{run['id']}")).text
        assert 'class="run-tests"' in page
        assert "sum adds negatives" in page  # the failure, with its message, escaped
        assert "at Object.&lt;anonymous&gt; (src/sum.test.js:9:23)" in page
        assert "sum adds 1 + 2 to equal 3" not in page  # passed: in the totals only
        assert (
            'class="run-tests"' not in (await client.get(f"/projects/ops/runs/{plain['id']}")).text
        )
        tab = await client.get("/projects/ops/tests")
        assert tab.status_code == 200
        assert 'href="/projects/ops/tests" aria-current="page">Tests</a>' in tab.text
        assert "sum adds negatives" in tab.text  # among the slowest
        assert "No flaky tests in the last 30 days." in tab.text
        for bad in ("0", "91", "x"):
            assert (await client.get(f"/projects/ops/tests?days={bad}")).status_code == 422
    async with browser(api) as client:
        await sign_in(client, "olga")  # not a member
        assert (await client.get("/projects/ops/tests")).status_code == 404
