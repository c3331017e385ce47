"""What a runner is given for a run it claimed: the embedded runner and agents alike."""

from __future__ import annotations

from ishcd.logstore import LogStore
from ishcd.runner.protocol import Assignment
from ishcd.services import dispatch


async def assignment_of(claimed: dispatch.Claimed, logs: LogStore) -> Assignment:
    """What a runner gets for a claimed run; a later attempt's log goes on after the
    earlier ones', from a line that says which attempt starts."""
    run, env = claimed.run, claimed.env
    assert env is not None
    offset = 0
    if run.attempt > 1:
        note = f"attempt {run.attempt} of {run.retry + 1}: the run was queued again by its retry"
        await logs.note(run.id, note)
        offset = await logs.received(run.id)
    return Assignment(
        run_id=run.id,
        project=run.project_machine_name,
        job=run.job_ref[1],
        script=run.script,
        env=env.env,
        timeout=run.timeout,
        secrets=env.secrets,
        checkout=run.checkout,
        sections=run.workflow_job_id is not None,
        attempt=run.attempt,
        log_offset=offset,
        outputs=run.outputs,
    )


async def write_problem(logs: LogStore, run_id: str, problem: str) -> int:
    """A run that could not start: why, alone in its log; the log's size."""
    await logs.append(run_id, 0, f"[ishcd] {problem}\n".encode())
    return await logs.close(run_id)
