"""A pipeline job's steps as sections of its log, on the run's API shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_pipelines import jobs_of, trigger, wait_pipeline, workflow_of


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("CI")


CONFIG = """\
version: 1
jobs:
  build:
    steps:
      - run: {name: prepare, command: "echo preparing; echo more"}
      - run: {name: compile, command: "echo compiling; %s"}
      - run: {name: never, command: "echo never"}
workflows:
  main:
    jobs:
      - build
"""


async def run_of_build(api: Api, command: str) -> dict[str, Any]:
    created = await trigger(api, CONFIG % command)
    await wait_pipeline(api, created["id"])
    workflow = await workflow_of(api, created["id"])
    job = (await jobs_of(api, workflow["id"]))["build"]
    return dict((await api.get(f"/v1/runs/{job['run_id']}")).json())


def banner_offsets(raw: bytes) -> list[int]:
    starts, at = [], raw.find(b"[ishcd] step ")
    while at != -1:
        starts.append(at)
        at = raw.find(b"[ishcd] step ", at + 1)
    return starts


async def test_each_step_is_a_section_and_the_failing_one_ends_the_run(
    api: Api, project: dict[str, Any]
) -> None:
    run = await run_of_build(api, "exit 4")
    assert run["status"] == "error"
    raw = (await api.get(f"/v1/runs/{run['id']}/log")).content
    first, second = banner_offsets(raw)[:2]
    sections = run["sections"]
    assert [s["name"] for s in sections] == ["prepare", "compile"]  # "never" never started
    prepare, compile_ = sections
    assert prepare["number"] == 1
    assert prepare["status"] == "complete"
    assert prepare["exit_code"] == 0
    assert prepare["error_reason"] is None
    assert (prepare["start"], prepare["end"]) == (first, second)
    assert raw[first:second].decode().splitlines()[1:] == ["preparing", "more"]
    assert compile_["status"] == "error"
    assert compile_["exit_code"] == 4
    assert compile_["error_reason"] == "failed"
    assert (compile_["start"], compile_["end"]) == (second, len(raw))
    for section in sections:
        assert section["start_line"] == raw.count(b"\n", 0, section["start"]) + 1
        assert section["end_line"] == raw.count(b"\n", 0, section["end"] - 1) + 1
        assert section["duration"] >= 0
        assert section["finished"] >= section["started"]


async def test_a_passing_job_has_all_its_steps_complete(api: Api, project: dict[str, Any]) -> None:
    run = await run_of_build(api, "true")
    assert run["status"] == "complete"
    raw = (await api.get(f"/v1/runs/{run['id']}/log")).content
    sections = run["sections"]
    assert [s["name"] for s in sections] == ["prepare", "compile", "never"]
    assert all(s["status"] == "complete" and s["exit_code"] == 0 for s in sections)
    assert [s["start"] for s in sections] == banner_offsets(raw)
    assert sections[-1]["end"] == len(raw)
    assert [s["end"] for s in sections[:-1]] == [s["start"] for s in sections[1:]]


async def test_a_stored_job_has_no_sections_and_lists_show_none(
    api: Api, project: dict[str, Any]
) -> None:
    # A stored job whose script prints a banner-like line: still one piece.
    await api.job("ci", "echo '[ishcd] step 1/1: fake'", name="j")
    run = await api.wait((await api.start("ci", "j"))["id"])
    assert run["sections"] == []
    listed = (await api.get("/v1/projects/ci/runs")).json()
    assert listed[0]["sections"] is None
