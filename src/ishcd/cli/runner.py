"""``ishcd runner``: a runner agent, executing a server's jobs on this machine."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path
from typing import Annotated

import typer

# Labels as the server takes them (services.runners.LABEL_RULE).
LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MIN_BUFFER = 64 * 1024


def runner(
    url: Annotated[
        str,
        typer.Option(
            "--url",
            envvar="ISHCD_RUNNER_URL",
            show_envvar=True,
            metavar="URL",
            help="The server's URL, e.g. https://ci.example.com",
        ),
    ],
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="ISHCD_RUNNER_TOKEN",
            show_envvar=True,
            metavar="TOKEN",
            help="A registration token (ishrt_…) from a site admin; needed only until the "
            "runner has registered",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            envvar="ISHCD_RUNNER_NAME",
            show_envvar=True,
            metavar="NAME",
            help="The runner's name on the server (default: the host name)",
        ),
    ] = None,
    labels: Annotated[
        str,
        typer.Option(
            "--labels",
            envvar="ISHCD_RUNNER_LABELS",
            show_envvar=True,
            metavar="A,B",
            help="Its labels, comma-separated: a job runs here only when all its labels are "
            "among them",
        ),
    ] = "",
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            envvar="ISHCD_RUNNER_CONCURRENCY",
            show_envvar=True,
            metavar="N",
            min=1,
            max=256,
            help="Runs it executes at once",
        ),
    ] = 1,
    work_dir: Annotated[
        Path,
        typer.Option(
            "--work-dir",
            envvar="ISHCD_RUNNER_WORK_DIR",
            show_envvar=True,
            metavar="DIR",
            help="Its credential (runner.json), workspaces and buffered output",
            show_default="./.ishcd-runner",
        ),
    ] = Path(".ishcd-runner"),
    buffer_bytes: Annotated[
        int,
        typer.Option(
            "--buffer-bytes",
            envvar="ISHCD_RUNNER_BUFFER_BYTES",
            show_envvar=True,
            metavar="BYTES",
            help="Per run, output kept on disk while the server cannot be reached; past it the "
            "oldest middle part is dropped, head and tail kept",
            show_default="256 MiB",
        ),
    ] = 256 * 1024 * 1024,
    heartbeat_interval: Annotated[
        float,
        typer.Option(
            "--heartbeat-interval",
            envvar="ISHCD_RUNNER_HEARTBEAT_INTERVAL",
            show_envvar=True,
            metavar="SECONDS",
            help="Seconds between a run's heartbeats: keep it well under the server's "
            "ISHCD_RUNNER_LOST_AFTER",
        ),
    ] = 5.0,
    shutdown_grace: Annotated[
        float,
        typer.Option(
            "--shutdown-grace",
            envvar="ISHCD_RUNNER_SHUTDOWN_GRACE",
            show_envvar=True,
            metavar="SECONDS",
            help="On SIGTERM or Ctrl-C, seconds the running runs get to finish before they are "
            "stopped",
        ),
    ] = 10.0,
    kill_grace: Annotated[
        float,
        typer.Option(
            "--kill-grace",
            envvar="ISHCD_RUNNER_KILL_GRACE",
            show_envvar=True,
            metavar="SECONDS",
            help="Seconds between TERM and KILL when a run is stopped",
        ),
    ] = 5.0,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            envvar="ISHCD_LOG_LEVEL",
            show_envvar=True,
            metavar="LEVEL",
            help="critical, error, warning, info or debug",
        ),
    ] = "info",
) -> None:
    """Run a runner agent: register with the server once, then execute its jobs here.

    The agent asks the server for work (a long poll), runs each job as the server's own
    runner does, and streams its log back. Its credential is kept in WORK_DIR/runner.json
    (mode 0600): a restart does not register again. SIGTERM or Ctrl-C: no new work, the
    running runs get --shutdown-grace seconds, then are stopped. Exit status 1 when the
    runner was deleted on the server.
    """
    from ishcd.runner import agent

    problems = []
    label_list = [label.strip() for label in labels.split(",") if label.strip()]
    bad = [label for label in label_list if not LABEL.fullmatch(label)]
    if bad:
        problems.append(
            f"--labels: {', '.join(bad)}: each must be 1 to 64 letters, digits, '_', '.', ':' "
            "or '-'"
        )
    if not url.startswith(("http://", "https://")):
        problems.append(f"--url: {url!r} is not an http:// or https:// URL")
    if buffer_bytes < MIN_BUFFER:
        problems.append(f"--buffer-bytes: at least {MIN_BUFFER}")
    if heartbeat_interval <= 0:
        problems.append("--heartbeat-interval: must be more than 0")
    for option, value in (("--shutdown-grace", shutdown_grace), ("--kill-grace", kill_grace)):
        if value < 0:
            problems.append(f"{option}: must be 0 or more")
    if log_level.lower() not in ("critical", "error", "warning", "info", "debug"):
        problems.append("--log-level: one of critical, error, warning, info, debug")
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if log_level.lower() != "debug":  # a line per request (long polls, log chunks) is noise
        logging.getLogger("httpx").setLevel(logging.WARNING)
    config = agent.AgentConfig(
        url=url.rstrip("/"),
        token=token,
        work_dir=work_dir.expanduser().absolute(),
        labels=tuple(dict.fromkeys(label_list)),
        concurrency=concurrency,
        buffer_bytes=buffer_bytes,
        heartbeat_interval=heartbeat_interval,
        kill_grace=kill_grace,
        shutdown_grace=shutdown_grace,
        name=name or socket.gethostname(),
    )
    raise typer.Exit(agent.main(config))


def register(app: typer.Typer) -> None:
    app.command("runner")(runner)
