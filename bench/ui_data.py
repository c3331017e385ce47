"""The UI bench's data dir: 100 projects, 10,000 runs in one project, 1,000 pipelines.

Built fast: a server on a fresh data dir makes the projects and jobs through the
API and executes a few real runs and pipelines (one that passes and one that
fails of each), which become templates. The server is then stopped and the
templates' rows are cloned in bulk through the db layer (``ishcd.db``: the table
metadata and the ``Database`` connection the server uses), with new ids, spread
statuses and timestamps over the last 30 days, and a copy of the template's log
for every run. Every row so has exactly the shape the server itself writes.

``big`` holds 10 jobs with 10,000 runs between them (about 1 in 8 failed) and
1,000 pipelines of a three-job chain (about 1 in 10 failed, each job a run, so
3,000 more runs); the 99 others one job with 10 runs each. All are finished:
queued or running rows would be claimed or reaped by the server the bench starts.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench import server
from bench.exceptions import BenchError
from ishcd.db import database, tables
from ishcd.db.query import Query, insert

BIG = "big"
PROJECTS = 100
BIG_JOBS = 10
BIG_RUNS = 10_000
OTHER_RUNS = 10
PIPELINES = 1_000
FAILED_RUNS = 0.12
FAILED_PIPELINES = 0.10
SPAN_S = 30 * 86_400
SCRIPT = 'echo "deploying to $TARGET"; test "$FAIL" != 1'
VARIABLES = [
    {"name": "TARGET", "default": "staging", "description": "Where to deploy"},
    {"name": "FAIL", "default": "0", "description": "1 makes the run fail"},
]
CONFIG = """\
version: 1
jobs:
  build: {steps: [run: 'echo building']}
  test: {steps: [run: '%s']}
  deploy: {steps: [run: 'echo deploying']}
workflows:
  main:
    jobs: [build, {test: {requires: [build]}}, {deploy: {requires: [test]}}]
"""


@dataclass(frozen=True)
class Dataset:
    data_dir: Path
    projects: int
    runs_in_big: int  # job runs and pipeline job runs
    pipelines: int
    latest_run_id: str  # the newest run of big's first job
    seconds: float  # to build it


@dataclass(frozen=True)
class Templates:
    passed_run: str
    failed_run: str
    passed_pipeline: str
    failed_pipeline: str
    big_jobs: dict[str, str]  # machine name -> id
    other_jobs: dict[str, str]  # project id -> its job's id


def _check(response: httpx.Response, expect: int) -> Any:
    if response.status_code != expect:
        raise BenchError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}, not {expect}: {response.text[:300]}"
        )
    return response.json()


def _wait(client: httpx.Client, path: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found: dict[str, Any] = _check(client.get(path), 200)
        if found["status"] in ("complete", "error"):
            return found
        time.sleep(0.05)
    raise BenchError(f"{path} did not finish in {timeout:g} s")


def make_templates(url: str, token: str) -> Templates:
    """Projects and jobs through the API, and the real runs and pipelines to clone."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        big = _check(client.post("/v1/projects", json={"name": BIG}), 201)
        big_jobs = {}
        for n in range(1, BIG_JOBS + 1):
            body = {"name": f"job-{n:02d}", "script": SCRIPT, "variables": VARIABLES}
            job = _check(client.post(f"/v1/projects/{BIG}/jobs", json=body), 201)
            big_jobs[job["machine_name"]] = job["id"]
        other_jobs = {}
        for n in range(2, PROJECTS + 1):
            project = _check(client.post("/v1/projects", json={"name": f"project-{n:03d}"}), 201)
            body = {"name": "deploy", "script": SCRIPT, "variables": VARIABLES}
            path = f"/v1/projects/{project['machine_name']}/jobs"
            other_jobs[project["id"]] = _check(client.post(path, json=body), 201)["id"]
        runs = f"/v1/projects/{BIG}/jobs/job-01/runs"
        passed = _check(client.post(runs, json={"env": {}}), 201)["id"]
        failed = _check(client.post(runs, json={"env": {"FAIL": "1"}}), 201)["id"]
        pipes = f"/v1/projects/{BIG}/pipelines"
        ok = _check(client.post(pipes, json={"config": CONFIG % "echo testing"}), 201)["id"]
        bad = _check(client.post(pipes, json={"config": CONFIG % "exit 1"}), 201)["id"]
        for run_id in (passed, failed):
            _wait(client, f"{runs}/{run_id}")
        for pipeline_id in (ok, bad):
            _wait(client, f"/v1/pipelines/{pipeline_id}")
        if big["machine_name"] != BIG:
            raise BenchError(f"the project was named {big['machine_name']!r}, not {BIG!r}")
    return Templates(passed, failed, ok, bad, big_jobs, other_jobs)


Row = dict[str, Any]
STAMPS = ("created", "changed", "started", "finished")


class Cloner:
    """Reads template rows and writes their clones on one write transaction."""

    def __init__(self, conn: database.Connection, logs_dir: Path):
        self.conn = conn
        self.logs_dir = logs_dir
        self.written = 0

    async def rows(self, table: sa.Table, column: str, value: str) -> list[Row]:
        query = Query(sa.select(table).where(table.c[column] == sa.bindparam("value")))
        found = await self.conn.fetch_all(query, value=value)
        return [dict(zip(table.c.keys(), row, strict=True)) for row in found]

    async def write(self, table: sa.Table, row: Row) -> None:
        row = {name: value for name, value in row.items() if name != "seq"}
        await self.conn.execute(_inserts[table.name], **row)
        self.written += 1

    def copy_log(self, template_id: str, new_id: str) -> None:
        source = self.logs_dir / template_id[:2] / f"{template_id}.log"
        if source.exists():
            target = self.logs_dir / new_id[:2] / f"{new_id}.log"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


_inserts = {
    t.name: insert(t, exclude=("seq",) if "seq" in t.c else ())
    for t in (tables.runs, tables.pipelines, tables.workflows, tables.workflow_jobs)
}


def _remap(row: Row, ids: dict[str, str], moved: float) -> Row:
    """The row with every template id (also inside JSON text) replaced, its times moved."""
    out = {}
    for name, value in row.items():
        if isinstance(value, str):
            for old, new in ids.items():
                if old in value:
                    value = value.replace(old, new)
        elif name in STAMPS and value is not None:
            value = value + moved
        out[name] = value
    return out


async def clone_run(
    cloner: Cloner, template: Row, project_id: str, job_id: str, created: float, rng: random.Random
) -> str:
    new_id = str(uuid.uuid4())
    row = _remap(template, {template["id"]: new_id}, created - template["created"])
    started = created + rng.uniform(0.05, 3)
    finished = started + rng.uniform(1, 300)
    row.update(project_id=project_id, job_id=job_id, started=started)
    row.update(finished=finished, changed=finished)
    await cloner.write(tables.runs, row)
    cloner.copy_log(template["id"], new_id)
    return new_id


async def clone_pipeline(
    cloner: Cloner, template_id: str, number: int, created: float, template_number: int
) -> None:
    pipeline = (await cloner.rows(tables.pipelines, "id", template_id))[0]
    flows = await cloner.rows(tables.workflows, "pipeline_id", template_id)
    ids = {template_id: str(uuid.uuid4())}
    jobs: list[Row] = []
    runs: list[Row] = []
    for flow in flows:
        ids[flow["id"]] = str(uuid.uuid4())
        for job in await cloner.rows(tables.workflow_jobs, "workflow_id", flow["id"]):
            ids[job["id"]] = str(uuid.uuid4())
            jobs.append(job)
            if job["run_id"]:
                ids[job["run_id"]] = str(uuid.uuid4())
                runs += await cloner.rows(tables.runs, "id", job["run_id"])
    moved = created - pipeline["created"]
    number_in_json = (f'"number": {template_number}', f'"number": {number}')
    row = _remap(pipeline, ids, moved)
    row["number"] = number
    await cloner.write(tables.pipelines, row)
    for flow in flows:
        await cloner.write(tables.workflows, _remap(flow, ids, moved))
    for job in jobs:
        await cloner.write(tables.workflow_jobs, _remap(job, ids, moved))
    for run in runs:
        cloned = _remap(run, ids, moved)
        if isinstance(cloned.get("origin"), str):
            cloned["origin"] = cloned["origin"].replace(*number_in_json)
        await cloner.write(tables.runs, cloned)
        cloner.copy_log(run["id"], ids[run["id"]])


async def clone_history(cloner: Cloner, templates: Templates, rng: random.Random) -> str:
    """Job runs and pipelines over the last 30 days, written oldest first (as they came)."""
    passed = (await cloner.rows(tables.runs, "id", templates.passed_run))[0]
    failed = (await cloner.rows(tables.runs, "id", templates.failed_run))[0]
    numbers = {
        template_id: (await cloner.rows(tables.pipelines, "id", template_id))[0]["number"]
        for template_id in (templates.passed_pipeline, templates.failed_pipeline)
    }
    big_jobs = list(templates.big_jobs.values())
    plan: list[tuple[str, str]] = [  # (project id, job id), or ("", "") for a pipeline
        (passed["project_id"], big_jobs[i % len(big_jobs)]) for i in range(BIG_RUNS - 2)
    ]
    for project_id, job_id in templates.other_jobs.items():
        plan += [(project_id, job_id)] * OTHER_RUNS
    plan += [("", "")] * (PIPELINES - len(numbers))
    rng.shuffle(plan)
    now = time.time()
    times = sorted(now - rng.uniform(60, SPAN_S) for _ in plan)
    number = max(numbers.values())
    latest = ""
    for created, (project_id, job_id) in zip(times, plan, strict=True):
        if not project_id:
            number += 1
            bad = rng.random() < FAILED_PIPELINES
            pipeline = templates.failed_pipeline if bad else templates.passed_pipeline
            await clone_pipeline(cloner, pipeline, number, created, numbers[pipeline])
            continue
        template = failed if rng.random() < FAILED_RUNS else passed
        run_id = await clone_run(cloner, template, project_id, job_id, created, rng)
        if job_id == templates.big_jobs["job-01"]:
            latest = run_id
    set_count = Query(
        sa.update(tables.projects)
        .where(tables.projects.c.machine_name == BIG)
        .values(pipeline_count=sa.bindparam("count"))
    )
    await cloner.conn.execute(set_count, count=number)
    return latest


async def clone_all(data_dir: Path, templates: Templates, seed: int = 10) -> str:
    """Clone the templates into the stopped server's database; the newest run of job-01."""
    db = await database.connect(f"sqlite:///{(data_dir / 'ishcd.db').resolve()}")
    try:
        async with db.transaction() as conn:
            return await clone_history(
                Cloner(conn, data_dir / "logs"), templates, random.Random(seed)
            )
    finally:
        await db.close()


def build(
    data_dir: Path, start: Callable[[Path], AbstractContextManager[server.Server]]
) -> tuple[Dataset, dict[str, str]]:
    """Fill ``data_dir`` (new), starting its server with ``start``; the first admin too."""
    began = time.monotonic()
    with start(data_dir) as first:
        if not first.token:
            raise BenchError(f"ishcd server printed no API token:\n{first.tail()}")
        templates = make_templates(first.url, first.token)
        admin = {**first.first_admin, "token": first.token}
    latest = asyncio.run(clone_all(data_dir, templates))
    dataset = Dataset(
        data_dir=data_dir,
        projects=PROJECTS,
        runs_in_big=BIG_RUNS + PIPELINES * 3,
        pipelines=PIPELINES,
        latest_run_id=latest,
        seconds=time.monotonic() - began,
    )
    return dataset, admin
