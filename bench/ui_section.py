"""``python -m bench ui``: build the UI data dir, start the server on it, time every page.

``--ui-data-dir DIR`` builds into DIR and keeps it (the admin's token and
password in ``DIR/bench-ui.json``, mode 0600), or reuses it when it is already
built: a data dir to look at the pages on (``make run DATA_DIR=DIR``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import uvloop

from bench import machine, report, server, ui, ui_data
from bench.exceptions import BenchError

RESULTS = report.RESULTS.parent / "ui.json"
STATE = "bench-ui.json"


@dataclass(frozen=True)
class UiResults:
    machine: machine.Machine
    dataset: ui_data.Dataset
    pages: list[ui.PageTiming]
    started: str
    seconds: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ui-requests", type=int, default=ui.REQUESTS, help="per page")
    parser.add_argument("--ui-data-dir", type=Path, help="build into (or reuse) this data dir")


@contextmanager
def _data_dir(kept: Path | None) -> Iterator[Path]:
    if kept is not None:
        yield kept.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="ishcd-bench-ui-", ignore_cleanup_errors=True) as tmp:
        yield Path(tmp) / "data"


def _built(data_dir: Path, say: Callable[[str], None]) -> tuple[ui_data.Dataset, dict[str, str]]:
    """The dataset in ``data_dir`` and its first admin (user name, password, API token)."""
    state = data_dir / STATE
    if state.exists():
        saved = json.loads(state.read_text())
        say(f"UI data dir: reusing {data_dir}")
        admin = {name: saved[name] for name in ("username", "password", "token")}
        return ui_data.Dataset(**{**saved["dataset"], "data_dir": data_dir}), admin
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BenchError(f"{data_dir} holds something but no {STATE}: give a new or empty dir")
    say(f"UI data dir: building {data_dir} (projects and templates through the API) ...")
    dataset, first = ui_data.build(data_dir, server.ishcd_at)
    fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        saved_dataset = {**asdict(dataset), "data_dir": str(data_dir)}
        json.dump({"dataset": saved_dataset, **first}, handle, indent=2)
    say(
        f"  {dataset.projects} projects, {dataset.runs_in_big} runs in {ui_data.BIG}, "
        f"{dataset.pipelines} pipelines, in {dataset.seconds:.1f} s"
    )
    return dataset, first


def measure(args: argparse.Namespace, say: Callable[[str], None]) -> UiResults:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    with _data_dir(args.ui_data_dir) as data_dir:
        dataset, admin = _built(data_dir, say)
        paths = [path.format(run_id=dataset.latest_run_id) for path in ui.PAGES]
        say(f"starting ishcd server on it; {len(paths)} pages x {args.ui_requests} requests ...")
        with server.ishcd_at(data_dir) as ishcd:
            # Pages outside /v1 read the session; /v1 takes the token (and ignores the cookie).
            cookie = None
            if any(not path.startswith("/v1/") for path in paths):
                cookie = ui.log_in(ishcd.url, admin["username"], admin["password"])
            timing = ui.time_pages(
                ishcd.url, paths, token=admin["token"], cookie=cookie, requests=args.ui_requests
            )
            pages = uvloop.run(timing)
    return UiResults(machine.identify(), dataset, pages, started, time.monotonic() - began)


def show(results: UiResults) -> None:
    print()
    print(f"Ish CD bench, UI section, {results.started}")
    print(f"machine: {results.machine.describe()}")
    print()
    report.print_rows(ui.rows(results.pages))
    print(f"UI section took {results.seconds:.0f} s; figures in {os.path.relpath(RESULTS)}")


def write(results: UiResults) -> None:
    document = asdict(results)
    document["dataset"]["data_dir"] = str(results.dataset.data_dir)
    document["targets"] = [asdict(row) for row in ui.rows(results.pages) if row.passed is not None]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


def main(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    results = measure(args, say)
    write(results)
    show(results)
