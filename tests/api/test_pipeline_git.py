"""Pipelines from a real git repository: push a config, trigger, checkouts, promotions, stop."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_pipelines import jobs_of, wait_pipeline, workflow_of

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


class Repo:
    """A bare "origin" and a working copy that pushes to it."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.origin = root / "origin.git"
        self.work = root / "work"
        self.git("init", "--quiet", "--bare", "--initial-branch=main", str(self.origin), cwd=root)
        self.git("clone", "--quiet", str(self.origin), str(self.work), cwd=root)
        self.git("checkout", "--quiet", "-B", "main")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.work,
            env=GIT_ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def push(self, files: dict[str, str], branch: str = "main", message: str = "change") -> str:
        """Commit ``files`` on ``branch`` and push it; the new commit's id."""
        self.git("checkout", "--quiet", "-B", branch)
        for name, text in files.items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            self.git("add", name)
        self.git("commit", "--quiet", "-m", message)
        self.git("push", "--quiet", "--force", "origin", branch)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, revision: str) -> None:
        self.git("tag", name, revision)
        self.git("push", "--quiet", "origin", name)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


@pytest.fixture
async def project(api: Api, repo: Repo) -> dict[str, Any]:
    return await api.project("App", repository=str(repo.origin))


async def trigger(api: Api, **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/projects/app/pipelines", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def log_of(api: Api, run_id: str) -> str:
    return (await api.get(f"/v1/runs/{run_id}/log")).text


SHOW = """\
version: 1
jobs:
  show:
    steps:
      - run: cat version.txt
      - run: echo "rev=$(git rev-parse HEAD) branch=$ISHCD_BRANCH tag=$ISHCD_TAG"
      - run: echo "number=<< pipeline.number >> at << pipeline.git.revision >>"
workflows:
  main: {jobs: [show]}
"""


async def show_log(api: Api, pipeline_id: str) -> str:
    pipeline = await wait_pipeline(api, pipeline_id)
    assert pipeline["status"] == "complete", pipeline
    jobs = await jobs_of(api, (await workflow_of(api, pipeline_id))["id"])
    return await log_of(api, jobs["show"]["run_id"])


async def test_each_job_works_in_a_checkout_of_the_triggered_commit(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    assert project["repository"] == str(repo.origin)
    assert project["default_branch"] == "main"
    first = repo.push({".ishcd.yml": SHOW, "version.txt": "one\n"})
    pipeline = await trigger(api)  # the default branch
    log = await show_log(api, pipeline["id"])
    assert log.startswith(f"[ishcd] checking out {first}\n")  # Ish CD's lines, each its own
    assert "one\n" in log
    assert f"rev={first} branch=main tag=\n" in log
    assert f"number=1 at {first}\n" in log
    read = (await api.get(f"/v1/pipelines/{pipeline['id']}")).json()
    assert read["vcs"] == {"revision": first, "branch": "main", "tag": None}
    assert read["config_file"] == ".ishcd.yml"

    second = repo.push({"version.txt": "two\n"})  # fetched on trigger
    log = await show_log(api, (await trigger(api, branch="main"))["id"])
    assert "two\n" in log
    assert f"rev={second} branch=main" in log

    by_revision = await trigger(api, branch="main", revision=first)
    assert "one\n" in await show_log(api, by_revision["id"])

    repo.tag("v1.0", first)
    tagged = await trigger(api, tag="v1.0")
    log = await show_log(api, tagged["id"])
    assert f"rev={first} branch= tag=v1.0\n" in log
    read = (await api.get(f"/v1/pipelines/{tagged['id']}")).json()
    assert read["vcs"] == {"revision": first, "branch": None, "tag": "v1.0"}

    repo.push({"version.txt": "feature\n"}, branch="feature")
    log = await show_log(api, (await trigger(api, branch="feature"))["id"])
    assert "feature\n" in log
    assert "branch=feature" in log
    listed = (await api.get("/v1/projects/app/pipelines", params={"branch": "feature"})).json()
    assert [p["number"] for p in listed] == [5]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"branch": "nope"}, "branch", "'nope' is not in the repository"),
        ({"tag": "v9"}, "tag", "'v9' is not in the repository"),
        ({"revision": "0" * 40}, "revision", "is not in the repository"),
        ({"branch": "-x"}, "branch", "is not a valid git name"),
        ({"branch": "main", "tag": "v1"}, "tag", "give a branch or a tag, not both"),
        ({"revision": "HEAD~1"}, "revision", "must be a commit id"),
    ],
)
async def test_a_trigger_naming_what_is_not_there_is_422(
    api: Api,
    project: dict[str, Any],
    repo: Repo,
    body: dict[str, str],
    field: str,
    message: str,
) -> None:
    repo.push({".ishcd.yml": SHOW, "version.txt": "one\n"})
    response = await api.post("/v1/projects/app/pipelines", json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert message in error["message"]
    assert (await api.get("/v1/projects/app/pipelines")).json() == []


async def test_a_revision_must_be_on_the_branch_it_is_said_to_be_on(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    repo.push({".ishcd.yml": SHOW, "version.txt": "one\n"})
    elsewhere = repo.push({"version.txt": "side\n"}, branch="side")
    response = await api.post(
        "/v1/projects/app/pipelines", json={"branch": "main", "revision": elsewhere}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "revision"
    assert "is not on branch 'main'" in response.json()["errors"][0]["message"]
    alone = await trigger(api, revision=elsewhere)  # no branch: none is claimed
    assert "side\n" in await show_log(api, alone["id"])
    read = (await api.get(f"/v1/pipelines/{alone['id']}")).json()
    assert read["vcs"] == {"revision": elsewhere, "branch": None, "tag": None}


async def test_repository_problems(api: Api, tmp_path: Path) -> None:
    bad = await api.post("/v1/projects", json={"name": "Bad", "repository": "--upload-pack=x"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "repository"
    missing = await api.project("Missing", repository=str(tmp_path / "nowhere.git"))
    response = await api.post(f"/v1/projects/{missing['id']}/pipelines", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "repository"
    assert "could not fetch" in response.json()["errors"][0]["message"]


async def test_a_commit_without_a_config_makes_an_error_pipeline(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    repo.push({"README": "no config here\n"})
    created = await trigger(api)
    pipeline = (await api.get(f"/v1/pipelines/{created['id']}")).json()
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "config_error")
    assert pipeline["errors"] == [
        {"message": ".ishcd.yml is not in the repository at this commit", "path": "", "line": None}
    ]


async def test_an_inline_config_for_a_project_with_a_repository_gets_the_checkout(
    api: Api, project: dict[str, Any], repo: Repo
) -> None:
    repo.push({".ishcd.yml": "version: 1\n", "version.txt": "one\n"})  # not a usable config
    created = await trigger(api, config=SHOW)
    assert "one\n" in await show_log(api, created["id"])
    config = (await api.get(f"/v1/pipelines/{created['id']}/config")).json()
    assert config["source"] == SHOW


PIPELINE = """\
version: 1
parameters:
  flag: {type: string, description: a file that makes the test pass}
jobs:
  build:
    steps: [{run: echo built > $ISHCD_WORKSPACE/../built-<< pipeline.number >>}]
  test:
    steps:
      - run: {name: check, command: "test -e << pipeline.parameters.flag >>"}
  hold: {type: approval}
  package:
    steps: [{run: cat version.txt}]
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
      - hold: {requires: [test]}
      - package: {requires: [hold]}
promotions:
  - name: deploy
    pipeline_file: .ishcd/deploy.yml
    auto_promote: {when: {branch: main, result: passed}}
"""

DEPLOY = """\
version: 1
jobs:
  deploy:
    steps:
      - run: echo "deploying $(cat version.txt) from << pipeline.git.branch >>"
workflows:
  deploy: {jobs: [deploy]}
"""


async def children_of(api: Api, pipeline_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/v1/pipelines/{pipeline_id}/promotions")
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_fail_rerun_approve_and_auto_promote_on_main(
    api: Api, project: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    flag = tmp_path / "fixed"
    repo.push({".ishcd.yml": PIPELINE, ".ishcd/deploy.yml": DEPLOY, "version.txt": "1.0\n"})
    created = await trigger(api, parameters={"flag": str(flag)})
    failed = await wait_pipeline(api, created["id"])
    assert (failed["status"], failed["error_reason"]) == ("error", "failed")
    workflow = await workflow_of(api, created["id"])
    jobs = await jobs_of(api, workflow["id"])
    assert jobs["test"]["error_reason"] == "failed"
    assert (jobs["hold"]["status"], jobs["hold"]["error_reason"]) == ("error", "dependency_failed")
    assert jobs["package"]["run_id"] is None
    assert "not run" in jobs["package"]["message"]
    assert await children_of(api, created["id"]) == []  # failed: nothing promoted

    flag.touch()
    url = f"/v1/workflows/{workflow['id']}/rerun"
    first = await api.post(url, params={"request_token": "retry-1"}, json={"from_failed": True})
    again = await api.post(url, params={"request_token": "retry-1"}, json={"from_failed": True})
    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    workflows = (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json()
    assert len(workflows) == 2
    rerun = first.json()["workflow_id"]
    on_hold = await wait_pipeline(api, created["id"], until=("on_hold",))
    assert on_hold["status"] == "on_hold"
    rerun_jobs = await jobs_of(api, rerun)
    assert rerun_jobs["build"]["run_id"] == jobs["build"]["run_id"]  # passed: not run again
    assert rerun_jobs["test"]["run_id"] != jobs["test"]["run_id"]
    assert rerun_jobs["hold"]["status"] == "on_hold"

    approved = await api.post(f"/v1/workflows/{rerun}/approve/hold")
    assert approved.status_code == 200, approved.text
    done = await wait_pipeline(api, created["id"])
    assert done["status"] == "complete"
    package = (await jobs_of(api, rerun))["package"]
    assert "1.0" in await log_of(api, package["run_id"])

    for _ in range(300):
        promoted = await children_of(api, created["id"])
        if promoted:
            break
        await asyncio.sleep(0.02)
    [promotion] = promoted
    assert promotion["name"] == "deploy"
    assert (promotion["triggered_by"], promotion["status"]) == ("auto", "promoted")
    child = await wait_pipeline(api, promotion["scheduled_pipeline_id"])
    assert child["status"] == "complete"
    assert child["promoted_from"] == {"id": created["id"], "number": 1}
    assert child["trigger"]["type"] == "promotion"
    assert child["vcs"] == done["vcs"]
    assert child["config_file"] == ".ishcd/deploy.yml"
    deploy = await jobs_of(api, (await workflow_of(api, child["id"]))["id"])
    assert "deploying 1.0 from main" in await log_of(api, deploy["deploy"]["run_id"])


async def test_off_main_a_promotion_is_by_hand(
    api: Api, project: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    config = PIPELINE.replace("      - hold: {requires: [test]}\n", "").replace(
        "requires: [hold]", "requires: [test]"
    )
    repo.push({".ishcd.yml": config, ".ishcd/deploy.yml": DEPLOY, "version.txt": "2.0\n"})
    repo.push({"version.txt": "2.1-rc\n"}, branch="release")
    created = await trigger(api, branch="release", parameters={"flag": str(tmp_path)})
    assert (await wait_pipeline(api, created["id"]))["status"] == "complete"
    await asyncio.sleep(0.2)
    assert await children_of(api, created["id"]) == []  # auto_promote is for main only

    unknown = await api.post(f"/v1/pipelines/{created['id']}/promotions", json={"name": "prod"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "name"
    by_hand = await api.post(f"/v1/pipelines/{created['id']}/promotions", json={"name": "deploy"})
    assert by_hand.status_code == 201, by_hand.text
    promotion = by_hand.json()
    assert (promotion["triggered_by"], promotion["actor"]["username"]) == ("manual", "admin")
    child = await wait_pipeline(api, promotion["scheduled_pipeline_id"])
    assert child["status"] == "complete"
    deploy = await jobs_of(api, (await workflow_of(api, child["id"]))["id"])
    assert "deploying 2.1-rc from release" in await log_of(api, deploy["deploy"]["run_id"])

    failing = await trigger(api, branch="release", parameters={"flag": str(tmp_path / "no")})
    assert (await wait_pipeline(api, failing["id"]))["status"] == "error"
    refused = await api.post(f"/v1/pipelines/{failing['id']}/promotions", json={"name": "deploy"})
    assert refused.status_code == 409
    forced = await api.post(
        f"/v1/pipelines/{failing['id']}/promotions", json={"name": "deploy", "override": True}
    )
    assert forced.status_code == 201, forced.text


async def test_without_auto_promote_a_promotion_never_starts_by_itself(
    api: Api, project: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    config = (
        PIPELINE.replace("      - hold: {requires: [test]}\n", "")
        .replace("requires: [hold]", "requires: [test]")
        .replace("    auto_promote: {when: {branch: main, result: passed}}\n", "")
    )
    assert "auto_promote" not in config
    repo.push({".ishcd.yml": config, ".ishcd/deploy.yml": DEPLOY, "version.txt": "3.0\n"})
    created = await trigger(api, branch="main", parameters={"flag": str(tmp_path)})
    assert (await wait_pipeline(api, created["id"]))["status"] == "complete"
    assert await children_of(api, created["id"]) == []  # on main too: by hand only
    listed = (await api.get("/v1/projects/app/pipelines")).json()
    assert [p["number"] for p in listed] == [created["number"]]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_stopping_a_pipeline_ends_every_process_group(
    api: Api, project: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    config = (
        "version: 1\njobs:\n"
        "  slow:\n    steps:\n"
        f"      - run: (sleep 300 & echo $! > {pids}/<< matrix.n >>-child; wait) & "
        f"echo $$ > {pids}/<< matrix.n >>-shell; wait\n"
        "  after: {steps: [{run: echo never}]}\n"
        "workflows:\n  one:\n    jobs:\n"
        "      - slow: {matrix: {parameters: {n: [a, b]}}}\n"
        "      - after: {requires: [slow]}\n"
        "  two: {jobs: [{slow: {matrix: {parameters: {n: [c]}}}}]}\n"  # no free slot: queued
    )
    repo.push({".ishcd.yml": config})
    created = await trigger(api)
    expected = {f"{n}-{what}" for n in "ab" for what in ("child", "shell")}
    for _ in range(1000):
        written = {p.name for p in pids.iterdir() if p.read_text().strip()}
        if written == expected:
            break
        await asyncio.sleep(0.02)
    assert written == expected
    processes = [int(p.read_text()) for p in pids.iterdir()]
    assert all(alive(pid) for pid in processes)

    stopped = await api.post(f"/v1/pipelines/{created['id']}/stop")
    assert stopped.status_code == 200, stopped.text
    pipeline = await wait_pipeline(api, created["id"])
    assert (pipeline["status"], pipeline["error_reason"]) == ("error", "canceled")
    for workflow in (await api.get(f"/v1/pipelines/{created['id']}/workflows")).json():
        assert (workflow["status"], workflow["error_reason"]) == ("error", "canceled")
        for job in (await jobs_of(api, workflow["id"])).values():
            assert job["error_reason"] == "canceled", job
    for _ in range(250):
        if not any(alive(pid) for pid in processes):
            break
        await asyncio.sleep(0.02)
    assert [pid for pid in processes if alive(pid)] == []


async def test_a_concurrency_group_serializes_pipelines_of_two_branches(
    api: Api, project: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    config = (
        "version: 1\njobs:\n  deploy:\n    concurrency: staging\n    steps:\n"
        f"      - run: echo start-$ISHCD_BRANCH >> {marks}; sleep 0.4; "
        f"echo end-$ISHCD_BRANCH >> {marks}\n"
        "workflows:\n  main: {jobs: [deploy]}\n"
    )
    repo.push({".ishcd.yml": config})
    repo.push({"other": "x"}, branch="hotfix")
    first = await trigger(api, branch="main")
    second = await trigger(api, branch="hotfix")
    for created in (first, second):
        assert (await wait_pipeline(api, created["id"]))["status"] == "complete"
    assert marks.read_text().split() == ["start-main", "end-main", "start-hotfix", "end-hotfix"]


async def test_a_project_s_repository_can_change_and_its_mirror_goes_with_it(
    api: Api, project: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    repo.push({".ishcd.yml": SHOW, "version.txt": "one\n"})
    assert "one\n" in await show_log(api, (await trigger(api))["id"])
    other = Repo(tmp_path / "other")
    other.push({".ishcd.yml": SHOW, "version.txt": "other\n"}, branch="trunk")
    changed = await api.patch(
        "/v1/projects/app", json={"repository": str(other.origin), "default_branch": "trunk"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["repository"], changed.json()["default_branch"]) == (
        str(other.origin),
        "trunk",
    )
    assert "other\n" in await show_log(api, (await trigger(api))["id"])
    bad = await api.patch("/v1/projects/app", json={"default_branch": "a..b"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "default_branch"

    mirror = api.server.mirrors.path(project["id"])
    assert (mirror / "HEAD").exists()
    pipelines = (await api.get("/v1/projects/app/pipelines")).json()
    assert (await api.delete("/v1/projects/app")).status_code == 204
    assert not mirror.exists()
    for pipeline in pipelines:
        assert (await api.get(f"/v1/pipelines/{pipeline['id']}")).status_code == 404
