"""Artifacts end to end: a stored job declares them, its run on the embedded runner keeps
them (globs, `when`, limits, escapes refused as log lines), and they are listed and
downloaded (Range, ETag, sandboxed HTML), the latest successful run's file is served,
and the expiry sweep removes what expired and frees the blobs."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
import sqlalchemy as sa

from ishcd.db.query import Query
from ishcd.db.tables import artifacts, blobs, projects
from tests.api.conftest import Api

MAX_FILE = 1000
MAX_RUN = 2500
DAY = 86400

_BLOB_COUNT = Query(
    sa.select(sa.func.count()).select_from(blobs).where(blobs.c.sha256 == sa.bindparam("sha"))
)
_ARTIFACT_COUNT = Query(sa.select(sa.func.count()).select_from(artifacts))
_PROJECT_EXPIRE_IN = Query(
    sa.update(projects)
    .where(projects.c.machine_name == sa.bindparam("name"))
    .values(artifacts_expire_in=sa.bindparam("seconds"))
)

# Files of every kind the run page cares about, one too big, and one symlink out.
BUILD = """\
mkdir -p dist reports
printf 'wheel' > dist/app-1.0-py3-none-any.whl
printf '<h1>Report</h1><script>alert(1)</script>' > reports/index.html
printf 'line one\\nline two\\n' > reports/out.txt
printf '\\211PNG' > reports/shot.png
head -c 1500 /dev/zero > big.bin
ln -s /etc/hostname reports/host
"""
PATTERNS = ["dist/*.whl", "reports/**", "big.bin", "missing/*"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artifact_max_file": MAX_FILE, "artifact_max_run": MAX_RUN}


async def _finished(api: Api, project: str, job: str, **body: Any) -> dict[str, Any]:
    return await api.wait((await api.start(project, job, **body))["id"])


async def _log(api: Api, run_id: str) -> list[str]:
    return (await api.get(f"/v1/runs/{run_id}/log")).text.splitlines()


async def _sweep(api: Api, now: float) -> None:
    """The leader's retention sweep, at ``now``."""
    assert api.server.sweeper is not None
    await api.server.sweeper.sweep_once(now=now)


async def _blob_rows(api: Api, sha: str) -> int:
    async with api.server.database.read() as conn:
        return int(await conn.fetch_value(_BLOB_COUNT, sha=sha))


async def test_a_runs_artifacts_are_kept_listed_and_downloaded(api: Api) -> None:
    await api.project("P")
    await api.job("p", BUILD, name="build", artifacts=PATTERNS)
    run = await _finished(api, "p", "build")
    assert run["status"] == "complete"
    log = await _log(api, run["id"])
    assert "[ishcd] artifacts: pattern 'missing/*' matched no files" in log
    assert "[ishcd] artifacts: 'reports/host' is refused: it points outside the workspace" in log
    [big] = [line for line in log if line.startswith("[ishcd] artifact 'big.bin' not kept")]
    assert "1000 bytes" in big
    assert log[-1] == "[ishcd] kept 4 artifacts (67 bytes); 1 not kept"

    listed = await api.get(f"/v1/projects/p/jobs/build/runs/{run['id']}/artifacts")
    assert listed.status_code == 200
    base = f"http://ishcd.test/v1/runs/{run['id']}/artifacts"
    wheel = b"wheel"
    assert listed.json()[0] == {
        "path": "dist/app-1.0-py3-none-any.whl",
        "size": 5,
        "sha256": hashlib.sha256(wheel).hexdigest(),
        "content_type": "application/zip",
        "url": f"{base}/dist/app-1.0-py3-none-any.whl",
        "created": listed.json()[0]["created"],
        "expires": listed.json()[0]["created"] + 30 * DAY,
    }
    assert [(a["path"], a["content_type"], a["size"]) for a in listed.json()] == [
        ("dist/app-1.0-py3-none-any.whl", "application/zip", 5),
        ("reports/index.html", "text/html", 40),
        ("reports/out.txt", "text/plain", 18),
        ("reports/shot.png", "image/png", 4),
    ]
    by_id = await api.get(f"/v1/runs/{run['id']}/artifacts", params={"per_page": 2})
    assert [a["path"] for a in by_id.json()] == [a["path"] for a in listed.json()[:2]]
    assert 'rel="next"' in by_id.headers["link"]

    # Both addresses of a run; a binary downloads, text opens in the browser.
    for url in (f"/v1/projects/p/jobs/build/runs/{run['id']}/artifacts", base):
        got = await api.get(f"{url}/dist/app-1.0-py3-none-any.whl")
        assert got.status_code == 200
        assert got.content == wheel
        assert got.headers["content-type"] == "application/zip"
        assert got.headers["content-disposition"].startswith("attachment")
        assert got.headers["etag"] == f'"{hashlib.sha256(wheel).hexdigest()}"'
        assert got.headers["accept-ranges"] == "bytes"
    text = await api.get(f"{base}/reports/out.txt")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["content-disposition"].startswith("inline")
    forced = await api.get(f"{base}/reports/out.txt", params={"download": 1})
    assert forced.headers["content-disposition"].startswith("attachment")
    assert (await api.get(f"{base}/reports/shot.png")).headers["content-type"] == "image/png"

    # HTML opens in the browser, sandboxed: its script cannot run on this origin.
    html = await api.get(f"{base}/reports/index.html")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].startswith("inline")
    assert html.headers["content-security-policy"].startswith("sandbox")
    assert "allow-scripts" not in html.headers["content-security-policy"]
    assert html.headers["x-content-type-options"] == "nosniff"

    # Range: one range is a 206; one past the end a 416 that says the size.
    part = await api.get(f"{base}/reports/out.txt", headers={**api.auth, "Range": "bytes=5-7"})
    assert part.status_code == 206
    assert part.content == b"one"
    assert part.headers["content-range"] == "bytes 5-7/18"
    last = await api.get(f"{base}/reports/out.txt", headers={**api.auth, "Range": "bytes=-4"})
    assert (last.status_code, last.content) == (206, b"two\n")
    past = await api.get(f"{base}/reports/out.txt", headers={**api.auth, "Range": "bytes=18-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == "bytes */18"

    # ETag: asking again with it is a 304 with no body.
    etag = text.headers["etag"]
    same = await api.get(f"{base}/reports/out.txt", headers={**api.auth, "If-None-Match": etag})
    assert (same.status_code, same.content) == (304, b"")
    assert same.headers["etag"] == etag

    missing = await api.get(f"{base}/reports/nothing.txt")
    assert missing.status_code == 404
    assert "nothing.txt" in missing.json()["message"]
    elsewhere = await api.get(f"/v1/projects/p/jobs/other/runs/{run['id']}/artifacts")
    assert elsewhere.status_code == 404


async def test_the_run_limit_keeps_what_fits_and_says_what_did_not(api: Api) -> None:
    await api.project("P")
    script = "for n in 1 2 3 4; do head -c 900 /dev/urandom > f$n.bin; done; printf x > small"
    await api.job("p", script, name="fill", artifacts=["f*.bin", "small"])
    run = await _finished(api, "p", "fill")
    kept = (await api.get(f"/v1/runs/{run['id']}/artifacts")).json()
    assert [a["path"] for a in kept] == ["f1.bin", "f2.bin", "small"]
    log = await _log(api, run["id"])
    refused = [line for line in log if line.startswith("[ishcd] artifact '")]
    assert len(refused) == 2
    assert all("2,500 bytes per run (ISHCD_ARTIFACT_MAX_RUN)" in line for line in refused)
    assert log[-1] == "[ishcd] kept 3 artifacts (1.8 kB); 2 not kept"


async def test_when_decides_which_outcomes_keep_artifacts(api: Api) -> None:
    await api.project("P")
    fail = "printf report > r.txt; exit 3"
    await api.job("p", fail, name="always", artifacts=["r.txt"])
    await api.job("p", fail, name="success", artifacts={"paths": ["r.txt"], "when": "on_success"})
    await api.job("p", fail, name="failure", artifacts={"paths": ["r.txt"], "when": "on_failure"})
    await api.job(
        "p", "printf ok > r.txt", name="ok", artifacts={"paths": ["r.txt"], "when": "on_failure"}
    )
    for job, kept in (("always", 1), ("success", 0), ("failure", 1), ("ok", 0)):
        run = await _finished(api, "p", job)
        listed = (await api.get(f"/v1/runs/{run['id']}/artifacts")).json()
        assert len(listed) == kept, job
        summary = "[ishcd] kept 1 artifact (6 bytes)"
        assert (summary in await _log(api, run["id"])) is bool(kept), job


async def test_escapes_in_a_jobs_patterns_are_refused_naming_the_field(api: Api) -> None:
    await api.project("P")
    for bad in ("../outside/*", "/etc/passwd"):
        response = await api.post(
            "/v1/projects/p/jobs", json={"name": "x", "script": "true", "artifacts": [bad]}
        )
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"].startswith("artifacts")


async def test_the_same_file_from_two_runs_is_stored_once(api: Api) -> None:
    await api.project("P")
    await api.job("p", "printf same > a.txt; printf $RANDOM > b.txt", name="j", artifacts=["*.txt"])
    first = await _finished(api, "p", "j")
    second = await _finished(api, "p", "j")
    one = (await api.get(f"/v1/runs/{first['id']}/artifacts")).json()
    two = (await api.get(f"/v1/runs/{second['id']}/artifacts")).json()
    assert one[0]["sha256"] == two[0]["sha256"] == hashlib.sha256(b"same").hexdigest()
    assert await _blob_rows(api, one[0]["sha256"]) == 1
    for run in (first, second):
        got = await api.get(f"/v1/runs/{run['id']}/artifacts/a.txt")
        assert got.content == b"same"


async def test_latest_serves_the_latest_successful_runs_file(api: Api) -> None:
    await api.project("P")
    job = await api.job(
        "p",
        'printf "$V" > out.txt; exit ${CODE:-0}',
        name="build",
        artifacts=["out.txt"],
        variables=[{"name": "V", "required": True}, {"name": "CODE"}],
    )
    latest = "/v1/projects/p/artifacts/latest"
    where = {"job": "build", "path": "out.txt"}
    none = await api.get(latest, params=where)
    assert none.status_code == 404
    assert none.json()["message"] == (
        "no successful run of job 'build' in project 'p' has kept an artifact 'out.txt'"
    )
    await _finished(api, "p", "build", env={"V": "one"})
    await _finished(api, "p", "build", env={"V": "two"})
    failed = await _finished(api, "p", "build", env={"V": "broken", "CODE": "1"})
    assert failed["status"] == "error"
    assert len((await api.get(f"/v1/runs/{failed['id']}/artifacts")).json()) == 1
    got = await api.get(latest, params=where)
    assert got.status_code == 200
    assert got.content == b"two"
    assert got.headers["etag"] == f'"{hashlib.sha256(b"two").hexdigest()}"'
    by_id = await api.get(latest, params={**where, "job": job["id"]})
    assert by_id.content == b"two"
    ranged = await api.get(latest, params=where, headers={**api.auth, "Range": "bytes=1-"})
    assert (ranged.status_code, ranged.content) == (206, b"wo")
    on_branch = await api.get(latest, params={**where, "branch": "main"})
    assert on_branch.status_code == 404
    assert "on branch 'main'" in on_branch.json()["message"]
    missing = await api.get(latest, params={"job": "build"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "path"


async def test_the_sweep_removes_expired_artifacts_but_the_latest_successful_runs(
    api: Api,
) -> None:
    await api.project("P")
    script = 'printf "$ISHCD_RUN_ID" > own.txt; exit ${CODE:-0}'
    await api.job(
        "p",
        script,
        name="hourly",
        variables=[{"name": "CODE"}],
        artifacts={"paths": ["own.txt"], "expire_in": "1h"},
    )
    await api.job("p", script, name="default", artifacts=["own.txt"])
    old = await _finished(api, "p", "hourly")
    kept = await _finished(api, "p", "hourly")
    failed = await _finished(api, "p", "hourly", env={"CODE": "1"})
    default = await _finished(api, "p", "default")
    assert failed["status"] == "error"
    files = {}
    for run in (old, kept, failed, default):
        [found] = (await api.get(f"/v1/runs/{run['id']}/artifacts")).json()
        files[run["id"]] = found
    assert files[old["id"]]["expires"] == files[old["id"]]["created"] + 3600
    assert files[default["id"]]["expires"] == files[default["id"]]["created"] + 30 * DAY

    # Two hours on: the hourly job's artifacts expired, but its latest successful run's.
    await _sweep(api, time.time() + 2 * 3600)
    for run, left in ((old, 0), (kept, 1), (failed, 0), (default, 1)):
        assert len((await api.get(f"/v1/runs/{run['id']}/artifacts")).json()) == left
    assert await _blob_rows(api, files[old["id"]]["sha256"]) == 0
    assert await _blob_rows(api, files[kept["id"]]["sha256"]) == 1
    gone = await api.get(f"/v1/runs/{old['id']}/artifacts/own.txt")
    assert gone.status_code == 404
    assert (await api.get(f"/v1/runs/{kept['id']}/artifacts/own.txt")).content == kept[
        "id"
    ].encode()

    # A project's default applies where the job says nothing.
    async with api.server.database.transaction() as conn:
        await conn.execute(_PROJECT_EXPIRE_IN, name="p", seconds=600)
    later = await _finished(api, "p", "default")
    [found] = (await api.get(f"/v1/runs/{later['id']}/artifacts")).json()
    assert found["expires"] == found["created"] + 600

    # Deleting the job takes its runs' artifacts; the sweep frees their blobs.
    assert (await api.delete("/v1/projects/p/jobs/hourly")).status_code == 204
    await _sweep(api, time.time() + 2 * 3600)
    assert await _blob_rows(api, files[kept["id"]]["sha256"]) == 0
    assert await api.server.blobs.size(files[kept["id"]]["sha256"]) is None
