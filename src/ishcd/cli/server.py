"""``ishcd server``: the API, the dispatcher and the embedded runner in one process."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ishcd.cli.options import DatabaseUrlOption, DataDirOption, settings_from

if TYPE_CHECKING:
    from ishcd.server import FirstStart
    from ishcd.settings import Settings


def server_url(settings: Settings) -> str:
    """Where users reach the server: its public URL, else the address it listens on."""
    if settings.public_url is not None:
        return settings.public_url
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}"


def ishcd_command() -> str:
    """How to run this ``ishcd`` from here: its name when the shell finds this one by it,
    else its path (``.venv/bin/ishcd`` after ``make run``)."""
    this = Path(sys.argv[0]).absolute()
    found = shutil.which("ishcd")
    if this.name != "ishcd" or (found is not None and Path(found).absolute() == this):
        return "ishcd"
    try:
        return str(this.relative_to(Path.cwd()))
    except ValueError:
        return str(this)


def announce_first_start(settings: Settings, first: FirstStart) -> None:
    url = server_url(settings)
    typer.echo(
        "\n"
        "Ish CD is set up. This is shown once; keep it somewhere safe.\n"
        f"  user:      {first.username}\n"
        f"  password:  {first.password}\n"
        f"  API token: {first.token}\n"
        "Try it:\n"
        f"  {url}/    (the web UI: sign in as {first.username}, with the password above)\n"
        f"  curl -H 'Authorization: Bearer {first.token}' {url}/v1/account\n"
        f"  {ishcd_command()} login {url}    (as {first.username}, with the password above)\n"
        f"API docs: {url}/v1/documentation\n",
        err=False,
    )


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [env: ISHCD_HOST; default: 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [env: ISHCD_PORT; default: 8080]")
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    runner_slots: Annotated[
        int | None,
        typer.Option(
            "--runner-slots",
            help="Runs the embedded runner executes at once; 0 for none "
            "[env: ISHCD_RUNNER_SLOTS; default: CPU count]",
        ),
    ] = None,
) -> None:
    """Start the server: API, dispatcher and embedded runner."""
    # Imported here so client commands start fast.
    import uvicorn

    from ishcd.api.app import create_app
    from ishcd.server import Server

    settings = settings_from(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        runner_slots=runner_slots,
    )
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = Server(settings, announce=lambda first: announce_first_start(settings, first))
    app = create_app(settings, server)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_level=settings.log_level,
        timeout_graceful_shutdown=int(settings.shutdown_grace) + 5,
    )


def register(app: typer.Typer) -> None:
    app.command("server")(serve)
