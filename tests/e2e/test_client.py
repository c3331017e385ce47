"""The Python client against a real server: real HTTP, real runner, real bash.

The tests share one server (starting one costs seconds); each works in projects of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ishcd.client import (
    Client,
    Conflict,
    ConnectionFailed,
    CreatedToken,
    NotFound,
    Unauthorized,
    ValidationFailed,
    Variable,
    WaitTimeout,
)
from ishcd.client.projects import ProjectHandle
from tests.e2e.conftest import LiveServer, free_port

_PROJECTS = itertools.count(1)


@pytest.fixture(scope="module")
def live_server(shared_live_server: LiveServer) -> LiveServer:
    return shared_live_server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[Client]:
    with Client(live_server.token, host=live_server.url) as made:
        yield made


def make_job(client: Client, script: str, name: str = "j", **kwargs: Any) -> ProjectHandle:
    """A new project of the test's own ("p1", "p2", ...) with a job ``name`` running ``script``."""
    made = client.projects().create(f"p{next(_PROJECTS)}")
    project = client.projects(made.machine_name)
    project.jobs().create(name, script, **kwargs)
    return project


def test_the_documented_example_returns_the_finished_run(
    live_server: LiveServer, client: Client
) -> None:
    project = client.projects().create("My Corp", description="ops")
    assert (project.machine_name, project.description) == ("my-corp", "ops")
    job = (
        client.projects("my-corp")
        .jobs()
        .create("Backup prod", 'echo "A is $A"', variables=[Variable("A")], timeout=60)
    )
    assert (job.machine_name, job.timeout, job.variables[0].name) == ("backup-prod", 60, "A")

    with Client(live_server.token, host=live_server.url) as fresh:
        run = fresh.projects("my-corp").jobs("backup-prod").runs().create(env={"A": "b"}, wait=True)

    assert run.status == "complete"
    assert run.ok
    assert run.is_finished
    assert (run.exit_code, run.error_reason) == (0, None)
    assert run.log == "A is b\n"
    assert run.env == {"A": "b"}
    assert (run.job.machine_name, run.project.machine_name) == ("backup-prod", "my-corp")
    assert run.created_by is not None
    assert run.created_by.username == "admin"
    assert run.finished is not None
    assert run.started is not None
    assert run.raw["id"] == run.id


def test_a_created_run_is_queued_until_waited_for_and_readable_by_id(client: Client) -> None:
    job = make_job(client, "echo hi").jobs("j")
    run = job.runs().create()
    assert run.status == "queued"
    assert not run.is_finished
    assert not run.ok

    done = run.wait(timeout=30)
    assert done.ok
    assert done.log == "hi\n"
    assert client.runs(run.id).get() == done
    assert job.runs(run.id).get() == done
    assert done.refresh() == done
    assert done.wait() is done  # a finished run has nothing to wait for


def test_the_same_idempotency_key_returns_the_first_run(client: Client) -> None:
    runs = make_job(client, "echo $A", variables=[{"name": "A"}]).jobs("j").runs()
    first = runs.create(env={"A": "1"}, idempotency_key="deploy-42")
    again = runs.create(env={"A": "1"}, idempotency_key="deploy-42")
    assert again.id == first.id
    assert again.replayed
    assert not first.replayed
    assert [r.id for r in runs.list()] == [first.id]

    with pytest.raises(ValidationFailed) as caught:
        runs.create(env={"A": "2"}, idempotency_key="deploy-42")
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["Idempotency-Key"]


def test_lists_filter_runs_and_iterate_every_page(client: Client) -> None:
    project = make_job(client, "echo ok", name="good")
    project.jobs().create("bad", "echo boom; exit 3")
    good, bad = project.jobs("good").runs(), project.jobs("bad").runs()
    first = good.create(wait=True, timeout=30)
    failed = bad.create(wait=True, timeout=30)
    last = good.create(wait=True, timeout=30)

    assert (failed.status, failed.error_reason, failed.exit_code) == ("error", "failed", 3)
    assert not failed.ok
    assert failed.is_finished

    newest_first = [last.id, failed.id, first.id]
    assert [r.id for r in project.runs().list()] == newest_first
    assert [r.id for r in project.runs().list(status="error")] == [failed.id]
    assert [r.id for r in project.runs().list(job="good")] == [last.id, first.id]
    assert [r.id for r in project.runs().list(job="good", status="error")] == []
    assert [r.id for r in good.list(status="complete")] == [last.id, first.id]
    assert [r.id for r in project.runs().list(per_page=1, page=2)] == [failed.id]
    # Following the Link header page by page finds every run, once, in order.
    assert [r.id for r in project.runs().iter_all(per_page=1)] == newest_first
    assert [r.id for r in good.iter_all(per_page=1)] == [last.id, first.id]

    assert [j.machine_name for j in project.jobs().list()] == ["bad", "good"]
    assert [j.machine_name for j in project.jobs().iter_all(per_page=1)] == ["bad", "good"]
    mine = project.get().machine_name
    other = client.projects().create(f"{mine}-q").machine_name
    every = [p.machine_name for p in client.projects().list(per_page=100)]
    assert every == sorted(every)
    assert every.index(other) == every.index(mine) + 1  # listed next to each other, in order
    assert [p.machine_name for p in client.projects().iter_all(per_page=1)] == every


def test_cancel_a_running_run_while_following_its_log(client: Client) -> None:
    job = make_job(client, "echo started; sleep 30; echo never").jobs("j")
    run = job.runs().create()
    with closing(run.follow()) as chunks:
        text = next(chunks)
        while "started\n" not in text:
            text += next(chunks)
        # The log arrives while the run goes on.
        running = run.refresh()
        assert running.status == "running"
        part = run.read_log()
        assert (part.text, part.next_offset, part.complete) == ("started\n", 8, False)

        with pytest.raises(WaitTimeout) as caught:
            run.wait(timeout=0.2)
        assert caught.value.last.status == "running"
        assert run.id in str(caught.value)

        assert client.runs(run.id).cancel().id == run.id
        text += "".join(chunks)  # the stream ends when the run does
    assert text.startswith("started\n")
    assert "run canceled" in text
    assert "never" not in text

    done = run.wait(timeout=30)
    assert (done.status, done.error_reason) == ("error", "canceled")
    with pytest.raises(Conflict) as conflict:
        done.cancel()
    assert conflict.value.status == 409


def test_the_log_reads_by_offset_and_follows_to_the_end(client: Client) -> None:
    script = "for i in 1 2 3; do echo line $i; sleep 0.1; done; printf 'h\\xc3\\xa9!'"
    run = make_job(client, script).jobs("j").runs().create()
    assert "".join(run.follow()) == "line 1\nline 2\nline 3\nhé!"

    run = run.wait(timeout=30)
    whole = run.read_log()
    assert whole.data == "line 1\nline 2\nline 3\nhé!".encode()
    assert (whole.next_offset, whole.complete) == (25, True)
    assert run.read_log(7).text == "line 2\nline 3\nhé!"
    assert run.read_log(23).text == "\ufffd!"  # the offset cut the é in two
    end = client.runs(run.id).log(25)
    assert (end.data, end.next_offset, end.complete) == (b"", 25, True)
    assert "".join(run.follow(offset=14)) == "line 3\nhé!"


def test_api_errors_are_typed_and_carry_the_server_s_message(
    live_server: LiveServer, client: Client
) -> None:
    with pytest.raises(NotFound) as missing:
        client.projects("nope").get()
    assert (missing.value.status, missing.value.message) == (404, "project 'nope' not found")
    with pytest.raises(NotFound):
        client.projects("nope").jobs("j").runs().create()
    with pytest.raises(NotFound):
        client.runs("not-a-run").get()

    variables = [Variable("NEEDED", required=True), Variable("SET")]
    project = make_job(client, "true", variables=variables)
    runs = project.jobs("j").runs()
    with pytest.raises(ValidationFailed) as invalid:
        runs.create(env={"NEEDED": "x", "UNDECLARED": "1"})
    assert invalid.value.status == 422
    assert invalid.value.errors[0].field == "env.UNDECLARED"
    assert "UNDECLARED is not a variable of this job" in str(invalid.value)
    with pytest.raises(ValidationFailed) as required:
        runs.create(env={"SET": "1"})
    assert [e.field for e in required.value.errors] == ["env.NEEDED"]

    taken_name = project.get().machine_name
    with pytest.raises(Conflict) as taken:
        client.projects().create("Another", machine_name=taken_name)
    assert taken.value.message == f"machine_name '{taken_name}' is taken"
    with Client("not-a-token", host=live_server.url) as stranger, pytest.raises(Unauthorized):
        stranger.projects().list()


def test_an_unreachable_server_is_a_clear_error() -> None:
    port = free_port()  # free: nothing listens there
    with Client("t", host=f"127.0.0.1:{port}") as client, pytest.raises(ConnectionFailed) as caught:
        client.account().get()
    assert f"cannot reach http://127.0.0.1:{port}" in str(caught.value)


def test_account_and_tokens(live_server: LiveServer, client: Client) -> None:
    assert client.account().get().username == "admin"
    assert client.account().update(name="Ada").name == "Ada"

    created = client.tokens().create("ci")
    assert isinstance(created, CreatedToken)
    assert created.token
    assert created.id in [t.id for t in client.tokens().list()]
    assert created.id in [t.id for t in client.tokens().iter_all(per_page=1)]
    with Client(created.token, host=live_server.url) as ci:
        assert ci.account().get().name == "Ada"
        session = ci.exchange_token()
    with Client(session, host=live_server.url) as short_lived:
        assert short_lived.account().get().username == "admin"

    client.tokens(created.id).revoke()
    with Client(created.token, host=live_server.url) as revoked, pytest.raises(Unauthorized):
        revoked.account().get()
    with pytest.raises(Unauthorized):
        client.exchange_token("not-a-token")


def test_projects_and_jobs_read_change_and_delete(client: Client) -> None:
    project = make_job(client, "echo 1")
    assert project.get().name.startswith("p")
    assert project.update(description="changed").description == "changed"
    job = project.jobs("j")
    changed = job.update(script="echo 2", variables=[Variable("B", default="b")], timeout=5)
    assert (changed.script, changed.timeout) == ("echo 2", 5)
    assert changed.variables == [Variable("B", default="b")]
    assert job.runs().create(wait=True, timeout=30).log == "2\n"
    by_id = client.projects(project.get().id).jobs(changed.id).get()
    assert by_id == changed

    job.delete()
    with pytest.raises(NotFound):
        job.get()
    project.delete()
    with pytest.raises(NotFound):
        project.get()


def test_a_jobs_outputs_are_set_read_and_cleared(client: Client) -> None:
    cache = {"restore": ["deps-"], "save": {"key": "deps-{{ branch }}", "paths": [".venv"]}}
    project = make_job(
        client, "true", "build", artifacts=["dist/*"], cache=cache, test_reports=["r/*.xml"]
    )
    job = project.jobs("build").get()
    assert job.artifacts == {"paths": ["dist/*"], "when": "always", "expire_in": None}
    assert (job.cache, job.test_reports) == (cache, ["r/*.xml"])
    changed = project.jobs("build").update(
        artifacts={"paths": ["out"], "when": "on_failure", "expire_in": "1d"}, cache=None
    )
    assert changed.artifacts == {"paths": ["out"], "when": "on_failure", "expire_in": 86400}
    assert (changed.cache, changed.test_reports) == (None, ["r/*.xml"])
    with pytest.raises(ValidationFailed, match=r"artifacts\[0\]"):
        project.jobs("build").update(artifacts=["/etc"])


def test_a_job_with_labels_and_retry_runs_again_after_a_failure(
    client: Client, tmp_path: Path
) -> None:
    marker = tmp_path / "tried"
    script = f"[ -e {marker} ] || {{ touch {marker}; exit 5; }}; echo second"
    project = make_job(client, script, "flaky", labels=["local"], retry=1)
    job = project.jobs("flaky").get()
    assert job.labels == ["local"]
    assert job.retry == {"count": 1, "only_lost": False}
    run = project.jobs("flaky").runs().create(wait=True, timeout=30)
    assert run.status == "complete"
