"""The step sections of a run, as its API shape shows them.

The runner reports a pipeline job's steps as it finds them in the log
(``runner.sections``); the log store keeps them beside the log and gives them
in the stored log's offsets. Here they get their line numbers and, for a run
that ended without its runner saying how (given up as lost), the run's end.
A stored job's run has none: its script is one piece.
"""

from __future__ import annotations

import time
from typing import Any

from ishcd.db.runs import RunRecord
from ishcd.logstore import LogStore
from ishcd.services import logs as logs_service
from ishcd.services import run_state


async def run_sections(logs: LogStore, run: RunRecord) -> list[dict[str, Any]]:
    """The run's sections (``SectionOut``'s shape): [] for a stored job's run."""
    if run.workflow_job_id is None or run.log_removed is not None:
        return []
    saved = await logs.sections(run.id)
    if not saved:
        return []
    finished = run.status in run_state.FINISHED
    end = await logs_service.log_end(logs, run)
    now = time.time()
    shown = []
    async with logs.lines(run.id, end) as index:
        for section in saved:
            values = dict(section)
            if values["end"] is None and finished:  # its runner never said: the run's end
                values.update(
                    end=end,
                    finished=run.finished,
                    status=run.status,
                    exit_code=run.exit_code,
                    error_reason=run.error_reason,
                )
            start, stop = min(values["start"], end), values["end"]
            stop = None if stop is None else min(max(stop, start), end)
            began, ended = values["started"], values["finished"]
            shown.append(
                {
                    "number": values["number"],
                    "name": values["name"],
                    "status": values["status"],
                    "exit_code": values["exit_code"],
                    "error_reason": values["error_reason"],
                    "start": start,
                    "end": stop,
                    "start_line": await index.line_of(start) + 1,
                    "end_line": None
                    if stop is None
                    else await index.line_of(max(start, stop - 1)) + 1,
                    "started": int(began),
                    "finished": None if ended is None else int(ended),
                    "duration": round(max(0.0, (ended or now) - began)),
                }
            )
    return shown
