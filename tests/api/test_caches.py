"""Caches between runs, through real runs on the embedded runner: restore order, prefix
matches (newest wins), no overwrite, least-recently-used eviction at the project's
limit, key templates, refused archive members; listing and deleting through /v1."""

from __future__ import annotations

import asyncio
import hashlib
import io
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from ishcd import blobstore
from ishcd.db import caches as caches_db
from ishcd.services import caches
from ishcd.services.staging import Staged
from tests.api.conftest import Api, bearer
from tests.api.test_pipeline_git import Repo
from tests.api.test_pipelines import jobs_of, wait_pipeline, workflow_of

VARIABLES = [{"name": n, "default": ""} for n in ("V", "NOTE", "LOCK", "SIZE")]
CACHE = {
    "restore": ["deps-{{ .Environment.V }}-", "deps-"],
    "save": {"key": 'deps-{{ .Environment.V }}-{{ checksum "lock" }}', "paths": ["deps"]},
}
# Says what the restored cache held, then saves NOTE (and SIZE random bytes) under a key
# made of V and the checksum of LOCK.
SCRIPT = """\
echo "had: $(cat deps/note 2>/dev/null || echo nothing)"
mkdir -p deps && echo "$NOTE" > deps/note && printf %s "$LOCK" > lock
if [ -n "$SIZE" ]; then head -c "$SIZE" /dev/urandom > deps/blob; fi
"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def build(api: Api, **env: str) -> str:
    """Run the job; its log (it must succeed)."""
    run = await api.wait((await api.start("ops", "build", env=env))["id"])
    assert run["status"] == "complete", run["log"]
    return str(run["log"])


async def listed(api: Api, query: str = "") -> list[dict[str, Any]]:
    response = await api.get(f"/v1/projects/ops/caches{query}")
    assert response.status_code == 200, response.text
    return list(response.json())


async def setup(api: Api) -> None:
    await api.project("Ops")
    await api.job("ops", SCRIPT, name="build", variables=VARIABLES, cache=CACHE)


async def test_restore_tries_keys_in_order_each_as_a_prefix_newest_first_and_never_overwrites(
    api: Api,
) -> None:
    await setup(api)
    log = await build(api, V="a", NOTE="first", LOCK="1")
    assert "[ishcd] no cache found for keys: deps-a-, deps-\n" in log
    assert "had: nothing\n" in log
    assert f"[ishcd] saved cache deps-a-{sha('1')} (1 file, " in log

    log = await build(api, V="a", NOTE="second", LOCK="1")
    assert f"[ishcd] restored cache deps-a-{sha('1')} (" in log
    assert "had: first\n" in log
    assert f"[ishcd] cache deps-a-{sha('1')} exists: not saved\n" in log

    log = await build(api, V="b", NOTE="third", LOCK="2")  # deps-b- misses; deps- hits
    assert "had: first\n" in log
    assert f"[ishcd] saved cache deps-b-{sha('2')} (" in log
    log = await build(api, V="c", NOTE="fourth", LOCK="3")
    assert f"[ishcd] restored cache deps-b-{sha('2')} (" in log  # the newest deps-
    assert "had: third\n" in log
    log = await build(api, V="a", LOCK="1")  # the first key wins over a newer match
    assert "had: first\n" in log

    saved = await listed(api)
    assert [c["key"] for c in saved] == [
        f"deps-c-{sha('3')}",
        f"deps-b-{sha('2')}",
        *[f"deps-a-{sha('1')}"],
    ]
    first = saved[2]
    assert first["last_used"] >= saved[0]["created"]  # restored after the last save
    assert first["size"] > 0
    assert len(first["sha256"]) == 64
    assert first["run_id"] is not None
    assert [c["key"] for c in await listed(api, "?key=deps-b")] == [f"deps-b-{sha('2')}"]
    one = await api.get(f"/v1/projects/ops/caches/{first['id']}")
    assert one.json() == first


async def test_admins_delete_caches_by_id_or_key_and_readers_see_them(api: Api) -> None:
    await setup(api)
    await build(api, V="a", NOTE="n", LOCK="1")
    await build(api, V="b", NOTE="n", LOCK="1")
    reader = await api.user("reader")
    project = await api.project("Other")
    await api.grant("ops", reader, "read")
    saved = await listed(api)
    seen = await api.get("/v1/projects/ops/caches", headers=bearer(reader))
    assert seen.json() == saved
    refused = await api.delete(f"/v1/projects/ops/caches/{saved[0]['id']}", headers=bearer(reader))
    assert refused.status_code == 403, refused.text
    elsewhere = await api.delete(f"/v1/projects/{project['id']}/caches/{saved[0]['id']}")
    assert elsewhere.status_code == 404, elsewhere.text

    gone = await api.delete(f"/v1/projects/ops/caches/{saved[0]['id']}")
    assert gone.status_code == 204, gone.text
    by_key = await api.delete("/v1/projects/ops/caches", params={"key": saved[1]["key"]})
    assert by_key.status_code == 204, by_key.text
    assert await listed(api) == []
    again = await api.delete("/v1/projects/ops/caches", params={"key": saved[1]["key"]})
    assert again.status_code == 404, again.text
    # Their archives are freed by the blob sweep: nothing refers to them any more.
    freed = await blobstore.free_unreferenced(api.server.database, api.server.blobs, 2e9)
    assert freed == len({c["sha256"] for c in saved})  # the same archive is one blob
    assert await api.server.blobs.size(saved[0]["sha256"]) is None
    # Deleted, the key is saved anew by the next run.
    log = await build(api, V="a", NOTE="n", LOCK="1")
    assert "[ishcd] no cache found for keys: deps-a-, deps-\n" in log
    assert f"[ishcd] saved cache deps-a-{sha('1')} (" in log


@pytest.mark.parametrize("settings_overrides", [{"cache_max_project": 10_000}])
async def test_the_least_recently_used_go_first_at_the_projects_limit(api: Api) -> None:
    await setup(api)
    await build(api, V="a", LOCK="1", SIZE="4000")
    await build(api, V="b", LOCK="1", SIZE="4000")
    log = await build(api, V="a", LOCK="2", SIZE="4000")  # restores deps-a-<1>: it is used
    assert f"restored cache deps-a-{sha('1')}" in log
    assert "[ishcd] removed 1 least recently used cache (" in log
    assert [c["key"] for c in await listed(api)] == [f"deps-a-{sha('2')}", f"deps-a-{sha('1')}"]

    log = await build(api, V="z", LOCK="1", SIZE="20000")  # alone over the limit
    assert f"[ishcd] cache deps-z-{sha('1')} not saved (20." in log
    assert "kB): the file is larger than the limit of 10000 bytes\n" in log
    assert len(await listed(api)) == 2


async def test_templates_a_stored_jobs_branch_is_empty_and_a_missing_file_skips_the_key(
    api: Api,
) -> None:
    await api.project("Ops")
    cache = {
        "restore": ['x-{{ checksum "absent" }}', "v1-{{ branch }}-{{ job }}-{{ os }}"],
        "save": {"key": "v1-{{ branch }}-{{ job }}-{{ os }}-{{ arch }}", "paths": ["out"]},
    }
    await api.job("ops", "echo made > out", name="build", cache=cache)
    log = await build(api)
    assert "checksum 'absent': absent does not exist in the workspace" in log
    assert "[ishcd] no cache found for keys: v1--build-linux\n" in log
    saved = (await listed(api))[0]["key"]
    assert saved.startswith("v1--build-linux-")
    log = await build(api)
    assert f"[ishcd] restored cache {saved} (" in log


async def test_an_archive_member_that_would_leave_the_workspace_is_refused(
    api: Api, tmp_path: Path
) -> None:
    await api.project("Ops")
    project = (await api.get("/v1/projects/ops")).json()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, body in (("ok.txt", b"fine\n"), ("../../escaped.txt", b"bad\n")):
            member = tarfile.TarInfo(name)
            member.size = len(body)
            tar.addfile(member, io.BytesIO(body))
        link = tarfile.TarInfo("up")
        link.type, link.linkname = tarfile.SYMTYPE, "/"
        tar.addfile(link)
    staged = tmp_path / "evil.tgz"
    staged.write_bytes(data.getvalue())
    body = data.getvalue()
    archive = Staged(staged, size=len(body), sha256=hashlib.sha256(body).hexdigest())
    server = api.server
    saved = await caches.save(
        server.database, server.blobs, 10**9, project["id"], None, "evil", archive
    )
    assert saved["saved"] is True

    await api.job("ops", "cat ok.txt; ls", name="build", cache={"restore": ["evil"]})
    log = await build(api)
    assert (
        "[ishcd] cache evil: '../../escaped.txt' is refused: its name leaves the workspace\n" in log
    )
    assert "[ishcd] cache evil: 'up' is refused: " in log
    assert "[ishcd] restored cache evil (" in log
    assert log.endswith("fine\nok.txt\n")
    runs = server.settings.runs_dir
    assert not (runs / "escaped.txt").exists()
    assert not (runs.parent / "escaped.txt").exists()


async def test_parallel_saves_of_one_key_leave_one_row(api: Api, tmp_path: Path) -> None:
    project = await api.project("Ops")
    server = api.server

    async def save(i: int) -> dict[str, Any]:
        body = f"archive {i}".encode()
        path = tmp_path / f"{i}.tgz"
        path.write_bytes(body)
        archive = Staged(path, size=len(body), sha256=hashlib.sha256(body).hexdigest())
        return await caches.save(
            server.database, server.blobs, 10**9, project["id"], None, "k", archive
        )

    answers = await asyncio.gather(*(save(i) for i in range(8)))
    assert sorted(a["saved"] for a in answers) == [False] * 7 + [True]
    async with server.database.read() as conn:
        rows = await caches_db.list_caches(conn, project["id"], None, 100, 0)
    assert [r.key for r in rows] == ["k"]
    winner = next(a for a in answers if a["saved"])
    assert rows[0].sha256 == winner["sha256"]
    assert time.time() >= rows[0].created


PIPELINE = """\
version: 1
jobs:
  build:
    steps:
      - run: 'echo "had: $(cat deps/from 2>/dev/null || echo nothing)"'
      - run: mkdir -p deps; echo "$ISHCD_BRANCH" > deps/from
    cache:
      restore:
        - deps-{{ branch }}-{{ checksum "requirements.txt" }}
        - deps-{{ branch }}-
        - deps-main-
      save: {key: 'deps-{{ branch }}-{{ checksum "requirements.txt" }}', paths: [deps]}
workflows:
  main: {jobs: [build]}
"""


async def test_a_pipeline_job_keys_its_cache_by_branch_and_a_checked_out_files_checksum(
    api: Api, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.push({".ishcd.yml": PIPELINE, "requirements.txt": "a==1\n"})
    await api.project("App", repository=str(repo.origin))

    async def build_log(branch: str) -> str:
        made = await api.post("/v1/projects/app/pipelines", json={"branch": branch})
        assert made.status_code == 201, made.text
        pipeline = await wait_pipeline(api, made.json()["id"])
        jobs = await jobs_of(api, (await workflow_of(api, pipeline["id"]))["id"])
        log = (await api.get(f"/v1/runs/{jobs['build']['run_id']}/log")).text
        assert pipeline["status"] == "complete", log
        return log

    main, feature = "deps-main-" + sha("a==1\n"), "deps-feature-" + sha("a==2\n")
    log = await build_log("main")
    assert f"[ishcd] no cache found for keys: {main}, deps-main-\n" in log
    assert f"[ishcd] saved cache {main} (1 file, " in log
    repo.push({"requirements.txt": "a==2\n"}, branch="feature")
    log = await build_log("feature")  # its own keys miss: main's is the fallback
    assert f"[ishcd] restored cache {main} (" in log
    assert "had: main\n" in log
    assert f"[ishcd] saved cache {feature} (" in log
    log = await build_log("main")
    assert f"[ishcd] restored cache {main} (" in log
    assert f"[ishcd] cache {main} exists: not saved\n" in log
