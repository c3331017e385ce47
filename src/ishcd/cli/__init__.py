"""The ``ishcd`` command: the server, the runner, admin commands and a client."""

from __future__ import annotations

import typer

from ishcd.cli import access, admin, config, lists, login, pipeline, run, secrets, server, users

app = typer.Typer(
    name="ishcd",
    help="Ish CD: run ops jobs and CI/CD pipelines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server.register(app)
run.register(app)
lists.register(app)
admin.register(app)
config.register(app)
pipeline.register(app)
login.register(app)
access.register(app)
secrets.register(app)
users.register(app)


def main() -> None:
    app()
