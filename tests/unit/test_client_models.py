"""How the client reads what the API returns, and finds the server."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator

import pytest

from ishcd.client import errors, models, run, runs, transport


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://ci.example.com/v1", "https://ci.example.com"),
        ("https://ci.example.com/ishcd/v1/", "https://ci.example.com/ishcd"),
        ("localhost:9000", "http://localhost:9000"),
    ],
)
def test_base_url_accepts_what_people_type(given: str, url: str) -> None:
    assert transport.base_url(given) == url


def test_ids_and_machine_names_are_escaped_as_one_path_segment() -> None:
    assert transport.segment("a/b c?") == "a%2Fb%20c%3F"


def test_a_project_parses_and_keeps_its_raw_json_with_new_fields() -> None:
    data = {
        "id": "p1",
        "machine_name": "my-corp",
        "name": "My Corp",
        "description": None,
        "created": 1,
        "changed": 2,
        "added_later": True,
    }
    project = models.Project.from_json(data)
    assert (project.id, project.machine_name, project.changed) == ("p1", "my-corp", 2)
    assert project.raw["added_later"] is True


@pytest.mark.parametrize("data", [["not", "an", "object"], {"id": "p1"}, None])
def test_an_answer_that_is_not_a_project_is_unexpected(data: object) -> None:
    with pytest.raises(errors.UnexpectedResponse):
        models.Project.from_json(data)


def test_a_job_parses_its_variables_and_project() -> None:
    data = {
        "id": "j1",
        "machine_name": "backup",
        "name": "Backup",
        "description": None,
        "script": "echo",
        "variables": [{"name": "A", "default": "x", "required": True, "secret": False}],
        "timeout": None,
        "project": {"id": "p1", "machine_name": "my-corp"},
        "created": 1,
        "changed": 1,
    }
    job = models.Job.from_json(data)
    assert job.variables == [models.Variable("A", default="x", required=True)]
    assert job.project == models.ProjectRef(id="p1", machine_name="my-corp")


RUN = {
    "id": "r1",
    "status": "error",
    "duration": 2,
    "created": 1,
    "changed": 3,
    "started": 1,
    "finished": 3,
    "exit_code": 3,
    "error_reason": "failed",
    "env": {"A": "b"},
    "log": "boom\n",
    "log_truncated": False,
    "job": {"id": "j1", "machine_name": "backup", "name": "Backup"},
    "project": {"id": "p1", "machine_name": "my-corp"},
    "created_by": None,
}


@pytest.fixture
def handle() -> Iterator[runs.RunHandle]:
    unused = transport.Transport("http://127.0.0.1:9", "t")
    yield runs.RunHandle(unused, "r1")
    unused.close()


def test_a_run_parses_and_says_where_it_stands(handle: runs.RunHandle) -> None:
    parsed = run.Run.from_json(RUN, handle)
    assert (parsed.status, parsed.error_reason, parsed.exit_code) == ("error", "failed", 3)
    assert parsed.is_finished
    assert not parsed.ok
    assert parsed.job.machine_name == "backup"
    assert parsed.created_by is None
    assert parsed.handle is handle
    for status, finished, ok in [
        ("queued", False, False),
        ("running", False, False),
        ("complete", True, True),
    ]:
        other = run.Run.from_json({**RUN, "status": status}, handle)
        assert (other.is_finished, other.ok) == (finished, ok)


def test_a_run_copies_and_converts_to_a_dict_sharing_its_handle(handle: runs.RunHandle) -> None:
    parsed = run.Run.from_json(RUN, handle)
    assert dataclasses.asdict(parsed)["env"] == {"A": "b"}
    assert copy.deepcopy(parsed) == parsed
    assert dataclasses.replace(parsed, status="complete").handle is handle


def test_a_log_part_decodes_a_cut_character_as_a_replacement() -> None:
    part = run.LogPart("hé".encode()[:2], next_offset=2, complete=False)
    assert part.text == "h\ufffd"
